// What the browser tests share: opening the app in a fresh page that records problems, and
// waiting for the run's virtual clock.

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
