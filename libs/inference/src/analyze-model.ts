import {
  absMax,
  analyzeV2Layer,
  argmaxV2,
  checkRequantize,
  denseRows,
  fusedDense,
  MAX_LIVE_SLOTS,
  MAX_SLOT,
  param,
  requantizeInterval,
  V2_OPS,
} from './analyze-transformer';
import { CostMeter, DEFAULT_COMPUTE_BUDGET, type ComputeBudget } from './compute-budget';
import { DTYPES, INT32_MAX } from './dtype';
import { InvalidModelError } from './errors';
import { isPerChannel } from './requantize';
import type { Layer, LiveSlot, ModelFormat, ModelSpec, TensorInfo } from './model';
import { tensorSize } from './tensor';

/** Largest pooling window; keeps window sums far below 2^31 and circuits small. */
export const MAX_POOL_WINDOW = 256;
/** Largest number of elements in any tensor of a model. */
export const MAX_TENSOR_SIZE = 1 << 22;
export const MAX_REQUANT_SHIFT = 62;
/** Most layers in a model (the canonical decoder enforces the same limit). */
export const MAX_LAYERS = 4096;

export const MODEL_FORMAT_V1 = 'verilay.model.v1';
export const MODEL_FORMAT_V2 = 'verilay.model.v2';

/** What the loader proves about a model besides its layers. */
export interface ModelAnalysis {
  readonly format: ModelFormat;
  readonly tensors: TensorInfo[];
  readonly states: LiveSlot[][];
}

/** The path of the first v2 feature a spec uses (null if none): what a v1 document must not have. */
export function firstV2Feature(spec: ModelSpec): string | null {
  if (spec.input.range !== undefined) return 'input.range';
  for (const [i, layer] of spec.layers.entries()) {
    if (V2_OPS.has(layer.op)) return `layers[${i}].op`;
    if (layer.op === 'dense' && layer.requantize !== undefined) return `layers[${i}].requantize`;
    if (layer.op === 'requantize' && isPerChannel(layer)) return `layers[${i}].multiplier`;
  }
  return null;
}

/**
 * Checks that a model's shapes chain and proves a value interval for every tensor.
 *
 * Bounds (INVARIANT, relied on by the runtime, the GPU executor and the circuits):
 * - dense/conv accumulators: |bias| + sum(|w| * max|x|) <= 2^31 - 1 for every output, so every
 *   partial sum, in any order, fits a signed 32-bit integer and a JS number exactly;
 * - requantize: |acc| < 2^31 and 1 <= multiplier < 2^31, so |acc * multiplier| < 2^62 and the
 *   rounded product + 2^(shift-1) stays below 2^63;
 * - avgpool window sums: window * max|x| <= 2^31 - 1.
 *
 * Shapes alone do not bound work (a 1x1 conv padded by 1023 makes a 2047x2047 plane out of one
 * value): the model's cost is counted layer by layer against `budget` (compute-budget.ts).
 */
