import { computeModelId, encodeModel, randomInput, randomModel, type Model } from '@verilay/inference';
import { CpuExecutor, ReplayTimeoutError } from './cpu-executor';
import type { ReplayJob } from './replay-job';

const job = (id: string, model: Model): ReplayJob => ({
  id,
  modelId: computeModelId(model),
  modelBytes: `0x${Buffer.from(encodeModel(model)).toString('hex')}`,
  input: Array.from(randomInput(model, 1)),
  salt: '0x0',
});

describe(CpuExecutor.name, () => {
  describe('execute', () => {
    it('abandons a replay past jobTimeoutMs, stops its thread, and goes on with a fresh one', async () => {
      // Seven 1024-wide layers: most of a second of replay, well past a budget of 200 ms.
      const heavy = randomModel({ seed: 1, kind: 'mlp', sizes: Array(8).fill(1024) });
      const light = randomModel({ seed: 2, kind: 'mlp', sizes: [6, 4, 3] });
      const sut = new CpuExecutor({ threads: 1, jobTimeoutMs: 200 });
      try {
        const stuck = sut.execute(job('heavy', heavy));
        const next = sut.execute(job('light', light));
        await expect(stuck).rejects.toThrow(ReplayTimeoutError);
        await expect(next).resolves.toMatchObject({ id: 'light' });
      } finally {
        await sut.close();
      }
    }, 30_000);
  });
});
