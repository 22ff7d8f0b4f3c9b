import { existsSync } from 'node:fs';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';

/** Debian's Chromium (.ci/run installs it); CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Whether browser tests can run here. Without Chromium they are skipped with a line saying so,
 * unless VERILAY_REQUIRE_BROWSER=1 (CI), where its absence is a failure.
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.VERILAY_REQUIRE_BROWSER === '1')
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH} and VERILAY_REQUIRE_BROWSER=1 (apt-get install chromium)`,
    );
  console.warn(`browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`);
  return false;
}

/** Headless Chromium driven by playwright-core, with the flags this network needs (no phoning home). */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
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

/**
 * A page that records what the browser complains about (console errors, CSP violations, uncaught
 * exceptions, failed requests): a test ends by expecting `problems` to be empty.
 */
export async function watchedPage(browser: Browser): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A stream closed by navigation or the test's end is not a problem.
    if (!r.url().includes('/v1/events')) problems.push(`request: ${r.url()} ${r.failure()?.errorText}`);
  });
  return { page, problems };
}
