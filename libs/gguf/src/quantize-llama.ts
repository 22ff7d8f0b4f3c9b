// A float LLaMA to a verilay.model.v2 model (docs/model-format.md, "Transformer extension"):
// post-training, static. The rules, and why, are in docs/models.md ("SmolLM2-135M"):
// - weights int8 symmetric per output row, each row's scale folded into a per-channel fused
//   requantize; grouped-query attention by repeating each key/value head's rows for its query
//   heads (exact: the same integers); the LM head is the embedding when tied;
// - activations int8 from calibrated maxima; scores int16; the SwiGLU product int16;
// - the residual stream int16, one scale per half-block. Position 0 (the attention sink) carries
//   massive activations (SmolLM2: ~26,000 against ≤ ~700 elsewhere), so row 0 of the residual is
//   held k times smaller than the other rows (k a power of two per half-block, from calibration). rmsnorm is invariant under scaling a
//   row, so norms read it as it is; a branch whose row 0 would overflow the fine scale is computed
//   twice (fine and k× coarser) and rows are selected per position with `rope` as a per-position
//   scale (sin 0, cos 2^shift or 0). An MLP whose sink intermediates dwarf the other positions'
//   runs twice the same way, once at the scales calibrated without position 0.
import {
  quantizeMultiplier,
  type ChannelRequantize,
  type DType,
  type FusedRequantize,
  type Layer,
  type ModelSpec,
} from '@verilay/inference';
import type { LlamaCalibration } from './calibrate-llama';
import { ropeTables } from './float-llama';
import type { FloatLlama } from './llama-gguf';
import { fitSilu, siluGate, type SiluFit } from './silu-gate';

/** Output dtype of the rmsnorms (int16: their weights keep the norm gains' precision). */
export const NORM_DTYPE = 'int16';
export const SOFTMAX_FRAC_BITS = 6;
export const ROPE_SHIFT = 14;

export interface QuantizeLlamaOptions {
  readonly context: number;
  readonly name: string;
  /** The residual's int16 range is this factor over the calibrated maximum of its half-block. */
  readonly residualHeadroom: number;
  /** Output dtype of silu(gate)·up (the down projection's input). */
  readonly productDtype: 'int8' | 'int16';
  /** dtype of the logits (the tensor before the final argmax). */
  readonly logitDtype: 'int8' | 'int16';
  /** dtype of the attention output (P·V, the o projection's input) and of v. */
  readonly attentionDtype: 'int8' | 'int16';
  /**
   * An MLP whose intermediates reach more than this factor at position 0 than at the others runs
   * twice, at the other positions' scales and at the sink's (Infinity: never).
   */
  readonly sinkSplit: number;
}

export interface QuantizedLlama {
  readonly spec: ModelSpec;
  /** logit ≈ (q − zeroPoint) · scale for the int8 logits (the tensor before the final argmax). */
  readonly logits: { readonly scale: number; readonly zeroPoint: number };
  readonly siluFit: SiluFit;
  readonly residualScales: readonly number[];
  /** Half-blocks whose branch runs twice (row 0 past the fine scale). */
  readonly dualBranches: readonly string[];
  /**
   * Where llamaForward's tensors are in the trace (`trace[index]`), and the real value of one unit
   * there (`rowZeroScale` for row 0 where the residual holds it k times smaller): for diagnostics.
   */
  readonly probes: readonly { name: string; index: number; scale: number; rowZeroScale: number }[];
}

function rowsInt8(w: Float32Array, rows: number): { q: Int8Array; scales: Float64Array } {
  const cols = w.length / rows;
  const q = new Int8Array(w.length);
  const scales = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let i = 0; i < cols; i++) m = Math.max(m, Math.abs(w[r * cols + i]));
    const s = m > 0 ? m / 127 : 1;
    scales[r] = s;
    for (let i = 0; i < cols; i++)
      q[r * cols + i] = Math.max(-127, Math.min(127, Math.round(w[r * cols + i] / s)));
  }
  return { q, scales };
}

/** Key/value rows `[kvHeads·hd][dim]` repeated for each query head: `[heads·hd][dim]`. */
function repeatKv(w: Float32Array, heads: number, kvHeads: number, hd: number, dim: number): Float32Array {
  const out = new Float32Array(heads * hd * dim);
  for (let h = 0; h < heads; h++) {
    const from = Math.floor(h / (heads / kvHeads)) * hd * dim;
    out.set(w.subarray(from, from + hd * dim), h * hd * dim);
  }
  return out;
}

