import type { Layer, Model } from './model';
import { buildModel } from './parse-model';
import { tensorSize } from './tensor';

export interface RandomModelOptions {
  /** Same seed, same model, on every machine. */
  readonly seed: number;
  /** 'mlp': dense layers of `sizes` (sizes[0] inputs). 'cnn': conv 3x3 -> maxpool 2x2 -> dense. */
  readonly kind: 'mlp' | 'cnn';
  /** mlp: [in, hidden..., out]. cnn: [channels, height, width, filters, out]. */
  readonly sizes: readonly number[];
  /** Append argmax (a classifier). Default false. */
  readonly argmax?: boolean;
  readonly name?: string;
}

/**
 * A deterministic random int8 model, with requantization scaled so activations spread across the
 * int8 range. For tests, benchmarks and the demo; not trained.
 */
export function randomModel(options: RandomModelOptions): Model {
  const rand = splitmix32(options.seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const weights = (n: number) => Int8Array.from({ length: n }, () => int(-127, 127));
  const bias = (n: number, fanIn: number) =>
    Int32Array.from({ length: n }, () => int(-64 * fanIn, 64 * fanIn));
  // Accumulators of int8 x int8 over fanIn terms have a spread near 73 * 73 * sqrt(fanIn):
  // scale that to about 1/3 of the int8 range.
  const requant = (fanIn: number): Layer => {
    const shift = 24;
    const multiplier = Math.max(1, Math.round((2 ** shift * 42) / (73 * 73 * Math.sqrt(fanIn))));
    return { op: 'requantize', multiplier, shift, zeroPoint: 0, dtype: 'int8' };
  };
  const denseStack = (sizes: readonly number[]): Layer[] =>
    sizes.slice(1).flatMap((out, i) => {
      const fanIn = sizes[i];
      const layers: Layer[] = [
        {
          op: 'dense',
          inFeatures: fanIn,
          outFeatures: out,
          weights: weights(fanIn * out),
          bias: bias(out, fanIn),
        },
        requant(fanIn),
      ];
      return i < sizes.length - 2 ? [...layers, { op: 'relu' }] : layers;
    });

  let shape: number[];
  let layers: Layer[];
  if (options.kind === 'mlp') {
    shape = [options.sizes[0]];
    layers = denseStack(options.sizes);
  } else {
    const [c, h, w, filters, out] = options.sizes;
    const fanIn = c * 9;
    const pooled = filters * Math.floor((h - 2) / 2) * Math.floor((w - 2) / 2);
    shape = [c, h, w];
    layers = [
      {
        op: 'conv2d',
        inChannels: c,
        outChannels: filters,
        kernel: [3, 3],
        stride: [1, 1],
        padding: [0, 0],
        weights: weights(filters * fanIn),
        bias: bias(filters, fanIn),
      },
      requant(fanIn),
      { op: 'relu' },
      { op: 'maxpool', kernel: [2, 2], stride: [2, 2] },
      { op: 'flatten' },
      ...denseStack([pooled, out]),
    ];
  }
  if (options.argmax) layers.push({ op: 'argmax' });
  return buildModel({
    name: options.name ?? `random-${options.kind}-${options.seed}`,
    input: { shape, dtype: 'int8' },
    layers,
  });
}

/** A small seeded PRNG (splitmix32): uniform in [0, 1), identical on every platform. */
export function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 2 ** 32;
  };
}

/** A deterministic random input for a model (values across its input dtype's range). */
export function randomInput(model: Model, seed: number): Int32Array {
  const rand = splitmix32(seed);
  const { shape } = model.input;
  const { min, max } = model.tensors[0];
  const n = tensorSize(shape);
  return Int32Array.from({ length: n }, () => min + Math.floor(rand() * (max - min + 1)));
}

/**
 * A random small architecture exercising every op, random shapes and random (often saturating)
 * requantization: for property tests and cross-checks between implementations. `perChannel`: a
 * format v2 model whose conv and dense requantizations are per channel (each channel's scale
 * drawn around the layer's); without it the draws, and so the models, are unchanged.
 */
