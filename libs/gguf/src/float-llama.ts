// A LLaMA forward pass in float64 arithmetic over float32 weights: what `importGguf` calibrates
// activation scales on. Same computation as Hugging Face's LlamaForCausalLM (rotate-half RoPE,
// grouped-query attention: head h reads key/value head ⌊h / (heads / kvHeads)⌋, SwiGLU).
import type { FloatLlama, LlamaArchitecture } from './llama-gguf';

/** Receives each intermediate tensor by name (`b0.q`, `logits`, …), row-major. */
export type LlamaObserver = (name: string, values: Float64Array) => void;

/** cos/sin `[T][hd/2]`: angle t · base^(−2i/hd). */
export function ropeTables(arch: LlamaArchitecture, T: number): { cos: Float64Array; sin: Float64Array } {
  const half = arch.headDim / 2;
  const cos = new Float64Array(T * half);
  const sin = new Float64Array(T * half);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < half; i++) {
      const angle = t * arch.ropeBase ** ((-2 * i) / arch.headDim);
      cos[t * half + i] = Math.cos(angle);
      sin[t * half + i] = Math.sin(angle);
    }
  return { cos, sin };
}

/** `x [rows][inF]` times `w [outF][inF]` transposed. */
function linear(x: Float64Array, w: Float32Array, rows: number, inF: number, outF: number): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let o = 0; o < outF; o++) {
    const wo = o * inF;
    for (let r = 0; r < rows; r++) {
      const xr = r * inF;
      let acc = 0;
      for (let i = 0; i < inF; i++) acc += x[xr + i] * w[wo + i];
      y[r * outF + o] = acc;
    }
  }
  return y;
}

function rmsNorm(x: Float64Array, g: Float32Array, rows: number, dim: number, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let j = 0; j < dim; j++) ss += x[r * dim + j] ** 2;
    const inv = 1 / Math.sqrt(ss / dim + eps);
    for (let j = 0; j < dim; j++) y[r * dim + j] = x[r * dim + j] * inv * g[j];
  }
  return y;
}

/** Rotate-half RoPE of `[t][heads·hd]` in place of a copy. */
function rope(y: Float64Array, t: number, heads: number, hd: number, cos: Float64Array, sin: Float64Array) {
  const out = new Float64Array(y.length);
  const half = hd / 2;
  const w = heads * hd;
  for (let r = 0; r < t; r++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < half; i++) {
        const a = y[r * w + h * hd + i];
        const b = y[r * w + h * hd + i + half];
        const [c, s] = [cos[r * half + i], sin[r * half + i]];
        out[r * w + h * hd + i] = a * c - b * s;
        out[r * w + h * hd + i + half] = b * c + a * s;
      }
  return out;
}

/** Logits `[t][vocab]` of one window of token ids. */
export function llamaForward(
  model: FloatLlama,
  tokens: readonly number[],
  observe?: LlamaObserver,
): Float64Array {
  const { dim: d, heads: nh, kvHeads: nkv, headDim: hd, ffn: f, vocab: v, normEps: eps } = model.arch;
  const t = tokens.length;
  const kvd = nkv * hd;
  const group = nh / nkv;
  const { cos, sin } = ropeTables(model.arch, t);
  const see = (name: string, values: Float64Array) => observe?.(name, values);
  let x = new Float64Array(t * d);
  tokens.forEach((tok, r) => {
    for (let j = 0; j < d; j++) x[r * d + j] = model.embed[tok * d + j];
  });
  model.blocks.forEach((blk, bi) => {
    const p = `b${bi}.`;
    see(p + 'x', x);
    const h = rmsNorm(x, blk.attnNorm, t, d, eps);
    see(p + 'h1', h);
    const q = linear(h, blk.wq, t, d, nh * hd);
    const k = linear(h, blk.wk, t, d, kvd);
    const vv = linear(h, blk.wv, t, d, kvd);
    const qr = rope(q, t, nh, hd, cos, sin);
    const kr = rope(k, t, nkv, hd, cos, sin);
    see(p + 'q', q);
    see(p + 'k', k);
    see(p + 'qr', qr);
    see(p + 'kr', kr);
    see(p + 'v', vv);
    const attn = new Float64Array(t * nh * hd);
    const scores = new Float64Array(nh * t * t);
    const row = new Float64Array(t);
    for (let hh = 0; hh < nh; hh++) {
      const kh = Math.floor(hh / group);
      for (let r = 0; r < t; r++) {
        let mx = -Infinity;
        for (let c = 0; c <= r; c++) {
          let s = 0;
          for (let j = 0; j < hd; j++) s += qr[r * nh * hd + hh * hd + j] * kr[c * kvd + kh * hd + j];
          row[c] = s / Math.sqrt(hd);
          scores[(hh * t + r) * t + c] = row[c];
          mx = Math.max(mx, row[c]);
        }
        let sum = 0;
        for (let c = 0; c <= r; c++) sum += row[c] = Math.exp(row[c] - mx);
        for (let c = 0; c <= r; c++) {
          const pc = row[c] / sum;
          for (let j = 0; j < hd; j++) attn[r * nh * hd + hh * hd + j] += pc * vv[c * kvd + kh * hd + j];
        }
      }
    }
    see(p + 'scores', scores);
    see(p + 'attn', attn);
    const o = linear(attn, blk.wo, t, nh * hd, d);
    see(p + 'o', o);
    x = x.map((xi, i) => xi + o[i]);
    see(p + 'xmid', x);
    const h2 = rmsNorm(x, blk.ffnNorm, t, d, eps);
    see(p + 'h2', h2);
    const gate = linear(h2, blk.wGate, t, d, f);
    const up = linear(h2, blk.wUp, t, d, f);
    const act = gate.map((g) => g / (1 + Math.exp(-g)));
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
