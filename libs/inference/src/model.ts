import type { DType } from './dtype';

/** A tensor's static description: row-major shape, element type and the proven value interval. */
export interface TensorInfo {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Every value of this tensor lies in [min, max] for every valid input (interval analysis). */
  readonly min: number;
  readonly max: number;
}

export interface DenseLayer {
  readonly op: 'dense';
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** int8, row-major [outFeatures][inFeatures]. */
  readonly weights: Int8Array;
  /** int32, [outFeatures]. */
  readonly bias: Int32Array;
}

export interface Conv2dLayer {
  readonly op: 'conv2d';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  /** Zero padding added on each side: [rows, columns]. */
  readonly padding: readonly [number, number];
  /** int8, row-major [outChannels][inChannels][kernelH][kernelW]. */
  readonly weights: Int8Array;
  /** int32, [outChannels]. */
  readonly bias: Int32Array;
}

/** y = saturate(roundHalfUp(x * multiplier / 2^shift) + zeroPoint) into `dtype`. */
export interface RequantizeLayer {
  readonly op: 'requantize';
  readonly multiplier: number;
  readonly shift: number;
  readonly zeroPoint: number;
  readonly dtype: DType;
}

export interface ReluLayer {
  readonly op: 'relu';
}

export interface PoolLayer {
  readonly op: 'maxpool' | 'avgpool';
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
}

export interface FlattenLayer {
  readonly op: 'flatten';
}

export interface ArgMaxLayer {
  readonly op: 'argmax';
}

export type Layer =
  DenseLayer | Conv2dLayer | RequantizeLayer | ReluLayer | PoolLayer | FlattenLayer | ArgMaxLayer;
export type LayerOp = Layer['op'];

/**
 * A validated quantized sequential model. Only `parseModel`/`decodeModel` make one, so holding a
 * `Model` means its shapes chain and every intermediate value is within its stated bound.
 */
export interface Model {
  /** Human label; not part of the canonical bytes, so not part of `modelId`. */
  readonly name: string;
  readonly input: { readonly shape: readonly number[]; readonly dtype: DType };
  readonly layers: readonly Layer[];
  /** tensors[0] is the input, tensors[i + 1] the output of layers[i]. */
  readonly tensors: readonly TensorInfo[];
}

/** What a model is built from before validation (the JSON document, with typed arrays or not). */
export interface ModelSpec {
  readonly name?: string;
  readonly input: { readonly shape: readonly number[]; readonly dtype: DType };
  readonly layers: readonly Layer[];
}
