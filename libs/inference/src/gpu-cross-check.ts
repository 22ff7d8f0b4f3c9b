import { nativeAddon, type NativeGpuHandle } from '@verilay/native';
import type { Model } from './model';
import { nativeUnsupported } from './model-runner';
import { randomArchitecture, randomInput, randomModel, splitmix32 } from './random-model';
import { randomTransformer } from './random-transformer';
import { run } from './run';

// The GPU executor (native/crates/gpu) against the reference runtime, bit for bit, on random
// models of every op: gpu-cross-check.spec.ts runs a few hundred draws on whatever adapter there
// is (lavapipe in CI), bench/gpu-cross-check.bench.ts the full 10,000.

/** A model's native handle, as NativeModelRunner builds it. */
export function nativeHandle(model: Model) {
  return new (nativeAddon()!.NativeModel)({
    format: model.format,
    inputShape: model.input.shape,
    inputDtype: model.input.dtype,
    inputRange: model.input.range,
    layers: model.layers,
  });
}

/** The i-th model of the cross-check: the four generators in turn, each with its own seeds. */
export function crossCheckModel(i: number): Model {
  const seed = 1 + Math.floor(i / 5);
  switch (i % 5) {
    case 0:
      return randomArchitecture(seed);
    case 1:
      return randomArchitecture(seed, { perChannel: true });
    case 2:
      return randomTransformer(seed, { maxPositions: 8 });
    case 3:
      return randomTransformer(seed, { maxPositions: 8, perChannel: seed % 2 === 0, layerNorm: true });
    default:
      return seed % 2
        ? randomModel({ seed, kind: 'mlp', sizes: [32, 24, 10], argmax: true })
        : randomModel({ seed, kind: 'cnn', sizes: [1, 8, 8, 4, 10], argmax: true });
  }
}

/** A random input, the lowest and the highest of the input range (the wide paths' extremes). */
export function crossCheckInputs(model: Model, seed: number): Int32Array[] {
  const { min, max } = model.tensors[0];
  const n = model.tensors[0].shape.reduce((a, b) => a * b, 1);
  const rand = splitmix32(seed);
  const mixed = Int32Array.from({ length: n }, () => (rand() < 0.5 ? min : max));
  return [randomInput(model, seed), new Int32Array(n).fill(min), new Int32Array(n).fill(max), mixed];
}

export interface CrossCheckTally {
  models: number;
  inputs: number;
  tensors: number;
  elements: number;
  mismatches: string[];
  /** Models the GPU refused (GPU_UNSUPPORTED) or the native core cannot hold. */
  skipped: string[];
}

/** Cross-checks models `from` .. `to - 1`, each as one batch of its inputs. */
export function crossCheck(gpu: NativeGpuHandle, from: number, to: number): CrossCheckTally {
  const tally: CrossCheckTally = {
    models: 0,
    inputs: 0,
    tensors: 0,
    elements: 0,
    mismatches: [],
    skipped: [],
  };
  for (let i = from; i < to; i++) {
    const model = crossCheckModel(i);
    const unsupported = nativeUnsupported(model);
    if (unsupported) {
      tally.skipped.push(`model ${i}: ${unsupported}`);
      continue;
    }
    let onGpu;
    try {
      onGpu = gpu.load(nativeHandle(model));
    } catch (error) {
      tally.skipped.push(`model ${i}: ${(error as Error).message}`);
      continue;
    }
    const inputs = crossCheckInputs(model, i);
    const traces = onGpu.run(inputs);
    tally.models++;
    inputs.forEach((input, k) => {
      tally.inputs++;
      const expected = run(model, input).trace;
      expected.forEach((t, j) => {
        tally.tensors++;
        tally.elements += t.data.length;
        const actual = traces[k][j];
        if (
          Buffer.compare(
            Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength),
            Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
          ) !== 0
        )
          tally.mismatches.push(`model ${i} input ${k} tensor ${j} (${model.layers[j - 1]?.op ?? 'input'})`);
      });
    });
  }
  return tally;
}
