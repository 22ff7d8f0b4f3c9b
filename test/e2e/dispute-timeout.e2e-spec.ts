// Finding 3b of docs/security.md: nobody called the contract's `timeout()` for the verifier. A
// griefer disputes a true claim of the verifier, the defender reveals the midpoint, and the
// griefer never chooses a half. Its clock runs out, but a dispute only ends when someone calls
// `timeout`: the posting stayed disputed, the operator's stake locked, the batch unfinalizable,
// and the griefer lost nothing (reproduced in 2e28f89). Now the defender calls `timeout` once the
// challenger's clock is spent by block time: the dispute ends upheld and the claim turns final.
import {
  createChainClients,
  devAccount,
  openDispute,
  readClaimStatus,
  readDispute,
  verilayClaimsAbi,
} from '@verilay/chain';
import { buildClaim, freePort, VerifierProcess } from '@verilay/client';
import { BatchTree, createTensorCommitter, toHex32 } from '@verilay/commitments';
import { randomInput, randomModel } from '@verilay/inference';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchOnChain, eventually, finalAtVerifier, VERIFIER_ENTRY, standInModel } from './support/e2e';

const CLOCK_S = 10;
const STAKE = 10n ** 17n;

describe('a griefer parks a dispute on a true claim (e2e, finding 3b)', () => {
  const model = randomModel({ seed: 47, kind: 'mlp', sizes: [6, 4, 3], argmax: true, name: 'parked' });
  let dir: string;
  let verifier: VerifierProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-parked-e2e-'));
  });
  afterAll(async () => {
    await verifier?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finding 3b: when the griefer never chooses, the defender times it out: upheld, stake unlocked, claim final', async () => {
    verifier = await VerifierProcess.start(VERIFIER_ENTRY, {
      VERIFIER_DB: join(dir, 'verifier.sqlite'),
      VERIFIER_ANVIL_PORT: String(await freePort()),
      VERIFIER_CHALLENGE_WINDOW_MS: '20000',
      VERIFIER_DISPUTE_CLOCK_S: String(CLOCK_S),
      VERIFIER_BATCH_INTERVAL_MS: '200',
    });
    // Settled by bisection.
    const { chain, deployment, connection, operator } = await standInModel(verifier, model, {
      settle: 'steps',
      operator: 2,
      bond: 10n * STAKE,
    });
    const honest = await buildClaim({
      model,
      input: randomInput(model, 1),
      taskId: toHex32(1n),
      account: devAccount(2),
      domain: chain.domain,
      committer: await createTensorCommitter(),
    });
    const [{ claimId }] = (await verifier.client.submitClaims([honest])).claims;
    const batch = await batchOnChain(verifier.client, claimId);
    const batchIndex = BigInt(batch.chainIndex!);
    const tree = new BatchTree([claimId]);
    const locked = async () =>
      (
        await operator.public.readContract({
          address: deployment.claims,
          abi: verilayClaimsAbi,
          functionName: 'account',
          args: [operator.account.address],
        })
      ).locked;

    // The griefer disputes the true claim through the verifier's own posting...
    const griefer = createChainClients(connection, devAccount(6));
    const { disputeId } = await openDispute(griefer, deployment, {
      batchIndex,
      claim: honest,
      inclusionProof: tree.proof(claimId),
      signature: honest.signature,
      bond: STAKE,
    });
    // ...the defender reveals the first midpoint, and the griefer never chooses a half.
    const parked = await eventually(
      async () => {
        const d = await readDispute(griefer, deployment, disputeId);
        return d.phaseName === 'await-choice' ? d : undefined;
      },
      30_000,
      'the defender to reveal',
    );
    // Its clock runs out by block time, with slack for the verifier's next passes.
    const expiry = parked.turnStartedAt + parked.challengerClock + 5n;
    await eventually(
      async () => ((await griefer.public.getBlock()).timestamp > expiry ? true : undefined),
      (CLOCK_S + 20) * 1000,
      'the griefer’s clock to run out',
    );

    // The defender ends the dispute: upheld, the griefer's bond lost, the operator's stake free.
    const ended = await readDispute(griefer, deployment, disputeId);
    expect(ended).toMatchObject({ phaseName: 'resolved', challengerWon: false });
    expect(await locked()).toBe(0n);
    expect(verifier.output()).toMatch(/timeout \(challenger-clock\)/);
    const metrics = await (await fetch(`${verifier.url}/metrics`)).text();
    expect(metrics).toContain('verilay_dispute_timeouts_total{reason="challenger-clock"} 1');
    // The posting reopens for a window (a lost dispute proves nothing), then turns final.
    const proof = tree.proof(claimId);
    expect(await readClaimStatus(griefer, deployment, batchIndex, claimId, proof)).toBe('challengeable');
    await finalAtVerifier(verifier.client, claimId, 60_000);
    expect(await readClaimStatus(griefer, deployment, batchIndex, claimId, proof)).toBe('final');
    const view = await verifier.client.getClaim(claimId);
    expect(view.history.map((h) => h.to)).toEqual(['submitted', 'posted', 'challenged', 'posted', 'final']);
    expect(view.history[3].reason).toMatch(/timeout/);
  }, 180_000);
});
