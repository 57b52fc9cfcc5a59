// Measures the web app's budgets on the release bundle in headless Chromium and prints figures.
// A measurement, not a test: nothing here passes or fails on timing.
//   node e2e/budgets.mjs [--minutes 10]
// Figures: bundle size (gzip -9), time from navigation to the drawn map, frame times with about
// 2,000 moving dots, and memory over a long run at 10×.

import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { serveDist } from './server.mjs';
import { launch } from './browser.mjs';

const minutesArg = process.argv.indexOf('--minutes');
const MINUTES = minutesArg > 0 ? Number(process.argv[minutesArg + 1]) : 10;

function percentile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

// 1. Bundle size.
let gzipped = 0;
for (const file of readdirSync('dist')) {
  if (file.endsWith('.wasm') || file.endsWith('.js')) {
    const size = gzipSync(readFileSync(`dist/${file}`), { level: 9 }).length;
    gzipped += size;
    console.log(`bundle   ${file}: ${(size / 1024).toFixed(1)} KB gzipped`);
  }
}
console.log(`bundle   wasm + js: ${(gzipped / 1024).toFixed(1)} KB gzipped (budget 350 KB)`);

const { server, url } = await serveDist('dist');
const browser = await launch();

/** Records RAF timestamps, the dot count each frame, and the wasm memory handle. */
const INSTRUMENT = () => {
  window.__frames = [];
  window.__dots = [];
  addEventListener('TrunkApplicationStarted', (event) => { window.__wasm = event.detail.wasm; });
  const tick = (t) => {
    window.__frames.push(t);
    const canvas = document.querySelector('canvas.dots');
    if (canvas) window.__dots.push(Number(canvas.getAttribute('data-dot-count') ?? 0));
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  new MutationObserver((_, observer) => {
    if (document.querySelector('[data-testid="map"] .station')) {
      window.__mapDrawnMs = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
};

// 2. Time to the drawn map (median of five cold loads).
const loads = [];
for (let i = 0; i < 5; i++) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  await page.addInitScript(INSTRUMENT);
  await page.goto(url);
  await page.waitForFunction(() => window.__mapDrawnMs !== undefined, null, { timeout: 20000 });
  loads.push(await page.evaluate(() => window.__mapDrawnMs));
  await context.close();
}
console.log(`load     map drawn ${loads.map((ms) => ms.toFixed(0)).join(', ')} ms after navigation; median ${percentile(loads, 0.5).toFixed(0)} ms (budget 1500 ms)`);

// 3. Frame times with about 2,000 dots moving.
{
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  await page.addInitScript(INSTRUMENT);
  await page.goto(url + '?scenario=tail-at-scale&speed=5&autoplay=1');
  await page.waitForSelector('[data-testid="map"] .station');
  // The scenario lasts 60 virtual seconds: at 5× that is 12 s of wall time; measure 2 s to 12 s.
  await page.waitForTimeout(2000);
  await page.evaluate(() => { window.__frames = []; window.__dots = []; });
  await page.waitForTimeout(10000);
  const { frames, dots } = await page.evaluate(() => ({ frames: window.__frames, dots: window.__dots }));
  const intervals = frames.slice(1).map((t, i) => t - frames[i]);
  const meanDots = dots.reduce((a, b) => a + b, 0) / Math.max(dots.length, 1);
  console.log(
    `frames   ${intervals.length} frames in 10 s with ${meanDots.toFixed(0)} dots on average (max ${Math.max(...dots)}): ` +
    `p50 ${percentile(intervals, 0.5).toFixed(1)} ms, p95 ${percentile(intervals, 0.95).toFixed(1)} ms, ` +
    `p99 ${percentile(intervals, 0.99).toFixed(1)} ms (budget p95 16.7 ms)`,
  );
  await context.close();
}

// 4. Memory over a long run at 10×: the Flipkart shop stretched to two hours of virtual time
// (loaded through the editor, as a user would), so traffic flows for the whole measurement.
{
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  await page.addInitScript(INSTRUMENT);
  await page.goto(url + '?scenario=flipkart&speed=10');
  await page.waitForSelector('[data-testid="map"] .station');
  await page.keyboard.press('e');
  const editor = page.locator('[data-testid="editor-text"]');
  await editor.fill((await editor.inputValue()).replace('duration = "90s"', 'duration = "2h"'));
  await page.click('[data-testid="apply-scenario"]');
  await page.waitForSelector('[data-testid="editor-text"]', { state: 'detached' });
  await page.keyboard.press('Space');
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const sample = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
    const wasm = await page.evaluate(() => window.__wasm?.memory?.buffer?.byteLength ?? 0);
    const clock = await page.textContent('[data-testid="clock"]');
    return { heapMb: heap / 1048576, wasmMb: wasm / 1048576, clock };
  };
  const samples = [];
  for (let minute = 0; minute <= MINUTES; minute++) {
    if (minute > 0) await page.waitForTimeout(60000);
    const s = await sample();
    samples.push(s);
    console.log(`memory   after ${minute} min (virtual ${s.clock}): JS heap ${s.heapMb.toFixed(1)} MB, wasm memory ${s.wasmMb.toFixed(1)} MB`);
  }
  const first = samples[1] ?? samples[0];
  const last = samples[samples.length - 1];
  console.log(`memory   from minute 1 to ${MINUTES}: JS heap ${(last.heapMb - first.heapMb).toFixed(1)} MB, wasm memory ${(last.wasmMb - first.wasmMb).toFixed(1)} MB`);
  await context.close();
}

await browser.close();
server.close();
