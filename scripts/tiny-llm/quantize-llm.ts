// Maps the float tiny-llm to a verilay.model.v2 model (docs/model-format.md, "Transformer
// extension"), post-training and static: per-tensor symmetric int8 weights, int8 activations, an
// int16 residual stream, scales from the ranges seen on training text (calibrate()).
// docs/models.md ("tiny-llm", Quantization) states every rule below.
import {
  DTYPES,
  quantizeMultiplier,
  requantizeValue,
  type DType,
  type Layer,
  type ModelSpec,
} from '@verilay/inference';
import { floatForward, ropeAngles, type FloatLlm } from './float-llm';
import {
  addMagnitudes,
  fitSigmoid,
  histogramBins,
  polyGateFor,
  type MagnitudeHistogram,
  type SigmoidFit,
} from './poly-gate-fit';

/** What calibration saw of the float model on training text. */
export interface Calibration {
  /** Range of every intermediate tensor (names from floatForward's observer). */
  readonly ranges: ReadonlyMap<string, { readonly min: number; readonly max: number }>;
  /** |x| of every SwiGLU gate pre-activation (all blocks): what the SiLU fit weights. */
  readonly gates: MagnitudeHistogram;
}

export function calibrate(model: FloatLlm, windows: readonly (readonly number[])[]): Calibration {
  const ranges = new Map<string, { min: number; max: number }>();
  const gates = histogramBins(1 / 256, 64);
  for (const w of windows)
    floatForward(model, w, (name, values) => {
      const r = ranges.get(name) ?? { min: Infinity, max: -Infinity };
      for (const v of values) {
        if (v < r.min) r.min = v;
        if (v > r.max) r.max = v;
      }
      ranges.set(name, r);
      if (name.endsWith('.gate')) addMagnitudes(gates, values);
    });
  return { ranges, gates };
}

/**
 * The residual stream's proven bound: rmsnorm needs `dim · max x² + eps ≤ 2^31 − 1`, so with dim 64
 * every residual tensor must be proven within ±5792 (12.5 bits of int16); a little margin for eps.
 */
export const residualBound = (dim: number): number => Math.floor(Math.sqrt((2 ** 31 - 1 - 2 ** 16) / dim));
/** Softmax fraction bits: scores are in units of 2^−k of a factor 2 (k = 6: 0.0108 nats). */
export const SOFTMAX_FRAC_BITS = 6;
/** RoPE tables are cos/sin · 2^14 (|cos| + |sin| ≤ √2 · 2^14 fits int16). */
export const ROPE_SHIFT = 14;

/** The choices docs/models.md compares (defaults: what tiny-llm.json ships). */
export interface QuantizeOptions {
  /** Output dtype of the three rmsnorm before a dense layer (q/k/v, gate/up, LM head). */
  readonly normDtype: 'int8' | 'int16';
  /** Output dtype of silu(gate)·up, the input of the down projection. */
  readonly productDtype: 'int8' | 'int16';
  /** Output dtype of attention (P·V), the input of the o projection. */
  readonly attentionDtype: 'int8' | 'int16';
  /** Output dtype of v. */
  readonly valueDtype: 'int8' | 'int16';
  /** Output dtypes of silu(gate) and of up, the operands of the product. */
  readonly siluDtype: 'int8' | 'int16';
  readonly upDtype: 'int8' | 'int16';
  /** The residual stream's scale leaves this factor of headroom over the calibrated maximum. */
  readonly residualHeadroom: number;
  /** The int8 logits cover [max − span, max] of the calibrated logits (lower logits saturate). */
  readonly logitSpan: number;
  /**
   * The SwiGLU hidden width is cut into this many equal parts, each its own gate, up, polyGate,
   * mul and down, the downs summed by an exact `add`: a step's cost follows its tensor's size, and
   * at 2 every step fits 2^17 constraints (docs/models.md, "Step circuits").
   */
  readonly ffnParts: number;
}

export const DEFAULT_QUANTIZE_OPTIONS: QuantizeOptions = {
  normDtype: 'int8',
  productDtype: 'int16',
  attentionDtype: 'int8',
  valueDtype: 'int8',
  siluDtype: 'int8',
  upDtype: 'int8',
  residualHeadroom: 2,
  logitSpan: Infinity,
  ffnParts: 2,
};

export interface QuantizedLlm {
  readonly spec: ModelSpec;
  readonly options: QuantizeOptions;
  /** Real value of one unit of the int8 logits, and their zero point: logit ≈ (q − zeroPoint)·scale. */
  readonly logitScale: number;
  readonly logitZeroPoint: number;
  readonly sigmoidFit: SigmoidFit;
  readonly gateFracBits: number[];
  /** Real value of one unit of the residual stream in each half-block (attention, FFN, …). */
  readonly residualScales: number[];
}

