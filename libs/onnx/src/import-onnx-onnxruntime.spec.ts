/** @jest-environment ./test/jest/outer-typed-arrays.environment.js */
// Cross-checks imported models against ONNX Runtime (CPU). The integer ops must agree exactly on
// every traced tensor; ops that requantize may differ by 1 where ORT rounds half to even (and in
// float32) while verilay rounds half up in exact fixed point. Figures are logged as
// `ORT agreement: ...` lines and quoted in docs/onnx-import.md.
import { run, splitmix32 } from '@verilay/inference';
import * as ort from 'onnxruntime-node';
import { importOnnx, type OnnxImportResult } from './import-onnx';
import { randomInts } from './import-onnx.spec-helper';
import { OnnxGraphBuilder, type OnnxElementType } from './onnx-graph-builder';

const SAMPLES = 200;

type IntType = 'int8' | 'uint8';
const RANGE: Record<IntType, [number, number]> = { int8: [-128, 127], uint8: [0, 255] };

/**
 * The values an operand of `type` takes against an operand of `other`: with mixed signedness
 * (uint8 × int8) the int8 side is 7-bit, [-64, 63]. On x86-64 CPUs with AVX2 and no VNNI, ONNX
 * Runtime multiplies uint8 by int8 with VPMADDUBSW, whose pairwise int16 sums saturate past
 * ±32,767 (2 · 255 · 128 does): its documented caveat, the reason for its `reduce_range` option
 * (ORT's quantization docs). Such a CPU (an AMD EPYC) gave ORT -11,275 where the exact sum,
 * verilay's, is -259. With 7 bits (2 · 255 · 64 < 32,767) ORT is exact on every CPU, so verilay is
 * checked against exact integers on every CPU.
 */
function range(type: IntType, other: IntType): [number, number] {
  return type === 'int8' && other === 'uint8' ? [-64, 63] : RANGE[type];
}

/** One imported graph, its ORT session's outputs for a batch, and the inputs fed to verilay. */
interface Case {
  readonly sut: OnnxImportResult;
  readonly ort: ort.InferenceSession.OnnxValueMapType;
  readonly inputs: number[][];
}

/** Runs the graph in ORT on a batch (its input has a symbolic batch) and imports it. */
async function runCase(
  bytes: Uint8Array,
  output: string,
  input: { type: OnnxElementType; dims: number[]; data: number[][] },
): Promise<Case> {
  const session = await ort.InferenceSession.create(bytes);
  const flat = input.data.flat();
  const array =
    input.type === 'float'
      ? Float32Array.from(flat)
      : input.type === 'int8'
        ? Int8Array.from(flat)
        : Uint8Array.from(flat);
  const tensor = new ort.Tensor(input.type === 'float' ? 'float32' : input.type, array, [
    input.data.length,
    ...input.dims,
  ]);
  const outputs = await session.run({ x: tensor });
  return { sut: importOnnx(bytes, { output }), ort: outputs, inputs: input.data };
}

const numbers = new WeakMap<ort.Tensor, number[]>();

/** Sample `s` of an ORT output (batch first), as numbers. */
function sample(t: ort.Tensor, s: number): number[] {
  let all = numbers.get(t);
  if (!all) numbers.set(t, (all = Array.from(t.data as ArrayLike<number | bigint>, Number)));
  const n = t.size / t.dims[0];
  return all.slice(s * n, (s + 1) * n);
}

/**
 * Every verilay trace tensor that ORT also outputs, for every sample: how many elements, how many
 * differ by one, the largest difference. `inputFrom` names an ORT output that holds the verilay
 * input (a graph's QuantizeLinear output); otherwise verilay reads the batch fed to ORT.
 */
