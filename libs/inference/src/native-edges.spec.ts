import { nativeAddon, nativeStatus, resetNativeForTest } from '@verilay/native';
import { isqrt } from './analyze-transformer';
import { NativeModelRunner } from './model-runner';
import { parseModel } from './parse-model';
import { run } from './run';

// The native kernels against the reference runtime at the corners of the proven intervals
// (docs/model-format.md, v2 bounds): each model sits exactly at (or one below) an op's int32
// bound, and its inputs are the interval's ends, 0 and ±1. A disagreement here would let the
// dispute game slash the honest side of a model that loads.

const built = process.env.VERILAY_NATIVE !== 'off' && (resetNativeForTest(), nativeStatus().active);
const withAddon = built ? describe : describe.skip;

const v2 = (input: Record<string, unknown>, layers: Record<string, unknown>[]) =>
  parseModel({ format: 'verilay.model.v2', input, layers });

function expectSameTrace(model: ReturnType<typeof parseModel>, input: number[]) {
  const expected = run(model, Int32Array.from(input)).trace.map((t) => t.data);
  const actual = new NativeModelRunner(model, nativeAddon()!)
    .run(Int32Array.from(input))
    .trace.map((t) => t.data);
  expect(actual.map((t) => t.length)).toEqual(expected.map((t) => t.length));
  // The first difference (tensor, element, native, runtime), or none: quick on 2^22-element rows.
  const first = expected.flatMap((e, i) => {
    const j = e.findIndex((v, k) => actual[i][k] !== v);
    return j < 0 ? [] : [[i, j, actual[i][j], e[j]]];
  });
  expect(first).toEqual([]);
  return expected;
}

