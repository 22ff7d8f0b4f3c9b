// Finding 2 of issue 11: a liar's friend disputes the lie first, stalls, and loses on purpose (its
// clock runs out). The contract reopens the posting for a new window, but a watcher that keeps
// only the batch's first window has given up by then, and the lie becomes final.
import { provideSignature, readDispute, revealMidpoint } from '@verilay/chain';
import {
  advance,
  ATTACK_PARAMS,
  disputeAs,
  lieFrom,
  makeClaim,
  postClaims,
  readClaims,
  timeOut,
  useAttackWorld,
  withOutput,
} from './support/attack-world';
import { eventually } from './support/e2e';

describe('watcher against a colluding challenger (e2e)', () => {
  const spec = useAttackWorld('watcher-reopen');
  const CLOCK = Number(ATTACK_PARAMS.clock);

  it('reproduces finding 2: after a friend of the liar stalls and loses, the watcher has given up and the lie becomes final', async () => {
    const { w } = spec;
    const lie = await makeClaim(w, 1, lieFrom(1));
    const batch = await postClaims(w, [lie]);
    const { disputeId } = await disputeAs('friend', w, lie, batch, { unsigned: true });
    const watcher = await spec.startWatcher();
    await eventually(
      async () => (/claim already disputed/.test(watcher.output()) ? true : undefined),
      30_000,
      'the watcher to see the friend’s dispute',
    ).catch(withOutput(watcher));

    // The liars answer near the end of each clock (the signature, then the midpoint); the friend
    // lets its own clock run out: the batch's window is long over by then.
    await advance(w, CLOCK - 10);
    await provideSignature(w.clients.sequencer, w.deployment, disputeId, lie.claim, lie.signature);
    await advance(w, CLOCK - 10);
    const d = await readDispute(w.clients.operator, w.deployment, disputeId);
    const mid = Math.floor((d.lo + d.hi) / 2);
    await revealMidpoint(
      w.clients.operator,
      w.deployment,
      disputeId,
      lie.traceTree.commitments[mid],
      lie.traceTree.proof(mid),
    );
    await timeOut(w, disputeId);
    expect(await readDispute(w.clients.operator, w.deployment, disputeId)).toMatchObject({
      phaseName: 'resolved',
      challengerWon: false,
    });
    // The posting is open again for a whole window, and the watcher gives up on it.
    expect(
      await readClaims<number>(w, 'claimStatus', [batch.batchIndex, lie.leaf, batch.tree.proof(lie.leaf)]),
    ).toBe(1);
    // It records the claim wrong, "found after the window closed", and never disputes it.
    await eventually(
      async () =>
        /verilay_watcher_claims_checked_total\{verdict="wrong"\} 1/.test(await watcher.metrics())
          ? true
          : undefined,
      30_000,
      'the watcher to give up',
    ).catch(withOutput(watcher));
    await advance(w, Number(ATTACK_PARAMS.challengeWindow) + 1);
    expect(await readClaims<bigint>(w, 'disputeCount')).toBe(1n);
    expect(
      await readClaims<number>(w, 'claimStatus', [batch.batchIndex, lie.leaf, batch.tree.proof(lie.leaf)]),
    ).toBe(3); // Final: a lie
  }, 240_000);
});
