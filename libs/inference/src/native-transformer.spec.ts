import {
  createJsTensorCommitter,
  toHex32,
  traceRoot,
  type Hex32,
  type TensorCommitter,
} from '@verilay/commitments';
import { nativeAddon, nativeStatus, resetNativeForTest } from '@verilay/native';
import { buildPoseidon } from 'circomlibjs';
import { InvalidInputError } from './errors';
import type { Layer, Model } from './model';
import { NativeModelRunner, nativeUnsupported } from './model-runner';
import { buildModel } from './parse-model';
import { randomInput, splitmix32 } from './random-model';
import { randomTransformer } from './random-transformer';
import { run } from './run';

// The native kernels of format v2 (native/crates/kernels) against the reference runtime and the
// JavaScript commitments, bit for bit: every trace tensor, every tensor commitment c_i, every
// state commitment h_i (computed here from model.states with circomlibjs' Poseidon, as
// docs/model-format.md defines it) and the trace root.

const built = process.env.VERILAY_NATIVE !== 'off' && (resetNativeForTest(), nativeStatus().active);
const withAddon = built ? describe : describe.skip;

/** "vstate" and the live count: the tag of a state commitment with slots. */
const STATE_TAG = 0x7673746174650000n;

/** Token ids: random, all lowest, all highest, alternating. */
function inputs(model: Model, seed: number): Int32Array[] {
  const { min, max } = model.tensors[0];
  const n = model.tensors[0].shape.reduce((a, b) => a * b, 1);
  return [
    randomInput(model, seed),
    new Int32Array(n).fill(min),
    new Int32Array(n).fill(max),
    Int32Array.from({ length: n }, (_, i) => (i % 2 ? min : max)),
  ];
}

function expectSameTrace(model: Model, sut: NativeModelRunner, input: Int32Array) {
  const expected = run(model, input).trace;
  const actual = sut.run(input).trace;
  expect(actual.length).toBe(expected.length);
  expected.forEach((t, i) => {
    expect([i, actual[i].shape, actual[i].dtype]).toEqual([i, t.shape, t.dtype]);
    // (Buffer.compare: exact and fast; on a difference, the arrays for the message.)
    const same = Buffer.compare(Buffer.from(actual[i].data.buffer), Buffer.from(t.data.buffer)) === 0;
    if (!same) expect([i, Array.from(actual[i].data)]).toEqual([i, Array.from(t.data)]);
  });
}

