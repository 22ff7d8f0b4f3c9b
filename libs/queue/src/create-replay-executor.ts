import { createLocalExecutor, type ExecutorKind, type ReplayExecutor } from '@verilay/workers';
import { RedisReplayExecutor } from './redis-replay-executor';

export interface ReplayExecutorChoice {
  /** VERILAY_REDIS_URL: set, replays go to `verilay worker` processes through Redis. */
  readonly redisUrl?: string;
  /** In-process: worker threads. Through Redis: replays the callers may count on at once. */
  readonly threads: number;
  /** In-process: a replay running longer is abandoned (through Redis: the worker's --job-timeout-ms). */
  readonly jobTimeoutMs?: number;
  /**
   * Through Redis: 0 (default) is taken before any job with a priority, then 1, 2, …: a
   * watcher's dispute replays go before its batch checks, as their own thread does in-process.
   */
  readonly priority?: number;
  /** In-process: VERILAY_EXECUTOR (default cpu; see createLocalExecutor). Through Redis: the workers' own. */
  readonly executor?: ExecutorKind;
  /** In-process, on a GPU: the largest batch of one model's jobs. */
  readonly maxBatch?: number;
}

/**
 * The replay executor of an app: remote workers when VERILAY_REDIS_URL is set, else its own GPU or
 * CPU threads as VERILAY_EXECUTOR says (throws GpuUnavailableError for `gpu` without an adapter).
 */
export function createReplayExecutor(choice: ReplayExecutorChoice): ReplayExecutor {
  if (choice.redisUrl)
    return new RedisReplayExecutor({
      url: choice.redisUrl,
      concurrency: choice.threads,
      priority: choice.priority,
    });
  return createLocalExecutor({
    kind: choice.executor,
    threads: choice.threads,
    jobTimeoutMs: choice.jobTimeoutMs,
    maxBatch: choice.maxBatch,
  });
}
