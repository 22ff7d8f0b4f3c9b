import type { INestApplication } from '@nestjs/common';
import { buildClaim, mintApiKey, VerifierClient } from '@verilay/client';
import { createTensorCommitter, toHex32, type TensorCommitter } from '@verilay/commitments';
import { modelToJson, randomInput, randomModel, type Model } from '@verilay/inference';
import { claimDomain } from '@verilay/protocol';
import { browserAvailable, launchChromium, UI_CONTENT_SECURITY_POLICY, watchedPage } from '@verilay/web-ui';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { privateKeyToAccount } from 'viem/accounts';
import { loadVerifierConfig } from '../config/verifier.config';
import { createVerifierApp } from '../verifier-app';

const operator = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const domain = claimDomain(31337, '0x0000000000000000000000000000000000000000');
const admin = mintApiKey('ops', ['models:write', 'proofs:write', 'webhooks:write']);
/** Screenshots for docs/dashboard.md when VERILAY_SCREENSHOTS names a folder. */
const SHOTS = process.env.VERILAY_SCREENSHOTS;

(browserAvailable() ? describe : describe.skip)('verifier dashboard in Chromium', () => {
  let dir: string;
  let app: INestApplication;
  let url: string;
  let browser: Browser;
  let committer: TensorCommitter;
  let model: Model;
  let task = 0;
  const pages: Page[] = [];
  const watched = async () => {
    const w = await watchedPage(browser);
    pages.push(w.page);
    return w;
  };

  const submit = async () => {
    const claim = await buildClaim({
      model,
      input: randomInput(model, ++task),
      taskId: toHex32(BigInt(task)),
      account: operator,
      domain,
      committer,
    });
    return (await new VerifierClient(url).submitClaims([claim])).claims[0].claimId;
  };

  beforeAll(async () => {
    committer = await createTensorCommitter();
    model = randomModel({ seed: 27, kind: 'mlp', sizes: [8, 4], argmax: true, name: 'dashboard-mlp' });
    browser = await launchChromium();
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  }, 60_000);
  afterAll(async () => browser?.close());

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-ui-'));
    const config = loadVerifierConfig({
      VERIFIER_DB: join(dir, 'verifier.sqlite'),
      VERIFIER_CHAIN: 'off',
      VERIFIER_CHALLENGE_WINDOW_MS: '4000',
      VERIFIER_BATCH_INTERVAL_MS: '300',
      VERIFIER_EVENT_POLL_MS: '50',
      VERIFIER_API_KEYS: admin.entry,
      VERIFIER_WEBHOOK_ALLOW_PRIVATE: 'true',
    });
    app = await createVerifierApp(config, { logger: false });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    await new VerifierClient(url, { apiKey: admin.token }).registerModel(modelToJson(model));
  });
  afterEach(async () => {
    // Pages first: an open EventSource would reconnect to the closing server.
    await Promise.all(pages.splice(0).map((p) => p.close()));
    await app.close();
    rmSync(dir, { recursive: true, force: true });
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
    expect(await detail.textContent()).toContain(model.name ? 'History' : '');
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
