// A second, deliberately plain implementation of the v2 ops tiny-llm uses, written from
// docs/model-format.md alone: the model script runs it beside libs/inference's `run` and requires
// both to give the same integers at every layer (two implementations of one contract).
import { DTYPES, requantizeValue, type DType, type Layer, type ModelSpec } from '@verilay/inference';

interface Value {
  shape: number[];
  data: number[];
}

const clampTo = (v: number, dtype: DType) => Math.min(DTYPES[dtype].max, Math.max(DTYPES[dtype].min, v));
const isqrt = (m: number) => {
  let r = Math.floor(Math.sqrt(m));
  while (r * r > m) r--;
  while ((r + 1) * (r + 1) <= m) r++;
  return r;
};
/** Per-tensor requantization; tiny-llm has no per-channel one, so the reference has none either. */
interface AnyRequantize {
  readonly multiplier: number | readonly number[];
  readonly shift: number | readonly number[];
  readonly zeroPoint: number;
  readonly dtype: DType;
}
const rq = (v: number, q?: AnyRequantize) => {
  if (!q) return v;
  if (typeof q.multiplier !== 'number' || typeof q.shift !== 'number')
    throw new Error('integer reference: per-channel requantization is not one tiny-llm uses');
  return requantizeValue(v, q.multiplier, q.shift, q.zeroPoint, q.dtype);
};

