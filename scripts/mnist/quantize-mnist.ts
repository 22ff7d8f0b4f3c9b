import type { FloatCnn } from './float-cnn';
import type { FloatMlp } from './float-mlp';
import { PIXELS, type MnistSplit } from './mnist-data';

// Post-training static quantization, per tensor (docs/models.md). Every scale is a float32 value
// (Math.fround), because that is what the ONNX files store and what an importer reads back: the
// integer parameters and the rescale factors are all derived from these exact float32 numbers.

/** uint8 input bytes: a pixel p in [0, 1] is round(p * 255), so the scale is 1/255, zero point 0. */
export const INPUT_SCALE = Math.fround(1 / 255);

/** A layer's int8 weights with their symmetric per-tensor scale and its int32 bias. */
export interface QuantizedWeights {
  /** int8 in [-127, 127], row-major as in verilay ([out][in] or [out][in][kh][kw]). */
  readonly weights: Int8Array;
  /** float32: max|W| / 127. */
  readonly weightScale: number;
  /** int32: round(b / (inputScale * weightScale)), the scale of the accumulator. */
  readonly bias: Int32Array;
}

/** A MatMulInteger layer: its accumulator is dequantized with `accScale`. */
export interface QuantizedMatMul extends QuantizedWeights {
  /** float32: fround(inputScale * weightScale), the DequantizeLinear scale in the ONNX file. */
  readonly accScale: number;
}

export interface QuantizedMlp {
  readonly inputScale: number;
  readonly fc1: QuantizedMatMul;
  /** float32 scale of the uint8 hidden activations (zero point 0: the clamp at 0 is the ReLU). */
  readonly hiddenScale: number;
  readonly fc2: QuantizedMatMul;
  /** float32 scale of the int8 logits (zero point 0). */
  readonly logitScale: number;
}

export interface QuantizedCnn {
  readonly inputScale: number;
  /** QLinearConv: bias at scale inputScale * weightScale (float64 product of the float32 scales). */
  readonly conv: QuantizedWeights;
  /** float32 scale of the uint8 conv output (zero point 0: the clamp at 0 is the ReLU). */
  readonly hiddenScale: number;
  readonly fc: QuantizedMatMul;
  readonly logitScale: number;
}

/** What calibration on the training images measured (float, before rounding to float32). */
export interface Calibration {
  /** The largest post-ReLU hidden activation. */
  readonly hiddenMax: number;
  /** The largest |logit|. */
  readonly logitMax: number;
}

/** Quantizes the MLP; activation ranges are the maxima over `calibration` (the training images). */
export function quantizeMlp(
  net: FloatMlp,
  calibration: MnistSplit,
): { model: QuantizedMlp; ranges: Calibration } {
  const ranges = calibrate(calibration, (x) => net.forward(x));
  const hiddenScale = Math.fround(ranges.hiddenMax / 255);
  const fc1 = quantizeMatMul(net.w1, net.b1, INPUT_SCALE);
  const fc2 = quantizeMatMul(net.w2, net.b2, hiddenScale);
  return {
    model: { inputScale: INPUT_SCALE, fc1, hiddenScale, fc2, logitScale: logitScale(ranges) },
    ranges,
  };
}

/** Quantizes the CNN; activation ranges are the maxima over `calibration` (the training images). */
export function quantizeCnn(
  net: FloatCnn,
  calibration: MnistSplit,
): { model: QuantizedCnn; ranges: Calibration } {
  const ranges = calibrate(calibration, (x) => {
    const { conv, logits } = net.forward(x);
    return { hidden: conv, logits };
  });
  const hiddenScale = Math.fround(ranges.hiddenMax / 255);
  const { weights, scale: weightScale } = symmetricInt8(net.convWeights);
  // QLinearConv has no separate accumulator scale: its bias scale is x_scale * w_scale, which an
  // importer computes in float64 from the two float32 values.
  const conv = { weights, weightScale, bias: int32Bias(net.convBias, INPUT_SCALE * weightScale) };
  const fc = quantizeMatMul(net.denseWeights, net.denseBias, hiddenScale);
  return {
    model: { inputScale: INPUT_SCALE, conv, hiddenScale, fc, logitScale: logitScale(ranges) },
    ranges,
  };
}

function quantizeMatMul(w: Float64Array, b: Float64Array, inputScale: number): QuantizedMatMul {
  const { weights, scale: weightScale } = symmetricInt8(w);
  const accScale = Math.fround(inputScale * weightScale);
  return { weights, weightScale, accScale, bias: int32Bias(b, accScale) };
}

/** Symmetric int8 per tensor: scale = max|W| / 127 (float32), w_q = round(W / scale). */
function symmetricInt8(w: Float64Array): { weights: Int8Array; scale: number } {
  let max = 0;
  for (const v of w) max = Math.max(max, Math.abs(v));
  if (max === 0) throw new Error('cannot quantize an all-zero weight tensor');
  const scale = Math.fround(max / 127);
  // The float32 scale may round below max / 127; the clamp keeps the extreme weight at ±127.
  return { weights: Int8Array.from(w, (v) => Math.min(127, Math.max(-127, Math.round(v / scale)))), scale };
}

function int32Bias(b: Float64Array, scale: number): Int32Array {
  return Int32Array.from(b, (v) => {
    const q = Math.round(v / scale);
    if (Math.abs(q) > 2 ** 31 - 1) throw new RangeError(`bias ${v} overflows int32 at scale ${scale}`);
    return q;
  });
}

function logitScale(ranges: Calibration): number {
  return Math.fround(ranges.logitMax / 127);
}

/** The maxima of a hidden activation and of |logit| over the images of `split` (no augmentation). */
function calibrate(
  split: MnistSplit,
  forward: (x: Float64Array) => { hidden: Float64Array; logits: Float64Array },
): Calibration {
  const x = new Float64Array(PIXELS);
  let hiddenMax = 0;
  let logitMax = 0;
  for (let k = 0; k < split.count; k++) {
    for (let p = 0; p < PIXELS; p++) x[p] = split.pixels[k * PIXELS + p] / 255;
    const { hidden, logits } = forward(x);
    for (const v of hidden) hiddenMax = Math.max(hiddenMax, v);
    for (const v of logits) logitMax = Math.max(logitMax, Math.abs(v));
  }
  return { hiddenMax, logitMax };
}
