// An independent reference runtime for the property tests: BigInt everywhere, naive loops, its own
// rounding formula (floor(x / 2^s + 1/2) computed as floor((2x + 2^s) / 2^(s+1))). Shares no
// arithmetic with the runtime under test.
import { DTYPES } from './dtype';
import type { Layer, Model, Requantization } from './model';

const floorDiv = (a: bigint, b: bigint) => {
  const q = a / b; // truncates toward zero
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
};

export function referenceRequantize(
  x: bigint,
  multiplier: number,
  shift: number,
  zeroPoint: number,
  dtype: keyof typeof DTYPES,
): bigint {
  const p = x * BigInt(multiplier);
  const q = shift === 0 ? p : floorDiv(2n * p + (1n << BigInt(shift)), 1n << BigInt(shift + 1));
  const y = q + BigInt(zeroPoint);
  const lo = BigInt(DTYPES[dtype].min);
  const hi = BigInt(DTYPES[dtype].max);
  return y < lo ? lo : y > hi ? hi : y;
}

export function referenceRun(model: Model, input: ArrayLike<number>): bigint[][] {
  const trace: bigint[][] = [Array.from(input, BigInt)];
  // Its own slot machine (not model.states): slot -> the tensor it holds.
  const slots = new Map<number, bigint[]>();
  model.layers.forEach((layer, i) => {
    const x = trace[i];
    const inShape = model.tensors[i].shape;
    let y: bigint[];
    if (
      model.format === 'verilay.model.v2' &&
      (layer.op === 'dense' || layer.op === 'argmax' || 'slot' in layer || isV2(layer))
    ) {
      const take = (slot: number) => {
        const held = slots.get(slot);
        if (!held) throw new RangeError(`referenceRun: slot ${slot} is empty`);
        slots.delete(slot);
        return held;
      };
      if (layer.op === 'store') {
        slots.set(layer.slot, x);
        y = [...x];
      } else if (layer.op === 'load') y = take(layer.slot);
      else
        y = referenceV2(
          layer,
          x,
          inShape,
          'slot' in layer ? take(layer.slot) : [],
          model.tensors[i + 1].shape,
        );
      trace.push(y);
      return;
    }
    switch (layer.op) {
      case 'dense':
        y = [];
        for (let o = 0; o < layer.outFeatures; o++) {
          let acc = BigInt(layer.bias[o]);
          for (let k = 0; k < layer.inFeatures; k++)
            acc += BigInt(layer.weights[o * layer.inFeatures + k]) * x[k];
          y.push(acc);
        }
        break;
      case 'conv2d': {
        const [c, h, w] = inShape;
        const [kh, kw] = layer.kernel;
        const [sh, sw] = layer.stride;
        const [ph, pw] = layer.padding;
        const at = (ci: number, r: number, col: number) =>
          r < 0 || r >= h || col < 0 || col >= w ? 0n : x[ci * h * w + r * w + col];
        y = [];
        for (let o = 0; o < layer.outChannels; o++)
          for (let r = 0; r + kh <= h + 2 * ph; r += sh)
            for (let col = 0; col + kw <= w + 2 * pw; col += sw) {
              let acc = BigInt(layer.bias[o]);
              for (let ci = 0; ci < c; ci++)
                for (let a = 0; a < kh; a++)
                  for (let b = 0; b < kw; b++)
                    acc +=
                      BigInt(layer.weights[o * c * kh * kw + ci * kh * kw + a * kw + b]) *
                      at(ci, r + a - ph, col + b - pw);
              y.push(acc);
            }
        break;
      }
      case 'requantize':
        y = fusedRef(layer, x, inShape);
        break;
      case 'relu':
        y = x.map((v) => (v < 0n ? 0n : v));
        break;
      case 'maxpool':
      case 'avgpool': {
        const [c, h, w] = inShape;
        const [kh, kw] = layer.kernel;
        const [sh, sw] = layer.stride;
        const n = BigInt(kh * kw);
        y = [];
        for (let ci = 0; ci < c; ci++)
          for (let r = 0; r + kh <= h; r += sh)
            for (let col = 0; col + kw <= w; col += sw) {
              const win: bigint[] = [];
              for (let a = 0; a < kh; a++)
                for (let b = 0; b < kw; b++) win.push(x[ci * h * w + (r + a) * w + col + b]);
              if (layer.op === 'maxpool') y.push(win.reduce((m, v) => (v > m ? v : m)));
              else y.push(floorDiv(2n * win.reduce((s, v) => s + v, 0n) + n, 2n * n)); // round half up
            }
        break;
      }
      case 'flatten':
        y = [...x];
        break;
      case 'argmax': {
        let best = 0;
        x.forEach((v, k) => {
          if (v > x[best]) best = k;
        });
        y = [BigInt(best)];
        break;
      }
      default:
        throw new RangeError(`referenceRun: ${layer.op} is a v2 op`);
    }
    trace.push(y);
  });
  return trace;
}

