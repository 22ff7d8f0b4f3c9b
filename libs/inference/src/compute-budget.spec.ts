import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_COMPUTE_BUDGET, modelCost, resolveBudget, type ModelCost } from './compute-budget';
import { ComputeBudgetExceededError } from './errors';
import type { Layer, Model } from './model';
import { buildModel, parseModel } from './parse-model';
import { randomArchitecture, randomInput, randomModel, splitmix32 } from './random-model';
import { referenceRun } from './reference-runtime.spec-helper';
import * as kernel from './dot-products';
import { randomTransformer } from './random-transformer';
import { run } from './run';

const ROOT = join(__dirname, '../../..');

/**
 * Runs the reference runtime and counts its work as it goes. v1's dense and conv2d (ops.ts) read
 * each weight once per multiply-accumulate and each bias once per output, so a copy of the model
 * whose weights and biases count their reads counts those. v2's dense and matmul hand whole
 * products to one kernel (dot-products.ts, its own spec checks that it computes every
 * Σ_{i<k} a·b): each call is rows·k·cols multiply-accumulates and, with a bias (dense), rows·cols
 * outputs. The rest is measured on the trace the run returns, not on shapes.
 */
function measuredRun(model: Model, input: ArrayLike<number>): { cost: ModelCost; trace: Int32Array[] } {
  let macs = 0;
  let accumulators = 0;
  const counting = <T extends Int8Array | Int32Array>(array: T, count: () => void): T =>
    new Proxy(array, {
      get(target, key) {
        if (typeof key === 'string' && /^\d+$/.test(key)) count();
        return Reflect.get(target, key);
      },
    });
  const perRead = (layer: Layer) =>
    layer.op === 'conv2d' || (layer.op === 'dense' && model.format !== 'verilay.model.v2');
  const layers = model.layers.map((layer) =>
    (layer.op === 'dense' || layer.op === 'conv2d') && perRead(layer)
      ? {
          ...layer,
          weights: counting(layer.weights, () => macs++),
          bias: counting(layer.bias, () => accumulators++),
        }
      : layer,
  );
  const calls = jest.spyOn(kernel, 'dotProducts');
  const trace = run({ ...model, layers }, input).trace.map((t) => t.data);
  for (const [, rows, k, , , , , cols, bias] of calls.mock.calls) {
    macs += rows * k * cols;
    if (bias !== undefined) accumulators += rows * cols;
  }
  calls.mockRestore();
  let elementOps = accumulators;
  model.layers.forEach((layer, i) => {
    const [x, y] = [trace[i].length, trace[i + 1].length];
    if (layer.op === 'requantize' || layer.op === 'relu' || layer.op === 'argmax') elementOps += x;
    if (layer.op === 'maxpool' || layer.op === 'avgpool') elementOps += y * layer.kernel[0] * layer.kernel[1];
    if (['embedding', 'matmul', 'add', 'mul', 'rope', 'polyGate'].includes(layer.op)) elementOps += y;
    if (layer.op === 'rmsnorm' || layer.op === 'layernorm') elementOps += x + y;
    if (layer.op === 'softmax') elementOps += y + validColumns(model.tensors[i].shape, layer.causal);
  });
  const buffers = new Set(trace.map((t) => t.buffer));
  // Every constant the layers hold (weights, biases, tables), as the typed arrays they are, and
  // per-channel multipliers and shifts as the JS number arrays they are (8 bytes a number).
  const numberArrays = (o: object) =>
    Object.entries(o).reduce(
      (m, [k, v]) => m + ((k === 'multiplier' || k === 'shift') && Array.isArray(v) ? 8 * v.length : 0),
      0,
    );
  const params = model.layers.reduce(
    (n, l) =>
      n +
      Object.values(l).reduce((m: number, v) => m + (ArrayBuffer.isView(v) ? v.byteLength : 0), 0) +
      numberArrays(l) +
      ('requantize' in l && l.requantize ? numberArrays(l.requantize) : 0),
    0,
  );
  return {
    cost: {
      macs,
      elementOps,
      traceElements: trace.reduce((n, t) => n + t.length, 0),
      peakBytes: [...buffers].reduce((n, b) => n + b.byteLength, params),
    },
    trace,
  };
}

