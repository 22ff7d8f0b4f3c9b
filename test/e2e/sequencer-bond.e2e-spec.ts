// Finding 3 of issue 11 (docs/security.md): anyone could drain the sequencer's bond. A fresh,
// unbonded key self-signed a false claim of a model the chain does not know, with no task input;
// the verifier posted it; the key's friend disputed it, the verifier could not defend it, and the
// contract took the operator's missing stake from the sequencer. Now the verifier posts only
// claims it can defend or that are backed, and the liar's own bond pays.
import {
  claimTimeout,
  createChainClients,
  depositBond,
  devAccount,
  openDispute,
  readDispute,
  registerModel,
  requestWithdrawal,
  verilayClaimsAbi,
  type ChainClients,
  type VerilayDeployment,
} from '@verilay/chain';
import { buildClaim, chainDeployment, freePort, VerifierProcess, type ChainView } from '@verilay/client';
import { BatchTree, claimLeaf, createTensorCommitter, toHex32 } from '@verilay/commitments';
import { computeModelId, modelToJson, randomInput, randomModel } from '@verilay/inference';
import type { ClaimSubmission } from '@verilay/protocol';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { batchOnChain, eventually, sleep, VERIFIER_ENTRY, standInModel } from './support/e2e';

const CLOCK_S = 10;
const STAKE = 10n ** 17n; // the embedded deployment's DISPUTE_STAKE and CHALLENGER_BOND

describe('sequencer bond (e2e, issue 11 finding 3)', () => {
  const model = randomModel({ seed: 41, kind: 'mlp', sizes: [5, 3], argmax: true, name: 'drain' });
  let dir: string;
  let verifier: VerifierProcess;
  let chain: ChainView;
  let deployment: VerilayDeployment;
  let challenger: ChainClients;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-bond-e2e-'));
    verifier = await VerifierProcess.start(VERIFIER_ENTRY, {
      VERIFIER_DB: join(dir, 'verifier.sqlite'),
      VERIFIER_ANVIL_PORT: String(await freePort()),
      VERIFIER_CHALLENGE_WINDOW_MS: '60000',
      VERIFIER_DISPUTE_CLOCK_S: String(CLOCK_S),
      VERIFIER_BATCH_INTERVAL_MS: '200',
    });
    chain = await verifier.client.chain();
    deployment = chainDeployment(chain);
    challenger = createChainClients({ rpcUrl: chain.rpcUrl!, chainId: chain.chainId }, devAccount(4));
    // Model registration at the verifier is open (finding 8); the chain's registry never hears of it.
    await verifier.client.registerModel(modelToJson(model));
  }, 120_000);

  afterAll(async () => {
    await verifier?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const account = (who: `0x${string}`) =>
    challenger.public.readContract({
      address: deployment.claims,
      abi: verilayClaimsAbi,
      functionName: 'account',
      args: [who],
    });
  const credit = (who: `0x${string}`) =>
    challenger.public.readContract({
      address: deployment.claims,
      abi: verilayClaimsAbi,
      functionName: 'credit',
      args: [who],
    });

  const drainAttempt = async (stranger: PrivateKeyAccount, task: bigint, withInput: boolean) =>
    buildClaim({
      model,
      input: randomInput(model, Number(task)),
      taskId: toHex32(task),
      account: stranger,
      domain: chain.domain,
      committer: await createTensorCommitter(),
      lie: (out) => out.map((v) => v + 1),
      withoutInput: !withInput,
    });
  const dispute = async (claim: ClaimSubmission, claimId: `0x${string}`) => {
    const batch = await batchOnChain(verifier.client, claimId);
    const tree = new BatchTree([claimId]);
    expect(tree.root).toBe(batch.root);
    const { disputeId } = await openDispute(challenger, deployment, {
      batchIndex: BigInt(batch.chainIndex!),
      claim,
      inclusionProof: tree.proof(claimId),
      signature: claim.signature,
      bond: STAKE,
    });
    await sleep((CLOCK_S + 2) * 1000);
    await eventually(
      () =>
        claimTimeout(challenger, deployment, disputeId).then(
          () => true,
          () => undefined, // the chain's clock lags a block behind ours
        ),
      15_000,
      'the defender clock to run out',
    );
    return readDispute(challenger, deployment, disputeId);
  };
  const batchCount = () =>
    challenger.public.readContract({
      address: deployment.claims,
      abi: verilayClaimsAbi,
      functionName: 'batchCount',
    });

  it('finding 3 fixed: an unbonded key cannot get its self-signed claims posted, so the sequencer bond is never at stake', async () => {
    const stranger = privateKeyToAccount(generatePrivateKey()); // no bond, no ether
    const sequencerBefore = (await account(chain.sequencer)).bond;
    const batchesBefore = await batchCount();
    const refused = async (claim: ClaimSubmission) => {
      const error = await verifier.client.submitClaims([claim]).then(
        () => null,
        (e: { code?: string }) => e,
      );
      // Nothing is stored: the claim is unknown afterwards.
      await expect(verifier.client.getClaim(claimLeaf(claim))).rejects.toMatchObject({
        code: 'CLAIM_NOT_FOUND',
      });
      return error?.code;
    };

    // The attack as reproduced: no task input (and a model the chain does not know).
    expect(await refused(await drainAttempt(stranger, 1n, false))).toBe('TASK_INPUT_REQUIRED');
    // With its input: the model is not registered on chain, so nobody could answer a dispute.
    expect(await refused(await drainAttempt(stranger, 2n, true))).toBe('MODEL_NOT_ON_CHAIN');
    // The registrar registers the model (a stand-in verifier contract: nothing is proven here).
    const registrar = createChainClients({ rpcUrl: chain.rpcUrl!, chainId: chain.chainId }, devAccount(0));
    await registerModel(registrar, deployment, {
      modelId: computeModelId(model),
      wholeVerifier: deployment.claims,
      traceLength: model.layers.length,
    });
    // Still refused: the key has no bond to answer for its claim.
    expect(await refused(await drainAttempt(stranger, 3n, true))).toBe('OPERATOR_BOND_SHORT');

    await sleep(1500); // a few batching passes
    expect(await batchCount()).toBe(batchesBefore); // nothing was posted
    expect((await account(chain.sequencer)).bond).toBe(sequencerBefore);

    // Once the key bonds one stake, its lie is posted and a dispute takes the key's own stake.
    const funder = createChainClients({ rpcUrl: chain.rpcUrl!, chainId: chain.chainId }, devAccount(5));
    await funder.public.waitForTransactionReceipt({
      hash: await funder.wallet.sendTransaction({ to: stranger.address, value: 10n ** 18n }),
    });
    const strangerClients = createChainClients({ rpcUrl: chain.rpcUrl!, chainId: chain.chainId }, stranger);
    await depositBond(strangerClients, deployment, STAKE);
    const bonded = await drainAttempt(stranger, 4n, true);
    const [{ claimId }] = (await verifier.client.submitClaims([bonded])).claims;
    // A second claim would need a second stake.
    expect(await refused(await drainAttempt(stranger, 5n, true))).toBe('OPERATOR_BOND_SHORT');
    const creditBefore = await credit(challenger.account.address);
    const outcome = await dispute(bonded, claimId);
    expect(outcome.challengerWon).toBe(true);
    expect((await account(chain.sequencer)).bond).toBe(sequencerBefore);
    expect((await account(stranger.address)).bond).toBe(0n);
    expect((await credit(challenger.account.address)) - creditBefore).toBe(STAKE + STAKE / 2n);
    // The false claim was conceded because its replay gives another output, not for lack of data.
    expect(verifier.output()).toMatch(/dispute conceded[\s\S]*replay gives another output/);
    expect(verifier.output()).not.toMatch(/no task data/);
  }, 180_000);
});