const isV2 = (layer: Layer) =>
  !['conv2d', 'requantize', 'relu', 'maxpool', 'avgpool', 'flatten'].includes(layer.op);
const clampTo = (v: bigint, dtype: keyof typeof DTYPES) => {
  const [lo, hi] = [BigInt(DTYPES[dtype].min), BigInt(DTYPES[dtype].max)];
  return v < lo ? lo : v > hi ? hi : v;
};
/**
 * The requantization of y (shape `shape`), per tensor or per channel: the channel of element i is
 * its index along axis 0 of a [C, H, W] tensor, along the last axis otherwise (written out as
 * coordinates, not as requantize.ts's ⌊i / inner⌋ mod C).
 */
function fusedRef(r: Requantization | undefined, y: bigint[], shape: readonly number[]): bigint[] {
  if (!r) return y;
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((p, d) => p * d, 1));
  const coordinate = (i: number, axis: number) => Math.floor(i / strides[axis]) % shape[axis];
  const axis = shape.length === 3 ? 0 : shape.length - 1;
  return y.map((v, i) => {
    const pick = (f: number | readonly number[]) => (typeof f === 'number' ? f : f[coordinate(i, axis)]);
    return referenceRequantize(v, pick(r.multiplier), pick(r.shift), r.zeroPoint, r.dtype);
  });
}
/** ⌊√m⌋ by bisection (no floats). */
function bisectSqrt(m: bigint): bigint {
  let [lo, hi] = [0n, m + 1n]; // lo² ≤ m < hi²
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (mid * mid <= m) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The transformer extension's ops, written from docs/model-format.md with BigInt and index maps. */
function referenceV2(
  layer: Layer,
  x: bigint[],
  shape: readonly number[],
  s: bigint[],
  outShape: readonly number[],
): bigint[] {
  const last = shape[shape.length - 1];
  const rows = x.length / last;
  const y: bigint[] = [];
  switch (layer.op) {
    case 'dense':
      for (let t = 0; t < rows; t++)
        for (let o = 0; o < layer.outFeatures; o++) {
          let acc = BigInt(layer.bias[o]);
          for (let k = 0; k < layer.inFeatures; k++)
            acc += BigInt(layer.weights[o * layer.inFeatures + k]) * x[t * last + k];
          y.push(acc);
        }
      return fusedRef(layer.requantize, y, outShape);
    case 'argmax':
      for (let t = 0; t < rows; t++) {
        const row = x.slice(t * last, (t + 1) * last);
        y.push(BigInt(row.findIndex((v) => row.every((u) => u <= v))));
      }
      return y;
    case 'embedding':
      for (const id of x)
        for (let j = 0; j < layer.dim; j++) y.push(BigInt(layer.weights[Number(id) * layer.dim + j]));
      return y;
    case 'matmul': {
      const [m, k] = shape.slice(-2);
      const n = outShape[outShape.length - 1];
      const sAt = (h: number, kk: number, j: number) =>
        layer.transposeB ? s[h * n * k + j * k + kk] : s[h * k * n + kk * n + j];
      for (let h = 0; h < x.length / (m * k); h++)
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let acc = 0n;
            for (let kk = 0; kk < k; kk++) acc += x[h * m * k + i * k + kk] * sAt(h, kk, j);
            y.push(acc);
          }
      return fusedRef(layer.requantize, y, outShape);
    }
    case 'add':
    case 'mul':
      return fusedRef(
        layer.requantize,
        x.map((v, i) => (layer.op === 'add' ? v + s[i] : v * s[i])),
        outShape,
      );
    case 'rmsnorm':
      for (let t = 0; t < rows; t++) {
        const row = x.slice(t * last, (t + 1) * last);
        const m =
          floorDiv(
            row.reduce((a, v) => a + v * v, 0n),
            BigInt(layer.dim),
          ) + BigInt(layer.eps);
        const r = bisectSqrt(m);
        row.forEach((v, j) =>
          y.push(clampTo(floorDiv(2n * v * BigInt(layer.weight[j]) + r, 2n * r), layer.dtype)),
        );
      }
      return y;
    case 'layernorm': {
      // As written in docs/model-format.md: the centred values c = dim·x − s and Σc² / dim³.
      const d = BigInt(layer.dim);
      for (let t = 0; t < rows; t++) {
        const row = x.slice(t * last, (t + 1) * last);
        const s = row.reduce((a, v) => a + v, 0n);
        const c = row.map((v) => d * v - s);
        const r = bisectSqrt(
          floorDiv(
            c.reduce((a, v) => a + v * v, 0n),
            d * d * d,
          ) + BigInt(layer.eps),
        );
        c.forEach((v, j) =>
          y.push(
            clampTo(
              floorDiv(2n * v * BigInt(layer.weight[j]) + d * r, 2n * d * r) + BigInt(layer.bias[j]),
              layer.dtype,
            ),
          ),
        );
      }
      return y;
    }
    case 'rope': {
      const [heads, t, hd] = shape;
      const h = hd / 2;
      const R = (v: bigint) =>
        clampTo(floorDiv(v + (1n << BigInt(layer.shift - 1)), 1n << BigInt(layer.shift)), layer.dtype);
      const out = new Array<bigint>(x.length);
      for (let a = 0; a < heads; a++)
        for (let p = 0; p < t; p++) {
          const at = (a * t + p) * hd;
          for (let i = 0; i < h; i++) {
            const [c, sn] = [BigInt(layer.cos[p * h + i]), BigInt(layer.sin[p * h + i])];
            out[at + i] = R(x[at + i] * c - x[at + i + h] * sn);
            out[at + i + h] = R(x[at + i + h] * c + x[at + i] * sn);
          }
        }
      return out;
    }
    case 'softmax': {
      const m = shape[shape.length - 2];
      const k = BigInt(layer.fracBits);
      for (let r = 0; r < rows; r++) {
        const valid = (c: number) => !layer.causal || c <= r % m;
        const row = x.slice(r * last, (r + 1) * last);
        const mx = row.filter((_, c) => valid(c)).reduce((a, v) => (v > a ? v : a));
        const e = row.map((v, c) => {
          if (!valid(c)) return 0n;
          const d = mx - v;
          const z = d / (1n << k);
          return z <= 15n ? BigInt(layer.table[Number(d % (1n << k))]) / (1n << z) : 0n;
        });
        const sum = e.reduce((a, v) => a + v, 0n);
        e.forEach((ec, c) => y.push(valid(c) ? (510n * ec + sum) / (2n * sum) : 0n));
      }
      return y;
    }
    case 'polyGate':
      return x.map((v) => {
        const abs = v < 0n ? -v : v;
        const u = abs < BigInt(layer.clip) ? abs : BigInt(layer.clip);
        const q = BigInt(layer.a) * (u - BigInt(layer.clip)) ** 2n + BigInt(layer.b);
        const sign = v > 0n ? 1n : v < 0n ? -1n : 0n;
        const g = BigInt(layer.bias) + sign * q;
        return referenceRequantize(v * g, layer.multiplier, layer.shift, layer.zeroPoint, layer.dtype);
      });
    case 'splitHeads': {
      const [t, d] = shape;
      const hd = d / layer.heads;
      for (let h = 0; h < layer.heads; h++)
        for (let p = 0; p < t; p++) for (let j = 0; j < hd; j++) y.push(x[p * d + h * hd + j]);
      return y;
    }
    case 'mergeHeads': {
      const [heads, t, hd] = shape;
      for (let p = 0; p < t; p++)
        for (let h = 0; h < heads; h++) for (let j = 0; j < hd; j++) y.push(x[(h * t + p) * hd + j]);
      return y;
    }
    default:
      throw new RangeError(`referenceV2: ${layer.op}`);
  }
}
