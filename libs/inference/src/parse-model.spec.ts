import { decodeModel, encodeModel } from './canonical-model';
import { modelCost } from './compute-budget';
import { ComputeBudgetExceededError, InvalidModelError } from './errors';
import type { Layer, TensorInfo } from './model';
import { modelToJson, parseModel } from './parse-model';
import { randomModel } from './random-model';

const tiny = () => ({
  format: 'verilay.model.v1',
  name: 'tiny',
  input: { shape: [2], dtype: 'int8' },
  layers: [
    { op: 'dense', inFeatures: 2, outFeatures: 2, weights: [1, -2, 3, 4], bias: [0, 10] },
    { op: 'requantize', multiplier: 1, shift: 1, dtype: 'int8' },
    { op: 'relu' },
    { op: 'argmax' },
  ],
});

function rejects(
  mutate: (doc: ReturnType<typeof tiny> & Record<string, unknown>) => unknown,
  path: string,
  message: RegExp,
) {
  const doc = tiny();
  const result = mutate(doc as never);
  let error: unknown;
  try {
    parseModel(result === undefined ? doc : result);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidModelError);
  expect((error as InvalidModelError).code).toBe('INVALID_MODEL');
  expect((error as InvalidModelError).meta.path).toBe(path);
  expect((error as InvalidModelError).message).toMatch(message);
}

