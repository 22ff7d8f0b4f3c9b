import { ComputeBudgetExceededError } from './errors';
import type { Layer, Model, TensorInfo } from './model';
import { tensorSize } from './tensor';

/**
 * What one inference of a model costs, counted from its shapes before anything runs. The counts are
 * the reference runtime's exact work (`run`; checked against an instrumented run in
 * compute-budget.spec.ts), exact integers below 2^53.
 */
export interface ModelCost {
  /** Multiply-accumulates of dense and conv2d layers; a padded conv's reads of padding cost none. */
  readonly macs: number;
  /**
   * The runtime's other per-element steps: one per output of dense, conv2d, requantize and relu,
   * one per pooling window read, one per argmax input. flatten costs none (it shares its input).
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

/** The defaults overridden by the caller's limits; a limit that is not a number >= 0 is a bug. */
export function resolveBudget(budget: Partial<ComputeBudget> = {}): ComputeBudget {
  const resolved = { ...DEFAULT_COMPUTE_BUDGET, ...budget };
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

function layerCost(layer: Layer, x: TensorInfo, y: TensorInfo): ModelCost {
  const inputs = tensorSize(x.shape);
  const outputs = tensorSize(y.shape);
  const params = 'weights' in layer ? layer.weights.length + 4 * layer.bias.length : 0;
  const cost = (macs: number, elementOps: number) => ({
    macs,
    elementOps,
    traceElements: outputs,
    peakBytes: (layer.op === 'flatten' ? 0 : 4 * outputs) + params,
  });
  switch (layer.op) {
    case 'dense':
      return cost(layer.inFeatures * layer.outFeatures, outputs);
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
