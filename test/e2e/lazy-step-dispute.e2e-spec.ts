// Lazy step circuits end to end (issue 13, Build item 5). A model is registered with
// `verilay model register --steps --lazy`: its step-circuit table goes on chain and nothing is
// built. An operator's wrong claim is posted by the verifier; a watcher process disputes it; the
// lying operator reveals its trace at every midpoint, so the game bisects to the one step where
// the lie is (the last). That step's circuit has no verifier: nobody can prove it, no clock runs,
// and the watcher waits. The verifier's registrar service (the embedded chain's deployer by
// default) sees the dispute narrowed to one lazy step, builds that circuit cold in its own cache,
// deploys its verifier and sets it; the watcher, with its own build of the same step (the keys
// are reproducible), proves the step on chain and the liar is slashed.
import {
  createChainClients,
  depositBond,
  devAccount,
  devPrivateKey,
  modelRegistryAbi,
  readStepCircuit,
  verilayClaimsAbi,
} from '@verilay/chain';
import { buildClaim, chainDeployment, freePort, VerifierProcess, WatcherProcess } from '@verilay/client';
import { createTensorCommitter, toHex32, TraceTree } from '@verilay/commitments';
import { computeModelId, modelToJson, randomInput, randomModel } from '@verilay/inference';
import { executeTask } from '@verilay/protocol';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CLI_ENTRY,
  registerOnChain,
  TEST_CACHE,
  VERIFIER_ENTRY,
  WATCHER_ENTRY,
  defendWithTrueMidpoints,
  eventually,
  firstDispute,
} from './support/e2e';

const STEP_PROOF = 2; // Resolution.StepProof
const SLASHED = 'slashed';

