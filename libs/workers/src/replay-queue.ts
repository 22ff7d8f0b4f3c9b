import { ByteLru } from './byte-lru';
import type { ExecutorDescription, ReplayExecutor } from './replay-executor';
import type { ReplayJob, ReplayResult } from './replay-job';

/** Bytes a finished result holds in memory, roughly (numbers as doubles, hex strings as UTF-16). */
export function replayResultBytes(result: ReplayResult): number {
  return 256 + result.output.length * 8 + (result.traceCommitments.length + 4) * 2 * 66;
}

/**
 * The in-process job queue (the default; a BullMQ/Redis queue can take the same jobs on many
 * machines). Jobs are idempotent by id: submitting an id again while it runs, or after it ran,
 * returns the same result without replaying twice. Finished results are kept up to `maxBytes`
 * (default 64 MiB), least recently used first out: a count of entries would not bound memory.
 */
export class ReplayQueue {
  private readonly running = new Map<string, Promise<ReplayResult>>();
  private readonly done: ByteLru<ReplayResult>;

  constructor(
    private readonly executor: ReplayExecutor,
    options: { readonly maxBytes?: number } = {},
  ) {
    this.done = new ByteLru(options.maxBytes ?? 64 * 2 ** 20);
  }

  /** Jobs its executor runs at once. */
  get concurrency(): number {
    return this.executor.concurrency;
  }

  /** Bytes of finished results kept. */
  get cachedBytes(): number {
    return this.done.bytes;
  }

  submit(job: ReplayJob): Promise<ReplayResult> {
    const known = this.done.get(job.id);
    if (known) return Promise.resolve(known);
    const running = this.running.get(job.id);
    if (running) return running;
    const result = this.executor.execute(job);
    this.running.set(job.id, result);
    // A failed job may be submitted again.
    result.then(
      (r) => {
        this.running.delete(job.id);
        this.done.set(job.id, r, replayResultBytes(r));
      },
      () => this.running.delete(job.id),
    );
    return result;
  }

  /** Keeps `result` as the answer to job `id`, as if this queue had replayed it. */
  remember(id: string, result: ReplayResult): void {
    this.done.set(id, result, replayResultBytes(result));
  }

  /** What runs its replays (its executor's describe()), for /health and metrics. */
  describe(): ExecutorDescription {
    return this.executor.describe();
  }

  close(): Promise<void> {
    return this.executor.close();
  }
}
