import { computeModelId, encodeModel, randomInput, randomModel, type Model } from '@verilay/inference';
import type { NativeGpuHandle } from '@verilay/native';
import { GpuReplayer } from './gpu-replayer';
import { openGpu } from './open-gpu';
import type { ReplayJob } from './replay-job';
import { testGpuAdapter } from './test-gpu';

const job = (id: string, model: Model, seed: number): ReplayJob => ({
  id,
  modelId: computeModelId(model),
  modelBytes: `0x${Buffer.from(encodeModel(model)).toString('hex')}`,
  input: Array.from(randomInput(model, seed)),
  salt: '0x0',
});

const model = randomModel({ seed: 21, kind: 'mlp', sizes: [32, 16, 4] });
const gpuIt = testGpuAdapter() ? it : it.skip;

describe(GpuReplayer.name, () => {
  let gpu: NativeGpuHandle;
  beforeAll(() => {
    if (gpuIt === it) gpu = openGpu();
  });
  afterAll(() => gpu?.destroy());

  describe('replayBatch', () => {
    gpuIt('runs the valid jobs of a batch on the device and hands an invalid one to the CPU', () => {
      const sut = new GpuReplayer(gpu);
      const bad = { ...job('bad', model, 2), input: [1.5, ...job('bad', model, 2).input.slice(1)] };
      const done = sut.replayBatch([job('a', model, 1), bad, job('c', model, 3)]);
      expect(done.ran).toBe(true);
      expect(done.outcomes.map((o) => ('result' in o ? o.result.id : 'cpu'))).toEqual(['a', 'cpu', 'c']);
      expect(done.outcomes[1]).toEqual({ cpu: expect.stringMatching(/^rejected input: .*not an integer/) });
    });

    gpuIt('keeps a model the GPU refuses (GPU_UNSUPPORTED) on the CPU, asking the device once', () => {
      // lavapipe refuses only models whose weights pass its 128 MiB binding limit, too big for a
      // spec: this device refuses every model with the binding's own error.
      let loads = 0;
      const refusing: NativeGpuHandle = {
        info: () => gpu.info(),
        lost: () => gpu.lost(),
        destroy: () => gpu.destroy(),
        load: () => {
          loads++;
          throw new Error('[GPU_UNSUPPORTED] layers[0] weights of 999 bytes is over the adapter’s limit');
        },
      };
      const sut = new GpuReplayer(refusing);
      for (const batch of [[job('a', model, 1)], [job('b', model, 2), job('c', model, 3)]]) {
        const done = sut.replayBatch(batch);
        expect(done).toMatchObject({ ran: false, lost: undefined });
        for (const o of done.outcomes)
          expect(o).toEqual({ cpu: expect.stringMatching(/^\[GPU_UNSUPPORTED\] layers\[0\]/) });
      }
      expect(loads).toBe(1);
    });

    gpuIt('sends the whole batch to the CPU and reports the loss once the device is gone', () => {
      const own = openGpu();
      const sut = new GpuReplayer(own);
      expect(sut.replayBatch([job('a', model, 1)]).ran).toBe(true);
      own.destroy();
      const done = sut.replayBatch([job('b', model, 2), job('c', model, 3)]);
      expect(done.ran).toBe(false);
      expect(done.lost).toMatch(/lost/);
      expect(done.outcomes).toEqual([{ cpu: expect.any(String) }, { cpu: expect.any(String) }]);
    });
  });
});
