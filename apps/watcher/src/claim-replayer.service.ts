import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { VerifierApiError, VerifierClient } from '@verilay/client';
import { computeModelId, encodeModel, parseModel, type Model } from '@verilay/inference';
import type { ClaimFields } from '@verilay/protocol';
import { CpuExecutor, ReplayQueue, type ReplayResult } from '@verilay/workers';
import { WatcherConfig } from './watcher.config';

export type Replay =
  | {
      readonly ok: true;
      readonly result: ReplayResult;
      readonly model: Model;
      readonly input: readonly number[];
      readonly salt: bigint;
    }
  | { readonly ok: false; readonly verdict: 'no-data' | 'bad-data'; readonly reason: string };

/**
 * Replays a claim from the task data the verifier serves, trusting none of it: the model must
 * hash to the claim's modelId and the input (with its salt) to the claim's input commitment.
 * Replays run on the CPU executor's worker threads; results are kept per claim.
 */
@Injectable()
export class ClaimReplayer implements OnApplicationShutdown {
  private readonly logger = new Logger(ClaimReplayer.name);
  private readonly verifier: VerifierClient;
  private readonly queue: ReplayQueue;
  private readonly models = new Map<string, Model>();

  constructor(config: WatcherConfig) {
    this.verifier = new VerifierClient(config.verifierUrl, 15_000);
    this.queue = new ReplayQueue(new CpuExecutor({ threads: config.threads }));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }

  async replay(claimId: string, claim: ClaimFields): Promise<Replay> {
    let task;
    let model;
    try {
      task = await this.verifier.getTaskInput(claimId);
      model = await this.model(claim.modelId);
    } catch (error) {
      if (error instanceof VerifierApiError && error.status === 404)
        return { ok: false, verdict: 'no-data', reason: error.shortMessage };
      throw error; // unreachable verifier: retried on the next tick
    }
    if (!model)
      return { ok: false, verdict: 'bad-data', reason: 'the served model does not hash to the modelId' };
    const salt = task.salt ? BigInt(task.salt) : 0n;
    let result: ReplayResult;
    try {
      result = await this.queue.submit({
        id: claimId,
        modelId: claim.modelId,
        modelBytes: `0x${Buffer.from(encodeModel(model)).toString('hex')}`,
        input: task.data,
        salt: `0x${salt.toString(16)}`,
      });
    } catch (error) {
      return { ok: false, verdict: 'bad-data', reason: `the served input does not run: ${String(error)}` };
    }
    // SAFETY: a verifier (or anyone between) could serve other data than the operator committed to;
    // disputing on that basis would lose the bond. Only data matching the commitment is used.
    if (result.inputCommitment !== claim.inputCommitment)
      return {
        ok: false,
        verdict: 'bad-data',
        reason: 'the served input does not match the input commitment',
      };
    return { ok: true, result, model, input: task.data, salt };
  }

  private async model(modelId: string): Promise<Model | null> {
    const key = modelId.toLowerCase();
    const known = this.models.get(key);
    if (known) return known;
    const { document } = await this.verifier.getModel(modelId);
    const model = parseModel(document);
    if (computeModelId(model) !== key) {
      this.logger.error({ msg: 'verifier served a model that is not the claimed one', modelId });
      return null;
    }
    this.models.set(key, model);
    return model;
  }
}
