import { checkNativeAtBoot, describeNative } from '@verilay/native';
import { listFailedReplays, ReplayWorker, type ReplayWorkerEvent } from '@verilay/queue';
import { createLocalExecutor, describeExecutor, type ExecutorKind } from '@verilay/workers';

export interface WorkerOptions {
  readonly redis: string;
  readonly prefix: string;
  readonly queue: string;
  /** Replay threads (CPU, or the GPU's fallback); default one per core. */
  readonly concurrency?: number;
  /** VERILAY_EXECUTOR: auto (default), gpu (fails without an adapter), cpu. */
  readonly executor?: ExecutorKind;
  /** On a GPU: the most jobs of one model per batch (default 64). */
  readonly maxBatch?: number;
  readonly lockMs: number;
  readonly jobTimeoutMs: number;
  readonly failed?: boolean;
  readonly limit: number;
  readonly progressMs: number;
  /** Stored on the jobs it takes (the CLI's default: host:pid). */
  readonly name?: string;
}

/** The URL for a log line: no password. */
const shown = (url: string) => {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
};

/**
 * `verilay worker --redis <url>`: takes replay jobs from the Redis queue (a watcher's or verifier's
 * with VERILAY_REDIS_URL) and runs them on the GPU or CPU executor (--executor, VERILAY_EXECUTOR;
 * on the CPU the native core or JavaScript, as VERILAY_NATIVE picks). Logs a line per failed job and a progress line while jobs come. SIGTERM or
 * SIGINT: takes no more jobs, finishes the running ones and exits; a second one exits at once,
 * handing the running jobs back to the queue for other workers. `--failed`: lists the failed jobs.
 */
export async function runWorker(opts: WorkerOptions): Promise<void> {
  const where = { url: opts.redis, prefix: opts.prefix, queue: opts.queue };
  if (opts.failed) {
    for (const f of await listFailedReplays(where, opts.limit))
      console.log(
        JSON.stringify({
          id: f.id,
          attempts: f.attempts,
          failedAt: f.failedAt?.toISOString(),
          reason: f.reason,
        }),
      );
    return;
  }
  const native = describeNative(checkNativeAtBoot());
  const executor = createLocalExecutor({
    kind: opts.executor ?? 'auto',
    threads: opts.concurrency,
    jobTimeoutMs: opts.jobTimeoutMs,
    maxBatch: opts.maxBatch,
  });
  const counts = { done: 0, failed: 0, retried: 0, stalled: 0 };
  let lastCounts = '';
  const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  const onEvent = (e: ReplayWorkerEvent) => {
    if (e.kind === 'done') counts.done += 1;
    else if (e.kind === 'failed') {
      counts[e.final ? 'failed' : 'retried'] += 1;
      log(`${e.final ? 'failed' : 'will retry'} ${e.id}: ${e.reason}`);
    } else if (e.kind === 'stalled') {
      counts.stalled += 1;
      log(`taken again: ${e.id} (its worker stopped without finishing it)`);
    } else log(`redis: ${e.reason} (reconnecting)`);
  };
  const worker = new ReplayWorker({
    ...where,
    executor,
    lockDurationMs: opts.lockMs,
    name: opts.name,
    stalledIntervalMs: Math.min(opts.lockMs, 30_000),
    onEvent,
  });
  const started = Date.now();
  const progress = setInterval(() => {
    const now = JSON.stringify(counts);
    if (now === lastCounts) return; // idle: nothing to say
    lastCounts = now;
    const rate = counts.done / ((Date.now() - started) / 1000);
    log(
      `done ${counts.done} (${rate.toFixed(1)}/s), failed ${counts.failed}, retried ${counts.retried}, taken again ${counts.stalled}`,
    );
  }, opts.progressMs);
  await worker.ready();
  log(
    `worker: queue ${opts.prefix}:${opts.queue} on ${shown(opts.redis)}, ${describeExecutor(executor.describe())}, ${executor.concurrency} at once, ${native}; waiting for jobs`,
  );
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        log(`${signal} again: stopping now; the running jobs go back to the queue for other workers`);
        void worker.close(true).then(resolve, resolve);
        return;
      }
      stopping = true;
      log(`${signal}: taking no more jobs, finishing the running ones`);
      void worker.close().then(resolve, resolve);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  clearInterval(progress);
  log(
    `stopped: done ${counts.done}, failed ${counts.failed}, retried ${counts.retried}, taken again ${counts.stalled}`,
  );
}
