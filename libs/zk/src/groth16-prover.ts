import type * as snarkjs from 'snarkjs';

/** A Groth16 proof in snarkjs' JSON shape and its public signals. */
export interface Groth16ProofResult {
  readonly proof: snarkjs.Groth16Proof;
  readonly publicSignals: string[];
}

/**
 * The Groth16 prover port: one proving key (snarkjs .zkey) loaded once and kept in memory,
 * proving from witnesses in snarkjs' .wtns format. Adapters: snarkjs (JavaScript and WebAssembly)
 * and the native core (native/crates/prover); `loadGroth16Prover` picks per VERILAY_NATIVE.
 */
export abstract class Groth16Prover {
  /** Which adapter runs (for logs and benchmarks). */
  abstract readonly implementation: 'snarkjs' | 'native';
  /** Proves with fresh randomness; the proof verifies under the key's verification key. */
  abstract prove(wtns: Uint8Array): Promise<Groth16ProofResult>;
}
