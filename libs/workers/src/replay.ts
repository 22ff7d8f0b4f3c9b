import type { TensorCommitter } from '@verilay/commitments';
import { computeModelId, decodeModel, type Model } from '@verilay/inference';
import { executeTask } from '@verilay/protocol';
import { ByteLru } from './byte-lru';
import type { ReplayJob, ReplayResult } from './replay-job';

/**
 * Decoded models by id, bounded by bytes (a thread keeps the few models it is replaying; the
 * model's canonical bytes stand for its size, default 64 MiB in all).
 */
export class ModelCache {
  private readonly models: ByteLru<Model>;
  constructor(maxBytes = 64 * 2 ** 20) {
    this.models = new ByteLru(maxBytes);
  }

  get(job: Pick<ReplayJob, 'modelId' | 'modelBytes'>): Model {
    const key = job.modelId.toLowerCase();
    let model = this.models.get(key);
    if (!model) {
      model = decodeModel(Buffer.from(job.modelBytes.slice(2), 'hex'));
      // A job names its model twice (id and bytes); a mismatch is a bug or an attack, never a replay.
      if (computeModelId(model) !== key) throw new Error(`model bytes do not hash to ${job.modelId}`);
      this.models.set(key, model, (job.modelBytes.length - 2) / 2);
    }
    return model;
  }
}

/** Runs one replay job (the work of every executor's thread). */
export function replay(job: ReplayJob, models: ModelCache, committer: TensorCommitter): ReplayResult {
  const task = executeTask(models.get(job), job.input, committer, BigInt(job.salt));
  return {
    id: job.id,
    output: Array.from(task.output.data),
    traceCommitments: task.traceCommitments,
    inputCommitment: task.inputCommitment,
    outputCommitment: task.outputCommitment,
    traceRoot: task.traceRoot,
  };
}
