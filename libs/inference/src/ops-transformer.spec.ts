import { isqrt } from './analyze-transformer';
import type { Layer, TensorInfo } from './model';
import {
  argmaxRows,
  denseRows,
  elementwise,
  embedding,
  matmul,
  mergeHeads,
  polyGate,
  layernorm,
  rmsnorm,
  rope,
  softmax,
  splitHeads,
} from './ops-transformer';
import { buildModel } from './parse-model';
import { run } from './run';

// Hand-worked vectors for every op of the transformer extension (docs/model-format.md, v2): each
// expected value is worked out in the comment beside it, not computed by the code under test.

const info = (shape: number[], dtype: TensorInfo['dtype'] = 'int8'): TensorInfo => ({
  shape,
  dtype,
  min: -128,
  max: 127,
});
const i32 = (...v: number[]) => Int32Array.from(v);
const list = (a: Int32Array) => Array.from(a);

describe('layernorm', () => {
  const layer = (weight: number[], bias: number[], eps: number, dtype: 'int8' | 'int16' = 'int8') =>
    ({
      op: 'layernorm',
      dim: weight.length,
      weight: Int32Array.from(weight),
      bias: Int32Array.from(bias),
      eps,
      dtype,
    }) as const;

  it('gives the bias on a constant row (c = 0, the root of eps alone)', () => {
    // Row [5, 5, 5]: s = 15, c = 3·5 − 15 = 0; dim·Σx² − s² = 3·75 − 225 = 0, m = 0 + 4, r = 2;
    // y = ⌊(0 + 3·2)/(2·3·2)⌋ + bias = ⌊6/12⌋ + bias = bias.
    expect(list(layernorm(layer([10, 20, 30], [1, -2, 3], 4), i32(5, 5, 5)))).toEqual([1, -2, 3]);
  });

  it('centres on the mean, divides by the root of the variance and rounds half up', () => {
    // Row [3, −1]: s = 2, c = [6 − 2, −2 − 2] = [4, −4]; dim·Σx² − s² = 2·10 − 4 = 16,
    // m = ⌊16/4⌋ + 1 = 5 (Σc²/dim³ = 32/8 = 4 too), r = 2;
    // y0 = ⌊(2·4·10 + 2·2)/(2·2·2)⌋ = ⌊84/8⌋ = 10, y1 = ⌊(−80 + 4)/8⌋ = ⌊−9.5⌋ = −10.
    expect(list(layernorm(layer([10, 10], [0, 0], 1), i32(3, -1)))).toEqual([10, -10]);
    // The same row shifted by 10, [13, 9]: s = 22, c = [4, −4], 2·250 − 484 = 16: the same output.
    expect(list(layernorm(layer([10, 10], [0, 0], 1), i32(13, 9)))).toEqual([10, -10]);
  });

  it('rounds a tie toward +∞, adds the bias before the clamp, and floors the variance', () => {
    // Row [1, 0], eps 4: s = 1, c = [1, −1]; 2·1 − 1 = 1, m = ⌊1/4⌋ + 4 = 4, r = 2;
    // y0 = ⌊(2·1·10 + 4)/8⌋ = 3 (2.5 → 3); y1 = ⌊(−20 + 4)/8⌋ = −2 (−2.5 → −2), + 100 = 98.
    expect(list(layernorm(layer([10, 10], [0, 100], 4), i32(1, 0)))).toEqual([3, 98]);
    // Bias 200: −2 + 200 = 198, clamped to int8's 127; int16 keeps it.
    expect(list(layernorm(layer([10, 10], [0, 200], 4), i32(1, 0)))).toEqual([3, 127]);
    expect(list(layernorm(layer([10, 10], [0, 200], 4, 'int16'), i32(1, 0)))).toEqual([3, 198]);
  });

  it('runs row by row inside a model, with the interval the analysis proves', () => {
    // Input [2, 2] in [−8, 7]; C = 2·15 = 30, V = 30·10 = 300, r₀ = ⌊√1⌋ = 1;
    // quotient in [⌊(−600 + 2)/4⌋, ⌊(600 + 2)/4⌋] = [−150, 150], + bias [−3, 4] → [−153, 154] (int16).
    const model = buildModel({
      format: 'verilay.model.v2',
      name: 'ln',
      input: { shape: [2, 2], dtype: 'int8', range: [-8, 7] },
      layers: [layer([10, -10], [4, -3], 1, 'int16')],
    });
    expect(model.tensors[1]).toMatchObject({ dtype: 'int16', min: -153, max: 154 });
    // Row 0 as above with w1 = −10: [10 + 4, 10 − 3] = [14, 7]; row 1 [−8, 7]: s = −1,
    // c = [−15, 15], 2·113 − 1 = 225, m = ⌊225/4⌋ + 1 = 57, r = 7;
    // y0 = ⌊(2·(−15)·10 + 14)/28⌋ + 4 = ⌊−286/28⌋ + 4 = −11 + 4 = −7; y1 = ⌊(2·15·(−10) + 14)/28⌋ − 3 = −14.
    expect(list(run(model, i32(3, -1, -8, 7)).output.data)).toEqual([14, 7, -7, -14]);
  });
});

