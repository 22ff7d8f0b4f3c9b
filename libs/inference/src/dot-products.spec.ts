import fc from 'fast-check';
import { dotProducts, PACKED_SUM_LIMIT } from './dot-products';

/** dot-products.ts' MIN_CHUNK: the fewest steps a packed chunk short of all of k takes. */
const MIN_CHUNK = 8;

/**
 * The definition, in BigInt: y[r][c] = bias[c] + Σ_i a[r][i]·b[c·cStride + i·iStride] (as decimal
 * strings: jest's workers cannot send a BigInt in a failure message).
 */
function expected(
  a: Int32Array,
  rows: number,
  k: number,
  b: Int8Array | Int32Array,
  cStride: number,
  iStride: number,
  cols: number,
  bias: Int32Array | undefined,
): string[] {
  const y: string[] = [];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      let acc = BigInt(bias?.[c] ?? 0);
      for (let i = 0; i < k; i++) acc += BigInt(a[r * k + i]) * BigInt(b[c * cStride + i * iStride]);
      y.push(acc.toString());
    }
  return y;
}

describe(dotProducts.name, () => {
  it('is the definition on every shape and size: blocks of 4 rows and the rows after them, an odd last column, both strides, two rows packed in a double (over all of k or in chunks) or not', () => {
    // Which path each case takes (the condition of dot-products.ts): packed rows summed over all of
    // k at once, packed in chunks of k, or not packed; counted so that the draws reach all three.
    const paths = { packed: 0, chunked: 0, plain: 0 };
    fc.assert(
      fc.property(
        fc.record({
          rows: fc.integer({ min: 1, max: 11 }),
          k: fc.integer({ min: 1, max: 24 }),
          cols: fc.integer({ min: 1, max: 7 }),
          transposed: fc.boolean(),
          withBias: fc.boolean(),
          // max|a|: int8, int16 and wider activations; b int8 (weights) or int32 (a matmul operand).
          aMax: fc.constantFrom(127, 32767, 60_000, 2 ** 20),
          wide: fc.boolean(),
          seed: fc.integer(),
        }),
        ({ rows, k, cols, transposed, withBias, aMax, wide, seed }) => {
          let s = seed;
          const next = (lo: number, hi: number) => {
            s = (Math.imul(s, 1103515245) + 12345) | 0;
            return lo + ((s >>> 8) % (hi - lo + 1));
          };
          // Within the format's accumulator bound, K·max|a|·max|b| ≤ 2^31 − 1.
          const bMax = Math.min(wide ? 2 ** 15 : 127, Math.floor((2 ** 31 - 1) / (k * aMax)));
          const a = Int32Array.from({ length: rows * k }, () => next(-aMax, aMax));
          const values = Array.from({ length: k * cols }, () => next(-bMax, bMax));
          const b = wide ? Int32Array.from(values) : Int8Array.from(values);
          const bias = withBias ? Int32Array.from({ length: cols }, () => next(-1e6, 1e6)) : undefined;
          // b as [cols][k] (a dense layer's weights) or as [k][cols] (a plain matmul operand).
          const [cStride, iStride] = transposed ? [1, cols] : [k, 1];
          // Written at an offset, into a buffer with a sentinel around it: nothing else is touched.
          const y = new Int32Array(rows * cols + 6).fill(-7);
          dotProducts(a, rows, k, b, 0, cStride, iStride, cols, bias, y, 3);
          expect(Array.from(y.subarray(3, 3 + rows * cols), String)).toEqual(
            expected(a, rows, k, b, cStride, iStride, cols, bias),
          );
          expect([...y.subarray(0, 3), ...y.subarray(3 + rows * cols)]).toEqual(new Array(6).fill(-7));
          const absMax = (v: ArrayLike<number>) => Math.max(...Array.from(v, Math.abs));
          const chunk = Math.min(k, Math.floor(PACKED_SUM_LIMIT / (absMax(a) * (wide ? absMax(b) : 128))));
          paths[chunk < Math.min(k, MIN_CHUNK) ? 'plain' : chunk < k ? 'chunked' : 'packed']++;
        },
      ),
      { numRuns: 800 },
    );
    expect(paths.packed).toBeGreaterThan(60);
    expect(paths.chunked).toBeGreaterThan(60);
    expect(paths.plain).toBeGreaterThan(60);
  });

  it('takes two packed rows apart exactly at the packing limit (low lane ±(2^26 − 1))', () => {
    // k = 1, b = [1]: the sums are a itself, so each packed sum is lo + hi·2^27 with both lanes at
    // ±PACKED_SUM_LIMIT, the low lane as far from 0 as packing allows; nine rows: a block of four
    // pairs, then a last row alone in its double.
    const a = Int32Array.from({ length: 9 }, (_, r) => ((r * 5) % 3 === 1 ? -1 : 1) * PACKED_SUM_LIMIT);
    const y = new Int32Array(9);
    dotProducts(a, 9, 1, Int32Array.of(1), 0, 1, 1, 1, Int32Array.of(-3), y, 0);
    expect(Array.from(y)).toEqual(Array.from(a, (v) => v - 3));
  });

  it('sums packed rows in chunks that keep the lanes apart when every product is as large as allowed', () => {
    // max|a|·max|b| = 2^22: a chunk is ⌊(2^26 − 1) / 2^22⌋ = 15 steps, whose lane sums reach
    // 15·2^22 < 2^26 with every product of one sign; a chunk twice as long would not come apart.
    // Rows alternate in sign (a low lane negative under a positive high one, and the reverse);
    // nine rows: a block of four pairs and a last row alone.
    const [rows, k, cols] = [9, 40, 3];
    const a = Int32Array.from({ length: rows * k }, (_, i) => (Math.floor(i / k) % 2 ? -4096 : 4096));
    const b = new Int32Array(k * cols).fill(1024);
    const y = new Int32Array(rows * cols);
    dotProducts(a, rows, k, b, 0, k, 1, cols, undefined, y, 0);
    expect(Array.from(y, String)).toEqual(expected(a, rows, k, b, k, 1, cols, undefined));
  });

  it('is exact at the int32 accumulator bound, with int32 operands and a column offset', () => {
    // K·max|a|·max|b| = 2^31 − 2 (matmul's bound), the sums of both signs as large as allowed:
    // every partial sum is exact in a double, and the stores are the exact int32 values.
    const [rows, k, cols] = [5, 2, 3];
    const a = Int32Array.from({ length: rows * k }, (_, i) => (i % 3 === 0 ? -32767 : 32767));
    const b = new Int32Array(2 + k * cols).fill(32769);
    b[2 + 1] = -32769;
    const y = new Int32Array(rows * cols);
    dotProducts(a, rows, k, b, 2, k, 1, cols, undefined, y, 0);
    const bAt = b.subarray(2);
    expect(Array.from(y, String)).toEqual(expected(a, rows, k, bAt, k, 1, cols, undefined));
    expect(Math.max(...Array.from(y, Math.abs))).toBe(2 * 32767 * 32769);
  });
});
