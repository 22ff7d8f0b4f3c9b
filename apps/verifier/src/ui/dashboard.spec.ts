import { mintApiKey } from '@verilay/client';
import { browserAvailable, launchChromium, UI_CONTENT_SECURITY_POLICY, watchedPage } from '@verilay/web-ui';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startTestVerifier, type TestVerifier } from '../test-verifier.spec-helper';

const admin = mintApiKey('ops', ['models:write', 'proofs:write', 'webhooks:write']);
/** Screenshots for docs/dashboard.md when VERILAY_SCREENSHOTS names a folder. */
const SHOTS = process.env.VERILAY_SCREENSHOTS;

(browserAvailable() ? describe : describe.skip)('verifier dashboard in Chromium', () => {
  let verifier: TestVerifier;
  let url: string;
  let browser: Browser;
  const pages: Page[] = [];
  const watched = async () => {
    const w = await watchedPage(browser);
    pages.push(w.page);
    return w;
  };
  const submit = () => verifier.submit();

  beforeAll(async () => {
    browser = await launchChromium();
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  }, 60_000);
  afterAll(async () => browser?.close());

  beforeEach(async () => {
    verifier = await startTestVerifier(
      {
        VERIFIER_CHALLENGE_WINDOW_MS: '4000',
        VERIFIER_BATCH_INTERVAL_MS: '300',
        VERIFIER_EVENT_POLL_MS: '50',
        VERIFIER_API_KEYS: admin.entry,
        VERIFIER_WEBHOOK_ALLOW_PRIVATE: 'true',
      },
      { apiKey: admin.token, seed: 27, name: 'dashboard-mlp' },
    );
    url = verifier.url;
  });
  afterEach(async () => {
    // Pages first: an open EventSource would reconnect to the closing server.
    await Promise.all(pages.splice(0).map((p) => p.close()));
    await verifier.close();
  });

  it('shows a claim going from submitted to final as it happens, under a strict CSP', async () => {
    const { page, problems } = await watched();
    const answer = await page.goto(`${url}/ui/`);
    expect(answer?.headers()['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
    await page.waitForSelector('[data-live="live"]');
    const claimId = await submit();
    const row = `tr[data-claim="${claimId}"]`;
    // No reload: the row appears, then its status follows the events.
    await page.waitForSelector(`${row}[data-status="submitted"], ${row}[data-status="posted"]`, {
      timeout: 10_000,
    });
    await page.waitForSelector(`${row}[data-status="posted"]`, { timeout: 10_000 });
    await page.click('[data-tab="batches"]');
    const countdown = await page.waitForSelector('[data-countdown]');
    expect(await countdown.textContent()).toMatch(/^\ds$/);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'verifier-batches.png') });
    await page.click('[data-tab="claims"]');
    await page.waitForSelector(`${row}[data-status="final"]`, { timeout: 15_000 });
    await page.click(row);
    const detail = await page.waitForSelector(`[data-detail="${claimId}"]`);
    expect(await detail.textContent()).toContain('History');
    const history = await page.$$eval(`[data-detail="${claimId}"] tbody tr`, (rows) =>
      rows.map((r) => r.textContent),
    );
    expect(history.map((h) => h!.match(/submitted|posted|final/g)!.pop())).toEqual([
      'submitted',
      'posted',
      'final',
    ]);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'verifier-claims.png') });
    expect(problems).toEqual([]);
  });

  it('filters claims by status and shows the models', async () => {
    const first = await submit();
    const { page, problems } = await watched();
    await page.goto(`${url}/ui/#claims`);
    await page.waitForSelector(`tr[data-claim="${first}"]`);
    await page.selectOption('select[name="status"]', 'slashed');
    await page.waitForSelector('text=No claims match.');
    await page.selectOption('select[name="status"]', '');
    await page.waitForSelector(`tr[data-claim="${first}"]`);
    await page.click('[data-tab="models"]');
    await page.waitForSelector('text=dashboard-mlp');
    expect(problems).toEqual([]);
  });

  it('manages webhooks with an API key (admin), and refuses without one', async () => {
    const { page, problems } = await watched();
    await page.goto(`${url}/ui/#webhooks`);
    await page.waitForSelector('text=Type an API key to see webhooks.');
    await page.fill('input[name="url"]', 'http://127.0.0.1:9/hook');
    await page.click('button[type="submit"]');
    await page.waitForSelector('[role="alert"]:has-text("UNAUTHENTICATED")');
    await page.fill('input[name="apiKey"]', admin.token);
    await page.dispatchEvent('input[name="apiKey"]', 'change');
    await page.click('button[type="submit"]');
    const secret = await page.waitForSelector('[data-secret]');
    expect(await secret.textContent()).toMatch(/^whsec_/);
    await page.waitForSelector('td:has-text("http://127.0.0.1:9/hook")');
    await page.click('button:has-text("delete")');
    await page.waitForSelector('td:has-text("no")');
    // The failed admin call was the test's own; nothing else went wrong.
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
  });
});
