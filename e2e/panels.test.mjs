// The panels beside and under the map, in headless Chromium on the release bundle:
//   node --test e2e/panels.test.mjs
// - the side panel is a strip of tabs: shortcuts open a tab with the focus on its panel,
//   choosing a station shows its tab, the arrow keys move between tabs;
// - the Hystrix-style grid shows every circuit at once in small cells;
// - Jaeger's extras: a sub-tree folds, the minimap zooms the waterfall, the duration scatter
//   opens the trace of the point clicked.
// Screenshots go to e2e/screenshots/ for a person to look at.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { appUnderTest, waitForVirtualSeconds } from './pages.mjs';

const SHOTS = 'e2e/screenshots';
mkdirSync(SHOTS, { recursive: true });


const app = appUnderTest();

const openPage = app.open;

const shownTab = (page) => page.$eval('[data-testid="side-panel"]', (el) => el.dataset.tab);
const focusedId = (page) => page.evaluate(() => document.activeElement?.id ?? '');

test('the side panel is tabs: shortcuts open a panel with the focus, a station shows its tab, arrows move', async () => {
  // At 1024×768 the side panel sits under the map, so "comes into view" means a scroll.
  const viewport = { width: 1024, height: 768 };
  const { page, context, problems } = await openPage('?scenario=paytm-saga', { viewport });
  // A saga scenario opens on its sagas; only the panel shown is built.
  assert.equal(await shownTab(page), 'sagas');
  assert.equal(await page.locator('[data-testid="saga-panel"]').count(), 1);
  assert.equal(await page.locator('[data-testid="charts"]').count(), 0);
  const inView = async (selector) => {
    const box = await page.$eval(selector, (el) => {
      const r = el.getBoundingClientRect();
      return { top: r.top, bottom: r.bottom };
    });
    assert.ok(box.top >= -1 && box.top < viewport.height, `${selector} is in view (top ${box.top})`);
  };
  for (const [key, tab, selector] of [
    ['m', 'charts', '[data-testid="charts"]'],
    ['d', 'circuits', '[data-testid="circuits"]'],
    ['a', 'sagas', '[data-testid="saga-panel"]'],
  ]) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator('body').press(key);
    await page.waitForFunction((t) => document.querySelector('[data-testid="side-panel"]')?.dataset.tab === t, tab);
    await page.waitForFunction(() => document.activeElement?.id === 'side-panel');
    await inView(selector);
    assert.equal(await page.getAttribute(`#side-tab-${tab}`, 'aria-selected'), 'true');
  }
  // Choosing a station shows the station's tab, with the focus on the inspector.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.locator('[data-testid="map"] .station').first().click();
  await page.waitForFunction(() => document.activeElement?.id === 'inspector');
  assert.equal(await shownTab(page), 'station');
  // The WAI-ARIA tabs keys: only the shown tab is in the tab order; → and End move and show.
  assert.deepEqual(
    await page.$$eval('[role="tab"]', (tabs) => tabs.map((t) => t.tabIndex)),
    [0, -1, -1, -1],
  );
  await page.focus('#side-tab-station');
  await page.keyboard.press('ArrowRight');
  assert.equal(await shownTab(page), 'circuits');
  assert.equal(await focusedId(page), 'side-tab-circuits');
  await page.keyboard.press('End');
  assert.equal(await shownTab(page), 'charts');
  // Space on a tab is the tab's, but Space elsewhere still plays (it is not a text field).
  await page.keyboard.press('ArrowLeft');
  assert.equal(await shownTab(page), 'sagas');
  await page.screenshot({ path: `${SHOTS}/18-tabs-1024x768.png` });
  assert.deepEqual(problems, []);
  await context.close();
});

test('the Hystrix-style grid shows every circuit at once, in small cells with their counters in words', async () => {
  const { page, context, problems } = await openPage('?scenario=flipkart&speed=10&autoplay=1', {
    viewport: { width: 1440, height: 900 },
  });
  await waitForVirtualSeconds(page, 20);
  await page.locator('body').press('d');
  await page.waitForSelector('[data-testid="circuits"] [data-testid="dependency"]');
  const cells = page.locator('[data-testid="circuits"] [data-testid="dependency"]');
  const count = await cells.count();
  // Every call edge of the scenario: one cell each, named caller → callee.
  assert.ok(count >= 3, `${count} circuits`);
  const boxes = await cells.evaluateAll((els) => els.map((el) => el.getBoundingClientRect().toJSON()));
  const tallest = Math.max(...boxes.map((b) => b.height));
  assert.ok(tallest <= 190, `cells are compact (tallest ${tallest.toFixed(0)} px)`);
  const columns = new Set(boxes.map((b) => Math.round(b.left))).size;
  assert.ok(columns >= 2, `cells sit side by side (${columns} columns)`);
  for (const name of await cells.locator('h5').allTextContents()) assert.match(name, / → /);
  // Each counter is a number with its word (never a colour alone): success always, the others
  // once they are not zero.
  const counters = await cells.evaluateAll((els) =>
    els.flatMap((el) => [...el.querySelectorAll('.rolling > div')].map((c) => [c.querySelector('dt').textContent, Number(c.querySelector('dd').textContent)])),
  );
  assert.equal(counters.filter(([word]) => word === 'success').length, count);
  for (const [word, n] of counters) assert.ok(word === 'success' || n > 0, `${word} ${n}`);
  assert.ok(counters.some(([word, n]) => word === 'failures' && n > 0), 'the payments failures are counted');
  // A station's panel narrows to its own calls and widens to the whole scenario.
  await page.click('[data-station="CSMT"]');
  await page.waitForSelector('#inspector [data-testid="dependency"]');
  const own = await page.locator('#inspector [data-testid="dependency"]').count();
  assert.ok(own >= 1 && own < count, `${own} of ${count}`);
  await page.click('[data-testid="all-circuits"]');
  await page.waitForFunction((n) => document.querySelectorAll('#inspector [data-testid="dependency"]').length === n, count);
  assert.match(await page.textContent('[data-testid="all-circuits"]'), new RegExp(`\\(${count}\\)`));
  await page.locator('body').press('d');
  await page.locator('[data-testid="circuits"]').screenshot({ path: `${SHOTS}/19-circuits-1440.png` });
  assert.deepEqual(problems, []);
  await context.close();
});