withAddon('native transformer kernels (format v2)', () => {
  const addon = () => nativeAddon()!;
  let committer: TensorCommitter;
  let poseidon: Awaited<ReturnType<typeof buildPoseidon>>;

  beforeAll(async () => {
    committer = await createJsTensorCommitter();
    poseidon = await buildPoseidon();
  });

  /** The JavaScript path: run, commit every trace tensor, state commitments from model.states. */
  function reference(model: Model, input: Int32Array, salt: bigint) {
    const { output, trace } = run(model, input);
    const c = trace.map((t, i) => committer.commitTensor(t, i === 0 ? salt : 0n));
    const h = model.states.map((live, i): Hex32 => {
      if (live.length === 0) return c[i];
      const words = [STATE_TAG + BigInt(live.length), c[i], ...live.map(([, j]) => c[j])].map(BigInt);
      return toHex32(poseidon.F.toObject(poseidon(words)));
    });
    return { output, c, h, root: traceRoot(h) };
  }

  it('gives the reference trace bit for bit on 80 random transformers and extreme token ids', () => {
    for (let seed = 1; seed <= 80; seed++) {
      const model = randomTransformer(seed, { maxPositions: 12 });
      const sut = new NativeModelRunner(model, addon());
      for (const input of inputs(model, seed)) expectSameTrace(model, sut, input);
    }
  });

  it('gives the reference trace bit for bit on 40 random transformers with per-channel fused requantization (dense per feature, matmul per head)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const model = randomTransformer(seed, { maxPositions: 12, perChannel: true });
      const sut = new NativeModelRunner(model, addon());
      for (const input of inputs(model, seed)) expectSameTrace(model, sut, input);
    }
  });

  it('gives the reference trace bit for bit on 40 random transformers with layernorms (int8 and int16, every norm drawn half and half)', () => {
    let norms = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const model = randomTransformer(seed, { maxPositions: 12, layerNorm: true });
      norms += model.layers.filter((l) => l.op === 'layernorm').length;
      expect(nativeUnsupported(model)).toBeNull();
      const sut = new NativeModelRunner(model, addon());
      for (const input of inputs(model, seed)) expectSameTrace(model, sut, input);
    }
    expect(norms).toBeGreaterThan(40);
  });

  it('commits like the JavaScript path: every c_i, every h_i (slots live), the trace root, on 25 random transformers', () => {
    let withSlots = 0;
    for (let seed = 1000; seed < 1025; seed++) {
      const model = randomTransformer(seed);
      const sut = new NativeModelRunner(model, addon());
      const input = randomInput(model, seed);
      const salt = seed % 2 ? 0n : BigInt(seed) * 0x1234567890abcdefn;
      const expected = reference(model, input, salt);
      const actual = sut.runAndCommit(input, salt);
      expect(Array.from(actual.output.data)).toEqual(Array.from(expected.output.data));
      expect(actual.tensorCommitments).toEqual(expected.c);
      expect(actual.traceCommitments).toEqual(expected.h);
      expect(actual.traceRoot).toBe(expected.root);
      withSlots += model.states.filter((live) => live.length > 0).length;
    }
    expect(withSlots).toBeGreaterThan(100); // the h_i under test are mostly hashes, not c_i
  });

  it('refuses a token id outside the input range with the reference runtime error', () => {
    const model = randomTransformer(7);
    const sut = new NativeModelRunner(model, addon());
    const [lo, hi] = model.input.range!;
    for (const bad of [hi + 1, lo - 1]) {
      const input = Array.from(randomInput(model, 7));
      input[1] = bad;
      expect(() => run(model, input)).toThrow(InvalidInputError);
      expect(() => sut.run(input)).toThrow(InvalidInputError);
      expect(() => sut.runAndCommit(Int32Array.from(input), 0n)).toThrow(/outside/);
    }
  });

  it('refuses hostile v2 specs with KERNEL_MODEL (lengths, slot misuse, NaN fields), never a crash', () => {
    const make = (spec: unknown) => {
      try {
        new (addon().NativeModel)(spec as never);
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    const rq = { multiplier: 1, shift: 0, zeroPoint: 0, dtype: 'int8' };
    const v2 = (layers: unknown[], inputShape = [2, 4], extra = {}) => ({
      format: 'verilay.model.v2',
      inputShape,
      inputDtype: 'int8',
      layers,
      ...extra,
    });
    const rope = { op: 'rope', shift: 2, dtype: 'int8', positions: 2, half: 2 };
    const cosSin = { cos: new Int16Array(4), sin: new Int16Array(4) };
    const softmax = { op: 'softmax', causal: false, fracBits: 1, table: Int32Array.of(32768, 23170) };
    const gate = { op: 'polyGate', clip: 4, a: 2, b: 1, bias: 10, ...rq };
    const rms = { op: 'rmsnorm', dim: 4, weight: new Int32Array(4), eps: 1, dtype: 'int8' };
    const ln = { ...rms, op: 'layernorm', bias: new Int32Array(4) };
    const heads = [{ op: 'splitHeads', heads: 1 }];
    // The well-formed ones load.
    for (const ok of [
      v2([softmax]),
      v2([gate]),
      v2([rms]),
      v2([ln]),
      v2([...heads, { ...rope, ...cosSin }], [2, 4]),
      v2([
        { op: 'store', slot: 3 },
        { op: 'mul', slot: 3, requantize: rq },
      ]),
      v2([{ op: 'embedding', vocab: 5, dim: 3, weights: new Int8Array(15) }], [4], { inputRange: [0, 4] }),
    ])
      expect(make(ok)).toBe('accepted');
    const hostile = [
      v2([{ ...rope, cos: new Int16Array(3), sin: new Int16Array(4) }]),
      v2([...heads, { ...rope, positions: 2 ** 32 - 1, half: 2 ** 32 - 1, ...cosSin }]),
      v2([{ ...softmax, table: Int32Array.of(1) }]),
      v2([{ ...softmax, table: Int32Array.of(0, 1) }]),
      v2([{ ...softmax, fracBits: Number.NaN }]),
      v2([{ ...softmax, fracBits: 2 ** 40 }]),
      v2([{ ...softmax, causal: undefined }]),
      v2([{ ...rms, eps: Number.NaN }]),
      v2([{ ...rms, eps: 0 }]),
      v2([{ ...rms, weight: new Int32Array(3) }]),
      v2([{ ...ln, bias: new Int32Array(3) }]),
      v2([{ ...ln, bias: 7 }]),
      v2([{ ...ln, bias: undefined }]),
      v2([{ ...ln, eps: 2 ** 16 + 1 }]),
      v2([{ ...ln, dtype: 'int32' }]),
      v2([{ ...gate, clip: Number.NaN }]),
      v2([{ ...gate, a: 2 ** 31 }]),
      v2([{ ...gate, bias: new Int32Array(1) }]),
      v2([{ ...gate, multiplier: 0 }]),
      v2([
        {
          op: 'dense',
          inFeatures: 4,
          outFeatures: 1,
          weights: new Int8Array(4),
          bias: new Int32Array(1),
          requantize: { ...rq, shift: 63 },
        },
      ]),
      v2([
        {
          op: 'dense',
          inFeatures: 4,
          outFeatures: 1,
          weights: new Int8Array(4),
          bias: new Int32Array(1),
          requantize: { dtype: 'int8' },
        },
      ]),
      v2([{ op: 'load', slot: 1 }]),
      v2([{ op: 'add', slot: 2 }]),
      v2([{ op: 'store', slot: 1 }]),
      v2([
        { op: 'store', slot: 1 },
        { op: 'store', slot: 1 },
        { op: 'add', slot: 1 },
        { op: 'add', slot: 1 },
      ]),
      v2([
        { op: 'store', slot: 16 },
        { op: 'load', slot: 16 },
      ]),
      v2([
        { op: 'store', slot: 1.5 },
        { op: 'load', slot: 1.5 },
      ]),
      v2([
        { op: 'store', slot: Number.NaN },
        { op: 'load', slot: Number.NaN },
      ]),
      v2(Array.from({ length: 15 }, (_, i) => ({ op: 'store', slot: i + 1 }))),
      v2([
        { op: 'store', slot: 1 },
        { op: 'matmul', slot: 1 },
      ]),
      v2([{ op: 'splitHeads', heads: 3 }]),
      v2([{ op: 'splitHeads', heads: 0 }]),
      v2([{ op: 'mergeHeads' }]),
      v2([{ op: 'embedding', vocab: 5, dim: 3, weights: new Int8Array(14) }], [4]),
      v2([{ op: 'relu' }], [4], { inputRange: [5, 2] }),
      v2([{ op: 'relu' }], [4], { inputRange: [0, 128] }),
      v2([{ op: 'relu' }], [4], { inputRange: [Number.NaN, 2] }),
      v2([{ op: 'relu' }], [4], { inputRange: [1] }),
      v2([{ op: 'relu' }], [4], { format: 'verilay.model.v3' }),
      // v2 features in a v1 model.
      { inputShape: [4], inputDtype: 'int8', inputRange: [0, 3], layers: [{ op: 'relu' }] },
      {
        inputShape: [4],
        inputDtype: 'int8',
        layers: [
          { op: 'store', slot: 1 },
          { op: 'load', slot: 1 },
        ],
      },
    ];
    for (const spec of hostile)
      expect([JSON.stringify(spec.layers), make(spec)]).toEqual([
        JSON.stringify(spec.layers),
        expect.stringMatching(/^\[KERNEL_MODEL\] Invalid model: /),
      ]);
    // A token id the range admits but the vocabulary does not (only a model that skipped the
    // loader has one): an error at run time, and the addon keeps working.
    const embed = v2([{ op: 'embedding', vocab: 2, dim: 1, weights: Int8Array.of(7, 8) }], [2], {
      inputRange: [0, 5],
    });
    const handle = new (addon().NativeModel)(embed as never);
    expect(() => handle.run(Int32Array.of(1, 5))).toThrow(/^\[KERNEL_MODEL\] .*outside \[0, 1\]/);
    expect(Array.from(handle.run(Int32Array.of(1, 0))[1])).toEqual([8, 7]);
  });

  it('runs a hand-built attention block: the model.states the loader proves are the native ones', () => {
    // x [T=3, d=4] int8 in 2 heads, q = k = v: causal softmax(q·kᵀ)·v, residual add, square.
    const rand = splitmix32(3);
    const rq = (shift: number) => ({ multiplier: 1, shift, zeroPoint: 0, dtype: 'int8' as const });
    const layers: Layer[] = [
      { op: 'store', slot: 1 },
      { op: 'splitHeads', heads: 2 },
      { op: 'store', slot: 2 },
      { op: 'store', slot: 3 },
      { op: 'matmul', slot: 2, transposeB: true, requantize: rq(8) },
      { op: 'softmax', causal: true, fracBits: 2, table: Int32Array.of(32768, 27554, 23170, 19484) },
      { op: 'matmul', slot: 3, transposeB: false, requantize: rq(8) },
      { op: 'mergeHeads' },
      { op: 'add', slot: 1, requantize: rq(1) },
      { op: 'store', slot: 4 },
      { op: 'mul', slot: 4, requantize: rq(6) },
    ];
    const model = buildModel({ format: 'verilay.model.v2', input: { shape: [3, 4], dtype: 'int8' }, layers });
    const sut = new NativeModelRunner(model, addon());
    expect(model.states[4]).toEqual([
      [1, 0],
      [2, 2],
      [3, 3],
    ]);
    for (let i = 0; i < 20; i++) {
      const input = Int32Array.from({ length: 12 }, () => Math.floor(rand() * 256) - 128);
      expectSameTrace(model, sut, input);
      // Its input is stored (slot 1 holds trace[0], the salted c_0; trace[1] is its unsalted copy).
      const salt = BigInt(i);
      const expected = reference(model, input, salt);
      const actual = sut.runAndCommit(input, salt);
      expect([actual.tensorCommitments, actual.traceCommitments]).toEqual([expected.c, expected.h]);
    }
  });
});