withAddon('native kernels at the interval corners', () => {
  it('rmsnorm with 2·max|x|·max|w| + ⌊√max m⌋ one step below 2^31', () => {
    // dim 1: m = x² + eps, r = |x| (eps 1 adds nothing to the root); 2·32768·32767 + 32768 < 2^31.
    const model = v2({ shape: [6, 1], dtype: 'int16' }, [
      { op: 'rmsnorm', dim: 1, weight: [32767], eps: 1, dtype: 'int16' },
    ]);
    expectSameTrace(model, [-32768, 32767, 0, 1, -1, 181]);
    const negative = v2({ shape: [4, 1], dtype: 'int16' }, [
      { op: 'rmsnorm', dim: 1, weight: [-32767], eps: 65536, dtype: 'int8' },
    ]);
    expectSameTrace(negative, [-32768, 32767, 0, -255]);
  });

  it('rmsnorm far past the former 2^31 bounds: Σx² = 2^50 (an int16 row of 2^22 reaches 2^52 at most), int32 weight ends', () => {
    const eps = 65536;
    const weight = (dim: number) =>
      Array.from({ length: dim }, (_, j) => [2 ** 31 - 1, -(2 ** 31), (j % 97) - 48, 32768][j % 4]);
    const doc = (dim: number, dtype: string) => ({ op: 'rmsnorm', dim, weight: weight(dim), eps, dtype });
    const dim = 2 ** 20; // 2^22 costs ~10 s here for the same paths
    const full = v2({ shape: [1, dim], dtype: 'int16' }, [doc(dim, 'int16')]);
    const row = Array<number>(dim).fill(-32768);
    const y = expectSameTrace(full, row)[1];
    // The runtime against BigInt: Σx² = 2^50, m = 2^30 + eps, r = 32768; y = x·w/r rounded, clamped.
    const r = BigInt(isqrt(2 ** 30 + eps));
    expect(r).toBe(32768n);
    const clamp = (v: bigint) => Number(v < -32768n ? -32768n : v > 32767n ? 32767n : v);
    const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
    const w = weight(dim);
    for (const j of [0, 1, 2, 3, 6, dim - 4, dim - 3, dim - 2, dim - 1]) {
      const want = clamp(floorDiv(2n * -32768n * BigInt(w[j]) + r, 2n * r));
      expect([j, y[j]]).toEqual([j, want]);
    }
    // Mixed rows (dim 4096: Σx² up to 2^42): quiet, loud and one-hot rows, to int8.
    const mixed = v2({ shape: [3, 4096], dtype: 'int16' }, [doc(4096, 'int8')]);
    expectSameTrace(mixed, [
      ...Array.from({ length: 4096 }, (_, j) => (j % 2 ? 32767 : -32768)),
      ...Array.from({ length: 4096 }, (_, j) => (j % 5) - 2),
      ...Array.from({ length: 4096 }, (_, j) => (j === 7 ? -32768 : 0)),
    ]);
  });

  it('layernorm at its 2^53 bounds: dim²·max x² = 2^52, the numerator one weight step below 2^53', () => {
    const dim = 2048; // int16: dim²·2^30 = 2^52
    const eps = 65536;
    const root = Math.floor(Math.sqrt(2 ** 30 + eps)); // ⌊√(A² + eps)⌋, A = 32768
    const c = dim * 65535;
    const bias = 2 ** 31 - 1;
    const w = Math.floor((2 ** 53 - 1 - dim * root - bias) / (2 * c));
    const doc = (weight: number) => ({
      op: 'layernorm',
      dim,
      weight: Array.from({ length: dim }, (_, j) => (j % 2 ? -weight : weight)),
      bias: Array.from({ length: dim }, (_, j) => (j === 5 ? bias : j === 6 ? -bias : (j % 7) - 3)),
      eps,
      dtype: 'int16',
    });
    expect(() => v2({ shape: [1, dim], dtype: 'int16' }, [doc(w + 1)])).toThrow(/layernorm numerator/);
    const model = v2({ shape: [4, dim], dtype: 'int16' }, [doc(w)]);
    const row = (f: (j: number) => number) => Array.from({ length: dim }, (_, j) => f(j));
    expectSameTrace(model, [
      ...row((j) => (j === 0 ? 32767 : -32768)), // the largest centred value, c = dim·65535 − 65535
      ...row((j) => (j % 2 ? -32768 : 32767)), // the largest variance
      ...row(() => -32768), // constant: c = 0, y = bias
      ...row((j) => (j % 3) - 1),
    ]);
  });

  it('softmax with (2N + 510)·max table at its bound, causal and not', () => {
    const n = 32512; // (2·32512 + 510)·2^15 = 2^31 − 2^15·2
    const wide = v2({ shape: [1, n], dtype: 'int16' }, [
      { op: 'softmax', causal: false, fracBits: 0, table: [32768] },
    ]);
    expectSameTrace(
      wide,
      Array.from({ length: n }, (_, c) => (c % 3 === 0 ? 32767 : c % 3 === 1 ? -32768 : 32767 - 16)),
    );
    expectSameTrace(wide, new Array<number>(n).fill(0));
    const causal = v2({ shape: [2, 8, 8], dtype: 'int8' }, [
      {
        op: 'softmax',
        causal: true,
        fracBits: 6,
        table: Array.from({ length: 64 }, (_, p) => 32768 - p * 511),
      },
    ]);
    expectSameTrace(
      causal,
      Array.from({ length: 128 }, (_, i) => ((i * 37) % 256) - 128),
    );
  });

  it('rope at the int16 clamps with the largest shift its bound allows', () => {
    // 32768·(32768 + 32767) + 2^14 <= 2^31 − 1
    const model = v2({ shape: [1, 2, 4], dtype: 'int16' }, [
      {
        op: 'rope',
        shift: 15,
        dtype: 'int16',
        positions: 2,
        half: 2,
        cos: [-32768, 32767, 0, 1],
        sin: [32767, -32767, -32767, 0],
      },
    ]);
    expectSameTrace(model, [-32768, 32767, -32768, 32767, 32767, -32768, 0, -1]);
    expectSameTrace(model, [-32768, -32768, -32768, -32768, 32767, 32767, 32767, 32767]);
  });

  it('polyGate at x = ±clip, ±(clip ± 1), 0 and the dtype ends, max|x|·max|g| at 2^31 − 128', () => {
    // |a|·clip² + |b| = 60001, max|g| = 16717214 + 60001 = 2^24 − 1, 128·(2^24 − 1) < 2^31.
    const model = v2({ shape: [11], dtype: 'int8' }, [
      {
        op: 'polyGate',
        clip: 100,
        a: -3,
        b: 30001,
        bias: 16717214,
        multiplier: 2147483647,
        shift: 40,
        zeroPoint: -3,
        dtype: 'int8',
      },
    ]);
    expectSameTrace(model, [-128, -101, -100, -99, -1, 0, 1, 99, 100, 101, 127]);
  });

  it('per-channel requantize with shifts 0 and 62 and the int32 ends', () => {
    const model = v2({ shape: [3, 3], dtype: 'int32' }, [
      {
        op: 'requantize',
        multiplier: [2147483647, 1, 12345],
        shift: [62, 0, 30],
        zeroPoint: 5,
        dtype: 'int16',
      },
    ]);
    expectSameTrace(
      model,
      [-2147483648, -2147483648, -2147483648, 2147483647, 2147483647, 2147483647, -1, 0, 1],
    );
    expectSameTrace(model, [1 << 30, -(1 << 30), 65535, -3, 32762, -32773, 3, -32774, 2 ** 31 - 1]);
  });
});

describe('isqrt up to 2^53', () => {
  it('is the floor root at and around the squares near 2^53 (BigInt reference)', () => {
    const top = 94906265; // ⌊√(2^53 − 1)⌋
    const cases = [2 ** 53 - 1, 2 ** 53 - 2, 2 ** 52, 2 ** 52 - 1, 2 ** 31, 2 ** 31 - 1, 0, 1, 2, 3];
    for (const k of [top, top - 1, top - 2, 67108864, 46341])
      cases.push(k * k, k * k - 1, k * k + 1, k * k + 2 * k);
    for (const m of cases.filter((v) => v <= Number.MAX_SAFE_INTEGER)) {
      const r = BigInt(isqrt(m));
      expect([m, r * r <= BigInt(m) && (r + 1n) * (r + 1n) > BigInt(m)]).toEqual([m, true]);
    }
  });
});
