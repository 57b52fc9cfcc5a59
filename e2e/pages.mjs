// What the browser tests share: the served bundle and browser of a test file, opening the app
// in a fresh page that records problems, and waiting for the run's virtual clock.

import { before, after } from 'node:test';
import { serveDist } from './server.mjs';
import { launch } from './browser.mjs';

/** A fresh page (own storage) at `base + query` that records console and page errors; resolves
 * once the map has drawn its stations. `options` are Playwright context options (viewport…). */
export async function openApp(browser, base, query = '', options = {}) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, ...options });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.goto(base + query);
  await page.waitForSelector('[data-testid="map"] .station', { timeout: 20000 });
  return { page, context, problems };
}

/** Waits until the toolbar's virtual clock ("12.5 s", "1 min 03.0 s") reads `seconds` or more. */
export async function waitForVirtualSeconds(page, seconds, timeout = 30000) {
  await page.waitForFunction(
    (target) => {
      const text = document.querySelector('[data-testid="clock"]')?.textContent ?? '';
      const minutes = text.match(/(\d+) min/);
      const s = Number(text.match(/([\d.]+) s/)?.[1] ?? 0);
      return (minutes ? Number(minutes[1]) * 60 : 0) + s >= target;
    },
    seconds,
    { timeout },
  );
}

/** Registers a test file's `before`/`after`: the release bundle (`LOKAL_DIST`, else `dist/`)
 * served under a sub-path, and one Chromium. Returns the live handles (`base`, `browser`, once
 * `before` has run) and `open(query, options)`, which opens a fresh page with `defaults` as its
 * context options under `options`. */
export function appUnderTest(defaults = {}) {
  const app = {
    server: undefined,
    base: undefined,
    browser: undefined,
    open: (query = '', options = {}) => openApp(app.browser, app.base, query, { ...defaults, ...options }),
  };
  before(async () => {
    ({ server: app.server, url: app.base } = await serveDist(process.env.LOKAL_DIST ?? 'dist'));
    app.browser = await launch();
  });
  after(async () => {
    await app.browser?.close();
    app.server?.close();
  });
  return app;
}
