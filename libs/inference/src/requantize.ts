import { DTYPES, type DType } from './dtype';

const TWO_53 = 2 ** 53;
/** 2^k for k = 0..63: a table lookup instead of Math.pow per element. */
const POW2 = Array.from({ length: 64 }, (_, k) => 2 ** k);
/** 2^−k for k = 0..63 (exact doubles): p / 2^k as a multiplication. */
const INV_POW2 = Array.from({ length: 64 }, (_, k) => 2 ** -k);
/** The rounding term 2^(k−1) of shift k (none, 0, for k = 0). */
const HALF_POW2 = Array.from({ length: 64 }, (_, k) => (k === 0 ? 0 : 2 ** (k - 1)));

/**
 * The one rounding rule of verilay (docs/model-format.md):
 *
 *   requantize(x) = clamp(floor((x * multiplier + 2^(shift-1)) / 2^shift) + zeroPoint, dtype)
 *
 * i.e. round half toward +infinity, then saturate; with shift = 0 there is no rounding term.
 * |x| < 2^31 and multiplier < 2^31 (checked at model load), so the product is below 2^62 and is
 * computed exactly: with plain numbers when it stays below 2^53 (whatever the shift), with BigInt
 * otherwise (`roundShift`).
 */
export function requantizeValue(
  x: number,
  multiplier: number,
  shift: number,
  zeroPoint: number,
  dtype: DType,
): number {
  const { min, max } = DTYPES[dtype];
  const y = roundShift(x, multiplier, shift, INV_POW2[shift], HALF_POW2[shift]) + zeroPoint;
  return y < min ? min : y > max ? max : y;
}

/**
 * floor((x·m + 2^(s−1)) / 2^s) (x·m when s = 0), exactly: requantize before the zero point and
 * the clamp. `inv` = 2^−s and `half` = 2^(s−1) (1 and 0 when s = 0) are passed in, so a loop over
 * a tensor looks them up once (`shiftConstants`; ops on whole tensors call this, not
 * requantizeValue).
 */
export function roundShift(x: number, m: number, s: number, inv: number, half: number): number {
  const p = x * m;
  const fast = TWO_53 - half;
  // SAFETY: rounding is monotonic and 2^53 − 2^(s−1) is a double, so |fl(x·m)| below it implies
  // the true product is below it and p is exact; p + 2^(s−1) is then an integer below 2^53 (exact)
  // and · 2^−s only moves the exponent (exact), so the floor is the rule's, with one rounding
  // step and no branch on the data. (s = 0: floor(p · 1 + 0) = p.)
  if (p < fast && p > -fast) return Math.floor((p + half) * inv);
  return roundShiftWide(x, m, s);
}

/** `roundShift` past its fast path: |x·m| ≥ 2^53 − 2^(s−1) (so s ≥ 1 if |x·m| < 2^53). */
function roundShiftWide(x: number, m: number, s: number): number {
  const p = x * m;
  if (Math.abs(p) < TWO_53) {
    // SAFETY: as above, p is exact. p / 2^s only moves the exponent (exact), so `a` is
    // floor(p / 2^s) exactly; p rounds up iff p >= (2a + 1) * 2^(s-1), a double because 2a + 1
    // has at most 54 - s bits. No sum of p with 2^(s-1) is ever formed, so any shift works.
    const a = Math.floor(p / POW2[s]);
    return p >= (2 * a + 1) * POW2[s - 1] ? a + 1 : a;
  }
  const big = BigInt(x) * BigInt(m);
  // BigInt >> is an arithmetic shift: floor division by 2^shift, also for negative numbers.
  return Number(s === 0 ? big : (big + (1n << BigInt(s - 1))) >> BigInt(s));
}

/** A whole tensor's `roundShift` constants for one shift: 2^−s and 2^(s−1). */
export function shiftConstants(s: number): [inv: number, half: number] {
  return [INV_POW2[s], HALF_POW2[s]];
}

/** A real rescale factor as verilay's fixed point: `real ≈ multiplier / 2^shift`. */
export interface FixedPointMultiplier {
  readonly multiplier: number;
  readonly shift: number;
}

const MAX_MULTIPLIER = 2 ** 31 - 1;

