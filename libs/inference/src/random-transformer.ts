import type { DType } from './dtype';
import type { FusedRequantize, Layer, Model, Requantization } from './model';
import { buildModel } from './parse-model';
import { splitmix32 } from './random-model';

export interface RandomTransformerOptions {
  /** Most positions (T is drawn in [2, maxPositions]); default 8. */
  readonly maxPositions?: number;
  /** Transformer blocks; default drawn in [1, 2]. */
  readonly blocks?: number;
  /**
   * Per-channel scales (format v2) on the dense layers' and the attention matmuls' fused
   * requantizations (one per output feature, one per head). Without it the draws, and so the
   * models, are unchanged.
   */
  readonly perChannel?: boolean;
  /**
   * Each norm is a layernorm (mean-centred, with a bias) or an rmsnorm, drawn half and half.
   * Without it every norm is an rmsnorm and the draws are unchanged.
   */
  readonly layerNorm?: boolean;
}

/**
 * A deterministic random decoder-only transformer in format v2 (LLaMA's pattern, not trained):
 * embedding; per block, attention (rmsnorm, q/k/v dense with fused requantize, splitHeads, rope,
 * QKᵀ as a matmul with transposeB, scores requantized to int8 or int16, softmax causal or not
 * with fracBits 0..6, attention·V, mergeHeads, output dense, residual add with requantize) and a
 * SwiGLU feed-forward (rmsnorm, up and gate dense, polyGate, mul, down dense, residual add); final
 * rmsnorm, the head's dense with requantize, argmax per position. Dims, heads, slots, dtypes
 * (int8 and int16 paths) and every parameter are random but load-valid, scaled so activations
 * spread rather than saturate. For cross-checks between the runtime, the native kernels and the
 * circuits; `randomInput(model, seed)` draws token ids within its input range.
 */
