// SiLU as verilay's `polyGate` (docs/model-format.md): x·g(x) with g ≈ σ in I-BERT's clipped
// second-order form g(u) = 1/2 + sgn(u)·(a·(min(|u|, c) − c)² + b). (a, b) for each clip point c
// on a grid are the least-squares fit of the SiLU error u·(g(u) − σ(u)) over the |gate| values
// calibration saw (a histogram); the c of least error wins. Then g goes to fixed point.
import type { PolyGateLayer } from '@verilay/inference';

export interface SiluFit {
  readonly c: number;
  readonly a: number;
  readonly b: number;
  readonly rmsError: number;
}

/** Counts of |x| in bins of `width`: what the fit weights its error by. */
export class MagnitudeHistogram {
  readonly counts: Float64Array;
  constructor(
    readonly width: number,
    max: number,
  ) {
    this.counts = new Float64Array(Math.ceil(max / width) + 1);
  }
  add(values: ArrayLike<number>): void {
    const last = this.counts.length - 1;
    for (let i = 0; i < values.length; i++)
      this.counts[Math.min(last, Math.floor(Math.abs(values[i]) / this.width))]++;
  }
}

const sigmoidHalf = (u: number) => 1 / (1 + Math.exp(-u)) - 0.5;

function fitAt(c: number, h: MagnitudeHistogram): SiluFit {
  // Weighted normal equations of min Σ n·u²·(a·p + b − y)², p = (min(u, c) − c)², y = σ(u) − 1/2.
  const m = [0, 0, 0, 0, 0]; // Σw p², Σw p, Σw, Σw y p, Σw y
  const terms = (i: number) => {
    const u = (i + 0.5) * h.width;
    return { u, p: (Math.min(u, c) - c) ** 2, y: sigmoidHalf(u), w: h.counts[i] * u * u };
  };
  h.counts.forEach((n, i) => {
    if (!n) return;
    const { p, y, w } = terms(i);
    m[0] += w * p * p;
    m[1] += w * p;
    m[2] += w;
    m[3] += w * y * p;
    m[4] += w * y;
  });
  const det = m[0] * m[2] - m[1] * m[1];
  const a = (m[3] * m[2] - m[4] * m[1]) / det;
  const b = (m[0] * m[4] - m[1] * m[3]) / det;
  let [se, count] = [0, 0];
  h.counts.forEach((n, i) => {
    if (!n) return;
    const { u, p, y } = terms(i);
    se += n * (u * (a * p + b - y)) ** 2;
    count += n;
  });
  return { c, a, b, rmsError: Math.sqrt(se / count) };
}

export function fitSilu(h: MagnitudeHistogram): SiluFit {
  let top = h.counts.length - 1;
  while (top > 0 && !h.counts[top]) top--;
  let best = fitAt(0.5, h);
  for (let c = 0.55; c <= (top + 1) * h.width; c += 0.05) {
    const fit = fitAt(c, h);
    if (fit.rmsError < best.rmsError) best = fit;
  }
  return best;
}

/**
 * The polyGate for int8 input of scale `sIn` to `dtype` of scale `sOut`, with g in fixed point of
 * F fraction bits, F the largest the format's bounds allow (`|a|·clip² + |b| ≤ 2^30`,
 * `128·max|g| ≤ 2^31 − 1`).
 */
export function siluGate(
  fit: SiluFit,
  sIn: number,
  sOut: number,
  toMultiplier: (real: number) => { multiplier: number; shift: number },
  dtype: 'int8' | 'int16',
): PolyGateLayer {
  const clip = Math.max(1, Math.min(2 ** 15, Math.round(fit.c / sIn)));
  for (let F = 23; ; F--) {
    const a = Math.round(fit.a * 2 ** F * sIn * sIn);
    const b = Math.round(fit.b * 2 ** F);
    const bias = 2 ** (F - 1);
    const maxG = bias + Math.abs(a) * clip * clip + Math.abs(b);
    if (Math.abs(a) * clip * clip + Math.abs(b) > 2 ** 30 || 128 * maxG > 2 ** 31 - 1) continue;
    return { op: 'polyGate', clip, a, b, bias, ...toMultiplier(sIn / 2 ** F / sOut), zeroPoint: 0, dtype };
  }
}