export function quantizeLlama(
  model: FloatLlama,
  cal: LlamaCalibration,
  options: QuantizeLlamaOptions,
): QuantizedLlama {
  const { dim: d, heads: H, kvHeads, headDim: hd, ffn, vocab, normEps } = model.arch;
  const T = options.context;
  const layers: Layer[] = [];
  const rq = (real: number, dtype: DType, zeroPoint = 0): FusedRequantize => ({
    ...quantizeMultiplier(real),
    zeroPoint,
    dtype,
  });
  const absMax = (name: string, tail = false) => {
    const r = (tail ? cal.tailRanges : cal.ranges).get(name);
    if (!r) throw new Error(`no calibration for ${name}`);
    return Math.max(Math.abs(r.min), Math.abs(r.max));
  };
  const scaleOf = (name: string, dtype: 'int8' | 'int16' = 'int8', tail = false) =>
    absMax(name, tail) / (dtype === 'int8' ? 127 : 32767);

  // dense with int8 rows, each row's scale in a per-channel requantize to (outScale, dtype).
  const dense = (w: Float32Array, inF: number, inScale: number, outScale: number, dtype: DType) => {
    const outF = w.length / inF;
    const { q, scales } = rowsInt8(w, outF);
    const per = Array.from(scales, (s) => quantizeMultiplier((inScale * s) / outScale));
    const requantize: ChannelRequantize = {
      multiplier: per.map((m) => m.multiplier),
      shift: per.map((m) => m.shift),
      zeroPoint: 0,
      dtype,
    };
    layers.push({
      op: 'dense',
      inFeatures: inF,
      outFeatures: outF,
      weights: q,
      bias: new Int32Array(outF),
      requantize,
    });
  };

  // `rope` on [1, T, d] with sin 0 as a per-position scale: y[t] = round(x[t] · factor[t]), the
  // factors in fixed point with the largest shift that keeps cos within int16.
  const positionScale = (factor: (t: number) => number) => {
    const top = Math.max(...Array.from({ length: T }, (_, t) => factor(t)));
    const shift = Math.min(ROPE_SHIFT, 14 - Math.max(0, Math.ceil(Math.log2(top))));
    const cos = new Int16Array(T * (d / 2));
    for (let t = 0; t < T; t++) cos.fill(Math.round(factor(t) * 2 ** shift), t * (d / 2), (t + 1) * (d / 2));
    layers.push(
      { op: 'splitHeads', heads: 1 },
      { op: 'rope', shift, dtype: 'int16', positions: T, half: d / 2, cos, sin: new Int16Array(cos.length) },
      { op: 'mergeHeads' },
    );
  };

  // The residual stream: int16, sR per unit in rows 1.., sR·k in row 0 (the sink), per half-block.
  let sR = 0;
  let k = 1;
  const residualScales: number[] = [];
  const dualBranches: string[] = [];
  const probes: { name: string; index: number; scale: number; rowZeroScale: number }[] = [];
  const probe = (name: string, scale: number, residual = false) =>
    probes.push({ name, index: layers.length, scale, rowZeroScale: residual ? scale * k : scale });
  const enterHalfBlock = (names: string[]) => {
    const tail = Math.max(...names.map((n) => absMax(n, true)));
    const all = Math.max(...names.map((n) => absMax(n)));
    const kNew = 2 ** Math.max(0, Math.ceil(Math.log2(all / tail)));
    const scale = (tail * options.residualHeadroom) / 32767;
    if (sR !== 0) {
      layers.push({ op: 'requantize', ...rq(sR / scale, 'int16') });
      if (kNew !== k) positionScale((t) => (t === 0 ? k / kNew : 1));
    }
    [sR, k] = [scale, kNew];
    residualScales.push(sR);
  };
  const rmsnorm = (g: Float32Array, outScale: number) => {
    // The int16 residual feeds the norm at its own precision: rmsnorm's bounds are below 2^53
    // (docs/model-format.md), so dim · 32768² + eps holds for any dim a model can have.
    const inScale = sR;
    layers.push({
      op: 'rmsnorm',
      dim: d,
      weight: Int32Array.from(g, (v) => Math.round(v / outScale)),
      eps: Math.max(1, Math.min(2 ** 16, Math.round(normEps / inScale ** 2))),
      dtype: NORM_DTYPE,
    });
  };
  /**
   * A branch into the residual: `body(tail)` emits the layers from the current tensor to `w`'s
   * input and returns that input's scale (`tail`: scales calibrated on positions 1.. only), then
   * `w` maps it into residual units and it is added to slot 1. The branch runs twice, fine (rows
   * 1.., residual scale sR) and coarse (row 0, sR·k), when its output's row 0 would overflow the
   * fine scale or `twice` asks for it (its intermediates' sink maxima would cost the other rows
   * their precision, so the fine run also takes the tail scales).
   */
  const residualBranch = (
    name: string,
    w: Float32Array,
    inF: number,
    body: (tail: boolean) => number,
    twice = false,
  ) => {
    const fits = absMax(name) <= 32767 * sR * 0.9;
    if (fits && !twice) {
      dense(w, inF, body(false), sR, 'int16');
      if (k > 1) positionScale((t) => (t === 0 ? 1 / k : 1));
    } else {
      // Fine rows 1.., plus row 0 at the coarse scale sR·k, each selected per position.
      dualBranches.push(name);
      if (twice) layers.push({ op: 'store', slot: 14 });
      const fineIn = body(twice);
      if (!twice) layers.push({ op: 'store', slot: 14 });
      dense(w, inF, fineIn, sR, 'int16');
      positionScale((t) => (t === 0 ? 0 : 1));
      layers.push({ op: 'store', slot: 13 }, { op: 'load', slot: 14 });
      dense(w, inF, twice ? body(false) : fineIn, sR * k, 'int16');
      positionScale((t) => (t === 0 ? 1 : 0));
      layers.push({ op: 'add', slot: 13, requantize: rq(1, 'int16') });
    }
    layers.push({ op: 'add', slot: 1, requantize: rq(1, 'int16') });
  };

  // Embedding int8 with one scale per column (the table's rows are what tokens select, so a
  // column scale is what a per-channel requantize into the residual can undo).
  const sE = new Float64Array(d);
  model.embed.forEach((v, i) => (sE[i % d] = Math.max(sE[i % d], Math.abs(v) / 127)));
  sE.forEach((s, j) => (sE[j] = s || 1));
  layers.push({
    op: 'embedding',
    vocab,
    dim: d,
    weights: Int8Array.from(model.embed, (v, i) => Math.max(-127, Math.min(127, Math.round(v / sE[i % d])))),
  });
  enterHalfBlock(['b0.x', 'b0.o', 'b0.xmid']);
  const toResidual = Array.from(sE, (s) => quantizeMultiplier(s / sR));
  layers.push({
    op: 'requantize',
    multiplier: toResidual.map((m) => m.multiplier),
    shift: toResidual.map((m) => m.shift),
    zeroPoint: 0,
    dtype: 'int16',
  });
  if (k > 1) positionScale((t) => (t === 0 ? 1 / k : 1));

  const rope = ropeTables(model.arch, T);
  const table16 = (v: Float64Array) => Int16Array.from(v, (c) => Math.round(c * 2 ** ROPE_SHIFT));
  const ropeLayer: Layer = {
    op: 'rope',
    shift: ROPE_SHIFT,
    dtype: 'int8',
    positions: T,
    half: hd / 2,
    cos: table16(rope.cos),
    sin: table16(rope.sin),
  };
  const table = Int32Array.from({ length: 2 ** SOFTMAX_FRAC_BITS }, (_, p) =>
    Math.round(2 ** 15 * 2 ** (-p / 2 ** SOFTMAX_FRAC_BITS)),
  );
  const fit = fitSilu(cal.gates);
  const last = model.blocks.length - 1;

  model.blocks.forEach((blk, i) => {
    const p = `b${i}.`;
    if (i > 0) enterHalfBlock([p + 'x', p + 'o', p + 'xmid']);
    const [sH, sQ, sK, sV, sA] = [
      scaleOf(p + 'h1', NORM_DTYPE),
      Math.max(scaleOf(p + 'q'), scaleOf(p + 'qr')),
      Math.max(scaleOf(p + 'k'), scaleOf(p + 'kr')),
      scaleOf(p + 'v', options.attentionDtype),
      scaleOf(p + 'attn', options.attentionDtype),
    ];
    probe(p + 'x', sR, true);
    layers.push({ op: 'store', slot: 1 });
    rmsnorm(blk.attnNorm, sH);
    probe(p + 'h1', sH);
    layers.push({ op: 'store', slot: 2 }, { op: 'store', slot: 3 });
    dense(blk.wq, d, sH, sQ, 'int8');
    layers.push({ op: 'splitHeads', heads: H }, ropeLayer, { op: 'store', slot: 4 }, { op: 'load', slot: 2 });
    dense(repeatKv(blk.wk, H, kvHeads, hd, d), d, sH, sK, 'int8');
    layers.push({ op: 'splitHeads', heads: H }, ropeLayer, { op: 'store', slot: 5 }, { op: 'load', slot: 4 });
    const scoreUnit = 1 / (Math.LOG2E * 2 ** SOFTMAX_FRAC_BITS);
    layers.push({
      op: 'matmul',
      slot: 5,
      transposeB: true,
      requantize: rq((sQ * sK) / Math.sqrt(hd) / scoreUnit, 'int16'),
    });
    layers.push({ op: 'softmax', causal: true, fracBits: SOFTMAX_FRAC_BITS, table });
    layers.push({ op: 'store', slot: 6 }, { op: 'load', slot: 3 });
    dense(repeatKv(blk.wv, H, kvHeads, hd, d), d, sH, sV, options.attentionDtype);
    layers.push({ op: 'splitHeads', heads: H }, { op: 'store', slot: 7 }, { op: 'load', slot: 6 });
    layers.push({
      op: 'matmul',
      slot: 7,
      transposeB: false,
      requantize: rq(sV / 255 / sA, options.attentionDtype),
    });
    layers.push({ op: 'mergeHeads' });
    probe(p + 'attn', sA);
    residualBranch(p + 'o', blk.wo, H * hd, () => sA);

    enterHalfBlock([p + 'xmid', p + 'down', i < last ? `b${i + 1}.x` : 'x']);
    const pd = options.productDtype;
    const sH2 = scaleOf(p + 'h2', NORM_DTYPE);
    probe(p + 'xmid', sR, true);
    layers.push({ op: 'store', slot: 1 });
    rmsnorm(blk.ffnNorm, sH2);
    probe(p + 'h2', sH2);
    const mlp = (tail: boolean) => {
      const [sG, sS, sU, sP] = [
        scaleOf(p + 'gate', 'int8', tail),
        scaleOf(p + 'silu', 'int8', tail),
        scaleOf(p + 'up', 'int8', tail),
        scaleOf(p + 'prod', pd, tail),
      ];
      layers.push({ op: 'store', slot: 2 });
      dense(blk.wGate, d, sH2, sG, 'int8');
      layers.push(siluGate(fit, sG, sS, quantizeMultiplier, 'int8'));
      layers.push({ op: 'store', slot: 3 }, { op: 'load', slot: 2 });
      dense(blk.wUp, d, sH2, sU, 'int8');
      layers.push({ op: 'mul', slot: 3, requantize: rq((sS * sU) / sP, pd) });
      return sP;
    };
    // The sink's SwiGLU can reach hundreds of times the other positions' (SmolLM2 block 11's
    // product: 3,037 against 11.7), which would leave the others a few levels: past
    // options.sinkSplit, the MLP runs twice.
    const sink = Math.max(...['gate', 'silu', 'up', 'prod'].map((n) => absMax(p + n) / absMax(p + n, true)));
    residualBranch(p + 'down', blk.wDown, ffn, mlp, sink > options.sinkSplit);
  });

  // Final norm and the LM head to logits over the calibrated [min, max] (with a zero point).
  const sN = scaleOf('norm', NORM_DTYPE);
  rmsnorm(model.norm, sN);
  const lr = cal.ranges.get('logits')!;
  const [lo, span] = options.logitDtype === 'int8' ? [-128, 255] : [-32768, 65535];
  const logitScale = (lr.max - lr.min) / span;
  const logitZeroPoint = Math.round(lo - lr.min / logitScale);
  const head = rowsInt8(model.head, vocab);
  const per = Array.from(head.scales, (s) => quantizeMultiplier((sN * s) / logitScale));
  layers.push({
    op: 'dense',
    inFeatures: d,
    outFeatures: vocab,
    weights: head.q,
    bias: new Int32Array(vocab),
    requantize: {
      multiplier: per.map((m) => m.multiplier),
      shift: per.map((m) => m.shift),
      zeroPoint: logitZeroPoint,
      dtype: options.logitDtype,
    },
  });
  layers.push({ op: 'argmax' });
  return {
    spec: {
      format: 'verilay.model.v2',
      name: options.name,
      input: { shape: [T], dtype: 'int32', range: [0, vocab - 1] },
      layers,
    },
    logits: { scale: logitScale, zeroPoint: logitZeroPoint },
    siluFit: fit,
    residualScales,
    dualBranches,
    probes,
  };
}
