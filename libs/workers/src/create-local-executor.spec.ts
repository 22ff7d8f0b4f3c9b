import { computeModelId, encodeModel, randomInput, randomModel } from '@verilay/inference';
import { resetNativeForTest } from '@verilay/native';
import { createLocalExecutor, describeExecutor } from './create-local-executor';
import { GpuUnavailableError } from './executor-kind';
import { testGpuAdapter } from './test-gpu';

const adapter = testGpuAdapter();
const gpuIt = adapter ? it : it.skip;

describe(createLocalExecutor.name, () => {
  const native = process.env.VERILAY_NATIVE;
  afterEach(() => {
    if (native === undefined) delete process.env.VERILAY_NATIVE;
    else process.env.VERILAY_NATIVE = native;
    resetNativeForTest();
  });
  const withoutNative = () => {
    process.env.VERILAY_NATIVE = 'off';
    resetNativeForTest();
  };

  it('runs CPU threads for cpu, and when no kind is chosen', async () => {
    for (const sut of [
      createLocalExecutor({ kind: 'cpu', threads: 1 }),
      createLocalExecutor({ threads: 1 }),
    ]) {
      expect(sut.describe()).toEqual({ kind: 'cpu', lost: false, batches: 0, jobs: 0, cpuFallbackJobs: 0 });
      await sut.close();
    }
  });

  it('fails for gpu when no adapter can run replays, saying why', () => {
    withoutNative();
    expect(() => createLocalExecutor({ kind: 'gpu', threads: 1 })).toThrow(GpuUnavailableError);
    expect(() => createLocalExecutor({ kind: 'gpu', threads: 1 })).toThrow(/the native core is not loaded/);
  });

  it('falls back to CPU threads for auto when no adapter can run replays, and says why', async () => {
    withoutNative();
    const sut = createLocalExecutor({ kind: 'auto', threads: 1 });
    try {
      const d = sut.describe();
      expect(d).toMatchObject({ kind: 'cpu', lost: false });
      expect(d.fallbackReason).toMatch(/^no usable GPU: the native core is not loaded/);
      expect(describeExecutor(d)).toMatch(/^replays on CPU threads \(no usable GPU: /);
    } finally {
      await sut.close();
    }
  });

  gpuIt(
    'runs the GPU executor for gpu where an adapter opens, and for auto where it is hardware',
    async () => {
      const model = randomModel({ seed: 31, kind: 'mlp', sizes: [16, 8, 4] });
      const software = adapter!.deviceType === 'Cpu';
      if (software) {
        const auto = createLocalExecutor({ kind: 'auto', threads: 1 });
        expect(auto.describe()).toMatchObject({ kind: 'cpu' });
        expect(auto.describe().fallbackReason).toBe(
          `no usable GPU: only a software adapter (${adapter!.name}), slower than CPU threads; VERILAY_EXECUTOR=gpu runs on it`,
        );
        await auto.close();
      }
      for (const kind of software ? (['gpu'] as const) : (['auto', 'gpu'] as const)) {
        const sut = createLocalExecutor({ kind, threads: 1 });
        try {
          expect(sut.describe()).toMatchObject({ kind: 'gpu', adapter, lost: false });
          expect(describeExecutor(sut.describe())).toBe(
            `replays on the GPU ${adapter!.name} (${adapter!.backend}, ${adapter!.deviceType})`,
          );
          await sut.execute({
            id: 'j',
            modelId: computeModelId(model),
            modelBytes: `0x${Buffer.from(encodeModel(model)).toString('hex')}`,
            input: Array.from(randomInput(model, 1)),
            salt: '0x0',
          });
          expect(sut.describe()).toMatchObject({ batches: 1, jobs: 1 });
        } finally {
          await sut.close();
        }
      }
    },
  );
});
