import fc from 'fast-check';
import { randomArchitecture, randomInput, randomModel } from './random-model';
import { referenceRun } from './reference-runtime.spec-helper';
import { run } from './run';
import { InvalidInputError } from './errors';

// fast-check draws fresh random models on every run, so the runs add up: 100 and 70 a run by
// default, 300 and 200 with VERILAY_FULL=1.
const FULL = process.env.VERILAY_FULL === '1';

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
      { numRuns: FULL ? 300 : 100 },
    );
  });

  it('agrees bit for bit with the reference per channel (conv [C, H, W] by its first axis, dense [out] by its last), within the proven intervals', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (modelSeed, inputSeed) => {
        const model = randomArchitecture(modelSeed, { perChannel: true });
        expect(model.layers.some((l) => l.op === 'requantize' && typeof l.multiplier !== 'number')).toBe(
          true,
        );
        const input = randomInput(model, inputSeed);
        const sut = run(model, input);
        expect(sut.trace.map((t) => Array.from(t.data, BigInt))).toEqual(referenceRun(model, input));
        sut.trace.forEach((t, i) =>
          t.data.forEach((v) => expect(v >= model.tensors[i].min && v <= model.tensors[i].max).toBe(true)),
        );
      }),
      { numRuns: FULL ? 200 : 70 },
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
    expect(() => run(model, [0, 1, 128, 0])).toThrow(
      'element 2 of the input is 128, outside int8 [-128, 127]',
    );
    expect(() => run(model, [0, 1, 1.5, 0])).toThrow(InvalidInputError);
    expect(() => run(model, [0, 1, 1.5, 0])).toThrow(
      'element 2 of the input is 1.5, not an integer (the input is int8)',
    );
    expect(() => run(model, [0, '1', 0, 0] as never)).toThrow('element 1 of the input is "1", outside int8');
  });
});
