import { Queue } from 'bullmq';
import { randomModel } from '@verilay/inference';
import { InlineExecutor, ReplayExecutor, type ReplayJob, type ReplayResult } from '@verilay/workers';
import { CountingExecutor, dropQueue, freshQueue, jobOf } from './queue-test.spec-helper';
import { RedisReplayExecutor } from './redis-replay-executor';
import { ReplayWorker } from './replay-worker';
import { testRedisUrl } from './test-redis';

const url = testRedisUrl();

/** Never finishes a replay (until closed): a worker stopped mid-job. */
class Stuck extends ReplayExecutor {
  readonly concurrency = 1;
  private release?: () => void;
  execute(_job: ReplayJob): Promise<ReplayResult> {
    return new Promise((_, reject) => (this.release = () => reject(new Error('closed'))));
  }
  async close(): Promise<void> {
    this.release?.();
  }
}

(url ? describe : describe.skip)(ReplayWorker.name, () => {
  describe('close', () => {
    it('forced, hands its running job back at once (no lock to wait out), and another worker stores it once', async () => {
      const names = freshQueue(url!);
      const probe = new Queue(names.queue, { connection: { url: url! }, prefix: names.prefix });
      // A 60 s lock: only the hand-back, not a lapse, lets the job go within the test.
      const stuck = new ReplayWorker({ ...names, executor: new Stuck(), lockDurationMs: 60_000 });
      const sut = new RedisReplayExecutor(names);
      const job = jobOf('handed-back', randomModel({ seed: 9, kind: 'mlp', sizes: [5, 4, 3] }));
      try {
        const result = sut.execute(job);
        while ((await probe.getJobState('handed-back')) !== 'active')
          await new Promise((r) => setTimeout(r, 20));
        await stuck.close(true);
        expect(await probe.getJobState('handed-back')).toBe('waiting');
        const counting = new CountingExecutor(new InlineExecutor());
        const other = new ReplayWorker({ ...names, executor: counting });
        try {
          expect(await result).toEqual(await new InlineExecutor().execute(job));
          expect(counting.calls.map((c) => c.id)).toEqual(['handed-back']);
        } finally {
          await other.close();
        }
      } finally {
        await sut.close();
        await probe.close();
        await dropQueue(names);
      }
    });
  });
});
