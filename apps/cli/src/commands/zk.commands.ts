import { computeModelId } from '@verilay/inference';
import {
  buildCircuit,
  explainInferenceProof,
  Prover,
  releaseProverThreads,
  type InferenceProof,
  type VerificationKey,
} from '@verilay/zk';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { readInput } from './input-file';
import { readJsonFile } from './json-file';
import { readModel } from './model-file';
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

/**
 * `verilay prove --model <file> --input <file> [--out proof.json] [--snarkjs <dir>]`. The proof
 * file holds the proof, its public signals, the commitments and output, and the verification key;
 * `--snarkjs` also writes the three files `snarkjs groth16 verify` reads.
 */
export async function prove(opts: {
  model: string;
  input: string;
  out?: string;
  snarkjs?: string;
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
  if (opts.snarkjs) {
    const files = writeSnarkjsFiles(opts.snarkjs, { ...proof, vkey: prover.vkey });
    console.error(`for snarkjs: snarkjs groth16 verify ${files.vkey} ${files.public} ${files.proof}`);
  }
}

/**
 * Writes a proof as snarkjs' CLI reads it: `proof.json` (the Groth16 points), `public.json` (the
 * public signals: input and output commitments) and `vkey.json`. Returns their paths.
 */
export function writeSnarkjsFiles(
  dir: string,
  doc: Pick<InferenceProof, 'proof' | 'publicSignals'> & { vkey: VerificationKey },
): { proof: string; public: string; vkey: string } {
  mkdirSync(dir, { recursive: true });
  const files = {
    proof: join(dir, 'proof.json'),
    public: join(dir, 'public.json'),
    vkey: join(dir, 'vkey.json'),
  };
  writeFileSync(files.proof, JSON.stringify(doc.proof, null, 1));
  writeFileSync(files.public, JSON.stringify(doc.publicSignals, null, 1));
  writeFileSync(files.vkey, JSON.stringify(doc.vkey, null, 1));
  return files;
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
  const doc = readJsonFile(opts.proof) as InferenceProof & { vkey?: VerificationKey };
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new Error(`${opts.proof}: not a proof file of verilay prove (expected a JSON object)`);
  let vkey: VerificationKey;
  /** What the key source tells beyond the proof: a proof of another circuit fails the pairing. */
  let mismatch: string | undefined;
  if (opts.vkey) vkey = readJsonFile(opts.vkey) as VerificationKey;
  else if (opts.model) {
    const model = readModel(opts.model);
    if (computeModelId(model) !== doc.modelId)
      throw new Error(`the proof is for model ${doc.modelId}, not ${computeModelId(model)}`);
    if (doc.step != null)
      throw new Error(
        `the proof is of trace step ${doc.step}; --model verifies whole-inference proofs (give the step circuit's --vkey)`,
      );
    const artifacts = await buildCircuit(model, { cacheDir: opts.cacheDir });
    vkey = readJsonFile(artifacts.vkeyPath) as VerificationKey;
    if (doc.circuitHash && doc.circuitHash !== artifacts.circuitHash)
      mismatch = `the proof names circuit ${doc.circuitHash}, the model's build is circuit ${artifacts.circuitHash}`;
  } else if (opts.trustEmbeddedKey && doc.vkey) vkey = doc.vkey;
  else throw new Error('give --model <file> or --vkey <file> (or --trust-embedded-key)');
  if (!mismatch && doc.vkey && !isDeepStrictEqual(doc.vkey, vkey))
    mismatch = 'the verification key inside the proof file is not the one verified against';
  const why = await explainInferenceProof(vkey, doc);
  await releaseProverThreads();
  if (why === undefined)
    console.log(
      `valid: model ${doc.modelId} maps input ${doc.inputCommitment} to output ${doc.outputCommitment}`,
    );
  else {
    console.log(`INVALID proof: ${why}${mismatch ? ` (${mismatch})` : ''}`);
    process.exitCode = 2;
  }
}
