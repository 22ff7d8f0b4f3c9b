import { checkSalt } from '@verilay/commitments';
import { modelRunner, NativeModelRunner, toInputTensor, type Model } from '@verilay/inference';
import {
  mapNativeError,
  NativeError,
  type NativeGpuHandle,
  type NativeGpuModelHandle,
} from '@verilay/native';
import { ByteLru } from './byte-lru';
import { gpuErrorMessage } from './open-gpu';
import { ModelCache } from './replay';
import type { ReplayJob, ReplayResult } from './replay-job';

/** What became of one job of a batch: replayed on the GPU, or to replay on the CPU (and why). */
export type GpuOutcome = { readonly result: ReplayResult } | { readonly cpu: string };

export interface GpuBatchResult {
  /** One per job, in order. */
  readonly outcomes: GpuOutcome[];
  /** The batch ran on the device (false: every job went to the CPU before or instead). */
  readonly ran: boolean;
  /** Set when the device is lost: no later batch runs. */
  readonly lost?: string;
}

/** A model on the device, or why it stays on the CPU. */
type Loaded = { readonly gpu: NativeGpuModelHandle; readonly model: Model } | { readonly refused: string };

/**
 * Replays batches of jobs of one model on a GPU (the work of the GPU executor's thread). Only what
 * is certain to match the CPU runs here: a job whose model the native core or the GPU refuses, whose
 * input or salt the CPU would reject, or that meets any GPU error, comes back as `cpu`, and the CPU
 * executor gives its answer (a result, or the same rejection as ever). Models on the device are
 * bounded by their canonical bytes, as ModelCache bounds decoded ones.
 */
export class GpuReplayer {
  private readonly models = new ModelCache();
  private readonly loaded: ByteLru<Loaded>;

  constructor(
    private readonly gpu: NativeGpuHandle,
    maxModelBytes = 256 * 2 ** 20,
  ) {
    this.loaded = new ByteLru(maxModelBytes);
  }

  /** Replays `jobs`, all of one modelId, as one batch. */
  replayBatch(jobs: readonly ReplayJob[]): GpuBatchResult {
    const allCpu = (reason: string, lost?: string): GpuBatchResult => ({
      outcomes: jobs.map(() => ({ cpu: reason })),
      ran: false,
      lost,
    });
    if (this.gpu.lost()) return allCpu('the GPU device is lost', 'the GPU device is lost');
    const loaded = this.load(jobs[0]);
    if ('refused' in loaded) return allCpu(loaded.refused, this.gpu.lost() ? loaded.refused : undefined);
    const outcomes: GpuOutcome[] = jobs.map(() => ({ cpu: 'not run' }));
    const runs: { index: number; input: Int32Array; salt: Buffer | null }[] = [];
    for (const [index, job] of jobs.entries()) {
      const prepared = prepare(loaded.model, job);
      if (typeof prepared === 'string') outcomes[index] = { cpu: prepared };
      else runs.push({ index, ...prepared });
    }
    if (runs.length === 0) return { outcomes, ran: false };
    let executions;
    try {
      executions = loaded.gpu.execute(
        runs.map((r) => r.input),
        runs.map((r) => r.salt),
      );
    } catch (error) {
      // Any failure sends the whole batch to the CPU, which answers each job as it always has (a
      // token id outside the vocabulary rejects that job only).
      const reason = gpuErrorMessage(error);
      const lost = this.gpu.lost() || nativeCode(error) === 'GPU_LOST' ? reason : undefined;
      for (const r of runs) outcomes[r.index] = { cpu: reason };
      return { outcomes, ran: false, lost };
    }
    for (const [k, r] of runs.entries()) {
      const done = executions[k];
      const commitments = done.traceCommitments;
      outcomes[r.index] = {
        result: {
          id: jobs[r.index].id,
          output: Array.from(done.output),
          traceCommitments: commitments,
          inputCommitment: commitments[0],
          outputCommitment: commitments[commitments.length - 1],
          traceRoot: done.traceRoot,
        },
      };
    }
    return { outcomes, ran: true };
  }

  private load(job: ReplayJob): Loaded {
    const key = job.modelId.toLowerCase();
    const known = this.loaded.get(key);
    if (known) return known;
    let loaded: Loaded;
    try {
      const model = this.models.get(job); // bytes that do not hash to modelId: the CPU rejects them
      const runner = modelRunner(model);
      loaded =
        runner instanceof NativeModelRunner
          ? { gpu: runner.loadOnGpu(this.gpu), model }
          : { refused: 'the native core does not run this model' };
    } catch (error) {
      loaded = { refused: gpuErrorMessage(error) };
      // A refusal for what the model is (GPU_UNSUPPORTED, a limit) holds for good; others may not.
      if (!['GPU_UNSUPPORTED', 'GPU_LIMIT'].includes(nativeCode(error) ?? '')) return loaded;
    }
    this.loaded.set(key, loaded, (job.modelBytes.length - 2) / 2);
    return loaded;
  }
}

/** The input and salt as the addon takes them, or why the CPU must answer this job. */
function prepare(model: Model, job: ReplayJob): { input: Int32Array; salt: Buffer | null } | string {
  try {
    const input = toInputTensor(model, job.input).data;
    const salt = BigInt(job.salt);
    checkSalt(salt);
    return { input, salt: salt === 0n ? null : Buffer.from(salt.toString(16).padStart(64, '0'), 'hex') };
  } catch (error) {
    return `rejected input: ${gpuErrorMessage(error)}`;
  }
}

function nativeCode(error: unknown): string | undefined {
  const mapped = mapNativeError(error);
  return mapped instanceof NativeError ? mapped.nativeCode : undefined;
}
