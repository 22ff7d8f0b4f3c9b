// The registrar's service for lazily registered step circuits, on a real anvil with the real
// contracts, a real sqlite model store and real circuit builds (a 2-step model, a temp cache).
// Attacks first: a key that is not the registrar's never sends a transaction nor builds; a model
// this verifier does not hold is refused with a clear log; a verifier already set is never set again.
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import {
  checkProvingKey,
  chooseHalf,
  createChainClients,
  deployContracts,
  depositBond,
  devAccount,
  devPrivateKey,
  openDispute,
  postBatch,
  readDispute,
  readStepCircuit,
  registerModel,
  revealMidpoint,
  setStepVerifier,
  signClaim,
  startAnvil,
  type AnvilInstance,
  type ChainClients,
  type DeployedContracts,
} from '@verilay/chain';
import {
  BatchTree,
  claimLeaf,
  createTensorCommitter,
  toHex32,
  TraceTree,
  type Hex32,
} from '@verilay/commitments';
import { computeModelId, modelToJson, randomInput, randomModel, type Model } from '@verilay/inference';
import { claimDomain, executeTask } from '@verilay/protocol';
import { ModelRepository, verifierDataSourceOptions } from '@verilay/storage';
import { findCircuitBuild, stepCircuitTable } from '@verilay/zk';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { SystemClock } from '../clock';
import { loadVerifierConfig } from '../config/verifier.config';
import { MetricsService } from '../metrics/metrics.service';
import { ModelsService } from '../models/models.service';
import { ChainContext } from './chain-context';
import { StepRegistrar } from './step-registrar.service';
import { SoleLeadership } from '../cluster/leadership';

const ETH = 10n ** 18n;
const ZERO = '0x0000000000000000000000000000000000000000';
const ACCOUNTS = { deployer: 0, sequencer: 1, operator: 2, challenger: 3, stranger: 5 } as const;