function compare(c: Case, inputFrom?: string) {
  let elements = 0;
  let offByOne = 0;
  let worst = 0;
  let firstMismatch: string | undefined;
  const outputs: number[] = [];
  c.inputs.forEach((raw, s) => {
    const input = inputFrom ? sample(c.ort[inputFrom], s) : raw;
    const { trace } = run(c.sut.model, input);
    outputs.push(trace[trace.length - 1].data[0]);
    c.sut.traceValues.forEach((name, i) => {
      if (name === null || name === inputFrom || !c.ort[name]) return;
      const expected = sample(c.ort[name], s);
      trace[i].data.forEach((v, j) => {
        const d = Math.abs(v - expected[j]);
        elements++;
        if (d === 1) offByOne++;
        if (d > worst) worst = d;
        if (d > 0 && !firstMismatch)
          firstMismatch = `sample ${s}, ${name}[${j}]: verilay ${v}, ORT ${expected[j]}`;
      });
    });
  });
  return { elements, offByOne, worst, firstMismatch, firstOutputs: outputs };
}

function report(label: string, r: { elements: number; offByOne: number }) {
  const rate = (100 * r.offByOne) / r.elements;
  console.log(
    `ORT agreement: ${label}: ${r.elements} elements, ${r.offByOne} off by one (${rate.toFixed(3)}%)`,
  );
  return rate;
}

/** A random integer type pair ORT's QLinear kernels accept: uint8 × (int8 | uint8), int8 × int8. */
function qlinearTypes(int: (n: number, lo: number, hi: number) => number[]): [IntType, IntType] {
  const k = int(1, 0, 2)[0];
  return k === 0 ? ['uint8', 'int8'] : k === 1 ? ['uint8', 'uint8'] : ['int8', 'int8'];
}

/**
 * Random weights of `type` whose values minus the zero point fit int8, and that zero point.
 * Mixed signedness gets a 7-bit int8 side (`range`).
 */
function weightsWithZeroPoint(
  int: (n: number, lo: number, hi: number) => number[],
  type: IntType,
  n: number,
  xType: IntType,
): { values: number[]; zp: number } {
  const zp = type === 'int8' ? int(1, -20, 20)[0] : int(1, 100, 156)[0];
  const [lo, hi] = range(type, xType);
  return { values: int(n, Math.max(lo, zp - 128), Math.min(hi, zp + 127)), zp };
}

/** A random scale in [lo, hi) as a float32. */
const scaleIn = (rand: () => number, lo: number, hi: number) => Math.fround(lo + rand() * (hi - lo));

/**
 * [x_scale, w_scale, y_scale] for a layer of `fanIn` inputs: accumulators spread about
 * 74 · 74 · √fanIn, so aim the output at about ±40. Random float32 scales make exact rounding ties
 * rare; power-of-two scales (some quantizers choose them) make the rescale an exact shift, so a
 * fixed share of outputs are exact ties.
 */
function layerScales(rand: () => number, fanIn: number, powerOfTwo: boolean): [number, number, number] {
  const target = (xs: number, ws: number) => (xs * ws * 74 * 74 * Math.sqrt(fanIn)) / 40;
  if (powerOfTwo) return [2 ** -7, 2 ** -7, 2 ** Math.round(Math.log2(target(2 ** -7, 2 ** -7)))];
  const [xs, ws] = [scaleIn(rand, 0.005, 0.05), scaleIn(rand, 0.001, 0.02)];
  return [xs, ws, Math.fround(target(xs, ws) / (0.5 + rand()))];
}