/** Columns a softmax reads: all, or c ≤ r in row r of each [N, N] matrix when causal (counted, not by formula). */
function validColumns(shape: readonly number[], causal: boolean): number {
  const [m, n] = shape.slice(-2);
  const matrices = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  let valid = 0;
  for (let r = 0; r < m; r++) for (let c = 0; c < n; c++) if (!causal || c <= r) valid++;
  return matrices * valid;
}

/** Random convs with padding wider than the input, strides past the kernel, then pool and dense. */
function randomPaddedModel(seed: number): Model {
  const rand = splitmix32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const i8 = (n: number) => Int8Array.from({ length: n }, () => int(-128, 127));
  const [c, h, w] = [int(1, 3), int(1, 6), int(1, 6)];
  const padding: [number, number] = [int(0, 6), int(0, 6)];
  const kernel: [number, number] = [
    int(1, Math.min(5, h + 2 * padding[0])),
    int(1, Math.min(5, w + 2 * padding[1])),
  ];
  const oc = int(1, 3);
  const layers: Layer[] = [
    {
      op: 'conv2d',
      inChannels: c,
      outChannels: oc,
      kernel,
      stride: [int(1, 4), int(1, 4)],
      padding,
      weights: i8(oc * c * kernel[0] * kernel[1]),
      bias: Int32Array.from({ length: oc }, () => int(-1000, 1000)),
    },
    { op: 'requantize', multiplier: int(1, 2 ** 16), shift: int(8, 16), zeroPoint: 0, dtype: 'int8' },
  ];
  const conv = buildModel({ input: { shape: [c, h, w], dtype: 'int8' }, layers }).tensors.at(-1)!.shape;
  if (rand() < 0.5) layers.push({ op: 'relu' });
  if (conv[1] > 1 || conv[2] > 1) {
    const k: [number, number] = [int(1, conv[1]), int(1, conv[2])];
    layers.push({ op: rand() < 0.5 ? 'maxpool' : 'avgpool', kernel: k, stride: [int(1, 3), int(1, 3)] });
  }
  layers.push({ op: 'flatten' });
  const n = buildModel({ input: { shape: [c, h, w], dtype: 'int8' }, layers }).tensors.at(-1)!.shape[0];
  const out = int(1, 4);
  layers.push({
    op: 'dense',
    inFeatures: n,
    outFeatures: out,
    weights: i8(n * out),
    bias: new Int32Array(out),
  });
  if (rand() < 0.5) layers.push({ op: 'argmax' });
  return buildModel({ name: `padded-${seed}`, input: { shape: [c, h, w], dtype: 'int8' }, layers });
}

