// End-to-end tests of the release bundle in headless Chromium (Debian's), driven by
// playwright-core. Run by scripts/check.sh after `trunk build --release`:
//   node --test e2e/
// The bundle is served from a sub-path (/course/lokal/) to prove it embeds anywhere.
// Screenshots go to e2e/screenshots/ (ignored by git) for a person to look at.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { appUnderTest, waitForVirtualSeconds } from './pages.mjs';

const SHOTS = 'e2e/screenshots';
mkdirSync(SHOTS, { recursive: true });

const consoleProblems = [];

const app = appUnderTest();

const openPage = app.open;

async function counter(page, id) {
  const text = await page.textContent(`[data-testid="${id}"]`);
  return Number(text.replaceAll(',', ''));
}

async function clockSeconds(page) {
  const text = await page.textContent('[data-testid="clock"]');
  const minutes = text.match(/(\d+) min/);
  const seconds = Number(text.match(/([\d.]+) s/)?.[1] ?? 0);
  return (minutes ? Number(minutes[1]) * 60 : 0) + seconds;
}


/** Station names of a scenario file, read independently of the app: every `stations = [...]`. */
function stationNames(file) {
  const text = readFileSync(file, 'utf8');
  const names = new Set();
  for (const match of text.matchAll(/^stations = \[([^\]]*)\]/gm)) {
    for (const name of match[1].matchAll(/"([^"]+)"/g)) names.add(name[1]);
  }
  for (const match of text.matchAll(/^\[\[stations\]\]\nname = "([^"]+)"/gm)) names.add(match[1]);
  return [...names];
}

