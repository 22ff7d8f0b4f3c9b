// Test support for the watcher's attack specs: a fresh anvil chain with verilay deployed, the
// attackers' keys (sequencer, operator, a colluding challenger), the bisection model with real
// step circuits and verifiers, and the attackers' own "verifier": an HTTP server that serves the
// watcher whatever the attackers choose (batch data, task inputs, models, a chain description).
import {
  claimTimeout,
  compileGroth16Verifier,
  createAnvilTestClient,
  createChainClients,
  deployBytecode,
  deployContracts,
  depositBond,
  devAccount,
  devPrivateKey,
  openDispute,
  postBatch,
  provideSignature,
  readDispute,
  registerModel,
  revealMidpoint,
  startAnvil,
  submitStepProof,
  toSolidityProof,
  verilayClaimsAbi,
  type AnvilInstance,
  type ChainClients,
  type ClaimsParameters,
  type DeployedContracts,
  type VerilayDeployment,
} from '@verilay/chain';
import type { BatchView, ChainView } from '@verilay/client';
import {
  BatchTree,
  claimLeaf,
  createTensorCommitter,
  toHex32,
  TraceTree,
  type Hex32,
  type TensorCommitter,
} from '@verilay/commitments';
import {
  computeModelId,
  encodeModel,
  MODEL_MEDIA_TYPE,
  modelToJson,
  randomInput,
  randomModel,
  type Model,
} from '@verilay/inference';
import { claimDomain, claimTypedData, executeTask, type ClaimFields } from '@verilay/protocol';
import { WatcherProcess } from '@verilay/client';
import { buildCircuit, Prover, releaseProverThreads } from '@verilay/zk';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep, TEST_CACHE, WATCHER_ENTRY } from './e2e';

export const ETH = 10n ** 18n;
const FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Short windows and clocks, so a spec moves anvil's time rather than waiting. */
export const ATTACK_PARAMS: ClaimsParameters = {
  challengeWindow: 100n,
  clock: 50n,
  withdrawalDelay: 100n,
  challengerBond: ETH,
  disputeStake: ETH,
  sequencerBond: ETH,
  winnerShareBps: 5000,
  treasury: devAccount(9).address,
};

/** Who is who: dev accounts 1, 2 and 4 collude; 3 is the honest watcher's key. */
export const ROLES = { deployer: 0, sequencer: 1, operator: 2, watcher: 3, friend: 4, stranger: 5 } as const;
export type Role = keyof typeof ROLES;

export interface PostedClaim {
  readonly claim: ClaimFields;
  readonly leaf: Hex32;
  readonly signature: `0x${string}`;
  /** The trace the operator committed to (and reveals in a bisection). */
  readonly traceTree: TraceTree;
  readonly input: number[];
  readonly salt: bigint;
}

export interface PostedBatch {
  readonly batchIndex: bigint;
  readonly tree: BatchTree;
}

/** The attackers' verifier: answers the watcher's reads from what the attackers stored in it. */
export class AttackerVerifier {
  readonly batches = new Map<number, BatchView>();
  readonly tasks = new Map<string, { data: number[]; salt: bigint }>();
  readonly claims = new Map<string, ClaimFields>();
  readonly models = new Map<string, Model>();
  chain?: ChainView;
  private server?: Server;
  url = '';

  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      const model = this.models.get(/^\/v1\/models\/(0x[0-9a-f]{64})$/.exec(req.url ?? '')?.[1] ?? '');
      if (model && req.headers.accept === MODEL_MEDIA_TYPE)
        return void res.writeHead(200, { 'content-type': MODEL_MEDIA_TYPE }).end(encodeModel(model));
      const body = this.answer(req.url ?? '');
      res
        .writeHead(body ? 200 : 404, { 'content-type': 'application/json' })
        .end(JSON.stringify(body ?? { error: { code: 'NOT_FOUND', message: 'not here' } }));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): void {
    this.server?.close();
  }

  private answer(url: string): unknown {
    let m: RegExpMatchArray | null;
    if (url === '/v1/chain') return this.chain;
    if ((m = url.match(/^\/v1\/batches\/(\d+)$/))) return this.batches.get(Number(m[1]));
    if ((m = url.match(/^\/v1\/tasks\/(0x[0-9a-f]{64})\/input$/))) {
      const task = this.tasks.get(m[1]);
      const claim = this.claims.get(m[1]);
      return task && claim
        ? {
            claimId: m[1],
            modelId: claim.modelId,
            inputCommitment: claim.inputCommitment,
            shape: [task.data.length],
            dtype: 'int8',
            data: task.data,
            salt: task.salt ? toHex32(task.salt) : null,
          }
        : undefined;
    }
    if ((m = url.match(/^\/v1\/claims\/(0x[0-9a-f]{64})$/))) {
      const claim = this.claims.get(m[1]);
      return claim && { claimId: m[1], ...claim, status: 'submitted' };
    }
    if ((m = url.match(/^\/v1\/models\/(0x[0-9a-f]{64})$/))) {
      const model = this.models.get(m[1]);
      return (
        model && {
          modelId: m[1],
          name: model.name,
          layers: model.layers.length,
          document: modelToJson(model),
        }
      );
    }
    return undefined;
  }
}

