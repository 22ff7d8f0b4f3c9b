// Test support for the contract specs: a fresh anvil chain with verilay deployed, named actors,
// and helpers to make, sign and post claims. Specs isolate tests with anvil snapshots.
import {
  createAnvilTestClient,
  createChainClients,
  deployContracts,
  depositBond,
  devAccount,
  postBatch,
  startAnvil,
  verilayClaimsAbi,
  type AnvilInstance,
  type ChainClients,
  type ClaimsParameters,
  type DeployedContracts,
} from '@verilay/chain';
import {
  BatchTree,
  claimLeaf,
  createTensorCommitter,
  TraceTree,
  type Hex32,
  type TensorCommitter,
} from '@verilay/commitments';
import type { Model } from '@verilay/inference';
import {
  claimDomain,
  claimTypedData,
  executeTask,
  type ClaimDomain,
  type ClaimFields,
} from '@verilay/protocol';
import type { HDAccount } from 'viem';

export const ETH = 10n ** 18n;
export const ACTORS = ['deployer', 'sequencer', 'operator', 'challenger', 'challenger2', 'stranger'] as const;
export type ActorName = (typeof ACTORS)[number];

export const TEST_PARAMS = (treasury: `0x${string}`): ClaimsParameters => ({
  challengeWindow: 100n,
  clock: 50n,
  withdrawalDelay: 100n,
  challengerBond: ETH,
  disputeStake: ETH,
  sequencerBond: ETH,
  winnerShareBps: 5000,
  treasury,
});

export interface ChainFixture {
  readonly anvil: AnvilInstance;
  readonly clients: Record<ActorName, ChainClients>;
  readonly accounts: Record<ActorName, HDAccount>;
  readonly treasury: `0x${string}`;
  readonly deployment: DeployedContracts;
  readonly params: ClaimsParameters;
  readonly testClient: ReturnType<typeof createAnvilTestClient>;
  readonly committer: TensorCommitter;
  readonly domain: ClaimDomain;
}

/** Starts anvil, deploys verilay with the test parameters and bonds the sequencer and operator (5 ETH each). */
export async function startChainFixture(): Promise<ChainFixture> {
  const anvil = await startAnvil();
  const connection = { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId };
  const accounts = Object.fromEntries(ACTORS.map((name, i) => [name, devAccount(i)])) as Record<
    ActorName,
    HDAccount
  >;
  const clients = Object.fromEntries(
    ACTORS.map((name) => [name, createChainClients(connection, accounts[name])]),
  ) as Record<ActorName, ChainClients>;
  const treasury = devAccount(9).address;
  const params = TEST_PARAMS(treasury);
  const deployment = await deployContracts(clients.deployer, params);
  await depositBond(clients.sequencer, deployment, 5n * ETH);
  await depositBond(clients.operator, deployment, 5n * ETH);
  return {
    anvil,
    clients,
    accounts,
    treasury,
    deployment,
    params,
    testClient: createAnvilTestClient(connection),
    committer: await createTensorCommitter(),
    domain: claimDomain(anvil.chainId, deployment.claims),
  };
}

/** A claim, its signature and the trace behind it. */
export interface MadeClaim {
  readonly claim: ClaimFields;
  readonly leaf: Hex32;
  readonly signature: `0x${string}`;
  /** The operator's trace commitments h_0..h_L (wrong from `lieFromStep` on, if it lies). */
  readonly trace: readonly Hex32[];
  readonly traceTree: TraceTree;
  /** The true trace commitments. */
  readonly truth: readonly Hex32[];
  readonly input: readonly number[];
  readonly salt: bigint;
}

let taskCounter = 0;

/**
 * Makes and signs a claim of `operator` for `model` on `input`. With `lieFromStep = k` the
 * operator's trace is true up to h_k and made up from h_k+1 on (so the claimed output is wrong).
 */
export async function makeClaim(
  f: ChainFixture,
  model: Model,
  modelId: Hex32,
  input: readonly number[],
  options: { lieFromStep?: number; salt?: bigint; signer?: HDAccount; operator?: HDAccount } = {},
): Promise<MadeClaim> {
  const salt = options.salt ?? 1234n;
  const task = executeTask(model, input, f.committer, salt);
  const truth = task.traceCommitments;
  const trace = truth.map((h, i) =>
    options.lieFromStep !== undefined && i > options.lieFromStep ? fakeCommitment(h, i) : h,
  );
  const traceTree = new TraceTree(trace);
  const claim: ClaimFields = {
    modelId,
    taskId: `0x${(++taskCounter).toString(16).padStart(64, '0')}`,
    inputCommitment: trace[0],
    outputCommitment: trace[trace.length - 1],
    traceRoot: traceTree.root,
    operator: (options.operator ?? f.accounts.operator).address,
  };
  const signer = options.signer ?? options.operator ?? f.accounts.operator;
  const signature = await signer.signTypedData(claimTypedData(claim, f.domain));
  return { claim, leaf: claimLeaf(claim), signature, trace, traceTree, truth, input, salt };
}

function fakeCommitment(h: Hex32, i: number): Hex32 {
  const v =
    (BigInt(h) + BigInt(i) * 7919n + 1n) %
    21888242871839275222246405745257275088548364400416034343698204186575808495617n;
  return `0x${v.toString(16).padStart(64, '0')}`;
}

/** Posts `claims` as one batch from the sequencer; returns the tree and the batch index. */
export async function postClaims(f: ChainFixture, claims: readonly MadeClaim[]) {
  const tree = new BatchTree(claims.map((c) => c.leaf));
  const posted = await postBatch(f.clients.sequencer, f.deployment, {
    root: tree.root,
    count: claims.length,
    dataHash: `0x${'ab'.repeat(32)}`,
  });
  return { tree, batchIndex: posted.batchIndex, posted };
}

export async function advance(f: ChainFixture, seconds: number): Promise<void> {
  await f.testClient.increaseTime({ seconds });
  await f.testClient.mine({ blocks: 1 });
}

/** Runs each test of a describe block on a fresh copy of the chain (anvil snapshot / revert). */
export function isolateEach(getFixture: () => ChainFixture): void {
  let snapshot: `0x${string}`;
  beforeEach(async () => {
    snapshot = await getFixture().testClient.snapshot();
  });
  afterEach(async () => {
    await getFixture().testClient.revert({ id: snapshot });
  });
}

/**
 * INVARIANT check: the contract holds exactly the bonds, the credits and the challenger bonds of
 * open disputes (nothing created, lost or stuck).
 */
export async function expectConserved(f: ChainFixture, others: readonly `0x${string}`[] = []): Promise<void> {
  const read = f.clients.deployer.public;
  const at = { address: f.deployment.claims, abi: verilayClaimsAbi } as const;
  const addresses = [...ACTORS.map((a) => f.accounts[a].address), f.treasury, ...others];
  let held = 0n;
  for (const a of addresses) {
    const account = await read.readContract({ ...at, functionName: 'account', args: [a] });
    held += account.bond + (await read.readContract({ ...at, functionName: 'credit', args: [a] }));
  }
  const disputes = await read.readContract({ ...at, functionName: 'disputeCount' });
  for (let id = 1n; id <= disputes; id++) {
    const d = await read.readContract({ ...at, functionName: 'dispute', args: [id] });
    if (d.phase !== 6) held += f.params.challengerBond;
  }
  const balance = await read.getBalance({ address: f.deployment.claims });
  expect(balance).toBe(held);
}
