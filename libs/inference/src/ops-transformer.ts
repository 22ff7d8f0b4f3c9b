import { isqrt } from './analyze-transformer';
import { dotProducts } from './dot-products';
import { DTYPES } from './dtype';
import type {
  DenseLayer,
  ElementwiseLayer,
  EmbeddingLayer,
  Requantization,
  MatmulLayer,
  PolyGateLayer,
  LayerNormLayer,
  RmsNormLayer,
  RopeLayer,
  SoftmaxLayer,
  TensorInfo,
} from './model';
import { floorDiv } from './ops';
import { requantizeTensor, roundShift, shiftConstants } from './requantize';

// The transformer extension's ops (format v2, docs/model-format.md). Shapes come from the
// validated model; every intermediate stays within int32 (layernorm's below 2^53: the bounds of
// analyze-transformer.ts),
// so plain JS numbers are exact, and every division is floorDiv (exact floor, also for negatives).

/** The layer's fused requantize, in place, if it has one (`shape`: y's, for a per-channel scale). */
export function applyFused(
  r: Requantization | undefined,
  y: Int32Array,
  shape: readonly number[],
): Int32Array {
  return r === undefined ? y : requantizeTensor(r, y, shape);
}

/** v1's dense on each row of `[T, in]` (or the one row of `[in]`). */
export function denseRows(layer: DenseLayer, x: Int32Array): Int32Array {
  const { inFeatures: n, outFeatures: m, weights, bias } = layer;
  const rows = x.length / n;
  const y = new Int32Array(rows * m);
  dotProducts(x, rows, n, weights, 0, n, 1, m, bias, y, 0);
  return applyFused(layer.requantize, y, [rows, m]);
}

export function embedding(layer: EmbeddingLayer, x: Int32Array): Int32Array {
  const { dim, weights } = layer;
  const y = new Int32Array(x.length * dim);
  for (let t = 0; t < x.length; t++) y.set(weights.subarray(x[t] * dim, (x[t] + 1) * dim), t * dim);
  return y;
}

/** y[h][m][n] = Σ_k x[h][m][k]·s[h][k][n] (s[h][n][k] when transposed). */
export function matmul(
  layer: MatmulLayer,
  x: Int32Array,
  xi: TensorInfo,
  s: Int32Array,
  out: TensorInfo,
): Int32Array {
  const [m, k] = xi.shape.slice(-2);
  const n = out.shape[out.shape.length - 1];
  const heads = x.length / (m * k);
  const y = new Int32Array(heads * m * n);
  // Column j of s[h] (s[h][j] when transposed): j · cStride + kk · iStride.
  const [cStride, iStride] = layer.transposeB ? [k, 1] : [1, n];
  for (let h = 0; h < heads; h++)
    dotProducts(x.subarray(h * m * k), m, k, s, h * k * n, cStride, iStride, n, undefined, y, h * m * n);
  return applyFused(layer.requantize, y, out.shape);
}

/** `shape`: the operands' (and the output's). */
export function elementwise(
  layer: ElementwiseLayer,
  x: Int32Array,
  s: Int32Array,
  shape: readonly number[],
): Int32Array {
  const y = new Int32Array(x.length);
  if (layer.op === 'add') for (let i = 0; i < x.length; i++) y[i] = x[i] + s[i];
  else for (let i = 0; i < x.length; i++) y[i] = x[i] * s[i];
  return applyFused(layer.requantize, y, shape);
}

/**
 * Per row: m = ⌊Σx²/dim⌋ + eps, r = ⌊√m⌋, y = clamp(⌊(2·x·w + r) / 2r⌋). The load bounds keep Σx²
 * (every partial sum too), m and 2·x·w + r below 2^53: exact doubles, floorDiv and isqrt exact.
 */
export function rmsnorm(layer: RmsNormLayer, x: Int32Array): Int32Array {
  const { dim, weight, eps } = layer;
  const { min, max } = DTYPES[layer.dtype];
  const y = new Int32Array(x.length);
  for (let row = 0; row < x.length; row += dim) {
    let sum = 0;
    for (let j = 0; j < dim; j++) sum += x[row + j] * x[row + j];
    const r = isqrt(floorDiv(sum, dim) + eps);
    for (let j = 0; j < dim; j++) {
      const v = floorDiv(2 * x[row + j] * weight[j] + r, 2 * r);
      y[row + j] = v < min ? min : v > max ? max : v;
    }
  }
  return y;
}

/**
 * Per row: s = Σx, c = dim·x − s, m = ⌊(dim·Σx² − s²) / dim²⌋ + eps, r = ⌊√m⌋,
 * y = clamp(⌊(2·c·w + dim·r) / (2·dim·r)⌋ + bias). The load bounds keep every term below 2^53.
 */