describe('rmsnorm', () => {
  const layer = (weight: number[], eps: number, dtype: 'int8' | 'int16' = 'int8') =>
    ({ op: 'rmsnorm', dim: weight.length, weight: Int32Array.from(weight), eps, dtype }) as const;

  it('divides by the exact integer root of the mean square, rounding half up', () => {
    // Σx² = 9 + 16 = 25, m = ⌊25/2⌋ + 1 = 13, r = ⌊√13⌋ = 3;
    // y0 = ⌊(2·3·10 + 3)/6⌋ = ⌊63/6⌋ = 10; y1 = ⌊(2·4·(−10) + 3)/6⌋ = ⌊−77/6⌋ = −13 (−13.33).
    expect(list(rmsnorm(layer([10, -10], 1), i32(3, 4)))).toEqual([10, -13]);
  });

  it('keeps r = ⌊√eps⌋ on an all-zero row (no division by zero) and rounds ±2.5 half up', () => {
    // Row [0, 0]: m = 0 + 17, r = 4, y = ⌊(0 + 4)/8⌋ = 0.
    expect(list(rmsnorm(layer([10, 10], 17), i32(0, 0)))).toEqual([0, 0]);
    // Row [1, 0], eps 16: m = ⌊1/2⌋ + 16 = 16, r = 4; y0 = ⌊(20 + 4)/8⌋ = 3 (2.5 → 3).
    // Row [−1, 0]: y0 = ⌊(−20 + 4)/8⌋ = −2 (−2.5 → −2, toward +∞).
    expect(list(rmsnorm(layer([10, 10], 16), i32(1, 0, -1, 0)))).toEqual([3, 0, -2, 0]);
  });

  it('takes ⌊√m⌋ exactly at perfect squares and clamps to the dtype', () => {
    // Row [7, 7], eps 1: m = ⌊98/2⌋ + 1 = 50, r = 7 (49 ≤ 50 < 64); y = ⌊(2·7·100 + 7)/14⌋ = 100.
    // Row [7, 6], eps 1: m = ⌊85/2⌋ + 1 = 43, r = 6; y0 = ⌊(1400 + 6)/12⌋ = 117,
    // y1 = ⌊(1200 + 6)/12⌋ = 100.
    expect(list(rmsnorm(layer([100, 100], 1), i32(7, 7, 7, 6)))).toEqual([100, 100, 117, 100]);
    // Weight 1000: y = ⌊(14000 + 7)/14⌋ = 1000, clamped to int8's 127; int16 keeps it.
    expect(list(rmsnorm(layer([1000, -1000], 1), i32(7, 7)))).toEqual([127, -128]);
    expect(list(rmsnorm(layer([1000, -1000], 1, 'int16'), i32(7, 7)))).toEqual([1000, -1000]);
  });

  it('isqrt is exact near 2^31, where the float root alone could be off by one', () => {
    expect(isqrt(46340 * 46340)).toBe(46340);
    expect(isqrt(46340 * 46340 - 1)).toBe(46339);
    expect(isqrt(2 ** 31 - 1)).toBe(46340);
    expect(isqrt(0)).toBe(0);
    expect(isqrt(2 ** 52 - 1)).toBe(2 ** 26 - 1);
  });
});

