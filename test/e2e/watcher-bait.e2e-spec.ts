// Finding 4 of issue 11: an operator baits the watcher with a claim whose output is true but whose
// trace tree holds one junk leaf beside the true ones. The trace root differs from the watcher's
// replay, yet every step the bisection can reach is true: a watcher that disputes it loses.
import { devAccount, readDispute } from '@verilay/chain';
import { WatcherProcess } from '@verilay/client';
import { releaseProverThreads } from '@verilay/zk';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defend,
  ETH,
  fake,
  makeClaim,
  postClaims,
  readClaims,
  ROLES,
  startAttackWorld,
  type AttackWorld,
} from './support/attack-world';
import { eventually, WATCHER_ENTRY } from './support/e2e';

describe('watcher against a baiting operator (e2e)', () => {
  let w: AttackWorld;
  let dir: string;
  let watcher: WatcherProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-watcher-bait-'));
    w = await startAttackWorld();
  }, 600_000);
  afterAll(async () => {
    await watcher?.stop();
    w?.verifier.close();
    await w?.anvil.stop();
    await releaseProverThreads();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reproduces finding 4: a true output with a junk trace leaf makes the watcher dispute and lose its bond', async () => {
    watcher = await WatcherProcess.start(WATCHER_ENTRY, w.watcherEnv(join(dir, 'w.sqlite')));
    // Every true (i, h_i) leaf, plus one junk leaf after the output: the root is not the replay's.
    const bait = await makeClaim(w, 1, (truth) => [...truth, fake(truth[0], 1)]);
    await postClaims(w, [bait]);
    const operatorCredit = () => readClaims<bigint>(w, 'credit', [devAccount(ROLES.operator).address]);
    const before = await operatorCredit();

    await eventually(
      async () => ((await readClaims<bigint>(w, 'disputeCount')) === 1n ? true : undefined),
      30_000,
      'the watcher to take the bait',
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${watcher?.output().slice(-3000)}`);
    });
    const end = await defend(w, 1n, bait);
    expect(end.phaseName).toBe('resolved');
    const d = await readDispute(w.clients.stranger, w.deployment, 1n);
    expect(d.challengerWon).toBe(false);
    // The operator collects half the watcher's bond.
    expect((await operatorCredit()) - before).toBe(ETH / 2n);
  }, 240_000);
});
