// Finding 4 of issue 11: an operator baits the watcher with a claim whose output is true but whose
// trace tree holds one junk leaf beside the true ones. The trace root differs from the watcher's
// replay, yet every step the bisection can reach is true: a watcher that disputed it would lose
// (it did before the fix, e45a870). It disputes only a wrong output, so it leaves this one alone.
import { devAccount } from '@verilay/chain';
import {
  advance,
  ATTACK_PARAMS,
  fake,
  makeClaim,
  postClaims,
  readClaims,
  ROLES,
  useAttackWorld,
  withOutput,
} from './support/attack-world';
import { eventually, sleep } from './support/e2e';

describe('watcher against a baiting operator (e2e)', () => {
  const spec = useAttackWorld('watcher-bait');

  it('finding 4: a true output with a junk trace leaf is left alone: no dispute, no bond at risk, the claim becomes final', async () => {
    const { w } = spec;
    const watcherBalance = await w.clients.stranger.public.getBalance({
      address: devAccount(ROLES.watcher).address,
    });
    const watcher = await spec.startWatcher();
    // Every true (i, h_i) leaf, plus one junk leaf after the output: the root is not the replay's.
    const bait = await makeClaim(w, 1, (truth) => [...truth, fake(truth[0], 1)]);
    const batch = await postClaims(w, [bait]);

    await eventually(
      async () =>
        /verilay_watcher_claims_checked_total\{verdict="correct"\} 1/.test(await watcher.metrics())
          ? true
          : undefined,
      30_000,
      'the watcher to check the claim',
    ).catch(withOutput(watcher));
    await advance(w, Number(ATTACK_PARAMS.challengeWindow) + 1);
    await sleep(1000); // passes of the watcher after the window
    expect(await readClaims<bigint>(w, 'disputeCount')).toBe(0n);
    expect(
      await readClaims<number>(w, 'claimStatus', [batch.batchIndex, bait.leaf, batch.tree.proof(bait.leaf)]),
    ).toBe(3); // Final: it is true
    expect(await w.clients.stranger.public.getBalance({ address: devAccount(ROLES.watcher).address })).toBe(
      watcherBalance,
    );
  }, 240_000);
});
