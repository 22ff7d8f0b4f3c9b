// The watcher's page at /ui in Debian's Chromium, against a verifier on its embedded chain and a
// watcher as real processes: it shows the batch being checked (one claim correct, one wrong), the
// dispute the watcher opens and wins with its moves' transactions, and the bond budget; the page
// runs under the strict CSP with nothing for the browser to complain about.
import { createChainClients, depositBond, devAccount, verilayClaimsAbi } from '@verilay/chain';
import {
  buildClaim,
  chainDeployment,
  freePort,
  VerifierProcess,
  WatcherProcess,
  type ChainView,
} from '@verilay/client';
import { createTensorCommitter, toHex32 } from '@verilay/commitments';
import { modelToJson, randomInput, randomModel } from '@verilay/inference';
import { browserAvailable, launchChromium, UI_CONTENT_SECURITY_POLICY, watchedPage } from '@verilay/web-ui';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import {
  registerOnChain,
  TEST_CACHE as CACHE,
  VERIFIER_ENTRY,
  WATCHER_ENTRY,
  watcherEnv,
} from './support/e2e';

/** Screenshots for the docs when VERILAY_SCREENSHOTS names a folder (docs/img/watcher-ui.png). */
const SHOTS = process.env.VERILAY_SCREENSHOTS;
/** Half an ETH: room for a few disputes at the dev chain's bond. */
const BUDGET = 5n * 10n ** 17n;

/** As the page's format.js writes wei. */
const eth = (wei: bigint) => {
  const frac = ((wei % 10n ** 18n) * 10000n) / 10n ** 18n;
  const whole = `${wei / 10n ** 18n}`;
  return frac ? `${whole}.${String(frac).padStart(4, '0').replace(/0+$/, '')} ETH` : `${whole} ETH`;
};

(browserAvailable() ? describe : describe.skip)('watcher page in Chromium (e2e)', () => {
  // The model of watcher.e2e-spec.ts: its circuits are in the test cache already.
  const model = randomModel({ seed: 5, kind: 'mlp', sizes: [6, 4, 3], argmax: true, name: 'validity' });
  let dir: string;
  let verifier: VerifierProcess;
  let watcher: WatcherProcess;
  let chain: ChainView;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-watcher-ui-'));
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
    verifier = await VerifierProcess.start(VERIFIER_ENTRY, {
      VERIFIER_DB: join(dir, 'verifier.sqlite'),
      VERIFIER_ANVIL_PORT: String(await freePort()),
      VERIFIER_CHALLENGE_WINDOW_MS: '45000',
      VERIFIER_BATCH_INTERVAL_MS: '200',
      VERILAY_CACHE_DIR: CACHE,
    });
    chain = await verifier.client.chain();
    await registerOnChain(dir, verifier.url, model);
    await verifier.client.registerModel(modelToJson(model));
    const operator = createChainClients({ rpcUrl: chain.rpcUrl!, chainId: chain.chainId }, devAccount(2));
    await depositBond(operator, chainDeployment(chain), 2n * 10n ** 18n);
    watcher = await WatcherProcess.start(WATCHER_ENTRY, {
      ...watcherEnv(chain, verifier.url, join(dir, 'watcher.sqlite')),
      WATCHER_BOND_BUDGET: BUDGET.toString(),
    });
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await watcher?.stop();
    await verifier?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the batch being checked, the dispute it wins with its moves, and the bond budget', async () => {
    const { page, problems } = await watchedPage(browser);
    const answer = await page.goto(`${watcher.url}/ui/`);
    expect(answer?.headers()['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
    // Before any claim: the chain section and the budget, nothing locked.
    await page.waitForSelector('[data-section="chain"] [data-lag-blocks]');
    expect(await page.textContent('[data-bond-budget]')).toBe(eth(BUDGET));
    expect(await page.textContent('[data-bond-locked]')).toMatch(
      /^0 ETH: 0 open disputes × 0\.\d+ ETH bond$/,
    );

    const committer = await createTensorCommitter();
    const claim = (seed: number, lie: boolean) =>
      buildClaim({
        model,
        input: randomInput(model, seed),
        taskId: toHex32(BigInt(seed)),
        account: devAccount(2),
        domain: chain.domain,
        committer,
        salt: 9n,
        ...(lie ? { lie: (out: Int32Array) => out.map((v) => v + 1) } : {}),
      });
    const [, wrong] = (await verifier.client.submitClaims([await claim(1, false), await claim(2, true)]))
      .claims;

    // The batch appears (pending), then checked with one verdict of each kind.
    const batch = await page.waitForSelector('tr[data-batch]', { timeout: 30_000 });
    const index = await batch.getAttribute('data-batch');
    const row = `tr[data-batch="${index}"]`;
    await page.waitForSelector(`${row}[data-status="checked"]`, { timeout: 60_000 });
    expect(await page.textContent(`${row} [data-verdicts]`)).toMatch(
      /^(1 correct, 1 wrong|1 wrong, 1 correct)$/,
    );

    // The dispute on the wrong claim: opened, played (a validity proof) and won, every move's tx.
    const dispute = await page.waitForSelector('tr[data-dispute]', { timeout: 60_000 });
    expect(await dispute.textContent()).toContain(wrong.claimId.slice(0, 6));
    const done = `tr[data-dispute][data-phase="resolved"]:is([data-status="won"], [data-status="withdrawn"])`;
    await page.waitForSelector(done, { timeout: 120_000 });
    await page.waitForSelector(`${done} [data-moves]:has-text("DisputeResolved")`, { timeout: 10_000 });
    expect(await page.textContent(done)).toMatch(/won: claim slashed/);
    expect(await page.textContent(`${done} [data-moves]`)).toMatch(/^DisputeOpened 0x.*DisputeResolved 0x/);

    // The bond budget against the chain's bond: all free again, and how many disputes fit.
    const reader = createChainClients({ rpcUrl: chain.rpcUrl!, chainId: chain.chainId }, devAccount(7));
    const bond = await reader.public.readContract({
      address: chain.claims,
      abi: verilayClaimsAbi,
      functionName: 'CHALLENGER_BOND',
    });
    await page.waitForSelector('[data-section="bond"][data-locked="0"]');
    expect(await page.textContent('[data-bond-free]')).toBe(
      `${eth(BUDGET)}: room for ${BUDGET / bond} more dispute${BUDGET / bond === 1n ? '' : 's'}`,
    );
    expect(Number(await page.getAttribute('[data-lag-blocks]', 'data-lag-blocks'))).toBeGreaterThanOrEqual(0);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'watcher-ui.png'), fullPage: true });

    // The JSON the page reads.
    const status = (await (await fetch(`${watcher.url}/v1/status`)).json()) as {
      chain: { head: number; processed: number; lagBlocks: number; lagSeconds: number };
      batches: { counts: Record<string, number>; verdicts: Record<string, number> };
      disputes: { counts: Record<string, number> };
      bond: Record<string, string | number>;
    };
    expect(status.chain.lagBlocks).toBe(status.chain.head - status.chain.processed);
    expect(status.chain.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(status.batches.counts).toEqual({ checked: 1 });
    expect(status.batches.verdicts).toEqual({ correct: 1, wrong: 1 });
    expect(status.bond).toMatchObject({
      budget: BUDGET.toString(),
      bond: bond.toString(),
      open: 0,
      locked: '0',
      free: BUDGET.toString(),
      canOpen: Number(BUDGET / bond),
      credit: '0',
    });
    await page.close();
    expect(problems).toEqual([]);
  }, 300_000);
});
