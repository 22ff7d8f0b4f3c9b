import type { ReplayExecutor } from './replay-executor';
import type { ReplayJob, ReplayResult } from './replay-job';

/**
 * The in-process job queue (the default; a BullMQ/Redis queue can take the same jobs on many
 * machines). Jobs are idempotent by id: submitting an id again while it runs, or after it ran,
 * returns the same result without replaying twice. Finished results are kept, bounded.
 */
export class ReplayQueue {
  private readonly jobs = new Map<string, Promise<ReplayResult>>();

  constructor(
    private readonly executor: ReplayExecutor,
    private readonly keep = 10_000,
  ) {}

  submit(job: ReplayJob): Promise<ReplayResult> {
    const known = this.jobs.get(job.id);
    if (known) return known;
    const result = this.executor.execute(job);
    this.jobs.set(job.id, result);
    // A failed job may be submitted again.
    result.catch(() => this.jobs.delete(job.id));
    if (this.jobs.size > this.keep) this.jobs.delete(this.jobs.keys().next().value!);
    return result;
  }

  close(): Promise<void> {
    return this.executor.close();
  }
}
