import { createTensorCommitter, toHex32 } from '@verilay/commitments';
import { computeModelId, encodeModel, randomInput, randomModel } from '@verilay/inference';
import { executeTask } from '@verilay/protocol';
import { InlineExecutor } from './inline-executor';
import { ReplayExecutor } from './replay-executor';
import type { ReplayJob, ReplayResult } from './replay-job';
import { ReplayQueue, replayResultBytes } from './replay-queue';

const model = randomModel({ seed: 3, kind: 'mlp', sizes: [12, 6, 3], argmax: true });
const job = (id: string, seed = 1, salt = 5n): ReplayJob => ({
  id,
  modelId: computeModelId(model),
  modelBytes: `0x${Buffer.from(encodeModel(model)).toString('hex')}`,
  input: Array.from(randomInput(model, seed)),
  salt: toHex32(salt),
});

/** Counts what reaches the real executor underneath. */
class CountingExecutor extends ReplayExecutor {
  readonly concurrency = 1;
  calls = 0;
  constructor(private readonly inner: ReplayExecutor) {
    super();
  }
  execute(j: ReplayJob): Promise<ReplayResult> {
    this.calls++;
    return this.inner.execute(j);
  }
  close() {
    return this.inner.close();
  }
}

describe(ReplayQueue.name, () => {
  it('replays a task exactly as executeTask commits to it', async () => {
    const sut = new ReplayQueue(new InlineExecutor());
    const result = await sut.submit(job('a', 7, 9n));
    const expected = executeTask(model, randomInput(model, 7), await createTensorCommitter(), 9n);
    expect(result).toEqual({
      id: 'a',
      output: Array.from(expected.output.data),
      traceCommitments: expected.traceCommitments,
      inputCommitment: expected.inputCommitment,
      outputCommitment: expected.outputCommitment,
      traceRoot: expected.traceRoot,
    });
  });

  it('runs a job id once, however often it is submitted', async () => {
    const executor = new CountingExecutor(new InlineExecutor());
    const sut = new ReplayQueue(executor);
    const [first, second] = await Promise.all([sut.submit(job('x')), sut.submit(job('x'))]);
    const third = await sut.submit(job('x'));
    expect(executor.calls).toBe(1);
    expect(second).toBe(first);
    expect(third).toBe(first);
  });

  it('refuses model bytes that are not the named model, and lets the job be retried', async () => {
    const executor = new CountingExecutor(new InlineExecutor());
    const sut = new ReplayQueue(executor);
    const other = randomModel({ seed: 4, kind: 'mlp', sizes: [12, 6, 3] });
    const forged = {
      ...job('f'),
      modelBytes: `0x${Buffer.from(encodeModel(other)).toString('hex')}` as const,
    };
    await expect(sut.submit(forged)).rejects.toThrow(/do not hash to/);
    await expect(sut.submit(job('f'))).resolves.toMatchObject({ id: 'f' });
    expect(executor.calls).toBe(2);
  });

  it('keeps finished results within maxBytes (not a count of entries), replaying evicted ones again', async () => {
    const executor = new CountingExecutor(new InlineExecutor());
    const one = replayResultBytes(await new ReplayQueue(new InlineExecutor()).submit(job('size')));
    const sut = new ReplayQueue(executor, { maxBytes: 2 * one });
    for (const id of ['a', 'b', 'c']) await sut.submit(job(id));
    expect(sut.cachedBytes).toBe(2 * one);
    await sut.submit(job('c')); // kept
    await sut.submit(job('a')); // evicted: replayed again
    expect(executor.calls).toBe(4);
  });
});