export interface AttackWorld {
  readonly anvil: AnvilInstance;
  readonly clients: Record<Role, ChainClients>;
  readonly deployment: DeployedContracts;
  readonly testClient: ReturnType<typeof createAnvilTestClient>;
  readonly committer: TensorCommitter;
  /** A model settled by bisection (step verifiers only), with its step provers. */
  readonly model: Model;
  readonly modelId: Hex32;
  /** The step provers (none for a stand-in step, see AttackWorldOptions.onlySteps). */
  readonly steps: readonly Prover[];
  readonly verifier: AttackerVerifier;
  /** The environment a watcher process needs to watch this chain (its own configuration). */
  watcherEnv(dbPath: string): Record<string, string>;
}

/** What a world may change: the bisection model (default: a small MLP) and the contract's parameters. */
export interface AttackWorldOptions {
  readonly model?: Model;
  readonly params?: ClaimsParameters;
  /**
   * Build and register real step circuits only for these steps; the others get a stand-in
   * verifier (the claims contract, which proves nothing) and no prover. For a spec whose dispute
   * is made to end at a known step, when building every step's key costs too much (the CNN).
   */
  readonly onlySteps?: readonly number[];
}

/**
 * Starts anvil, deploys verilay, bonds the attackers' sequencer and operator (5 ETH each),
 * builds (or reuses from the test cache) the bisection model's step circuits, deploys their
 * verifiers and registers the model; starts the attackers' verifier.
 */
export async function startAttackWorld(options: AttackWorldOptions = {}): Promise<AttackWorld> {
  const anvil = await startAnvil();
  const connection = { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId };
  const clients = Object.fromEntries(
    Object.entries(ROLES).map(([role, i]) => [role, createChainClients(connection, devAccount(i))]),
  ) as Record<Role, ChainClients>;
  const deployment = await deployContracts(clients.deployer, options.params ?? ATTACK_PARAMS);
  await depositBond(clients.sequencer, deployment, 5n * ETH);
  await depositBond(clients.operator, deployment, 5n * ETH);
  // The contract specs' bisection model: its circuits are likely in the test cache already.
  const model =
    options.model ?? randomModel({ seed: 6, kind: 'mlp', sizes: [6, 4, 3], argmax: true, name: 'bisection' });
  const steps: Prover[] = [];
  const stepVerifiers: `0x${string}`[] = [];
  for (let i = 0; i < model.layers.length; i++) {
    if (options.onlySteps && !options.onlySteps.includes(i)) {
      stepVerifiers.push(deployment.claims);
      continue;
    }
    const artifacts = await buildCircuit(model, { cacheDir: TEST_CACHE, step: i });
    steps[i] = await Prover.load(model, artifacts);
    const bytecode = compileGroth16Verifier(readFileSync(artifacts.verifierSolPath, 'utf8'));
    stepVerifiers.push((await deployBytecode(clients.deployer, 'Groth16Verifier', bytecode)).address);
  }
  const modelId = computeModelId(model) as Hex32;
  await registerModel(clients.deployer, deployment, {
    modelId,
    stepVerifiers,
    traceLength: model.layers.length,
  });
  const verifier = new AttackerVerifier();
  verifier.models.set(modelId, model);
  await verifier.listen();
  return {
    anvil,
    clients,
    deployment,
    testClient: createAnvilTestClient(connection),
    committer: await createTensorCommitter(),
    model,
    modelId,
    steps,
    verifier,
    watcherEnv: (dbPath) => ({
      WATCHER_VERIFIER_URL: verifier.url,
      WATCHER_KEY: devPrivateKey(ROLES.watcher),
      WATCHER_DB: dbPath,
      WATCHER_RPC_URL: anvil.rpcUrl,
      WATCHER_CHAIN_ID: String(anvil.chainId),
      WATCHER_CLAIMS_CONTRACT: deployment.claims,
      WATCHER_REGISTRY_CONTRACT: deployment.registry,
      WATCHER_DEPLOY_BLOCK: String(deployment.deployBlock),
      WATCHER_POLL_MS: '200',
      WATCHER_THREADS: '1',
      VERILAY_CACHE_DIR: TEST_CACHE,
    }),
  };
}

