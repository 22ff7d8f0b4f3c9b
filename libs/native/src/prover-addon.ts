/** The prover functions of the native addon (native/crates/node/src/prover.rs). */

/** A Groth16 proof in snarkjs' JSON shape (decimal strings, projective with z = 1). */
export interface NativeGroth16Proof {
  readonly pi_a: string[];
  readonly pi_b: string[][];
  readonly pi_c: string[];
  readonly publicSignals: string[];
}

/** A snarkjs .zkey (BN254 Groth16) parsed once and kept in native memory. */
export interface NativeProvingKey {
  /** Wires of the circuit: the witness length. */
  readonly nVars: number;
  readonly nPublic: number;
  readonly domainSize: number;
  /**
   * Proves from a witness (.wtns bytes or raw 32-byte little-endian field elements) off the event
   * loop; the proof is checked under the key's verification key first. Rejects with
   * WITNESS_LENGTH, WITNESS_INVALID or WITNESS_UNSATISFIED.
   */
  prove(witness: Uint8Array): Promise<NativeGroth16Proof>;
}

export interface ProverAddon {
  /** Parses a key on the calling thread; throws ZKEY_INVALID. */
  NativeProvingKey: new (zkey: Uint8Array) => NativeProvingKey;
  /** Parses a key off the event loop; rejects with ZKEY_INVALID. */
  loadNativeProvingKey(zkey: Uint8Array): Promise<NativeProvingKey>;
}