const absMax = (c: Calibration, name: string) => {
  const r = c.ranges.get(name);
  if (!r) throw new Error(`no calibration for ${name}`);
  return Math.max(Math.abs(r.min), Math.abs(r.max));
};

function symmetricInt8(w: Float64Array): { q: Int8Array; scale: number } {
  let m = 0;
  for (const v of w) m = Math.max(m, Math.abs(v));
  const scale = m / 127;
  return { q: Int8Array.from(w, (v) => Math.max(-127, Math.min(127, Math.round(v / scale)))), scale };
}

/** A value interval [lo, hi] the quantizer tracks to keep the residual within its proven bound. */
interface Interval {
  readonly lo: number;
  readonly hi: number;
}

function rqInterval(i: Interval, m: number, s: number, zp: number, dtype: DType): Interval {
  return { lo: requantizeValue(i.lo, m, s, zp, dtype), hi: requantizeValue(i.hi, m, s, zp, dtype) };
}

/** Rows [from, to) of a row-major `[rows][cols]` matrix. */
const rowSlice = (w: Float64Array, cols: number, from: number, to: number) => w.slice(from * cols, to * cols);
/** Columns [from, to) of a row-major `[rows][cols]` matrix. */
function columnSlice(w: Float64Array, cols: number, from: number, to: number): Float64Array {
  const rows = w.length / cols;
  const out = new Float64Array(rows * (to - from));
  for (let r = 0; r < rows; r++) out.set(w.subarray(r * cols + from, r * cols + to), r * (to - from));
  return out;
}

/** The exact accumulator interval of `w [out][in] · x` (no bias) over x ∈ `input`. */
function denseInterval(w: Int8Array, inF: number, input: Interval): Interval {
  let [lo, hi] = [Infinity, -Infinity];
  for (let o = 0; o < w.length / inF; o++) {
    let [a, b] = [0, 0];
    for (let i = 0; i < inF; i++) {
      const v = w[o * inF + i];
      a += Math.min(v * input.lo, v * input.hi);
      b += Math.max(v * input.lo, v * input.hi);
    }
    lo = Math.min(lo, a);
    hi = Math.max(hi, b);
  }
  return { lo, hi };
}

