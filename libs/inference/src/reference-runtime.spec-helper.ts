// An independent reference runtime for the property tests: BigInt everywhere, naive loops, its own
// rounding formula (floor(x / 2^s + 1/2) computed as floor((2x + 2^s) / 2^(s+1))). Shares no
// arithmetic with the runtime under test.
import { DTYPES } from './dtype';
import type { Model } from './model';

const floorDiv = (a: bigint, b: bigint) => {
  const q = a / b; // truncates toward zero
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
};

export function referenceRequantize(
  x: bigint,
  multiplier: number,
  shift: number,
  zeroPoint: number,
  dtype: keyof typeof DTYPES,
): bigint {
  const p = x * BigInt(multiplier);
  const q = shift === 0 ? p : floorDiv(2n * p + (1n << BigInt(shift)), 1n << BigInt(shift + 1));
  const y = q + BigInt(zeroPoint);
  const lo = BigInt(DTYPES[dtype].min);
  const hi = BigInt(DTYPES[dtype].max);
  return y < lo ? lo : y > hi ? hi : y;
}

export function referenceRun(model: Model, input: ArrayLike<number>): bigint[][] {
  const trace: bigint[][] = [Array.from(input, BigInt)];
  model.layers.forEach((layer, i) => {
    const x = trace[i];
    const inShape = model.tensors[i].shape;
    let y: bigint[];
    switch (layer.op) {
      case 'dense':
        y = [];
        for (let o = 0; o < layer.outFeatures; o++) {
          let acc = BigInt(layer.bias[o]);
          for (let k = 0; k < layer.inFeatures; k++)
            acc += BigInt(layer.weights[o * layer.inFeatures + k]) * x[k];
          y.push(acc);
        }
        break;
      case 'conv2d': {
        const [c, h, w] = inShape;
        const [kh, kw] = layer.kernel;
        const [sh, sw] = layer.stride;
        const [ph, pw] = layer.padding;
        const at = (ci: number, r: number, col: number) =>
          r < 0 || r >= h || col < 0 || col >= w ? 0n : x[ci * h * w + r * w + col];
        y = [];
        for (let o = 0; o < layer.outChannels; o++)
          for (let r = 0; r + kh <= h + 2 * ph; r += sh)
            for (let col = 0; col + kw <= w + 2 * pw; col += sw) {
              let acc = BigInt(layer.bias[o]);
              for (let ci = 0; ci < c; ci++)
                for (let a = 0; a < kh; a++)
                  for (let b = 0; b < kw; b++)
                    acc +=
                      BigInt(layer.weights[o * c * kh * kw + ci * kh * kw + a * kw + b]) *
                      at(ci, r + a - ph, col + b - pw);
              y.push(acc);
            }
        break;
      }
      case 'requantize':
        y = x.map((v) => referenceRequantize(v, layer.multiplier, layer.shift, layer.zeroPoint, layer.dtype));
        break;
      case 'relu':
        y = x.map((v) => (v < 0n ? 0n : v));
        break;
      case 'maxpool':
      case 'avgpool': {
        const [c, h, w] = inShape;
        const [kh, kw] = layer.kernel;
        const [sh, sw] = layer.stride;
        const n = BigInt(kh * kw);
        y = [];
        for (let ci = 0; ci < c; ci++)
          for (let r = 0; r + kh <= h; r += sh)
            for (let col = 0; col + kw <= w; col += sw) {
              const win: bigint[] = [];
              for (let a = 0; a < kh; a++)
                for (let b = 0; b < kw; b++) win.push(x[ci * h * w + (r + a) * w + col + b]);
              if (layer.op === 'maxpool') y.push(win.reduce((m, v) => (v > m ? v : m)));
              else y.push(floorDiv(2n * win.reduce((s, v) => s + v, 0n) + n, 2n * n)); // round half up
            }
        break;
      }
      case 'flatten':
        y = [...x];
        break;
      case 'argmax': {
        let best = 0;
        x.forEach((v, k) => {
          if (v > x[best]) best = k;
        });
        y = [BigInt(best)];
        break;
      }
    }
    trace.push(y);
  });
  return trace;
}
