import { OnnxGraphBuilder } from '@verilay/onnx';
import { CNN_SHAPE } from './float-cnn';
import { MLP_HIDDEN } from './float-mlp';
import { CLASSES, IMAGE_SIZE, PIXELS } from './mnist-data';
import type { QuantizedCnn, QuantizedMatMul, QuantizedMlp } from './quantize-mnist';

// The quantized models as ONNX (opset 14), from the same integers and float32 scales as the verilay
// models. The float input `pixels` (p in [0, 1]) is quantized in the graph to the same bytes the
// verilay model takes; the graph returns `digit` (int64) and the dequantized `logits`.

/**
 * pixels [1,784] -> QuantizeLinear -> fc1 (MatMulInteger, Add, DequantizeLinear, QuantizeLinear
 * uint8) -> fc2 (..., QuantizeLinear int8) -> DequantizeLinear -> logits -> ArgMax -> digit.
 */
export function mlpToOnnx(q: QuantizedMlp): Uint8Array {
  const g = new OnnxGraphBuilder('mnist-mlp').input('pixels', 'float', [1, PIXELS]);
  quantizeInput(g, q.inputScale);
  quantization(g, 'hidden', q.hiddenScale, 'uint8');
  matMulLayer(g, 'fc1', q.fc1, PIXELS, MLP_HIDDEN, ['pixels_q', 'input.zero_point'], 'hidden');
  logitsLayer(g, 'fc2', q.fc2, MLP_HIDDEN, q.logitScale, ['hidden_q', 'hidden.zero_point']);
  return g.toBytes();
}

/**
 * pixels [1,1,28,28] -> QuantizeLinear -> conv1 (QLinearConv, uint8 out) -> MaxPool -> Flatten ->
 * fc (MatMulInteger, Add, DequantizeLinear, QuantizeLinear int8) -> DequantizeLinear -> ArgMax.
 */
export function cnnToOnnx(q: QuantizedCnn): Uint8Array {
  const { filters, kernel, stride, features } = CNN_SHAPE;
  const g = new OnnxGraphBuilder('mnist-cnn').input('pixels', 'float', [1, 1, IMAGE_SIZE, IMAGE_SIZE]);
  quantizeInput(g, q.inputScale);
  // uint8 weights with zero point 128, the same integers (see matMulLayer for why).
  g.initializer('conv1.weight.scale', 'float', [], [q.conv.weightScale]).initializer(
    'conv1.weight.zero_point',
    'uint8',
    [],
    [128],
  );
  quantization(g, 'hidden', q.hiddenScale, 'uint8');
  g.initializer(
    'conv1.weight',
    'uint8',
    [filters, 1, kernel, kernel],
    Uint8Array.from(q.conv.weights, (w) => w + 128),
  )
    .initializer('conv1.bias', 'int32', [filters], q.conv.bias)
    .node(
      'QLinearConv',
      [
        'pixels_q',
        'input.scale',
        'input.zero_point',
        'conv1.weight',
        'conv1.weight.scale',
        'conv1.weight.zero_point',
        'hidden.scale',
        'hidden.zero_point',
        'conv1.bias',
      ],
      ['conv1_q'],
      { kernel_shape: [kernel, kernel], strides: [stride, stride], pads: [0, 0, 0, 0] },
      'conv1',
    )
    .node('MaxPool', ['conv1_q'], ['pool1_q'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool1')
    .node('Flatten', ['pool1_q'], ['features_q'], { axis: 1 }, 'flatten');
  logitsLayer(g, 'fc', q.fc, features, q.logitScale, ['features_q', 'hidden.zero_point']);
  return g.toBytes();
}

/** pixels -> QuantizeLinear(1/255, 0 uint8) -> pixels_q. */
function quantizeInput(g: OnnxGraphBuilder, inputScale: number): void {
  quantization(g, 'input', inputScale, 'uint8');
  g.node('QuantizeLinear', ['pixels', 'input.scale', 'input.zero_point'], ['pixels_q'], {}, 'quantize_input');
}

/** The initializers `<value>.scale` (float32) and `<value>.zero_point` (0, of the value's type). */
function quantization(g: OnnxGraphBuilder, value: string, scale: number, type: 'uint8' | 'int8'): void {
  g.initializer(`${value}.scale`, 'float', [], [scale]).initializer(`${value}.zero_point`, type, [], [0]);
}

/**
 * `<name>`: MatMulInteger(input, weight [in,out]) -> `<name>_bias`: Add(bias) ->
 * `<name>_dequantize`: DequantizeLinear(accScale) -> `<name>_requant`: QuantizeLinear(`<out>.scale`,
 * `<out>.zero_point`) -> `<out>_q`.
 *
 * The int8 weights are stored as uint8 with zero point 128 (the same integers): uint8 activations
 * times int8 weights run in ONNX Runtime, on x86-64 CPUs with AVX2 and no VNNI, through
 * VPMADDUBSW, whose int16 pairwise sums saturate (ORT's documented caveat), so ORT's answers
 * depended on the CPU (99.40% agreement with the exact integers on an AMD EPYC); uint8 × uint8 is
 * exact on every CPU.
 */
function matMulLayer(
  g: OnnxGraphBuilder,
  name: string,
  layer: QuantizedMatMul,
  inFeatures: number,
  outFeatures: number,
  [input, inputZeroPoint]: readonly [string, string],
  out: string,
): void {
  const weights = Uint8Array.from(transposeInt8(layer.weights, outFeatures, inFeatures), (w) => w + 128);
  const [acc, biased, real] = [`${name}_acc`, `${name}_acc_biased`, `${name}_real`];
  g.initializer(`${name}.weight`, 'uint8', [inFeatures, outFeatures], weights)
    .initializer(`${name}.weight.zero_point`, 'uint8', [], [128])
    .initializer(`${name}.bias`, 'int32', [outFeatures], layer.bias)
    .initializer(`${name}.acc_scale`, 'float', [], [layer.accScale])
    .node(
      'MatMulInteger',
      [input, `${name}.weight`, inputZeroPoint, `${name}.weight.zero_point`],
      [acc],
      {},
      name,
    )
    .node('Add', [acc, `${name}.bias`], [biased], {}, `${name}_bias`)
    .node('DequantizeLinear', [biased, `${name}.acc_scale`], [real], {}, `${name}_dequantize`)
    .node('QuantizeLinear', [real, `${out}.scale`, `${out}.zero_point`], [`${out}_q`], {}, `${name}_requant`);
}

/** The last dense layer to int8 logits, their dequantization, ArgMax, and the graph outputs. */
function logitsLayer(
  g: OnnxGraphBuilder,
  name: string,
  layer: QuantizedMatMul,
  inFeatures: number,
  logitScale: number,
  input: readonly [string, string],
): void {
  quantization(g, 'logits', logitScale, 'int8');
  matMulLayer(g, name, layer, inFeatures, CLASSES, input, 'logits');
  const dequantize = ['logits_q', 'logits.scale', 'logits.zero_point'];
  g.node('DequantizeLinear', dequantize, ['logits'], {}, 'logits_dequantize')
    .node('ArgMax', ['logits'], ['digit'], { axis: 1, keepdims: 0 }, 'argmax')
    .output('digit', 'int64', [1])
    .output('logits', 'float', [1, CLASSES]);
}

/** ONNX MatMul weights are [in][out]; verilay's dense weights are [out][in]. */
function transposeInt8(w: Int8Array, rows: number, cols: number): Int8Array {
  const t = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
  return t;
}
