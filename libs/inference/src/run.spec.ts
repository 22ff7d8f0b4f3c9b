import fc from 'fast-check';
import { buildModel } from './parse-model';
import type { Layer, Model } from './model';
import { randomInput, randomModel, splitmix32 } from './random-model';
import { referenceRun } from './reference-runtime.spec-helper';
import { run } from './run';
import { InvalidInputError } from './errors';

/** A random small architecture: every op, random shapes, random (often saturating) requantization. */
function randomArchitecture(seed: number): Model {
  const rand = splitmix32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const i8 = (n: number) => Int8Array.from({ length: n }, () => int(-128, 127));
  const i32 = (n: number) => Int32Array.from({ length: n }, () => int(-(2 ** 20), 2 ** 20));
  // Either a gentle scale (mostly in range) or a wild one (saturation, the BigInt product path).
  const requant = (): Layer =>
    rand() < 0.5
      ? {
          op: 'requantize',
          multiplier: int(1, 2 ** 16),
          shift: int(12, 24),
          zeroPoint: int(-3, 3),
          dtype: 'int8',
        }
      : {
          op: 'requantize',
          multiplier: int(1, 2 ** 31 - 1),
          shift: int(0, 62),
          zeroPoint: 0,
          dtype: (['int8', 'uint8', 'int16', 'int32'] as const)[int(0, 3)],
        };
  const layers: Layer[] = [];
  let shape: number[];
  if (rand() < 0.5) {
    const c = int(1, 3);
    const h = int(3, 7);
    const w = int(3, 7);
    shape = [c, h, w];
    const [kh, kw, sh, sw, ph, pw] = [int(1, 3), int(1, 3), int(1, 2), int(1, 2), int(0, 1), int(0, 1)];
    const oc = int(1, 3);
    layers.push({
      op: 'conv2d',
      inChannels: c,
      outChannels: oc,
      kernel: [kh, kw],
      stride: [sh, sw],
      padding: [ph, pw],
      weights: i8(oc * c * kh * kw),
      bias: i32(oc),
    });
    if (rand() < 0.5) layers.push({ op: 'relu' });
    layers.push({
      op: 'requantize',
      multiplier: int(1, 2 ** 16),
      shift: int(8, 20),
      zeroPoint: 0,
      dtype: 'int8',
    });
    const oh = Math.floor((h + 2 * ph - kh) / sh) + 1;
    const ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
    const pk: [number, number] = [int(1, Math.min(2, oh)), int(1, Math.min(2, ow))];
    layers.push({ op: rand() < 0.5 ? 'maxpool' : 'avgpool', kernel: pk, stride: [int(1, 2), int(1, 2)] });
    layers.push({ op: 'flatten' });
  } else {
    shape = [int(1, 24)];
  }
  let n = shape.reduce((a, b) => a * b, 1);
  // Probe the flattened size by building the prefix.
  n = buildModel({ input: { shape, dtype: 'int8' }, layers: [...layers, { op: 'flatten' }] }).tensors.at(-1)!
    .shape[0];
  for (let d = int(1, 3); d > 0; d--) {
    const out = int(1, 16);
    layers.push(
      { op: 'dense', inFeatures: n, outFeatures: out, weights: i8(n * out), bias: i32(out) },
      requant(),
    );
    if (rand() < 0.6) layers.push({ op: 'relu' });
    // Keep dense inputs small enough for the int32 accumulator bound: squeeze wide dtypes to int8.
    layers.push({ op: 'requantize', multiplier: 1, shift: int(0, 4), zeroPoint: 0, dtype: 'int8' });
    n = out;
  }
  if (rand() < 0.5) layers.push({ op: 'argmax' });
  return buildModel({ name: `arch-${seed}`, input: { shape, dtype: 'int8' }, layers });
}

describe(run.name, () => {
  it('agrees bit for bit with an independent BigInt reference on random models and inputs', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (modelSeed, inputSeed) => {
        const model = randomArchitecture(modelSeed);
        const input = randomInput(model, inputSeed);
        const sut = run(model, input);
        const expected = referenceRun(model, input);
        expect(sut.trace).toHaveLength(model.layers.length + 1);
        sut.trace.forEach((t, i) => {
          expect(t.shape).toEqual(model.tensors[i].shape);
          expect(Array.from(t.data, BigInt)).toEqual(expected[i]);
          // The interval analysis must hold for the actual values.
          t.data.forEach((v) => {
            expect(v).toBeGreaterThanOrEqual(model.tensors[i].min);
            expect(v).toBeLessThanOrEqual(model.tensors[i].max);
          });
        });
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with the reference on a 784-64-10 MLP and a small CNN', () => {
    for (const model of [
      randomModel({ seed: 7, kind: 'mlp', sizes: [784, 64, 10], argmax: true }),
      randomModel({ seed: 8, kind: 'cnn', sizes: [1, 12, 12, 4, 10], argmax: true }),
    ]) {
      for (let s = 0; s < 5; s++) {
        const input = randomInput(model, s);
        const sut = run(model, input);
        expect(sut.trace.map((t) => Array.from(t.data, BigInt))).toEqual(referenceRun(model, input));
        // Activations of the generated models are spread, not all saturated.
        const hidden = sut.trace[2].data;
        expect(new Set(hidden).size).toBeGreaterThan(10);
      }
    }
  });

  it('is deterministic: the same model and input give the same trace', () => {
    const model = randomModel({ seed: 3, kind: 'mlp', sizes: [16, 8, 4] });
    const input = randomInput(model, 1);
    expect(run(model, input).trace).toEqual(run(model, input).trace);
  });

  it('rejects an input of the wrong length', () => {
    const model = randomModel({ seed: 3, kind: 'mlp', sizes: [16, 8, 4] });
    expect(() => run(model, new Int32Array(15))).toThrow(InvalidInputError);
  });

  it('rejects an input value outside the input dtype', () => {
    const model = randomModel({ seed: 3, kind: 'mlp', sizes: [4, 2] });
    expect(() => run(model, [0, 1, 128, 0])).toThrow(/value 2 is 128, outside int8/);
    expect(() => run(model, [0, 1, 1.5, 0])).toThrow(InvalidInputError);
  });
});