/**
 * Converts a real rescale factor (e.g. `inputScale * weightScale / outputScale` of a quantized
 * layer) to `multiplier / 2^shift` with `multiplier` of at most `bits` significant bits (1..31)
 * and the largest `shift` (≤ 62) that allows: the nearest such fixed point (ties up).
 *
 * The default, 24 bits, is float32's precision: ONNX stores scales as float32, so a longer
 * multiplier reproduces no more of the source model, and every extra bit of `shift` costs one
 * range-check constraint per element in the circuits.
 */
export function quantizeMultiplier(real: number, bits = 24): FixedPointMultiplier {
  if (!Number.isInteger(bits) || bits < 1 || bits > 31)
    throw new RangeError(`multiplier bits must be an integer in [1, 31], got ${bits}`);
  if (!Number.isFinite(real) || real <= 0)
    throw new RangeError(`a rescale factor must be a positive finite number, got ${real}`);
  const limit = Math.min(2 ** bits - 1, MAX_MULTIPLIER);
  // real * 2^shift is exact in float64 (a power-of-two scaling), so only the final round rounds.
  let shift = 62;
  while (shift > 0 && Math.round(real * 2 ** shift) > limit) shift--;
  const multiplier = Math.round(real * 2 ** shift);
  if (multiplier > limit)
    throw new RangeError(`rescale factor ${real} is too large for a ${bits}-bit multiplier`);
  if (multiplier === 0) throw new RangeError(`rescale factor ${real} is below 2^-63`);
  // Drop trailing zero bits: the same value with a smaller shift is a cheaper circuit.
  let [m, s] = [multiplier, shift];
  while (s > 0 && m % 2 === 0) [m, s] = [m / 2, s - 1];
  return { multiplier: m, shift: s };
}

/**
 * A requantization's scale: one `multiplier`/`shift` for the whole tensor, or (format v2) one per
 * channel (docs/model-format.md, "Per-channel requantization").
 */
export interface RequantizeScale {
  readonly multiplier: number | readonly number[];
  readonly shift: number | readonly number[];
  readonly zeroPoint: number;
  readonly dtype: DType;
}

/** Whether the scale is per channel (arrays) rather than per tensor. */
export function isPerChannel(r: RequantizeScale): boolean {
  return typeof r.multiplier !== 'number' || typeof r.shift !== 'number';
}

/**
 * The channel axis of a tensor: the first axis of a 3-D tensor (`[C, H, W]` as conv2d writes it;
 * a matmul's `[H, M, N]` so per head), the last axis otherwise (`[C]`, `[T, C]`). Element `i` of
 * the flat row-major tensor is in channel `⌊i / inner⌋ mod channels`.
 */
export function channelAxis(shape: readonly number[]): { channels: number; inner: number } {
  return shape.length === 3
    ? { channels: shape[0], inner: shape[1] * shape[2] }
    : { channels: shape[shape.length - 1], inner: 1 };
}

/** Channel c's multiplier and shift (the tensor's own for a per-tensor scale). */
export function channelScale(r: RequantizeScale, c: number): [multiplier: number, shift: number] {
  const m = typeof r.multiplier === 'number' ? r.multiplier : r.multiplier[c];
  const s = typeof r.shift === 'number' ? r.shift : r.shift[c];
  return [m, s];
}

/** `requantize` of every element of a tensor of `shape` into a new array (or `out`, in place). */
export function requantizeTensor(
  r: RequantizeScale,
  x: Int32Array,
  shape: readonly number[],
  out = new Int32Array(x.length),
): Int32Array {
  const { zeroPoint } = r;
  const { min, max } = DTYPES[r.dtype];
  // Runs of `inner` elements share a channel (per tensor: the whole tensor is one run) and the
  // runs go through the channels in order: a run reads its channel's constants once.
  const { channels, inner } = isPerChannel(r) ? channelAxis(shape) : { channels: 1, inner: x.length };
  const [ms, ss, invs, halves] = [0, 1, 2, 3].map(() => new Float64Array(channels));
  for (let c = 0; c < channels; c++) {
    [ms[c], ss[c]] = channelScale(r, c);
    [invs[c], halves[c]] = shiftConstants(ss[c]);
  }
  for (let i = 0, c = 0; i < x.length; c = c + 1 === channels ? 0 : c + 1) {
    // (Plain declarations: with a channel per element this runs once per element.)
    const m = ms[c];
    const s = ss[c];
    const inv = invs[c];
    const half = halves[c];
    for (const end = i + inner; i < end; i++) {
      const y = roundShift(x[i], m, s, inv, half) + zeroPoint;
      out[i] = y < min ? min : y > max ? max : y;
    }
  }
  return out;
}
