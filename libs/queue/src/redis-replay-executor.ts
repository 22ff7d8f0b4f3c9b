import { Queue, QueueEvents, type Job } from 'bullmq';
import {
  ReplayExecutor,
  type ExecutorDescription,
  type ReplayJob,
  type ReplayResult,
} from '@verilay/workers';
import { ModelUploads } from './model-store';
import { errorOfFailure, isFinalFailure, RemoteReplayError } from './remote-replay.error';
import type { QueuedReplayJob } from './replay-job-payload';
import { bullJobId, connectionOf, queueNames, type RedisQueueOptions } from './redis-queue-options';

export interface RedisReplayExecutorOptions extends RedisQueueOptions {
  /** Tries of a job whose worker failed (a thread died, the worker's own error): default 3. */
  readonly attempts?: number;
  /** The first retry waits this long, each next one twice as long (default 1000 ms). */
  readonly backoffMs?: number;
  /** Finished jobs kept in Redis, newest first: their results answer a repeated id (default 10 000). */
  readonly keepFinished?: number;
  /** Replays the workers run at once, as the callers should assume (default 1). */
  readonly concurrency?: number;
  /** 0 (default): taken before any job with a priority; then 1, 2, … in that order. */
  readonly priority?: number;
}

/** A job that failed for good, as `verilay worker --failed` lists it. */
export interface FailedReplay {
  readonly id: string;
  readonly reason: string;
  readonly attempts: number;
  readonly failedAt?: Date;
}

/**
 * Replays on remote workers (`verilay worker`) through a BullMQ queue on Redis. A job's BullMQ id
 * is its own id, so a job is idempotent across producers and restarts: submitting an id again,
 * while it runs or after it ran, waits for the same job and gets its stored result without a second
 * replay. A job whose worker failed is retried with exponential backoff; a job that failed for
 * good stays listed (`failed()`); one of those failed by a worker's error (not the job's own)
 * runs again when submitted again, as a failed job may be resubmitted to the in-process queue.
 */
export class RedisReplayExecutor extends ReplayExecutor {
  readonly concurrency: number;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly keepFinished: number;
  private readonly priority?: number;
  private readonly models: ModelUploads;

  constructor(options: RedisReplayExecutorOptions) {
    super();
    const { prefix, queue } = queueNames(options);
    const connection = connectionOf(options.url);
    this.queue = new Queue(queue, { connection, prefix });
    this.events = new QueueEvents(queue, { connection, prefix });
    // Errors while Redis restarts are reconnected by ioredis; without a listener they would throw.
    this.queue.on('error', () => {});
    this.events.on('error', () => {});
    // Each waiting call listens for the queue's closing (BullMQ): as many as jobs in flight.
    this.queue.setMaxListeners(0);
    this.events.setMaxListeners(0);
    this.concurrency = options.concurrency ?? 1;
    this.attempts = options.attempts ?? 3;
    this.backoffMs = options.backoffMs ?? 1000;
    this.keepFinished = options.keepFinished ?? 10_000;
    this.priority = options.priority || undefined;
    this.models = new ModelUploads(() => this.queue.client, prefix, queue);
  }

  /** The replays run in `verilay worker` processes: each says its own executor. */
  override describe(): ExecutorDescription {
    return { ...super.describe(), kind: 'remote' };
  }

  async execute(job: ReplayJob): Promise<ReplayResult> {
    // INVARIANT: the events reader listens before the job is added, so no finish is missed.
    await this.events.waitUntilReady();
    // The model goes to Redis once, the job names it; bytes that are not the id's go with the job.
    const { modelBytes, ...named } = job;
    const payload: QueuedReplayJob = (await this.models.ensure(job.modelId, modelBytes)) ? named : job;
    const added = await this.addOwn(job, payload);
    // An id seen before: BullMQ added nothing (the job returned is not read back from Redis).
    if ((await added.getState()) === 'failed') {
      const stored = await this.queue.getJob(added.id!);
      if (stored && !isFinalFailure(stored.failedReason ?? '')) {
        // Its model may be what went missing: stored again first.
        await this.models.ensure(job.modelId, modelBytes, true);
        // Another producer may have retried it first: then it is waiting again, as wanted.
        await stored.retry('failed').catch(() => undefined);
      }
    }
    try {
      return (await added.waitUntilFinished(this.events)) as ReplayResult;
    } catch (error) {
      throw errorOfFailure(job.id, error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * Adds the job under its id. A job already stored there must be this replay (any producer's):
   * ids are predictable (`dispute-<n>-<claim>`, `<claim>:<input hash>`), and one taken first with
   * another input or model bytes by anyone who can write to Redis would otherwise be this job's
   * answer for good (the defender, blocked on an input that "changed", would let its clock run
   * out). Such a job is removed, once it is no longer running, and this one added in its place.
   */
  private async addOwn(job: ReplayJob, payload: QueuedReplayJob): Promise<Job> {
    for (let tries = 0; tries < 3; tries += 1) {
      const added: Job = await this.queue.add('replay', payload, {
        jobId: bullJobId(job.id),
        attempts: this.attempts,
        backoff: { type: 'exponential', delay: this.backoffMs },
        removeOnComplete: { count: this.keepFinished },
        removeOnFail: { count: this.keepFinished },
        priority: this.priority,
      });
      const stored = await this.queue.getJob(added.id!);
      if (!stored || isSameReplay(stored.data, job)) return added;
      // A running job's lock keeps it from removal: it is let finish first.
      if (await stored.isActive()) await stored.waitUntilFinished(this.events).catch(() => undefined);
      await stored.remove().catch(() => undefined);
    }
    throw new RemoteReplayError(job.id, 'its job id is held by another replay');
  }

  /** Jobs that failed for good, newest first, with the reason of their last attempt. */
  failed(limit = 100): Promise<FailedReplay[]> {
    return listFailed(this.queue, limit);
  }

  async close(): Promise<void> {
    await Promise.all([this.queue.close(), this.events.close()]);
  }
}

/** Whether a stored payload is the replay `job` (its model by id, or with the same bytes). */
function isSameReplay(data: unknown, job: ReplayJob): boolean {
  const d = data as Partial<QueuedReplayJob> | undefined;
  const salt = (hex: unknown) => {
    try {
      return BigInt(hex as string);
    } catch {
      return hex;
    }
  };
  return (
    d?.id === job.id &&
    d.modelId?.toLowerCase() === job.modelId.toLowerCase() &&
    (d.modelBytes === undefined || d.modelBytes.toLowerCase() === job.modelBytes.toLowerCase()) &&
    salt(d.salt) === salt(job.salt) &&
    JSON.stringify(d.input) === JSON.stringify(job.input)
  );
}

/** The failed jobs of a queue (shared with `verilay worker --failed`). */
export async function listFailed(queue: Queue, limit: number): Promise<FailedReplay[]> {
  const jobs = await queue.getFailed(0, limit - 1);
  return jobs
    .filter((j): j is Job => j !== undefined)
    .map((j) => ({
      id: typeof j.data?.id === 'string' ? j.data.id : String(j.id),
      reason: j.failedReason,
      attempts: j.attemptsMade,
      failedAt: j.finishedOn ? new Date(j.finishedOn) : undefined,
    }));
}
