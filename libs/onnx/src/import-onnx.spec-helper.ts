// Helpers shared by the ONNX import specs: seeded random integers, a catcher for import errors,
// and a small exporter of verilay models to the integer ONNX form (the round-trip tests' source).
import { splitmix32, type Layer, type Model } from '@verilay/inference';
import { OnnxGraphBuilder } from './onnx-graph-builder';
import { OnnxImportError } from './onnx-import.error';

/** Seeded uniform integers in [lo, hi]. */
export function randomInts(seed: number): (n: number, lo: number, hi: number) => number[] {
  const rand = splitmix32(seed);
  return (n, lo, hi) => Array.from({ length: n }, () => lo + Math.floor(rand() * (hi - lo + 1)));
}

/** The OnnxImportError `fn` throws (fails the test if it throws something else or nothing). */
export function importError(fn: () => unknown): OnnxImportError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OnnxImportError) return error;
    throw error;
  }
  throw new Error('expected an OnnxImportError, nothing was thrown');
}

/** [out][in] row-major weights as ONNX MatMul B: [in][out]. */
export function transpose(weights: ArrayLike<number>, outputs: number, inputs: number): number[] {
  return Array.from(
    { length: inputs * outputs },
    (_, i) => weights[(i % outputs) * inputs + Math.floor(i / outputs)],
  );
}

/**
 * A verilay model (int8 input; requantize only on int32 accumulators, multipliers below 2^24)
 * written in the integer ONNX form: MatMulInteger/ConvInteger + Add, DequantizeLinear →
 * QuantizeLinear for requantize, Relu, MaxPool, Flatten, ArgMax.
 */
export function integerOnnx(model: Model): Uint8Array {
  const g = new OnnxGraphBuilder(model.name).input('t0', 'int8', [null, ...model.input.shape]);
  model.layers.forEach((layer: Layer, i) => {
    const [x, y] = [`t${i}`, `t${i + 1}`];
    const name = `${layer.op}_${i}`;
    switch (layer.op) {
      case 'dense':
        g.initializer(
          `w${i}`,
          'int8',
          [layer.inFeatures, layer.outFeatures],
          transpose(layer.weights, layer.outFeatures, layer.inFeatures),
        )
          .initializer(`b${i}`, 'int32', [layer.outFeatures], layer.bias)
          .node('MatMulInteger', [x, `w${i}`], [`acc${i}`], {}, `${name}_mm`)
          .node('Add', [`acc${i}`, `b${i}`], [y], {}, name);
        break;
      case 'conv2d':
        g.initializer(`w${i}`, 'int8', [layer.outChannels, layer.inChannels, ...layer.kernel], layer.weights)
          .initializer(`b${i}`, 'int32', [layer.outChannels, 1, 1], layer.bias)
          .node(
            'ConvInteger',
            [x, `w${i}`],
            [`acc${i}`],
            { strides: [...layer.stride], pads: [...layer.padding, ...layer.padding] },
            `${name}_conv`,
          )
          .node('Add', [`acc${i}`, `b${i}`], [y], {}, name);
        break;
      case 'requantize': {
        if (typeof layer.multiplier !== 'number' || typeof layer.shift !== 'number')
          throw new RangeError('integerOnnx: per-channel requantize is not exported');
        const scale = layer.multiplier * 2 ** -layer.shift;
        if (layer.multiplier >= 2 ** 24 || layer.dtype === 'int16' || layer.dtype === 'int32')
          throw new RangeError('integerOnnx: not representable');
        g.initializer(`s${i}`, 'float', [], [scale])
          .initializer(`one${i}`, 'float', [], [1])
          .initializer(`zp${i}`, layer.dtype, [], [layer.zeroPoint])
          .node('DequantizeLinear', [x, `s${i}`], [`f${i}`], {}, `${name}_dq`)
          .node('QuantizeLinear', [`f${i}`, `one${i}`, `zp${i}`], [y], {}, name);
        break;
      }
      case 'relu':
        g.node('Relu', [x], [y], {}, name);
        break;
      case 'maxpool':
        g.node('MaxPool', [x], [y], { kernel_shape: [...layer.kernel], strides: [...layer.stride] }, name);
        break;
      case 'flatten':
        g.node('Flatten', [x], [y], { axis: 1 }, name);
        break;
      case 'argmax':
        g.node('ArgMax', [x], [y], { axis: 1, keepdims: 0 }, name);
        break;
      default:
        throw new RangeError(`integerOnnx: ${layer.op} is not exported`);
    }
  });
  return g.output(`t${model.layers.length}`, 'int32').toBytes();
}

/** A requantize layer with its multiplier's trailing zero bits dropped (the importer's form). */
export function normalizeLayer(layer: Layer): Layer {
  if (layer.op !== 'requantize' || typeof layer.multiplier !== 'number' || typeof layer.shift !== 'number')
    return layer;
  let [multiplier, shift] = [layer.multiplier, layer.shift];
  while (shift > 0 && multiplier % 2 === 0) [multiplier, shift] = [multiplier / 2, shift - 1];
  return { ...layer, multiplier, shift };
}
