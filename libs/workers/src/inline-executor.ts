import { createTensorCommitter, type TensorCommitter } from '@verilay/commitments';
import { ReplayExecutor } from './replay-executor';
import type { ReplayJob, ReplayResult } from './replay-job';
import { ModelCache, replay } from './replay';
import { ReplayRejectedError } from './replay-rejected.error';

/** Replays on the calling thread, one job at a time: for small loads, tests and tools. */
export class InlineExecutor extends ReplayExecutor {
  readonly concurrency = 1;
  private readonly models = new ModelCache();
  private committer?: Promise<TensorCommitter>;

  async execute(job: ReplayJob): Promise<ReplayResult> {
    this.committer ??= createTensorCommitter();
    const committer = await this.committer;
    try {
      return replay(job, this.models, committer);
    } catch (error) {
      throw new ReplayRejectedError(job.id, error instanceof Error ? error.message : String(error));
    }
  }

  async close(): Promise<void> {}
}
