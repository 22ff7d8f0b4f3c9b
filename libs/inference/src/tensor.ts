import type { DType } from './dtype';

/** A dense row-major integer tensor. Values always fit int32 (see analyze-model.ts). */
export interface Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly data: Int32Array;
}

export function tensorSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
