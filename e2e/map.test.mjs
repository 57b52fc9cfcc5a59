// The map under load and around it, in headless Chromium on the release bundle:
//   node --test e2e/map.test.mjs
// - every track stays visible at 10× at busy moments of every built-in, read from the pixels of
//   a screenshot (tracks SVG + traffic canvas + overlay SVG, composited as the user sees them);
// - panels come into view with the focus, Space plays from anywhere, the address bar follows
//   the state, the end of a run offers Replay.
// Screenshots go to e2e/screenshots/ for a person to look at.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { serveDist } from './server.mjs';
import { launch } from './browser.mjs';

const SHOTS = 'e2e/screenshots';
mkdirSync(SHOTS, { recursive: true });

/** A sample point counts as showing its track when a pixel within 1 px of it is within this RGB
 * distance of the line's colour (anti-aliasing and the white casing shift edge pixels a little;
 * a dot, a band or a label over the line shifts them far more). */
const COLOUR_DISTANCE = 60;
/** Each track segment must show its colour at this share of its sample points (those not under
 * a station, a label, a line-name pill or a badge, which are drawn above the track on purpose). */
const VISIBLE_SHARE = 0.9;

let server;
let base;
let browser;

before(async () => {
  ({ server, url: base } = await serveDist(process.env.LOKAL_DIST ?? 'dist'));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function openPage(query = '', options = {}) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, ...options });
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

async function waitForVirtualSeconds(page, seconds, timeout = 60000) {
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

const builtins = () =>
  readdirSync('scenarios')
    .filter((f) => f.endsWith('.toml'))
    .map((f) => f.replace(/\.toml$/, ''))
    .sort();

/** Sample points along every track segment (in page pixels), each with its line's colour, and
 * the boxes of what is drawn above the tracks on purpose. Read from the overlay's own paths. */
async function trackSamples(page) {
  return page.evaluate(() => {
    const hex = (text) => {
      const m = text.trim().match(/^#([0-9a-f]{6})$/i);
      return m ? [0, 2, 4].map((i) => parseInt(m[1].slice(i, i + 2), 16)) : null;
    };
    const svg = document.querySelector('[data-testid="map"]');
    const matrix = svg.getScreenCTM();
    const segments = [];
    for (const path of svg.querySelectorAll('.track-core')) {
      const colour = hex(path.getAttribute('stroke'));
      const length = path.getTotalLength();
      const points = [];
      // Every 6 map units, leaving the ends (they sit inside station markers).
      for (let at = 10; at < length - 10; at += 6) {
        const p = path.getPointAtLength(at).matrixTransform(matrix);
        points.push([p.x, p.y]);
      }
      segments.push({ colour, d: path.getAttribute('d'), points });
    }
    const covers = [...svg.querySelectorAll('.station, .line-name, .edge-badge, .trace-path')].map((el) => {
      const r = el.getBoundingClientRect();
      return [r.left - 3, r.top - 3, r.right + 3, r.bottom + 3];
    });
    return { segments, covers };
  });
}

/** For each segment, the share of its uncovered sample points where the screenshot shows its colour. */
function visibleShares(png, { segments, covers }) {
  const at = (x, y) => {
    const i = (png.width * y + x) << 2;
    return [png.data[i], png.data[i + 1], png.data[i + 2]];
  };
  const near = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]) <= COLOUR_DISTANCE;
  return segments.map(({ colour, d, points }) => {
    let seen = 0;
    let counted = 0;
    for (const [px, py] of points) {
      if (covers.some(([l, t, r, b]) => px >= l && px <= r && py >= t && py <= b)) continue;
      counted += 1;
      const [cx, cy] = [Math.round(px), Math.round(py)];
      let found = false;
      for (let dy = -1; dy <= 1 && !found; dy += 1) {
        for (let dx = -1; dx <= 1 && !found; dx += 1) {
          const [x, y] = [cx + dx, cy + dy];
          if (x >= 0 && y >= 0 && x < png.width && y < png.height && near(at(x, y), colour)) found = true;
        }
      }
      if (found) seen += 1;
    }
    return { d, counted, share: counted === 0 ? 1 : seen / counted };
  });
}

async function checkTracks(page, label) {
  const samples = await trackSamples(page);
  assert.ok(samples.segments.length >= 1, `${label}: tracks found`);
  const png = PNG.sync.read(await page.screenshot());
  const shares = visibleShares(png, samples);
  const worst = shares.reduce((a, b) => (b.share < a.share ? b : a));
  return { shares, worst };
}

test('every track stays visible at 10× at busy moments of every built-in', async () => {
  const report = [];
  for (const id of builtins()) {
    const { page, context, problems } = await openPage(`?scenario=${id}&speed=10&autoplay=1`);
    // 25 s and 45 s of virtual time: inside Zomato's outage (20–50 s) and Flipkart's flash sale
    // (40–50 s); the queueing and fan-out scenarios are busy throughout.
    for (const seconds of [25, 45]) {
      await waitForVirtualSeconds(page, seconds);
      const dots = Number(await page.locator('canvas.dots').getAttribute('data-dot-count'));
      const bands = Number(await page.locator('canvas.dots').getAttribute('data-band-count'));
      const { shares, worst } = await checkTracks(page, `${id} at ${seconds} s`);
      await page.screenshot({ path: `${SHOTS}/10-busy-${id}-${seconds}s.png` });
      report.push(`${id} @${seconds}s: ${dots} dots, ${bands} bands, worst segment ${(worst.share * 100).toFixed(0)} % of ${worst.counted} points`);
      for (const { d, counted, share } of shares) {
        assert.ok(
          share >= VISIBLE_SHARE,
          `${id} at ${seconds} s: the track ${d} shows its colour at only ${(share * 100).toFixed(0)} % of ${counted} points`,
        );
      }
    }
    assert.deepEqual(problems, [], id);
    await context.close();
  }
  writeFileSync(`${SHOTS}/10-busy-report.txt`, report.join('\n') + '\n');
  console.log(report.join('\n'));
});

test('the check fails when the tracks do not show (it can fail)', async () => {
  // The same page with every track painted grey under the traffic: the pixels no longer show
  // the lines' colours, and the check must say so.
  const { page, context } = await openPage('?scenario=tail-at-scale&speed=10&autoplay=1');
  await page.addStyleTag({ content: '.track-core, .track-line { stroke: #888 !important; }' });
  await waitForVirtualSeconds(page, 25);
  const { worst } = await checkTracks(page, 'grey tracks');
  assert.ok(worst.share < VISIBLE_SHARE, `grey tracks still read as coloured at ${(worst.share * 100).toFixed(0)} %`);
  await context.close();
});
