import { ComputeBudgetExceededError } from './errors';
import type { Layer, Model, ModelFormat, TensorInfo } from './model';
import { tensorSize } from './tensor';

/**
 * What one inference of a model costs, counted from its shapes before anything runs. The counts are
 * the reference runtime's exact work (`run`; checked against an instrumented run in
 * compute-budget.spec.ts), exact integers below 2^53.
 */
export interface ModelCost {
  /**
   * Multiply-accumulates of dense (T·in·out on [T, in]), conv2d and matmul (H·M·N·K); a padded
   * conv's reads of padding cost none.
   */
  readonly macs: number;
  /**
   * The runtime's other per-element steps: one per output of dense, conv2d, requantize and relu,
   * one per pooling window read, one per argmax input. flatten costs none (it shares its input).
   * v2: one per output of every op but store, load, splitHeads and mergeHeads, plus one per
   * rmsnorm and layernorm input and per valid (unmasked) softmax input.
   */
  readonly elementOps: number;
  /** Elements of the execution trace (the input and every layer's output): what the trace commitments hash. */
  readonly traceElements: number;
  /** Bytes live when `run` returns: the trace it keeps (int32; flatten shares its input) and the int8 weights and int32 biases. */
  readonly peakBytes: number;
}

/** The most a model may cost (`ModelCost`), per inference. `Infinity` lifts a limit. */
export interface ComputeBudget {
  readonly maxMacs: number;
  readonly maxElementOps: number;
  readonly maxTraceElements: number;
  readonly maxPeakBytes: number;
}

/**
 * What every loader (`parseModel`, `buildModel`, `decodeModel`) applies unless its caller passes
 * `{ budget }`. Sized so a replay (run + trace commitments) takes seconds on one core while every
 * shipped model fits with room (docs/model-format.md, "Compute budget").
 */
export const DEFAULT_COMPUTE_BUDGET: ComputeBudget = Object.freeze({
  maxMacs: 2 ** 28,
  maxElementOps: 2 ** 24,
  maxTraceElements: 2 ** 20,
  maxPeakBytes: 2 ** 26,
});

/**
 * The defaults for `verilay.model.v2` models (transformers; docs/model-format.md, "Compute budget
 * (v2 ops)"): sized for SmolLM2-135M at a context of 64 (~2^33.3 MACs, ~2^26 trace elements,
 * ~2^28.5 bytes) with room, so one replay stays within seconds natively and minutes in JS. A
 * document chooses its format, so this is the bound the apps effectively apply to any model.
 */
export const DEFAULT_V2_COMPUTE_BUDGET: ComputeBudget = Object.freeze({
  maxMacs: 2 ** 34,
  maxElementOps: 2 ** 27,
  maxTraceElements: 2 ** 27,
  maxPeakBytes: 2 ** 30,
});

/** Options of every loader. */
export interface LoadOptions {
  /** Limits to apply instead of the defaults; a limit left out keeps its default. */
  readonly budget?: Partial<ComputeBudget>;
}

const LIMIT_OF: Readonly<Record<keyof ModelCost, keyof ComputeBudget>> = {
  macs: 'maxMacs',
  elementOps: 'maxElementOps',
  traceElements: 'maxTraceElements',
  peakBytes: 'maxPeakBytes',
};

/**
 * The format's defaults overridden by the caller's limits; a limit that is not a number >= 0 is a
 * bug.
 */
export function resolveBudget(
  budget: Partial<ComputeBudget> = {},
  format: ModelFormat = 'verilay.model.v1',
): ComputeBudget {
  const defaults = format === 'verilay.model.v2' ? DEFAULT_V2_COMPUTE_BUDGET : DEFAULT_COMPUTE_BUDGET;
  const resolved = { ...defaults, ...budget };
  for (const limit of Object.values(LIMIT_OF)) {
    const max = resolved[limit];
    // SAFETY: NaN would make every comparison false, so no model would ever be over it.
    if (typeof max !== 'number' || Number.isNaN(max) || max < 0)
      throw new RangeError(`compute budget ${limit} must be a number >= 0, got ${String(max)}`);
  }
  return resolved;
}

/**
 * Adds up a model's cost layer by layer and throws `ComputeBudgetExceededError` at the first layer
 * that takes a total past its limit, so a hostile model is rejected after O(layers) work.
 */
export class CostMeter {
  private readonly cost = { macs: 0, elementOps: 0, traceElements: 0, peakBytes: 0 };

  constructor(
    private readonly budget: ComputeBudget,
    input: TensorInfo,
  ) {
    this.cost.traceElements = tensorSize(input.shape);
    this.cost.peakBytes = 4 * tensorSize(input.shape);
  }