export function analyzeModel(spec: ModelSpec, budget: ComputeBudget = DEFAULT_COMPUTE_BUDGET): ModelAnalysis {
  const v2Feature = firstV2Feature(spec);
  const format = spec.format ?? (v2Feature === null ? MODEL_FORMAT_V1 : MODEL_FORMAT_V2);
  if (format !== MODEL_FORMAT_V1 && format !== MODEL_FORMAT_V2)
    throw new InvalidModelError('format', `must be "${MODEL_FORMAT_V1}" or "${MODEL_FORMAT_V2}"`);
  if (format === MODEL_FORMAT_V1 && v2Feature !== null)
    throw new InvalidModelError(
      v2Feature,
      `needs "format": "${MODEL_FORMAT_V2}" (the transformer extension)`,
    );
  const { shape, dtype, range } = spec.input;
  if (!(dtype in DTYPES)) throw new InvalidModelError('input.dtype', `unknown dtype ${dtype}`);
  let [min, max] = [DTYPES[dtype].min, DTYPES[dtype].max];
  if (range !== undefined) {
    if (!Array.isArray(range) || range.length !== 2)
      throw new InvalidModelError('input.range', 'must be [lo, hi]');
    param('input.range[0]', range[0], min, max);
    param('input.range[1]', range[1], range[0], max);
    [min, max] = range;
  }
  const input: TensorInfo = { shape: [...shape], dtype, min, max };
  checkSize('input.shape', input.shape);
  if (input.shape.length > 3) throw new InvalidModelError('input.shape', 'must have 1 to 3 dimensions');
  if (spec.layers.length === 0) throw new InvalidModelError('layers', 'a model needs at least one layer');
  if (spec.layers.length > MAX_LAYERS)
    throw new InvalidModelError('layers', `at most ${MAX_LAYERS} layers, got ${spec.layers.length}`);
  const tensors = [input];
  const meter = new CostMeter(budget, input);
  // slot -> [trace index it holds, the layer that stored it]
  const live = new Map<number, [number, number]>();
  const states: LiveSlot[][] = [];
  spec.layers.forEach((layer, i) => {
    const path = `layers[${i}]`;
    states.push([...live].sort(([a], [b]) => a - b).map(([slot, [j]]) => [slot, j] as const));
    let out: TensorInfo;
    if ('slot' in layer) {
      param(`${path}.slot`, layer.slot, 1, MAX_SLOT);
      const held = live.get(layer.slot);
      if (layer.op === 'store') {
        if (held)
          throw new InvalidModelError(
            `${path}.slot`,
            `slot ${layer.slot} is live (stored by layers[${held[1]}])`,
          );
        live.set(layer.slot, [i, i]);
        if (live.size > MAX_LIVE_SLOTS)
          throw new InvalidModelError(path, `more than ${MAX_LIVE_SLOTS} live slots`);
        out = tensors[i];
      } else {
        if (!held) throw new InvalidModelError(`${path}.slot`, `slot ${layer.slot} is empty`);
        live.delete(layer.slot);
        out =
          layer.op === 'load' ? tensors[held[0]] : analyzeV2Layer(path, layer, tensors[i], tensors[held[0]]);
      }
    } else if (layer.op === 'argmax' && format === MODEL_FORMAT_V2) out = argmaxV2(path, tensors[i]);
    else if (layer.op === 'dense' && format === MODEL_FORMAT_V2) {
      checkParams(path, layer);
      const rows = denseRows(path, layer.inFeatures, tensors[i]);
      const acc = accumulator(path, layer.weights, layer.bias, layer.inFeatures, tensors[i], [
        layer.outFeatures,
      ]);
      const shape = tensors[i].shape.length === 1 ? [layer.outFeatures] : [rows, layer.outFeatures];
      out = fusedDense(path, layer, { ...acc, shape });
    } else if (V2_OPS.has(layer.op)) out = analyzeV2Layer(path, layer, tensors[i]);
    else out = analyzeLayer(path, layer, tensors[i]);
    checkSize(path, out.shape);
    if (layer.op === 'argmax' && i !== spec.layers.length - 1)
      throw new InvalidModelError(path, 'argmax must be the last layer');
    meter.add(i, layer, tensors[i], out);
    tensors.push(out);
  });
  for (const [slot, [, by]] of live)
    throw new InvalidModelError(
      `layers[${by}]`,
      `slot ${slot} is still live after the last layer (every stored tensor must be loaded or used)`,
    );
  states.push([]);
  return { format, tensors, states };
}

function checkSize(path: string, shape: readonly number[]) {
  if (shape.length === 0 || shape.some((d) => !Number.isSafeInteger(d) || d < 1))
    throw new InvalidModelError(path, `shape [${shape}] must have positive integer dimensions`);
  if (tensorSize(shape) > MAX_TENSOR_SIZE)
    throw new InvalidModelError(path, `tensor of ${tensorSize(shape)} elements exceeds ${MAX_TENSOR_SIZE}`);
}

function checkParams(path: string, layer: Layer) {
  if (layer.op === 'dense' && layer.requantize !== undefined)
    checkRequantize(`${path}.requantize`, layer.requantize);
  if ('kernel' in layer) layer.kernel.forEach((v, i) => param(`${path}.kernel[${i}]`, v, 1, 4096));
  if ('stride' in layer) layer.stride.forEach((v, i) => param(`${path}.stride[${i}]`, v, 1, 4096));
  if (layer.op === 'conv2d') layer.padding.forEach((v, i) => param(`${path}.padding[${i}]`, v, 0, 4096));
  if (layer.op === 'dense' || layer.op === 'conv2d') {
    const [outputs, fanIn] =
      layer.op === 'dense'
        ? [layer.outFeatures, layer.inFeatures]
        : [layer.outChannels, layer.inChannels * layer.kernel[0] * layer.kernel[1]];
    if (layer.weights.length !== outputs * fanIn)
      throw new InvalidModelError(
        `${path}.weights`,
        `must have ${outputs * fanIn} values, got ${layer.weights.length}`,
      );
    if (layer.bias.length !== outputs)
      throw new InvalidModelError(`${path}.bias`, `must have ${outputs} values, got ${layer.bias.length}`);
  }
  if (layer.op === 'requantize') checkRequantize(path, layer);
}

