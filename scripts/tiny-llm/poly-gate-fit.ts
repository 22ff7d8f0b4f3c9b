// The SiLU of tiny-llm's SwiGLU as verilay's `polyGate` (docs/model-format.md): x·g(x) where g
// approximates the logistic σ with I-BERT's clipped second-order polynomial,
//   σ(x) ≈ 1/2 + sgn(x)·(a·(min(|x|, c) − c)² + b),
// fitted by least squares on SiLU itself (the error x·(ĝ(x) − σ(x))) over the gate
// pre-activations seen in calibration, then put in fixed point.
import type { PolyGateLayer } from '@verilay/inference';

export interface SigmoidFit {
  /** Clip point c (real units). */
  readonly c: number;
  readonly a: number;
  readonly b: number;
  /** Root-mean-square SiLU error of the real-valued fit over the fitted interval. */
  readonly rmsError: number;
  readonly maxError: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** How often each |x| occurred: `counts[i]` values in [i·binWidth, (i + 1)·binWidth). */
export interface MagnitudeHistogram {
  readonly binWidth: number;
  readonly counts: Float64Array;
}

export const histogramBins = (binWidth: number, max: number): MagnitudeHistogram => ({
  binWidth,
  counts: new Float64Array(Math.ceil(max / binWidth) + 1),
});

export function addMagnitudes(h: MagnitudeHistogram, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++)
    h.counts[Math.min(h.counts.length - 1, Math.floor(Math.abs(values[i]) / h.binWidth))]++;
}

function fitFor(c: number, h: MagnitudeHistogram): SigmoidFit {
  // Given c, σ(u) − 1/2 ≈ a·(min(u,c) − c)² + b is linear in (a, b): least squares of the SiLU
  // error u·(g(u) − σ(u)) over the calibrated |x| (each bin at its centre, weighted by its count).
  let [saa, sab, sbb, sya, syb, n] = [0, 0, 0, 0, 0, 0];
  h.counts.forEach((count, i) => {
    if (count === 0) return;
    const u = (i + 0.5) * h.binWidth;
    const p = (Math.min(u, c) - c) ** 2;
    const y = sigmoid(u) - 0.5;
    const w = count * u * u;
    saa += w * p * p;
    sab += w * p;
    sbb += w;
    sya += w * y * p;
    syb += w * y;
    n += count;
  });
  const det = saa * sbb - sab * sab;
  const a = (sya * sbb - syb * sab) / det;
  const b = (saa * syb - sab * sya) / det;
  let [se, me] = [0, 0];
  h.counts.forEach((count, i) => {
    if (count === 0) return;
    const u = (i + 0.5) * h.binWidth;
    const e = u * (a * (Math.min(u, c) - c) ** 2 + b - (sigmoid(u) - 0.5));
    se += count * e * e;
    me = Math.max(me, Math.abs(e));
  });
  return { c, a, b, rmsError: Math.sqrt(se / n), maxError: me };
}

/** The clip point (0.01 grid, up to the largest |x| seen) and (a, b) of least SiLU error. */
export function fitSigmoid(h: MagnitudeHistogram): SigmoidFit {
  let last = h.counts.length - 1;
  while (last > 0 && h.counts[last] === 0) last--;
  let best = fitFor(0.5, h);
  for (let k = 51; k / 100 <= (last + 1) * h.binWidth; k++) {
    const fit = fitFor(k / 100, h);
    if (fit.rmsError < best.rmsError) best = fit;
  }
  return best;
}

/**
 * The polyGate layer for int8 input of scale `sIn` and output of scale `sOut`: g in fixed
 * point with F fraction bits (returned), F as large as the bounds allow (`|a|·clip² + |b| ≤ 2^30`,
 * `128·max|g| ≤ 2^31 − 1`), then `y = requantize(x·g)` with `sIn·2^−F / sOut`.
 */
export function polyGateFor(
  fit: SigmoidFit,
  sIn: number,
  sOut: number,
  quantize: (real: number) => { multiplier: number; shift: number },
  dtype: 'int8' | 'int16' = 'int8',
): { layer: PolyGateLayer; fracBits: number } {
  const clip = Math.max(1, Math.min(2 ** 15, Math.round(fit.c / sIn)));
  for (let fracBits = 23; ; fracBits--) {
    const one = 2 ** fracBits;
    const a = Math.round(fit.a * one * sIn * sIn);
    const b = Math.round(fit.b * one);
    const bias = one / 2;
    const maxG = bias + Math.max(Math.abs(b), Math.abs(a * clip * clip + b));
    if (Math.abs(a) * clip * clip + Math.abs(b) > 2 ** 30 || 128 * maxG > 2 ** 31 - 1) continue;
    const { multiplier, shift } = quantize(sIn / one / sOut);
    return { layer: { op: 'polyGate', clip, a, b, bias, multiplier, shift, zeroPoint: 0, dtype }, fracBits };
  }
}
