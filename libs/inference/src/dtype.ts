/** Integer element types. Every tensor in a verilay model has one; no floats anywhere. */
export type DType = 'int8' | 'uint8' | 'int16' | 'int32';

export interface DTypeInfo {
  /** Code in the canonical model encoding and in tensor commitment headers. */
  readonly code: number;
  readonly bits: number;
  readonly min: number;
  readonly max: number;
}

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = {
  int8: { code: 1, bits: 8, min: -128, max: 127 },
  uint8: { code: 2, bits: 8, min: 0, max: 255 },
  int16: { code: 3, bits: 16, min: -32768, max: 32767 },
  int32: { code: 4, bits: 32, min: -2147483648, max: 2147483647 },
};

export const INT32_MAX = 2147483647;

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, value);
}

export function dtypeFromCode(code: number): DType | undefined {
  return (Object.keys(DTYPES) as DType[]).find((d) => DTYPES[d].code === code);
}
