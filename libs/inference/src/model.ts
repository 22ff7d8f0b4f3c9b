import type { DType } from './dtype';

/** A tensor's static description: row-major shape, element type and the proven value interval. */
export interface TensorInfo {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Every value of this tensor lies in [min, max] for every valid input (interval analysis). */
  readonly min: number;
  readonly max: number;
}

/** The model document's format tag: v2 adds the transformer extension (docs/model-format.md). */
export type ModelFormat = 'verilay.model.v1' | 'verilay.model.v2';

/**
 * A requantization fused into `dense`, `matmul`, `add` or `mul` (v2): the layer's output is
 * `requantize(exact result)` in `dtype`, one layer and one trace step. This is the per-tensor
 * form; `Requantization` also allows the per-channel one.
 */
export interface FusedRequantize {
  readonly multiplier: number;
  readonly shift: number;
  readonly zeroPoint: number;
  readonly dtype: DType;
}

/**
 * Per-channel requantization (v2): one `multiplier` and `shift` per channel of the tensor
 * (`channelAxis` in requantize.ts: the first axis of a 3-D tensor, the last otherwise), one
 * `zeroPoint` and `dtype`.
 */
export interface ChannelRequantize {
  readonly multiplier: readonly number[];
  readonly shift: readonly number[];
  readonly zeroPoint: number;
  readonly dtype: DType;
}

/** A `requantize` layer's or a fused block's fields: per tensor or (v2) per channel. */
export type Requantization = FusedRequantize | ChannelRequantize;