export function layernorm(layer: LayerNormLayer, x: Int32Array): Int32Array {
  const { dim, weight, bias, eps } = layer;
  const { min, max } = DTYPES[layer.dtype];
  const y = new Int32Array(x.length);
  for (let row = 0; row < x.length; row += dim) {
    let [s, squares] = [0, 0];
    for (let j = 0; j < dim; j++) {
      s += x[row + j];
      squares += x[row + j] * x[row + j];
    }
    const r = isqrt(floorDiv(dim * squares - s * s, dim * dim) + eps);
    for (let j = 0; j < dim; j++) {
      const v = floorDiv(2 * (dim * x[row + j] - s) * weight[j] + dim * r, 2 * dim * r) + bias[j];
      y[row + j] = v < min ? min : v > max ? max : v;
    }
  }
  return y;
}

/** LLaMA's rotate-half: pairs (i, i + half) of each position t rotated by (cos, sin)[t][i]. */
export function rope(layer: RopeLayer, x: Int32Array): Int32Array {
  const { positions, half, cos, sin, shift } = layer;
  const { min, max } = DTYPES[layer.dtype];
  const hd = 2 * half;
  const y = new Int32Array(x.length);
  const round = 2 ** (shift - 1);
  // R(v) = clamp(⌊(v + 2^(shift−1)) / 2^shift⌋). INVARIANT: the load bound max|x|·(max|cos| +
  // max|sin|) + 2^(shift−1) ≤ 2^31 − 1 keeps v + 2^(shift−1) an int32, so `>>` (an arithmetic
  // shift of the int32) is that floor exactly.
  const r = (v: number) => {
    const q = (v + round) >> shift;
    return q < min ? min : q > max ? max : q;
  };
  for (let base = 0; base < x.length; base += hd) {
    const t = (base / hd) % positions;
    for (let i = 0; i < half; i++) {
      const a = x[base + i];
      const b = x[base + i + half];
      const c = cos[t * half + i];
      const s = sin[t * half + i];
      y[base + i] = r(a * c - b * s);
      y[base + i + half] = r(b * c + a * s);
    }
  }
  return y;
}

/** Base-2 softmax over each row's valid columns (c ≤ r when causal), to uint8; masked columns 0. */
export function softmax(layer: SoftmaxLayer, x: Int32Array, xi: TensorInfo): Int32Array {
  const [m, n] = xi.shape.slice(-2);
  const { table, fracBits } = layer;
  const mask = 2 ** fracBits - 1;
  const y = new Int32Array(x.length);
  const e = new Int32Array(n);
  for (let row = 0; row < x.length / n; row++) {
    const at = row * n;
    const valid = layer.causal ? (row % m) + 1 : n;
    let mx = x[at];
    for (let c = 1; c < valid; c++) if (x[at + c] > mx) mx = x[at + c];
    let sum = 0;
    for (let c = 0; c < valid; c++) {
      const d = mx - x[at + c];
      const z = d >> fracBits;
      e[c] = z <= 15 ? table[d & mask] >> z : 0;
      sum += e[c];
    }
    for (let c = 0; c < valid; c++) y[at + c] = floorDiv(510 * e[c] + sum, 2 * sum);
  }
  return y;
}

/** g = bias + sgn(x)·(a·(min(|x|, clip) − clip)² + b), y = requantize(x·g). */
export function polyGate(layer: PolyGateLayer, x: Int32Array): Int32Array {
  const { clip, a, b, bias, multiplier, shift, zeroPoint } = layer;
  const { min, max } = DTYPES[layer.dtype];
  const [inv, half] = shiftConstants(shift);
  const y = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const u = v < 0 ? (-v < clip ? -v : clip) : v < clip ? v : clip;
    const q = a * (u - clip) * (u - clip) + b;
    const g = v > 0 ? bias + q : v < 0 ? bias - q : bias;
    const r = roundShift(v * g, multiplier, shift, inv, half) + zeroPoint;
    y[i] = r < min ? min : r > max ? max : r;
  }
  return y;
}

/** [T, H·hd] to [H, T, hd]. */
export function splitHeads(heads: number, x: Int32Array, xi: TensorInfo): Int32Array {
  const [t, d] = xi.shape;
  const hd = d / heads;
  const y = new Int32Array(x.length);
  for (let h = 0; h < heads; h++)
    for (let p = 0; p < t; p++) y.set(x.subarray(p * d + h * hd, p * d + (h + 1) * hd), (h * t + p) * hd);
  return y;
}

/** [H, T, hd] to [T, H·hd]. */
export function mergeHeads(x: Int32Array, xi: TensorInfo): Int32Array {
  const [heads, t, hd] = xi.shape;
  const y = new Int32Array(x.length);
  for (let h = 0; h < heads; h++)
    for (let p = 0; p < t; p++)
      y.set(x.subarray((h * t + p) * hd, (h * t + p + 1) * hd), p * heads * hd + h * hd);
  return y;
}

/** The first maximum of each row of `n`. */
export function argmaxRows(x: Int32Array, n: number): Int32Array {
  const y = new Int32Array(x.length / n);
  for (let row = 0; row < y.length; row++) {
    let best = 0;
    for (let c = 1; c < n; c++) if (x[row * n + c] > x[row * n + best]) best = c;
    y[row] = best;
  }
  return y;
}
