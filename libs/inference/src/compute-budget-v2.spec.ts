import {
  buildModel,
  ComputeBudgetExceededError,
  decodeModel,
  DEFAULT_COMPUTE_BUDGET,
  DEFAULT_V2_COMPUTE_BUDGET,
  encodeModel,
  modelToJson,
  parseModel,
  type ModelSpec,
} from '@verilay/inference';

// A v2 dense over [T, in]: 2^10 · 2^10 · 2^9 = 2^29 MACs and 2^20 + 2^19 trace elements, past
// the v1 default (2^28, 2^20) and within the v2 one (2^34, 2^27); 512 KiB of weights.
const wide: ModelSpec = {
  format: 'verilay.model.v2',
  name: 'wide',
  input: { shape: [2 ** 10, 2 ** 10], dtype: 'int8' },
  layers: [
    {
      op: 'dense',
      inFeatures: 2 ** 10,
      outFeatures: 2 ** 9,
      weights: new Int8Array(2 ** 19),
      bias: new Int32Array(2 ** 9),
    },
  ],
};

describe('DEFAULT_V2_COMPUTE_BUDGET', () => {
  it('is wider than the v1 default in every limit', () => {
    for (const limit of Object.keys(DEFAULT_COMPUTE_BUDGET) as (keyof typeof DEFAULT_COMPUTE_BUDGET)[])
      expect(DEFAULT_V2_COMPUTE_BUDGET[limit]).toBeGreaterThan(DEFAULT_COMPUTE_BUDGET[limit]);
  });

  it('applies to v2 models in every loader (buildModel, parseModel, decodeModel)', () => {
    const sut = buildModel(wide);
    expect(parseModel(modelToJson(sut)).layers).toHaveLength(1);
    expect(decodeModel(encodeModel(sut)).layers).toHaveLength(1);
  });

  it('is what lets such a model load: under the v1 limits it is refused', () => {
    expect(() => buildModel(wide, { budget: DEFAULT_COMPUTE_BUDGET })).toThrow(ComputeBudgetExceededError);
    expect(() => decodeModel(encodeModel(buildModel(wide)), 'x', { budget: { maxMacs: 2 ** 28 } })).toThrow(
      expect.objectContaining({ meta: expect.objectContaining({ limit: 'maxMacs', max: 2 ** 28 }) }),
    );
  });
});
