// Finding 2 of issue 11: a liar's friend disputes the lie first, stalls, and loses on purpose (its
// clock runs out). The contract reopens the posting for a new window; a watcher that kept only the
// batch's first window had given up by then and the lie became final (before the fix, cac9e94).
// Now the watcher follows each posting by the contract's view until it is slashed or final,
// disputes it as soon as it can, and disputes every posting of a wrong leaf. Finding 3b: the
// friends park their dispute instead (nobody moves, nobody calls timeout; reproduced in e7502a5);
// the watcher ends it by `timeout` once the side on the move has spent its clock.
import { devAccount, provideSignature, readDispute, revealMidpoint } from '@verilay/chain';
import type { WatcherProcess } from '@verilay/client';
import {
  advance,
  ATTACK_PARAMS,
  defend,
  disputeAs,
  lieFrom,
  makeClaim,
  postClaims,
  readClaims,
  ROLES,
  timeOut,
  useAttackWorld,
  withOutput,
  type AttackWorld,
  type PostedBatch,
  type PostedClaim,
} from './support/attack-world';
import { eventually } from './support/e2e';

describe('watcher against a colluding challenger (e2e)', () => {
  const spec = useAttackWorld('watcher-reopen');
  const CLOCK = Number(ATTACK_PARAMS.clock);
  let watcher: WatcherProcess | undefined;
  const status = (w: AttackWorld, b: PostedBatch, c: PostedClaim) =>
    readClaims<number>(w, 'claimStatus', [b.batchIndex, c.leaf, b.tree.proof(c.leaf)]);
  /** The watcher's dispute on `c` through `b`, once it has opened one. */
  const watcherDispute = (w: AttackWorld, b: PostedBatch, c: PostedClaim) =>
    eventually(
      async () => {
        const count = await readClaims<bigint>(w, 'disputeCount');
        for (let id = 1n; id <= count; id++) {
          const d = await readClaims<{ challenger: string; leaf: string; batchIndex: number }>(w, 'dispute', [
            id,
          ]);
          if (
            d.challenger === devAccount(ROLES.watcher).address &&
            d.leaf === c.leaf &&
            BigInt(d.batchIndex) === b.batchIndex
          )
            return id;
        }
        return undefined;
      },
      30_000,
      'the watcher to dispute the posting',
    ).catch(withOutput(watcher));

  /** Waits until the posting is slashed, through the watcher's dispute `id`. */
  async function slashedBy(w: AttackWorld, b: PostedBatch, c: PostedClaim, id: bigint) {
    await eventually(
      async () => ((await status(w, b, c)) === 4 ? true : undefined),
      30_000,
      `posting ${b.batchIndex} slashed`,
    ).catch(withOutput(watcher));
    expect(await readDispute(w.clients.operator, w.deployment, id)).toMatchObject({ challengerWon: true });
  }

  /** The friend's stall: an unsigned dispute, the liars' answers near the end of each clock, then its own clock runs out. */
  async function stallAndLose(w: AttackWorld, c: PostedClaim, disputeId: bigint) {
    await advance(w, CLOCK - 10);
    await provideSignature(w.clients.sequencer, w.deployment, disputeId, c.claim, c.signature);
    await advance(w, CLOCK - 10);
    const d = await readDispute(w.clients.operator, w.deployment, disputeId);
    const mid = Math.floor((d.lo + d.hi) / 2);
    await revealMidpoint(
      w.clients.operator,
      w.deployment,
      disputeId,
      c.traceTree.commitments[mid],
      c.traceTree.proof(mid),
    );
    await timeOut(w, disputeId);
  }

  it('finding 2: after a friend of the liar stalls and loses, the watcher disputes the reopened posting and wins', async () => {
    const { w } = spec;
    const lie = await makeClaim(w, 1, lieFrom(1));
    const batch = await postClaims(w, [lie]);
    const { disputeId } = await disputeAs('friend', w, lie, batch, { unsigned: true });
    const started = (watcher = await spec.startWatcher());
    await eventually(
      async () => (/posting disputed by another challenger/.test(started.output()) ? true : undefined),
      30_000,
      'the watcher to see the friend’s dispute',
    ).catch(withOutput(watcher));

    await stallAndLose(w, lie, disputeId);
    expect(await readDispute(w.clients.operator, w.deployment, disputeId)).toMatchObject({
      phaseName: 'resolved',
      challengerWon: false,
    });
    // The batch's window is over; the posting's reopened one is not, and the watcher takes it.
    const batchEnd = (await readClaims<{ windowEnd: bigint }>(w, 'batch', [batch.batchIndex])).windowEnd;
    expect((await w.clients.stranger.public.getBlock()).timestamp).toBeGreaterThan(batchEnd);
    const mine = await watcherDispute(w, batch, lie);
    expect(await defend(w, mine, lie)).toMatchObject({ phaseName: 'resolved', challengerWon: true });
    expect(await status(w, batch, lie)).toBe(4); // Slashed
    await advance(w, Number(ATTACK_PARAMS.challengeWindow) + 1);
    expect(await status(w, batch, lie)).toBe(4); // and never final
  }, 240_000);

  /** Waits until the chain calls the posting slashed (it went with the leaf, no dispute of its own). */
  const slashedWithTheLeaf = (w: AttackWorld, b: PostedBatch, c: PostedClaim) =>
    eventually(
      async () => ((await status(w, b, c)) === 4 ? true : undefined),
      30_000,
      `posting ${b.batchIndex} slashed with the leaf`,
    ).catch(withOutput(watcher));

  it('finding 2: while a friend stalls one posting of a wrong leaf, the watcher disputes another at once; its win slashes both', async () => {
    const { w } = spec;
    const lie = await makeClaim(w, 2, lieFrom(1));
    // The same signed lie, posted twice; the friend stalls a dispute through the first posting.
    const first = await postClaims(w, [lie]);
    const second = await postClaims(w, [lie]);
    const { disputeId } = await disputeAs('friend', w, lie, first, { unsigned: true });
    // The watcher does not wait for the friend: it disputes the second posting at once.
    const onSecond = await watcherDispute(w, second, lie);
    await stallAndLose(w, lie, disputeId); // moves time past the watcher's defender's clock too
    await slashedBy(w, second, lie, onSecond);
    // The liar signed and let its clock run out: that slashes the leaf in every posting not yet
    // final (7f7ab6d), the first one too once the friend's dispute is over.
    await slashedWithTheLeaf(w, first, lie);
    await advance(w, Number(ATTACK_PARAMS.challengeWindow) + 1);
    expect([await status(w, first, lie), await status(w, second, lie)]).toEqual([4, 4]);
  }, 240_000);

  it('finding 2: a lie reposted alone in a batch whose data nobody serves is disputed there too', async () => {
    const { w } = spec;
    const lie = await makeClaim(w, 3, lieFrom(1));
    const first = await postClaims(w, [lie]);
    const { disputeId } = await disputeAs('friend', w, lie, first, { unsigned: true });
    // The liars' own sequencer reposts it; their verifier serves nothing for that batch.
    const own = await postClaims(w, [lie]);
    w.verifier.batches.delete(Number(own.batchIndex));
    // While the friend stalls the served posting, the watcher disputes the reposting (root = leaf).
    const onOwn = await watcherDispute(w, own, lie);
    await stallAndLose(w, lie, disputeId);
    await slashedBy(w, own, lie, onOwn);
    await slashedWithTheLeaf(w, first, lie);
  }, 240_000);

  it('finding 3b: a friend parks its dispute at its own move; the watcher times it out, disputes the reopened posting and wins', async () => {
    const { w } = spec;
    watcher ??= await spec.startWatcher();
    const lie = await makeClaim(w, 4, lieFrom(1));
    const batch = await postClaims(w, [lie]);
    // The friend disputes, the liar reveals its first midpoint at once, and the friend never chooses.
    const { disputeId } = await disputeAs('friend', w, lie, batch);
    const d = await readDispute(w.clients.operator, w.deployment, disputeId);
    const mid = Math.floor((d.lo + d.hi) / 2);
    await revealMidpoint(
      w.clients.operator,
      w.deployment,
      disputeId,
      lie.traceTree.commitments[mid],
      lie.traceTree.proof(mid),
    );
    await advance(w, CLOCK + 1);
    await eventually(
      async () =>
        (await readDispute(w.clients.operator, w.deployment, disputeId)).phaseName === 'resolved'
          ? true
          : undefined,
      30_000,
      'the watcher to time out the parked dispute',
    ).catch(withOutput(watcher));
    expect(await readDispute(w.clients.operator, w.deployment, disputeId)).toMatchObject({
      challengerWon: false,
    });
    expect(watcher.output()).toMatch(/foreign dispute timed out \(challenger clock spent\)/);
    // The posting reopened; the watcher disputes it itself and wins.
    const mine = await watcherDispute(w, batch, lie);
    expect(await defend(w, mine, lie)).toMatchObject({ phaseName: 'resolved', challengerWon: true });
    expect(await status(w, batch, lie)).toBe(4); // Slashed
  }, 240_000);

  it("finding 3b: a dispute parked at the liar's move is timed out by the watcher, which slashes the posting", async () => {
    const { w } = spec;
    watcher ??= await spec.startWatcher();
    const lie = await makeClaim(w, 5, lieFrom(1));
    const batch = await postClaims(w, [lie]);
    const { disputeId } = await disputeAs('friend', w, lie, batch); // the liar never reveals
    await advance(w, CLOCK + 1);
    await eventually(
      async () => ((await status(w, batch, lie)) === 4 ? true : undefined),
      30_000,
      'the watcher to time out the parked dispute',
    ).catch(withOutput(watcher));
    expect(await readDispute(w.clients.operator, w.deployment, disputeId)).toMatchObject({
      phaseName: 'resolved',
      challengerWon: true,
    });
    expect(watcher.output()).toMatch(/foreign dispute timed out \(defender clock spent\)/);
  }, 240_000);
});
