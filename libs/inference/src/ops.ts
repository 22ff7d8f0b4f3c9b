import type { Conv2dLayer, DenseLayer, PoolLayer, RequantizeLayer, TensorInfo } from './model';
import { requantizeTensor } from './requantize';

// Every op reads an int32 tensor and writes a fresh one; the shapes come from the validated model,
// so no op re-checks them. Accumulations stay below 2^31 in magnitude (INVARIANT in
// analyze-model.ts), so plain JS numbers are exact here.

export function dense(layer: DenseLayer, x: Int32Array): Int32Array {
  const { inFeatures: n, outFeatures: m, weights: w, bias } = layer;
  const y = new Int32Array(m);
  for (let o = 0; o < m; o++) {
    let acc = bias[o];
    const row = o * n;
    for (let i = 0; i < n; i++) acc += w[row + i] * x[i];
    y[o] = acc;
  }
  return y;
}

export function conv2d(layer: Conv2dLayer, x: Int32Array, input: TensorInfo, output: TensorInfo): Int32Array {
  const [c, h, w] = input.shape;
  const [, oh, ow] = output.shape;
  const [kh, kw] = layer.kernel;
  const [sh, sw] = layer.stride;
  const [ph, pw] = layer.padding;
  const { weights, bias } = layer;
  const y = new Int32Array(layer.outChannels * oh * ow);
  for (let o = 0; o < layer.outChannels; o++) {
    for (let oy = 0; oy < oh; oy++) {
      // Only the kernel rows and columns that land inside the input: padding reads 0 and costs
      // nothing, so the work is the outputs plus the MACs the compute budget counts
      // (compute-budget.ts), however wide the padding.
      const top = oy * sh - ph;
      // (Comparisons, not Math.max(0, -top): -0 would make these doubles, ~4x slower.)
      const ky0 = top < 0 ? -top : 0;
      const ky1 = h - top < kh ? h - top : kh;
      for (let ox = 0; ox < ow; ox++) {
        const left = ox * sw - pw;
        const kx0 = left < 0 ? -left : 0;
        const kx1 = w - left < kw ? w - left : kw;
        let acc = bias[o];
        if (ky0 < ky1 && kx0 < kx1)
          for (let ci = 0; ci < c; ci++) {
            for (let ky = ky0; ky < ky1; ky++) {
              const wRow = ((o * c + ci) * kh + ky) * kw;
              const xRow = (ci * h + top + ky) * w + left;
              for (let kx = kx0; kx < kx1; kx++) acc += weights[wRow + kx] * x[xRow + kx];
            }
          }
        y[(o * oh + oy) * ow + ox] = acc;
      }
    }
  }
  return y;
}

/** `shape`: the tensor's, whose channel axis a per-channel scale follows. */
export function requantize(layer: RequantizeLayer, x: Int32Array, shape: readonly number[]): Int32Array {
  return requantizeTensor(layer, x, shape);
}

export function relu(x: Int32Array): Int32Array {
  return x.map((v) => (v > 0 ? v : 0));
}

/** maxpool: window maximum. avgpool: window sum divided by the window size, rounded half up. */
export function pool(layer: PoolLayer, x: Int32Array, input: TensorInfo, output: TensorInfo): Int32Array {
  const [c, h, w] = input.shape;
  const [, oh, ow] = output.shape;
  const [kh, kw] = layer.kernel;
  const [sh, sw] = layer.stride;
  const n = kh * kw;
  const y = new Int32Array(c * oh * ow);
  for (let ci = 0; ci < c; ci++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let acc = layer.op === 'maxpool' ? -Infinity : 0;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const v = x[(ci * h + oy * sh + ky) * w + ox * sw + kx];
            acc = layer.op === 'maxpool' ? (v > acc ? v : acc) : acc + v;
          }
        }
        y[(ci * oh + oy) * ow + ox] = layer.op === 'maxpool' ? acc : floorDiv(acc + Math.floor(n / 2), n);
      }
    }
  }
  return y;
}

/** The index of the first maximum. */
export function argmax(x: Int32Array): Int32Array {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return Int32Array.of(best);
}

/** Exact floor(a / n) for integers |a| < 2^53, n > 0 (the float quotient is corrected). */
export function floorDiv(a: number, n: number): number {
  let q = Math.floor(a / n);
  while (q * n > a) q--;
  while ((q + 1) * n <= a) q++;
  return q;
}
