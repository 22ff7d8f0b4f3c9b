import { DTYPES, INT32_MAX, type DType } from './dtype';
import { InvalidModelError } from './errors';
import { floorDiv } from './ops';
import type { Layer, Requantization, TensorInfo } from './model';
import { channelAxis, channelScale, isPerChannel, requantizeValue, type RequantizeScale } from './requantize';
import { tensorSize } from './tensor';

// The interval analysis of the transformer extension (format v2, docs/model-format.md). Every
// bound checked here keeps every intermediate of the op within a signed 32-bit integer (layernorm's
// below 2^53), so the
// runtime computes them exactly with plain numbers (ops-transformer.ts), and the intervals are the
// ones the circuits size their range checks with.

/** The ops only format v2 has. */
export const V2_OPS: ReadonlySet<Layer['op']> = new Set([
  'store',
  'load',
  'embedding',
  'matmul',
  'add',
  'mul',
  'rmsnorm',
  'layernorm',
  'rope',
  'softmax',
  'polyGate',
  'splitHeads',
  'mergeHeads',
]);
/** Slots are numbered 1..MAX_SLOT; at most MAX_LIVE_SLOTS are live at once (Poseidon's 16 inputs). */
export const MAX_SLOT = 15;
export const MAX_LIVE_SLOTS = 14;
/** Largest rmsnorm eps. */
export const MAX_RMSNORM_EPS = 2 ** 16;
/** Largest softmax table entry (2^15: one in Q15) and most fractional bits. */
export const MAX_SOFTMAX_TABLE = 2 ** 15;
export const MAX_SOFTMAX_FRAC_BITS = 6;
/** Largest polyGate clip, and the bound on |a|·clip² + |b|. */
export const MAX_POLY_CLIP = 2 ** 15;
export const MAX_POLY_VALUE = 2 ** 30;

type Interval = { readonly min: number; readonly max: number };

export const absMax = (t: Interval) => Math.max(Math.abs(t.min), Math.abs(t.max));

export function param(path: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new InvalidModelError(path, `must be an integer in [${min}, ${max}], got ${value}`);
}

function knownDtype(path: string, dtype: DType, allowed: readonly DType[] = Object.keys(DTYPES) as DType[]) {
  if (!allowed.includes(dtype)) throw new InvalidModelError(path, `must be one of ${allowed.join(', ')}`);
}

/** The fields of a requantize (a layer, a fused block or polyGate's); per-channel arrays entry by entry. */
export function checkRequantize(path: string, r: RequantizeScale): void {
  knownDtype(`${path}.dtype`, r.dtype);
  const each = (field: 'multiplier' | 'shift', min: number, max: number) => {
    const v = r[field];
    if (typeof v === 'number') return param(`${path}.${field}`, v, min, max);
    if (!Array.isArray(v)) throw new InvalidModelError(`${path}.${field}`, 'must be an integer or an array');
    v.forEach((e, c) => param(`${path}.${field}[${c}]`, e, min, max));
  };
  each('multiplier', 1, INT32_MAX);
  each('shift', 0, 62);
  param(`${path}.zeroPoint`, r.zeroPoint, DTYPES[r.dtype].min, DTYPES[r.dtype].max);
}

/**
 * requantize is monotone non-decreasing (multiplier ≥ 1): the image of [min, max] is [f(min), f(max)].
 * Per channel: each channel's image, and the tensor's interval is their union (hull). The arrays
 * must have one entry per channel of `x` (`channelAxis`).
 */
export function requantizeInterval(r: RequantizeScale, x: TensorInfo, path = 'requantize'): TensorInfo {
  let channels = 1;
  if (isPerChannel(r)) {
    channels = channelAxis(x.shape).channels;
    for (const field of ['multiplier', 'shift'] as const) {
      const v = r[field];
      if (typeof v === 'number' || v.length !== channels)
        throw new InvalidModelError(
          `${path}.${field}`,
          `per-channel requantize needs ${channels} entries (one per channel of [${x.shape}])${typeof v === 'number' ? '' : `, got ${v.length}`}`,
        );
    }
  }
  let [min, max] = [Infinity, -Infinity];
  for (let c = 0; c < channels; c++) {
    const [m, s] = channelScale(r, c);
    min = Math.min(min, requantizeValue(x.min, m, s, r.zeroPoint, r.dtype));
    max = Math.max(max, requantizeValue(x.max, m, s, r.zeroPoint, r.dtype));
  }
  return { shape: x.shape, dtype: r.dtype, min, max };
}