describe('softmax', () => {
  const layer = (table: number[], causal = false) =>
    ({ op: 'softmax', causal, fracBits: Math.log2(table.length), table: Int32Array.from(table) }) as const;

  it('gives ties the same value and splits d into a table index and a shift', () => {
    // k = 1, table [2^15, 2^15·2^−½ = 23170]. Row [4, 4, 1, −30]: mx = 4, d = [0, 0, 3, 34],
    // z = d >> 1 = [0, 0, 1, 17], p = d & 1 = [0, 0, 1, 0]; e = [32768, 32768, ⌊23170/2⌋ = 11585, 0 (z > 15)];
    // S = 77121; y = ⌊(510e + S)/2S⌋ = [⌊16788801/154242⌋ = 108, 108, ⌊5985471/154242⌋ = 38, ⌊0.5⌋ = 0].
    expect(list(softmax(layer([32768, 23170]), i32(4, 4, 1, -30), info([1, 4])))).toEqual([108, 108, 38, 0]);
  });

  it('drops a term only when d passes 15·2^k + (2^k − 1): z = 15 still shifts', () => {
    // k = 0, table [32768]. Row [16, 1, 0]: d = [0, 15, 16]: e = [32768, 32768 >> 15 = 1, 0].
    // S = 32769; y0 = ⌊(16711680 + 32769)/65538⌋ = 255, y1 = ⌊(510 + 32769)/65538⌋ = 0, y2 = 0.
    expect(list(softmax(layer([32768]), i32(16, 1, 0), info([1, 3])))).toEqual([255, 0, 0]);
    // 200 columns at d = 15 each add e = 1: S = 32968, y0 = ⌊(16711680 + 32968)/65936⌋ = 253;
    // at d = 16 they add nothing: S = 32768, y0 = ⌊255.5⌋ = 255.
    const row = (top: number) => Int32Array.from([top, ...Array(200).fill(0)]);
    expect(softmax(layer([32768]), row(15), info([1, 201]))[0]).toBe(253);
    expect(softmax(layer([32768]), row(16), info([1, 201]))[0]).toBe(255);
  });

  it('masks the columns after the row when causal (their values are not even read)', () => {
    // [[5, 100], [1, 3]], k = 0: row 0 sees only column 0: e = [32768], S = 32768,
    // y00 = ⌊(510·32768 + 32768)/65536⌋ = ⌊255.5⌋ = 255, y01 = 0 (the 100 is masked).
    // Row 1: mx = 3, d = [2, 0], e = [8192, 32768], S = 40960:
    // y10 = ⌊(4177920 + 40960)/81920⌋ = ⌊51.5⌋ = 51, y11 = ⌊(16711680 + 40960)/81920⌋ = ⌊204.5⌋ = 204.
    expect(list(softmax(layer([32768], true), i32(5, 100, 1, 3), info([2, 2])))).toEqual([255, 0, 51, 204]);
    // Non-causal, row 0 sees the 100: d = [95, 0], e = [0, 32768]: y = [0, 255].
    expect(list(softmax(layer([32768]), i32(5, 100, 1, 3), info([2, 2]))).slice(0, 2)).toEqual([0, 255]);
  });
});

describe('rope', () => {
  const layer = (cos: number[], sin: number[], shift: number, dtype: 'int8' | 'int16' = 'int8') =>
    ({
      op: 'rope',
      shift,
      dtype,
      positions: cos.length,
      half: 1,
      cos: Int16Array.from(cos),
      sin: Int16Array.from(sin),
    }) as const;

  it('rotates the pair (i, i + half) of each position by its own angle, rounding half up', () => {
    // shift 2 (R(v) = ⌊(v + 2)/4⌋). t0: cos 2, sin 0: y = [R(2·−3), R(2·5)] = [R(−6), R(10)]
    // = [⌊−4/4⌋ = −1 (−1.5 → −1), ⌊12/4⌋ = 3 (2.5 → 3)].
    // t1: cos 0, sin 4 (90°): y0 = R(5·0 − 7·4) = R(−28) = ⌊−26/4⌋ = −7, y1 = R(7·0 + 5·4) = R(20) = 5.
    expect(list(rope(layer([2, 0], [0, 4], 2), i32(-3, 5, 5, 7)))).toEqual([-1, 3, -7, 5]);
  });

  it('applies the same positions to every head', () => {
    // Two heads of one position, cos 4, sin 4, shift 2: y0 = R(4a − 4b), y1 = R(4b + 4a).
    // Head 0 [3, 1]: [R(8) = 2, R(16) = 4]; head 1 [−2, 2]: [R(−16) = −4, R(0) = 0].
    expect(list(rope(layer([4], [4], 2), i32(3, 1, -2, 2)))).toEqual([2, 4, -4, 0]);
  });

  it('saturates at the int16 clamp', () => {
    // shift 1, cos = sin = 16384, a = b = 20000: y1 = R(2·20000·16384) = R(655360000) = 327680000 → 32767,
    // y0 = R(0) = 0; a = −20000, b = 20000: y0 = R(−655360000) → −32768, y1 = R(0) = 0.
    expect(list(rope(layer([16384], [16384], 1, 'int16'), i32(20000, 20000)))).toEqual([0, 32767]);
    expect(list(rope(layer([16384], [16384], 1, 'int16'), i32(-20000, 20000)))).toEqual([-32768, 0]);
  });
});

