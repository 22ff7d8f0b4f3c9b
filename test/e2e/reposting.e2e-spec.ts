// Finding 9 of issue 11 (docs/security.md): a griefer reposts an honest signed claim under its own
// sequencer and disputes it there without the signature while the verifier is away. The contract
// slashes only the griefer's posting (a timeout); the verifier, back, must see that its own posting
// is untouched: its claim stays posted and turns final, never slashed (it used to follow any
// dispute over the leaf and mark its claim slashed).
import {
  claimTimeout,
  createChainClients,
  depositBond,
  devAccount,
  openDispute,
  postBatch,
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
import {
  batchOnChain,
  eventually,
  finalAtVerifier,
  sleep,
  VERIFIER_ENTRY,
  standInModel,
} from './support/e2e';

const CLOCK_S = 10;
const STAKE = 10n ** 17n;

describe('a griefer reposts an honest claim (e2e, issue 11 finding 9)', () => {
  const model = randomModel({ seed: 43, kind: 'mlp', sizes: [5, 3], argmax: true, name: 'reposted' });
  let dir: string;
  let env: Record<string, string>;
  let verifier: VerifierProcess | undefined;
  let paused: number | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-repost-e2e-'));
    env = {
      VERIFIER_DB: join(dir, 'verifier.sqlite'),
      VERIFIER_ANVIL_PORT: String(await freePort()),
      VERIFIER_CHALLENGE_WINDOW_MS: '20000',
      VERIFIER_DISPUTE_CLOCK_S: String(CLOCK_S),
      VERIFIER_BATCH_INTERVAL_MS: '200',
    };
  });
  afterAll(async () => {
    if (paused) process.kill(paused, 'SIGCONT');
    await verifier?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a timeout through the griefer's posting leaves the verifier's own posting, its status and the operator's bond untouched", async () => {
    verifier = await VerifierProcess.start(VERIFIER_ENTRY, env);
    const { chain, deployment, connection, operator } = await standInModel(verifier, model, {
      settle: 'whole',
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
    const ours = await batchOnChain(verifier.client, claimId);
    const tree = new BatchTree([claimId]);
    const account = (who: `0x${string}`) =>
      operator.public.readContract({
        address: deployment.claims,
        abi: verilayClaimsAbi,
        functionName: 'account',
        args: [who],
      });
    const operatorBefore = (await account(operator.account.address)).bond;

    // The griefer reposts the leaf under its own bonded sequencer...
    const griefer = createChainClients(connection, devAccount(6));
    await depositBond(griefer, deployment, STAKE);
    const theirs = await postBatch(griefer, deployment, { root: tree.root, count: 1, dataHash: tree.root });
    // ...and, while the verifier is paused (its embedded chain, a child process, keeps mining),
    // disputes it there without the signature and waits.
    const pid = verifier.child.pid!;
    process.kill(pid, 'SIGSTOP');
    paused = pid;
    const { disputeId } = await openDispute(griefer, deployment, {
      batchIndex: theirs.batchIndex,
      claim: honest,
      inclusionProof: tree.proof(claimId),
      signature: '0x',
      bond: STAKE,
    });
    await sleep((CLOCK_S + 2) * 1000);
    await eventually(
      () =>
        claimTimeout(griefer, deployment, disputeId).then(
          () => true,
          () => undefined,
        ),
      15_000,
      'the timeout',
    );
    expect((await readDispute(griefer, deployment, disputeId)).challengerWon).toBe(true);
    // Only the griefer's posting is slashed, and its own sequencer bond paid.
    const status = (batchIndex: bigint) =>
      readClaimStatus(griefer, deployment, batchIndex, claimId, tree.proof(claimId));
    expect(await status(theirs.batchIndex)).toBe('slashed');
    expect(await status(BigInt(ours.chainIndex!))).not.toBe('slashed');
    expect((await account(operator.account.address)).bond).toBe(operatorBefore);

    // The verifier comes back, reads both events, and keeps its claim: posted, then final.
    process.kill(pid, 'SIGCONT');
    paused = undefined;
    await eventually(
      async () =>
        /verilay_disputes_total\{event="lost"\} 1/.test(
          await (await fetch(`${verifier!.url}/metrics`)).text(),
        )
          ? true
          : undefined,
      20_000,
      'the verifier to read the dispute',
    );
    expect((await verifier.client.getClaim(claimId)).status).toBe('posted');
    expect(verifier.output()).toMatch(/a posting of our claim lost a dispute/);
    await finalAtVerifier(verifier.client, claimId, 60_000);
    const view = await verifier.client.getClaim(claimId);
    expect(view.history.map((h) => h.to)).toEqual(['submitted', 'posted', 'final']);
    expect(await status(BigInt(ours.chainIndex!))).toBe('final');
    expect((await account(operator.account.address)).bond).toBe(operatorBefore);
  }, 180_000);
});