describe(StepRegistrar.name, () => {
  let anvil: AnvilInstance;
  let deployment: DeployedContracts;
  let clients: Record<keyof typeof ACCOUNTS, ChainClients>;
  let dir: string;
  let db: DataSource;
  let models: ModelsService;
  let task = 0;

  beforeAll(async () => {
    anvil = await startAnvil();
    const connection = { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId };
    clients = Object.fromEntries(
      Object.entries(ACCOUNTS).map(([role, i]) => [role, createChainClients(connection, devAccount(i))]),
    ) as typeof clients;
    deployment = await deployContracts(clients.deployer, {
      challengeWindow: 100n,
      clock: 100n,
      withdrawalDelay: 100n,
      challengerBond: ETH,
      disputeStake: ETH,
      sequencerBond: ETH,
      winnerShareBps: 5000,
      treasury: devAccount(9).address,
    });
    await depositBond(clients.sequencer, deployment, 10n * ETH);
    await depositBond(clients.operator, deployment, 10n * ETH);
    dir = mkdtempSync(join(tmpdir(), 'verilay-step-registrar-'));
    db = await new DataSource(verifierDataSourceOptions(join(dir, 'v.sqlite'))).initialize();
    models = new ModelsService(new ModelRepository(db), new SystemClock());
  }, 120_000);
  afterAll(async () => {
    await db?.destroy();
    await anvil?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A model of two steps (dense, requantize), registered with both step circuits lazy. */
  async function lazyModel(seed: number): Promise<Model> {
    const model = randomModel({ seed, kind: 'mlp', sizes: [3, 2], name: `lazy-${seed}` });
    const { circuits, table } = stepCircuitTable(model);
    await registerModel(clients.deployer, deployment, {
      modelId: computeModelId(model),
      stepCircuits: { verifiers: circuits.map(() => null), table },
      traceLength: model.layers.length,
    });
    return model;
  }

  /** A lying claim of `model` disputed and bisected down to its last step (1): [1, 2]. */
  async function disputedToLastStep(model: Model): Promise<bigint> {
    const committer = await createTensorCommitter();
    const truth = executeTask(model, randomInput(model, 1), committer).traceCommitments as Hex32[];
    const committed = [...truth.slice(0, -1), toHex32((BigInt(truth[2]) + 1n) % 2n ** 250n)];
    const trace = new TraceTree(committed);
    const claim = {
      modelId: computeModelId(model) as Hex32,
      taskId: toHex32(BigInt(++task)),
      inputCommitment: committed[0],
      outputCommitment: committed[2],
      traceRoot: trace.root,
      operator: clients.operator.account.address,
    };
    const signature = await signClaim(
      devAccount(ACCOUNTS.operator),
      claim,
      claimDomain(anvil.chainId, deployment.claims),
    );
    const leaf = claimLeaf(claim);
    const batch = new BatchTree([leaf]);
    const posted = await postBatch(clients.sequencer, deployment, {
      root: batch.root,
      count: 1,
      dataHash: batch.root,
    });
    const { disputeId } = await openDispute(clients.challenger, deployment, {
      batchIndex: posted.batchIndex,
      claim,
      inclusionProof: batch.proof(leaf),
      signature,
      bond: ETH,
    });
    await revealMidpoint(clients.operator, deployment, disputeId, committed[1], trace.proof(1));
    await chooseHalf(clients.challenger, deployment, disputeId, true);
    const d = await readDispute(clients.stranger, deployment, disputeId);
    expect([d.phaseName, d.lo, d.hi]).toEqual(['await-step-proof', 1, 2]);
    return disputeId;
  }

  function registrar(key: `0x${string}`, cacheDir: string) {
    const config = loadVerifierConfig({ VERILAY_CACHE_DIR: cacheDir, VERILAY_REGISTRAR_KEY: key });
    const chain = new ChainContext(clients.sequencer, deployment, anvil.rpcUrl);
    const metrics = new MetricsService();
    const sut = new StepRegistrar(chain, models, config, metrics, new SoleLeadership('test'));
    const failures = async (reason: string) =>
      (await metrics.registry.getSingleMetric('verilay_step_circuit_failures_total')!.get()).values.find(
        (v) => v.labels.reason === reason,
      )?.value ?? 0;
    const set = async () =>
      (await metrics.registry.getSingleMetric('verilay_step_circuits_set_total')!.get()).values[0].value;
    return { sut, failures, set };
  }

  const nonce = (who: ChainClients) => who.public.getTransactionCount({ address: who.account.address });
  const errors = () => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  afterEach(() => jest.restoreAllMocks());

  it("a stranger's key: refuses before building, sends no transaction, says why once", async () => {
    const model = await lazyModel(71);
    await models.register(modelToJson(model));
    await disputedToLastStep(model);
    const cache = mkdtempSync(join(dir, 'cache-'));
    const { sut, failures } = registrar(devPrivateKey(ACCOUNTS.stranger), cache);
    const logged = errors();
    const before = await nonce(clients.stranger);

    await sut.tick();
    await sut.tick();

    expect(await nonce(clients.stranger)).toBe(before);
    expect(readdirSync(cache)).toEqual([]);
    expect(
      (await readStepCircuit(clients.stranger, deployment, computeModelId(model), 1))?.verifier,
    ).toBeUndefined();
    expect(await failures('not-registrar')).toBe(1);
    expect(logged).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(logged.mock.calls[0])).toMatch(/is not the registrar of/);
  }, 120_000);

  it('a model this verifier does not hold: refuses with a clear log and builds nothing; once it is registered here, builds and sets it', async () => {
    const model = await lazyModel(72);
    const modelId = computeModelId(model);
    const disputeId = await disputedToLastStep(model);
    const cache = mkdtempSync(join(dir, 'cache-'));
    const { sut, failures, set } = registrar(devPrivateKey(ACCOUNTS.deployer), cache);
    const logged = errors();

    // (The registrar follows every dispute on the contract: the earlier specs' too.)
    await sut.tick();

    expect((await readStepCircuit(clients.stranger, deployment, modelId, 1))?.verifier).toBeUndefined();
    expect(readdirSync(cache)).not.toContain(modelId);
    expect(await failures('model-unknown')).toBe(1);
    expect(JSON.stringify(logged.mock.calls)).toMatch(/does not hold model/);

    await models.register(modelToJson(model));
    await sut.tick();

    const circuit = await readStepCircuit(clients.stranger, deployment, modelId, 1);
    expect(circuit?.verifier).toBeDefined();
    expect(circuit?.setAt).toBeGreaterThan(0n);
    expect(readdirSync(cache)).toContain(modelId);
    // The verifier set is the one of the build in the cache: its key's proofs pass on chain.
    const build = findCircuitBuild(model, { step: 1, cacheDir: cache })!;
    await expect(checkProvingKey(clients.stranger, deployment, build)).resolves.toMatchObject({
      verifier: circuit!.verifier,
    });
    // Step 0 was never disputed: still lazy.
    expect((await readStepCircuit(clients.stranger, deployment, modelId, 0))?.verifier).toBeUndefined();
    // The dispute still waits at the same step for a proof: the next passes set nothing again.
    const after = await nonce(clients.deployer);
    const setSoFar = await set();
    await sut.tick();
    await sut.tick();
    expect(await nonce(clients.deployer)).toBe(after);
    expect(await set()).toBe(setSoFar);
    expect((await readDispute(clients.stranger, deployment, disputeId)).phaseName).toBe('await-step-proof');
  }, 300_000);

  it('a circuit whose verifier the registrar already set elsewhere is not set again (nor built)', async () => {
    const model = await lazyModel(73);
    const modelId = computeModelId(model);
    await models.register(modelToJson(model));
    // Set by hand (the CLI's build-step would do this) before the service sees the dispute.
    const circuitIndex = stepCircuitTable(model).table[1];
    await setStepVerifier(clients.deployer, deployment, modelId, circuitIndex, deployment.registry);
    await disputedToLastStep(model);
    const cache = mkdtempSync(join(dir, 'cache-'));
    const { sut, set } = registrar(devPrivateKey(ACCOUNTS.deployer), cache);
    const before = await nonce(clients.deployer);

    await sut.tick();

    expect(await nonce(clients.deployer)).toBe(before);
    expect(readdirSync(cache)).toEqual([]);
    expect(await set()).toBe(0);
    expect((await readStepCircuit(clients.stranger, deployment, modelId, 1))?.verifier).not.toBe(ZERO);
  }, 120_000);

  it('a lazy step no development ceremony fits (registered bypassing the CLI): refused once, not retried forever', async () => {
    // Step 1 requantizes 20,000 int32 values: ~60 constraints each, past 2^20.
    const model = randomModel({ seed: 74, kind: 'mlp', sizes: [3, 20_000], name: 'lazy-too-big' });
    const modelId = computeModelId(model);
    await registerModel(clients.deployer, deployment, {
      modelId,
      stepCircuits: { verifiers: [null, null], table: [0, 1] },
      traceLength: model.layers.length,
    });
    await models.register(modelToJson(model));
    await disputedToLastStep(model);
    const cache = mkdtempSync(join(dir, 'cache-'));
    const { sut, failures } = registrar(devPrivateKey(ACCOUNTS.deployer), cache);
    const logged = errors();

    await sut.tick();
    await sut.tick();

    expect(await failures('too-big')).toBe(1);
    expect(await failures('build-failed')).toBe(0);
    expect(JSON.stringify(logged.mock.calls)).toMatch(/constraints; the powers of tau supports/);
    expect(readdirSync(cache)).toEqual([]);
  }, 120_000);
});