function analyzeLayer(path: string, layer: Layer, x: TensorInfo): TensorInfo {
  checkParams(path, layer);
  switch (layer.op) {
    case 'dense': {
      if (x.shape.length !== 1 || x.shape[0] !== layer.inFeatures)
        throw new InvalidModelError(path, `dense expects input [${layer.inFeatures}], got [${x.shape}]`);
      return accumulator(path, layer.weights, layer.bias, layer.inFeatures, x, [layer.outFeatures]);
    }
    case 'conv2d': {
      const [c, h, w] = x.shape;
      if (x.shape.length !== 3 || c !== layer.inChannels)
        throw new InvalidModelError(
          path,
          `conv2d expects input [${layer.inChannels}, H, W], got [${x.shape}]`,
        );
      const [kh, kw] = layer.kernel;
      const [sh, sw] = layer.stride;
      const [ph, pw] = layer.padding;
      const oh = Math.floor((h + 2 * ph - kh) / sh) + 1;
      const ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
      if (h + 2 * ph < kh || w + 2 * pw < kw)
        throw new InvalidModelError(path, `kernel [${kh}, ${kw}] larger than padded input [${h}, ${w}]`);
      // Zero padding reads 0, which may lie outside x's interval: widen it to include 0.
      const seen = ph > 0 || pw > 0 ? { ...x, min: Math.min(x.min, 0), max: Math.max(x.max, 0) } : x;
      return accumulator(path, layer.weights, layer.bias, c * kh * kw, seen, [layer.outChannels, oh, ow]);
    }
    case 'requantize': {
      if (x.dtype !== 'int32' && absMax(x) > INT32_MAX)
        throw new InvalidModelError(path, 'requantize input exceeds int32');
      // requantize is monotone non-decreasing in x (multiplier >= 1): the image of the input
      // interval is [f(min), f(max)], which is never wider than the output dtype.
      return requantizeInterval(layer, x, path);
    }
    case 'relu':
      return { ...x, min: Math.max(x.min, 0), max: Math.max(x.max, 0) };
    case 'maxpool':
    case 'avgpool': {
      const [c, h, w] = x.shape;
      if (x.shape.length !== 3)
        throw new InvalidModelError(path, `${layer.op} expects input [C, H, W], got [${x.shape}]`);
      const [kh, kw] = layer.kernel;
      const [sh, sw] = layer.stride;
      if (kh > h || kw > w)
        throw new InvalidModelError(path, `window [${kh}, ${kw}] larger than input [${h}, ${w}]`);
      if (kh * kw > MAX_POOL_WINDOW)
        throw new InvalidModelError(path, `window of ${kh * kw} exceeds ${MAX_POOL_WINDOW}`);
      if (layer.op === 'avgpool' && kh * kw * absMax(x) > INT32_MAX)
        throw new InvalidModelError(path, 'avgpool window sum may exceed int32');
      return { ...x, shape: [c, Math.floor((h - kh) / sh) + 1, Math.floor((w - kw) / sw) + 1] };
    }
    case 'flatten':
      return { ...x, shape: [tensorSize(x.shape)] };
    case 'argmax':
      return { shape: [1], dtype: 'int32', min: 0, max: tensorSize(x.shape) - 1 };
    default:
      throw new InvalidModelError(`${path}.op`, `unknown op ${layer.op}`);
  }
}

/** Interval of dense/conv outputs, and the int32 partial-sum bound check (see INVARIANT above). */
function accumulator(
  path: string,
  weights: Int8Array,
  bias: Int32Array,
  fanIn: number,
  x: TensorInfo,
  shape: number[],
): TensorInfo {
  const outputs = bias.length;
  const xAbs = absMax(x);
  let min = Infinity;
  let max = -Infinity;
  for (let o = 0; o < outputs; o++) {
    let abs = Math.abs(bias[o]);
    let lo = bias[o];
    let hi = bias[o];
    for (let k = o * fanIn; k < (o + 1) * fanIn; k++) {
      const w = weights[k];
      abs += Math.abs(w) * xAbs;
      lo += Math.min(w * x.min, w * x.max);
      hi += Math.max(w * x.min, w * x.max);
    }
    if (abs > INT32_MAX)
      throw new InvalidModelError(
        path,
        `output ${o} may reach ${abs} (|bias| + sum |w|*max|x|), above the int32 accumulator bound ${INT32_MAX}`,
      );
    min = Math.min(min, lo);
    max = Math.max(max, hi);
  }
  return { shape, dtype: 'int32', min, max };
}
