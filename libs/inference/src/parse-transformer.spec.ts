import { InvalidInputError, InvalidModelError } from './errors';
import { modelToJson, parseModel } from './parse-model';
import { run, toInputTensor } from './run';

type Doc = { format: string; input: Record<string, unknown>; layers: Record<string, unknown>[] };

const v2 = (input: Record<string, unknown>, layers: Record<string, unknown>[]): Doc => ({
  format: 'verilay.model.v2',
  input,
  layers,
});
const rejects = (doc: unknown, path: string, problem: RegExp) => {
  let error: unknown;
  try {
    parseModel(doc);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidModelError);
  expect((error as InvalidModelError).meta).toMatchObject({ path });
  expect((error as Error).message).toMatch(problem);
};
const int8 = (shape: number[]) => ({ shape, dtype: 'int8' });
const table = (k: number) =>
  Array.from({ length: 2 ** k }, (_, p) => Math.round(2 ** 15 * 2 ** (-p / 2 ** k)));

describe('parseModel (format v2)', () => {
  const tokens = { shape: [3], dtype: 'int16', range: [0, 3] };
  const doc = v2(tokens, [
    { op: 'embedding', vocab: 4, dim: 2, weights: [1, 2, 3, 4, 5, 6, -7, 8] },
    { op: 'store', slot: 2 },
    { op: 'rmsnorm', dim: 2, weight: [100, 50], eps: 4, dtype: 'int8' },
    { op: 'add', slot: 2, requantize: { multiplier: 1, shift: 1, dtype: 'int8' } },
    { op: 'dense', inFeatures: 2, outFeatures: 4, weights: [1, 0, 0, 1, 1, 1, -1, 0], bias: [0, 0, 0, 0] },
    { op: 'argmax' },
  ]);

  it('loads a v2 document: slots, states, proven intervals and a round trip', () => {
    const sut = parseModel(doc);
    expect(sut.format).toBe('verilay.model.v2');
    expect(sut.input.range).toEqual([0, 3]);
    expect(sut.states).toEqual([[], [], [[2, 1]], [[2, 1]], [], [], []]);
    // Embedding over ids [0, 3]: the whole table, [−7, 8]. Argmax over 4 columns: [0, 3].
    expect(sut.tensors.map((t) => [t.dtype, t.min, t.max])).toEqual([
      ['int16', 0, 3],
      ['int8', -7, 8],
      ['int8', -7, 8],
      ['int8', -128, 127],
      // rmsnorm: r₀ = ⌊√4⌋ = 2, corners of [−7, 8]·[50, 100] = [−700, 800] → [−350, 400] → int8.
      // add: [−128 − 7, 127 + 8] = [−135, 135], requantize m1 s1: [⌊−134/2⌋, ⌊136/2⌋] = [−67, 68].
      ['int8', -67, 68],
      // dense: row [1, 1] spans [−134, 136]; the others lie inside.
      ['int32', -134, 136],
      ['int32', 0, 3],
    ]);
    expect(sut.tensors.at(-1)!.shape).toEqual([3]);
    expect(parseModel(modelToJson(sut))).toEqual(sut);
  });

  it('refuses v2 features in a v1 document, naming the field', () => {
    const v1 = (d: Doc) => ({ ...d, format: 'verilay.model.v1' });
    rejects(v1(doc), 'input.range', /needs "format": "verilay.model.v2"/);
    rejects(
      v1(
        v2(int8([2]), [
          { op: 'store', slot: 1 },
          { op: 'load', slot: 1 },
        ]),
      ),
      'layers[0].op',
      /v2/,
    );
    const dense = { op: 'dense', inFeatures: 1, outFeatures: 1, weights: [1], bias: [0] };
    rejects(
      v1(v2(int8([1]), [{ ...dense, requantize: { multiplier: 1, shift: 0, dtype: 'int8' } }])),
      'layers[0].requantize',
      /v2/,
    );
    // v1's dense reads [in] only.
    rejects(v1(v2(int8([2, 1]), [dense])), 'layers[0]', /dense expects input \[1\]/);
    rejects({ ...doc, format: 'verilay.model.v3' }, 'format', /v1" or "verilay.model.v2"/);
  });

  it('refuses a store into a live slot, a load or binary op on an empty slot, and a slot out of 1..15', () => {
    const x = int8([2]);
    rejects(
      v2(x, [
        { op: 'store', slot: 1 },
        { op: 'store', slot: 1 },
      ]),
      'layers[1].slot',
      /slot 1 is live/,
    );
    rejects(v2(x, [{ op: 'load', slot: 4 }]), 'layers[0].slot', /slot 4 is empty/);
    rejects(
      v2(x, [
        { op: 'store', slot: 1 },
        { op: 'add', slot: 1 },
        { op: 'mul', slot: 1 },
      ]),
      'layers[2].slot',
      /empty/,
    );
    rejects(v2(x, [{ op: 'store', slot: 16 }]), 'layers[0].slot', /\[1, 15\]/);
    rejects(v2(x, [{ op: 'store', slot: 0 }]), 'layers[0].slot', /\[1, 15\]/);
  });

  it('refuses a slot still live after the last layer, naming the store', () => {
    rejects(
      v2(int8([2]), [{ op: 'relu' }, { op: 'store', slot: 7 }, { op: 'relu' }]),
      'layers[1]',
      /slot 7 is still live/,
    );
  });

  it('allows 14 live slots and refuses a 15th', () => {
    const stores = (n: number) => Array.from({ length: n }, (_, i) => ({ op: 'store', slot: i + 1 }));
    const adds = (n: number) => Array.from({ length: n }, (_, i) => ({ op: 'add', slot: n - i }));
    const x = { shape: [1], dtype: 'int8' };
    expect(parseModel(v2(x, [...stores(14), ...adds(14)])).states[14]).toHaveLength(14);
    rejects(v2(x, [...stores(15), ...adds(15)]), 'layers[14]', /more than 14 live slots/);
  });

  it('refuses an embedding whose ids may leave the vocabulary (no input range, or a wider one)', () => {
    const emb = { op: 'embedding', vocab: 4, dim: 1, weights: [1, 2, 3, 4] };
    rejects(
      v2({ shape: [2], dtype: 'int8' }, [emb]),
      'layers[0]',
      /\[0, 3\].*\[-128, 127\].*give input.range/,
    );
    rejects(
      v2({ shape: [2], dtype: 'int8', range: [0, 4] }, [emb]),
      'layers[0]',
      /token ids must lie in \[0, 3\]/,
    );
    rejects(v2({ shape: [2], dtype: 'int8', range: [3, 2] }, [emb]), 'input.range[1]', /\[3, 127\]/);
    rejects(v2({ shape: [2], dtype: 'int8', range: [0, 300] }, [emb]), 'input.range[1]', /\[-128, 127\]/);
  });

  it('refuses a causal softmax over non-square rows, and a bad table', () => {
    const sm = (k: number, t: number[], causal = true) => ({ op: 'softmax', causal, fracBits: k, table: t });
    rejects(v2(int8([2, 3]), [sm(0, [32768])]), 'layers[0]', /square/);
    expect(() => parseModel(v2(int8([2, 3]), [sm(0, [32768], false)]))).not.toThrow();
    rejects(v2(int8([2, 2]), [sm(1, [32768])]), 'layers[0].table', /must have 2 values/);
    rejects(v2(int8([2, 2]), [sm(0, [0])]), 'layers[0].table[0]', /\[1, 32768\]/);
    rejects(v2(int8([2, 2]), [sm(7, table(7))]), 'layers[0].fracBits', /\[0, 6\]/);
    rejects(
      v2(int8([2, 2]), [{ op: 'softmax', fracBits: 0, table: [1] }]),
      'layers[0].causal',
      /true or false/,
    );
    rejects(v2({ shape: [2, 2], dtype: 'int32' }, [sm(0, [1])]), 'layers[0]', /int8 or int16, got int32/);
  });

  it('refuses every bound the doc lists, at the op that breaks it', () => {
    const i16 = (shape: number[]) => ({ shape, dtype: 'int16' });
    const wide = { multiplier: 1, shift: 0, dtype: 'int16' };
    // matmul: K · max|x| · max|s| = 3 · 32768 · 32768 > 2^31 − 1 (1 · 32768² = 2^30 passes).
    rejects(
      v2(i16([1, 3]), [
        { op: 'store', slot: 1 },
        { op: 'matmul', slot: 1, transposeB: true },
      ]),
      'layers[1]',
      /matmul accumulator/,
    );
    expect(() =>
      parseModel(
        v2(i16([1, 1]), [
          { op: 'store', slot: 1 },
          { op: 'matmul', slot: 1 },
        ]),
      ),
    ).not.toThrow();
    // mul: 32768 · 65536 > 2^31 − 1 once one side is an int16 sum; add: int32 + int32.
    rejects(
      v2(i16([2]), [
        { op: 'store', slot: 1 },
        { op: 'store', slot: 2 },
        { op: 'add', slot: 1 },
        { op: 'mul', slot: 2 },
      ]),
      'layers[3]',
      /mul \(max\|x·s\|\)/,
    );
    rejects(
      v2({ shape: [1], dtype: 'int32' }, [
        { op: 'store', slot: 1 },
        { op: 'add', slot: 1 },
      ]),
      'layers[1]',
      /add \(max\|x\| \+ max\|s\|\)/,
    );
    // rmsnorm's bounds are below 2^53 (docs/model-format.md): dim · max x² + eps = 3 · 2^30 + 1 and
    // 2 · 32768 · (2^31 − 1) + r, past the former 2^31 bounds, load (no int16 row can pass 2^53).
    const norm = (dim: number, w: number) => ({
      op: 'rmsnorm',
      dim,
      weight: Array(dim).fill(w),
      eps: 1,
      dtype: 'int16',
    });
    expect(parseModel(v2(i16([3]), [norm(3, 1)])).layers).toHaveLength(1);
    expect(parseModel(v2(i16([3]), [norm(3, 2 ** 31 - 1)])).layers).toHaveLength(1);
    // rope: max|x| · (max|cos| + max|sin|) + 2^(shift−1) = 32768 · 65535 + 2^29 > 2^31 − 1.
    const rope = {
      op: 'rope',
      shift: 30,
      dtype: 'int16',
      positions: 1,
      half: 1,
      cos: [32767],
      sin: [-32768],
    };
    rejects(v2(i16([1, 1, 2]), [rope]), 'layers[0]', /rope rotation/);
    rejects(v2(i16([1, 2, 2]), [rope]), 'layers[0]', /rope expects \[H, 1, 2\]/);
    // softmax: (2N + 510) · max table > 2^31 − 1 for N = 32513 (N = 32512 is the largest).
    const sm = { op: 'softmax', causal: false, fracBits: 0, table: [32768] };
    rejects(v2(int8([1, 32513]), [sm]), 'layers[0]', /softmax sums/);
    expect(() => parseModel(v2(int8([1, 32512]), [sm]))).not.toThrow();
    // polyGate: |a|·clip² + |b| > 2^30; then max|x| · (|bias| + |a|·clip² + |b|) > 2^31 − 1.
    const gate = (a: number, bias: number) => ({
      op: 'polyGate',
      clip: 2 ** 15,
      a,
      b: 0,
      bias,
      multiplier: 1,
      shift: 0,
      dtype: 'int8',
    });
    rejects(v2(int8([1]), [gate(2, 0)]), 'layers[0]', /\|a\|·clip² \+ \|b\| is 2147483648/);
    rejects(v2(int8([1]), [gate(0, 2 ** 24)]), 'layers[0]', /polyGate product/);
    // 2^30 from a = 1 at clip 2^15 passes on an input in [−1, 1] (128 · 2^30 would not).
    expect(() => parseModel(v2({ shape: [1], dtype: 'int8', range: [-1, 1] }, [gate(1, 0)]))).not.toThrow();
    rejects(v2(int8([1]), [gate(1, 0)]), 'layers[0]', /polyGate product/);
    // dense (v2) per row keeps v1's accumulator bound.
    const dense = {
      op: 'dense',
      inFeatures: 2,
      outFeatures: 1,
      weights: [127, 127],
      bias: [0],
      requantize: wide,
    };
    rejects(v2({ shape: [3, 2], dtype: 'int32' }, [dense]), 'layers[0]', /int32 accumulator bound/);
  });

  it('refuses shape mismatches of the new ops', () => {
    const x = int8([2, 4]);
    rejects(v2(x, [{ op: 'splitHeads', heads: 3 }]), 'layers[0]', /splitHeads expects \[T, 3·hd\]/);
    rejects(v2(x, [{ op: 'mergeHeads' }]), 'layers[0]', /mergeHeads expects \[H, T, hd\]/);
    rejects(
      v2(x, [
        { op: 'store', slot: 1 },
        { op: 'matmul', slot: 1 },
      ]),
      'layers[1]',
      /inner dimensions differ/,
    );
    rejects(
      v2(x, [
        { op: 'store', slot: 1 },
        { op: 'splitHeads', heads: 2 },
        { op: 'add', slot: 1 },
      ]),
      'layers[2]',
      /one shape/,
    );
    rejects(v2(int8([2, 2, 2]), [{ op: 'argmax' }]), 'layers[0]', /flatten first/);
    rejects(
      v2(x, [{ op: 'rmsnorm', dim: 3, weight: [1, 1, 1], eps: 1, dtype: 'int8' }]),
      'layers[0]',
      /rows of 3/,
    );
  });

  it('refuses a layernorm past its 2^53 bounds, with wrong lengths, rows or dtypes, or in a v1 document', () => {
    const ln = (dim: number, w: number, fields: Record<string, unknown> = {}) => ({
      op: 'layernorm',
      dim,
      weight: Array(dim).fill(w),
      bias: Array(dim).fill(0),
      eps: 1,
      dtype: 'int8',
      ...fields,
    });
    const i16 = (shape: number[]) => ({ shape, dtype: 'int16' });
    // dim²·max x² = 3000² · 2^30 ≈ 9.7·10^15 > 2^53 − 1; 2^(11.5) rows of int16 would fit.
    rejects(v2(i16([3000]), [ln(3000, 1)]), 'layers[0]', /layernorm sums \(dim²·max x²\)/);
    // 2·C·max|w|, C = 40·65535: 2 · 2621400 · (2^31 − 1) ≈ 1.1·10^16 > 2^53 − 1.
    rejects(v2(i16([40]), [ln(40, 2 ** 31 - 1)]), 'layers[0]', /layernorm numerator/);
    expect(parseModel(v2(i16([40]), [ln(40, 2 ** 20)])).tensors[1].dtype).toBe('int8');
    rejects(v2(int8([2]), [ln(2, 1, { bias: [1] })]), 'layers[0].bias', /exactly 2|2 values|length/);
    rejects(v2(int8([3]), [ln(2, 1)]), 'layers[0]', /rows of 2/);
    rejects(v2(int8([2]), [ln(2, 1, { dtype: 'int32' })]), 'layers[0].dtype', /int8, int16/);
    rejects(v2(int8([2]), [ln(2, 1, { eps: 0 })]), 'layers[0].eps', /\[1, 65536\]/);
    rejects(v2({ shape: [2], dtype: 'int32' }, [ln(2, 1)]), 'layers[0]', /requantize first/);
    rejects(v2(int8([2]), [ln(2, 1, { gamma: 1 })]), 'layers[0].gamma', /unknown|not allowed|field/);
    rejects({ ...v2(int8([2]), [ln(2, 1)]), format: 'verilay.model.v1' }, 'layers[0].op', /v2/);
  });

  it('refuses unknown fields in the new ops and in a fused requantize', () => {
    rejects(
      v2(int8([1]), [{ op: 'store', slot: 1, extra: 1 }]),
      'layers[0].extra',
      /unknown field for store/,
    );
    const dense = { op: 'dense', inFeatures: 1, outFeatures: 1, weights: [1], bias: [0] };
    rejects(
      v2(int8([1]), [{ ...dense, requantize: { multiplier: 1, shift: 0, dtype: 'int8', rounding: 'up' } }]),
      'layers[0].requantize.rounding',
      /unknown field/,
    );
    rejects(
      v2(int8([1]), [{ ...dense, requantize: { multiplier: 0, shift: 0, dtype: 'int8' } }]),
      'layers[0].requantize.multiplier',
      /\[1, 2147483647\]/,
    );
    rejects(
      v2(int8([1, 1, 2]), [
        { op: 'rope', shift: 1, dtype: 'int8', positions: 1, half: 1, cos: [1, 2], sin: [1] },
      ]),
      'layers[0].cos',
      /must have 1 values/,
    );
  });
});

describe('toInputTensor (input range)', () => {
  const model = parseModel(
    v2({ shape: [5], dtype: 'int16', range: [0, 127] }, [
      { op: 'embedding', vocab: 128, dim: 1, weights: Array(128).fill(1) },
    ]),
  );

  it('refuses a token id outside the range, naming it, its position and the range', () => {
    let error: unknown;
    try {
      toInputTensor(model, [1, 2, 3, 4, 300]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toBe('Invalid input: token id 300 at position 4 is outside [0, 127]');
    expect((error as InvalidInputError).meta).toMatchObject({ index: 4, value: 300, range: [0, 127] });
    expect(() => run(model, [-1, 0, 0, 0, 0])).toThrow(/token id -1 at position 0/);
  });

  it('accepts the range bounds', () => {
    expect(Array.from(run(model, [0, 127, 5, 6, 7]).output.data)).toEqual([1, 1, 1, 1, 1]);
  });
});