test('Jaeger extras: a sub-tree folds, the minimap zooms the waterfall, the scatter opens a trace', async () => {
  const { page, context, problems } = await openPage('?scenario=paytm-saga&speed=10&autoplay=1&seed=2', {
    viewport: { width: 1440, height: 900 },
  });
  await waitForVirtualSeconds(page, 15);
  await page.keyboard.press('Space');
  await page.keyboard.press('t');
  await page.waitForSelector('[data-testid="duration-scatter"] .scatter-points', { state: 'attached' });
  // Every kept trace is a point (the store holds what the list counts).
  const stored = Number((await page.textContent('[data-testid="trace-store"]')).match(/\d+/)[0]);
  assert.equal(Number(await page.getAttribute('[data-testid="duration-scatter"]', 'data-points')), stored, 'one point per kept trace');
  // The highest point is the longest trace: clicking it opens a trace at least as long as any listed.
  const target = await page.$eval('[data-testid="duration-scatter"] svg', (svg) => {
    const points = [...svg.querySelectorAll('.scatter-points.ok, .scatter-points.error')]
      .flatMap((path) => [...path.getAttribute('d').matchAll(/M([\d.]+) ([\d.]+)h0/g)].map((m) => [Number(m[1]), Number(m[2])]));
    const [x, y] = points.reduce((a, b) => (b[1] < a[1] ? b : a));
    const r = svg.getBoundingClientRect();
    return { x: r.left + (x / 1000) * r.width, y: r.top + (y / 100) * r.height, count: points.length };
  });
  assert.equal(target.count, stored);
  await page.mouse.click(target.x, target.y);
  await page.waitForSelector('[data-testid="trace-view"]');
  const ms = (text) => Number(text.match(/([\d.]+) ms/)[1]);
  const opened = ms(await page.textContent('[data-testid="trace-view"] .trace-figures'));
  const listed = (await page.locator('.trace-item').allTextContents()).map(ms);
  assert.ok(listed.every((d) => d <= opened), `the opened trace (${opened} ms) is the longest listed (${Math.max(...listed)} ms)`);
  await page.waitForSelector('[data-testid="duration-scatter"] .scatter-points.selected', { state: 'attached' });
  // Fold the first row that has children: its descendants leave, the count says how many.
  const rowsBefore = await page.locator('[data-testid="span-row"]').count();
  const fold = page.locator('[data-testid="fold"]').nth(1);
  await fold.click();
  const rowsAfter = await page.locator('[data-testid="span-row"]').count();
  assert.ok(rowsAfter < rowsBefore, `${rowsAfter} < ${rowsBefore}`);
  const folded = Number((await page.textContent('[data-testid="folded-count"]')).match(/\d+/)[0]);
  assert.equal(folded, rowsBefore - rowsAfter);
  assert.equal(await page.locator('[role="treeitem"][aria-expanded="false"]').count(), 1);
  await page.locator('[data-testid="fold"]').nth(1).click();
  assert.equal(await page.locator('[data-testid="span-row"]').count(), rowsBefore);
  // Drag across the middle of the minimap: the ruler no longer starts at 0, bars are re-scaled.
  const ticks = () => page.locator('.waterfall-ruler .tick').allTextContents();
  const wholeTicks = await ticks();
  assert.match(wholeTicks[0], /^0(\.0+)?$/);
  const box = await page.locator('[data-testid="minimap"] svg').boundingBox();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.45, box.y + box.height / 2, { steps: 4 });
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 4 });
  await page.mouse.up();
  await page.waitForFunction(() => !document.querySelector('[data-testid="zoom-whole"]').disabled);
  const zoomedTicks = await ticks();
  assert.notDeepEqual(zoomedTicks, wholeTicks);
  assert.ok(Number(zoomedTicks[0]) > 0, `the zoomed ruler starts later (${zoomedTicks[0]})`);
  await page.locator('[data-testid="minimap"]').screenshot({ path: `${SHOTS}/20-minimap-zoomed.png` });
  await page.click('[data-testid="zoom-whole"]');
  assert.deepEqual(await ticks(), wholeTicks);
  // The keyboard way: select a span, zoom to it.
  const shortest = await page.$$eval('[data-testid="span-row"]', (rows) =>
    rows.map((row, i) => [row.querySelector('.span-bar')?.getBoundingClientRect().width ?? 1e9, i]).sort((a, b) => a[0] - b[0])[0][1]);
  await page.locator('[data-testid="span-row"]').nth(shortest).click();
  await page.click('[data-testid="zoom-span"]');
  assert.ok(!(await page.locator('[data-testid="zoom-whole"]').isDisabled()));
  await page.locator('[data-testid="trace-panel"]').screenshot({ path: `${SHOTS}/21-trace-panel-jaeger.png` });
  assert.deepEqual(problems, []);
  await context.close();
});