test('the page loads without console errors and draws the map', async () => {
  const { page, context, problems } = await openPage();
  assert.ok(await page.isVisible('h1'));
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${SHOTS}/01-first-load.png`, fullPage: true });
  assert.deepEqual(problems, []);
  consoleProblems.push(...problems);
  await context.close();
});

test('every station of every built-in scenario is on the map', async () => {
  const ids = readdirSync('scenarios').filter((f) => f.endsWith('.toml')).map((f) => f.replace(/\.toml$/, ''));
  assert.ok(ids.length >= 8, ids.join(', '));
  for (const id of ids) {
    const { page, context, problems } = await openPage(`?scenario=${id}`);
    const expected = stationNames(`scenarios/${id}.toml`);
    assert.ok(expected.length >= 2, `${id}: read its stations`);
    const shown = await page.$$eval('[data-station]', (els) => els.map((el) => el.getAttribute('data-station')));
    for (const name of expected) assert.ok(shown.includes(name), `${id}: station ${name} is missing from the map`);
    assert.equal(shown.length, expected.length, `${id}: no extra stations`);
    await page.screenshot({ path: `${SHOTS}/02-map-${id}.png`, fullPage: true });
    assert.deepEqual(problems, [], id);
    await context.close();
  }
});

test('playing five virtual seconds moves dots and raises counters', async () => {
  const { page, context, problems } = await openPage('?scenario=flipkart&speed=5&autoplay=1');
  const before = await counter(page, 'arrived');
  const canvas = page.locator('canvas.dots');
  await waitForVirtualSeconds(page, 2);
  const first = await canvas.screenshot();
  const dotsFirst = Number(await canvas.getAttribute('data-dot-count'));
  await page.waitForTimeout(300);
  const second = await canvas.screenshot();
  await waitForVirtualSeconds(page, 5);
  const after = await counter(page, 'arrived');
  assert.ok(dotsFirst > 0, `dots on screen: ${dotsFirst}`);
  assert.ok(!first.equals(second), 'the dots layer changed between two moments: dots move');
  assert.ok(after > before + 100, `arrived rose from ${before} to ${after}`);
  assert.ok((await counter(page, 'completed')) > 100);
  await page.screenshot({ path: `${SHOTS}/03-playing.png`, fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

test('crashing every payment instance makes checkouts fail', async () => {
  const { page, context, problems } = await openPage('?scenario=flipkart&speed=5');
  await page.click('[data-station="Vashi"]');
  await page.waitForSelector('.service-card');
  const crash = page.getByRole('button', { name: 'Crash an instance' });
  await crash.click();
  await crash.click();
  await page.waitForFunction(() => document.querySelector('[data-testid="instances-up"]')?.textContent.startsWith('0 /'));
  const failedBefore = await counter(page, 'failed');
  await page.keyboard.press('Space');
  await waitForVirtualSeconds(page, 8);
  const failedAfter = await counter(page, 'failed');
  assert.ok(failedAfter > failedBefore + 10, `failed rose from ${failedBefore} to ${failedAfter}`);
  assert.ok(await page.isVisible('.active-faults'));
  await page.screenshot({ path: `${SHOTS}/04-crash.png`, fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

test('an invalid scenario shows its problems and replaces nothing', async () => {
  const { page, context, problems } = await openPage('?scenario=flipkart');
  const title = await page.textContent('.scenario-intro h2');
  await page.keyboard.press('e');
  const editor = page.locator('[data-testid="editor-text"]');
  const text = await editor.inputValue();
  await editor.fill(text.replace('{ call = "payment.charge"', '{ call = "paymnt.charge"').replace('workers = 24', 'workers = 0'));
  await page.click('[data-testid="apply-scenario"]');
  const list = page.locator('[data-testid="problems"]');
  await list.getByText('service "paymnt" not found (did you mean "payment"?)').waitFor();
  const listed = await list.textContent();
  assert.match(listed, /services\[0\]\.endpoints\[1\]\.calls\[2\]\.call/);
  assert.match(listed, /services\[6\]\.workers/);
  assert.match(listed, /must be from 1 to 100000, got 0/);
  await page.screenshot({ path: `${SHOTS}/05-invalid-scenario.png`, fullPage: true });
  // A file loaded through the picker goes through the same checks.
  await page.setInputFiles('[data-testid="file-input"]', {
    name: 'broken.toml',
    mimeType: 'text/plain',
    buffer: Buffer.from('[[services]]\nname = "x"\nstation = "Nowhere"\n'),
  });
  await list.getByText('station "Nowhere" not found').waitFor();
  // A file over the limit is refused before it is read, with the figures.
  await page.setInputFiles('[data-testid="file-input"]', {
    name: 'huge.toml',
    mimeType: 'text/plain',
    buffer: Buffer.alloc(2_000_000, '#'),
  });
  await page.getByText('That file is 2000 KB; a scenario may be at most 1000 KB.').waitFor();
  await page.keyboard.press('Escape');
  assert.equal(await page.textContent('.scenario-intro h2'), title, 'the running scenario is untouched');
  assert.deepEqual(problems, []);
  await context.close();
});

test('switching to Hindi shows Devanagari everywhere, and it is remembered', async () => {
  const { page, context, problems } = await openPage('?scenario=flipkart');
  await page.getByRole('button', { name: 'हिन्दी' }).click();
  await page.waitForFunction(() => document.documentElement.lang === 'hi');
  const stationText = await page.textContent('[data-station="Dadar"] .station-name');
  assert.match(stationText, /[\u0900-\u097F]/, `station label: ${stationText}`);
  assert.match(await page.textContent('.scenario-intro h2'), /[\u0900-\u097F]/);
  for (const tab of await page.locator('[role="tab"]').allTextContents()) assert.match(tab, /[\u0900-\u097F]/, `tab: ${tab}`);
  await page.click('#side-tab-station');
  assert.match(await page.textContent('.inspector h2'), /[\u0900-\u097F]/);
  await page.screenshot({ path: `${SHOTS}/06-hindi.png`, fullPage: true });
  await page.reload();
  await page.waitForSelector('[data-testid="map"] .station');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'hi', 'the language came back after reload');
  assert.deepEqual(problems, []);
  await context.close();
});

test('axe-core finds no serious or critical accessibility violations', async () => {
  const axeSource = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');
  const audits = [
    ['?scenario=flipkart&autoplay=1', '.station >> nth=1'],
    ['?scenario=irctc-tatkal&lang=hi', '.station >> nth=1'],
    ['?scenario=zomato-protected&autoplay=1&speed=5', '[data-station="CSMT"]'],
  ];
  for (const [query, station] of audits) {
    const { page, context } = await openPage(query);
    await page.waitForTimeout(800);
    await page.click(station);
    for (const summary of await page.locator('.knobs summary').all()) await summary.click();
    // (Evaluated through the DevTools protocol: the page's policy refuses inline scripts.)
    await page.evaluate(axeSource);
    const result = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const report = await axe.run(document, { resultTypes: ['violations'] });
      return report.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help, targets: v.nodes.slice(0, 4).map((n) => n.html.slice(0, 160)) }));
    });
    const blocking = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(blocking, [], `${query}: ${JSON.stringify(blocking, null, 2)}`);
    await context.close();
  }
});

test('with reduced motion no dots move but a static flow overlay shows traffic', async () => {
  const { page, context, problems } = await openPage('?scenario=flipkart&speed=5&autoplay=1', { reducedMotion: 'reduce' });
  await waitForVirtualSeconds(page, 3);
  await page.waitForSelector('[data-testid="flow-overlay"] .flow');
  const flows = await page.locator('[data-testid="flow-overlay"] .flow').count();
  assert.ok(flows > 3, `flow overlay paths: ${flows}`);
  assert.equal(await page.locator('canvas.dots').getAttribute('data-dot-count'), '0');
  assert.equal(await page.locator('canvas.dots').isVisible(), false, 'the dots layer is hidden');
  await page.screenshot({ path: `${SHOTS}/07-reduced-motion.png`, fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

test('bad URL parameters give a notice and sensible defaults', async () => {
  const { page, context, problems } = await openPage('?scenario=flipcart&seed=banana&speed=9000&lang=fr');
  const notices = await page.locator('[data-testid="notice"]').allTextContents();
  assert.equal(notices.length, 4, notices.join('\n'));
  assert.ok(notices.some((n) => n.includes('did you mean "flipkart"')), notices.join('\n'));
  assert.equal(await page.locator('select').inputValue(), 'flipkart');
  assert.equal(await page.textContent('.speed-value'), '1×');
  await page.screenshot({ path: `${SHOTS}/08-bad-url.png` });
  assert.deepEqual(problems, []);
  await context.close();
});

test('the last scenario, seed and speed persist; corrupt storage is set aside', async () => {
  const { page, context, problems } = await openPage('?scenario=mm1');
  await page.fill('input[aria-label="Seed"]', '4242');
  await page.keyboard.press('Enter');
  await page.click('h1');
  await page.keyboard.press('+');
  await page.goto(app.base);
  await page.waitForSelector('[data-testid="map"] .station');
  assert.equal(await page.locator('select').inputValue(), 'mm1');
  assert.equal(await page.inputValue('input[aria-label="Seed"]'), '4242');
  assert.equal(await page.textContent('.speed-value'), '2×');
  await page.evaluate(() => localStorage.setItem('lokal.session.v1', '{"seed": "not a number'));
  await page.reload();
  await page.waitForSelector('[data-testid="map"] .station');
  const notices = await page.locator('[data-testid="notice"]').allTextContents();
  assert.ok(notices.some((n) => n.includes('set aside')), notices.join('\n'));
  assert.equal(await page.evaluate(() => localStorage.getItem('lokal.session.v1.corrupt')), '{"seed": "not a number');
  assert.deepEqual(problems, []);
  await context.close();
});

test('keyboard alone drives the app: help, select, crash, step', async () => {
  const { page, context, problems } = await openPage('?scenario=irctc-tatkal');
  await page.keyboard.press('?');
  await page.getByRole('dialog').waitFor();
  const rows = await page.locator('.shortcuts tbody tr').count();
  assert.ok(rows >= 15, `${rows} shortcuts listed`);
  await page.screenshot({ path: `${SHOTS}/09-help.png` });
  await page.keyboard.press('Escape');
  assert.equal(await page.getByRole('dialog').count(), 0);
  // Tab to a station and select it with Enter.
  await page.locator('[data-station="Thane"]').focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('.service-card');
  await page.keyboard.press('c');
  await page.waitForFunction(() => document.querySelector('[data-testid="instances-up"]')?.textContent.startsWith('1 /'));
  const clock = await clockSeconds(page);
  await page.keyboard.press('.');
  await page.keyboard.press('.');
  assert.ok((await clockSeconds(page)) >= clock);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a crash shows a readable bilingual panel that reloads with the last good scenario', async () => {
  const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(app.base + '?scenario=mm1');
  await page.waitForSelector('[data-testid="map"] .station');
  await page.goto(app.base + '?selftest=panic');
  await page.waitForSelector('#lokal-fatal .fatal', { timeout: 15000 });
  const panel = await page.textContent('#lokal-fatal');
  assert.match(panel, /Something went wrong/);
  assert.match(panel, /कुछ गड़बड़ हो गई/);
  assert.match(panel, /deliberate crash/);
  assert.equal(await page.isVisible('#lokal'), false, 'the broken app is hidden, not half drawn');
  await page.screenshot({ path: `${SHOTS}/10-crash-panel.png` });
  await page.click('#lokal-fatal a');
  await page.waitForSelector('[data-testid="map"] .station');
  assert.equal(await page.locator('select').inputValue(), 'mm1', 'the last good scenario came back');
  await context.close();
});

test('the Zomato lesson: the breaker opens on the map and in the dependency panel, knobs are recorded', async () => {
  const { page, context, problems } = await openPage('?scenario=zomato-protected&speed=10&autoplay=1');
  await page.click('[data-station="CSMT"]');
  await page.waitForSelector('[data-testid="dependency"]');
  // The restaurant slows down at 20 s: the breaker opens within a few seconds.
  await page.waitForSelector('[data-testid="breaker-state"][data-state="open"], [data-testid="breaker-state"][data-state="half_open"]', { timeout: 30000 });
  const badge = await page.textContent('[data-testid="edge-badge"]');
  assert.match(badge, /bulkhead \d+\/10/);
  assert.match(badge, /open|half-open|closed/);
  await page.screenshot({ path: `${SHOTS}/11-zomato-breaker.png`, fullPage: true });
  // A live knob: switch the breaker's failure threshold, which is recorded as a command.
  const card = page.locator('[data-testid="dependency"]').first();
  await card.locator('summary').click();
  const threshold = card.locator('input[id$="-failure"]');
  await threshold.fill('35');
  await threshold.press('Enter');
  await page.waitForSelector('[data-testid="command-log"]');
  assert.match(await page.textContent('[data-testid="command-log"]'), /1 command/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the compare view runs the same seed with protections off and on', async () => {
  const { page, context, problems } = await openPage('?scenario=zomato-protected&seed=5');
  await page.keyboard.press('v');
  await page.waitForSelector('[data-testid="compare-table"]', { timeout: 30000 });
  const cells = await page.$$eval('[data-testid="compare-table"] tbody tr:first-child td', (tds) => tds.map((td) => td.textContent));
  const off = Number(cells[0].split(' ')[0].replaceAll(',', ''));
  const on = Number(cells[1].split(' ')[0].replaceAll(',', ''));
  assert.ok(off > 1000, `protections off: ${off} errors`);
  assert.ok(on < off / 10, `protections on: ${on} errors`);
  assert.equal(await page.locator('[data-testid="compare"] canvas').count(), 2);
  await page.screenshot({ path: `${SHOTS}/12-compare.png` });
  assert.deepEqual(problems, []);
  await context.close();
});

/** Every span id non-zero lowercase hex of 16, every parent present, every child starting within its parent. */
function checkSpans(spans, what) {
  const byId = new Map(spans.map((s) => [s.id, s]));
  assert.equal(byId.size, spans.length, `${what}: span ids repeat`);
  for (const span of spans) {
    assert.match(span.id, /^(?!0{16})[0-9a-f]{16}$/, what);
    if (span.parent) {
      const parent = byId.get(span.parent);
      assert.ok(parent, `${what}: parent ${span.parent} missing`);
      assert.ok(span.start >= parent.start && span.start <= parent.end, `${what}: span ${span.id} starts outside its parent`);
    }
  }
}

async function openTraces(page) {
  await page.keyboard.press('t');
  await page.waitForSelector('[data-testid="trace-panel"]');
  await page.waitForFunction(() => document.querySelectorAll('.trace-item').length > 3, null, { timeout: 30000 });
}

test('traces: a waterfall with nesting, errors, the critical path, span details, and the path on the map', async () => {
  const { page, context, problems } = await openPage('?scenario=paytm-saga&speed=5&autoplay=1&seed=3');
  await waitForVirtualSeconds(page, 40);
  await openTraces(page);
  await page.selectOption('[data-testid="filter-status"]', 'errors');
  await page.locator('.trace-item').first().click();
  await page.waitForSelector('[data-testid="waterfall"]');
  const spans = Number(await page.textContent('[data-testid="span-count"]'));
  assert.equal(await page.locator('[data-testid="span-row"]').count(), spans, 'one row per span');
  // Nesting: rows carry their tree level; the root is level 1 and something is deeper.
  const levels = await page.$$eval('[data-testid="waterfall"] > li', (lis) => lis.map((li) => Number(li.getAttribute('aria-level'))));
  assert.equal(levels[0], 1);
  assert.ok(Math.max(...levels) >= 3, `levels ${levels}`);
  // Errors are marked in words, not only colour.
  assert.ok((await page.locator('.span-row.error .span-error-mark').count()) > 0);
  // The critical path is drawn, and the checkbox hides it.
  assert.ok((await page.locator('.span-critical').count()) > 0);
  await page.getByLabel(/critical path/i).uncheck();
  assert.equal(await page.locator('.span-critical').count(), 0);
  await page.getByLabel(/critical path/i).check();
  // A span's details: its traceparent header and attributes.
  await page.locator('[data-testid="span-row"]').nth(1).click();
  const header = await page.textContent('[data-testid="traceparent"]');
  assert.match(header, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.match(await page.textContent('[data-testid="span-detail"]'), /lokal\.payment_method/);
  // The path lights on the map: hops with arrows.
  assert.ok((await page.locator('[data-testid="trace-path"] .trace-path-core').count()) >= 3);
  await page.screenshot({ path: `${SHOTS}/13-trace-waterfall.png`, fullPage: true });
  // And the whole thing passes axe.
  const axeSource = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');
  await page.evaluate(axeSource); // (through the DevTools protocol: the page's policy refuses inline scripts)
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const report = await axe.run(document, { resultTypes: ['violations'] });
    return report.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes[0]?.html.slice(0, 120)}`);
  });
  assert.deepEqual(violations, []);
  assert.deepEqual(problems, []);
  await context.close();
});

