// Finding 5 of issue 11 (the watcher's part): models cost what they cost to replay. An attacker
// floods the watcher with claims of a slow model while the watcher is in a dispute; a watcher that
// replays every new claim before it plays its disputes lets its own clock run out.
import { readDispute, registerModel, revealMidpoint } from '@verilay/chain';
import { randomModel } from '@verilay/inference';
import {
  lieFrom,
  makeClaim,
  postClaims,
  readClaims,
  timeOut,
  useAttackWorld,
  withOutput,
} from './support/attack-world';
import { eventually, sleep } from './support/e2e';

describe('watcher under a flood of slow claims (e2e)', () => {
  const spec = useAttackWorld('watcher-flood');

  it('reproduces finding 5: while it replays a flood of slow claims, the watcher lets its dispute clock run out and loses against a lie', async () => {
    const { w } = spec;
    // Registered on chain (its "verifiers" are any contract with code: nobody will prove it).
    const slow = randomModel({ seed: 7, kind: 'mlp', sizes: Array(8).fill(1024), name: 'slow' });
    const flood = await Promise.all([1, 2, 3, 4, 5, 6].map((seed) => makeClaim(w, seed, undefined, slow)));
    await registerModel(w.clients.deployer, w.deployment, {
      modelId: flood[0].claim.modelId,
      stepVerifiers: Array(slow.layers.length).fill(w.deployment.registry),
      traceLength: slow.layers.length,
    });
    const watcher = await spec.startWatcher();

    const lie = await makeClaim(w, 1, lieFrom(1));
    await postClaims(w, [lie]);
    await eventually(
      async () => ((await readClaims<bigint>(w, 'disputeCount')) === 1n ? true : undefined),
      30_000,
      'the watcher to dispute the lie',
    ).catch(withOutput(watcher));

    await postClaims(w, flood);
    await eventually(
      async () => (/"batch seen","batchIndex":1/.test(watcher.output()) ? true : undefined),
      30_000,
      'the watcher to see the flood',
    );
    const d = await readDispute(w.clients.operator, w.deployment, 1n);
    const mid = Math.floor((d.lo + d.hi) / 2);
    await revealMidpoint(
      w.clients.operator,
      w.deployment,
      1n,
      lie.traceTree.commitments[mid],
      lie.traceTree.proof(mid),
    );

    await sleep(3000);
    // Still the watcher's move: it is busy replaying the flood.
    expect((await readDispute(w.clients.operator, w.deployment, 1n)).phaseName).toBe('await-choice');
    await timeOut(w, 1n);
    const end = await readDispute(w.clients.operator, w.deployment, 1n);
    expect(end).toMatchObject({ phaseName: 'resolved', challengerWon: false }); // the lie survives
  }, 240_000);
});
