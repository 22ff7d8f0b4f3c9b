import { splitmix32 } from '@verilay/inference';
import { CLASSES, PIXELS } from './mnist-data';
import { heUniform, softmaxCrossEntropy, type Parameter, type Trainable } from './sgd-training';

export const MLP_HIDDEN = 64;

// Module-local copies: the hot loops below must not read exported or imported bindings (CommonJS
// turns those into property loads at every use).
const IN = PIXELS;
const HIDDEN = MLP_HIDDEN;
const OUT = CLASSES;

/** The parameters of the MLP; weights are row-major [out][in], as in a verilay `dense`. */
export interface MlpWeights {
  /** [64][784] */
  readonly w1: Float64Array;
  readonly b1: Float64Array;
  /** [10][64] */
  readonly w2: Float64Array;
  readonly b2: Float64Array;
}

/** The float MLP 784-64-10 with ReLU. */
export class FloatMlp implements Trainable, MlpWeights {
  readonly w1: Float64Array;
  readonly b1: Float64Array;
  readonly w2: Float64Array;
  readonly b2: Float64Array;
  readonly parameters: readonly Parameter[];
  private readonly hidden = new Float64Array(HIDDEN);
  private readonly dHidden = new Float64Array(HIDDEN);
  private readonly logits = new Float64Array(OUT);
  /** The indices of the last input's non-zero pixels: nonZero[0, nonZeroCount). */
  private readonly nonZero = new Int32Array(IN);
  private nonZeroCount = 0;

  /** Untrained: He-uniform weights from `seed`, zero biases. */
  static initial(seed: number): FloatMlp {
    const rand = splitmix32(seed);
    const w1 = heUniform(HIDDEN * IN, IN, rand);
    const w2 = heUniform(OUT * HIDDEN, HIDDEN, rand);
    return new FloatMlp({ w1, b1: new Float64Array(HIDDEN), w2, b2: new Float64Array(OUT) });
  }

  constructor(weights: MlpWeights) {
    if (weights.w1.length !== HIDDEN * IN || weights.b1.length !== HIDDEN)
      throw new RangeError(`MLP layer 1 must be ${HIDDEN}x${IN}`);
    if (weights.w2.length !== OUT * HIDDEN || weights.b2.length !== OUT)
      throw new RangeError(`MLP layer 2 must be ${OUT}x${HIDDEN}`);
    ({ w1: this.w1, b1: this.b1, w2: this.w2, b2: this.b2 } = weights);
    this.parameters = [
      { values: this.w1, decay: true },
      { values: this.b1, decay: false },
      { values: this.w2, decay: true },
      { values: this.b2, decay: false },
    ];
  }

  /** The post-ReLU hidden activations and the logits of one image (pixels in [0, 1]). */
  forward(x: Float64Array): { hidden: Float64Array; logits: Float64Array } {
    const { w1, b1, w2, b2, hidden, logits, nonZero } = this;
    // Most MNIST pixels are 0 (about 80%): summing only the others is the whole speed of training.
    let nz = 0;
    for (let i = 0; i < IN; i++) if (x[i] !== 0) nonZero[nz++] = i;
    this.nonZeroCount = nz;
    for (let j = 0; j < HIDDEN; j++) {
      let acc = b1[j];
      const row = j * IN;
      for (let t = 0; t < nz; t++) {
        const i = nonZero[t];
        acc += w1[row + i] * x[i];
      }
      hidden[j] = acc > 0 ? acc : 0;
    }
    for (let k = 0; k < OUT; k++) {
      let acc = b2[k];
      for (let j = 0; j < HIDDEN; j++) acc += w2[k * HIDDEN + j] * hidden[j];
      logits[k] = acc;
    }
    return { hidden, logits };
  }

  accumulateGradient(x: Float64Array, label: number, [gw1, gb1, gw2, gb2]: readonly Float64Array[]): number {
    const { hidden, logits } = this.forward(x);
    const loss = softmaxCrossEntropy(logits, label);
    const { w2, dHidden, nonZero, nonZeroCount: nz } = this;
    dHidden.fill(0);
    for (let k = 0; k < OUT; k++) {
      const dz = logits[k];
      gb2[k] += dz;
      for (let j = 0; j < HIDDEN; j++) {
        gw2[k * HIDDEN + j] += dz * hidden[j];
        dHidden[j] += w2[k * HIDDEN + j] * dz;
      }
    }
    for (let j = 0; j < HIDDEN; j++) {
      if (hidden[j] <= 0) continue; // ReLU: no gradient where the unit is off
      const dh = dHidden[j];
      gb1[j] += dh;
      const row = j * IN;
      for (let t = 0; t < nz; t++) {
        const i = nonZero[t];
        gw1[row + i] += dh * x[i];
      }
    }
    return loss;
  }
}