describe('a lazily registered model: a dispute ends on a step built while it waits (e2e)', () => {
  const model = randomModel({ seed: 81, kind: 'mlp', sizes: [6, 4, 3], argmax: true, name: 'lazy-steps' });
  const modelId = computeModelId(model);
  const last = model.layers.length - 1;
  let dir: string;
  let registrarCache: string;
  let verifier: VerifierProcess | undefined;
  let watcher: WatcherProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-lazy-e2e-'));
    // The registrar's builds go to a cache of their own, empty: its build is cold, and the
    // watcher's key (the shared test cache) must match it by reproducibility alone.
    registrarCache = join(dir, 'registrar-cache');
  });
  afterAll(async () => {
    await watcher?.stop();
    await verifier?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const explain = (e: Error): never => {
    throw new Error(
      `${e.message}\n--- verifier\n${verifier?.output().slice(-3000)}\n--- watcher\n${watcher?.output().slice(-3000)}`,
    );
  };

  it('registers every step lazily, builds the one step the dispute ends on while it waits, proves it on chain and slashes the liar', async () => {
    const started = Date.now();
    verifier = await VerifierProcess.start(VERIFIER_ENTRY, {
      VERIFIER_DB: join(dir, 'verifier.sqlite'),
      VERIFIER_ANVIL_PORT: String(await freePort()),
      VERIFIER_CHALLENGE_WINDOW_MS: '60000',
      VERIFIER_DISPUTE_CLOCK_S: '300',
      VERIFIER_BATCH_INTERVAL_MS: '200',
      VERILAY_CACHE_DIR: registrarCache,
    });
    const chain = await verifier.client.chain();
    const deployment = chainDeployment(chain);
    const connection = { rpcUrl: chain.rpcUrl!, chainId: chain.chainId };
    const reader = createChainClients(connection, devAccount(7));

    // Registered lazily: the table only, every circuit without a verifier, nothing built.
    const registered = (await registerOnChain(dir, verifier.url, model, '--steps', '--lazy')) as unknown as {
      lazy: boolean;
      wholeVerifier: null;
      stepCircuits: { index: number; verifier: null; steps: number[] }[];
      table: number[];
    };
    expect(registered).toMatchObject({ modelId, lazy: true, wholeVerifier: null });
    expect(registered.table).toHaveLength(model.layers.length);
    expect(registered.stepCircuits.every((c) => c.verifier === null)).toBe(true);
    for (let step = 0; step < model.layers.length; step++)
      expect((await readStepCircuit(reader, deployment, modelId, step))?.verifier).toBeUndefined();
    expect(existsSync(registrarCache) ? readdirSync(registrarCache) : []).toEqual([]);
    await verifier.client.registerModel(modelToJson(model));
    const operator = createChainClients(connection, devAccount(2));
    await depositBond(operator, deployment, 2n * 10n ** 18n);

    watcher = await WatcherProcess.start(WATCHER_ENTRY, {
      WATCHER_RPC_URL: chain.rpcUrl!,
      WATCHER_CHAIN_ID: String(chain.chainId),
      WATCHER_CLAIMS_CONTRACT: chain.claims,
      WATCHER_REGISTRY_CONTRACT: chain.registry,
      WATCHER_DEPLOY_BLOCK: chain.deployBlock,
      WATCHER_VERIFIER_URL: verifier.url,
      WATCHER_KEY: devPrivateKey(3),
      WATCHER_DB: join(dir, 'watcher.sqlite'),
      WATCHER_POLL_MS: '300',
      WATCHER_THREADS: '1',
      VERILAY_CACHE_DIR: TEST_CACHE,
    });

    // The operator claims a wrong output; its trace root is its true trace's.
    const committer = await createTensorCommitter();
    const input = randomInput(model, 5);
    const salt = 41n;
    const lie = await buildClaim({
      model,
      input,
      taskId: toHex32(1n),
      account: devAccount(2),
      domain: chain.domain,
      committer,
      salt,
      lie: (out) => out.map((v) => v + 1),
    });
    const [{ claimId }] = (await verifier.client.submitClaims([lie])).claims;
    const disputeId = await firstDispute(reader, deployment, 120_000, 'the watcher to dispute the lie').catch(
      explain,
    );

    // The liar defends its claim as far as it can: its revealed midpoints are true, so the
    // bisection narrows to the last step, where its claimed output is wrong. (The verifier's
    // defender concedes: its replay gives another output.)
    const trace = new TraceTree(executeTask(model, input, committer, salt).traceCommitments);
    const d = await defendWithTrueMidpoints(operator, deployment, disputeId, lie, trace, {
      timeoutMs: 300_000,
    }).catch(explain);

    expect(d.challenger).toBe(devAccount(3).address);
    expect([d.lo, d.hi]).toEqual([last, last + 1]);
    expect(d.resolution).toBe(STEP_PROOF);
    expect(d.challengerWon).toBe(true);
    expect(d.liable).toBe(devAccount(2).address);
    // The step's verifier was set during the dispute, after the game narrowed to that step.
    const narrowed = (
      await reader.public.getContractEvents({
        address: deployment.claims,
        abi: verilayClaimsAbi,
        eventName: 'HalfChosen',
        args: { disputeId },
        fromBlock: 0n,
      })
    ).find((e) => e.args.hi === e.args.lo! + 1)!;
    const [set] = await reader.public.getContractEvents({
      address: deployment.registry,
      abi: modelRegistryAbi,
      eventName: 'StepVerifierSet',
      args: { modelId },
      fromBlock: 0n,
    });
    expect(Number(set.args.circuitIndex)).toBe(registered.table[last]);
    expect(set.blockNumber).toBeGreaterThan(narrowed.blockNumber);
    // Only that circuit was built and set: every other step stays lazy.
    for (let step = 0; step < last; step++)
      if (registered.table[step] !== registered.table[last])
        expect((await readStepCircuit(reader, deployment, modelId, step))?.verifier).toBeUndefined();
    expect(readdirSync(join(registrarCache, modelId))).toHaveLength(1);
    // The watcher waited for the registrar (no timeout calls reverting meanwhile) and then proved.
    expect(watcher.output()).toMatch(/waits for the registrar/);
    expect(watcher.output()).toMatch(new RegExp(`proof of step ${last}`));
    expect(watcher.output()).not.toMatch(/StepVerifierNotSet/);
    const log = verifier.output();
    expect(log).toMatch(/step verifier set: the dispute can go on/);
    const built = /"buildSeconds":([\d.]+)/.exec(log);
    console.log(
      `lazy step ${last} (${model.layers[last].op}) built and set in ${built?.[1]} s; e2e ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    await eventually(
      async () => ((await verifier!.client.getClaim(claimId)).status === SLASHED ? true : undefined),
      30_000,
      'the claim slashed at the verifier',
    ).catch(explain);
  }, 600_000);

  it('model build-step sets one lazy circuit from the CLI, and refuses a set circuit, a stranger and an unregistered model before building', async () => {
    const file = join(dir, `${model.name}.json`); // written by registerOnChain above
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [
        CLI_ENTRY,
        'model',
        'build-step',
        ...args,
        '--verifier',
        verifier!.url,
      ]);
    const chain = await verifier!.client.chain();
    const reader = createChainClients({ rpcUrl: chain.rpcUrl!, chainId: chain.chainId }, devAccount(7));
    const step = 0; // still lazy: the dispute only needed the last step's circuit

    const { stdout } = await cli(
      file,
      '--step',
      String(step),
      '--dev-registrar',
      '--cache-dir',
      join(dir, 'cli-cache'),
    );

    const out = JSON.parse(stdout) as {
      circuitIndex: number;
      verifier: string;
      steps: number[];
      buildSeconds: number;
    };
    expect(out.steps).toContain(step);
    const circuit = await readStepCircuit(reader, chainDeployment(chain), modelId, step);
    expect(circuit?.verifier?.toLowerCase()).toBe(out.verifier.toLowerCase());
    const refused = (args: string[]) =>
      cli(...args).then(
        () => 'accepted',
        (e: { stderr: string }) => e.stderr,
      );
    expect(await refused([file, '--step', String(step), '--dev-registrar'])).toMatch(
      /already has its verifier/,
    );
    expect(await refused([file, '--step', String(step), '--key', devPrivateKey(5)])).toMatch(
      /is not the registrar of/,
    );
    const other = randomModel({ seed: 82, kind: 'mlp', sizes: [3, 2], name: 'never-registered' });
    const otherFile = join(dir, 'never-registered.json');
    writeFileSync(otherFile, JSON.stringify(modelToJson(other)));
    expect(await refused([otherFile, '--step', '0', '--dev-registrar'])).toMatch(/is not registered in/);
    console.log(`model build-step ${step}: built and set in ${out.buildSeconds} s`);
  }, 300_000);
});
