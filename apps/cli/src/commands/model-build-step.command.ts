import { checkLazyStep, deployStepVerifier } from '@verilay/chain';
import { computeModelId } from '@verilay/inference';
import { buildCircuit, releaseProverThreads, stepCircuitTable } from '@verilay/zk';
import { readFileSync } from 'node:fs';
import { connectRegistrar, type RegistrarOptions } from './model-register.command';
import { readModel } from './model-file';

export interface ModelBuildStepOptions extends RegistrarOptions {
  readonly step: number;
  readonly cacheDir?: string;
}

/**
 * `verilay model build-step <model-file> --step <k>`: builds the circuit of trace step k of a model
 * registered lazily (`model register --steps --lazy`), reproducibly (the development setup gives
 * the same keys on every machine, docs/trusted-setup.md), deploys its Groth16 verifier and sets it
 * as the verifier of step k's circuit, shared by every step of that circuit. Refuses, before
 * building, a model that is not registered, a step without a circuit, a circuit whose verifier is
 * already set (set once) and a key that is not the registrar's.
 */
export async function modelBuildStep(file: string, opts: ModelBuildStepOptions): Promise<void> {
  const model = readModel(file);
  const modelId = computeModelId(model) as `0x${string}`;
  const started = performance.now();
  const seconds = () => Number(((performance.now() - started) / 1000).toFixed(1));
  const say = (line: string) => console.error(`[${seconds().toFixed(1).padStart(6)}s] ${line}`);
  if (!Number.isInteger(opts.step) || opts.step < 0 || opts.step >= model.layers.length)
    throw new Error(`--step ${opts.step} is not a step of this model (0..${model.layers.length - 1})`);

  const { clients, deployment, registry } = await connectRegistrar(opts);
  const { circuitIndex } = await checkLazyStep(clients, deployment, modelId, opts.step);
  const shared = stepCircuitTable(model).circuits.find((c) => c.steps.includes(opts.step))!.steps;
  say(
    `step ${opts.step} (${model.layers[opts.step].op}): circuit ${circuitIndex}, shared by ${shared.length} step(s), not set: building it`,
  );
  const artifacts = await buildCircuit(model, {
    step: opts.step,
    cacheDir: opts.cacheDir,
    onProgress: (s, detail) => say(`step ${opts.step}: ${s}${detail ? ` ${detail}` : ''}`),
  });
  await releaseProverThreads();
  const buildSeconds = seconds();
  const set = await deployStepVerifier(
    clients,
    deployment,
    modelId,
    circuitIndex,
    readFileSync(artifacts.verifierSolPath, 'utf8'),
  );
  say(
    `circuit ${circuitIndex}: verifier ${set.verifier} (${set.deployGas} gas) set in ${registry} (tx ${set.tx}, ${set.setGas} gas)`,
  );
  console.log(
    JSON.stringify(
      {
        modelId,
        registry,
        step: opts.step,
        circuitIndex,
        steps: shared,
        verifier: set.verifier,
        tx: set.tx,
        constraints: artifacts.constraints,
        zkeySha256: artifacts.zkeySha256,
        vkeySha256: artifacts.vkeySha256,
        cacheHit: artifacts.cacheHit,
        buildSeconds,
        timings: artifacts.timings,
      },
      null,
      2,
    ),
  );
}
