import { createTensorCommitter, toHex32, type Hex32, type TensorCommitter } from '@verilay/commitments';
import { run, type Model } from '@verilay/inference';
import { readFileSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import type { CircuitArtifacts } from './build-circuit';
import { circuitInput } from './circuit-input';
import type { Groth16Prover } from './groth16-prover';
import { loadGroth16Prover } from './load-groth16-prover';
import { WitnessCalculator } from './witness-calculator';

export type Groth16Proof = snarkjs.Groth16Proof;
export type VerificationKey = snarkjs.VerificationKey;

/**
 * A proof of a whole inference, or of one step of its trace: public signals are
 * [inputCommitment, outputCommitment] (for step i: h_i and h_i+1).
 */
export interface InferenceProof {
  readonly modelId: `0x${string}`;
  readonly circuitHash: string;
  /** null for a whole inference; else the trace step proven. */
  readonly step?: number | null;
  readonly proof: Groth16Proof;
  readonly publicSignals: readonly [string, string];
  readonly inputCommitment: Hex32;
  readonly outputCommitment: Hex32;
  /** The output the proof commits to (computed by the runtime; its commitment is checked). */
  readonly output: readonly number[];
}

/**
 * An in-process Groth16 prover for one built circuit (a whole inference or one trace step). The
 * witness calculator, the proving key and the verification key are loaded once and kept in
 * memory: a proof costs a witness and the prover's multi-exponentiations, no file reads and no
 * process spawn. The proving runs on the Groth16 prover port: native where the addon is built,
 * else snarkjs (`loadGroth16Prover`).
 */
export class Prover {
  private constructor(
    readonly model: Model,
    readonly artifacts: CircuitArtifacts,
    private readonly calculator: WitnessCalculator,
    /** The Groth16 prover port's adapter holding the proving key. */
    readonly groth16: Groth16Prover,
    readonly vkey: VerificationKey,
    private readonly committer: TensorCommitter,
  ) {}

  static async load(model: Model, artifacts: CircuitArtifacts): Promise<Prover> {
    return new Prover(
      model,
      artifacts,
      await WitnessCalculator.load(artifacts.wasmPath),
      await loadGroth16Prover(readFileSync(artifacts.zkeyPath)),
      JSON.parse(readFileSync(artifacts.vkeyPath, 'utf8')) as VerificationKey,
      await createTensorCommitter(),
    );
  }

  /**
   * Proves that the model maps the task's `input` (salted) to its output, or, for a step circuit,
   * that step i maps trace tensor i to trace tensor i+1 of this task (only h_0 is salted). Fails
   * for an input outside the model's dtype.
   */
  async prove(input: ArrayLike<number>, salt = 0n): Promise<InferenceProof> {
    const step = this.artifacts.step;
    const { output: finalOutput, trace } = run(this.model, input);
    const [from, output] = step === null ? [input, finalOutput] : [trace[step].data, trace[step + 1]];
    const wtns = await this.calculator.wtns(circuitInput(from, step === null || step === 0 ? salt : 0n));
    const { proof, publicSignals } = await this.groth16.prove(wtns);
    const [inputCommitment, outputCommitment] = publicSignals.map((s) => toHex32(BigInt(s)));
    // The circuit and the runtime must agree; a mismatch is a bug, never a valid proof to hand out.
    const expected = this.committer.commitTensor(output);
    if (outputCommitment !== expected)
      throw new Error(`circuit output commitment ${outputCommitment} differs from the runtime's ${expected}`);
    return {
      modelId: this.artifacts.modelId,
      circuitHash: this.artifacts.circuitHash,
      step,
      proof,
      publicSignals: [publicSignals[0], publicSignals[1]],
      inputCommitment,
      outputCommitment,
      output: Array.from(output.data),
    };
  }

  verify(proof: InferenceProof): Promise<boolean> {
    return verifyInferenceProof(this.vkey, proof);
  }
}

/**
 * Checks a proof against a verification key, and that its public signals are the commitments it
 * names (so a caller reading `outputCommitment` reads what was proven).
 */
export async function verifyInferenceProof(
  vkey: VerificationKey,
  p: Pick<InferenceProof, 'proof' | 'publicSignals' | 'inputCommitment' | 'outputCommitment'>,
): Promise<boolean> {
  return (await explainInferenceProof(vkey, p)) === undefined;
}

/**
 * `verifyInferenceProof`, saying which check fails: undefined for a valid proof, else why it is
 * not (public signals that are not the commitments the proof names, a key for another number of
 * public inputs, points that do not parse, or the pairing check). A key of another circuit or
 * setup fails the pairing check like forged points do: the two cannot be told apart from the proof.
 */
export async function explainInferenceProof(
  vkey: VerificationKey,
  p: Pick<InferenceProof, 'proof' | 'publicSignals' | 'inputCommitment' | 'outputCommitment'>,
): Promise<string | undefined> {
  const signals: readonly unknown[] = Array.isArray(p.publicSignals) ? p.publicSignals : [];
  if (signals.length !== 2)
    return `the proof has ${signals.length} public signals; an inference proof has 2 (input and output commitments)`;
  const named = [
    ['input', p.inputCommitment],
    ['output', p.outputCommitment],
  ] as const;
  for (const [i, [what, commitment]] of named.entries()) {
    const signal = toBigInt(signals[i]);
    const stated = toBigInt(commitment);
    if (signal === undefined || stated === undefined || signal !== stated)
      return `public signal ${i} (${String(signals[i])}) is not the ${what} commitment the proof names (${String(commitment)})`;
  }
  if (vkey.nPublic !== undefined && vkey.nPublic !== 2)
    return `the verification key is for ${vkey.nPublic} public inputs; an inference proof has 2`;
  // snarkjs says which of its checks failed only through the logger.
  const failures: string[] = [];
  const logger = { info: () => undefined, debug: () => undefined, warn: () => undefined };
  try {
    const ok = await snarkjs.groth16.verify(vkey, signals.map(String), p.proof, {
      ...logger,
      error: (message: string) => void failures.push(message),
    });
    if (ok) return undefined;
  } catch (error) {
    return `the proof's points do not parse (${error instanceof Error ? error.message : String(error)})`;
  }
  if (failures.some((f) => f.startsWith('Public inputs')))
    return 'a public signal is not a field element below the BN254 modulus';
  if (failures.some((f) => f.startsWith('Proof commitments')))
    return "the proof's points are not on the curve (or not in its subgroup)";
  return 'the pairing check fails: the proof was not made for these public signals with this verification key (another circuit or setup, or altered points)';
}

const toBigInt = (value: unknown): bigint | undefined => {
  try {
    return typeof value === 'string' || typeof value === 'number' ? BigInt(value) : undefined;
  } catch {
    return undefined;
  }
};

/** Stops snarkjs' worker threads (call once when a process is done proving, so it can exit). */
export async function releaseProverThreads(): Promise<void> {
  const curve = (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128;
  if (curve) {
    await curve.terminate();
    delete (globalThis as { curve_bn128?: unknown }).curve_bn128;
  }
}