  /** Adds `layers[index]`, which maps tensor `x` to tensor `y`; throws when over the budget. */
  add(index: number, layer: Layer, x: TensorInfo, y: TensorInfo): void {
    const step = layerCost(layer, x, y);
    for (const key of Object.keys(LIMIT_OF) as (keyof ModelCost)[]) {
      this.cost[key] += step[key];
      const limit = LIMIT_OF[key];
      if (this.cost[key] > this.budget[limit])
        throw new ComputeBudgetExceededError(index, limit, this.cost[key], this.budget[limit]);
    }
  }

  get total(): ModelCost {
    return { ...this.cost };
  }
}

/** The cost of one inference of a loaded model (no limits). */
export function modelCost(model: Model): ModelCost {
  const unlimited = resolveBudget({
    maxMacs: Infinity,
    maxElementOps: Infinity,
    maxTraceElements: Infinity,
    maxPeakBytes: Infinity,
  });
  const meter = new CostMeter(unlimited, model.tensors[0]);
  model.layers.forEach((layer, i) => meter.add(i, layer, model.tensors[i], model.tensors[i + 1]));
  return meter.total;
}

/**
 * Bytes of a layer's constants: every typed array it holds (weights, biases, tables), and a
 * per-channel requantization's multiplier and shift arrays (JS numbers, 8 bytes each).
 */
export function parameterBytes(layer: Layer): number {
  const channels = (r: { multiplier: unknown; shift: unknown } | undefined) =>
    r && Array.isArray(r.multiplier) && Array.isArray(r.shift)
      ? 8 * (r.multiplier.length + r.shift.length)
      : 0;
  const fused = 'requantize' in layer ? layer.requantize : undefined;
  return (
    Object.values(layer).reduce((n: number, v) => n + (ArrayBuffer.isView(v) ? v.byteLength : 0), 0) +
    (layer.op === 'requantize' ? channels(layer) : channels(fused))
  );
}

/** Ops whose trace tensor is a buffer the trace holds already (store and load share it). */
const SHARES_BUFFER: ReadonlySet<Layer['op']> = new Set(['flatten', 'store', 'load']);

function layerCost(layer: Layer, x: TensorInfo, y: TensorInfo): ModelCost {
  const inputs = tensorSize(x.shape);
  const outputs = tensorSize(y.shape);
  const cost = (macs: number, elementOps: number) => ({
    macs,
    elementOps,
    traceElements: outputs,
    peakBytes: (SHARES_BUFFER.has(layer.op) ? 0 : 4 * outputs) + parameterBytes(layer),
  });
  switch (layer.op) {
    case 'dense':
      return cost((outputs / layer.outFeatures) * layer.inFeatures * layer.outFeatures, outputs);
    case 'conv2d': {
      const rows = axisTaps(x.shape[1], y.shape[1], layer.kernel[0], layer.stride[0], layer.padding[0]);
      const cols = axisTaps(x.shape[2], y.shape[2], layer.kernel[1], layer.stride[1], layer.padding[1]);
      return cost(layer.outChannels * layer.inChannels * rows * cols, outputs);
    }
    case 'requantize':
    case 'relu':
      return cost(0, inputs);
    case 'maxpool':
    case 'avgpool':
      return cost(0, outputs * layer.kernel[0] * layer.kernel[1]);
    case 'flatten':
      return cost(0, 0);
    case 'argmax':
      return cost(0, inputs);
    case 'store':
    case 'load':
    case 'splitHeads':
    case 'mergeHeads':
      return cost(0, 0);
    case 'matmul':
      return cost(outputs * x.shape[x.shape.length - 1], outputs);
    case 'embedding':
    case 'add':
    case 'mul':
    case 'rope':
    case 'polyGate':
      return cost(0, outputs);
    case 'rmsnorm':
    case 'layernorm':
      return cost(0, inputs + outputs);
    case 'softmax': {
      // A causal row r reads columns 0..r: N(N + 1)/2 per [N, N] matrix.
      const [m, n] = x.shape.slice(-2);
      const valid = layer.causal ? (inputs / (m * n)) * ((n * (n + 1)) / 2) : inputs;
      return cost(0, outputs + valid);
    }
  }
}

/**
 * On one axis of a conv (input length n, output length out, kernel k, stride s, padding p): the
 * pairs (output position o, kernel offset j) whose input position o*s + j - p lies in [0, n).
 * Each is one MAC per (output channel, input channel, pair on the other axis). Loops over the
 * kernel (at most 4096 offsets), never over the output.
 */
function axisTaps(n: number, out: number, k: number, s: number, p: number): number {
  let taps = 0;
  for (let j = 0; j < k; j++) {
    const first = Math.max(0, Math.ceil((p - j) / s));
    const last = Math.min(out - 1, Math.floor((n - 1 + p - j) / s));
    if (last >= first) taps += last - first + 1;
  }
  return taps;
}