describe('posting policy at batching time (e2e, issue 11 finding 3)', () => {
  const model = randomModel({ seed: 42, kind: 'mlp', sizes: [5, 3], argmax: true, name: 'held' });
  let dir: string;
  let env: Record<string, string>;
  let verifier: VerifierProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-held-e2e-'));
    env = {
      VERIFIER_DB: join(dir, 'verifier.sqlite'),
      VERIFIER_ANVIL_PORT: String(await freePort()),
      VERIFIER_CHALLENGE_WINDOW_MS: '60000',
      // One batching pass per boot: each restart below is one deterministic pass.
      VERIFIER_BATCH_INTERVAL_MS: String(3600 * 1000),
    };
  });
  afterAll(async () => {
    await verifier?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const restart = async () => {
    const port = verifier!.port;
    await verifier!.stop();
    verifier = await VerifierProcess.start(VERIFIER_ENTRY, env, port);
  };

  it("holds a claim whose operator's bond fell after intake, says why, and batches it once the bond is back", async () => {
    verifier = await VerifierProcess.start(VERIFIER_ENTRY, env);
    const { chain, deployment, operator } = await standInModel(verifier, model, {
      settle: 'whole',
      operator: 8,
      bond: STAKE,
    });
    const claim = await buildClaim({
      model,
      input: randomInput(model, 1),
      taskId: toHex32(1n),
      account: devAccount(8),
      domain: chain.domain,
      committer: await createTensorCommitter(),
    });
    const [{ claimId }] = (await verifier.client.submitClaims([claim])).claims;
    // After intake the operator asks for its bond back: nothing is free to answer a dispute.
    await requestWithdrawal(operator, deployment, STAKE);

    await restart();
    const held = await eventually(
      async () => {
        const view = await verifier!.client.getClaim(claimId);
        return view.reason ? view : undefined;
      },
      20_000,
      'the claim to be held',
    );
    expect(held).toMatchObject({ status: 'submitted', batch: null });
    expect(held.reason).toMatch(
      new RegExp(`^held: operator ${devAccount(8).address.toLowerCase()} has 0 wei of free bond`),
    );
    expect(await (await fetch(`${verifier!.url}/metrics`)).text()).toContain('verilay_claims_held_total 1');

    // The operator bonds again: the next pass batches the claim.
    await depositBond(operator, deployment, STAKE);
    await restart();
    const batched = await eventually(
      async () => {
        const view = await verifier!.client.getClaim(claimId);
        return view.status === 'posted' ? view : undefined;
      },
      20_000,
      'the claim to be batched',
    );
    expect(batched.reason).toBeNull();
    expect(batched.batch).not.toBeNull();
  }, 120_000);
});