let taskCounter = 0;

/**
 * The operator's signed claim on `seed`'s input. `trace` turns the true trace commitments
 * h_0..h_L into the ones the operator commits to (default: the truth); the claimed output is the
 * last of them.
 */
export async function makeClaim(
  w: AttackWorld,
  seed: number,
  trace: (truth: Hex32[]) => Hex32[] = (t) => t,
  model: Model = w.model,
): Promise<PostedClaim> {
  const input = Array.from(randomInput(model, seed));
  const salt = 99n;
  const truth = executeTask(model, input, w.committer, salt).traceCommitments as Hex32[];
  const committed = trace([...truth]);
  const traceTree = new TraceTree(committed);
  const claim: ClaimFields = {
    modelId: computeModelId(model) as Hex32,
    taskId: toHex32(BigInt(++taskCounter)),
    inputCommitment: committed[0],
    outputCommitment: committed[model.layers.length],
    traceRoot: traceTree.root,
    operator: w.clients.operator.account.address,
  };
  w.verifier.models.set(claim.modelId, model);
  const domain = claimDomain(w.anvil.chainId, w.deployment.claims);
  const signature = await w.clients.operator.account.signTypedData!(claimTypedData(claim, domain));
  return { claim, leaf: claimLeaf(claim), signature, traceTree, input, salt };
}

/** A claim whose output is made up from step `from` on (its trace up to h_from is true). */
export const lieFrom =
  (from: number) =>
  (truth: Hex32[]): Hex32[] =>
    truth.map((h, i) => (i > from ? fake(h, i) : h));

/** A commitment no step produces (a made-up trace value). */
export function fake(h: Hex32, i: number): Hex32 {
  return toHex32((BigInt(h) + BigInt(i) * 7919n + 1n) % FIELD);
}

/** The attackers' sequencer posts `claims` as one batch, and their verifier serves its data. */
export async function postClaims(
  w: AttackWorld,
  claims: readonly PostedClaim[],
  deployment: VerilayDeployment = w.deployment,
): Promise<PostedBatch> {
  const tree = new BatchTree(claims.map((c) => c.leaf));
  const posted = await postBatch(w.clients.sequencer, deployment, {
    root: tree.root,
    count: claims.length,
    dataHash: `0x${'ab'.repeat(32)}`,
  });
  w.verifier.batches.set(Number(posted.batchIndex), {
    chainIndex: Number(posted.batchIndex),
    root: tree.root,
    count: claims.length,
    postTx: posted.hash,
    claims: claims.map((c) => ({ ...c.claim, claimId: c.leaf, signature: c.signature })),
  });
  for (const c of claims) {
    w.verifier.claims.set(c.leaf, c.claim);
    w.verifier.tasks.set(c.leaf, { data: c.input, salt: c.salt });
  }
  return { batchIndex: posted.batchIndex, tree };
}

/**
 * `role` opens a dispute on `c` through `batch`, with the operator's signature, or `unsigned`
 * (the sequencer answers first: one more clock to stall with).
 */
export async function disputeAs(
  role: Role,
  w: AttackWorld,
  c: PostedClaim,
  batch: PostedBatch,
  options: { unsigned?: boolean } = {},
) {
  return openDispute(w.clients[role], w.deployment, {
    batchIndex: batch.batchIndex,
    claim: c.claim,
    inclusionProof: batch.tree.proof(c.leaf),
    signature: options.unsigned ? '0x' : c.signature,
    bond: ATTACK_PARAMS.challengerBond,
  });
}

export async function advance(w: AttackWorld, seconds: number): Promise<void> {
  await w.testClient.increaseTime({ seconds });
  await w.testClient.mine({ blocks: 1 });
}

export async function chainNow(w: AttackWorld): Promise<bigint> {
  return (await w.clients.stranger.public.getBlock()).timestamp;
}

/**
 * The lying operator defends its claim as well as the chain lets it: reveals its committed trace
 * at each midpoint, proves the last step when the true step reaches its h_hi. Returns when the
 * dispute is resolved (by the challenger's step proof, when the liar has no move left).
 */
