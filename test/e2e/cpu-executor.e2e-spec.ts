// The CPU executor's worker threads run the compiled build (npm run build first; npm test does).
import { createTensorCommitter, toHex32 } from '@verilay/commitments';
import { computeModelId, encodeModel, randomInput, randomModel } from '@verilay/inference';
import { executeTask } from '@verilay/protocol';
import { CpuExecutor, ReplayQueue, type ReplayJob } from '@verilay/workers';

describe('CpuExecutor (e2e)', () => {
  const model = randomModel({ seed: 11, kind: 'mlp', sizes: [64, 16, 4], argmax: true });
  const job = (i: number): ReplayJob => ({
    id: `task-${i}`,
    modelId: computeModelId(model),
    modelBytes: `0x${Buffer.from(encodeModel(model)).toString('hex')}`,
    input: Array.from(randomInput(model, i)),
    salt: toHex32(BigInt(i)),
  });

  it('replays on two threads exactly what the runtime computes on the main thread', async () => {
    const executor = new CpuExecutor({ threads: 2 });
    const sut = new ReplayQueue(executor);
    try {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => sut.submit(job(i))));
      const committer = await createTensorCommitter();
      for (const [i, r] of results.entries()) {
        const expected = executeTask(model, randomInput(model, i), committer, BigInt(i));
        expect(r.traceCommitments).toEqual(expected.traceCommitments);
        expect(r.traceRoot).toBe(expected.traceRoot);
        expect(r.output).toEqual(Array.from(expected.output.data));
      }
      await expect(sut.submit({ ...job(99), modelId: `0x${'00'.repeat(32)}` })).rejects.toThrow(
        /do not hash/,
      );
    } finally {
      await sut.close();
    }
  });
});
