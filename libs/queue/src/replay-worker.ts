import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import {
  ReplayRejectedError,
  ReplayTimeoutError,
  type ReplayExecutor,
  type ReplayResult,
} from '@verilay/workers';
import { failureReason, isFinalFailure } from './remote-replay.error';
import { listFailed, type FailedReplay } from './redis-replay-executor';
import { ModelReads } from './model-store';
import { MalformedReplayJobError, parseQueuedJob } from './replay-job-payload';
import { bullJobId, connectionOf, queueNames, type RedisQueueOptions } from './redis-queue-options';

export interface ReplayWorkerOptions extends RedisQueueOptions {
  /** Where the replays run (`verilay worker`: a CpuExecutor). Closed with the worker. */
  readonly executor: ReplayExecutor;
  /**
   * Jobs taken at once (default: four per executor thread: two posted to each thread, two more
   * taking or storing through Redis, so no thread waits for a round trip).
   */
  readonly concurrency?: number;
  /**
   * A taken job is locked this long and the lock renewed at half of it: a worker that dies
   * (SIGKILL, a lost machine) leaves its job to another after about this (default 30 000 ms).
   */
  readonly lockDurationMs?: number;
  /** How often this worker looks for jobs whose worker died (default: the lock duration). */
  readonly stalledIntervalMs?: number;
  /** Stored on every job it takes (BullMQ's processedBy): which worker runs or ran a job. */
  readonly name?: string;
  /** One event per job, for logs and progress. */
  readonly onEvent?: (event: ReplayWorkerEvent) => void;
}

export type ReplayWorkerEvent =
  | { readonly kind: 'done'; readonly id: string; readonly ms: number }
  | { readonly kind: 'failed'; readonly id: string; readonly reason: string; readonly final: boolean }
  | { readonly kind: 'stalled'; readonly id: string }
  | { readonly kind: 'error'; readonly reason: string };

/**
 * Takes replay jobs from the Redis queue and runs them on an executor. A payload that is not a
 * replay job, a job that does not replay and one past its time budget fail at once with their
 * reason (UnrecoverableError: the same job fails the same way); any other error (a thread died,
 * the executor closed) is the worker's, and the job is retried with backoff. Results are stored
 * by BullMQ with the job; a job whose worker died is taken again once its lock runs out.
 */
export class ReplayWorker {
  private readonly worker: Worker<unknown, ReplayResult>;
  private readonly executor: ReplayExecutor;
  private readonly models: ModelReads;
  private readonly where: { url: string; prefix: string; queue: string };

  constructor(options: ReplayWorkerOptions) {
    const { prefix, queue } = queueNames(options);
    this.where = { url: options.url, prefix, queue };
    const lockDuration = options.lockDurationMs ?? 30_000;
    const emit = options.onEvent ?? (() => {});
    this.executor = options.executor;
    this.models = new ModelReads(() => this.worker.client, prefix, queue);
    this.worker = new Worker(queue, (job) => this.process(job), {
      connection: connectionOf(options.url),
      prefix,
      name: options.name,
      concurrency: options.concurrency ?? 4 * options.executor.concurrency,
      lockDuration,
      stalledInterval: options.stalledIntervalMs ?? lockDuration,
      // Finished jobs stay for their results; the producer bounds how many (removeOn* per job).
    });
    this.worker.on('completed', (job) =>
      emit({ kind: 'done', id: idOf(job), ms: (job.finishedOn ?? 0) - (job.processedOn ?? 0) }),
    );
    this.worker.on('failed', (job, error) => {
      if (!job) return;
      const reason = job.failedReason ?? error.message;
      const final = isFinalFailure(reason) || job.attemptsMade >= (job.opts.attempts ?? 1);
      emit({ kind: 'failed', id: idOf(job), reason, final });
    });
    this.worker.on('stalled', (id) => emit({ kind: 'stalled', id }));
    // ioredis reconnects by itself (a Redis restart): the error is reported, never thrown.
    this.worker.on('error', (error) => emit({ kind: 'error', reason: error.message }));
  }

  /** Resolves once connected to Redis. */
  async ready(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  /** Stops taking new jobs (the running ones finish); `resume` takes them again. */
  pause(): Promise<void> {
    return this.worker.pause();
  }

  resume(): void {
    this.worker.resume();
  }

  /**
   * Stops taking jobs. Graceful (default): waits for the running jobs to finish and store their
   * results. `force`: returns at once, handing the running jobs back to the queue (waiting, for
   * any worker, without waiting for their locks to lapse); results they still produce here are
   * refused by Redis (the lock is gone), so each job's result is stored once.
   */
  async close(force = false): Promise<void> {
    // Closed first: a worker still taking jobs could take a handed-back job again at once.
    await this.worker.close(force);
    if (force) await this.handBack();
    await this.executor.close();
  }

  /**
   * Moves the jobs this worker holds back to waiting. Found by their locks (BullMQ's lock tokens
   * start with the worker's id), not by the processor's calls: a job is taken from Redis a moment
   * before it is given to the processor, and a job in between is held all the same.
   */
  private async handBack(): Promise<void> {
    const queue = new Queue(this.where.queue, {
      connection: connectionOf(this.where.url),
      prefix: this.where.prefix,
    });
    try {
      const client = await queue.client;
      for (const job of await queue.getActive()) {
        const token = job?.id && (await client.get(`${queue.toKey(job.id)}:lock`));
        // Refused when the job has moved on meanwhile (finished, or taken by another): nothing to do.
        if (token?.startsWith(`${this.worker.id}:`)) await job.moveToWait(token).catch(() => 0);
      }
    } finally {
      await queue.close();
    }
  }

  private async process(job: Job<unknown, ReplayResult>): Promise<ReplayResult> {
    let replay;
    try {
      replay = parseQueuedJob(job.data);
      // The result is stored under the BullMQ id: it must be the job's own.
      if (bullJobId(replay.id) !== job.id)
        throw new MalformedReplayJobError(`job ${job.id} carries the replay job ${replay.id}`);
    } catch (error) {
      throw new UnrecoverableError(failureReason(error as Error));
    }
    // A model named but not stored (expired, or the store was flushed): the producer stores it
    // again when the job is submitted again; retried meanwhile, as a worker's own failure.
    const modelBytes = replay.modelBytes ?? (await this.models.get(replay.modelId));
    if (!modelBytes) throw new Error(`model ${replay.modelId} is not stored in Redis`);
    try {
      return await this.executor.execute({ ...replay, modelBytes });
    } catch (error) {
      if (error instanceof ReplayRejectedError || error instanceof ReplayTimeoutError)
        throw new UnrecoverableError(failureReason(error));
      throw error;
    }
  }
}

/** A job's replay id, or its BullMQ id when the payload has none. */
function idOf(job: Job): string {
  const id = (job.data as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : String(job.id);
}

/** The failed jobs of a queue, for `verilay worker --failed` (no worker needed). */
export async function listFailedReplays(options: RedisQueueOptions, limit = 100): Promise<FailedReplay[]> {
  const { prefix, queue } = queueNames(options);
  const q = new Queue(queue, { connection: connectionOf(options.url), prefix });
  try {
    return await listFailed(q, limit);
  } finally {
    await q.close();
  }
}
