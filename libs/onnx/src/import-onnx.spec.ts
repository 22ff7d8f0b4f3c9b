import {
  modelToJson,
  parseModel,
  quantizeMultiplier,
  randomInput,
  randomModel,
  run,
  type Model,
} from '@verilay/inference';
import { onnx } from 'onnx-proto';
import { importOnnx } from './import-onnx';
import { integerOnnx, normalizeLayer } from './import-onnx.spec-helper';
import { OnnxGraphBuilder } from './onnx-graph-builder';

const outputOf = (model: Model, input: ArrayLike<number>) => Array.from(run(model, input).output.data);
const traceOf = (model: Model, input: ArrayLike<number>) =>
  run(model, input).trace.map((t) => Array.from(t.data));

/** MatMulInteger on x int8 [1, 3] with B [[1, 2], [3, 4], [5, 6]], a_zp 2, b_zp 1, then a bias. */
function matMulIntegerGraph(): OnnxGraphBuilder {
  return new OnnxGraphBuilder('mm-graph')
    .input('x', 'int8', [null, 3])
    .initializer('B', 'int8', [3, 2], [1, 2, 3, 4, 5, 6])
    .initializer('a_zp', 'int8', [], [2])
    .initializer('b_zp', 'int8', [], [1])
    .initializer('bias', 'int32', [2], [100, -100])
    .node('MatMulInteger', ['x', 'B', 'a_zp', 'b_zp'], ['acc'], {}, 'mm')
    .node('Add', ['acc', 'bias'], ['y'], {}, 'bias_add')
    .output('y', 'int32');
}

/** x uint8 [1, 1, 3, 3] = 1..9 through a ConvInteger with 2x2 or 3x3 kernels of ones. */
function convIntegerGraph(attributes: { pads?: number[]; strides?: number[] }, kernel: number) {
  return new OnnxGraphBuilder('conv-graph')
    .input('x', 'uint8', [1, 1, 3, 3])
    .initializer('w', 'uint8', [1, 1, kernel, kernel], new Array(kernel * kernel).fill(1))
    .initializer('x_zp', 'uint8', [], [1])
    .node('ConvInteger', ['x', 'w', 'x_zp'], ['y'], attributes, 'conv')
    .output('y', 'int32');
}

