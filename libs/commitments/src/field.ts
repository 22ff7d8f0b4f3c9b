/** The BN254 scalar field: the field of circom signals and of snarkjs' Groth16. */
export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export type Hex32 = `0x${string}`;

export function toHex32(value: bigint): Hex32 {
  return `0x${value.toString(16).padStart(64, '0')}`;
}

export function isHex32(value: unknown): value is Hex32 {
  return typeof value === 'string' && /^0x[0-9a-fA-F]{64}$/.test(value);
}
