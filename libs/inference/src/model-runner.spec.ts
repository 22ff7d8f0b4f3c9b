import { NativeError, nativeAddon, nativeStatus, resetNativeForTest } from '@verilay/native';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DTYPES } from './dtype';
import { InvalidInputError, InvalidModelError } from './errors';
import type { Layer, Model } from './model';
import { JsModelRunner, NativeModelRunner, modelRunner } from './model-runner';
import { buildModel, parseModel } from './parse-model';
import { randomArchitecture, randomInput, randomModel, splitmix32 } from './random-model';
import { run } from './run';

const built = process.env.VERILAY_NATIVE !== 'off' && (resetNativeForTest(), nativeStatus().active);
const withAddon = built ? describe : describe.skip;

/** Inputs across the dtype: random, all min, all max, alternating extremes. */
function inputs(model: Model, seed: number): Int32Array[] {
  const { min, max } = DTYPES[model.input.dtype];
  const n = model.tensors[0].shape.reduce((a, b) => a * b, 1);
  return [
    randomInput(model, seed),
    new Int32Array(n).fill(min),
    new Int32Array(n).fill(max),
    Int32Array.from({ length: n }, (_, i) => (i % 2 ? min : max)),
  ];
}

function expectSameTrace(
  model: Model,
  input: ArrayLike<number>,
  sut = new NativeModelRunner(model, nativeAddon()!),
) {
  const expected = run(model, input);
  const actual = sut.run(input);
  expect(actual.trace.map((t) => [t.shape, t.dtype, Array.from(t.data)])).toEqual(
    expected.trace.map((t) => [t.shape, t.dtype, Array.from(t.data)]),
  );
}

describe(modelRunner.name, () => {
  it('runs the reference runtime without the native core, once per model object', () => {
    const model = randomModel({ seed: 1, kind: 'mlp', sizes: [8, 4, 2] });
    const sut = modelRunner(model, null);
    expect(sut).toBeInstanceOf(JsModelRunner);
    expect(modelRunner(model, null)).toBe(sut);
    expect(sut.run(randomInput(model, 1))).toEqual(run(model, randomInput(model, 1)));
  });
});

