import type { NativeGpuHandle } from '@verilay/native';
import { crossCheck, crossCheckInputs, nativeHandle } from './gpu-cross-check';
import { testGpu } from './gpu-cross-check.spec-helper';
import { randomInput } from './random-model';
import { randomTransformer } from './random-transformer';

// The GPU executor (native/crates/gpu) bit for bit against the reference runtime on random models
// of every op (the full 10,000: `npm run bench:gpu-cross-check`), batch invariance, and the
// commitments of a GPU execution against the CPU's.

const gpu: NativeGpuHandle | null = testGpu();
const withGpu = gpu ? describe : describe.skip;

afterAll(() => gpu?.destroy());

withGpu(`GPU executor on ${gpu?.info().name ?? 'no adapter'}`, () => {
  it('gives the reference trace bit for bit on 500 random models (every op, v1 and v2, per-tensor and per-channel, extreme inputs)', () => {
    const tally = crossCheck(gpu!, 0, 500);
    expect(tally.skipped).toEqual([]);
    expect(tally.mismatches).toEqual([]);
    expect(tally.models).toBe(500);
    expect(tally.inputs).toBe(2000);
  });

  it('is batch invariant: a task alone, first, last and in the middle of a batch of 64 other tasks gives the same trace', () => {
    for (const seed of [3, 8]) {
      const model = randomTransformer(seed, { maxPositions: 8, perChannel: true, layerNorm: true });
      const onGpu = gpu!.load(nativeHandle(model));
      const task = randomInput(model, 1000 + seed);
      const others = Array.from({ length: 64 }, (_, k) => randomInput(model, k));
      const alone = onGpu.run([task])[0];
      for (const at of [0, 31, 64]) {
        const batch = [...others.slice(0, at), task, ...others.slice(at)];
        const traces = onGpu.run(batch);
        expect(traces[at].map((t) => Array.from(t))).toEqual(alone.map((t) => Array.from(t)));
        // The others too: each equals its own run alone.
        expect(traces[at === 0 ? 1 : 0].map((t) => Array.from(t))).toEqual(
          onGpu.run([others[0]])[0].map((t) => Array.from(t)),
        );
      }
    }
  });

  it('commits a GPU execution exactly as the CPU does (output, every c_i and h_i, the root), salted and not', () => {
    for (let i = 0; i < 6; i++) {
      const model = randomTransformer(40 + i, { maxPositions: 6 });
      const handle = nativeHandle(model);
      const inputs = crossCheckInputs(model, i);
      const salts = inputs.map((_, k) => (k % 2 ? Buffer.alloc(32, 7 + k) : null));
      const onGpu = gpu!.load(handle).execute(inputs, salts);
      inputs.forEach((input, k) => {
        const cpu = handle.execute(input, salts[k]);
        expect({ ...onGpu[k], output: Array.from(onGpu[k].output) }).toEqual({
          ...cpu,
          output: Array.from(cpu.output),
        });
      });
    }
  });

  it("gives the CPU's error for a bad input", () => {
    const model = randomTransformer(5, { maxPositions: 4 });
    const handle = nativeHandle(model);
    const onGpu = gpu!.load(handle);
    const n = model.tensors[0].shape.reduce((a, b) => a * b, 1);
    const outside = new Int32Array(n).fill(model.tensors[0].max + 1);
    expect(() => onGpu.run([outside])).toThrow(/INVALID_INPUT/);
    expect(() => onGpu.run([new Int32Array(n + 1)])).toThrow(/INVALID_INPUT/);
    expect(() => onGpu.execute([new Int32Array(n)], [])).toThrow(/1 inputs but 0 salts/);
  });
});
