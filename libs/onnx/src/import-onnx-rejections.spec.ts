import { onnx } from 'onnx-proto';
import { importOnnx, type OnnxImportOptions } from './import-onnx';
import { importError } from './import-onnx.spec-helper';
import { OnnxGraphBuilder, type OnnxAttributeValue } from './onnx-graph-builder';

/** Asserts the import fails with ONNX_UNSUPPORTED naming `node` and `op`, for `reason`. */
function expectRejection(
  bytes: Uint8Array,
  node: string | null,
  op: string | null,
  reason: RegExp,
  options?: OnnxImportOptions,
) {
  const error = importError(() => importOnnx(bytes, options));
  expect(error.code).toBe('ONNX_UNSUPPORTED');
  expect(error.meta).toEqual({ node, op });
  if (node !== null) expect(error.message).toContain(`node "${node}" (${op})`);
  expect(error.message).toMatch(reason);
}

/** Decodes, edits and re-encodes a model (for what the builder does not write). */
function patch(bytes: Uint8Array, edit: (model: onnx.ModelProto) => void): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  edit(model);
  return onnx.ModelProto.encode(model).finish();
}

/** x int8 [1, 4] through MatMulInteger "mm" (B 4x2 of ones) into "acc". */
const dense = () =>
  new OnnxGraphBuilder('g')
    .input('x', 'int8', [1, 4])
    .initializer('B', 'int8', [4, 2], new Array(8).fill(1))
    .node('MatMulInteger', ['x', 'B'], ['acc'], {}, 'mm');

/** x int8 [1, 1, 4, 4] through ConvInteger "conv" (2x2 ones) with the given attributes. */
const convWith = (attributes: Record<string, OnnxAttributeValue>) =>
  new OnnxGraphBuilder('g')
    .input('x', 'int8', [1, 1, 4, 4])
    .initializer('w', 'int8', [1, 1, 2, 2], [1, 1, 1, 1])
    .node('ConvInteger', ['x', 'w'], ['y'], attributes, 'conv')
    .output('y', 'int32')
    .toBytes();

/** x int8 [1, 1, 4, 4] through MaxPool "pool" with the given attributes. */
const poolWith = (attributes: Record<string, OnnxAttributeValue>, outputs = ['y']) =>
  new OnnxGraphBuilder('g')
    .input('x', 'int8', [1, 1, 4, 4])
    .node('MaxPool', ['x'], outputs, { kernel_shape: [2, 2], ...attributes }, 'pool')
    .output('y', 'int8')
    .toBytes();

/** QLinear scales and zero points, with the weight scale as given. */
const qlinear = (g: OnnxGraphBuilder, weightScales: number[], weightDims: number[]) =>
  g
    .initializer('xs', 'float', [], [0.1])
    .initializer('xz', 'int8', [], [0])
    .initializer('ws', 'float', weightDims, weightScales)
    .initializer('wz', 'int8', [], [0])
    .initializer('ys', 'float', [], [0.2])
    .initializer('yz', 'int8', [], [0]);

