import { createTensorCommitter, type TensorCommitter } from '@verilay/commitments';
import { ReplayExecutor } from './replay-executor';
import type { ReplayJob, ReplayResult } from './replay-job';
import { ModelCache, replay } from './replay';

/** Replays on the calling thread, one job at a time: for small loads, tests and tools. */
export class InlineExecutor extends ReplayExecutor {
  readonly concurrency = 1;
  private readonly models = new ModelCache();
  private committer?: Promise<TensorCommitter>;

  async execute(job: ReplayJob): Promise<ReplayResult> {
    this.committer ??= createTensorCommitter();
    return replay(job, this.models, await this.committer);
  }

  async close(): Promise<void> {}
}