function step(layer: Layer, x: Value, slots: Map<number, Value>): Value {
  const take = (slot: number) => {
    const s = slots.get(slot);
    if (!s) throw new Error(`slot ${slot} is empty`);
    slots.delete(slot);
    return s;
  };
  const last = x.shape[x.shape.length - 1];
  const rows = x.data.length / last;
  switch (layer.op) {
    case 'store':
      slots.set(layer.slot, x);
      return x;
    case 'load':
      return take(layer.slot);
    case 'embedding':
      return {
        shape: [x.data.length, layer.dim],
        data: x.data.flatMap((t) => Array.from(layer.weights.subarray(t * layer.dim, (t + 1) * layer.dim))),
      };
    case 'requantize':
      return { shape: x.shape, data: x.data.map((v) => rq(v, layer)) };
    case 'dense': {
      const data: number[] = [];
      for (let r = 0; r < rows; r++)
        for (let o = 0; o < layer.outFeatures; o++) {
          let acc = layer.bias[o];
          for (let i = 0; i < layer.inFeatures; i++)
            acc += layer.weights[o * layer.inFeatures + i] * x.data[r * last + i];
          data.push(rq(acc, layer.requantize));
        }
      return { shape: [...x.shape.slice(0, -1), layer.outFeatures], data };
    }
    case 'rmsnorm': {
      const data: number[] = [];
      for (let r = 0; r < rows; r++) {
        const row = x.data.slice(r * last, (r + 1) * last);
        const root = isqrt(Math.floor(row.reduce((a, v) => a + v * v, 0) / last) + layer.eps);
        row.forEach((v, j) =>
          data.push(clampTo(Math.floor((2 * v * layer.weight[j] + root) / (2 * root)), layer.dtype)),
        );
      }
      return { shape: x.shape, data };
    }
    case 'splitHeads': {
      const [t, width] = x.shape;
      const hd = width / layer.heads;
      const data: number[] = [];
      for (let h = 0; h < layer.heads; h++)
        for (let r = 0; r < t; r++) for (let j = 0; j < hd; j++) data.push(x.data[r * width + h * hd + j]);
      return { shape: [layer.heads, t, hd], data };
    }
    case 'mergeHeads': {
      const [heads, t, hd] = x.shape;
      const data = new Array<number>(x.data.length);
      for (let h = 0; h < heads; h++)
        for (let r = 0; r < t; r++)
          for (let j = 0; j < hd; j++) data[r * heads * hd + h * hd + j] = x.data[(h * t + r) * hd + j];
      return { shape: [t, heads * hd], data };
    }
    case 'rope': {
      const [heads, t, hd] = x.shape;
      const half = hd / 2;
      const R = (v: number) =>
        clampTo(Math.floor((v + 2 ** (layer.shift - 1)) / 2 ** layer.shift), layer.dtype);
      const data = x.data.slice();
      for (let h = 0; h < heads; h++)
        for (let r = 0; r < t; r++)
          for (let i = 0; i < half; i++) {
            const base = (h * t + r) * hd;
            const [a, b] = [x.data[base + i], x.data[base + i + half]];
            const [c, s] = [layer.cos[r * half + i], layer.sin[r * half + i]];
            data[base + i] = R(a * c - b * s);
            data[base + i + half] = R(b * c + a * s);
          }
      return { shape: x.shape, data };
    }
    case 'matmul': {
      const b = take(layer.slot);
      const [h, m, k] = x.shape;
      const n = layer.transposeB ? b.shape[1] : b.shape[2];
      const data: number[] = [];
      for (let hh = 0; hh < h; hh++)
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let acc = 0;
            for (let kk = 0; kk < k; kk++)
              acc +=
                x.data[(hh * m + i) * k + kk] *
                (layer.transposeB ? b.data[(hh * n + j) * k + kk] : b.data[(hh * k + kk) * n + j]);
            data.push(rq(acc, layer.requantize));
          }
      return { shape: [h, m, n], data };
    }
    case 'add':
    case 'mul': {
      const b = take(layer.slot);
      const f = layer.op === 'add' ? (u: number, v: number) => u + v : (u: number, v: number) => u * v;
      return { shape: x.shape, data: x.data.map((v, i) => rq(f(v, b.data[i]), layer.requantize)) };
    }
    case 'softmax': {
      const data: number[] = [];
      const k = layer.fracBits;
      for (let r = 0; r < rows; r++) {
        const row = x.data.slice(r * last, (r + 1) * last);
        const i = r % last;
        const valid = (c: number) => !layer.causal || c <= i;
        const mx = Math.max(...row.filter((_, c) => valid(c)));
        const e = row.map((v, c) => {
          if (!valid(c)) return 0;
          const dlt = mx - v;
          const z = Math.floor(dlt / 2 ** k);
          return z <= 15 ? Math.floor(layer.table[dlt - z * 2 ** k] / 2 ** z) : 0;
        });
        const S = e.reduce((a, v) => a + v, 0);
        e.forEach((v, c) => data.push(valid(c) ? Math.floor((510 * v + S) / (2 * S)) : 0));
      }
      return { shape: x.shape, data };
    }
    case 'polyGate':
      return {
        shape: x.shape,
        data: x.data.map((v) => {
          const u = Math.min(Math.abs(v), layer.clip);
          const g = layer.bias + Math.sign(v) * (layer.a * (u - layer.clip) ** 2 + layer.b);
          return requantizeValue(v * g, layer.multiplier, layer.shift, layer.zeroPoint, layer.dtype);
        }),
      };
    case 'argmax': {
      const data: number[] = [];
      for (let r = 0; r < rows; r++) {
        let best = 0;
        for (let c = 1; c < last; c++) if (x.data[r * last + c] > x.data[r * last + best]) best = c;
        data.push(best);
      }
      return { shape: [rows], data };
    }
    default:
      throw new Error(`integer reference: op ${layer.op} is not one tiny-llm uses`);
  }
}

/** Every tensor of one run: trace[0] is the input, trace[i + 1] the output of layer i. */
export function referenceTrace(spec: ModelSpec, input: readonly number[]): number[][] {
  const slots = new Map<number, Value>();
  let x: Value = { shape: [input.length], data: input.slice() };
  const trace = [x.data];
  for (const layer of spec.layers) {
    x = step(layer, x, slots);
    trace.push(x.data);
  }
  return trace;
}
