import { quantizeMultiplier, requantizeValue } from './requantize';
import { referenceRequantize } from './reference-runtime.spec-helper';
import fc from 'fast-check';

describe(requantizeValue.name, () => {
  // Hand-worked: y = floor((x*m + 2^(s-1)) / 2^s) + zp, then saturate. Halves round toward +inf.
  it.each([
    // x, multiplier, shift, zeroPoint, dtype, expected, why
    [3, 1, 1, 0, 'int8', 2, '1.5 rounds up to 2'],
    [-3, 1, 1, 0, 'int8', -1, '-1.5 rounds up to -1 (half toward +inf, not away from zero)'],
    [5, 1, 2, 0, 'int8', 1, '1.25 rounds to 1'],
    [-5, 1, 2, 0, 'int8', -1, '-1.25 rounds to -1'],
    [-6, 1, 2, 0, 'int8', -1, '-1.5 rounds to -1'],
    [-7, 1, 2, 0, 'int8', -2, '-1.75 rounds to -2'],
    [7, 3, 0, 0, 'int8', 21, 'shift 0: no rounding term'],
    [100, 3, 1, 0, 'int8', 127, '150 saturates to 127'],
    [-100, 3, 1, 0, 'int8', -128, '-150 saturates to -128'],
    [-1, 1, 0, 0, 'uint8', 0, 'uint8 saturates below at 0'],
    [10, 1, 0, 250, 'uint8', 255, 'zero point added before saturation'],
    [-10, 1, 0, -120, 'int8', -128, 'negative zero point saturates'],
    [255, 1, 1, 0, 'int8', 127, '127.5 rounds to 128 then saturates to 127'],
    [40000, 1, 0, 0, 'int16', 32767, 'int16 saturation'],
    // The BigInt path: products past 2^53.
    [2147483647, 2147483647, 62, 0, 'int8', 1, '(2^31-1)^2 / 2^62 = 0.99999... -> 1'],
    [-2147483648, 2147483647, 31, 0, 'int32', -2147483647, '-2^31 * (2^31-1) / 2^31 = -2^31 + 1, exactly'],
    [2147483647, 2147483647, 31, 0, 'int32', 2147483646, '(2^31-1)^2 / 2^31 = 2^31 - 2 + 2^-31 -> 2^31 - 2'],
    [1073741824, 1073741824, 40, 0, 'int32', 1048576, '2^60 / 2^40 = 2^20'],
    [-1073741825, 1073741824, 31, 0, 'int32', -536870912, '-(2^60 + 2^30)/2^31 = -2^29 - 0.5 -> -2^29'],
  ] as const)('requantize(%d, m=%d, s=%d, zp=%d, %s) = %d: %s', (x, m, s, zp, dtype, expected, _why) => {
    expect(requantizeValue(x, m, s, zp, dtype)).toBe(expected);
  });

  it('agrees with the BigInt reference across the whole parameter range', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 62 }),
        fc.integer({ min: -128, max: 127 }),
        fc.constantFrom('int8', 'uint8', 'int16', 'int32'),
        (x, m, s, zp, dtype) => {
          const z = dtype === 'uint8' ? Math.abs(zp) : zp;
          expect(requantizeValue(x, m, s, z, dtype)).toBe(
            Number(referenceRequantize(BigInt(x), m, s, z, dtype)),
          );
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('takes the exact fast path and the BigInt path consistently at the 2^53 boundary', () => {
    // Three regimes (requantize.ts' roundShift): |x * m| < 2^53 − 2^(s−1) (one floor of the sum),
    // up to 2^53 (floor, then the half compared), and BigInt past it. Products within 4m of 2^53
    // test all three: the first for s = 1, 2, 10 (2^(s−1) < 4m ≈ 2^22), the second for the larger
    // shifts, the third above 2^53; shifts below and above 53, on and off the rounding boundary.
    const m = 2 ** 20 + 1;
    const threshold = Math.floor((2 ** 53 - 1) / m);
    for (const s of [1, 2, 10, 23, 24, 25, 40, 53, 54, 62])
      for (let x = threshold - 3; x <= threshold + 3; x++)
        for (const sign of [1, -1])
          expect(requantizeValue(sign * x, m, s, 0, 'int32')).toBe(
            Number(referenceRequantize(BigInt(sign * x), m, s, 0, 'int32')),
          );
  });

  it('rounds exact halves up with large shifts on the fast path', () => {
    // 24-bit multipliers with shifts in the 30s and 40s are what ONNX import produces.
    const m = 12_582_913; // 3 * 2^22 + 1, 24 bits
    for (const s of [30, 35, 41, 47]) {
      fc.assert(
        fc.property(fc.integer({ min: -(2 ** 28), max: 2 ** 28 }), (x) => {
          for (const v of [x, x + 1, x - 1])
            expect(requantizeValue(v, m, s, 0, 'int32')).toBe(
              Number(referenceRequantize(BigInt(v), m, s, 0, 'int32')),
            );
        }),
        { numRuns: 500 },
      );
      // Exact ties: x * m = (2k + 1) * 2^(s-1) needs m | (2k+1) 2^(s-1); use m = 1 instead.
      for (const k of [-3, -2, -1, 0, 1, 2]) {
        const x = (2 * k + 1) * 2 ** (s - 1);
        if (Math.abs(x) < 2 ** 31) expect(requantizeValue(x, 1, s, 0, 'int32')).toBe(k + 1); // (k + 1/2) rounds up to k + 1
      }
    }
  });
});

describe(quantizeMultiplier.name, () => {
  it.each([
    // real, bits, multiplier, shift
    [0.5, 24, 1, 1],
    [1, 24, 1, 0],
    [3, 24, 3, 0],
    [0.1, 24, 13421773, 27], // 0.1 * 2^27 = 13421772.8 -> 13421773 (24 bits)
    [0.1, 8, 205, 11], // 0.1 * 2^11 = 204.8 -> 205
    [2 ** -40, 24, 1, 40],
    [(2 ** 31 - 1) / 2 ** 62, 31, 2 ** 31 - 1, 62],
  ] as const)('quantizeMultiplier(%d, %d bits) = %d / 2^%d', (real, bits, multiplier, shift) => {
    expect(quantizeMultiplier(real, bits)).toEqual({ multiplier, shift });
  });

  it('rejects what has no fixed point', () => {
    expect(() => quantizeMultiplier(0)).toThrow(RangeError);
    expect(() => quantizeMultiplier(-0.5)).toThrow(RangeError);
    expect(() => quantizeMultiplier(Number.NaN)).toThrow(RangeError);
    expect(() => quantizeMultiplier(2 ** 31)).toThrow(/too large/);
    expect(() => quantizeMultiplier(2 ** -70)).toThrow(/below 2\^-63/);
    expect(() => quantizeMultiplier(0.5, 32)).toThrow(/bits/);
  });

  it('is within half a unit of the last place of the real factor', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 2 ** -30, max: 2 ** 7, noNaN: true }), // below 2^(bits - 1)
        fc.integer({ min: 8, max: 31 }),
        (real, bits) => {
          const { multiplier, shift } = quantizeMultiplier(real, bits);
          expect(multiplier).toBeLessThan(2 ** bits);
          expect(Math.abs(multiplier / 2 ** shift - real)).toBeLessThanOrEqual(2 ** -shift / 2);
        },
      ),
    );
  });
});
