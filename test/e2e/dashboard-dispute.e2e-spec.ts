// The operator dashboard in Chromium follows a dispute as it is played: a watcher disputes a
// wrong claim the verifier posted; the lying operator defends it (the verifier concedes: its
// replay disagrees), revealing true midpoints, so the game bisects to the last step, which the
// watcher proves. The page shows the moves arrive (midpoints revealed, halves chosen), the
// bisection range shrink, and the claim end slashed, without a reload.
import { createChainClients, depositBond, devAccount } from '@verilay/chain';
import {
  buildClaim,
  chainDeployment,
  freePort,
  VerifierProcess,
  WatcherProcess,
  type ChainView,
} from '@verilay/client';
import { createTensorCommitter, toHex32, TraceTree } from '@verilay/commitments';
import { modelToJson, randomInput, randomModel } from '@verilay/inference';
import { executeTask } from '@verilay/protocol';
import { browserAvailable, launchChromium, watchedPage } from '@verilay/web-ui';
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
  defendWithTrueMidpoints,
  firstDispute,
} from './support/e2e';

const SHOTS = process.env.VERILAY_SCREENSHOTS;

(browserAvailable() ? describe : describe.skip)('dashboard: a dispute as it happens (Chromium)', () => {
  const model = randomModel({ seed: 6, kind: 'mlp', sizes: [6, 4, 3], argmax: true, name: 'bisection' });
  let dir: string;
  let verifier: VerifierProcess;
  let watcher: WatcherProcess | undefined;
  let chain: ChainView;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-ui-dispute-'));
    browser = await launchChromium();
    verifier = await VerifierProcess.start(VERIFIER_ENTRY, {
      VERIFIER_DB: join(dir, 'verifier.sqlite'),
      VERIFIER_ANVIL_PORT: String(await freePort()),
      VERIFIER_CHALLENGE_WINDOW_MS: '60000',
      VERIFIER_DISPUTE_CLOCK_S: '30',
      VERIFIER_BATCH_INTERVAL_MS: '200',
      VERIFIER_EVENT_POLL_MS: '100',
      VERILAY_CACHE_DIR: CACHE,
    });
    chain = await verifier.client.chain();
    await registerOnChain(dir, verifier.url, model, '--steps', '--no-whole');
    await verifier.client.registerModel(modelToJson(model));
    const operator = createChainClients({ rpcUrl: chain.rpcUrl!, chainId: chain.chainId }, devAccount(2));
    await depositBond(operator, chainDeployment(chain), 10n ** 18n);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await watcher?.stop();
    await verifier?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the moves arrive and the claim end slashed', async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${verifier.url}/ui/#disputes`);
    await page.waitForSelector('text=No disputes against this verifier');

    watcher = await WatcherProcess.start(
      WATCHER_ENTRY,
      watcherEnv(chain, verifier.url, join(dir, 'watcher.sqlite')),
    );
    const committer = await createTensorCommitter();
    const input = randomInput(model, 9);
    const claim = await buildClaim({
      model,
      input,
      taskId: toHex32(1n),
      account: devAccount(2),
      domain: chain.domain,
      committer,
      salt: 5n,
      lie: (out: Int32Array) => out.map((v) => v + 1),
    });
    const [{ claimId }] = (await verifier.client.submitClaims([claim])).claims;
    const deployment = chainDeployment(chain);
    const operator = createChainClients({ rpcUrl: chain.rpcUrl!, chainId: chain.chainId }, devAccount(2));
    const disputeId = await firstDispute(operator, deployment, 120_000, 'the watcher to dispute the lie');
    // The liar defends in the background, a move every ~1.5 s so the page can be seen following.
    const trace = new TraceTree(executeTask(model, input, committer, 5n).traceCommitments);
    const defence = defendWithTrueMidpoints(operator, deployment, disputeId, claim, trace, {
      timeoutMs: 300_000,
      moveDelayMs: 1500,
    });

    // The dispute appears in the list (live: the page was opened before it existed).
    const row = await page.waitForSelector('[data-dispute-row]', { timeout: 120_000 });
    await row.click();
    await page.waitForSelector('[data-move="DisputeOpened"]');
    // Moves arrive while the page stays open: record each count seen until the game ends.
    const seen = new Set<number>();
    const ranges = new Set<string>();
    const end = Date.now() + 180_000;
    while (Date.now() < end) {
      seen.add(await page.locator('[data-move]').count());
      ranges.add((await page.locator('[data-range]').textContent()) ?? '');
      if (await page.locator('[data-phase="resolved"]').count()) break;
      await page.waitForTimeout(250);
    }
    await defence;
    expect(await page.locator('[data-phase="resolved"]').count()).toBe(1);
    const moves = await page
      .locator('[data-move]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-move')));
    expect(moves[0]).toBe('DisputeOpened');
    expect(moves).toContain('MidpointRevealed');
    expect(moves).toContain('HalfChosen');
    expect(moves[moves.length - 1]).toBe('DisputeResolved');
    expect(await page.locator('[data-dispute]').textContent()).toContain('challenger wins (claim slashed)');
    // Seen in between, not only at the end: at least three move counts and two ranges.
    expect(seen.size).toBeGreaterThanOrEqual(3);
    expect(ranges.size).toBeGreaterThanOrEqual(2);
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, 'verifier-dispute.png'), fullPage: true });
    }
    // The claim tab shows it slashed.
    await page.click('[data-tab="claims"]');
    await page.waitForSelector(`tr[data-claim="${claimId}"][data-status="slashed"]`, { timeout: 60_000 });
    expect(problems).toEqual([]);
    await page.close();
  }, 420_000);
});
