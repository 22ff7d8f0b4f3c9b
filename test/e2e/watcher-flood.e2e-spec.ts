// Finding 5 of issue 11 (the watcher's part): models cost what they cost to replay. An attacker
// floods the watcher with claims of a slow model while the watcher is in a dispute; a watcher that
// replayed every new claim before it played its disputes let its own clock run out (it did
// before the fix, 7ab7dfc). Now disputes are played in a loop of their own, a replay past the
// budget is abandoned (never disputed), and only models registered on chain are replayed.
import { devAccount, devPrivateKey, readDispute, registerModel, revealMidpoint } from '@verilay/chain';
import { randomModel } from '@verilay/inference';
import {
  defend,
  lieFrom,
  makeClaim,
  postClaims,
  readClaims,
  ROLES,
  useAttackWorld,
  withOutput,
  type PostedClaim,
} from './support/attack-world';
import { eventually } from './support/e2e';

describe('watcher under a flood of slow claims (e2e)', () => {
  const spec = useAttackWorld('watcher-flood');
  // Registered on chain (its "verifiers" are any contract with code: nobody will prove it).
  const slow = randomModel({ seed: 7, kind: 'mlp', sizes: Array(8).fill(1024), name: 'slow' });
  let flood: PostedClaim[];
  // The slow model is ~7 MB of canonical bytes (25 MB as a JSON document): a watcher caps model
  // answers at WATCHER_MODEL_MAX_MB (finding 6b), set here as an operator would for its verifier.
  const MODEL_MAX = { WATCHER_MODEL_MAX_MB: '32' };
  const verdicts = (metrics: string, verdict: string) =>
    Number(
      metrics.match(
        new RegExp(`verilay_watcher_claims_checked_total\\{verdict="${verdict}"\\} (\\d+)`),
      )?.[1] ?? 0,
    );

  it('finding 5: the watcher plays its dispute while it replays a flood of slow claims, and wins', async () => {
    const { w } = spec;
    flood = await Promise.all([1, 2, 3, 4, 5, 6].map((seed) => makeClaim(w, seed, lieFrom(0), slow)));
    await registerModel(w.clients.deployer, w.deployment, {
      modelId: flood[0].claim.modelId,
      stepVerifiers: Array(slow.layers.length).fill(w.deployment.registry),
      traceLength: slow.layers.length,
    });
    const watcher = await spec.startWatcher(MODEL_MAX);

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
    // The watcher answers at once, while the flood is still being replayed.
    await eventually(
      async () =>
        (await readDispute(w.clients.operator, w.deployment, 1n)).phaseName !== 'await-choice'
          ? true
          : undefined,
      10_000,
      'the watcher to choose',
    ).catch(withOutput(watcher));
    expect(verdicts(await watcher.metrics(), 'wrong')).toBeLessThan(1 + flood.length);
    const end = await defend(w, 1n, lie);
    expect(end).toMatchObject({ phaseName: 'resolved', challengerWon: true });
    await watcher.stop();
  }, 240_000);

  it('finding 5: a replay past the budget is abandoned and never disputed; a model not registered on chain is not replayed', async () => {
    const { w } = spec;
    const cheap = randomModel({ seed: 8, kind: 'mlp', sizes: [6, 4, 3], name: 'unregistered' });
    await postClaims(w, [await makeClaim(w, 9, lieFrom(0), cheap)]);
    // Another challenger, whose budget no replay of the slow model fits in.
    const watcher = await spec.startWatcher({
      ...MODEL_MAX,
      WATCHER_KEY: devPrivateKey(ROLES.stranger),
      WATCHER_REPLAY_TIMEOUT_MS: '300',
    });
    await eventually(
      async () => {
        const m = await watcher.metrics();
        return verdicts(m, 'too-costly') === flood.length && verdicts(m, 'unregistered') === 1
          ? m
          : undefined;
      },
      120_000,
      'the flood abandoned and the unregistered model skipped',
    ).catch(withOutput(watcher));
    expect(await watcher.metrics()).toMatch(/verilay_watcher_replays_abandoned_total \d+/);
    expect(watcher.output()).toMatch(/replay abandoned: past the budget/);
    const count = await readClaims<bigint>(w, 'disputeCount');
    for (let id = 1n; id <= count; id++)
      expect((await readClaims<{ challenger: string }>(w, 'dispute', [id])).challenger).not.toBe(
        devAccount(ROLES.stranger).address,
      );
  }, 240_000);
});
