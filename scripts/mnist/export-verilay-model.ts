import { buildModel, quantizeMultiplier, type Model, type RequantizeLayer } from '@verilay/inference';
import { CNN_SHAPE } from './float-cnn';
import { MLP_HIDDEN } from './float-mlp';
import { CLASSES, IMAGE_SIZE, PIXELS } from './mnist-data';
import type { QuantizedCnn, QuantizedMlp } from './quantize-mnist';

/**
 * The quantized MLP as a verilay model: dense 784->64, requantize to uint8 (zero point 0, so the
 * clamp at 0 is the ReLU), dense 64->10, requantize to int8, argmax. Input: the 784 pixel bytes.
 */
export function mlpToVerilay(q: QuantizedMlp, name = 'mnist-mlp'): Model {
  return buildModel({
    name,
    input: { shape: [PIXELS], dtype: 'uint8' },
    layers: [
      { op: 'dense', inFeatures: PIXELS, outFeatures: MLP_HIDDEN, weights: q.fc1.weights, bias: q.fc1.bias },
      requantize(matMulRescale(q.fc1.accScale, q.hiddenScale), 'uint8'),
      { op: 'dense', inFeatures: MLP_HIDDEN, outFeatures: CLASSES, weights: q.fc2.weights, bias: q.fc2.bias },
      requantize(matMulRescale(q.fc2.accScale, q.logitScale), 'int8'),
      { op: 'argmax' },
    ],
  });
}

/**
 * The quantized CNN as a verilay model: conv2d 1->8 5x5 stride 2, requantize to uint8 (the ReLU),
 * maxpool 2x2, flatten, dense 288->10, requantize to int8, argmax. Input: the [1,28,28] bytes.
 */
export function cnnToVerilay(q: QuantizedCnn, name = 'mnist-cnn'): Model {
  const { filters, kernel, stride, features } = CNN_SHAPE;
  return buildModel({
    name,
    input: { shape: [1, IMAGE_SIZE, IMAGE_SIZE], dtype: 'uint8' },
    layers: [
      {
        op: 'conv2d',
        inChannels: 1,
        outChannels: filters,
        kernel: [kernel, kernel],
        stride: [stride, stride],
        padding: [0, 0],
        weights: q.conv.weights,
        bias: q.conv.bias,
      },
      requantize(qlinearConvRescale(q.inputScale, q.conv.weightScale, q.hiddenScale), 'uint8'),
      { op: 'maxpool', kernel: [2, 2], stride: [2, 2] },
      { op: 'flatten' },
      { op: 'dense', inFeatures: features, outFeatures: CLASSES, weights: q.fc.weights, bias: q.fc.bias },
      requantize(matMulRescale(q.fc.accScale, q.logitScale), 'int8'),
      { op: 'argmax' },
    ],
  });
}

// The two rescale rules below are the ONNX importer's, to the bit: importing the exported ONNX
// file must give the same verilay model (the same modelId).

/**
 * MatMulInteger + Add + DequantizeLinear(acc, accScale) + QuantizeLinear(outScale): the real
 * factor is the float64 quotient of the two float32 scales stored in the file.
 */
export function matMulRescale(accScale: number, outScale: number): number {
  return Math.fround(accScale) / Math.fround(outScale);
}

/** QLinearConv: x_scale * w_scale / y_scale in float64, left to right, of the float32 scales. */
export function qlinearConvRescale(xScale: number, wScale: number, yScale: number): number {
  return (Math.fround(xScale) * Math.fround(wScale)) / Math.fround(yScale);
}

function requantize(real: number, dtype: 'uint8' | 'int8'): RequantizeLayer {
  const { multiplier, shift } = quantizeMultiplier(real);
  return { op: 'requantize', multiplier, shift, zeroPoint: 0, dtype };
}