export function randomArchitecture(
  seed: number,
  options: { maxWidth?: number; perChannel?: boolean } = {},
): Model {
  const rand = splitmix32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const perChannel = (layer: Layer, channels: number): Layer => {
    if (!options.perChannel || layer.op !== 'requantize' || typeof layer.multiplier !== 'number')
      return layer;
    const [m, s] = [layer.multiplier, layer.shift as number];
    return {
      ...layer,
      multiplier: Array.from({ length: channels }, () =>
        Math.max(1, Math.min(2 ** 31 - 1, Math.round(m * 2 ** (rand() * 2 - 1)))),
      ),
      shift: Array.from({ length: channels }, () => Math.max(0, Math.min(62, s + int(-1, 1)))),
    };
  };
  const i8 = (n: number) => Int8Array.from({ length: n }, () => int(-128, 127));
  const i32 = (n: number) => Int32Array.from({ length: n }, () => int(-(2 ** 20), 2 ** 20));
  // Either a gentle scale (mostly in range) or a wild one (saturation, the BigInt product path).
  const requant = (): Layer =>
    rand() < 0.5
      ? {
          op: 'requantize',
          multiplier: int(1, 2 ** 16),
          shift: int(12, 24),
          zeroPoint: int(-3, 3),
          dtype: 'int8',
        }
      : {
          op: 'requantize',
          multiplier: int(1, 2 ** 31 - 1),
          shift: int(0, 62),
          zeroPoint: 0,
          dtype: (['int8', 'uint8', 'int16', 'int32'] as const)[int(0, 3)],
        };
  const layers: Layer[] = [];
  let shape: number[];
  if (rand() < 0.5) {
    const c = int(1, 3);
    const h = int(3, 7);
    const w = int(3, 7);
    shape = [c, h, w];
    // Sometimes shift the activations far from 0 first (a 1x1 conv with a large bias), so the
    // next conv's interval excludes the zeros its padding reads.
    if (rand() < 0.4)
      layers.push({
        op: 'conv2d',
        inChannels: c,
        outChannels: c,
        kernel: [1, 1],
        stride: [1, 1],
        padding: [0, 0],
        weights: Int8Array.from({ length: c * c }, () => int(0, 1)),
        bias: Int32Array.from({ length: c }, () => (rand() < 0.5 ? -1 : 1) * int(50_000, 100_000)),
      });
    const [kh, kw, sh, sw, ph, pw] = [int(1, 3), int(1, 3), int(1, 2), int(1, 2), int(0, 1), int(0, 1)];
    const oc = int(1, 3);
    layers.push({
      op: 'conv2d',
      inChannels: c,
      outChannels: oc,
      kernel: [kh, kw],
      stride: [sh, sw],
      padding: [ph, pw],
      weights: i8(oc * c * kh * kw),
      bias: i32(oc),
    });
    if (rand() < 0.5) layers.push({ op: 'relu' });
    const convRequant: Layer = {
      op: 'requantize',
      multiplier: int(1, 2 ** 16),
      shift: int(8, 20),
      zeroPoint: 0,
      dtype: 'int8',
    };
    layers.push(perChannel(convRequant, oc));
    const oh = Math.floor((h + 2 * ph - kh) / sh) + 1;
    const ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
    const pk: [number, number] = [int(1, Math.min(2, oh)), int(1, Math.min(2, ow))];
    layers.push({ op: rand() < 0.5 ? 'maxpool' : 'avgpool', kernel: pk, stride: [int(1, 2), int(1, 2)] });
    layers.push({ op: 'flatten' });
  } else {
    shape = [int(1, 24)];
  }
  // Probe the flattened size by building the prefix.
  let n = buildModel({ input: { shape, dtype: 'int8' }, layers: [...layers, { op: 'flatten' }] }).tensors.at(
    -1,
  )!.shape[0];
  for (let d = int(1, 3); d > 0; d--) {
    const out = int(1, options.maxWidth ?? 16);
    layers.push(
      { op: 'dense', inFeatures: n, outFeatures: out, weights: i8(n * out), bias: i32(out) },
      perChannel(requant(), out),
    );
    if (rand() < 0.6) layers.push({ op: 'relu' });
    // Keep dense inputs small enough for the int32 accumulator bound: squeeze wide dtypes to int8.
    layers.push({ op: 'requantize', multiplier: 1, shift: int(0, 4), zeroPoint: 0, dtype: 'int8' });
    n = out;
  }
  if (rand() < 0.5) layers.push({ op: 'argmax' });
  const format = options.perChannel ? 'verilay.model.v2' : undefined;
  return buildModel({ format, name: `arch-${seed}`, input: { shape, dtype: 'int8' }, layers });
}
