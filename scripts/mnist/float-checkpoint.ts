import { OnnxGraphBuilder } from '@verilay/onnx';
import { onnx } from 'onnx-proto';
import { CNN_SHAPE, FloatCnn, type CnnWeights } from './float-cnn';
import { FloatMlp, MLP_HIDDEN, type MlpWeights } from './float-mlp';
import { CLASSES, IMAGE_SIZE, PIXELS } from './mnist-data';

// The trained float networks are kept as plain float32 ONNX models (mnist-*.float.onnx): a
// checkpoint any ONNX tool can read and run, and the one input of quantization. Quantization
// always starts from the weights read back from this file, so the shipped quantized models can be
// re-derived from it without training again (scripts/mnist/mnist-models.spec.ts does).

/** The float MLP as ONNX: pixels [1,784] -> MatMul -> Add -> Relu -> MatMul -> Add -> logits, digit. */
export function floatMlpToOnnx(net: MlpWeights): Uint8Array {
  return new OnnxGraphBuilder('mnist-mlp-float')
    .input('pixels', 'float', [1, PIXELS])
    .initializer('fc1.weight', 'float', [PIXELS, MLP_HIDDEN], transpose(net.w1, MLP_HIDDEN, PIXELS))
    .initializer('fc1.bias', 'float', [MLP_HIDDEN], net.b1)
    .initializer('fc2.weight', 'float', [MLP_HIDDEN, CLASSES], transpose(net.w2, CLASSES, MLP_HIDDEN))
    .initializer('fc2.bias', 'float', [CLASSES], net.b2)
    .node('MatMul', ['pixels', 'fc1.weight'], ['fc1_out'], {}, 'fc1')
    .node('Add', ['fc1_out', 'fc1.bias'], ['fc1_biased'], {}, 'fc1_bias')
    .node('Relu', ['fc1_biased'], ['hidden'], {}, 'relu1')
    .node('MatMul', ['hidden', 'fc2.weight'], ['fc2_out'], {}, 'fc2')
    .node('Add', ['fc2_out', 'fc2.bias'], ['logits'], {}, 'fc2_bias')
    .node('ArgMax', ['logits'], ['digit'], { axis: 1, keepdims: 0 }, 'argmax')
    .output('digit', 'int64', [1])
    .output('logits', 'float', [1, CLASSES])
    .toBytes();
}

export function floatMlpFromOnnx(bytes: Uint8Array): FloatMlp {
  const read = initializers(bytes);
  return new FloatMlp({
    w1: transpose(read('fc1.weight', [PIXELS, MLP_HIDDEN]), PIXELS, MLP_HIDDEN),
    b1: read('fc1.bias', [MLP_HIDDEN]),
    w2: transpose(read('fc2.weight', [MLP_HIDDEN, CLASSES]), MLP_HIDDEN, CLASSES),
    b2: read('fc2.bias', [CLASSES]),
  });
}

/** The float CNN as ONNX: pixels [1,1,28,28] -> Conv -> Relu -> MaxPool -> Flatten -> MatMul -> Add. */
export function floatCnnToOnnx(net: CnnWeights): Uint8Array {
  const { filters, kernel, stride, features } = CNN_SHAPE;
  return new OnnxGraphBuilder('mnist-cnn-float')
    .input('pixels', 'float', [1, 1, IMAGE_SIZE, IMAGE_SIZE])
    .initializer('conv1.weight', 'float', [filters, 1, kernel, kernel], net.convWeights)
    .initializer('conv1.bias', 'float', [filters], net.convBias)
    .initializer('fc.weight', 'float', [features, CLASSES], transpose(net.denseWeights, CLASSES, features))
    .initializer('fc.bias', 'float', [CLASSES], net.denseBias)
    .node(
      'Conv',
      ['pixels', 'conv1.weight', 'conv1.bias'],
      ['conv1_out'],
      { kernel_shape: [kernel, kernel], strides: [stride, stride], pads: [0, 0, 0, 0] },
      'conv1',
    )
    .node('Relu', ['conv1_out'], ['conv1_relu'], {}, 'relu1')
    .node('MaxPool', ['conv1_relu'], ['pool1_out'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool1')
    .node('Flatten', ['pool1_out'], ['features'], { axis: 1 }, 'flatten')
    .node('MatMul', ['features', 'fc.weight'], ['fc_out'], {}, 'fc')
    .node('Add', ['fc_out', 'fc.bias'], ['logits'], {}, 'fc_bias')
    .node('ArgMax', ['logits'], ['digit'], { axis: 1, keepdims: 0 }, 'argmax')
    .output('digit', 'int64', [1])
    .output('logits', 'float', [1, CLASSES])
    .toBytes();
}

export function floatCnnFromOnnx(bytes: Uint8Array): FloatCnn {
  const { filters, kernel, features } = CNN_SHAPE;
  const read = initializers(bytes);
  return new FloatCnn({
    convWeights: read('conv1.weight', [filters, 1, kernel, kernel]),
    convBias: read('conv1.bias', [filters]),
    denseWeights: transpose(read('fc.weight', [features, CLASSES]), features, CLASSES),
    denseBias: read('fc.bias', [CLASSES]),
  });
}

/** A reader of the float32 initializers of an ONNX model (raw_data, as OnnxGraphBuilder writes). */
function initializers(bytes: Uint8Array): (name: string, dims: readonly number[]) => Float64Array {
  const tensors = onnx.ModelProto.decode(bytes).graph?.initializer ?? [];
  return (name, dims) => {
    const tensor = tensors.find((t) => t.name === name);
    const raw = tensor?.rawData;
    if (!tensor || !raw) throw new Error(`float checkpoint has no raw initializer ${name}`);
    const shape = (tensor.dims ?? []).map(Number);
    if (tensor.dataType !== onnx.TensorProto.DataType.FLOAT || shape.join() !== dims.join())
      throw new Error(`initializer ${name} must be float [${dims}], got type ${tensor.dataType} [${shape}]`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    return Float64Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
  };
}

/** The transpose of a row-major [rows][cols] matrix. */
export function transpose(m: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
  return t;
}
