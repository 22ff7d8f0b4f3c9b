// Finding 3 of issue 11 (docs/security.md): anyone can drain the sequencer's bond. A fresh,
// unbonded key self-signs a false claim of a model the chain does not know, with no task input;
// the verifier posts it; the key's friend disputes it, the verifier cannot defend it, and the
// contract takes the operator's missing stake from the sequencer.
import {
  claimTimeout,
  createChainClients,
  devAccount,
  openDispute,
  readDispute,
  verilayClaimsAbi,
  type ChainClients,
  type VerilayDeployment,
} from '@verilay/chain';
import { buildClaim, chainDeployment, freePort, VerifierProcess, type ChainView } from '@verilay/client';
import { BatchTree, createTensorCommitter, toHex32 } from '@verilay/commitments';
import { modelToJson, randomInput, randomModel } from '@verilay/inference';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { batchOnChain, eventually, sleep, VERIFIER_ENTRY } from './support/e2e';

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

  it('REPRODUCES finding 3: an unbonded key self-signs a claim, its friend disputes it and takes the sequencer bond', async () => {
    const committer = await createTensorCommitter();
    const stranger = privateKeyToAccount(generatePrivateKey()); // no bond, no ether
    const claim = await buildClaim({
      model,
      input: randomInput(model, 1),
      taskId: toHex32(1n),
      account: stranger,
      domain: chain.domain,
      committer,
      lie: (out) => out.map((v) => v + 1),
      withoutInput: true,
    });
    const sequencerBefore = (await account(chain.sequencer)).bond;
    const creditBefore = await credit(challenger.account.address);

    const [{ claimId }] = (await verifier.client.submitClaims([claim])).claims;
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

    const dispute = await readDispute(challenger, deployment, disputeId);
    expect(dispute.challengerWon).toBe(true);
    // REPRODUCTION: the sequencer paid the unbonded operator's whole stake; the attacker's side
    // got its bond back plus the winner's share of the sequencer's money.
    expect((await account(chain.sequencer)).bond).toBe(sequencerBefore - STAKE);
    expect((await credit(challenger.account.address)) - creditBefore).toBe(STAKE + STAKE / 2n);
    expect((await account(stranger.address)).bond).toBe(0n);
    expect(verifier.output()).toMatch(/dispute conceded/);
  }, 180_000);
});
