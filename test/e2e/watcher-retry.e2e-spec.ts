// Finding 6c (a review of finding 6's defence): one bad answer from the verifier, or from anyone on
// the plain-HTTP path (or a replica briefly behind), made the watcher give up on a batch or a claim
// for good: a batch that did not match its root was marked 'unavailable', a missing input recorded
// 'no-data', and neither was looked at again, so the lie in it became final.
import type { BatchView, WatcherProcess } from '@verilay/client';
import {
  advance,
  ATTACK_PARAMS,
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
import { eventually, sleep } from './support/e2e';

const FINAL = 3;

describe('watcher against a verifier that answers wrong once (e2e)', () => {
  const spec = useAttackWorld('watcher-retry');
  let watcher: WatcherProcess | undefined;
  const status = (w: AttackWorld, b: PostedBatch, c: PostedClaim) =>
    readClaims<number>(w, 'claimStatus', [b.batchIndex, c.leaf, b.tree.proof(c.leaf)]);
  const seen = (pattern: RegExp, what: string) =>
    eventually(async () => (pattern.test(watcher!.output()) ? true : undefined), 30_000, what).catch(
      withOutput(watcher),
    );

  /** The good data is served again; the watcher had a few seconds (many passes) to look again. */
  async function neverLooksAgain(w: AttackWorld, b: PostedBatch, c: PostedClaim) {
    const disputes = await readClaims<bigint>(w, 'disputeCount');
    await sleep(4_000);
    expect(await readClaims<bigint>(w, 'disputeCount')).toBe(disputes);
    await advance(w, Number(ATTACK_PARAMS.challengeWindow) + 1);
    expect(await status(w, b, c)).toBe(FINAL); // the lie is final
  }

  it('finding 6c (reproduction): a batch served wrong once is never checked again; the lie in it becomes final', async () => {
    const { w } = spec;
    const lie = await makeClaim(w, 1, lieFrom(1));
    const batch = await postClaims(w, [lie]);
    const index = Number(batch.batchIndex);
    const good = w.verifier.batches.get(index)!;
    // A spoofed answer: the claim's trace root altered, so its leaf is not the one on chain.
    const spoofed: BatchView = {
      ...good,
      claims: good.claims.map((c) => ({ ...c, traceRoot: fake(c.traceRoot, 1) })),
    };
    w.verifier.batches.set(index, spoofed);
    watcher = await spec.startWatcher();
    await seen(/batch data does not match the chain/, 'the watcher to read the spoofed batch');

    w.verifier.batches.set(index, good);
    await neverLooksAgain(w, batch, lie);
  }, 240_000);

  it('finding 6c (reproduction): a wrong claim whose input was missing once is never replayed again; it becomes final', async () => {
    const { w } = spec;
    const lie = await makeClaim(w, 2, lieFrom(1));
    const batch = await postClaims(w, [lie]);
    const task = w.verifier.tasks.get(lie.leaf)!;
    w.verifier.tasks.delete(lie.leaf); // a 404, as from a replica briefly behind
    await seen(new RegExp(`claim not replayable.*${lie.leaf}|${lie.leaf}.*claim not replayable`), '404');

    w.verifier.tasks.set(lie.leaf, task);
    await neverLooksAgain(w, batch, lie);
  }, 240_000);
});