describe(parseModel.name, () => {
  it('parses a valid document and proves tensor intervals', () => {
    const sut = parseModel(JSON.stringify(tiny()));
    expect(sut.layers.map((l) => l.op)).toEqual(['dense', 'requantize', 'relu', 'argmax']);
    // dense: o0 = x0 - 2 x1 in [-382, 383]; o1 = 10 + 3 x0 + 4 x1 in [10 - 7*128, 10 + 7*127]: the union.
    expect(sut.tensors[1]).toEqual({ shape: [2], dtype: 'int32', min: 10 - 7 * 128, max: 10 + 7 * 127 });
    expect(sut.tensors[3]).toMatchObject({ dtype: 'int8', min: 0, max: 127 });
    expect(sut.tensors[4]).toEqual({ shape: [1], dtype: 'int32', min: 0, max: 1 });
  });

  it('maps an interval through requantize (monotone), within the output dtype', () => {
    // [-886, 899] * 1/2 rounded half up: [-443, 450], saturated to int8: [-128, 127].
    expect(parseModel(JSON.stringify(tiny())).tensors[2]).toMatchObject({ min: -128, max: 127 });
    const narrow = tiny();
    narrow.layers[1] = { op: 'requantize', multiplier: 1, shift: 4, dtype: 'int8' };
    // [-886, 899] / 16: floor(-886/16 + 1/2) = -55, floor(899/16 + 1/2) = 56.
    expect(parseModel(JSON.stringify(narrow)).tensors[2]).toMatchObject({ min: -55, max: 56 });
    // A shift by a zero point (how ONNX import subtracts an input zero point): uint8 [0, 255] - 128.
    const shifted = parseModel(
      JSON.stringify({
        format: 'verilay.model.v1',
        input: { shape: [2], dtype: 'uint8' },
        layers: [{ op: 'requantize', multiplier: 1, shift: 0, zeroPoint: -128, dtype: 'int16' }],
      }),
    );
    expect(shifted.tensors[1]).toMatchObject({ dtype: 'int16', min: -128, max: 127 });
  });

  it('round-trips through modelToJson', () => {
    const model = randomModel({ seed: 1, kind: 'cnn', sizes: [1, 6, 6, 2, 3], argmax: true });
    const again = parseModel(JSON.parse(JSON.stringify(modelToJson(model))));
    expect(again.layers).toEqual(model.layers);
    expect(again.tensors).toEqual(model.tensors);
  });

  it('rejects text that is not JSON', () => rejects(() => '{"format":', '$', /not valid JSON/));
  it('rejects a wrong format tag', () =>
    rejects((d) => void (d.format = 'onnx'), 'format', /verilay.model.v1/));
  it('rejects an unknown op', () =>
    rejects((d) => void ((d.layers[2] as { op: string }).op = 'gelu'), 'layers[2].op', /unknown op "gelu"/));
  it('rejects an unknown field', () =>
    rejects((d) => void Object.assign(d.layers[2], { alpha: 1 }), 'layers[2].alpha', /unknown field/));
  it('rejects a weight outside int8', () =>
    rejects(
      (d) => void ((d.layers[0] as { weights: number[] }).weights[3] = 128),
      'layers[0].weights[3]',
      /\[-128, 127\], got 128/,
    ));
  it('rejects a fractional weight', () =>
    rejects(
      (d) => void ((d.layers[0] as { weights: number[] }).weights[0] = 0.5),
      'layers[0].weights[0]',
      /got 0.5/,
    ));
  it('rejects a wrong weight count', () =>
    rejects(
      (d) => void (d.layers[0] as { weights: number[] }).weights.pop(),
      'layers[0].weights',
      /must have 4 values, got 3/,
    ));
  it('rejects a bias outside int32', () =>
    rejects(
      (d) => void ((d.layers[0] as { bias: number[] }).bias[0] = 2 ** 31),
      'layers[0].bias[0]',
      /got 2147483648/,
    ));
  it('rejects a multiplier of 2^31', () =>
    rejects(
      (d) => void ((d.layers[1] as { multiplier: number }).multiplier = 2 ** 31),
      'layers[1].multiplier',
      /\[1, 2147483647\]/,
    ));
  it('rejects a shift above 62', () =>
    rejects((d) => void ((d.layers[1] as { shift: number }).shift = 63), 'layers[1].shift', /\[0, 62\]/));
  it('rejects a zero point outside the output dtype', () =>
    rejects(
      (d) => void Object.assign(d.layers[1], { zeroPoint: 200 }),
      'layers[1].zeroPoint',
      /\[-128, 127\]/,
    ));
  it('rejects a shape mismatch between layers', () =>
    rejects((d) => void (d.input.shape = [3]), 'layers[0]', /dense expects input \[2\], got \[3\]/));
  it('rejects argmax before the last layer', () =>
    rejects((d) => void d.layers.push({ op: 'relu' }), 'layers[3]', /argmax must be the last/));
  it('rejects a model with no layers', () =>
    rejects((d) => void (d.layers = []), 'layers', /at least one layer/));
  it('rejects an unknown input dtype', () =>
    rejects((d) => void (d.input.dtype = 'float32'), 'input.dtype', /int8, uint8, int16, int32/));

  it('rejects a model whose accumulator can pass int32', () => {
    // Two dense layers without requantization: the second sees int32-wide inputs.
    rejects(
      (d) =>
        void d.layers.splice(1, 0, {
          op: 'dense',
          inFeatures: 2,
          outFeatures: 2,
          weights: [127, 127, 127, 127],
          bias: [2 ** 31 - 1, 0],
        } as never),
      'layers[1]',
      /above the int32 accumulator bound/,
    );
  });

  it('counts the zeros that padding reads in a conv interval (no int32 wrap downstream)', () => {
    // A 1x1 conv pins the activations at 100000; the padded conv then sees 0 at its border, so its
    // outputs reach 127*100000 and -128*100000, not just -100000 (found in review).
    const doc = {
      format: 'verilay.model.v1',
      input: { shape: [1, 1, 2], dtype: 'int8' },
      layers: [
        { op: 'conv2d', inChannels: 1, outChannels: 1, kernel: [1, 1], weights: [0], bias: [100000] },
        {
          op: 'conv2d',
          inChannels: 1,
          outChannels: 1,
          kernel: [1, 2],
          padding: [0, 1],
          weights: [127, -128],
          bias: [0],
        },
      ],
    };
    const model = parseModel(doc);
    expect(model.tensors[2]).toMatchObject({ min: -128 * 100000, max: 127 * 100000 });
    const next = {
      op: 'dense',
      inFeatures: 3,
      outFeatures: 1,
      weights: [0, 0, 127],
      bias: [2 ** 31 - 1 - 3 * 127 * 100000],
    };
    expect(() => parseModel({ ...doc, layers: [...doc.layers, { op: 'flatten' }, next] })).toThrow(
      /above the int32 accumulator bound/,
    );
  });

  it('rejects unknown fields at the top level and in input, and explicit nulls', () => {
    rejects((d) => void Object.assign(d, { extra: 1 }), 'extra', /unknown field/);
    rejects((d) => void Object.assign(d.input, { layout: 'nchw' }), 'input.layout', /unknown field/);
    rejects(
      (d) => void Object.assign(d.layers[1], { zeroPoint: null }),
      'layers[1].zeroPoint',
      /must not be null/,
    );
  });

  it('rejects more layers than the canonical decoder accepts', () =>
    rejects(
      (d) => void d.layers.splice(3, 0, ...Array.from({ length: 4094 }, () => ({ op: 'relu' }))),
      'layers',
      /at most 4096 layers/,
    ));

  it('rejects a conv kernel larger than the padded input', () => {
    const doc = {
      format: 'verilay.model.v1',
      input: { shape: [1, 2, 2], dtype: 'int8' },
      layers: [
        { op: 'conv2d', inChannels: 1, outChannels: 1, kernel: [3, 3], weights: Array(9).fill(1), bias: [0] },
      ],
    };
    expect(() => parseModel(doc)).toThrow(/kernel \[3, 3\] larger than padded input/);
  });
});

/**
 * Finding 5's model: a 1x1 conv padded by `pad` turns one input value into a (2 pad + 1)^2 plane,
 * then `blocks` 31x31 convs (padding 15 keeps the plane) each requantized back to int8.
 */