withAddon(NativeModelRunner.name, () => {
  it('is what modelRunner picks with the core, loaded once per model', () => {
    const model = randomModel({ seed: 2, kind: 'cnn', sizes: [1, 8, 8, 3, 4], argmax: true });
    expect(modelRunner(model)).toBeInstanceOf(NativeModelRunner);
    expect(modelRunner(model)).toBe(modelRunner(model));
  });

  it('leaves a model with an op or field it does not read to the reference runtime', () => {
    const addon = nativeAddon()!;
    const base = randomModel({ seed: 6, kind: 'mlp', sizes: [4, 3], argmax: true });
    const [dense, requantize, argmax] = base.layers;
    const fused = { multiplier: 1, shift: 0, zeroPoint: 0, dtype: 'int8' };
    const variants = [
      { ...base, input: { ...base.input, scale: 2 } },
      { ...base, layers: [{ ...dense, requantize: { ...fused, perChannel: [1] } }, requantize, argmax] },
      { ...base, layers: [{ ...dense, groups: 2 }, requantize, argmax] },
      { ...base, layers: [dense, requantize, { op: 'groupnorm' }, argmax] },
    ] as unknown as Model[];
    for (const model of variants) {
      expect(() => new NativeModelRunner(model, addon)).toThrow(/not supported natively/);
      expect(modelRunner(model, addon)).toBeInstanceOf(JsModelRunner);
    }
    // Live slots that differ from the loader's (a bug on one side) leave it to the reference too.
    const states = base.states.map((s, i) => (i === 1 ? [[1, 0] as const] : s));
    expect(() => new NativeModelRunner({ ...base, states }, addon)).toThrow(/live slots differ/);
    expect(modelRunner(base, addon)).toBeInstanceOf(NativeModelRunner);
  });

  it('gives the reference trace bit for bit on 300 random architectures (every op, saturating requantization, padding and strides) and extreme inputs', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const model = randomArchitecture(seed);
      const sut = new NativeModelRunner(model, nativeAddon()!);
      for (const input of inputs(model, seed)) expectSameTrace(model, input, sut);
    }
  });

  it('gives the reference trace bit for bit on 150 random architectures with per-channel requantization (conv [C, H, W] and dense [out])', () => {
    for (let seed = 1; seed <= 150; seed++) {
      const model = randomArchitecture(seed, { perChannel: true });
      const sut = new NativeModelRunner(model, nativeAddon()!);
      for (const input of inputs(model, seed)) expectSameTrace(model, input, sut);
    }
  });

  it('refuses per-channel scales of the wrong length, out of range or in a v1 spec with KERNEL_MODEL', () => {
    const spec = (format: string, multiplier: unknown, shift: unknown) => ({
      format,
      inputShape: [2, 3],
      inputDtype: 'int32',
      layers: [{ op: 'requantize', multiplier, shift, zeroPoint: 0, dtype: 'int8' }],
    });
    const make = (s: unknown) => {
      try {
        new (nativeAddon()!.NativeModel)(s as never);
        return 'accepted';
      } catch (error) {
        return /^\[(\w+)\]/.exec((error as Error).message)?.[1] ?? String(error);
      }
    };
    expect(make(spec('verilay.model.v2', [1, 2, 3], [0, 1, 2]))).toBe('accepted');
    for (const [format, m, s] of [
      ['verilay.model.v2', [1, 2], [0, 1]],
      ['verilay.model.v2', [1, 2, 3], [0, 1]],
      ['verilay.model.v2', [1, 0, 3], [0, 1, 2]],
      ['verilay.model.v2', [1, 2, 3], [0, 1, 63]],
      ['verilay.model.v2', [1, 2.5, 3], [0, 1, 2]],
      ['verilay.model.v2', [1, 2, 3], 1],
      ['verilay.model.v2', [], []],
      ['verilay.model.v1', [1, 2, 3], [0, 1, 2]],
    ] as const)
      expect([m, s, format, make(spec(format, m, s))]).toEqual([m, s, format, 'KERNEL_MODEL']);
  });

  it('gives the reference trace on the shipped MNIST models and random MLP/CNN models', () => {
    for (const file of ['mnist-mlp', 'mnist-cnn']) {
      const json = readFileSync(join(__dirname, `../../../models/mnist/${file}.model.json`), 'utf8');
      const model = parseModel(json);
      for (const input of inputs(model, 3)) expectSameTrace(model, Array.from(input));
    }
    for (let seed = 1; seed <= 10; seed++) {
      const mlp = randomModel({ seed, kind: 'mlp', sizes: [64, 32, 10], argmax: seed % 2 === 0 });
      const cnn = randomModel({ seed, kind: 'cnn', sizes: [2, 9, 7, 4, 5] });
      for (const model of [mlp, cnn]) for (const input of inputs(model, seed)) expectSameTrace(model, input);
    }
  });

  it('requantizes exactly at rounding ties, the 2^53 boundary and saturation, for every dtype and shift', () => {
    const rand = splitmix32(9);
    const xs = [0, 1, -1, 2, -2, 3, -3, 2 ** 31 - 1, -(2 ** 31), 2 ** 30, -(2 ** 30) - 1, 4194305, -4194305];
    for (const dtype of Object.keys(DTYPES) as (keyof typeof DTYPES)[])
      for (const shift of [0, 1, 2, 23, 24, 31, 33, 52, 53, 62]) {
        const multiplier = [1, 3, 2 ** 20 + 1, 2 ** 31 - 1][Math.floor(rand() * 4)];
        const zeroPoint = dtype === 'uint8' ? 7 : dtype === 'int32' ? 0 : -3;
        const layers: Layer[] = [{ op: 'requantize', multiplier, shift, zeroPoint, dtype }];
        // An int32 input puts any int32 at requantize's input.
        const model = buildModel({ input: { shape: [xs.length], dtype: 'int32' }, layers });
        expectSameTrace(model, xs);
      }
  });

  it('throws the reference runtime own InvalidInputError for bad inputs', () => {
    const model = randomModel({ seed: 4, kind: 'mlp', sizes: [4, 3] });
    const sut = new NativeModelRunner(model, nativeAddon()!);
    const bad: ArrayLike<number>[] = [
      [1, 2, 3],
      [1, 2, 3, 4, 5],
      [1, 2, 3, 128],
      [1, 2, 3, 0.5],
      [1, 2, 3, Number.NaN],
      ['1', 2, 3, 4] as unknown as number[],
      Int32Array.of(1, 2, 3, -129),
      Int32Array.of(1, 2),
      new Int32Array(0),
    ];
    for (const input of bad) {
      let expected: unknown;
      try {
        run(model, input);
      } catch (error) {
        expected = error;
      }
      expect(expected).toBeInstanceOf(InvalidInputError);
      expect(() => sut.run(input)).toThrow(InvalidInputError);
      expect(() => sut.run(input)).toThrow((expected as Error).message);
    }
  });

  it('refuses hostile model specs with typed errors, never a crash', () => {
    const addon = nativeAddon()!;
    const make = (spec: unknown) => {
      try {
        new addon.NativeModel(spec as never);
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    const dense = {
      op: 'dense',
      inFeatures: 4,
      outFeatures: 2,
      weights: new Int8Array(8),
      bias: new Int32Array(2),
    };
    const spec = (layers: unknown[], inputShape = [4]) => ({ inputShape, inputDtype: 'int8', layers });
    expect(make(spec([dense]))).toBe('accepted');
    const hostile = [
      spec([{ ...dense, weights: new Int8Array(7) }]),
      spec([{ ...dense, inFeatures: 4.5 }]),
      spec([{ ...dense, inFeatures: -4 }]),
      spec([{ ...dense, outFeatures: 2 ** 40 }]),
      spec([dense], [5]),
      spec([dense], [2 ** 31, 2 ** 31]),
      spec(
        [
          {
            op: 'conv2d',
            inChannels: 1,
            outChannels: 1,
            kernel: [1, 1],
            stride: [1, 1],
            padding: [4096, 4096],
            weights: new Int8Array(1),
            bias: new Int32Array(1),
          },
        ],
        [1, 1, 1],
      ),
      spec([{ op: 'maxpool', kernel: [1], stride: [1, 1] }], [1, 2, 2]),
      spec([{ op: 'requantize', multiplier: 0, shift: 1, dtype: 'int8' }]),
      spec([{ op: 'requantize', multiplier: 1, shift: 63, dtype: 'int8' }]),
      spec([{ op: 'requantize', multiplier: 1, shift: 1, dtype: 'int64' }]),
      spec([{ op: 'softmax' }]),
      spec([{ op: 'argmax' }, { op: 'relu' }]),
      spec([]),
    ];
    for (const s of hostile) expect(make(s)).toMatch(/^\[KERNEL_MODEL\] Invalid model: /);
    expect(make({ inputShape: [4], inputDtype: 'int8', layers: [{ ...dense, weights: [1, 2] }] })).not.toBe(
      'accepted',
    );
    // A model the native core refuses is an InvalidModelError on the TS side.
    const model = randomModel({ seed: 5, kind: 'mlp', sizes: [4, 2] });
    const broken = {
      ...model,
      layers: [{ ...model.layers[0], weights: new Int8Array(3) }, ...model.layers.slice(1)],
    } as Model;
    expect(() => new NativeModelRunner(broken, addon)).toThrow(InvalidModelError);
    // And the addon still works afterwards.
    expect(() => new NativeModelRunner(model, addon).run([1, 2, 3, 4])).not.toThrow();
    // A native error carries its code.
    const handle = new addon.NativeModel(spec([dense]) as never);
    try {
      handle.run(Int32Array.of(1));
    } catch (error) {
      expect((error as Error).message).toMatch(/^\[INVALID_INPUT\] /);
    }
    expect(NativeError).toBeDefined();
  });
});

