import { Queue } from 'bullmq';
import { CpuExecutor, GpuUnavailableError, InlineExecutor } from '@verilay/workers';
import { resetNativeForTest } from '@verilay/native';
import { randomModel } from '@verilay/inference';
import { createReplayExecutor } from './create-replay-executor';
import { CountingExecutor, dropQueue, freshQueue, jobOf } from './queue-test.spec-helper';
import { RedisReplayExecutor } from './redis-replay-executor';
import { ReplayWorker } from './replay-worker';
import { testRedisUrl } from './test-redis';

const url = testRedisUrl();

describe(createReplayExecutor.name, () => {
  it('replays on its own threads without a Redis URL', async () => {
    const sut = createReplayExecutor({ threads: 1, jobTimeoutMs: 1000 });
    expect(sut).toBeInstanceOf(CpuExecutor);
    await sut.close();
  });

  it('takes VERILAY_EXECUTOR in-process: cpu threads, and a clear boot error for gpu without a GPU', async () => {
    const sut = createReplayExecutor({ threads: 1, executor: 'cpu' });
    expect(sut.describe()).toMatchObject({ kind: 'cpu', lost: false });
    await sut.close();
    const native = process.env.VERILAY_NATIVE;
    process.env.VERILAY_NATIVE = 'off';
    resetNativeForTest();
    try {
      expect(() => createReplayExecutor({ threads: 1, executor: 'gpu' })).toThrow(GpuUnavailableError);
    } finally {
      if (native === undefined) delete process.env.VERILAY_NATIVE;
      else process.env.VERILAY_NATIVE = native;
      resetNativeForTest();
    }
  });

  (url ? it : it.skip)(
    'with a Redis URL, sends jobs to the workers, priority 0 before priority 1',
    async () => {
      const names = freshQueue(url!);
      const checks = createReplayExecutor({ redisUrl: url, threads: 2, priority: 1 }) as RedisReplayExecutor;
      const disputes = createReplayExecutor({ redisUrl: url, threads: 1 }) as RedisReplayExecutor;
      expect(checks).toBeInstanceOf(RedisReplayExecutor);
      expect(checks.concurrency).toBe(2);
      // The replays run on the workers (their own --executor), whatever this side's VERILAY_EXECUTOR.
      expect(checks.describe().kind).toBe('remote');
      await Promise.all([checks.close(), disputes.close()]);
      // The same on a test queue: jobs queued while no worker runs, then taken one at a time.
      const low = new RedisReplayExecutor({ ...names, priority: 1 });
      const high = new RedisReplayExecutor(names);
      const model = randomModel({ seed: 5, kind: 'mlp', sizes: [6, 4, 2] });
      const done = [
        low.execute(jobOf('check-1', model)),
        low.execute(jobOf('check-2', model)),
        high.execute(jobOf('dispute', model)),
      ];
      const counting = new CountingExecutor(new InlineExecutor());
      const probe = new Queue(names.queue, { connection: { url: url! }, prefix: names.prefix });
      const queued = async () =>
        Object.values(await probe.getJobCounts('wait', 'prioritized')).reduce((a, b) => a + b);
      while ((await queued()) < 3) await new Promise((r) => setTimeout(r, 20));
      await probe.close();
      const worker = new ReplayWorker({ ...names, executor: counting, concurrency: 1 });
      try {
        await Promise.all(done);
        expect(counting.calls.map((c) => c.id)).toEqual(['dispute', 'check-1', 'check-2']);
      } finally {
        await worker.close();
        await Promise.all([low.close(), high.close()]);
        await dropQueue(names);
      }
    },
  );
});