export async function defend(
  w: AttackWorld,
  disputeId: bigint,
  c: PostedClaim,
  timeoutMs = 120_000,
  /** false: a liar that knows its step is wrong does not spend the time proving it. */
  proveSteps = true,
) {
  const end = Date.now() + timeoutMs;
  const proofs = new Map<number, Awaited<ReturnType<Prover['prove']>>>();
  while (Date.now() < end) {
    const d = await readDispute(w.clients.operator, w.deployment, disputeId);
    if (d.phaseName === 'resolved') return d;
    if (d.phaseName === 'await-signature')
      await provideSignature(w.clients.operator, w.deployment, disputeId, c.claim, c.signature);
    else if (d.phaseName === 'await-reveal') {
      const mid = Math.floor((d.lo + d.hi) / 2);
      await revealMidpoint(
        w.clients.operator,
        w.deployment,
        disputeId,
        c.traceTree.commitments[mid],
        c.traceTree.proof(mid),
      );
    } else if (d.phaseName === 'await-step-proof' && !proveSteps) {
      await sleep(200);
    } else if (d.phaseName === 'await-step-proof') {
      if (!proofs.has(d.lo)) proofs.set(d.lo, await w.steps[d.lo].prove(c.input, c.salt));
      const proof = proofs.get(d.lo)!;
      // The true step does not reach its claim: the challenger may prove it (or time out).
      if (proof.outputCommitment !== d.hHi) await sleep(200);
      else
        await submitStepProof(
          w.clients.operator,
          w.deployment,
          disputeId,
          proof.outputCommitment,
          toSolidityProof(proof.proof),
        );
    } else await sleep(200); // the challenger's move
  }
  throw new Error(`dispute ${disputeId} still open after ${timeoutMs} ms`);
}

/**
 * Ends a dispute whose side on the move has run out of time, after moving time past its clock
 * (unless a watcher, which times out parked disputes too, ended it first).
 */
export async function timeOut(w: AttackWorld, disputeId: bigint): Promise<void> {
  await advance(w, Number(ATTACK_PARAMS.clock) + 1);
  await claimTimeout(w.clients.stranger, w.deployment, disputeId).catch(async (error: unknown) => {
    if ((await readDispute(w.clients.stranger, w.deployment, disputeId)).phaseName !== 'resolved')
      throw error;
  });
}

/** Reads `functionName` of the claim contract (or of `address`, another deployment). */
export function readClaims<T>(
  w: AttackWorld,
  functionName: string,
  args: readonly unknown[] = [],
  address = w.deployment.claims,
): Promise<T> {
  return w.clients.stranger.public.readContract({
    address,
    abi: verilayClaimsAbi,
    functionName,
    args,
  } as never) as Promise<T>;
}

export interface AttackSpec {
  readonly w: AttackWorld;
  /** A temp folder for this describe block (watcher databases). */
  readonly dir: string;
  /** Starts a watcher process on this world's chain (stopped after the block). */
  startWatcher(env?: Record<string, string>): Promise<WatcherProcess>;
}

/** An attack world for one describe block: started before it, stopped (with its watchers) after. */
export function useAttackWorld(name: string, options: () => AttackWorldOptions = () => ({})): AttackSpec {
  const watchers: WatcherProcess[] = [];
  const spec = {
    startWatcher: async (env: Record<string, string> = {}) => {
      const watcher = await WatcherProcess.start(WATCHER_ENTRY, {
        ...spec.w.watcherEnv(join(spec.dir, `watcher-${watchers.length}.sqlite`)),
        ...env,
      });
      watchers.push(watcher);
      return watcher;
    },
  } as { w: AttackWorld; dir: string } & Pick<AttackSpec, 'startWatcher'>;
  beforeAll(async () => {
    spec.dir = mkdtempSync(join(tmpdir(), `verilay-${name}-`));
    spec.w = await startAttackWorld(options());
  }, 600_000);
  afterAll(async () => {
    for (const watcher of watchers) await watcher.stop();
    spec.w?.verifier.close();
    await spec.w?.anvil.stop();
    await releaseProverThreads();
    if (spec.dir) rmSync(spec.dir, { recursive: true, force: true });
  });
  return spec;
}

/** The watcher's last log lines, to explain a failed wait. */
export function withOutput(watcher: WatcherProcess | undefined) {
  return (e: Error): never => {
    throw new Error(`${e.message}\n${watcher?.output().slice(-3000) ?? ''}`);
  };
}
