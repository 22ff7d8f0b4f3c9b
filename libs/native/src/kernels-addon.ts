/** A requantization's fields (a v2 op's fused `requantize`). */
export interface NativeRequantSpec {
  /** A number, or (v2) one per channel. */
  multiplier?: number | readonly number[];
  shift?: number | readonly number[];
  zeroPoint?: number;
  dtype?: string;
}

/**
 * One layer as libs/inference's Model describes it (only its op's fields are read; names as in
 * docs/model-format.md). A field the binding does not know is dropped without a word.
 */
export interface NativeLayerSpec {
  op: string;
  inFeatures?: number;
  outFeatures?: number;
  inChannels?: number;
  outChannels?: number;
  kernel?: readonly number[];
  stride?: readonly number[];
  padding?: readonly number[];
  weights?: Int8Array;
  /** int32 `[out]` for dense and conv2d, `[dim]` for layernorm; a number for polyGate. */
  bias?: Int32Array | number;
  /** A number, or (v2 `requantize`) one per channel; polyGate's and rope's are numbers. */
  multiplier?: number | readonly number[];
  shift?: number | readonly number[];
  zeroPoint?: number;
  dtype?: string;
  // Format v2 (the transformer extension).
  requantize?: NativeRequantSpec;
  slot?: number;
  transposeB?: boolean;
  vocab?: number;
  dim?: number;
  weight?: Int32Array;
  eps?: number;
  positions?: number;
  half?: number;
  cos?: Int16Array;
  sin?: Int16Array;
  causal?: boolean;
  fracBits?: number;
  table?: Int32Array;
  clip?: number;
  a?: number;
  b?: number;
  heads?: number;
}

export interface NativeModelSpec {
  /** 'verilay.model.v1' (the default) or 'verilay.model.v2'. */
  format?: string;
  inputShape: readonly number[];
  inputDtype: string;
  /** v2: [lo, hi], the range of every input value (token ids). */
  inputRange?: readonly number[];
  layers: readonly NativeLayerSpec[];
}

/**
 * A model held in Rust (weights copied in once). `run` returns the execution trace, input first.
 * Errors: KERNEL_MODEL (a model that does not hold together, or past the native size limits; at
 * run time, a token id outside an embedding's vocabulary), INVALID_INPUT (wrong length, a value
 * that is not an integer of the input dtype, or outside the input range).
 */
export interface NativeModelHandle {
  run(input: Int32Array): Int32Array[];
  runF64(input: Float64Array): Int32Array[];
  /**
   * The live slots of every state (libs/inference's `model.states`), state i flattened as
   * [slot, traceIndex, slot, traceIndex, ...].
   */
  states(): number[][];
  /**
   * Runs and commits in one crossing: the state commitments h_i (docs/model-format.md: the trace
   * tensor's commitment c_i, hashed with those its live slots hold when any; h_0 under `salt`, 32
   * big-endian bytes; null: 0), their trace root, and every c_i.
   * Errors: those of `run`, and FIELD_ELEMENT for a salt that is not a field element.
   */
  execute(input: Int32Array, salt: Buffer | null): NativeExecution;
}

export interface NativeExecution {
  output: Int32Array;
  /** h_0 .. h_L. */
  traceCommitments: `0x${string}`[];
  traceRoot: `0x${string}`;
  /** c_0 .. c_L: the commitment of each trace tensor. */
  tensorCommitments: `0x${string}`[];
}

/** The kernels functions of the native addon (native/crates/node/src/kernels.rs). */
export interface KernelsAddon {
  NativeModel: new (spec: NativeModelSpec) => NativeModelHandle;
}
