/** A Groth16 proof as snarkjs writes it (JSON, decimal strings, projective coordinates). */
export interface SnarkjsGroth16Proof {
  readonly pi_a: readonly string[];
  readonly pi_b: readonly (readonly string[])[];
  readonly pi_c: readonly string[];
}

/** The proof in the calldata layout of snarkjs' Solidity verifier (struct `Groth16Proof`). */
export interface SolidityGroth16Proof {
  readonly a: readonly [bigint, bigint];
  readonly b: readonly [readonly [bigint, bigint], readonly [bigint, bigint]];
  readonly c: readonly [bigint, bigint];
}

/**
 * Converts a snarkjs proof to the verifier's calldata layout: affine points, and each G2
 * coordinate written (imaginary, real), which is the EIP-197 order (what
 * `snarkjs zkey export soliditycalldata` prints).
 */
export function toSolidityProof(proof: SnarkjsGroth16Proof): SolidityGroth16Proof {
  const n = (s: string) => BigInt(s);
  return {
    a: [n(proof.pi_a[0]), n(proof.pi_a[1])],
    b: [
      [n(proof.pi_b[0][1]), n(proof.pi_b[0][0])],
      [n(proof.pi_b[1][1]), n(proof.pi_b[1][0])],
    ],
    c: [n(proof.pi_c[0]), n(proof.pi_c[1])],
  };
}
