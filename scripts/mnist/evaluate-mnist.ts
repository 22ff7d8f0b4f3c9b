import { run, type Model } from '@verilay/inference';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { PIXELS, type MnistSplit } from './mnist-data';
import { argmax } from './sgd-training';

/** The predicted digit of every image of `split`, by a float network (pixels / 255). */
export function floatPredictions(
  net: { forward(x: Float64Array): { logits: Float64Array } },
  split: MnistSplit,
): Uint8Array {
  const x = new Float64Array(PIXELS);
  return Uint8Array.from({ length: split.count }, (_, k) => {
    for (let p = 0; p < PIXELS; p++) x[p] = split.pixels[k * PIXELS + p] / 255;
    return argmax(net.forward(x).logits);
  });
}

/** The predicted digit of every image of `split`, by the verilay runtime on the uint8 bytes. */
export function verilayPredictions(model: Model, split: MnistSplit): Uint8Array {
  return Uint8Array.from({ length: split.count }, (_, k) => {
    const { output } = run(model, split.pixels.subarray(k * PIXELS, (k + 1) * PIXELS));
    return output.data[0];
  });
}

/**
 * The predicted digit (the `digit` output) of every image of `split`, by ONNX Runtime on the
 * model's float input `pixels` (byte / 255, which the graph quantizes back to the byte), one image
 * per run in the input's declared shape.
 */
export async function onnxRuntimePredictions(
  onnxBytes: Uint8Array,
  inputShape: readonly number[],
  split: MnistSplit,
): Promise<Uint8Array> {
  const session = await InferenceSession.create(onnxBytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const digits = new Uint8Array(split.count);
    for (let k = 0; k < split.count; k++) {
      const pixels = Float32Array.from(split.pixels.subarray(k * PIXELS, (k + 1) * PIXELS), (b) => b / 255);
      const { digit } = await session.run({ pixels: new Tensor('float32', pixels, inputShape) });
      digits[k] = Number((digit.data as BigInt64Array)[0]);
    }
    return digits;
  } finally {
    await session.release();
  }
}

/** How often two label vectors agree (predictions vs labels: the accuracy). */
export function agreement(a: Uint8Array, b: Uint8Array): { matches: number; of: number; fraction: number } {
  let matches = 0;
  for (let k = 0; k < a.length; k++) if (a[k] === b[k]) matches++;
  return { matches, of: a.length, fraction: matches / a.length };
}
