/** GGUF metadata value types (gguf.md, "GGUFMetadataValueType"). */
export const GGUF_VALUE = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;

/** A metadata value: numbers (64-bit integers as bigint), strings, booleans, or arrays of them. */
export type GgufValue = number | bigint | string | boolean | readonly GgufValue[];

/**
 * Tensor types the reader dequantizes (ggml's `ggml_type` ids), each with its block: `blockSize`
 * elements stored in `blockBytes` bytes.
 */
export const GGML_TYPES = {
  F32: { id: 0, blockSize: 1, blockBytes: 4 },
  F16: { id: 1, blockSize: 1, blockBytes: 2 },
  Q4_0: { id: 2, blockSize: 32, blockBytes: 18 },
  Q4_1: { id: 3, blockSize: 32, blockBytes: 20 },
  Q8_0: { id: 8, blockSize: 32, blockBytes: 34 },
} as const;

export type GgmlTypeName = keyof typeof GGML_TYPES;

export function ggmlTypeName(id: number): GgmlTypeName | undefined {
  return (Object.keys(GGML_TYPES) as GgmlTypeName[]).find((name) => GGML_TYPES[name].id === id);
}
