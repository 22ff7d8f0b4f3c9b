import { computeModelId, readModelFile, type Model } from '@verilay/inference';
import {
  buildCircuit,
  Prover,
  releaseProverThreads,
  verifyInferenceProof,
  type InferenceProof,
  type VerificationKey,
} from '@verilay/zk';
import { readFileSync, writeFileSync } from 'node:fs';
import { readInput } from './input-file';

const readModel = (file: string): Model => readModelFile(file);
const progress = (start: number) => (step: string, detail?: string) =>
  console.error(
    `[${((performance.now() - start) / 1000).toFixed(1).padStart(6)}s] ${step}${detail ? `: ${detail}` : ''}`,
  );

/** `verilay model build <model-file>`: circuit, keys and Solidity verifier (cached). */
export async function modelBuild(file: string, opts: { step?: number; cacheDir?: string }): Promise<void> {
  const model = readModel(file);
  const artifacts = await buildCircuit(model, {
    step: opts.step,
    cacheDir: opts.cacheDir,
    onProgress: progress(performance.now()),
  });
  await releaseProverThreads(); // snarkjs' worker threads would keep the process alive
  console.log(
    JSON.stringify(
      {
        modelId: artifacts.modelId,
        circuitHash: artifacts.circuitHash,
        step: artifacts.step,
        constraints: artifacts.constraints,
        nonLinearConstraints: artifacts.nonLinearConstraints,
        timingsSeconds: artifacts.timings,
        cacheHit: artifacts.cacheHit,
        artifacts: artifacts.dir,
        verifier: artifacts.verifierSolPath,
        // Content addresses: the same circuit, powers of tau and beacon give the same keys anywhere.
        zkeySha256: artifacts.zkeySha256,
        vkeySha256: artifacts.vkeySha256,
      },
      null,
      2,
    ),
  );
}

/** `verilay prove --model <file> --input <file> [--out proof.json]`. */
export async function prove(opts: {
  model: string;
  input: string;
  out?: string;
  cacheDir?: string;
}): Promise<void> {
  const start = performance.now();
  const model = readModel(opts.model);
  const { data, salt } = readInput(opts.input);
  const artifacts = await buildCircuit(model, { cacheDir: opts.cacheDir, onProgress: progress(start) });
  const prover = await Prover.load(model, artifacts);
  const t = performance.now();
  const proof = await prover.prove(data, salt);
  progress(start)('proved', `${((performance.now() - t) / 1000).toFixed(2)} s`);
  await releaseProverThreads();
  const document = JSON.stringify({ ...proof, vkey: prover.vkey }, null, 1);
  if (opts.out) writeFileSync(opts.out, document);
  else console.log(document);
  console.error(
    `output ${JSON.stringify(proof.output)}, output commitment ${proof.outputCommitment}${opts.out ? `, written to ${opts.out}` : ''}`,
  );
}

/**
 * `verilay verify --proof proof.json [--model <file> | --vkey vkey.json]`. The verification key
 * comes from the model's build (trusted), or a given file; the key embedded in the proof file is
 * used only with --trust-embedded-key, since a prover could ship a key of its own.
 */
export async function verify(opts: {
  proof: string;
  model?: string;
  vkey?: string;
  cacheDir?: string;
  trustEmbeddedKey?: boolean;
}): Promise<void> {
  const doc = JSON.parse(readFileSync(opts.proof, 'utf8')) as InferenceProof & { vkey?: VerificationKey };
  let vkey: VerificationKey;
  if (opts.vkey) vkey = JSON.parse(readFileSync(opts.vkey, 'utf8')) as VerificationKey;
  else if (opts.model) {
    const model = readModel(opts.model);
    if (computeModelId(model) !== doc.modelId)
      throw new Error(`the proof is for model ${doc.modelId}, not ${computeModelId(model)}`);
    const artifacts = await buildCircuit(model, { cacheDir: opts.cacheDir });
    vkey = JSON.parse(readFileSync(artifacts.vkeyPath, 'utf8')) as VerificationKey;
  } else if (opts.trustEmbeddedKey && doc.vkey) vkey = doc.vkey;
  else throw new Error('give --model <file> or --vkey <file> (or --trust-embedded-key)');
  const ok = await verifyInferenceProof(vkey, doc);
  await releaseProverThreads();
  console.log(
    ok
      ? `valid: model ${doc.modelId} maps input ${doc.inputCommitment} to output ${doc.outputCommitment}`
      : 'INVALID proof',
  );
  if (!ok) process.exitCode = 2;
}
