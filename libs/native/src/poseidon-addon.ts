/**
 * The poseidon functions of the native addon (native/crates/node/src/poseidon.rs). Field elements
 * cross as 32 big-endian bytes. Errors: POSEIDON_WIDTH (not 1..16 inputs), FIELD_ELEMENT (not 32
 * bytes, or not below the BN254 modulus), TENSOR_DTYPE (unknown dtype code), TENSOR_VALUE (a value
 * outside the dtype: the message libs/commitments' packTensor throws).
 */
export interface PoseidonAddon {
  /** circomlibjs' poseidon(inputs) for 1..16 inputs (initial state 0, one output). */
  poseidonHash(inputs: Buffer): Buffer;
  /** verilay's tensor commitment of int32 values (docs/commitments.md): `0x` + 64 hex digits. */
  commitTensorI32(dtypeCode: number, data: Int32Array, salt: Buffer | null): string;
  /** The same for any numbers, checked to be integers of the dtype. */
  commitTensorF64(dtypeCode: number, data: Float64Array, salt: Buffer | null): string;
}
