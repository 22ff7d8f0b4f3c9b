import { buildModel, randomModel, type Model } from '@verilay/inference';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPTIMIZATION } from './build-circuit';
import { compileCircuit } from './compile-circuit';
import { generateModelCircuit } from './generate-circuit';
import { parseR1cs } from './r1cs';

/** A model that uses what the random ones do not: a standalone relu, avgpool, an unclamped requantize. */
const oddModel = (): Model =>
  buildModel({
    name: 'odd',
    input: { shape: [1, 4, 4], dtype: 'int8' },
    layers: [
      { op: 'relu' },
      { op: 'avgpool', kernel: [2, 2], stride: [2, 2] },
      { op: 'flatten' },
      {
        op: 'dense',
        inFeatures: 4,
        outFeatures: 3,
        weights: Int8Array.from([1, -2, 3, 4, 5, -6, 7, 8, -9, 10, 11, 12]),
        bias: Int32Array.from([5, -5, 0]),
      },
      { op: 'requantize', multiplier: 3, shift: 2, zeroPoint: 0, dtype: 'int32' },
      { op: 'relu' },
      { op: 'argmax' },
    ],
  });

describe('estimated circuit constraints', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'verilay-cost-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // The whole circuits use every template; the step circuits add the range-checked private
  // inputs of other dtypes. Compiling is what the estimate saves: a few seconds per circuit.
  const cases: [string, () => Model, number | undefined][] = [
    [
      'mlp 16-8-4, whole',
      () => randomModel({ seed: 5, kind: 'mlp', sizes: [16, 8, 4], argmax: true }),
      undefined,
    ],
    [
      'mlp 40-12-10, whole',
      () => randomModel({ seed: 9, kind: 'mlp', sizes: [40, 12, 10], argmax: true }),
      undefined,
    ],
    [
      'cnn 1x8x8, whole',
      () => randomModel({ seed: 6, kind: 'cnn', sizes: [1, 8, 8, 2, 4], argmax: true }),
      undefined,
    ],
    [
      'cnn 1x8x8, step 1 (requantize of int32)',
      () => randomModel({ seed: 6, kind: 'cnn', sizes: [1, 8, 8, 2, 4], argmax: true }),
      1,
    ],
    [
      'cnn 1x8x8, step 3 (maxpool)',
      () => randomModel({ seed: 6, kind: 'cnn', sizes: [1, 8, 8, 2, 4], argmax: true }),
      3,
    ],
    ['relu, avgpool, unclamped requantize, whole', oddModel, undefined],
  ];

  it.each(cases)(
    '%s: within 1%% of the compiled count',
    async (label, make, step) => {
      const circuit = generateModelCircuit(make(), { step });
      // The level buildCircuit compiles with: the estimate is of the circuits verilay proves.
      const dest = join(dir, label.replace(/\W/g, ''));
      const compiled = await compileCircuit(circuit.source, 'c', dest, OPTIMIZATION);
      const actual = parseR1cs(readFileSync(compiled.r1csPath)).constraints.length;
      expect(compiled.nonLinearConstraints + compiled.linearConstraints).toBe(actual);
      expect(Math.abs(circuit.estimatedConstraints - actual) / actual).toBeLessThanOrEqual(0.01);
    },
    60_000,
  );
});