describe('polyGate', () => {
  const gate = (bias: number) =>
    ({
      op: 'polyGate',
      clip: 4,
      a: -2,
      b: 30,
      bias,
      multiplier: 1,
      shift: 1,
      zeroPoint: 0,
      dtype: 'int8',
    }) as const;

  it('is bias at x = 0, the clipped quadratic with the sign of x, and flat past the clip', () => {
    // g = bias + sgn(x)·(−2·(min(|x|, 4) − 4)² + 30), y = ⌊(x·g + 1)/2⌋. bias 5:
    // x = 0: y = 0; x = 1: q = −18 + 30 = 12, g = 17, x·g = 17 → 9; x = −1: g = 5 − 12 = −7, x·g = 7 → 4;
    // x = 6 (past clip): u = 4, q = 30, g = 35, 210 → 105; x = −6: g = −25, 150 → 75;
    // x = −3: u = 3, q = −2 + 30 = 28, g = −23, 69 → 35.
    expect(list(polyGate(gate(5), i32(0, 1, -1, 6, -6, -3)))).toEqual([0, 9, 4, 105, 75, 35]);
  });

  it('rounds negative halves toward +∞ and saturates', () => {
    // bias −43: x = 3: g = −43 + 28 = −15, x·g = −45 → ⌊−44/2⌋ = −22 (−22.5 → −22);
    // x = 1: g = −31, −31 → ⌊−30/2⌋ = −15 (−15.5 → −15); x = −7: u = 4, g = −43 − 30 = −73,
    // x·g = 511 → 256 → 127.
    expect(list(polyGate(gate(-43), i32(3, 1, -7, 0)))).toEqual([-22, -15, 127, 0]);
  });
});

describe('matmul', () => {
  const x = i32(1, 2, 3, 4, 5, 6); // [[1, 2, 3], [4, 5, 6]]
  const s = i32(1, 0, 0, 1, -1, 2); // [[1, 0], [0, 1], [−1, 2]]
  const sT = i32(1, 0, -1, 0, 1, 2); // the same matrix transposed: [[1, 0, −1], [0, 1, 2]]
  // x·s = [[1 − 3, 2 + 6], [4 − 6, 5 + 12]] = [[−2, 8], [−2, 17]].
  const mm = (transposeB: boolean, requantize?: Layer & { op: 'requantize' }) =>
    ({
      op: 'matmul',
      slot: 1,
      transposeB,
      ...(requantize && { requantize: { ...requantize } }),
    }) as const;

  it('multiplies [M, K] by [K, N], or by [N, K] transposed', () => {
    expect(list(matmul(mm(false), x, info([2, 3]), s, info([2, 2])))).toEqual([-2, 8, -2, 17]);
    expect(list(matmul(mm(true), x, info([2, 3]), sT, info([2, 2])))).toEqual([-2, 8, -2, 17]);
  });

  it('multiplies head by head, and applies the fused requantize', () => {
    // Head 1: x = [[1, 0, 0], [0, 0, 1]] picks rows 0 and 2 of s1 = [[7, 8], [9, 10], [11, 12]].
    const x2 = Int32Array.from([...x, 1, 0, 0, 0, 0, 1]);
    const s2 = Int32Array.from([...s, 7, 8, 9, 10, 11, 12]);
    expect(list(matmul(mm(false), x2, info([2, 2, 3]), s2, info([2, 2, 2])))).toEqual([
      -2, 8, -2, 17, 7, 8, 11, 12,
    ]);
    // requantize m 1, shift 2: ⌊(−2 + 2)/4⌋ = 0 (−0.5 → 0), ⌊10/4⌋ = 2, 0, ⌊19/4⌋ = 4.
    const r = { op: 'requantize', multiplier: 1, shift: 2, zeroPoint: 0, dtype: 'int8' } as const;
    expect(list(matmul(mm(false, r), x, info([2, 3]), s, info([2, 2])))).toEqual([0, 2, 0, 4]);
  });
});

