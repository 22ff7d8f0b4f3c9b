import { computeModelId, encodeModel, randomInput, randomModel, type Model } from '@verilay/inference';
import { CpuExecutor, ReplayTimeoutError } from './cpu-executor';
import { InlineExecutor } from './inline-executor';
import { ReplayRejectedError } from './replay-rejected.error';
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
    it('answers every job with its own result, in order, with jobs posted ahead to one thread', async () => {
      const model = randomModel({ seed: 3, kind: 'mlp', sizes: [16, 8, 4] });
      const sut = new CpuExecutor({ threads: 1 });
      try {
        const jobs = Array.from({ length: 20 }, (_, i) => ({
          ...job(`j${i}`, model),
          input: Array.from(randomInput(model, i + 1)),
        }));
        const results = await Promise.all(jobs.map((j) => sut.execute(j)));
        expect(results.map((r) => r.id)).toEqual(jobs.map((j) => j.id));
        // Different inputs, different input commitments: no result was given to another job.
        expect(new Set(results.map((r) => r.inputCommitment)).size).toBe(20);
      } finally {
        await sut.close();
      }
    }, 30_000);

    it('rejects a job that does not replay (model bytes of another model) with ReplayRejectedError', async () => {
      const model = randomModel({ seed: 3, kind: 'mlp', sizes: [16, 8, 4] });
      const other = randomModel({ seed: 4, kind: 'mlp', sizes: [16, 8, 4] });
      const forged = { ...job('forged', model), modelId: computeModelId(other) };
      for (const sut of [new CpuExecutor({ threads: 1 }), new InlineExecutor()]) {
        try {
          // The queues fail such a job at once (libs/queue): replaying it again gives the same answer.
          await expect(sut.execute(forged)).rejects.toThrow(ReplayRejectedError);
          await expect(sut.execute(forged)).rejects.toThrow(/do not hash to/);
        } finally {
          await sut.close();
        }
      }
    }, 30_000);

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
      // A fresh thread loads the runtime and circomlibjs: seconds on a loaded 2-core machine (CI once
      // passed 30 s here with VERILAY_NATIVE=off while other jobs ran).
    }, 120_000);
  });
});