test('following a moving request opens its trace, and it grows while in flight', async () => {
  const { page, context, problems } = await openPage('?scenario=paytm-saga&speed=1&autoplay=1&seed=8');
  await waitForVirtualSeconds(page, 3);
  await page.keyboard.press('j');
  await page.waitForSelector('[data-testid="request-card"]');
  await page.waitForSelector('[data-testid="trace-view"]', { timeout: 10000 });
  const title = await page.textContent('[data-testid="request-card"] h4');
  const request = title.match(/#(\d+)/)[1];
  assert.match(await page.textContent('[data-testid="trace-view"] h3'), new RegExp(`#${request} `));
  assert.ok(Number(await page.textContent('[data-testid="span-count"]')) >= 1);
  await page.screenshot({ path: `${SHOTS}/14-followed-trace.png`, fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

test('trace filters narrow the list by endpoint, status and duration; a bad number is explained', async () => {
  const { page, context, problems } = await openPage('?scenario=paytm-saga&speed=10&autoplay=1&seed=2');
  await waitForVirtualSeconds(page, 40);
  await page.keyboard.press('k');
  await openTraces(page);
  await page.selectOption('[data-testid="filter-endpoint"]', 'notifications.track');
  const names = await page.$$eval('.trace-item-name', (els) => els.map((e) => e.textContent));
  assert.ok(names.length > 0 && names.every((n) => n.includes('notifications.track')), names.join(' | '));
  await page.selectOption('[data-testid="filter-endpoint"]', '');
  await page.fill('[data-testid="filter-min"]', 'fast');
  assert.match(await page.textContent('.field-error'), /fast/);
  await page.fill('[data-testid="filter-min"]', '1000');
  await page.waitForFunction(() => !document.querySelector('.field-error'));
  const durations = await page.$$eval('.trace-item-figures', (els) => els.map((e) => Number(e.textContent.split(' ')[0].replaceAll(',', ''))));
  assert.ok(durations.length > 0, 'some traces took a second or more');
  assert.ok(durations.every((ms) => ms >= 1000), durations.join(', '));
  assert.deepEqual(problems, []);
  await context.close();
});

test('downloads: every kept trace as Jaeger JSON and one as OTLP/JSON, well-formed', async () => {
  const { page, context, problems } = await openPage('?scenario=paytm-saga&speed=10&autoplay=1&seed=4', { acceptDownloads: true });
  await waitForVirtualSeconds(page, 30);
  await page.keyboard.press('k');
  await openTraces(page);
  const kept = Number((await page.textContent('[data-testid="trace-store"]')).split(' ')[0]);
  const [jaegerDownload] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="download-all-jaeger"]')]);
  assert.match(jaegerDownload.suggestedFilename(), /^lokal-paytm-saga-seed-4-traces\.jaeger\.json$/);
  const jaeger = JSON.parse(readFileSync(await jaegerDownload.path(), 'utf8'));
  assert.equal(jaeger.data.length, kept);
  for (const trace of jaeger.data) {
    assert.match(trace.traceID, /^(?!0{32})[0-9a-f]{32}$/);
    checkSpans(trace.spans.map((s) => ({ id: s.spanID, parent: s.references[0]?.spanID, start: s.startTime, end: s.startTime + s.duration })), trace.traceID);
    for (const span of trace.spans) assert.ok(trace.processes[span.processID], 'process listed');
  }
  await page.locator('.trace-item').first().click();
  const traceId = (await page.textContent('.trace-id')).trim();
  const [otlpDownload] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="download-trace-otlp"]')]);
  const otlp = JSON.parse(readFileSync(await otlpDownload.path(), 'utf8'));
  const spans = otlp.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
  assert.ok(spans.length > 1 && spans.every((s) => s.traceId === traceId));
  assert.ok(spans.every((s) => Number.isInteger(s.kind) && typeof s.startTimeUnixNano === 'string'));
  checkSpans(spans.map((s) => ({ id: s.spanId, parent: s.parentSpanId, start: BigInt(s.startTimeUnixNano), end: BigInt(s.endTimeUnixNano) })), traceId);
  assert.deepEqual(problems, []);
  await context.close();
});

test('sagas: runs step by step with compensations, and in choreography they run back along the line', async () => {
  const { page, context, problems } = await openPage('?scenario=paytm-choreography&speed=2&autoplay=1&seed=4');
  await page.waitForSelector('[data-testid="saga-panel"]');
  // Brown compensation arrows appear on the canvas while sagas undo themselves.
  await page.waitForFunction(() => {
    const c = document.querySelector('canvas.dots');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let k = 0; k < d.length; k += 4) if (Math.abs(d[k] - 160) < 25 && Math.abs(d[k + 1] - 82) < 25 && Math.abs(d[k + 2] - 45) < 25 && d[k + 3] > 200) n++;
    return n > 40;
  }, null, { timeout: 30000, polling: 100 });
  await page.screenshot({ path: `${SHOTS}/15-compensations-on-the-map.png` });
  await page.waitForSelector('.saga-run.compensated', { timeout: 30000 });
  const run = page.locator('.saga-run.compensated').first();
  assert.equal(await run.locator('.saga-lane').count(), 4, 'one lane per step');
  assert.ok((await run.locator('.saga-bar.compensation').count()) >= 1);
  assert.match(await run.textContent(), /compensated/);
  assert.match(await page.textContent('[data-testid="saga-counts"]'), /\d+ started · \d+ completed · [1-9]\d* compensated/);
  // A run opens its trace, whose compensation spans are marked.
  await run.getByRole('button', { name: /open its trace/i }).click();
  await page.waitForSelector('[data-testid="waterfall"]');
  assert.ok((await page.locator('.span-row.compensation').count()) >= 1);
  await page.screenshot({ path: `${SHOTS}/16-saga-panel.png`, fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

test('what the user types survives the live refresh: the seed field and a knob while playing', async () => {
  const { page, context, problems } = await openPage('?scenario=zomato-protected&speed=5&autoplay=1');
  await page.locator('#seed-input').fill('12345');
  await page.waitForTimeout(600); // six refreshes of the panels
  assert.equal(await page.locator('#seed-input').inputValue(), '12345');
  await page.click('[data-station="CSMT"]');
  const card = page.locator('[data-testid="dependency"]').first();
  await card.locator('summary').click();
  const threshold = card.locator('input[id$="-failure"]');
  await threshold.fill('42');
  await page.waitForTimeout(600);
  assert.equal(await threshold.inputValue(), '42');
  assert.deepEqual(problems, []);
  await context.close();
});

test('what a scenario file says is shown as text, never as HTML, the page keeps to its Content-Security-Policy, and it asks nothing of other origins', async () => {
  const { page, context, problems } = await openPage('?scenario=flipkart');
  // Every request from a fresh load on, through an edited scenario, a run, traces and a download.
  const requests = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.reload();
  await page.waitForSelector('[data-testid="map"] .station');
  // The release page carries its Content-Security-Policy (scripts/csp.sh).
  const policy = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/]+=*'/);
  const script = '<script>window.__pwned = 1</script>';
  const img = '"><img src=x onerror="window.__pwned = 2">';
  await page.keyboard.press('e');
  const editor = page.locator('[data-testid="editor-text"]');
  const text = await editor.inputValue();
  await editor.fill(text
    .replace('en = "Flipkart-style shop — browse and checkout"', `en = ${JSON.stringify(script)}`)
    .replace('label = { en = "Churchgate (shoppers)"', `label = { en = ${JSON.stringify(img)}`));
  await page.click('[data-testid="apply-scenario"]');
  await page.waitForSelector('[data-testid="editor-text"]', { state: 'detached' });
  assert.equal(await page.textContent('.scenario-intro h2'), script, 'the title is its text');
  assert.ok((await page.textContent('[data-testid="map"]')).includes('<img src=x'), 'the label is its text');
  await page.keyboard.press('Space');
  await waitForVirtualSeconds(page, 3);
  await page.keyboard.press('t');
  await page.waitForSelector('.trace-item');
  const download = page.waitForEvent('download');
  await page.click('[data-testid="download-all-jaeger"]');
  await download;
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'nothing ran');
  assert.equal(await page.locator('img[src="x"], script:not([type="module"]):not([src])').count(), 0, 'no element was made from the text');
  const violations = await page.evaluate(() => window.__violations);
  // Then every built-in, playing, with its trace panel open.
  for (const id of readdirSync('scenarios').filter((f) => f.endsWith('.toml')).map((f) => f.replace(/\.toml$/, ''))) {
    await page.goto(`${app.base}?scenario=${id}&speed=10&autoplay=1`);
    await page.waitForSelector('[data-testid="map"] .station');
    await page.keyboard.press('t');
    await page.waitForTimeout(700);
    violations.push(...(await page.evaluate(() => window.__violations)));
  }
  const origin = new URL(app.base).origin;
  const elsewhere = requests.filter((url) => !url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:'));
  assert.deepEqual(elsewhere, [], 'every request stays on the page\'s own origin');
  assert.ok(requests.length >= 3, `the load itself was seen (${requests.length} requests)`);
  assert.deepEqual(violations, [], 'the whole session kept to the policy');
  assert.deepEqual(problems, []);
  // The policy is enforced, not only written: an inline script added to the page does not run.
  await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.__injected = true';
    document.body.append(script);
  });
  await page.waitForFunction(() => window.__violations.length > 0);
  assert.equal(await page.evaluate(() => window.__injected), undefined, 'the injected script was refused');
  assert.match((await page.evaluate(() => window.__violations))[0], /^script-src/);
  await context.close();
});
