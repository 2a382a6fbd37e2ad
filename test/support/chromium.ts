import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (scripts/lib.sh ensure_chromium installs it); no browser download. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium as the browser tests drive it. Without the background-networking flags Chromium's own
 * connections are refused by a closed network many at a time, which slows every start.
 */
export function launchHeadlessChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
