import { splitmix32 } from '@verilay/inference';
import { IMAGE_SIZE, PIXELS, type MnistSplit } from './mnist-data';

// Module-local copy for the per-pixel loop (an imported binding is a property load at every use).
const SIDE = IMAGE_SIZE;

/** Everything that decides a float training run: the same recipe gives the same weights. */
export interface TrainingRecipe {
  /**
   * Seeds the weight initialisation (splitmix32(seed)) and, through a second generator
   * (splitmix32(seed ^ 0x5eed)), the per-epoch shuffles and the augmentation shifts.
   */
  readonly seed: number;
  readonly epochs: number;
  readonly batchSize: number;
  /** Peak learning rate; it follows a cosine from this down to 0 over the epochs. */
  readonly learningRate: number;
  readonly momentum: number;
  /** L2 penalty on the weights (not the biases). */
  readonly weightDecay: number;
  /**
   * Augmentation: each training image is translated by a random (dx, dy) with |dx|, |dy| at most
   * this many pixels (vacated pixels are 0). 0 turns it off.
   */
  readonly maxShift: number;
}

/** A tensor of trainable parameters; `decay` says whether weight decay applies to it. */
export interface Parameter {
  readonly values: Float64Array;
  readonly decay: boolean;
}

/** A float network that SGD can train: its parameters and one sample's gradient. */
export interface Trainable {
  readonly parameters: readonly Parameter[];
  /**
   * Adds the gradient of the softmax cross-entropy loss on one sample (pixels in [0, 1]) to
   * `gradients` (one array per parameter, same order) and returns the loss.
   */
  accumulateGradient(x: Float64Array, label: number, gradients: readonly Float64Array[]): number;
}

/** Per-epoch mean training loss, for the log. */
export type EpochLog = (epoch: number, meanLoss: number) => void;

/**
 * Minibatch SGD with (heavy-ball) momentum and a cosine learning-rate schedule, in float64 with a
 * fixed order of every sum, so a recipe reproduces its weights bit for bit on every run.
 */
export function trainSgd(net: Trainable, data: MnistSplit, recipe: TrainingRecipe, log?: EpochLog): void {
  const rand = splitmix32(recipe.seed ^ 0x5eed);
  const gradients = net.parameters.map((p) => new Float64Array(p.values.length));
  const velocities = net.parameters.map((p) => new Float64Array(p.values.length));
  const order = Int32Array.from({ length: data.count }, (_, i) => i);
  const x = new Float64Array(PIXELS);
  for (let epoch = 0; epoch < recipe.epochs; epoch++) {
    const lr = (recipe.learningRate * (1 + Math.cos((Math.PI * epoch) / recipe.epochs))) / 2;
    shuffle(order, rand);
    let loss = 0;
    for (let start = 0; start < data.count; start += recipe.batchSize) {
      const end = Math.min(start + recipe.batchSize, data.count);
      gradients.forEach((g) => g.fill(0));
      for (let k = start; k < end; k++) {
        const sample = order[k];
        const dx = Math.floor(rand() * (2 * recipe.maxShift + 1)) - recipe.maxShift;
        const dy = Math.floor(rand() * (2 * recipe.maxShift + 1)) - recipe.maxShift;
        shiftedImage(data.pixels, sample, dx, dy, x);
        loss += net.accumulateGradient(x, data.labels[sample], gradients);
      }
      const n = end - start;
      net.parameters.forEach(({ values, decay }, t) => {
        const g = gradients[t];
        const v = velocities[t];
        const wd = decay ? recipe.weightDecay : 0;
        for (let i = 0; i < values.length; i++) {
          v[i] = recipe.momentum * v[i] - lr * (g[i] / n + wd * values[i]);
          values[i] += v[i];
        }
      });
    }
    log?.(epoch, loss / data.count);
  }
}

/** He-uniform initial weights: U(-a, a) with a = sqrt(6 / fanIn), from a seeded generator. */
export function heUniform(n: number, fanIn: number, rand: () => number): Float64Array {
  const a = Math.sqrt(6 / fanIn);
  return Float64Array.from({ length: n }, () => (2 * rand() - 1) * a);
}

/**
 * Softmax of `logits` (in place: they become the probabilities minus the one-hot label, the
 * gradient of the cross-entropy loss); returns the loss.
 */
export function softmaxCrossEntropy(logits: Float64Array, label: number): number {
  let max = -Infinity;
  for (const z of logits) if (z > max) max = z;
  let sum = 0;
  for (let k = 0; k < logits.length; k++) {
    logits[k] = Math.exp(logits[k] - max);
    sum += logits[k];
  }
  for (let k = 0; k < logits.length; k++) logits[k] /= sum;
  const loss = -Math.log(Math.max(logits[label], 1e-300));
  logits[label] -= 1;
  return loss;
}

/** Index of the first maximum. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Image `sample` translated by (dx, dy) pixels, scaled to [0, 1], into `x`. */
function shiftedImage(pixels: Uint8Array, sample: number, dx: number, dy: number, x: Float64Array): void {
  const base = sample * SIDE * SIDE;
  for (let r = 0; r < SIDE; r++) {
    const sr = r - dy;
    for (let c = 0; c < SIDE; c++) {
      const sc = c - dx;
      const inside = sr >= 0 && sr < SIDE && sc >= 0 && sc < SIDE;
      x[r * SIDE + c] = inside ? pixels[base + sr * SIDE + sc] / 255 : 0;
    }
  }
}

/** Fisher-Yates with the given generator. */
function shuffle(order: Int32Array, rand: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
}
