// Launches Debian's Chromium headless through playwright-core (never a downloaded browser).
// Playwright gives every launch a fresh temporary profile of its own.
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.LOKAL_CHROMIUM ?? '/usr/bin/chromium';

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}