/** Rewrites every initializer from raw_data to the typed repeated fields (the other encoding). */
function withTypedFields(bytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const T = onnx.TensorProto.DataType;
  for (const t of model.graph!.initializer!) {
    const raw = t.rawData!;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
    if (t.dataType === T.FLOAT)
      t.floatData = Array.from({ length: raw.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
    else if (t.dataType === T.INT32)
      t.int32Data = Array.from({ length: raw.length / 4 }, (_, i) => view.getInt32(4 * i, true));
    else if (t.dataType === T.INT8) t.int32Data = Array.from(raw, (_, i) => view.getInt8(i));
    else if (t.dataType === T.UINT8) t.int32Data = Array.from(raw);
    else if (t.dataType === T.INT64)
      t.int64Data = Array.from({ length: raw.length / 8 }, (_, i) => Number(view.getBigInt64(8 * i, true)));
    t.rawData = new Uint8Array(0);
  }
  return onnx.ModelProto.encode(model).finish();
}

describe(importOnnx.name, () => {
  describe('MatMulInteger', () => {
    it('becomes a dense layer with (B − b_zp) transposed, a_zp and the Add folded into the bias', () => {
      const sut = importOnnx(matMulIntegerGraph().toBytes());

      const dense = sut.model.layers[0];
      expect(sut.model.layers).toHaveLength(1);
      expect(dense).toEqual({
        op: 'dense',
        inFeatures: 3,
        outFeatures: 2,
        weights: Int8Array.from([0, 2, 4, 1, 3, 5]),
        // −a_zp·Σ w + the Add: −2·6 + 100, −2·9 − 100
        bias: Int32Array.from([88, -118]),
      });
      expect(sut.model.input).toEqual({ shape: [3], dtype: 'int8' });
      // (x − 2)·(B − 1) + bias for x = [1, −1, 3]: [−1, −3, 1]·[[0, 1], [2, 3], [4, 5]] = [−2, −5]
      expect(outputOf(sut.model, [1, -1, 3])).toEqual([98, -105]);
      expect(sut.layerSources).toEqual(['mm']);
      expect(sut.traceValues).toEqual(['x', 'y']);
      expect(sut.model.name).toBe('mm-graph');
    });

    it('maps uint8 weights with zero point 128 to int8', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'uint8', [1, 2])
        .initializer('B', 'uint8', [2, 2], [131, 0, 255, 128])
        .initializer('b_zp', 'uint8', [], [128])
        .node('MatMulInteger', ['x', 'B', '', 'b_zp'], ['y'], {}, 'mm')
        .output('y', 'int32')
        .toBytes();

      const sut = importOnnx(bytes);

      expect(sut.model.layers[0]).toMatchObject({ weights: Int8Array.from([3, 127, -128, 0]) });
      expect(sut.model.input.dtype).toBe('uint8');
      expect(outputOf(sut.model, [2, 255])).toEqual([3 * 2 + 127 * 255, -128 * 2]);
    });

    it('subtracts a per-column weight zero point from each output column', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'uint8', [1, 2])
        .initializer('B', 'uint8', [2, 2], [1, 2, 3, 4])
        .initializer('a_zp', 'uint8', [], [1])
        .initializer('b_zp', 'uint8', [2], [1, 2])
        .node('MatMulInteger', ['x', 'B', 'a_zp', 'b_zp'], ['y'], {}, 'mm')
        .output('y', 'int32')
        .toBytes();

      const sut = importOnnx(bytes);

      expect(sut.model.layers[0]).toMatchObject({ weights: Int8Array.from([0, 2, 0, 2]) });
      // (x − 1)·(B − b_zp) for x = [3, 5]: [2, 4]·[[0, 0], [2, 2]] = [8, 8]
      expect(outputOf(sut.model, [3, 5])).toEqual([8, 8]);
    });

    it('accepts the bias Add with the constant first and of shape [1, N]', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 1])
        .initializer('B', 'int8', [1, 2], [3, -4])
        .initializer('bias', 'int32', [1, 2], [10, 20])
        .node('MatMulInteger', ['x', 'B'], ['acc'], {}, 'mm')
        .node('Add', ['bias', 'acc'], ['y'], {}, 'add')
        .output('y', 'int32')
        .toBytes();

      expect(outputOf(importOnnx(bytes).model, [2])).toEqual([16, 12]);
    });
  });

  describe('ConvInteger', () => {
    it('folds the input zero point into the bias when there is no padding', () => {
      const sut = importOnnx(convIntegerGraph({}, 2).toBytes());

      expect(sut.model.layers).toEqual([
        {
          op: 'conv2d',
          inChannels: 1,
          outChannels: 1,
          kernel: [2, 2],
          stride: [1, 1],
          padding: [0, 0],
          weights: Int8Array.from([1, 1, 1, 1]),
          bias: Int32Array.from([-4]),
        },
      ]);
      // 2x2 window sums of 1..9 (12, 16, 24, 28), minus 4·x_zp
      expect(outputOf(sut.model, [1, 2, 3, 4, 5, 6, 7, 8, 9])).toEqual([8, 12, 20, 24]);
    });

    it('inserts x − x_zp (int16) before a padded conv, so that padding reads the real zero as ONNX does', () => {
      const sut = importOnnx(convIntegerGraph({ pads: [1, 1, 1, 1], strides: [2, 2] }, 3).toBytes());

      expect(sut.model.layers.map((l) => l.op)).toEqual(['requantize', 'conv2d']);
      expect(sut.model.layers[0]).toEqual({
        op: 'requantize',
        multiplier: 1,
        shift: 0,
        zeroPoint: -1,
        dtype: 'int16',
      });
      expect(sut.model.layers[1]).toMatchObject({
        stride: [2, 2],
        padding: [1, 1],
        bias: Int32Array.from([0]),
      });
      // x − 1 = [[0, 1, 2], [3, 4, 5], [6, 7, 8]], 3x3 windows of ones at stride 2 over its zero padding
      expect(outputOf(sut.model, [1, 2, 3, 4, 5, 6, 7, 8, 9])).toEqual([8, 12, 20, 24]);
      expect(sut.layerSources).toEqual(['conv', 'conv']);
      expect(sut.traceValues).toEqual(['x', null, 'y']);
    });

    it.each([[[2, 1, 1]], [[1, 2, 1, 1]]])('folds an Add of shape %j into the conv bias', (dims) => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 1, 2, 2])
        .initializer('w', 'int8', [2, 1, 1, 1], [1, -1])
        .initializer('b', 'int32', dims, [5, 7])
        .node('ConvInteger', ['x', 'w'], ['acc'], {}, 'conv')
        .node('Add', ['acc', 'b'], ['y'], {}, 'add')
        .output('y', 'int32')
        .toBytes();

      const sut = importOnnx(bytes);

      expect(sut.model.layers[0]).toMatchObject({ bias: Int32Array.from([5, 7]) });
      expect(outputOf(sut.model, [1, 2, 3, 4])).toEqual([6, 7, 8, 9, 6, 5, 4, 3]);
      expect(sut.traceValues).toEqual(['x', 'y']);
    });
  });

  describe('QLinearMatMul', () => {
    it('becomes dense + requantize with multiplier/shift from x_scale·w_scale/y_scale, rounding half up', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 2])
        .initializer('xs', 'float', [], [0.5])
        .initializer('xz', 'int8', [], [0])
        .initializer('w', 'int8', [2, 3], [1, -1, 3, 1, -1, 3])
        .initializer('ws', 'float', [], [0.5])
        .initializer('wz', 'int8', [], [0])
        .initializer('ys', 'float', [], [1])
        .initializer('yz', 'uint8', [], [10])
        .node('QLinearMatMul', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], ['y'], {}, 'qmm')
        .output('y', 'uint8')
        .toBytes();

      const sut = importOnnx(bytes);

      expect(sut.model.layers.map((l) => l.op)).toEqual(['dense', 'requantize']);
      expect(sut.model.layers[1]).toEqual({
        op: 'requantize',
        multiplier: 1,
        shift: 2,
        zeroPoint: 10,
        dtype: 'uint8',
      });
      // accumulators [2, −2, 6] · 0.25 = [0.5, −0.5, 1.5] → half up [1, 0, 2], + 10
      expect(outputOf(sut.model, [1, 1])).toEqual([11, 10, 12]);
      expect(sut.layerSources).toEqual(['qmm', 'qmm']);
      expect(sut.traceValues).toEqual(['x', null, 'y']);
    });

    it('computes real = f32(x_scale) · f32(w_scale) / f32(y_scale) in float64, left to right', () => {
      const [xs, ws, ys] = [0.0123, 0.0456, 0.0789];
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'uint8', [1, 1])
        .initializer('xs', 'float', [], [xs])
        .initializer('xz', 'uint8', [], [128])
        .initializer('w', 'int8', [1, 1], [5])
        .initializer('ws', 'float', [], [ws])
        .initializer('wz', 'int8', [], [0])
        .initializer('ys', 'float', [], [ys])
        .initializer('yz', 'int8', [], [-3])
        .node('QLinearMatMul', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], ['y'], {}, 'qmm')
        .output('y', 'int8')
        .toBytes();

      const sut = importOnnx(bytes);

      const expected = quantizeMultiplier((Math.fround(xs) * Math.fround(ws)) / Math.fround(ys));
      expect(sut.model.layers[1]).toEqual({ op: 'requantize', ...expected, zeroPoint: -3, dtype: 'int8' });
      expect(sut.model.layers[0]).toMatchObject({ bias: Int32Array.from([-5 * 128]) });
    });
  });

  describe('QLinearConv', () => {
    it('becomes shift + conv2d (with B) + requantize; padding reads the real zero', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'uint8', [1, 1, 2, 2])
        .initializer('xs', 'float', [], [1])
        .initializer('xz', 'uint8', [], [5])
        .initializer('w', 'int8', [2, 1, 1, 1], [2, -1])
        .initializer('ws', 'float', [], [1])
        .initializer('wz', 'int8', [], [0])
        .initializer('ys', 'float', [], [2])
        .initializer('yz', 'int8', [], [0])
        .initializer('B', 'int32', [2], [1, 0])
        .node(
          'QLinearConv',
          ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'B'],
          ['y'],
          { pads: [1, 1, 1, 1] },
          'qc',
        )
        .output('y', 'int8')
        .toBytes();

      const sut = importOnnx(bytes);

      expect(sut.model.layers.map((l) => l.op)).toEqual(['requantize', 'conv2d', 'requantize']);
      expect(sut.model.layers[1]).toMatchObject({ padding: [1, 1], bias: Int32Array.from([1, 0]) });
      expect(sut.model.layers[2]).toMatchObject({ multiplier: 1, shift: 1, zeroPoint: 0, dtype: 'int8' });
      // channel 0: (2·(x − 5) + 1) / 2 inside, 1/2 on the border; channel 1: −(x − 5) / 2 inside
      const y = outputOf(sut.model, [5, 6, 7, 8]);
      expect(y.slice(0, 16)).toEqual([1, 1, 1, 1, 1, 1, 2, 1, 1, 3, 4, 1, 1, 1, 1, 1]);
      expect(y.slice(16)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, 0, 0, 0, 0, 0]);
      expect(sut.traceValues).toEqual(['x', null, null, 'y']);
    });
  });

  describe('QuantizeLinear and DequantizeLinear', () => {
    it('takes a leading QuantizeLinear as the model input and records its parameters', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'float', [null, 4])
        .initializer('s', 'float', [], [0.1])
        .initializer('zp', 'int8', [], [0])
        .node('QuantizeLinear', ['x', 's', 'zp'], ['q'], {}, 'quant')
        .node('Relu', ['q'], ['y'], {}, 'relu')
        .output('y', 'int8')
        .toBytes();

      const sut = importOnnx(bytes);

      expect(sut.model.input).toEqual({ shape: [4], dtype: 'int8' });
      expect(sut.inputQuantization).toEqual({ scale: Math.fround(0.1), zeroPoint: 0, dtype: 'int8' });
      expect(sut.outputQuantization).toBeUndefined();
      expect(sut.model.layers).toEqual([{ op: 'relu' }]);
      expect(sut.traceValues).toEqual(['q', 'y']);
    });

    it('defaults a QuantizeLinear without zero point to uint8, zero point 0', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'float', [1, 4])
        .initializer('s', 'float', [], [0.5])
        .node('QuantizeLinear', ['x', 's'], ['q'], {}, 'quant')
        .node('Relu', ['q'], ['y'], {}, 'relu')
        .output('y', 'uint8')
        .toBytes();

      expect(importOnnx(bytes).inputQuantization).toEqual({ scale: 0.5, zeroPoint: 0, dtype: 'uint8' });
    });

    it('turns DequantizeLinear → QuantizeLinear into one requantize with real = s / s_y', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 4])
        .initializer('s', 'float', [], [0.5])
        .initializer('sy', 'float', [], [0.25])
        .initializer('zy', 'uint8', [], [1])
        .node('DequantizeLinear', ['x', 's'], ['f'], {}, 'dq')
        .node('QuantizeLinear', ['f', 'sy', 'zy'], ['y'], {}, 'q')
        .output('y', 'uint8')
        .toBytes();

      const sut = importOnnx(bytes);

      expect(sut.model.layers).toEqual([
        { op: 'requantize', multiplier: 2, shift: 0, zeroPoint: 1, dtype: 'uint8' },
      ]);
      expect(outputOf(sut.model, [-1, 0, 3, 127])).toEqual([0, 1, 7, 255]);
      expect(sut.layerSources).toEqual(['q']);
      expect(sut.traceValues).toEqual(['x', 'y']);
    });

    it('subtracts a nonzero DequantizeLinear zero point in a shift layer first', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 4])
        .initializer('s', 'float', [], [0.5])
        .initializer('z', 'int8', [], [2])
        .initializer('sy', 'float', [], [1])
        .initializer('zy', 'int8', [], [0])
        .node('DequantizeLinear', ['x', 's', 'z'], ['f'], {}, 'dq')
        .node('QuantizeLinear', ['f', 'sy', 'zy'], ['y'], {}, 'q')
        .output('y', 'int8')
        .toBytes();

      const sut = importOnnx(bytes);

      expect(sut.model.layers).toEqual([
        { op: 'requantize', multiplier: 1, shift: 0, zeroPoint: -2, dtype: 'int16' },
        { op: 'requantize', multiplier: 1, shift: 1, zeroPoint: 0, dtype: 'int8' },
      ]);
      // (x − 2) · 0.5, half up
      expect(outputOf(sut.model, [2, 3, 4, 5])).toEqual([0, 1, 1, 2]);
      expect(sut.layerSources).toEqual(['dq', 'q']);
      expect(sut.traceValues).toEqual(['x', null, 'y']);
    });

    it('ends the model at a trailing DequantizeLinear and records the output quantization', () => {
      const bytes = matMulIntegerGraph()
        .initializer('s', 'float', [], [0.25])
        .node('DequantizeLinear', ['y', 's'], ['out'], {}, 'dq')
        .output('out', 'float')
        .toBytes();

      const sut = importOnnx(bytes, { output: 'out' });

      expect(sut.model.layers.map((l) => l.op)).toEqual(['dense']);
      expect(sut.outputQuantization).toEqual({ scale: 0.25, zeroPoint: 0 });
      expect(sut.traceValues).toEqual(['x', 'y']);
    });
  });

  describe('ArgMax', () => {
    it.each([
      [1, 0],
      [-1, 1],
    ])('after a trailing DequantizeLinear becomes argmax (axis %d, keepdims %d)', (axis, keepdims) => {
      const bytes = matMulIntegerGraph()
        .initializer('s', 'float', [], [0.25])
        .node('DequantizeLinear', ['y', 's'], ['out'], {}, 'dq')
        .node('ArgMax', ['out'], ['label'], { axis, keepdims }, 'argmax')
        .output('label', 'int64')
        .toBytes();

      const sut = importOnnx(bytes, { output: 'label' });

      expect(sut.model.layers.map((l) => l.op)).toEqual(['dense', 'argmax']);
      expect(sut.outputQuantization).toEqual({ scale: 0.25, zeroPoint: 0 });
      expect(outputOf(sut.model, [1, -1, 3])).toEqual([0]);
      expect(sut.layerSources).toEqual(['mm', 'argmax']);
      expect(sut.traceValues).toEqual(['x', 'y', 'label']);
    });

    it('on an integer tensor becomes argmax (the first maximum)', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 5])
        .node('ArgMax', ['x'], ['label'], { axis: 1 }, 'argmax')
        .output('label', 'int64')
        .toBytes();

      const sut = importOnnx(bytes);

      expect(sut.model.layers).toEqual([{ op: 'argmax' }]);
      expect(sut.outputQuantization).toBeUndefined();
      expect(outputOf(sut.model, [3, 9, -1, 9, 0])).toEqual([1]);
    });
  });

  describe('Relu, MaxPool, Flatten, Reshape, Identity', () => {
    it('maps Relu on an int32 accumulator to relu', () => {
      const bytes = matMulIntegerGraph()
        .node('Relu', ['y'], ['r'], {}, 'relu')
        .output('r', 'int32')
        .toBytes();

      const sut = importOnnx(bytes, { output: 'r' });

      expect(sut.model.layers.map((l) => l.op)).toEqual(['dense', 'relu']);
      expect(outputOf(sut.model, [1, -1, 3])).toEqual([98, 0]);
    });

    it('maps MaxPool to maxpool with the ONNX default stride 1 made explicit', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 1, 3, 3])
        .node('MaxPool', ['x'], ['y'], { kernel_shape: [2, 2] }, 'pool')
        .output('y', 'int8')
        .toBytes();

      const sut = importOnnx(bytes);

      expect(sut.model.layers).toEqual([{ op: 'maxpool', kernel: [2, 2], stride: [1, 1] }]);
      expect(outputOf(sut.model, [1, 5, 2, -3, 0, 7, 4, -8, 6])).toEqual([5, 7, 4, 7]);
    });

    it('maps Flatten (axis 1) and a Reshape to [−1, N] to flatten; on 1-D values they vanish', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 2, 2, 2])
        .initializer('shape', 'int64', [2], [-1, 8])
        .node('Flatten', ['x'], ['f'], { axis: 1 }, 'flatten')
        .node('Reshape', ['f', 'shape'], ['r'], {}, 'reshape')
        .node('Identity', ['r'], ['y'], {}, 'identity')
        .output('y', 'int8')
        .toBytes();

      const sut = importOnnx(bytes);

      expect(sut.model.layers).toEqual([{ op: 'flatten' }]);
      expect(sut.traceValues).toEqual(['x', 'f']);
      expect(sut.model.tensors[1].shape).toEqual([8]);
    });

    it.each([[[1, 8]], [[0, -1]], [[-1, 8]]])(
      'maps a Reshape to %j (a Constant node) to flatten',
      (target) => {
        const bytes = new OnnxGraphBuilder('g')
          .input('x', 'int8', [1, 2, 4])
          .node('Constant', [], ['shape'], { value_ints: target }, 'shape_const')
          .node('Reshape', ['x', 'shape'], ['y'], {}, 'reshape')
          .output('y', 'int8')
          .toBytes();

        const sut = importOnnx(bytes);

        expect(sut.model.layers).toEqual([{ op: 'flatten' }]);
        expect(sut.model.tensors[1].shape).toEqual([8]);
      },
    );
  });

  describe('options and encodings', () => {
    it('clips a graph name to the 200 characters a model document may hold', () => {
      const bytes = new OnnxGraphBuilder('n'.repeat(201))
        .input('x', 'int8', [1, 4])
        .node('Relu', ['x'], ['y'], {}, 'relu')
        .output('y', 'int8')
        .toBytes();

      const sut = importOnnx(bytes);

      expect(sut.model.name).toBe('n'.repeat(200));
      expect(parseModel(modelToJson(sut.model)).name).toBe(sut.model.name);
    });

    it('takes the model name, the multiplier bits and the output from the options', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 4])
        .initializer('s', 'float', [], [0.3])
        .initializer('sy', 'float', [], [0.7])
        .initializer('zy', 'int8', [], [0])
        .node('DequantizeLinear', ['x', 's'], ['f'], {}, 'dq')
        .node('QuantizeLinear', ['f', 'sy', 'zy'], ['q'], {}, 'q')
        .node('Relu', ['q'], ['y'], {}, 'relu')
        .output('y', 'int8')
        .toBytes();

      const sut = importOnnx(bytes, { name: 'named', multiplierBits: 8, output: 'q' });

      expect(sut.model.name).toBe('named');
      expect(sut.model.layers).toEqual([
        {
          op: 'requantize',
          ...quantizeMultiplier(Math.fround(0.3) / Math.fround(0.7), 8),
          zeroPoint: 0,
          dtype: 'int8',
        },
      ]);
      expect((sut.model.layers[0] as { multiplier: number }).multiplier).toBeLessThan(256);
    });

    it('reads initializers from int32_data, float_data and int64_data as from raw_data', () => {
      const graph = new OnnxGraphBuilder('g')
        .input('x', 'uint8', [1, 1, 2, 2])
        .initializer('xs', 'float', [], [0.02])
        .initializer('xz', 'uint8', [], [7])
        .initializer('w', 'int8', [3, 1, 1, 1], [5, -6, 7])
        .initializer('ws', 'float', [], [0.03])
        .initializer('wz', 'int8', [], [0])
        .initializer('ys', 'float', [], [0.05])
        .initializer('yz', 'uint8', [], [100])
        .initializer('B', 'int32', [3], [-70000, 0, 70000])
        .initializer('shape', 'int64', [2], [1, 12])
        .node('QLinearConv', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'B'], ['c'], {}, 'qc')
        .node('Reshape', ['c', 'shape'], ['y'], {}, 'reshape')
        .output('y', 'uint8')
        .toBytes();

      const raw = importOnnx(graph);
      const typed = importOnnx(withTypedFields(graph));

      expect(typed.model).toEqual(raw.model);
      expect(raw.model.layers.map((l) => l.op)).toEqual(['conv2d', 'requantize', 'flatten']);
    });
  });

  describe('verilay models in the integer ONNX form', () => {
    it.each([
      ['an MLP', randomModel({ seed: 11, kind: 'mlp', sizes: [32, 16, 10], argmax: true })],
      ['a CNN', randomModel({ seed: 12, kind: 'cnn', sizes: [2, 8, 8, 3, 10], argmax: true })],
    ])('imports %s back to the same layers and the same traces', (_, model) => {
      const sut = importOnnx(integerOnnx(model));

      expect(sut.model.layers).toEqual(model.layers.map(normalizeLayer));
      expect(sut.model.input).toEqual(model.input);
      for (let seed = 0; seed < 20; seed++) {
        const input = randomInput(model, seed);
        expect(traceOf(sut.model, input)).toEqual(traceOf(model, input));
      }
    });
  });
});