withAddon(`${NativeModelRunner.name} memory`, () => {
  it("keeps a loop of runs in bounded memory: the trace lives in V8's heap, which collects it", () => {
    // 12 MB of trace a run: the binding once lent V8 Rust buffers it did not count, and 300 runs
    // held ~3.6 GB (a large LM's replay loop was OOM-killed). The trace is the outputs, [t, d]
    // twice; a narrow input keeps the multiply-adds (what the loop costs) 16 times fewer.
    const [t, k, d] = [6144, 16, 256];
    const model = buildModel({
      format: 'verilay.model.v2',
      input: { shape: [t, k], dtype: 'int8' },
      layers: [
        {
          op: 'dense',
          inFeatures: k,
          outFeatures: d,
          weights: Int8Array.from({ length: k * d }, (_, i) => (i % 7) - 3),
          bias: new Int32Array(d),
          requantize: { multiplier: 1, shift: 8, zeroPoint: 0, dtype: 'int8' },
        },
        { op: 'relu' },
      ],
    });
    const sut = new NativeModelRunner(model, nativeAddon()!);
    const input = Int32Array.from({ length: t * k }, (_, i) => (i % 11) - 5);
    const bytes = sut.run(input).trace.reduce((sum, x) => sum + x.data.byteLength, 0);
    expect(bytes).toBeGreaterThan(12e6);
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 300; i++) sut.run(input);
    expect(process.memoryUsage().rss - before).toBeLessThan(1024 * 2 ** 20);
  }, 120_000);
});
