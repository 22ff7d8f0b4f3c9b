// tiny-llm in float64, the reference the quantizer calibrates on and the integer model is measured
// against. Same computation as train.py's TinyLlama.forward (which runs in float32).
import type { FloatTensor, SafetensorsFile } from './safetensors';

export interface LlmArchitecture {
  readonly context: number;
  readonly dim: number;
  readonly heads: number;
  readonly headDim: number;
  readonly ffn: number;
  readonly vocab: number;
  readonly layers: number;
  readonly ropeBase: number;
  readonly normEps: number;
}

export interface FloatBlock {
  readonly attnNorm: Float64Array;
  readonly wq: Float64Array;
  readonly wk: Float64Array;
  readonly wv: Float64Array;
  readonly wo: Float64Array;
  readonly ffnNorm: Float64Array;
  readonly wGate: Float64Array;
  readonly wUp: Float64Array;
  readonly wDown: Float64Array;
}

export interface FloatLlm {
  readonly arch: LlmArchitecture;
  /** [vocab][dim] */
  readonly embed: Float64Array;
  readonly blocks: readonly FloatBlock[];
  readonly norm: Float64Array;
  /** [vocab][dim] */
  readonly head: Float64Array;
}

/**
 * Receives each intermediate tensor of a forward pass by name (`b0.q`, `logits`, …), row-major;
 * the quantizer's calibration records their ranges.
 */
export type Observer = (name: string, values: Float64Array) => void;

export function floatLlmFromSafetensors(file: SafetensorsFile): FloatLlm {
  const m = file.metadata;
  const arch: LlmArchitecture = {
    context: Number(m.context),
    dim: Number(m.dim),
    heads: Number(m.heads),
    headDim: Number(m.headDim),
    ffn: Number(m.ffn),
    vocab: Number(m.vocab),
    layers: Number(m.layers),
    ropeBase: Number(m.ropeBase),
    normEps: Number(m.normEps),
  };
  const get = (name: string, shape: number[]): Float64Array => {
    const t: FloatTensor | undefined = file.tensors.get(name);
    if (!t || t.shape.join() !== shape.join())
      throw new Error(`tiny-llm weights: ${name} is missing or not [${shape}]`);
    return t.data;
  };
  const { dim: d, ffn: f, vocab: v } = arch;
  const blocks = Array.from({ length: arch.layers }, (_, i) => {
    const p = `layers.${i}.`;
    return {
      attnNorm: get(p + 'attn_norm', [d]),
      wq: get(p + 'wq', [d, d]),
      wk: get(p + 'wk', [d, d]),
      wv: get(p + 'wv', [d, d]),
      wo: get(p + 'wo', [d, d]),
      ffnNorm: get(p + 'ffn_norm', [d]),
      wGate: get(p + 'w_gate', [f, d]),
      wUp: get(p + 'w_up', [f, d]),
      wDown: get(p + 'w_down', [d, f]),
    };
  });
  return {
    arch,
    embed: get('embed', [v, d]),
    blocks,
    norm: get('norm', [d]),
    head: get('head', [v, d]),
  };
}

/** cos/sin `[T][hd/2]` of the rotate-half RoPE, angle t · base^(−2i/hd), as train.py computes them. */
export function ropeAngles(arch: LlmArchitecture): { cos: Float64Array; sin: Float64Array } {
  const half = arch.headDim / 2;
  const cos = new Float64Array(arch.context * half);
  const sin = new Float64Array(arch.context * half);
  for (let t = 0; t < arch.context; t++)
    for (let i = 0; i < half; i++) {
      const angle = t * arch.ropeBase ** ((-2 * i) / arch.headDim);
      cos[t * half + i] = Math.cos(angle);
      sin[t * half + i] = Math.sin(angle);
    }
  return { cos, sin };
}

/** `x [rows][inF]` times `w [outF][inF]` transposed: `[rows][outF]`. */
export function linear(
  x: Float64Array,
  w: Float64Array,
  rows: number,
  inF: number,
  outF: number,
): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < outF; o++) {
      let acc = 0;
      for (let i = 0; i < inF; i++) acc += x[r * inF + i] * w[o * inF + i];
      y[r * outF + o] = acc;
    }
  return y;
}

export function rmsNorm(
  x: Float64Array,
  g: Float64Array,
  rows: number,
  dim: number,
  eps: number,
): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let j = 0; j < dim; j++) ss += x[r * dim + j] ** 2;
    const inv = 1 / Math.sqrt(ss / dim + eps);
    for (let j = 0; j < dim; j++) y[r * dim + j] = x[r * dim + j] * inv * g[j];
  }
  return y;
}