function hostileDocument(blocks: number, pad = 1023) {
  const layers: unknown[] = [
    {
      op: 'conv2d',
      inChannels: 1,
      outChannels: 1,
      kernel: [1, 1],
      padding: [pad, pad],
      weights: [1],
      bias: [0],
    },
  ];
  for (let i = 0; i < blocks; i++)
    layers.push(
      {
        op: 'conv2d',
        inChannels: 1,
        outChannels: 1,
        kernel: [31, 31],
        padding: [15, 15],
        weights: Array(31 * 31).fill(1),
        bias: [0],
      },
      { op: 'requantize', multiplier: 1, shift: 10, dtype: 'int8' },
    );
  return {
    format: 'verilay.model.v1',
    name: 'finding-5',
    input: { shape: [1, 1, 1], dtype: 'int8' },
    layers,
  };
}

/** Multiply-accumulates of a layer, counted by brute force over each axis (padding reads none). */
function bruteForceMacs(layer: Layer, x: TensorInfo, y: TensorInfo): number {
  if (layer.op === 'dense') return layer.inFeatures * layer.outFeatures;
  if (layer.op !== 'conv2d') return 0;
  const axis = (n: number, out: number, k: number, s: number, p: number) => {
    let pairs = 0;
    for (let o = 0; o < out; o++)
      for (let j = 0; j < k; j++) if (o * s + j - p >= 0 && o * s + j - p < n) pairs++;
    return pairs;
  };
  const rows = axis(x.shape[1], y.shape[1], layer.kernel[0], layer.stride[0], layer.padding[0]);
  const cols = axis(x.shape[2], y.shape[2], layer.kernel[1], layer.stride[1], layer.padding[1]);
  return layer.outChannels * layer.inChannels * rows * cols;
}

function budgetError(load: () => unknown): ComputeBudgetExceededError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ComputeBudgetExceededError);
    return error as ComputeBudgetExceededError;
  }
  throw new Error('the model loaded');
}

const NO_BUDGET = {
  maxMacs: Infinity,
  maxElementOps: Infinity,
  maxTraceElements: Infinity,
  maxPeakBytes: Infinity,
};

describe('finding 5: the loader bounds work, not only shapes', () => {
  const plane = 2047 ** 2;

  it("rejects finding 5's 1.6 MB model (hours of replay) at its first layer, naming the limit, the value and the layer", () => {
    const text = JSON.stringify(hostileDocument(400));
    expect(text.length).toBeLessThan(4 * 2 ** 20); // the verifier's body limit
    const start = performance.now();
    const sut = budgetError(() => parseModel(text));
    // Rejected from shapes alone: nothing ran (one 31x31 layer of it takes ~30 s to run here).
    expect(performance.now() - start).toBeLessThan(5000);
    expect(sut).toBeInstanceOf(InvalidModelError); // so the verifier answers 422 INVALID_MODEL
    expect(sut.code).toBe('INVALID_MODEL');
    expect(sut).toMatchObject({ layer: 0, limit: 'maxTraceElements', value: 1 + plane, max: 2 ** 20 });
    expect(sut.meta).toEqual({
      path: 'layers[0]',
      layer: 0,
      limit: 'maxTraceElements',
      value: 1 + plane,
      max: 2 ** 20,
    });
    expect(sut.shortMessage).toMatch(
      /layers\[0\]: over the compute budget: maxTraceElements is 1048576, .* 4190210/,
    );
  });

  it('counts what the reproduction estimated for it: 1.6e12 multiply-accumulates, 13 GB of trace', () => {
    const model = parseModel(JSON.stringify(hostileDocument(400)), { budget: NO_BUDGET });
    const macs = model.layers.reduce(
      (sum, layer, i) => sum + bruteForceMacs(layer, model.tensors[i], model.tensors[i + 1]),
      0,
    );
    expect(macs).toBe(1 + 400 * (31 * 2047 - 240) ** 2);
    expect(modelCost(model)).toEqual({
      macs,
      elementOps: 801 * plane,
      traceElements: 1 + 801 * plane,
      peakBytes: 4 * (1 + 801 * plane) + 1 + 4 + 400 * (961 + 4),
    });
  });

  it('stops a hostile model within the trace budget at the layer whose multiply-accumulates pass maxMacs', () => {
    // A 511x511 plane: four of its tensors fit 2^20 trace elements, two 31x31 convs do not fit 2^28 MACs.
    const perConv = (31 * 511 - 240) ** 2;
    const sut = budgetError(() => parseModel(hostileDocument(400, 255)));
    expect(sut).toMatchObject({ layer: 3, limit: 'maxMacs', value: 1 + 2 * perConv, max: 2 ** 28 });
  });

  it("rejects the bytes of finding 5's model in decodeModel too (the replay workers' path)", () => {
    const bytes = encodeModel(parseModel(hostileDocument(2), { budget: NO_BUDGET }));
    expect(budgetError(() => decodeModel(bytes))).toMatchObject({ layer: 0, limit: 'maxTraceElements' });
    expect(decodeModel(bytes, 'lifted', { budget: NO_BUDGET }).layers).toHaveLength(5);
  });
});
