import { splitmix32 } from '@verilay/inference';
import { CLASSES, IMAGE_SIZE } from './mnist-data';
import { heUniform, softmaxCrossEntropy, type Parameter, type Trainable } from './sgd-training';

// Module-local copies: the hot loops below must not read exported or imported bindings (CommonJS
// turns those into property loads at every use).
const SIDE = IMAGE_SIZE;
const OUT = CLASSES;
const FILTERS = 8;
const KERNEL = 5;
const STRIDE = 2;
const CONV = Math.floor((SIDE - KERNEL) / STRIDE) + 1; // 12
const POOL = CONV / 2; // 6
const FEATURES = FILTERS * POOL * POOL; // 288
const TAPS = KERNEL * KERNEL;
/** Offset of each kernel tap (a, b) from its window's top-left pixel in the 28x28 image. */
const TAP_OFFSETS = Int32Array.from({ length: TAPS }, (_, t) => Math.floor(t / KERNEL) * SIDE + (t % KERNEL));

/** conv 1->8, 5x5, stride 2, no padding: 28x28 -> [8,12,12]; maxpool 2x2 -> [8,6,6] = 288 features. */
export const CNN_SHAPE = {
  filters: FILTERS,
  kernel: KERNEL,
  stride: STRIDE,
  convSize: CONV,
  poolSize: POOL,
  features: FEATURES,
} as const;

/** The parameters of the CNN, laid out as in verilay's conv2d ([out][in][kh][kw]) and dense ([out][in]). */
export interface CnnWeights {
  /** [8][1][5][5] */
  readonly convWeights: Float64Array;
  readonly convBias: Float64Array;
  /** [10][288], the features in [C, H, W] order (flatten of [8,6,6]). */
  readonly denseWeights: Float64Array;
  readonly denseBias: Float64Array;
}

/** The float CNN: conv2d (+ReLU) -> maxpool 2x2 -> flatten -> dense 10; tensors are [C, H, W]. */
export class FloatCnn implements Trainable, CnnWeights {
  readonly convWeights: Float64Array;
  readonly convBias: Float64Array;
  readonly denseWeights: Float64Array;
  readonly denseBias: Float64Array;
  readonly parameters: readonly Parameter[];
  private readonly patch = new Float64Array(TAPS);
  private readonly conv = new Float64Array(FILTERS * CONV * CONV);
  private readonly pooled = new Float64Array(FEATURES);
  /** For each pooled feature, the index in `conv` of its window's (first) maximum. */
  private readonly poolSource = new Int32Array(FEATURES);
  private readonly logits = new Float64Array(OUT);

  /** Untrained: He-uniform weights from `seed`, zero biases. */
  static initial(seed: number): FloatCnn {
    const rand = splitmix32(seed);
    const convWeights = heUniform(FILTERS * TAPS, TAPS, rand);
    const denseWeights = heUniform(OUT * FEATURES, FEATURES, rand);
    return new FloatCnn({
      convWeights,
      convBias: new Float64Array(FILTERS),
      denseWeights,
      denseBias: new Float64Array(OUT),
    });
  }

  constructor(weights: CnnWeights) {
    if (weights.convWeights.length !== FILTERS * TAPS || weights.convBias.length !== FILTERS)
      throw new RangeError(`CNN conv must be ${FILTERS}x1x${KERNEL}x${KERNEL}`);
    if (weights.denseWeights.length !== OUT * FEATURES || weights.denseBias.length !== OUT)
      throw new RangeError(`CNN dense must be ${OUT}x${FEATURES}`);
    ({
      convWeights: this.convWeights,
      convBias: this.convBias,
      denseWeights: this.denseWeights,
      denseBias: this.denseBias,
    } = weights);
    this.parameters = [
      { values: this.convWeights, decay: true },
      { values: this.convBias, decay: false },
      { values: this.denseWeights, decay: true },
      { values: this.denseBias, decay: false },
    ];
  }

  /** The post-ReLU convolution output [8,12,12] and the logits of one image (pixels in [0, 1]). */
  forward(x: Float64Array): { conv: Float64Array; logits: Float64Array } {
    const { patch, conv, pooled, poolSource, logits, convWeights, convBias, denseWeights, denseBias } = this;
    for (let r = 0; r < CONV; r++) {
      for (let c = 0; c < CONV; c++) {
        // Gather the 5x5 window once, then one dot product per filter (im2col, one column).
        const base = r * STRIDE * SIDE + c * STRIDE;
        let blank = true;
        for (let t = 0; t < TAPS; t++) {
          const v = x[base + TAP_OFFSETS[t]];
          patch[t] = v;
          if (v !== 0) blank = false;
        }
        for (let o = 0; o < FILTERS; o++) {
          let acc = convBias[o];
          if (!blank) for (let t = 0; t < TAPS; t++) acc += convWeights[o * TAPS + t] * patch[t];
          conv[(o * CONV + r) * CONV + c] = acc > 0 ? acc : 0;
        }
      }
    }
    for (let o = 0; o < FILTERS; o++) {
      for (let r = 0; r < POOL; r++) {
        for (let c = 0; c < POOL; c++) {
          const topLeft = (o * CONV + 2 * r) * CONV + 2 * c;
          let best = topLeft;
          if (conv[topLeft + 1] > conv[best]) best = topLeft + 1;
          if (conv[topLeft + CONV] > conv[best]) best = topLeft + CONV;
          if (conv[topLeft + CONV + 1] > conv[best]) best = topLeft + CONV + 1;
          const f = (o * POOL + r) * POOL + c;
          pooled[f] = conv[best];
          poolSource[f] = best;
        }
      }
    }
    for (let k = 0; k < OUT; k++) {
      let acc = denseBias[k];
      for (let f = 0; f < FEATURES; f++) acc += denseWeights[k * FEATURES + f] * pooled[f];
      logits[k] = acc;
    }
    return { conv, logits };
  }

  accumulateGradient(x: Float64Array, label: number, [gcw, gcb, gdw, gdb]: readonly Float64Array[]): number {
    const { conv, logits } = this.forward(x);
    const { pooled, poolSource, denseWeights } = this;
    const loss = softmaxCrossEntropy(logits, label);
    for (let k = 0; k < OUT; k++) {
      const dz = logits[k];
      gdb[k] += dz;
      for (let f = 0; f < FEATURES; f++) gdw[k * FEATURES + f] += dz * pooled[f];
    }
    for (let f = 0; f < FEATURES; f++) {
      const source = poolSource[f];
      // The gradient flows only to the window's maximum, and only where the ReLU is on.
      if (conv[source] <= 0) continue;
      let d = 0;
      for (let k = 0; k < OUT; k++) d += denseWeights[k * FEATURES + f] * logits[k];
      const o = Math.floor(source / (CONV * CONV));
      const r = Math.floor(source / CONV) % CONV;
      const c = source % CONV;
      gcb[o] += d;
      const base = r * STRIDE * SIDE + c * STRIDE;
      for (let t = 0; t < TAPS; t++) gcw[o * TAPS + t] += d * x[base + TAP_OFFSETS[t]];
    }
    return loss;
  }
}
