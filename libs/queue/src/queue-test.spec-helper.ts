import { Queue } from 'bullmq';
import { computeModelId, encodeModel, randomInput, type Model } from '@verilay/inference';
import { ReplayExecutor, type ReplayJob, type ReplayResult } from '@verilay/workers';
import { connectionOf, type RedisQueueOptions } from './redis-queue-options';

let count = 0;

/** A queue of its own for each test: its own prefix and name. */
export function freshQueue(url: string): Required<RedisQueueOptions> {
  count += 1;
  return { url, prefix: `verilay-test-${process.pid}-${Date.now()}`, queue: `replay-${count}` };
}

/** Removes a test's queue and everything in it. */
export async function dropQueue(options: Required<RedisQueueOptions>): Promise<void> {
  const queue = new Queue(options.queue, { connection: connectionOf(options.url), prefix: options.prefix });
  await queue.obliterate({ force: true });
  await queue.close();
}

export function jobOf(id: string, model: Model, seed = 1, salt = '0x0'): ReplayJob {
  return {
    id,
    modelId: computeModelId(model),
    modelBytes: `0x${Buffer.from(encodeModel(model)).toString('hex')}`,
    input: Array.from(randomInput(model, seed)),
    salt: salt as `0x${string}`,
  };
}

/**
 * An executor that counts its calls (and when they came) and fails the first `failFirst` of them
 * with a worker's error (not the job's), before handing jobs to `inner`.
 */
export class CountingExecutor extends ReplayExecutor {
  readonly concurrency = 1;
  readonly calls: { id: string; at: number }[] = [];
  constructor(
    private readonly inner: ReplayExecutor,
    private failFirst = 0,
  ) {
    super();
  }

  async execute(job: ReplayJob): Promise<ReplayResult> {
    this.calls.push({ id: job.id, at: Date.now() });
    if (this.failFirst > 0) {
      this.failFirst -= 1;
      throw new Error('the worker lost its thread');
    }
    return this.inner.execute(job);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
