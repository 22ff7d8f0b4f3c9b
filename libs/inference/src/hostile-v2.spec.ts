import { encodeModel } from './canonical-model';
import { InvalidModelError } from './errors';
import { parseModel } from './parse-model';
import { run } from './run';

// Hostile v2 documents that pass every shape check: each must load as a typed InvalidModelError
// or load and run, never throw anything else (a RangeError is a 500 at the verifier's model
// registration and a failed pass in the watcher).

/** An rmsnorm over rows of `dim` on an int8 input [dim] in [−16, 16] (so dim·x² fits), then argmax. */
const rmsnormDoc = (dim: number) => ({
  format: 'verilay.model.v2',
  input: { shape: [dim], dtype: 'int8', range: [-16, 16] },
  layers: [
    { op: 'rmsnorm', dim, weight: Array.from({ length: dim }, (_, j) => (j % 7) - 3), eps: 1, dtype: 'int8' },
    { op: 'argmax' },
  ],
});

describe('parseModel (hostile v2 documents)', () => {
  it('loads an rmsnorm over a row of 2^18 values (far past the engine argument limit of a spread)', () => {
    const dim = 2 ** 18;
    const sut = parseModel(rmsnormDoc(dim));
    // Weights (j mod 7) − 3 span [−3, 3]: x·w over [−16, 16]·[−3, 3] is [−48, 48], r₀ = 1.
    expect(sut.tensors[1]).toMatchObject({ dtype: 'int8', min: -48, max: 48 });
    expect(encodeModel(sut).length).toBeGreaterThan(4 * dim);
    const x = Int8Array.from({ length: dim }, (_, j) => (j % 5) - 2);
    expect(run(sut, x).output.data.length).toBe(1);
  });

  it('loads and runs a huge rmsnorm weight over a row of 2^18 (past the former 2^31 bound, below 2^53), no RangeError', () => {
    const doc = rmsnormDoc(2 ** 18);
    (doc.layers[0] as { weight: number[] }).weight[5] = 2 ** 30;
    const sut = parseModel(doc);
    // x·w reaches 16·2^30 = 2^34; at r₀ = 1 that saturates int8.
    expect(sut.tensors[1]).toMatchObject({ dtype: 'int8', min: -128, max: 127 });
    const x = Int8Array.from({ length: 2 ** 18 }, (_, j) => (j % 5) - 2);
    expect(run(sut, x).output.data.length).toBe(1);
    // A weight that is no int32 is still a typed refusal.
    (doc.layers[0] as { weight: number[] }).weight[5] = 2 ** 31;
    expect(() => parseModel(doc)).toThrow(InvalidModelError);
  });
});