describe(modelCost.name, () => {
  it('equals the work an instrumented run does, on random models of every op', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (modelSeed, inputSeed) => {
        const model = randomArchitecture(modelSeed);
        expect(modelCost(model)).toEqual(measuredRun(model, randomInput(model, inputSeed)).cost);
      }),
      { numRuns: 200 },
    );
  });

  it('equals the work an instrumented run does on random transformers (format v2, every op)', () => {
    for (let seed = 0; seed < 25; seed++) {
      const model = randomTransformer(seed, { layerNorm: seed % 2 === 1 });
      expect(modelCost(model)).toEqual(measuredRun(model, randomInput(model, seed)).cost);
    }
  });

  it('counts per-channel multipliers and shifts among the constants (random per-channel CNNs, MLPs and transformers)', () => {
    for (let seed = 0; seed < 25; seed++)
      for (const model of [
        randomArchitecture(seed, { perChannel: true }),
        randomTransformer(seed, { perChannel: true }),
      ]) {
        const sut = modelCost(model);
        expect(sut).toEqual(measuredRun(model, randomInput(model, seed)).cost);
        const perTensor = {
          ...model,
          layers: model.layers.map((l) =>
            l.op === 'requantize' && typeof l.multiplier !== 'number'
              ? { ...l, multiplier: l.multiplier[0], shift: (l.shift as number[])[0] }
              : 'requantize' in l && l.requantize && typeof l.requantize.multiplier !== 'number'
                ? { ...l, requantize: { ...l.requantize, multiplier: 1, shift: 0 } }
                : l,
          ),
        } as Model;
        const arrays = model.layers.reduce((n, l) => {
          const r = l.op === 'requantize' ? l : 'requantize' in l ? l.requantize : undefined;
          return n + (r && typeof r.multiplier !== 'number' ? 16 * r.multiplier.length : 0);
        }, 0);
        expect(sut.peakBytes - modelCost(perTensor).peakBytes).toBe(arrays);
      }
  });

  it('equals the work of an instrumented run on convs padded wider than their input, and the run stays exact', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (modelSeed, inputSeed) => {
        const model = randomPaddedModel(modelSeed);
        const input = randomInput(model, inputSeed);
        const sut = measuredRun(model, input);
        expect(modelCost(model)).toEqual(sut.cost);
        // ops.ts skips the padding rather than reading zeros: the values must not change.
        expect(sut.trace.map((t) => Array.from(t, BigInt))).toEqual(referenceRun(model, input));
      }),
      { numRuns: 300 },
    );
  });

  it('counts a padded conv by hand: a 3x3 window padded by 1 over a 2x2 input reads all 4 values', () => {
    const sut = parseModel({
      format: 'verilay.model.v1',
      input: { shape: [1, 2, 2], dtype: 'int8' },
      layers: [
        {
          op: 'conv2d',
          inChannels: 1,
          outChannels: 1,
          kernel: [3, 3],
          padding: [1, 1],
          weights: Array(9).fill(1),
          bias: [0],
        },
      ],
    });
    // 4 outputs x 4 reads; trace = 4 + 4 elements; bytes = 2 int32 tensors + 9 weights + 1 bias.
    expect(modelCost(sut)).toEqual({ macs: 16, elementOps: 4, traceElements: 8, peakBytes: 32 + 9 + 4 });
  });

  it('fits every shipped model and the demo and test samples within 1/32 of every default limit', () => {
    const shipped = [
      'models/mnist/mnist-mlp.model.json',
      'models/mnist/mnist-cnn.model.json',
      'models/sample-mlp-784-64-10.json',
    ].map((file) => parseModel(readFileSync(join(ROOT, file), 'utf8')));
    const samples = [
      randomModel({ seed: 7, kind: 'mlp', sizes: [16, 8, 4], argmax: true }), // the demo
      randomModel({ seed: 1, kind: 'mlp', sizes: [784, 64, 10], argmax: true }),
      randomModel({ seed: 1, kind: 'cnn', sizes: [1, 28, 28, 8, 10], argmax: true }),
    ];
    for (const model of [...shipped, ...samples]) {
      const cost = modelCost(model);
      expect(cost.macs).toBeLessThan(DEFAULT_COMPUTE_BUDGET.maxMacs / 32);
      expect(cost.elementOps).toBeLessThan(DEFAULT_COMPUTE_BUDGET.maxElementOps / 32);
      expect(cost.traceElements).toBeLessThan(DEFAULT_COMPUTE_BUDGET.maxTraceElements / 32);
      expect(cost.peakBytes).toBeLessThan(DEFAULT_COMPUTE_BUDGET.maxPeakBytes / 32);
    }
  });
});

describe('LoadOptions.budget', () => {
  const mlp = () => randomModel({ seed: 3, kind: 'mlp', sizes: [16, 8, 4] });

  it('lets a caller lower a limit: the model is rejected at the layer that passes it', () => {
    const model = mlp(); // dense 16x8 (128 MACs), requantize, relu, dense 8x4 (32 MACs), requantize
    expect(() => buildModel(model, { budget: { maxMacs: 160 } })).not.toThrow();
    expect(() => buildModel(model, { budget: { maxMacs: 159 } })).toThrow(
      expect.objectContaining({ layer: 3, limit: 'maxMacs', value: 160, max: 159 }),
    );
    expect(() => buildModel(model, { budget: { maxPeakBytes: 100 } })).toThrow(ComputeBudgetExceededError);
  });

  it('keeps the defaults for the limits a caller leaves out', () => {
    expect(resolveBudget({ maxMacs: 5 })).toEqual({ ...DEFAULT_COMPUTE_BUDGET, maxMacs: 5 });
    expect(resolveBudget()).toEqual(DEFAULT_COMPUTE_BUDGET);
  });

  it('refuses a limit that would let everything through by accident (NaN, negative, not a number)', () => {
    // A NaN limit compares false with every value: it would accept any model.
    expect(() => buildModel(mlp(), { budget: { maxMacs: NaN } })).toThrow(/maxMacs must be a number >= 0/);
    expect(() => parseModel('{}', { budget: { maxPeakBytes: -1 } })).toThrow(RangeError);
    expect(() => resolveBudget({ maxTraceElements: '9' as never })).toThrow(RangeError);
  });
});