describe('importOnnx against ONNX Runtime', () => {
  describe('integer ops agree exactly on every traced tensor', () => {
    const totals = { MatMulInteger: { elements: 0, offByOne: 0 }, ConvInteger: { elements: 0, offByOne: 0 } };
    afterAll(() => {
      report('MatMulInteger + Add + Relu (6 models)', totals.MatMulInteger);
      report('ConvInteger (+ Add) + Relu (8 models and a 64-channel padded one)', totals.ConvInteger);
    });

    it.each([1, 2, 3, 4, 5, 6])('MatMulInteger + Add + Relu, random model %d', async (seed) => {
      const int = randomInts(seed);
      const [xType, wType] = [
        (['int8', 'uint8'] as const)[seed % 2],
        (['int8', 'uint8'] as const)[(seed >> 1) % 2],
      ];
      const [k, n] = [int(1, 8, 32)[0], int(1, 4, 12)[0]];
      const w = weightsWithZeroPoint(int, wType, k * n, xType);
      const perColumn = seed % 3 === 0;
      const bytes = new OnnxGraphBuilder('mm')
        .input('x', xType, [null, k])
        .initializer('B', wType, [k, n], w.values)
        .initializer('a_zp', xType, [], int(1, ...RANGE[xType]))
        .initializer('b_zp', wType, perColumn ? [n] : [], perColumn ? new Array(n).fill(w.zp) : [w.zp])
        .initializer('bias', 'int32', seed % 2 ? [n] : [1, n], int(n, -5000, 5000))
        .node('MatMulInteger', ['x', 'B', 'a_zp', 'b_zp'], ['acc'], {}, 'mm')
        .node('Add', ['acc', 'bias'], ['biased'], {}, 'add')
        .node('Relu', ['biased'], ['y'], {}, 'relu')
        .output('y', 'int32')
        .output('biased', 'int32')
        .toBytes();
      const data = Array.from({ length: SAMPLES }, () => int(k, ...range(xType, wType)));

      const c = await runCase(bytes, 'y', { type: xType, dims: [k], data });

      expect(c.sut.traceValues).toEqual(['x', 'biased', 'y']);
      const r = compare(c);
      expect(r.firstMismatch).toBeUndefined();
      expect(r.elements).toBe(SAMPLES * 2 * n);
      totals.MatMulInteger.elements += r.elements;
    });

    it.each([1, 2, 3, 4, 5, 6, 7, 8])('ConvInteger (+ Add) + Relu, random model %d', async (seed) => {
      const int = randomInts(100 + seed);
      const [xType, wType] = [
        (['int8', 'uint8'] as const)[seed % 2],
        (['int8', 'uint8'] as const)[(seed >> 1) % 2],
      ];
      const [c, h, wd, m] = [int(1, 1, 3)[0], int(1, 4, 8)[0], int(1, 4, 8)[0], int(1, 1, 4)[0]];
      const [kh, kw, sh, sw] = [int(1, 1, 3)[0], int(1, 1, 3)[0], int(1, 1, 2)[0], int(1, 1, 2)[0]];
      // Every other model is padded, so both ways of handling x_zp (fold, shift layer) are checked.
      const [ph, pw] = seed % 2 === 0 ? [int(1, 0, 1)[0], 1] : [0, 0];
      const w = weightsWithZeroPoint(int, wType, m * c * kh * kw, xType);
      const withBias = seed % 4 !== 3;
      const g = new OnnxGraphBuilder('conv')
        .input('x', xType, [null, c, h, wd])
        .initializer('w', wType, [m, c, kh, kw], w.values)
        .initializer('x_zp', xType, [], int(1, ...RANGE[xType]))
        .initializer('w_zp', wType, [], [w.zp])
        .node(
          'ConvInteger',
          ['x', 'w', 'x_zp', 'w_zp'],
          ['acc'],
          { kernel_shape: [kh, kw], strides: [sh, sw], pads: [ph, pw, ph, pw] },
          'conv',
        );
      if (withBias)
        g.initializer('bias', 'int32', seed % 3 ? [m, 1, 1] : [1, m, 1, 1], int(m, -5000, 5000)).node(
          'Add',
          ['acc', 'bias'],
          ['biased'],
          {},
          'add',
        );
      const bytes = g
        .node('Relu', [withBias ? 'biased' : 'acc'], ['y'], {}, 'relu')
        .output('y', 'int32')
        .output(withBias ? 'biased' : 'acc', 'int32')
        .toBytes();
      const data = Array.from({ length: SAMPLES }, () => int(c * h * wd, ...range(xType, wType)));

      const sut = await runCase(bytes, 'y', { type: xType, dims: [c, h, wd], data });

      const r = compare(sut);
      expect(r.firstMismatch).toBeUndefined();
      expect(sut.sut.model.layers[0].op).toBe(ph + pw > 0 ? 'requantize' : 'conv2d');
      const outputs = sut.sut.model.tensors.at(-1)!.shape.reduce((a, b) => a * b, 1);
      expect(r.elements).toBe(SAMPLES * 2 * outputs);
      totals.ConvInteger.elements += r.elements;
    });

    it('a wide padded ConvInteger on uint8 with zero point 128 imports and matches exactly', async () => {
      // The usual ORT-quantized conv: 64 uint8 channels, "same" padding, nonzero zero point. The
      // shift layer's interval is the image of uint8 ([-128, 127]), so the accumulator bound is
      // 576 * 127 * 128 (~9.4M), not 576 * 127 * 32768 (past int32), and the model loads.
      const int = randomInts(77);
      const [c, m] = [64, 2];
      const bytes = new OnnxGraphBuilder('wide')
        .input('x', 'uint8', [null, c, 4, 4])
        .initializer('w', 'int8', [m, c, 3, 3], int(m * c * 9, -127, 127))
        .initializer('x_zp', 'uint8', [], [128])
        .node(
          'ConvInteger',
          ['x', 'w', 'x_zp'],
          ['acc'],
          { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
          'conv',
        )
        .output('acc', 'int32')
        .toBytes();
      const data = Array.from({ length: SAMPLES }, () => int(c * 16, 0, 255));

      const sut = await runCase(bytes, 'acc', { type: 'uint8', dims: [c, 4, 4], data });

      expect(sut.sut.model.tensors[1]).toMatchObject({ dtype: 'int16', min: -128, max: 127 });
      const r = compare(sut);
      expect(r.firstMismatch).toBeUndefined();
      expect(r.elements).toBe(SAMPLES * m * 16);
      totals.ConvInteger.elements += r.elements;
    });
  });

  describe('requantizing ops agree within ±1', () => {
    it.each([
      ['random', false],
      ['power-of-two', true],
    ])('QLinearMatMul with %s scales', async (kind, powerOfTwo) => {
      const total = { elements: 0, offByOne: 0 };
      for (let seed = 1; seed <= 6; seed++) {
        const int = randomInts(200 + seed);
        const rand = splitmix32(200 + seed);
        const [xType, wType] = qlinearTypes(int);
        const [k, n] = [int(1, 8, 48)[0], int(1, 4, 16)[0]];
        const w = weightsWithZeroPoint(int, wType, k * n, xType);
        const [xs, ws, ys] = layerScales(rand, k, powerOfTwo);
        const bytes = new OnnxGraphBuilder('qmm')
          .input('x', xType, [null, k])
          .initializer('xs', 'float', [], [xs])
          .initializer('xz', xType, [], int(1, ...RANGE[xType]))
          .initializer('w', wType, [k, n], w.values)
          .initializer('ws', 'float', [], [ws])
          .initializer('wz', wType, [], [w.zp])
          .initializer('ys', 'float', [], [ys])
          .initializer('yz', xType, [], [xType === 'int8' ? int(1, -10, 10)[0] : int(1, 118, 138)[0]])
          .node('QLinearMatMul', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], ['y'], {}, 'qmm')
          .output('y', xType)
          .toBytes();
        const data = Array.from({ length: SAMPLES }, () => int(k, ...range(xType, wType)));

        const r = compare(await runCase(bytes, 'y', { type: xType, dims: [k], data }));

        expect(r.worst).toBeLessThanOrEqual(1);
        total.elements += r.elements;
        total.offByOne += r.offByOne;
      }
      // Measured: 0 of 14400 (random scales), 10 of 14400 = 0.07% (power-of-two); asserted < 1%.
      expect(report(`QLinearMatMul, ${kind} scales (6 models)`, total)).toBeLessThan(1);
    });

    it.each([
      ['random', false],
      ['power-of-two', true],
    ])('QLinearConv with %s scales', async (kind, powerOfTwo) => {
      const total = { elements: 0, offByOne: 0 };
      for (let seed = 1; seed <= 6; seed++) {
        const int = randomInts(300 + seed);
        const rand = splitmix32(300 + seed);
        const [xType, wType] = qlinearTypes(int);
        const [c, h, wd, m] = [int(1, 1, 3)[0], int(1, 4, 8)[0], int(1, 4, 8)[0], int(1, 1, 4)[0]];
        const [kh, kw, sh, sw] = [int(1, 1, 3)[0], int(1, 1, 3)[0], int(1, 1, 2)[0], int(1, 1, 2)[0]];
        const [ph, pw] = seed % 2 === 0 ? [1, int(1, 0, 1)[0]] : [0, 0];
        const w = weightsWithZeroPoint(int, wType, m * c * kh * kw, xType);
        const [xs, ws, ys] = layerScales(rand, c * kh * kw, powerOfTwo);
        const bytes = new OnnxGraphBuilder('qconv')
          .input('x', xType, [null, c, h, wd])
          .initializer('xs', 'float', [], [xs])
          .initializer('xz', xType, [], int(1, ...RANGE[xType]))
          .initializer('w', wType, [m, c, kh, kw], w.values)
          .initializer('ws', 'float', [], [ws])
          .initializer('wz', wType, [], [w.zp])
          .initializer('ys', 'float', [], [ys])
          .initializer('yz', xType, [], [xType === 'int8' ? int(1, -10, 10)[0] : int(1, 118, 138)[0]])
          .initializer('B', 'int32', [m], int(m, -20000, 20000))
          .node(
            'QLinearConv',
            ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'B'],
            ['y'],
            { kernel_shape: [kh, kw], strides: [sh, sw], pads: [ph, pw, ph, pw] },
            'qconv',
          )
          .output('y', xType)
          .toBytes();
        const data = Array.from({ length: SAMPLES }, () => int(c * h * wd, ...range(xType, wType)));

        const r = compare(await runCase(bytes, 'y', { type: xType, dims: [c, h, wd], data }));

        expect(r.worst).toBeLessThanOrEqual(1);
        total.elements += r.elements;
        total.offByOne += r.offByOne;
      }
      // Measured: 0 of 39000 (random scales), 51 of 39000 = 0.13% (power-of-two); asserted < 1%.
      expect(report(`QLinearConv, ${kind} scales (6 models)`, total)).toBeLessThan(1);
    });

    it('DequantizeLinear → QuantizeLinear', async () => {
      const total = { elements: 0, offByOne: 0 };
      for (let seed = 1; seed <= 6; seed++) {
        const int = randomInts(400 + seed);
        const rand = splitmix32(400 + seed);
        const [xType, yType] = [
          (['int8', 'uint8'] as const)[seed % 2],
          (['int8', 'uint8'] as const)[(seed >> 1) % 2],
        ];
        const s = scaleIn(rand, 0.01, 0.1);
        const sy = scaleIn(rand, 0.01, 0.1);
        const bytes = new OnnxGraphBuilder('dqq')
          .input('x', xType, [null, 64])
          .initializer('s', 'float', [], [s])
          .initializer('z', xType, [], xType === 'int8' ? int(1, -20, 20) : int(1, 100, 156))
          .initializer('sy', 'float', [], [sy])
          .initializer('zy', yType, [], yType === 'int8' ? int(1, -20, 20) : int(1, 100, 156))
          .node('DequantizeLinear', ['x', 's', 'z'], ['f'], {}, 'dq')
          .node('QuantizeLinear', ['f', 'sy', 'zy'], ['y'], {}, 'q')
          .output('y', yType)
          .toBytes();
        const data = Array.from({ length: SAMPLES }, () => int(64, ...RANGE[xType]));

        const r = compare(await runCase(bytes, 'y', { type: xType, dims: [64], data }));

        expect(r.worst).toBeLessThanOrEqual(1);
        total.elements += r.elements;
        total.offByOne += r.offByOne;
      }
      // Measured: 0 of 76800; asserted < 1%.
      expect(report('DequantizeLinear -> QuantizeLinear (6 random scale pairs)', total)).toBeLessThan(1);
    });

    it('DequantizeLinear → QuantizeLinear at exact ties (s / s_y = 1/2): half up vs half to even', async () => {
      const int = randomInts(500);
      const bytes = new OnnxGraphBuilder('ties')
        .input('x', 'int8', [null, 64])
        .initializer('s', 'float', [], [0.5])
        .initializer('sy', 'float', [], [1])
        .initializer('zy', 'int8', [], [0])
        .node('DequantizeLinear', ['x', 's'], ['f'], {}, 'dq')
        .node('QuantizeLinear', ['f', 'sy', 'zy'], ['y'], {}, 'q')
        .output('y', 'int8')
        .toBytes();
      const data = Array.from({ length: SAMPLES }, () => int(64, -128, 127));

      const r = compare(await runCase(bytes, 'y', { type: 'int8', dims: [64], data }));

      expect(r.worst).toBe(1);
      // Odd x are ties; half of them round to an odd integer under half-up, so ORT (half to even)
      // differs on about a quarter of all values.
      const rate = report('DequantizeLinear -> QuantizeLinear at ties (x / 2)', r);
      expect(rate).toBeGreaterThan(20);
      expect(rate).toBeLessThan(30);
    });
  });

  describe('whole quantized models: argmax agreement', () => {
    const INPUTS = 500;

    it('QuantizeLinear → QLinearConv → Relu → MaxPool → Flatten → QLinearMatMul → DequantizeLinear → ArgMax', async () => {
      const int = randomInts(600);
      const rand = splitmix32(600);
      const [c, h, w, filters, classes] = [1, 12, 12, 4, 10];
      const flat = filters * 6 * 6;
      const [xs, cs, ds] = [Math.fround(1 / 127), 0.01, 0.01];
      // Conv accumulators spread about 74 · 74 · 3 and dense ones about 50 · 74 · √flat: aim at ±40.
      const hs = Math.fround((xs * cs * 74 * 74 * 3) / 40);
      const os = Math.fround((hs * ds * 50 * 74 * Math.sqrt(flat)) / 40);
      const bytes = new OnnxGraphBuilder('cnn')
        .input('x', 'float', [null, c, h, w])
        .initializer('xs', 'float', [], [xs])
        .initializer('z0', 'int8', [], [0])
        .initializer('cw', 'int8', [filters, c, 3, 3], int(filters * 9, -127, 127))
        .initializer('cs', 'float', [], [cs])
        .initializer('hs', 'float', [], [hs])
        .initializer('cb', 'int32', [filters], int(filters, -2000, 2000))
        .initializer('dw', 'int8', [flat, classes], int(flat * classes, -127, 127))
        .initializer('ds', 'float', [], [ds])
        .initializer('os', 'float', [], [os])
        .node('QuantizeLinear', ['x', 'xs', 'z0'], ['q'], {}, 'quant')
        .node(
          'QLinearConv',
          ['q', 'xs', 'z0', 'cw', 'cs', 'z0', 'hs', 'z0', 'cb'],
          ['conv'],
          { pads: [1, 1, 1, 1] },
          'conv',
        )
        .node('Relu', ['conv'], ['relu'], {}, 'relu')
        .node('MaxPool', ['relu'], ['pool'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool')
        .node('Flatten', ['pool'], ['flat'], { axis: 1 }, 'flatten')
        .node('QLinearMatMul', ['flat', 'hs', 'z0', 'dw', 'ds', 'z0', 'os', 'z0'], ['logits'], {}, 'dense')
        .node('DequantizeLinear', ['logits', 'os', 'z0'], ['real'], {}, 'dequant')
        .node('ArgMax', ['real'], ['label'], { axis: 1, keepdims: 0 }, 'argmax')
        .output('label', 'int64')
        .output('q', 'int8')
        .output('conv', 'int8')
        .output('logits', 'int8')
        .toBytes();
      const data = Array.from({ length: INPUTS }, () =>
        Array.from({ length: c * h * w }, () => rand() * 2 - 1),
      );

      const sut = await runCase(bytes, 'label', { type: 'float', dims: [c, h, w], data });

      expect(sut.sut.model.layers.map((l) => l.op)).toEqual([
        'conv2d',
        'requantize',
        'relu',
        'maxpool',
        'flatten',
        'dense',
        'requantize',
        'argmax',
      ]);
      expect(sut.sut.inputQuantization).toEqual({ scale: xs, zeroPoint: 0, dtype: 'int8' });
      expect(sut.sut.outputQuantization).toEqual({ scale: os, zeroPoint: 0 });
      // verilay reads ORT's quantized input ("q"): this compares the model, not the input rounding.
      const traced = compare(sut, 'q');
      report('CNN, every traced tensor', traced);
      // Measured: 500 of 500; asserted > 97%.
      expect(distinctLabels(sut)).toBeGreaterThan(5);
      expect(labelAgreement(sut, traced)).toBeGreaterThan(97);
    });

    it('QuantizeLinear → MatMulInteger → Add → Relu → DequantizeLinear → QuantizeLinear → MatMulInteger → Add → DequantizeLinear → ArgMax', async () => {
      const int = randomInts(700);
      const rand = splitmix32(700);
      const [inputs, hidden, classes] = [64, 32, 10];
      // uint8 activations, 7-bit weights (`range`); scales as if the weights spanned 8 bits.
      const [xs, w1s, w2s] = [Math.fround(1 / 127), 0.01, 0.01];
      const s1 = Math.fround(xs * w1s);
      const hs = Math.fround((s1 * 74 * 74 * Math.sqrt(inputs)) / 60);
      const s2 = Math.fround(hs * w2s);
      const bytes = new OnnxGraphBuilder('mlp')
        .input('x', 'float', [null, inputs])
        .initializer('xs', 'float', [], [xs])
        .initializer('xz', 'uint8', [], [128])
        .initializer('w1', 'int8', [inputs, hidden], int(inputs * hidden, ...range('int8', 'uint8')))
        .initializer('b1', 'int32', [hidden], int(hidden, -20000, 20000))
        .initializer('s1', 'float', [], [s1])
        .initializer('hs', 'float', [], [hs])
        .initializer('hz', 'uint8', [], [0])
        .initializer('w2', 'int8', [hidden, classes], int(hidden * classes, ...range('int8', 'uint8')))
        .initializer('b2', 'int32', [1, classes], int(classes, -2000, 2000))
        .initializer('s2', 'float', [], [s2])
        .node('QuantizeLinear', ['x', 'xs', 'xz'], ['q'], {}, 'quant')
        .node('MatMulInteger', ['q', 'w1', 'xz'], ['acc1'], {}, 'mm1')
        .node('Add', ['acc1', 'b1'], ['sum1'], {}, 'bias1')
        .node('Relu', ['sum1'], ['relu1'], {}, 'relu1')
        .node('DequantizeLinear', ['relu1', 's1'], ['real1'], {}, 'dequant1')
        .node('QuantizeLinear', ['real1', 'hs', 'hz'], ['h'], {}, 'requant1')
        .node('MatMulInteger', ['h', 'w2'], ['acc2'], {}, 'mm2')
        .node('Add', ['acc2', 'b2'], ['logits'], {}, 'bias2')
        .node('DequantizeLinear', ['logits', 's2'], ['real2'], {}, 'dequant2')
        .node('ArgMax', ['real2'], ['label'], { axis: -1, keepdims: 1 }, 'argmax')
        .output('label', 'int64')
        .output('q', 'uint8')
        .output('sum1', 'int32')
        .output('relu1', 'int32')
        .output('h', 'uint8')
        .output('logits', 'int32')
        .toBytes();
      const data = Array.from({ length: INPUTS }, () => Array.from({ length: inputs }, () => rand() * 2 - 1));

      const sut = await runCase(bytes, 'label', { type: 'float', dims: [inputs], data });

      expect(sut.sut.model.layers.map((l) => l.op)).toEqual([
        'dense',
        'relu',
        'requantize',
        'dense',
        'argmax',
      ]);
      expect(sut.sut.layerSources).toEqual(['mm1', 'relu1', 'requant1', 'mm2', 'argmax']);
      expect(sut.sut.traceValues).toEqual(['q', 'sum1', 'relu1', 'h', 'logits', 'label']);
      const traced = compare(sut, 'q');
      report('integer MLP, every traced tensor', traced);
      // Measured: 500 of 500; asserted > 97%.
      expect(distinctLabels(sut)).toBeGreaterThan(5);
      expect(labelAgreement(sut, traced)).toBeGreaterThan(97);
    });
  });
});

/** The percentage of inputs that get the same label from verilay as from ORT (logged). */
function labelAgreement(c: Case, compared: { firstOutputs: number[] }): number {
  const same = compared.firstOutputs.filter((label, s) => label === sample(c.ort.label, s)[0]).length;
  const rate = (100 * same) / c.inputs.length;
  console.log(
    `ORT agreement: ${c.sut.model.name} argmax: ${same} of ${c.inputs.length} inputs agree (${rate.toFixed(1)}%)`,
  );
  return rate;
}

/** How many different labels ORT gives: a model that always says the same is no test. */
function distinctLabels(c: Case): number {
  return new Set(c.inputs.map((_, s) => sample(c.ort.label, s)[0])).size;
}
