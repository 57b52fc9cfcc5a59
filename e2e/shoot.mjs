// Takes screenshots of the release build for a person to look at:
//   node e2e/shoot.mjs [query] [name] [play-seconds]
import { mkdirSync } from 'node:fs';
import { serveDist } from './server.mjs';
import { launch } from './browser.mjs';

const [query = '', name = 'shot', seconds = '3'] = process.argv.slice(2);
mkdirSync('e2e/screenshots', { recursive: true });
const { server, url } = await serveDist('dist');
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
const messages = [];
page.on('console', (m) => messages.push(`${m.type()}: ${m.text()}`));
page.on('pageerror', (e) => messages.push(`pageerror: ${e.message}`));
await page.goto(url + query);
await page.waitForSelector('[data-testid="map"]', { timeout: 15000 });
await page.waitForTimeout(Number(seconds) * 1000);
await page.screenshot({ path: `e2e/screenshots/${name}.png`, fullPage: true });
console.log(messages.join('\n'));
await browser.close();
server.close();