export function randomTransformer(seed: number, options: RandomTransformerOptions = {}): Model {
  const rand = splitmix32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)];
  const i8 = (n: number) => Int8Array.from({ length: n }, () => int(-127, 127));
  const jitter = () => 2 ** (rand() * 2 - 1);
  const target = (dtype: DType) => (dtype === 'int8' ? 40 : 6000);

  const positions = int(2, Math.max(2, options.maxPositions ?? 8));
  const heads = int(1, 3);
  const half = int(1, 3);
  const hd = 2 * half;
  const dim = heads * hd;
  const hidden = int(2, 12);
  const vocab = int(4, 40);
  const layers: Layer[] = [];
  const free = Array.from({ length: 15 }, (_, i) => i + 1);
  const store = () => {
    const slot = free.splice(int(0, free.length - 1), 1)[0];
    layers.push({ op: 'store', slot });
    return slot;
  };
  const release = (slot: number) => free.push(slot);

  /** A requantize that maps a typical |value| of `typical` to about `to` (default `target(dtype)`). */
  const requant = (typical: number, dtype: DType, to = target(dtype)): FusedRequantize => {
    const shift = 24;
    const multiplier = Math.max(1, Math.min(2 ** 31 - 1, Math.round((2 ** shift * to * jitter()) / typical)));
    return { multiplier, shift, zeroPoint: rand() < 0.8 ? 0 : int(-3, 3), dtype };
  };
  /** With `perChannel`, the scale spread over `channels`, each drawn around `r`'s. */
  const channels = (r: FusedRequantize, n: number): Requantization => {
    if (!options.perChannel) return r;
    return {
      ...r,
      multiplier: Array.from({ length: n }, () =>
        Math.max(1, Math.min(2 ** 31 - 1, Math.round(r.multiplier * jitter()))),
      ),
      shift: Array.from({ length: n }, () => r.shift + int(-1, 1)),
    };
  };
  /** dense in -> out with a fused requantize; returns the typical |output|. */
  const dense = (inF: number, outF: number, typical: number, dtype: DType) => {
    layers.push({
      op: 'dense',
      inFeatures: inF,
      outFeatures: outF,
      weights: i8(inF * outF),
      bias: Int32Array.from({ length: outF }, () => int(-4 * inF, 4 * inF)),
      requantize: channels(requant(typical * 73 * Math.sqrt(inF), dtype), outF),
    });
    return target(dtype);
  };
  const rmsnorm = (typical: number) => {
    const layer = options.layerNorm && rand() < 0.5;
    const dtype = pick(['int8', 'int16'] as const);
    // y ≈ x·w / rms(x): weights near target(dtype), eps from 1 up to around typical².
    const w = target(dtype);
    const norm = {
      dim,
      weight: Int32Array.from({ length: dim }, () => int(-w, 2 * w)),
      eps: int(1, Math.min(2 ** 16, Math.max(1, Math.round(typical * typical)))),
      dtype,
    };
    if (layer)
      layers.push({
        op: 'layernorm',
        ...norm,
        bias: Int32Array.from({ length: dim }, () => int(-w / 4, w / 4)),
      });
    else layers.push({ op: 'rmsnorm', ...norm });
    return { dtype, typical: target(dtype) };
  };
  const rope = (dtype: DType) => {
    const shift = int(8, 14);
    const angle = (t: number, i: number) => t * 10000 ** (-i / half);
    const table = (f: (a: number) => number) =>
      Int16Array.from({ length: positions * half }, (_, k) =>
        Math.max(-32768, Math.min(32767, Math.round(2 ** shift * f(angle(Math.floor(k / half), k % half))))),
      );
    layers.push({ op: 'rope', shift, dtype, positions, half, cos: table(Math.cos), sin: table(Math.sin) });
  };

  let residual: { dtype: DType; typical: number } = { dtype: 'int8', typical: 73 };
  layers.push({ op: 'embedding', vocab, dim, weights: i8(vocab * dim) });
  const blocks = options.blocks ?? int(1, 2);
  for (let block = 0; block < blocks; block++) {
    // Attention.
    const r = store();
    const n = rmsnorm(residual.typical);
    const [a, b] = [store(), store()];
    const vDtype = pick(['int8', 'int16'] as const);
    const vTypical = dense(dim, dim, n.typical, vDtype);
    layers.push({ op: 'splitHeads', heads });
    const v = store();
    // q·k fits int32 only if one of them is int8 (K·2^15·2^15 would not).
    const [qDtype, kDtype] = pick([
      ['int8', 'int8'],
      ['int16', 'int8'],
      ['int8', 'int16'],
    ] as const);
    layers.push({ op: 'load', slot: b });
    release(b);
    const kTypical = dense(dim, dim, n.typical, kDtype);
    layers.push({ op: 'splitHeads', heads });
    rope(kDtype);
    const k = store();
    layers.push({ op: 'load', slot: a });
    release(a);
    const qTypical = dense(dim, dim, n.typical, qDtype);
    layers.push({ op: 'splitHeads', heads });
    rope(qDtype);
    const causal = rand() < 0.7;
    const fracBits = int(0, 6);
    const scoreDtype = pick(['int8', 'int16'] as const);
    // Scores spread over a few units of 2^fracBits, so the softmax is neither one-hot nor flat.
    const spread = Math.min(target(scoreDtype), 4 * 2 ** fracBits);
    layers.push({
      op: 'matmul',
      slot: k,
      transposeB: true,
      requantize: channels(requant(qTypical * kTypical * Math.sqrt(hd), scoreDtype, spread), heads),
    });
    release(k);
    const table = Int32Array.from({ length: 2 ** fracBits }, (_, p) =>
      Math.max(
        1,
        Math.min(2 ** 15, Math.round(2 ** 15 * 2 ** (-p / 2 ** fracBits)) - (rand() < 0.2 ? int(0, 3) : 0)),
      ),
    );
    layers.push({ op: 'softmax', causal, fracBits, table });
    const attnDtype = pick(['int8', 'int16'] as const);
    layers.push({
      op: 'matmul',
      slot: v,
      transposeB: false,
      requantize: channels(requant((255 / Math.sqrt(positions)) * vTypical, attnDtype), heads),
    });
    release(v);
    layers.push({ op: 'mergeHeads' });
    const oDtype = pick(['int8', 'int16'] as const);
    dense(dim, dim, target(attnDtype), oDtype);
    residual = addResidual(r, oDtype);
    // SwiGLU feed-forward.
    const r2 = store();
    const n2 = rmsnorm(residual.typical);
    const g = store();
    const upDtype = pick(['int8', 'int16'] as const);
    const upTypical = dense(dim, hidden, n2.typical, upDtype);
    const u = store();
    layers.push({ op: 'load', slot: g });
    release(g);
    const gateDtype = pick(['int8', 'int16'] as const);
    const gateTypical = dense(dim, hidden, n2.typical, gateDtype);
    const gated = polyGate(gateDtype, gateTypical, pick(['int8', 'int16'] as const));
    // mul: |x·s| must fit int32 (2^15·2^15 does).
    layers.push({
      op: 'mul',
      slot: u,
      requantize: requant(gated.typical * upTypical, 'int8'),
    });
    release(u);
    const downDtype = pick(['int8', 'int16'] as const);
    dense(hidden, dim, target('int8'), downDtype);
    residual = addResidual(r2, downDtype);
  }
  const nf = rmsnorm(residual.typical);
  dense(dim, vocab, nf.typical, pick(['int8', 'int16'] as const));
  layers.push({ op: 'argmax' });

  /**
   * add the residual slot; int8 out, or (an int8 branch) int16 with multiplier 1: the interval
   * grows by at most 256 per block, so the next rmsnorm's dim·max x² stays within int32.
   */
  function addResidual(slot: number, branch: DType): { dtype: DType; typical: number } {
    const narrow = branch === 'int8' && rand() < 0.6;
    const requantize: FusedRequantize = narrow
      ? { multiplier: 1, shift: 0, zeroPoint: 0, dtype: 'int16' }
      : requant(target(branch) + residual.typical, 'int8');
    layers.push({ op: 'add', slot, requantize });
    release(slot);
    return narrow
      ? { dtype: 'int16', typical: target(branch) + residual.typical }
      : { dtype: 'int8', typical: 40 };
  }

  /** polyGate on x (dtype, typical |x|): a random clipped quadratic gate within the bounds. */
  function polyGate(xDtype: DType, typical: number, out: DType) {
    const maxAbs = xDtype === 'int8' ? 128 : 32768;
    const budget = Math.floor((2 ** 31 - 1) / maxAbs);
    const clip = int(1, Math.min(2 ** 15, Math.max(1, Math.round(typical * 2))));
    const quad = Math.floor(Math.min(budget, 2 ** 30) / 3);
    const aMax = Math.floor(quad / (clip * clip));
    const a = int(-aMax, aMax);
    const b = int(-Math.floor(quad / 4), Math.floor(quad / 4));
    const bias = int(-Math.floor(budget / 3), Math.floor(budget / 3));
    const g = Math.abs(bias) + Math.abs(a) * clip * clip + Math.abs(b);
    layers.push({ op: 'polyGate', clip, a, b, bias, ...requant((typical * g) / 2, out) });
    return { typical: target(out) };
  }

  const inputDtype = vocab <= 128 && rand() < 0.3 ? 'int8' : pick(['int16', 'int32'] as const);
  return buildModel({
    format: 'verilay.model.v2',
    name: `transformer-${seed}`,
    input: { shape: [positions], dtype: inputDtype, range: [0, vocab - 1] },
    layers,
  });
}
