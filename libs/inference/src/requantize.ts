import { DTYPES, type DType } from './dtype';

const TWO_53 = 2 ** 53;

/**
 * The one rounding rule of verilay (docs/model-format.md):
 *
 *   requantize(x) = clamp(floor((x * multiplier + 2^(shift-1)) / 2^shift) + zeroPoint, dtype)
 *
 * i.e. round half toward +infinity, then saturate; with shift = 0 there is no rounding term.
 * |x| < 2^31 and multiplier < 2^31 (checked at model load), so the product is below 2^62 and is
 * computed exactly: with plain numbers when it stays below 2^53, with BigInt otherwise.
 */
export function requantizeValue(
  x: number,
  multiplier: number,
  shift: number,
  zeroPoint: number,
  dtype: DType,
): number {
  const { min, max } = DTYPES[dtype];
  let q: number;
  if (Math.abs(x) <= Math.floor(TWO_53 / multiplier) - 2 ** shift) {
    // SAFETY: |x * multiplier| + 2^(shift-1) < 2^53, so the product and the sum are exact, and
    // division by a power of two only changes the exponent: the quotient is exact before floor.
    const p = x * multiplier;
    q = shift === 0 ? p : Math.floor((p + 2 ** (shift - 1)) / 2 ** shift);
  } else {
    const p = BigInt(x) * BigInt(multiplier);
    // BigInt >> is an arithmetic shift: floor division by 2^shift, also for negative numbers.
    q = Number(shift === 0 ? p : (p + (1n << BigInt(shift - 1))) >> BigInt(shift));
  }
  const y = q + zeroPoint;
  return y < min ? min : y > max ? max : y;
}