/** An int32 result, then the layer's fused requantize if it has one. */
function fused(path: string, layer: { requantize?: Requantization }, y: TensorInfo): TensorInfo {
  if (layer.requantize === undefined) return y;
  checkRequantize(`${path}.requantize`, layer.requantize);
  return requantizeInterval(layer.requantize, y, `${path}.requantize`);
}

/** [min, max] of a·b over a ∈ [a.min, a.max], b ∈ [b.min, b.max]: at the corners. */
function productInterval(a: Interval, b: Interval): [number, number] {
  const corners = [a.min * b.min, a.min * b.max, a.max * b.min, a.max * b.max];
  return [Math.min(...corners), Math.max(...corners)];
}

function bound(path: string, value: number, what: string) {
  if (value > INT32_MAX)
    throw new InvalidModelError(path, `${what} may reach ${value}, above the int32 bound ${INT32_MAX}`);
}

function narrowInput(path: string, op: string, x: TensorInfo) {
  if (x.dtype !== 'int8' && x.dtype !== 'int16')
    throw new InvalidModelError(path, `${op} reads int8 or int16, got ${x.dtype} (requantize first)`);
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The output interval of a v2 op (not store/load, which only move tensors). `operand` is the
 * slot's tensor of a binary op.
 */
export function analyzeV2Layer(path: string, layer: Layer, x: TensorInfo, operand?: TensorInfo): TensorInfo {
  switch (layer.op) {
    case 'embedding': {
      param(`${path}.vocab`, layer.vocab, 1, 1 << 22);
      param(`${path}.dim`, layer.dim, 1, 1 << 22);
      if (layer.weights.length !== layer.vocab * layer.dim)
        throw new InvalidModelError(
          `${path}.weights`,
          `must have ${layer.vocab * layer.dim} values, got ${layer.weights.length}`,
        );
      if (x.shape.length !== 1)
        throw new InvalidModelError(path, `embedding expects token ids [T], got [${x.shape}]`);
      if (x.min < 0 || x.max > layer.vocab - 1)
        throw new InvalidModelError(
          path,
          `token ids must lie in [0, ${layer.vocab - 1}], but the input may be in [${x.min}, ${x.max}] (give input.range)`,
        );
      // The rows the ids can select: rows x.min..x.max of the table.
      let [min, max] = [Infinity, -Infinity];
      for (let k = x.min * layer.dim; k < (x.max + 1) * layer.dim; k++) {
        const w = layer.weights[k];
        if (w < min) min = w;
        if (w > max) max = w;
      }
      return { shape: [x.shape[0], layer.dim], dtype: 'int8', min, max };
    }
    case 'matmul': {
      const s = operand!;
      const rank = x.shape.length;
      if ((rank !== 2 && rank !== 3) || s.shape.length !== rank)
        throw new InvalidModelError(
          path,
          `matmul multiplies [M, K] or [H, M, K] by the same rank, got [${x.shape}] and [${s.shape}]`,
        );
      if (rank === 3 && x.shape[0] !== s.shape[0])
        throw new InvalidModelError(path, `matmul heads differ: [${x.shape}] and [${s.shape}]`);
      const [m, k] = x.shape.slice(-2);
      const [sk, n] = layer.transposeB ? [...s.shape.slice(-2)].reverse() : s.shape.slice(-2);
      if (k !== sk)
        throw new InvalidModelError(
          path,
          `matmul inner dimensions differ: [${x.shape}] and ${layer.transposeB ? 'transposed ' : ''}[${s.shape}]`,
        );
      bound(path, k * absMax(x) * absMax(s), 'matmul accumulator (K·max|x|·max|s|)');
      const [lo, hi] = productInterval(x, s);
      const y: TensorInfo = {
        shape: [...x.shape.slice(0, -2), m, n],
        dtype: 'int32',
        min: k * lo,
        max: k * hi,
      };
      return fused(path, layer, y);
    }
    case 'add':
    case 'mul': {
      const s = operand!;
      if (!sameShape(x.shape, s.shape))
        throw new InvalidModelError(
          path,
          `${layer.op} needs operands of one shape, got [${x.shape}] and [${s.shape}]`,
        );
      let y: TensorInfo;
      if (layer.op === 'add') {
        bound(path, absMax(x) + absMax(s), 'add (max|x| + max|s|)');
        y = { shape: x.shape, dtype: 'int32', min: x.min + s.min, max: x.max + s.max };
      } else {
        bound(path, absMax(x) * absMax(s), 'mul (max|x·s|)');
        const [min, max] = productInterval(x, s);
        y = { shape: x.shape, dtype: 'int32', min, max };
      }
      return fused(path, layer, y);
    }
    case 'rmsnorm': {
      param(`${path}.dim`, layer.dim, 1, 1 << 22);
      param(`${path}.eps`, layer.eps, 1, MAX_RMSNORM_EPS);
      knownDtype(`${path}.dtype`, layer.dtype, ['int8', 'int16']);
      if (layer.weight.length !== layer.dim)
        throw new InvalidModelError(
          `${path}.weight`,
          `must have ${layer.dim} values, got ${layer.weight.length}`,
        );
      narrowInput(path, 'rmsnorm', x);
      if (x.shape.at(-1) !== layer.dim)
        throw new InvalidModelError(path, `rmsnorm expects rows of ${layer.dim}, got [${x.shape}]`);
      const xAbs = absMax(x);
      const w = valueRange(layer.weight);
      // Below 2^53 like layernorm's (exact in a double, an i64 and the field), checked in BigInt.
      // With int8/int16 rows, int32 weights and dim ≤ 2^22 both hold (at most 2^52 + eps and 2^47 + 2^15).
      safeBound(
        path,
        BigInt(layer.dim) * BigInt(xAbs) ** 2n + BigInt(layer.eps),
        'rmsnorm sum of squares (dim·max x² + eps)',
      );
      const maxRoot = isqrt(xAbs * xAbs + layer.eps);
      safeBound(
        path,
        2n * BigInt(xAbs) * BigInt(absMax(w)) + BigInt(maxRoot),
        'rmsnorm numerator (2·max|x|·max|w| + ⌊√max m⌋)',
      );
      // m ≥ eps, so r ≥ ⌊√eps⌋ ≥ 1; ⌊(2v + r) / 2r⌋ grows with v, and moves towards 0 as r grows.
      const rMin = isqrt(layer.eps);
      const [lo, hi] = productInterval(x, w);
      const round = (v: number) => floorDiv(2 * v + rMin, 2 * rMin);
      const { min, max } = DTYPES[layer.dtype];
      const clamp = (v: number) => (v < min ? min : v > max ? max : v);
      return {
        shape: x.shape,
        dtype: layer.dtype,
        min: clamp(lo < 0 ? round(lo) : 0),
        max: clamp(hi > 0 ? round(hi) : 0),
      };
    }
    case 'layernorm':
      return analyzeLayerNorm(path, layer, x);
    case 'rope': {
      param(`${path}.shift`, layer.shift, 1, 30);
      knownDtype(`${path}.dtype`, layer.dtype, ['int8', 'int16']);
      param(`${path}.positions`, layer.positions, 1, 1 << 22);
      param(`${path}.half`, layer.half, 1, 1 << 22);
      for (const table of ['cos', 'sin'] as const)
        if (layer[table].length !== layer.positions * layer.half)
          throw new InvalidModelError(
            `${path}.${table}`,
            `must have ${layer.positions * layer.half} values, got ${layer[table].length}`,
          );
      narrowInput(path, 'rope', x);
      if (x.shape.length !== 3 || x.shape[1] !== layer.positions || x.shape[2] !== 2 * layer.half)
        throw new InvalidModelError(
          path,
          `rope expects [H, ${layer.positions}, ${2 * layer.half}], got [${x.shape}]`,
        );
      const maxAbs = (a: Int16Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const v = absMax(x) * (maxAbs(layer.cos) + maxAbs(layer.sin));
      bound(path, v + 2 ** (layer.shift - 1), 'rope rotation (max|x|·(max|cos| + max|sin|) + 2^(shift−1))');
      const r = (u: number) => requantizeValue(u, 1, layer.shift, 0, layer.dtype);
      return { shape: x.shape, dtype: layer.dtype, min: r(-v), max: r(v) };
    }
    case 'softmax': {
      param(`${path}.fracBits`, layer.fracBits, 0, MAX_SOFTMAX_FRAC_BITS);
      if (layer.table.length !== 2 ** layer.fracBits)
        throw new InvalidModelError(
          `${path}.table`,
          `must have ${2 ** layer.fracBits} values, got ${layer.table.length}`,
        );
      layer.table.forEach((t, i) => param(`${path}.table[${i}]`, t, 1, MAX_SOFTMAX_TABLE));
      narrowInput(path, 'softmax', x);
      if (x.shape.length < 2)
        throw new InvalidModelError(path, `softmax expects [.., M, N], got [${x.shape}]`);
      const [m, n] = x.shape.slice(-2);
      if (layer.causal && m !== n)
        throw new InvalidModelError(path, `a causal softmax needs square rows [.., N, N], got [${x.shape}]`);
      bound(path, (2 * n + 510) * Math.max(...layer.table), 'softmax sums ((2N + 510)·max table)');
      return { shape: x.shape, dtype: 'uint8', min: 0, max: 255 };
    }
    case 'polyGate': {
      param(`${path}.clip`, layer.clip, 1, MAX_POLY_CLIP);
      for (const f of ['a', 'b', 'bias'] as const)
        param(`${path}.${f}`, layer[f], DTYPES.int32.min, INT32_MAX);
      checkRequantize(path, layer);
      narrowInput(path, 'polyGate', x);
      const poly = Math.abs(layer.a) * layer.clip * layer.clip + Math.abs(layer.b);
      if (poly > MAX_POLY_VALUE)
        throw new InvalidModelError(path, `|a|·clip² + |b| is ${poly}, above ${MAX_POLY_VALUE}`);
      const g = Math.abs(layer.bias) + poly;
      bound(path, absMax(x) * g, 'polyGate product (max|x|·(|bias| + |a|·clip² + |b|))');
      const v = absMax(x) * g;
      return requantizeInterval(layer, { ...x, dtype: 'int32', min: -v, max: v });
    }
    case 'splitHeads': {
      param(`${path}.heads`, layer.heads, 1, 1 << 22);
      if (x.shape.length !== 2 || x.shape[1] % layer.heads !== 0)
        throw new InvalidModelError(path, `splitHeads expects [T, ${layer.heads}·hd], got [${x.shape}]`);
      return { ...x, shape: [layer.heads, x.shape[0], x.shape[1] / layer.heads] };
    }
    case 'mergeHeads': {
      if (x.shape.length !== 3)
        throw new InvalidModelError(path, `mergeHeads expects [H, T, hd], got [${x.shape}]`);
      const [h, t, hd] = x.shape;
      return { ...x, shape: [t, h * hd] };
    }
    default:
      throw new InvalidModelError(`${path}.op`, `not a v2 op: ${layer.op}`);
  }
}

/** argmax of format v2: [N] to [1], [T, N] to [T] (each row's first maximum). */
export function argmaxV2(path: string, x: TensorInfo): TensorInfo {
  if (x.shape.length > 2)
    throw new InvalidModelError(path, `argmax (v2) reads [N] or [T, N], got [${x.shape}] (flatten first)`);
  const n = x.shape.at(-1)!;
  return { shape: x.shape.length === 1 ? [1] : [x.shape[0]], dtype: 'int32', min: 0, max: n - 1 };
}

/** The rows of a dense (v2) input: [in] is one row, [T, in] T rows. */
export function denseRows(path: string, inFeatures: number, x: TensorInfo): number {
  const rank = x.shape.length;
  if ((rank !== 1 && rank !== 2) || x.shape[rank - 1] !== inFeatures)
    throw new InvalidModelError(
      path,
      `dense expects input [${inFeatures}] or [T, ${inFeatures}], got [${x.shape}]`,
    );
  return tensorSize(x.shape) / inFeatures;
}

/** [min, max] of an array. SAFETY: a loop, not Math.min(...a): a spread past ~10^5 values is a RangeError. */
function valueRange(a: Int32Array): Interval {
  return a.reduce((m, v) => ({ min: Math.min(m.min, v), max: Math.max(m.max, v) }), {
    min: Infinity,
    max: -Infinity,
  });
}

function safeBound(path: string, value: bigint, what: string) {
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new InvalidModelError(path, `${what} may reach ${value}, above 2^53 − 1`);
}

/**
 * layernorm: with A = max|x| and C = dim·(x.max − x.min) ≥ max|c|, dim²·A² (dim·Σx², s²) and
 * 2·C·max|w| + dim·⌊√(A² + eps)⌋ + max|bias| (the numerator, the biased quotient) stay below 2^53,
 * checked in BigInt; the quotient's interval at the least root r₀ = ⌊√eps⌋, plus the biases'.
 */
function analyzeLayerNorm(
  path: string,
  layer: Extract<Layer, { op: 'layernorm' }>,
  x: TensorInfo,
): TensorInfo {
  const { dim, eps } = layer;
  param(`${path}.dim`, dim, 1, 1 << 22);
  param(`${path}.eps`, eps, 1, MAX_RMSNORM_EPS);
  knownDtype(`${path}.dtype`, layer.dtype, ['int8', 'int16']);
  for (const field of ['weight', 'bias'] as const)
    if (layer[field].length !== dim)
      throw new InvalidModelError(`${path}.${field}`, `must have ${dim} values, got ${layer[field].length}`);
  narrowInput(path, 'layernorm', x);
  if (x.shape.at(-1) !== dim)
    throw new InvalidModelError(path, `layernorm expects rows of ${dim}, got [${x.shape}]`);
  const xAbs = absMax(x);
  const [wAbs, b] = [absMax(valueRange(layer.weight)), valueRange(layer.bias)];
  const c = dim * (x.max - x.min);
  safeBound(path, BigInt(dim) ** 2n * BigInt(xAbs) ** 2n, 'layernorm sums (dim²·max x²)');
  const maxRoot = isqrt(xAbs * xAbs + eps);
  safeBound(
    path,
    2n * BigInt(c) * BigInt(wAbs) + BigInt(dim * maxRoot) + BigInt(absMax(b)),
    'layernorm numerator (2·C·max|w| + dim·⌊√(A² + eps)⌋ + max|bias|)',
  );
  const rMin = isqrt(eps);
  const round = (v: number) => floorDiv(2 * v + dim * rMin, 2 * dim * rMin);
  const { min, max } = DTYPES[layer.dtype];
  const clamp = (v: number) => (v < min ? min : v > max ? max : v);
  return {
    shape: x.shape,
    dtype: layer.dtype,
    min: clamp(round(-c * wAbs) + b.min),
    max: clamp(round(c * wAbs) + b.max),
  };
}

/** The fused requantize of a dense (v2), checked. */
export function fusedDense(path: string, layer: { requantize?: Requantization }, y: TensorInfo): TensorInfo {
  return fused(path, layer, y);
}

/**
 * ⌊√m⌋ exactly for an integer 0 ≤ m ≤ 2^53 − 1: the float root (within a step of the true one),
 * corrected: r² ≤ m is an exact double, and a (r + 1)² past 2^53 rounds to a double still above m.
 */
export function isqrt(m: number): number {
  let r = Math.floor(Math.sqrt(m));
  while (r * r > m) r--;
  while ((r + 1) * (r + 1) <= m) r++;
  return r;
}