describe(importOnnx.name, () => {
  describe('graph structure', () => {
    it('rejects a branch: a value read by two nodes', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 4])
        .node('Relu', ['x'], ['a'], {}, 'relu_a')
        .node('Relu', ['x'], ['b'], {}, 'relu_b')
        .output('a', 'int8')
        .toBytes();
      expectRejection(bytes, 'relu_b', 'Relu', /2 nodes read .*not a branching graph/);
    });

    it('rejects weights that are computed, not constant', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 4])
        .initializer('B0', 'int8', [4, 2], new Array(8).fill(1))
        .node('Identity', ['B0'], ['B'], {}, 'weights_copy')
        .node('MatMulInteger', ['x', 'B'], ['y'], {}, 'mm')
        .output('y', 'int32')
        .toBytes();
      expectRejection(bytes, 'mm', 'MatMulInteger', /input "B" \(weights\) is not a constant/);
    });

    it('rejects an operator from another domain (com.microsoft)', () => {
      const bytes = patch(
        new OnnxGraphBuilder('g')
          .input('x', 'int8', [1, 4])
          .node('Relu', ['x'], ['y'], {}, 'ms_relu')
          .output('y', 'int8')
          .toBytes(),
        (m) => (m.graph!.node![0].domain = 'com.microsoft'),
      );
      expectRejection(bytes, 'ms_relu', 'Relu', /domain "com.microsoft" is not supported/);
    });

    it('rejects a batch larger than 1', () => {
      const bytes = dense().output('acc', 'int32').toBytes();
      expectRejection(
        patch(bytes, (m) => (m.graph!.input![0].type!.tensorType!.shape!.dim![0] = { dimValue: 4 })),
        'mm',
        'MatMulInteger',
        /graph input "x" has batch 4/,
      );
    });

    it('rejects an unknown (symbolic) input dimension other than the batch', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [null, null])
        .node('Relu', ['x'], ['y'], {}, 'relu')
        .output('y', 'int8')
        .toBytes();
      expectRejection(bytes, 'relu', 'Relu', /unknown dimension 1 \("N"\)/);
    });

    it('rejects a second graph input', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 4])
        .input('B', 'int8', [4, 2])
        .node('MatMulInteger', ['x', 'B'], ['y'], {}, 'mm')
        .output('y', 'int32')
        .toBytes();
      expectRejection(bytes, 'mm', 'MatMulInteger', /second graph input "B"/);
    });

    it('rejects a float graph input that is not quantized first', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'float', [1, 4])
        .node('Relu', ['x'], ['y'], {}, 'relu')
        .output('y', 'float')
        .toBytes();
      expectRejection(bytes, 'relu', 'Relu', /reads the float value "x"/);
    });

    it('rejects a float operator after a DequantizeLinear (other than QuantizeLinear, ArgMax and the QDQ forms)', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 4])
        .initializer('s', 'float', [], [0.5])
        .initializer('c', 'float', [1, 4], [1, 2, 3, 4])
        .node('DequantizeLinear', ['x', 's'], ['f'], {}, 'dq')
        .node('Add', ['f', 'c'], ['r'], {}, 'float_add')
        .output('r', 'float')
        .toBytes();
      expectRejection(bytes, 'float_add', 'Add', /verilay computes with integers only/);
    });

    it('rejects a per-axis QuantizeLinear', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'float', [1, 4])
        .initializer('s', 'float', [4], [0.1, 0.2, 0.3, 0.4])
        .initializer('z', 'int8', [4], [0, 0, 0, 0])
        .node('QuantizeLinear', ['x', 's', 'z'], ['q'], { axis: 1 }, 'quant')
        .node('Relu', ['q'], ['y'], {}, 'relu')
        .output('y', 'int8')
        .toBytes();
      expectRejection(bytes, 'quant', 'QuantizeLinear', /y_scale has 4 elements; only per-tensor/);
    });

    it('rejects QuantizeLinear on an integer value', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 4])
        .initializer('s', 'float', [], [0.5])
        .node('QuantizeLinear', ['x', 's'], ['y'], {}, 'quant')
        .output('y', 'uint8')
        .toBytes();
      expectRejection(bytes, 'quant', 'QuantizeLinear', /QuantizeLinear must read a float value/);
    });

    it('rejects an output name that is not in the graph', () => {
      const bytes = dense().output('acc', 'int32').toBytes();
      expectRejection(bytes, null, null, /no value named "nope"/, { output: 'nope' });
    });

    it('rejects bytes that are not an ONNX model', () => {
      expectRejection(Uint8Array.of(0xff, 0xff), null, null, /not an ONNX model/);
    });
  });

  describe('hostile constants (the file is untrusted)', () => {
    // A 120-byte file whose weights claim [2^26, 1, 0, 1]: the product matches "no data", and the
    // importer used to allocate 2^26 entries from the first dimension (a fatal out-of-memory).
    it.each([
      [[2 ** 26, 1, 0, 1], /dimension below 1/],
      [[-1, 1, -1, 2], /dimension below 1/],
      [[2 ** 12, 2 ** 12, 1, 1], /more than the 4194304/],
    ])('rejects weights of shape %j before allocating anything', (dims, reason) => {
      const bytes = patch(convWith({}), (m) => {
        const w = m.graph!.initializer!.find((t) => t.name === 'w')!;
        w.dims = dims;
        w.rawData = new Uint8Array(0);
      });
      expectRejection(bytes, 'conv', 'ConvInteger', reason);
    });

    it('rejects an int8/uint8 value outside its range in int32_data (ONNX Runtime would wrap it)', () => {
      const bytes = patch(
        dense().initializer('zp', 'uint8', [], [0]).output('acc', 'int32').toBytes(),
        (m) => {
          const mm = m.graph!.node!.find((n) => n.name === 'mm')!;
          mm.input = ['x', 'B', 'zp'];
          const zp = m.graph!.initializer!.find((t) => t.name === 'zp')!;
          zp.rawData = new Uint8Array(0);
          zp.int32Data = [300];
        },
      );
      expectRejection(bytes, 'mm', 'MatMulInteger', /outside \[0, 255\]/);
    });

    const qLinearMatMul = (xs: number, ws: number, ys: number) =>
      new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 2])
        .initializer('xs', 'float', [], [xs])
        .initializer('xz', 'int8', [], [0])
        .initializer('w', 'int8', [2, 1], [1, 1])
        .initializer('ws', 'float', [], [ws])
        .initializer('wz', 'int8', [], [0])
        .initializer('ys', 'float', [], [ys])
        .initializer('yz', 'int8', [], [0])
        .node('QLinearMatMul', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], ['y'], {}, 'qmm')
        .output('y', 'int8')
        .toBytes();

    // ONNX Runtime computes with float32 scales: where float32 underflows or overflows, its
    // results leave the exact fixed point (it gave 0 where verilay gave 9), so these are refused.
    it('rejects a subnormal scale', () => {
      expectRejection(qLinearMatMul(1, 1, 1.4e-45), 'qmm', 'QLinearMatMul', /normal float32/);
    });

    it('rejects a scale so large that an int32 times it overflows float32', () => {
      expectRejection(qLinearMatMul(1, 1, 1e37), 'qmm', 'QLinearMatMul', /normal float32/);
    });

    it('rejects input and weight scales whose float32 product underflows', () => {
      expectRejection(
        qLinearMatMul(1e-23, 1e-23, 1e-30),
        'qmm',
        'QLinearMatMul',
        /below float32's normal range/,
      );
    });
  });

  describe('MatMulInteger and Add', () => {
    it('rejects weights that do not fit int8 after subtracting the zero point', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'uint8', [1, 1])
        .initializer('B', 'uint8', [1, 2], [100, 200])
        .node('MatMulInteger', ['x', 'B'], ['y'], {}, 'mm')
        .output('y', 'int32')
        .toBytes();
      expectRejection(
        bytes,
        'mm',
        'MatMulInteger',
        /weight \[0\]\[1\] minus its zero point is 200, outside int8/,
      );
    });

    it('rejects a dense op on a tensor that is not flattened', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 2, 2])
        .initializer('B', 'int8', [2, 2], [1, 1, 1, 1])
        .node('MatMulInteger', ['x', 'B'], ['y'], {}, 'mm')
        .output('y', 'int32')
        .toBytes();
      expectRejection(bytes, 'mm', 'MatMulInteger', /expected \[1, K\] \(Flatten first\)/);
    });

    it('rejects MatMulInteger on an int32 accumulator', () => {
      const bytes = dense()
        .initializer('B2', 'int8', [2, 2], [1, 1, 1, 1])
        .node('MatMulInteger', ['acc', 'B2'], ['y'], {}, 'mm2')
        .output('y', 'int32')
        .toBytes();
      expectRejection(bytes, 'mm2', 'MatMulInteger', /reads the int32 value "acc"; it needs int8 or uint8/);
    });

    it('rejects an Add whose constant is not int32', () => {
      const bytes = dense()
        .initializer('b', 'int8', [2], [1, 2])
        .node('Add', ['acc', 'b'], ['y'], {}, 'add')
        .output('y', 'int32')
        .toBytes();
      expectRejection(bytes, 'add', 'Add', /bias must be an int32 constant .* got int8 \[2\]/);
    });

    it('rejects an Add whose constant has the wrong shape', () => {
      const bytes = dense()
        .initializer('b', 'int32', [2, 1], [1, 2])
        .node('Add', ['acc', 'b'], ['y'], {}, 'add')
        .output('y', 'int32')
        .toBytes();
      expectRejection(bytes, 'add', 'Add', /of shape \[2\] or \[1, 2\], got int32 \[2, 1\]/);
    });

    it('rejects a conv bias of shape [C], which ONNX broadcasts along the width', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 1, 2, 2])
        .initializer('w', 'int8', [2, 1, 1, 1], [1, -1])
        .initializer('b', 'int32', [2], [5, 7])
        .node('ConvInteger', ['x', 'w'], ['acc'], {}, 'conv')
        .node('Add', ['acc', 'b'], ['y'], {}, 'add')
        .output('y', 'int32')
        .toBytes();
      expectRejection(bytes, 'add', 'Add', /of shape \[2, 1, 1\] or \[1, 2, 1, 1\], got int32 \[2\]/);
    });

    it('rejects an Add that does not directly follow MatMulInteger or ConvInteger', () => {
      const bytes = dense()
        .initializer('b', 'int32', [2], [1, 2])
        .node('Relu', ['acc'], ['r'], {}, 'relu')
        .node('Add', ['r', 'b'], ['y'], {}, 'add')
        .output('y', 'int32')
        .toBytes();
      expectRejection(bytes, 'add', 'Add', /"r" is not the int32 output of MatMulInteger or ConvInteger/);
    });

    it('rejects an Add of a value to itself', () => {
      const bytes = dense().node('Add', ['acc', 'acc'], ['y'], {}, 'add').output('y', 'int32').toBytes();
      expectRejection(bytes, 'add', 'Add', /must add a constant/);
    });

    it('rejects a folded bias outside int32', () => {
      const bytes = dense()
        .initializer('b', 'int32', [2], [2147483647, 0])
        .initializer('bias2', 'int32', [2], [1, 0])
        .node('Add', ['acc', 'b'], ['a1'], {}, 'add1')
        .node('Add', ['a1', 'bias2'], ['y'], {}, 'add2')
        .output('y', 'int32')
        .toBytes();
      expectRejection(bytes, 'add2', 'Add', /bias of output 0 would be 2147483648, outside int32/);
    });

    it('wraps the loader rejecting an accumulator bound above 2^31 − 1, naming the node', () => {
      const bytes = dense()
        .initializer('b', 'int32', [2], [2147483600, 0])
        .node('Add', ['acc', 'b'], ['y'], {}, 'add')
        .output('y', 'int32')
        .toBytes();
      expectRejection(
        bytes,
        'mm',
        'MatMulInteger',
        /verilay layer 0 \(dense\) is invalid: .*int32 accumulator bound/,
      );
    });
  });

  describe('ConvInteger', () => {
    it('rejects dilations other than 1', () => {
      expectRejection(convWith({ dilations: [2, 2] }), 'conv', 'ConvInteger', /dilations \[2, 2\]/);
    });

    it('rejects group other than 1', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 2, 4, 4])
        .initializer('w', 'int8', [2, 1, 2, 2], new Array(8).fill(1))
        .node('ConvInteger', ['x', 'w'], ['y'], { group: 2 }, 'conv')
        .output('y', 'int32')
        .toBytes();
      expectRejection(bytes, 'conv', 'ConvInteger', /group 2 is not supported/);
    });

    it('rejects auto_pad other than NOTSET', () => {
      expectRejection(convWith({ auto_pad: 'SAME_UPPER' }), 'conv', 'ConvInteger', /auto_pad SAME_UPPER/);
    });

    it('rejects asymmetric pads', () => {
      expectRejection(
        convWith({ pads: [0, 0, 1, 1] }),
        'conv',
        'ConvInteger',
        /pads \[0, 0, 1, 1\] are not supported/,
      );
    });
  });

  describe('QLinearMatMul and QLinearConv', () => {
    it('rejects per-channel weight scales in QLinearMatMul', () => {
      const bytes = qlinear(new OnnxGraphBuilder('g').input('x', 'int8', [1, 2]), [0.1, 0.2], [2])
        .initializer('w', 'int8', [2, 2], [1, 2, 3, 4])
        .node('QLinearMatMul', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], ['y'], {}, 'qmm')
        .output('y', 'int8')
        .toBytes();
      expectRejection(bytes, 'qmm', 'QLinearMatMul', /per-channel weight scales are not supported/);
    });

    it('rejects per-channel weight scales in QLinearConv', () => {
      const bytes = qlinear(new OnnxGraphBuilder('g').input('x', 'int8', [1, 1, 2, 2]), [0.1, 0.2], [2])
        .initializer('w', 'int8', [2, 1, 1, 1], [1, 2])
        .node('QLinearConv', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], ['y'], {}, 'qconv')
        .output('y', 'int8')
        .toBytes();
      expectRejection(bytes, 'qconv', 'QLinearConv', /per-channel weight scales are not supported/);
    });

    it('rejects a rescale factor too large for the multiplier', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 2])
        .initializer('xs', 'float', [], [1])
        .initializer('xz', 'int8', [], [0])
        .initializer('w', 'int8', [2, 1], [1, 1])
        .initializer('ws', 'float', [], [1])
        .initializer('wz', 'int8', [], [0])
        .initializer('ys', 'float', [], [1e-8])
        .initializer('yz', 'int8', [], [0])
        .node('QLinearMatMul', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], ['y'], {}, 'qmm')
        .output('y', 'int8')
        .toBytes();
      expectRejection(bytes, 'qmm', 'QLinearMatMul', /has no 24-bit multiplier/);
    });
  });

  describe('Relu, MaxPool, Flatten, Reshape, ArgMax', () => {
    it('rejects Relu on a quantized tensor with a nonzero zero point', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'float', [1, 4])
        .initializer('s', 'float', [], [0.1])
        .initializer('z', 'int8', [], [3])
        .node('QuantizeLinear', ['x', 's', 'z'], ['q'], {}, 'quant')
        .node('Relu', ['q'], ['y'], {}, 'relu')
        .output('y', 'int8')
        .toBytes();
      expectRejection(bytes, 'relu', 'Relu', /zero point 3: the real ReLU is max\(q, 3\)/);
    });

    it('rejects MaxPool padding', () => {
      expectRejection(
        poolWith({ pads: [1, 1, 1, 1] }),
        'pool',
        'MaxPool',
        /verilay's maxpool has no padding/,
      );
    });

    it('rejects MaxPool ceil_mode', () => {
      expectRejection(poolWith({ ceil_mode: 1 }), 'pool', 'MaxPool', /ceil_mode 1/);
    });

    it('rejects MaxPool dilations', () => {
      expectRejection(poolWith({ dilations: [2, 2] }), 'pool', 'MaxPool', /dilations \[2, 2\]/);
    });

    it('rejects MaxPool storage_order', () => {
      expectRejection(poolWith({ storage_order: 1 }), 'pool', 'MaxPool', /storage_order 1/);
    });

    it('rejects the MaxPool Indices output', () => {
      expectRejection(poolWith({}, ['y', 'indices']), 'pool', 'MaxPool', /Indices output/);
    });

    it('rejects Flatten on an axis other than 1', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 2, 2, 2])
        .node('Flatten', ['x'], ['y'], { axis: 2 }, 'flatten')
        .output('y', 'int8')
        .toBytes();
      expectRejection(bytes, 'flatten', 'Flatten', /axis 2 is not supported/);
    });

    it('rejects a Reshape that is not a flatten', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 8])
        .initializer('shape', 'int64', [3], [1, 2, 4])
        .node('Reshape', ['x', 'shape'], ['y'], {}, 'reshape')
        .output('y', 'int8')
        .toBytes();
      expectRejection(bytes, 'reshape', 'Reshape', /reshapes \[1, 8\] to \[1, 2, 4\]/);
    });

    it('rejects a Reshape to [N], which drops the batch dimension later ops count', () => {
      // ORT: Flatten(axis 1) of a 1-D [4] is [4, 1], and ArgMax(axis 1) of that is four zeros.
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 4])
        .initializer('shape', 'int64', [1], [4])
        .node('Reshape', ['x', 'shape'], ['y'], {}, 'reshape')
        .output('y', 'int8')
        .toBytes();
      expectRejection(bytes, 'reshape', 'Reshape', /only a flatten to \[1, N\]/);
    });

    it('rejects ArgMax on an axis other than the features', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 4])
        .node('ArgMax', ['x'], ['y'], {}, 'argmax')
        .output('y', 'int64')
        .toBytes();
      expectRejection(bytes, 'argmax', 'ArgMax', /axis 0 is not supported/);
    });

    it('rejects ArgMax with select_last_index 1', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 4])
        .node('ArgMax', ['x'], ['y'], { axis: 1, select_last_index: 1 }, 'argmax')
        .output('y', 'int64')
        .toBytes();
      expectRejection(bytes, 'argmax', 'ArgMax', /select_last_index 1/);
    });

    it('rejects a node after ArgMax', () => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 4])
        .node('ArgMax', ['x'], ['i'], { axis: 1 }, 'argmax')
        .node('Cast', ['i'], ['y'], { to: 6 }, 'cast')
        .output('y', 'int32')
        .toBytes();
      expectRejection(bytes, 'cast', 'Cast', /ArgMax must end the model/);
    });
  });

  describe('operators without a verilay layer', () => {
    it.each([
      ['Conv', /float operator; quantize the model so that it uses QLinearConv or ConvInteger/],
      ['MatMul', /float operator; quantize the model so that it uses QLinearMatMul or MatMulInteger/],
      ['Gemm', /float operator/],
      ['Sigmoid', /no verilay layer computes it/],
      ['Softmax', /no verilay layer computes it/],
      ['AveragePool', /its integer form \(QLinearAveragePool\) is outside the standard ONNX domain/],
    ])('rejects %s', (op, reason) => {
      const bytes = new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 1, 4, 4])
        .node(op, ['x'], ['y'], {}, `${op.toLowerCase()}_0`)
        .output('y', 'int8')
        .toBytes();
      expectRejection(
        bytes,
        `${op.toLowerCase()}_0`,
        op,
        new RegExp(`operator ${op} is not supported: .*${reason.source}`),
      );
    });
  });
});
