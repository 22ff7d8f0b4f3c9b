// Test support: two tiny models with real circuits, real verifiers deployed on the fixture chain.
// "validity" has a whole-inference verifier; "bisection" only per-step verifiers. Circuits are
// cached under .verilay/test-cache (the first run builds them: about a minute).
import {
  compileGroth16Verifier,
  deployBytecode,
  registerModel,
  toSolidityProof,
  type SolidityGroth16Proof,
} from '@verilay/chain';
import { computeModelId, randomInput, randomModel, type Model } from '@verilay/inference';
import { buildCircuit, Prover, type CircuitArtifacts } from '@verilay/zk';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainFixture } from './chain-fixture';

export const TEST_CACHE_DIR = join(__dirname, '../../../.verilay/test-cache');

export interface ZkModel {
  readonly model: Model;
  readonly modelId: `0x${string}`;
  readonly whole?: Prover;
  readonly steps: readonly Prover[];
  input(seed: number): number[];
}

export async function buildZkModels(): Promise<{ validity: ZkModel; bisection: ZkModel }> {
  const validityModel = randomModel({
    seed: 5,
    kind: 'mlp',
    sizes: [6, 4, 3],
    argmax: true,
    name: 'validity',
  });
  const bisectionModel = randomModel({
    seed: 6,
    kind: 'mlp',
    sizes: [6, 4, 3],
    argmax: true,
    name: 'bisection',
  });
  const whole = await buildCircuit(validityModel, { cacheDir: TEST_CACHE_DIR });
  const steps: CircuitArtifacts[] = [];
  for (let i = 0; i < bisectionModel.layers.length; i++)
    steps.push(await buildCircuit(bisectionModel, { cacheDir: TEST_CACHE_DIR, step: i }));
  const zk = (model: Model, wholeProver: Prover | undefined, stepProvers: Prover[]): ZkModel => ({
    model,
    modelId: computeModelId(model),
    whole: wholeProver,
    steps: stepProvers,
    input: (seed) => Array.from(randomInput(model, seed)),
  });
  return {
    validity: zk(validityModel, await Prover.load(validityModel, whole), []),
    bisection: zk(
      bisectionModel,
      undefined,
      await Promise.all(steps.map((s) => Prover.load(bisectionModel, s))),
    ),
  };
}

const verifierBytecodes = new Map<string, `0x${string}`>();

/** Deploys the models' verifiers on the fixture chain and registers both models. */
export async function registerZkModels(f: ChainFixture, models: { validity: ZkModel; bisection: ZkModel }) {
  const deploy = async (prover: Prover) => {
    const path = prover.artifacts.verifierSolPath;
    let bytecode = verifierBytecodes.get(path);
    if (!bytecode)
      verifierBytecodes.set(path, (bytecode = compileGroth16Verifier(readFileSync(path, 'utf8'))));
    return (await deployBytecode(f.clients.deployer, 'Groth16Verifier', bytecode)).address;
  };
  const wholeVerifier = await deploy(models.validity.whole!);
  await registerModel(f.clients.deployer, f.deployment, {
    modelId: models.validity.modelId,
    wholeVerifier,
    traceLength: models.validity.model.layers.length,
  });
  const stepVerifiers: `0x${string}`[] = [];
  for (const p of models.bisection.steps) stepVerifiers.push(await deploy(p));
  await registerModel(f.clients.deployer, f.deployment, {
    modelId: models.bisection.modelId,
    stepVerifiers,
    traceLength: models.bisection.model.layers.length,
  });
  return { wholeVerifier, stepVerifiers };
}

/** A proof (calldata layout) and the output commitment it proves. */
export async function proveWith(
  prover: Prover,
  input: readonly number[],
  salt: bigint,
): Promise<{ proof: SolidityGroth16Proof; output: `0x${string}` }> {
  const p = await prover.prove(input, salt);
  return { proof: toSolidityProof(p.proof), output: p.outputCommitment };
}