describe('add, mul, embedding, heads, dense and argmax per row', () => {
  it('adds and multiplies element-wise, saturating through the fused requantize', () => {
    const requantize = { multiplier: 1, shift: 0, zeroPoint: 0, dtype: 'int8' } as const;
    // [100 + 100, −100 − 29] = [200, −129] → [127, −128].
    expect(list(elementwise({ op: 'add', slot: 1, requantize }, i32(100, -100), i32(100, -29), [2]))).toEqual(
      [127, -128],
    );
    expect(list(elementwise({ op: 'mul', slot: 1 }, i32(3, -7), i32(5, 9), [2]))).toEqual([15, -63]);
  });

  it('looks up token rows', () => {
    // W = [[1, 2], [3, 4], [5, 6]], ids [2, 0, 2].
    const layer = { op: 'embedding', vocab: 3, dim: 2, weights: Int8Array.of(1, 2, 3, 4, 5, 6) } as const;
    expect(list(embedding(layer, i32(2, 0, 2)))).toEqual([5, 6, 1, 2, 5, 6]);
  });

  it('splits [T, H·hd] into [H, T, hd] and merges it back', () => {
    // [[0, 1, 2, 3], [4, 5, 6, 7]], 2 heads: head 0 = [[0, 1], [4, 5]], head 1 = [[2, 3], [6, 7]].
    const split = splitHeads(2, i32(0, 1, 2, 3, 4, 5, 6, 7), info([2, 4]));
    expect(list(split)).toEqual([0, 1, 4, 5, 2, 3, 6, 7]);
    expect(list(mergeHeads(split, info([2, 2, 2])))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('applies dense to each row and argmax to each row (first maximum)', () => {
    // w = [[1, 1], [1, −1]], bias [0, 10]: [1, 2] → [3, 9]; [3, 4] → [7, 9].
    const layer = {
      op: 'dense',
      inFeatures: 2,
      outFeatures: 2,
      weights: Int8Array.of(1, 1, 1, -1),
      bias: i32(0, 10),
    } as const;
    expect(list(denseRows(layer, i32(1, 2, 3, 4)))).toEqual([3, 9, 7, 9]);
    expect(list(argmaxRows(i32(1, 5, 5, 7, 0, 7), 3))).toEqual([1, 0]);
  });
});

describe('the v2 machine (run)', () => {
  it('argmax reads rows in v2 and the whole tensor in v1', () => {
    const spec = { input: { shape: [2, 3], dtype: 'int8' as const }, layers: [{ op: 'argmax' as const }] };
    const input = [1, 5, 5, 7, 0, 7];
    expect(list(run(buildModel({ ...spec, format: 'verilay.model.v2' }), input).output.data)).toEqual([1, 0]);
    expect(list(run(buildModel(spec), input).output.data)).toEqual([3]);
  });

  it('store copies the current tensor into a slot, load brings it back, a binary op empties it', () => {
    const model = buildModel({
      format: 'verilay.model.v2',
      input: { shape: [2], dtype: 'int8' },
      layers: [
        { op: 'store', slot: 3 }, // slot 3 = t0
        { op: 'relu' }, // t2 = relu(t0)
        { op: 'store', slot: 1 }, // slot 1 = t2
        { op: 'load', slot: 3 }, // t4 = t0, slot 3 empty
        { op: 'mul', slot: 1 }, // t5 = t0 · relu(t0)
      ],
    });
    expect(model.states).toEqual([
      [],
      [[3, 0]],
      [[3, 0]],
      [
        [1, 2],
        [3, 0],
      ],
      [[1, 2]],
      [],
    ]);
    const trace = run(model, [-3, 4]).trace;
    expect(trace.map((t) => list(t.data))).toEqual([
      [-3, 4],
      [-3, 4],
      [0, 4],
      [0, 4],
      [-3, 4],
      [0, 16],
    ]);
    expect(trace[1].data).toBe(trace[0].data); // store shares the buffer
    expect(trace[4].data).toBe(trace[0].data); // so does load
  });
});