export interface DenseLayer {
  readonly op: 'dense';
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** int8, row-major [outFeatures][inFeatures]. */
  readonly weights: Int8Array;
  /** int32, [outFeatures]. */
  readonly bias: Int32Array;
  /** v2 only. Absent (not `undefined`) when there is none: the native runner reads the keys. */
  readonly requantize?: Requantization;
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

/**
 * y = saturate(roundHalfUp(x * multiplier / 2^shift) + zeroPoint) into `dtype`; (v2) `multiplier`
 * and `shift` may be arrays, one entry per channel.
 */
export type RequantizeLayer = { readonly op: 'requantize' } & Requantization;

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

/** v2: copies the current tensor into an empty slot (1..15); the current tensor stays. */
export interface StoreLayer {
  readonly op: 'store';
  readonly slot: number;
}

/** v2: the current tensor becomes the slot's tensor, and the slot is emptied. */
export interface LoadLayer {
  readonly op: 'load';
  readonly slot: number;
}

/** v2: token ids `[T]` to rows of `weights`: `[T, dim]` int8. */
export interface EmbeddingLayer {
  readonly op: 'embedding';
  readonly vocab: number;
  readonly dim: number;
  /** int8, row-major [vocab][dim]. */
  readonly weights: Int8Array;
}

/** v2: current tensor times the slot's tensor, `[(H,) M, K] x [(H,) K, N]` (or `[(H,) N, K]` transposed). */
export interface MatmulLayer {
  readonly op: 'matmul';
  readonly slot: number;
  readonly transposeB: boolean;
  readonly requantize?: Requantization;
}

/** v2: element-wise current tensor + (or ×) the slot's tensor, same shape. */
export interface ElementwiseLayer {
  readonly op: 'add' | 'mul';
  readonly slot: number;
  readonly requantize?: Requantization;
}

/** v2: RMSNorm over the last axis with an exact integer square root. */
export interface RmsNormLayer {
  readonly op: 'rmsnorm';
  readonly dim: number;
  /** int32, [dim]. */
  readonly weight: Int32Array;
  /** In [1, 2^16]; also keeps the root of an all-zero row at least 1. */
  readonly eps: number;
  /** int8 or int16. */
  readonly dtype: DType;
}

/** v2: LayerNorm over the last axis (mean, variance, exact integer square root, weight and bias). */
export interface LayerNormLayer {
  readonly op: 'layernorm';
  readonly dim: number;
  /** int32, [dim]. */
  readonly weight: Int32Array;
  /** int32, [dim]: added after the rounded quotient, before the clamp. */
  readonly bias: Int32Array;
  /** In [1, 2^16]. */
  readonly eps: number;
  /** int8 or int16. */
  readonly dtype: DType;
}

/** v2: rotary position embedding on `[H, T, 2·half]` (rotate-half pairing). */
export interface RopeLayer {
  readonly op: 'rope';
  /** In [1, 30]. */
  readonly shift: number;
  /** int8 or int16. */
  readonly dtype: DType;
  /** T: the number of positions (the input's second axis). */
  readonly positions: number;
  /** hd / 2: the pairs per position. */
  readonly half: number;
  /** int16, row-major [positions][half]: cos[t * half + i]. */
  readonly cos: Int16Array;
  /** int16, row-major [positions][half]. */
  readonly sin: Int16Array;
}

/** v2: base-2 fixed-point softmax over the last axis, a table over `fracBits` bits; uint8 out. */
export interface SoftmaxLayer {
  readonly op: 'softmax';
  readonly causal: boolean;
  /** k in [0, 6]. */
  readonly fracBits: number;
  /** [2^k] integers in [1, 2^15]: table[p] ≈ 2^15 · 2^(−p / 2^k). */
  readonly table: Int32Array;
}

/** v2: `y = requantize(x · g(x))` with g I-BERT's clipped second-order polynomial (SiLU, GELU). */
export interface PolyGateLayer {
  readonly op: 'polyGate';
  readonly clip: number;
  readonly a: number;
  readonly b: number;
  readonly bias: number;
  readonly multiplier: number;
  readonly shift: number;
  readonly zeroPoint: number;
  readonly dtype: DType;
}

/** v2: `[T, H·hd]` to `[H, T, hd]`. */
export interface SplitHeadsLayer {
  readonly op: 'splitHeads';
  readonly heads: number;
}

/** v2: `[H, T, hd]` to `[T, H·hd]`. */
export interface MergeHeadsLayer {
  readonly op: 'mergeHeads';
}

/** The layers of format v1. */
export type LayerV1 =
  DenseLayer | Conv2dLayer | RequantizeLayer | ReluLayer | PoolLayer | FlattenLayer | ArgMaxLayer;
export type Layer =
  | LayerV1
  | StoreLayer
  | LoadLayer
  | EmbeddingLayer
  | MatmulLayer
  | ElementwiseLayer
  | RmsNormLayer
  | LayerNormLayer
  | RopeLayer
  | SoftmaxLayer
  | PolyGateLayer
  | SplitHeadsLayer
  | MergeHeadsLayer;
export type LayerOp = Layer['op'];
/** The layers that read a slot (and empty it). */
export type SlotLayer = StoreLayer | LoadLayer | MatmulLayer | ElementwiseLayer;

/** A model's input: shape, dtype and (v2) the range every value must lie in, e.g. token ids. */
export interface ModelInput {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** v2: [lo, hi] within the dtype. Absent (not `undefined`) when there is none. */
  readonly range?: readonly [number, number];
}

/** A live slot of a state: [slot number 1..15, index of the trace tensor it holds]. */
export type LiveSlot = readonly [slot: number, traceIndex: number];

/**
 * A validated quantized sequential model. Only `parseModel`/`decodeModel` make one, so holding a
 * `Model` means its shapes chain and every intermediate value is within its stated bound.
 */
export interface Model {
  /** Which canonical encoding (magic) and argmax rule the model has. */
  readonly format: ModelFormat;
  /** Human label; not part of the canonical bytes, so not part of `modelId`. */
  readonly name: string;
  readonly input: ModelInput;
  readonly layers: readonly Layer[];
  /** tensors[0] is the input, tensors[i + 1] the output of layers[i]. */
  readonly tensors: readonly TensorInfo[];
  /**
   * states[i] (i = 0..L): the slots live before layer i, ascending by slot, each with the trace
   * tensor it holds. states[L] is always empty; every state of a v1 model is.
   */
  readonly states: readonly (readonly LiveSlot[])[];
}

/** What a model is built from before validation (the JSON document, with typed arrays or not). */
export interface ModelSpec {
  /** Default: v1 when the spec uses no v2 feature, else v2. */
  readonly format?: ModelFormat;
  readonly name?: string;
  readonly input: ModelInput;
  readonly layers: readonly Layer[];
}
