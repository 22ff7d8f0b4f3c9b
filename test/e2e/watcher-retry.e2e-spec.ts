// Finding 6c (a review of finding 6's defence): one bad answer from the verifier, or from anyone on
// the plain-HTTP path (or a replica briefly behind), made the watcher give up on a batch or a claim
// for good: a batch that did not match its root was marked 'unavailable', a missing input recorded
// 'no-data', and neither was looked at again, so the lie in it became final (reproduced in
// a60e0ed). Now such answers are looked at again, with backoff, until the chain settles the
// posting, and a malformed answer is one more wrong answer, never an exception on every pass.
import type { BatchView, WatcherProcess } from '@verilay/client';
import {
  advance,
  ATTACK_PARAMS,
  defend,
  fake,
  lieFrom,
  makeClaim,
  postClaims,
  readClaims,
  useAttackWorld,
  withOutput,
  type AttackWorld,
  type PostedBatch,
  type PostedClaim,
} from './support/attack-world';
import { eventually } from './support/e2e';

const FINAL = 3;
const SLASHED = 4;

describe('watcher against a verifier that answers wrong once (e2e)', () => {
  const spec = useAttackWorld('watcher-retry');
  let watcher: WatcherProcess | undefined;
  const status = (w: AttackWorld, b: PostedBatch, c: PostedClaim) =>
    readClaims<number>(w, 'claimStatus', [b.batchIndex, c.leaf, b.tree.proof(c.leaf)]);
  const seen = (pattern: RegExp, what: string) =>
    eventually(async () => (pattern.test(watcher!.output()) ? true : undefined), 30_000, what).catch(
      withOutput(watcher),
    );

  /** The good data is served again: the watcher looks again, disputes the lie and wins. */
  async function disputesAndWins(w: AttackWorld, b: PostedBatch, c: PostedClaim) {
    const id = await eventually(
      async () => {
        const count = await readClaims<bigint>(w, 'disputeCount');
        for (let i = 1n; i <= count; i++) {
          const d = await readClaims<{ leaf: string; batchIndex: number }>(w, 'dispute', [i]);
          if (d.leaf === c.leaf && BigInt(d.batchIndex) === b.batchIndex) return i;
        }
        return undefined;
      },
      30_000,
      'the watcher to dispute the lie once the data is right',
    ).catch(withOutput(watcher));
    expect(await defend(w, id, c)).toMatchObject({ phaseName: 'resolved', challengerWon: true });
    expect(await status(w, b, c)).toBe(SLASHED);
  }

  it('finding 6c: a batch served as junk, then not matching its root, then right: the watcher disputes the lie in it and wins', async () => {
    const { w } = spec;
    const lie = await makeClaim(w, 1, lieFrom(1));
    const batch = await postClaims(w, [lie]);
    const index = Number(batch.batchIndex);
    const good = w.verifier.batches.get(index)!;
    w.verifier.batches.set(index, { claims: null } as unknown as BatchView); // junk: once threw every pass
    watcher = await spec.startWatcher();
    await seen(/the answer has no list of claims/, 'the watcher to read the junk');
    // A spoofed answer: the claim's trace root altered, so its leaf is not the one on chain.
    w.verifier.batches.set(index, {
      ...good,
      claims: good.claims.map((c) => ({ ...c, traceRoot: fake(c.traceRoot, 1) })),
    });
    await seen(/served data does not match the root on chain/, 'the watcher to read the spoofed batch');
    expect(watcher.output()).not.toMatch(/batch check failed/); // no exception loop

    w.verifier.batches.set(index, good);
    await disputesAndWins(w, batch, lie);
  }, 240_000);

  it('finding 6c: a wrong claim whose input is missing, then tampered, then right: the watcher disputes it and wins', async () => {
    const { w } = spec;
    const lie = await makeClaim(w, 2, lieFrom(1));
    const batch = await postClaims(w, [lie]);
    const task = w.verifier.tasks.get(lie.leaf)!;
    w.verifier.tasks.delete(lie.leaf); // a 404, as from a replica briefly behind
    await seen(new RegExp(`claim data unusable.*${lie.leaf}.*not here`), 'the watcher to miss the input');
    w.verifier.tasks.set(lie.leaf, { ...task, data: task.data.map((v, i) => (i ? v : v ^ 1)) });
    await seen(/does not match the input commitment/, 'the watcher to read the tampered input');

    w.verifier.tasks.set(lie.leaf, task);
    await disputesAndWins(w, batch, lie);
  }, 240_000);

  it('finding 6c: a batch never served right is recorded unavailable only once its window has closed', async () => {
    const { w } = spec;
    const lie = await makeClaim(w, 3, lieFrom(1));
    const batch = await postClaims(w, [lie]);
    w.verifier.batches.delete(Number(batch.batchIndex));
    const unavailable = new RegExp(`"batch data unavailable","batchIndex":${batch.batchIndex}`);
    await seen(new RegExp(`"batch data unusable[^"]*","batchIndex":${batch.batchIndex}`), 'a retried batch');
    expect(watcher!.output()).not.toMatch(unavailable);

    await advance(w, Number(ATTACK_PARAMS.challengeWindow) + 1);
    await seen(unavailable, 'the batch recorded unavailable after its window');
    expect(await status(w, batch, lie)).toBe(FINAL); // what a verifier that never serves data buys
  }, 120_000);
});