export const silu = (x: number): number => x / (1 + Math.exp(-x));

/** Logits `[t][vocab]` for the tokens of one window (t ≤ context). */
export function floatForward(model: FloatLlm, tokens: readonly number[], observe?: Observer): Float64Array {
  const { dim: d, heads: nh, headDim: hd, ffn: f, vocab: v, normEps: eps } = model.arch;
  const t = tokens.length;
  const half = hd / 2;
  const { cos, sin } = ropeAngles(model.arch);
  const see = (name: string, values: Float64Array) => observe?.(name, values);
  let x = new Float64Array(t * d);
  tokens.forEach((tok, r) => x.set(model.embed.subarray(tok * d, tok * d + d), r * d));
  // [t][nh·hd] to per-head rotated copy (same layout), rotate-half pairing.
  const rope = (y: Float64Array) => {
    const out = new Float64Array(y.length);
    for (let r = 0; r < t; r++)
      for (let h = 0; h < nh; h++)
        for (let i = 0; i < half; i++) {
          const a = y[r * d + h * hd + i];
          const b = y[r * d + h * hd + i + half];
          const [c, s] = [cos[r * half + i], sin[r * half + i]];
          out[r * d + h * hd + i] = a * c - b * s;
          out[r * d + h * hd + i + half] = b * c + a * s;
        }
    return out;
  };
  model.blocks.forEach((blk, bi) => {
    const p = `b${bi}.`;
    see(p + 'x', x);
    const h = rmsNorm(x, blk.attnNorm, t, d, eps);
    see(p + 'h1', h);
    const q = linear(h, blk.wq, t, d, d);
    const k = linear(h, blk.wk, t, d, d);
    const vv = linear(h, blk.wv, t, d, d);
    const [qr, kr] = [rope(q), rope(k)];
    see(p + 'q', q);
    see(p + 'k', k);
    see(p + 'qr', qr);
    see(p + 'kr', kr);
    see(p + 'v', vv);
    const attn = new Float64Array(t * d);
    const scores = new Float64Array(nh * t * t).fill(0);
    for (let hh = 0; hh < nh; hh++)
      for (let r = 0; r < t; r++) {
        const row = new Float64Array(r + 1);
        let mx = -Infinity;
        for (let c = 0; c <= r; c++) {
          let s = 0;
          for (let j = 0; j < hd; j++) s += qr[r * d + hh * hd + j] * kr[c * d + hh * hd + j];
          row[c] = s / Math.sqrt(hd);
          scores[(hh * t + r) * t + c] = row[c];
          mx = Math.max(mx, row[c]);
        }
        let sum = 0;
        for (let c = 0; c <= r; c++) sum += row[c] = Math.exp(row[c] - mx);
        for (let c = 0; c <= r; c++)
          for (let j = 0; j < hd; j++) attn[r * d + hh * hd + j] += (row[c] / sum) * vv[c * d + hh * hd + j];
      }
    see(p + 'scores', scores);
    see(p + 'attn', attn);
    const o = linear(attn, blk.wo, t, d, d);
    see(p + 'o', o);
    x = x.map((xi, i) => xi + o[i]);
    see(p + 'xmid', x);
    const h2 = rmsNorm(x, blk.ffnNorm, t, d, eps);
    see(p + 'h2', h2);
    const gate = linear(h2, blk.wGate, t, d, f);
    const up = linear(h2, blk.wUp, t, d, f);
    const act = gate.map(silu);
    const prod = act.map((a, i) => a * up[i]);
    see(p + 'gate', gate);
    see(p + 'silu', act);
    see(p + 'up', up);
    see(p + 'prod', prod);
    const down = linear(prod, blk.wDown, t, f, d);
    see(p + 'down', down);
    x = x.map((xi, i) => xi + down[i]);
  });
  see('x', x);
  const n = rmsNorm(x, model.norm, t, d, eps);
  see('norm', n);
  const logits = linear(n, model.head, t, d, v);
  see('logits', logits);
  return logits;
}

/** Index of the first maximum of each row of `[rows][n]`. */
export function argmaxRows(values: ArrayLike<number>, n: number): number[] {
  const out: number[] = [];
  for (let r = 0; r * n < values.length; r++) {
    let best = 0;
    for (let i = 1; i < n; i++) if (values[r * n + i] > values[r * n + best]) best = i;
    out.push(best);
  }
  return out;
}