export function quantizeLlm(
  model: FloatLlm,
  cal: Calibration,
  options: QuantizeOptions = DEFAULT_QUANTIZE_OPTIONS,
): QuantizedLlm {
  const { dim: d, heads, headDim: hd, vocab, context: T } = model.arch;
  const RMAX = residualBound(d);
  const layers: Layer[] = [];
  const fx = (real: number) => quantizeMultiplier(real);
  const requant = (real: number, dtype: DType, zeroPoint = 0) => ({ ...fx(real), zeroPoint, dtype });
  const levels = (dtype: 'int8' | 'int16') => (dtype === 'int8' ? 127 : 32767);
  const full = (dtype: DType) => ({ lo: DTYPES[dtype].min, hi: DTYPES[dtype].max });

  // A dense layer with its fused requantization to (dtype, outScale); returns the output interval.
  const dense = (
    w: Float64Array,
    inF: number,
    inScale: number,
    input: Interval,
    outScale: number,
    dtype: DType,
  ) => {
    const { q, scale } = symmetricInt8(w);
    const rq = requant((inScale * scale) / outScale, dtype);
    layers.push({
      op: 'dense',
      inFeatures: inF,
      outFeatures: w.length / inF,
      weights: q,
      bias: new Int32Array(w.length / inF),
      requantize: rq,
    });
    return rqInterval(denseInterval(q, inF, input), rq.multiplier, rq.shift, 0, dtype);
  };

  // The residual stream: int16 at one scale per half-block, with `residualHeadroom` over the
  // largest value calibration saw in that half-block (its input, its branch, its output), so the
  // add's operands share the scale and the add itself is exact (multiplier 1, shift 0, saturating).
  let x: Interval = { lo: 0, hi: 0 };
  let sR = 0;
  const residualScales: number[] = [];
  const enterHalfBlock = (names: string[]) => {
    const scale = (Math.max(...names.map((n) => absMax(cal, n))) * options.residualHeadroom) / 32767;
    if (sR !== 0 && scale !== sR) {
      const rq = requant(sR / scale, 'int16');
      layers.push({ op: 'requantize', ...rq });
      x = rqInterval(x, rq.multiplier, rq.shift, 0, 'int16');
    }
    sR = scale;
    residualScales.push(sR);
  };
  /**
   * rmsnorm needs its input proven within ±RMAX (12.5 bits): a requantize by RMAX / (proven bound)
   * first when the stream's proven interval is wider. The norm output is `normDtype` at outScale.
   */
  const rmsnorm = (g: Float64Array, outScale: number, dtype: 'int8' | 'int16') => {
    let inScale = sR;
    const bound = Math.max(-x.lo, x.hi);
    if (bound > RMAX) {
      for (let f = RMAX / (bound + 1); ; f *= 0.9999) {
        const rq = requant(f, 'int16');
        const out = rqInterval(x, rq.multiplier, rq.shift, 0, 'int16');
        if (out.lo < -RMAX || out.hi > RMAX) continue;
        layers.push({ op: 'requantize', ...rq });
        inScale = sR / (rq.multiplier / 2 ** rq.shift);
        break;
      }
    }
    layers.push({
      op: 'rmsnorm',
      dim: d,
      weight: Int32Array.from(g, (v) => Math.round(v / outScale)),
      eps: Math.max(1, Math.min(2 ** 16, Math.round(model.arch.normEps / inScale ** 2))),
      dtype,
    });
  };
  const residualAdd = (branch: Interval) => {
    layers.push({ op: 'add', slot: 1, requantize: requant(1, 'int16') });
    x = rqInterval({ lo: x.lo + branch.lo, hi: x.hi + branch.hi }, 1, 0, 0, 'int16');
  };

  // Tokens to int8 embedding rows, then into the residual stream.
  const embed = symmetricInt8(model.embed);
  layers.push({ op: 'embedding', vocab, dim: d, weights: embed.q });
  enterHalfBlock(['b0.x', 'b0.o', 'b0.xmid']);
  const toResidual = requant(embed.scale / sR, 'int16');
  layers.push({ op: 'requantize', ...toResidual });
  x = rqInterval({ lo: -127, hi: 127 }, toResidual.multiplier, toResidual.shift, 0, 'int16');

  const rope = ropeAngles(model.arch);
  const ropeTable = (v: Float64Array) => Int16Array.from(v, (c) => Math.round(c * 2 ** ROPE_SHIFT));
  const ropeLayer: Layer = {
    op: 'rope',
    shift: ROPE_SHIFT,
    dtype: 'int8',
    positions: T,
    half: hd / 2,
    cos: ropeTable(rope.cos),
    sin: ropeTable(rope.sin),
  };
  const table = Int32Array.from({ length: 2 ** SOFTMAX_FRAC_BITS }, (_, p) =>
    Math.round(2 ** 15 * 2 ** (-p / 2 ** SOFTMAX_FRAC_BITS)),
  );
  const fit = fitSigmoid(cal.gates);
  const gateFracBits: number[] = [];
  const nd = options.normDtype;
  const normOut = full(nd);

  model.blocks.forEach((blk, i) => {
    const p = `b${i}.`;
    const s = (name: string, dtype: 'int8' | 'int16' = 'int8') => absMax(cal, p + name) / levels(dtype);
    // Attention: h = rmsnorm(x); q, k rotated; scores in base-2 units; softmax; P·V; o; x + o.
    if (i > 0) enterHalfBlock([p + 'x', p + 'o', p + 'xmid']);
    const [sH, sQ, sK, sV, sA] = [
      s('h1', nd),
      Math.max(s('q'), s('qr')),
      Math.max(s('k'), s('kr')),
      s('v', options.valueDtype),
      s('attn', options.attentionDtype),
    ];
    layers.push({ op: 'store', slot: 1 });
    rmsnorm(blk.attnNorm, sH, nd);
    layers.push({ op: 'store', slot: 2 }, { op: 'store', slot: 3 });
    dense(blk.wq, d, sH, normOut, sQ, 'int8');
    layers.push({ op: 'splitHeads', heads }, ropeLayer, { op: 'store', slot: 4 }, { op: 'load', slot: 2 });
    dense(blk.wk, d, sH, normOut, sK, 'int8');
    layers.push({ op: 'splitHeads', heads }, ropeLayer, { op: 'store', slot: 5 }, { op: 'load', slot: 4 });
    const scoreUnit = 1 / (Math.LOG2E * 2 ** SOFTMAX_FRAC_BITS); // real score per integer unit
    layers.push({
      op: 'matmul',
      slot: 5,
      transposeB: true,
      requantize: requant((sQ * sK) / Math.sqrt(hd) / scoreUnit, 'int16'),
    });
    layers.push({ op: 'softmax', causal: true, fracBits: SOFTMAX_FRAC_BITS, table });
    layers.push({ op: 'store', slot: 6 }, { op: 'load', slot: 3 });
    dense(blk.wv, d, sH, normOut, sV, options.valueDtype);
    layers.push({ op: 'splitHeads', heads }, { op: 'store', slot: 7 }, { op: 'load', slot: 6 });
    layers.push({
      op: 'matmul',
      slot: 7,
      transposeB: false,
      requantize: requant(sV / 255 / sA, options.attentionDtype),
    });
    layers.push({ op: 'mergeHeads' });
    residualAdd(dense(blk.wo, d, sA, full(options.attentionDtype), sR, 'int16'));

    // SwiGLU: down(silu(gate(h)) · up(h)), h = rmsnorm(x); x + down. With ffnParts P the hidden
    // width is cut in P parts: down = Σ_k down_k(silu(gate_k(h)) · up_k(h)), where gate_k and up_k
    // are rows and down_k columns of the matrices. Slot 4 keeps h for the next part, slot 5 the
    // partial sum (int16 at the residual scale, so the add is exact and saturating as the residual's).
    enterHalfBlock([p + 'xmid', p + 'down', i + 1 < model.blocks.length ? `b${i + 1}.x` : 'x']);
    const pd = options.productDtype;
    const [sH2, sG, sSilu, sU, sP] = [
      s('h2', nd),
      s('gate'),
      s('silu', options.siluDtype),
      s('up', options.upDtype),
      s('prod', pd),
    ];
    const { ffn } = model.arch;
    const parts = options.ffnParts;
    if (!Number.isInteger(parts) || parts < 1 || ffn % parts !== 0)
      throw new Error(`ffnParts ${parts} does not divide the hidden width ${ffn}`);
    const width = ffn / parts;
    const gate = polyGateFor(fit, sG, sSilu, fx, options.siluDtype);
    gateFracBits.push(gate.fracBits);
    layers.push({ op: 'store', slot: 1 });
    rmsnorm(blk.ffnNorm, sH2, nd);
    let down: Interval = { lo: 0, hi: 0 };
    for (let k = 0; k < parts; k++) {
      const [from, to] = [k * width, (k + 1) * width];
      if (k + 1 < parts) layers.push({ op: 'store', slot: 4 });
      layers.push({ op: 'store', slot: 2 });
      dense(rowSlice(blk.wGate, d, from, to), d, sH2, normOut, sG, 'int8');
      layers.push(gate.layer);
      layers.push({ op: 'store', slot: 3 }, { op: 'load', slot: 2 });
      dense(rowSlice(blk.wUp, d, from, to), d, sH2, normOut, sU, options.upDtype);
      layers.push({ op: 'mul', slot: 3, requantize: requant((sSilu * sU) / sP, pd) });
      const part = dense(columnSlice(blk.wDown, ffn, from, to), width, sP, full(pd), sR, 'int16');
      if (k === 0) down = part;
      else {
        layers.push({ op: 'add', slot: 5, requantize: requant(1, 'int16') });
        down = rqInterval({ lo: part.lo + down.lo, hi: part.hi + down.hi }, 1, 0, 0, 'int16');
      }
      if (k + 1 < parts) layers.push({ op: 'store', slot: 5 }, { op: 'load', slot: 4 });
    }
    residualAdd(down);
  });

  // Final norm, LM head to int8 logits: [max − logitSpan, max] of the calibrated logits onto
  // [−128, 127] with a zero point (argmax does not care; lower logits saturate).
  const sN = absMax(cal, 'norm') / levels(nd);
  rmsnorm(model.norm, sN, nd);
  const logits = cal.ranges.get('logits')!;
  const low = Math.max(logits.min, logits.max - options.logitSpan);
  const logitScale = (logits.max - low) / 255;
  const logitZeroPoint = Math.round(-128 - low / logitScale);
  const head = symmetricInt8(model.head);
  layers.push({
    op: 'dense',
    inFeatures: d,
    outFeatures: vocab,
    weights: head.q,
    bias: new Int32Array(vocab),
    requantize: requant((sN * head.scale) / logitScale, 'int8', logitZeroPoint),
  });
  layers.push({ op: 'argmax' });

  return {
    spec: {
      format: 'verilay.model.v2',
      name: 'tiny-llm',
      input: { shape: [T], dtype: 'int8', range: [0, vocab - 1] },
      layers,
    },
    options,
    logitScale,
    logitZeroPoint,
    sigmoidFit: fit,
    gateFracBits,
    residualScales,
  };
}
