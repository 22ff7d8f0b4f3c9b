import type { NativeGpuInfo } from '@verilay/native';
import type { ReplayJob, ReplayResult } from './replay-job';

/** What runs an executor's replays, for /health, metrics and boot logs. */
export interface ExecutorDescription {
  /** gpu: the GPU executor (with a CPU fallback); cpu: worker threads; remote: `verilay worker`s through Redis. */
  readonly kind: 'gpu' | 'cpu' | 'remote';
  /** The GPU's adapter (kind gpu). */
  readonly adapter?: NativeGpuInfo;
  /** Why replays run (or now run) on the CPU: no usable adapter under VERILAY_EXECUTOR=auto, a lost device. */
  readonly fallbackReason?: string;
  /** The GPU device was lost: every replay since runs on the CPU. */
  readonly lost: boolean;
  /** Batches run on the GPU. */
  readonly batches: number;
  /** Jobs replayed on the GPU. */
  readonly jobs: number;
  /** Jobs a GPU executor handed to its CPU executor (a model the GPU refuses, a GPU error, an input to reject). */
  readonly cpuFallbackJobs: number;
}

/**
 * Where replay jobs run: a port (abstract class, so it is also a Nest DI token). The CPU executor
 * runs the integer runtime in worker threads; the GPU executor (wgpu) implements the same port.
 */
export abstract class ReplayExecutor {
  /** How many jobs it runs at once. */
  abstract readonly concurrency: number;
  abstract execute(job: ReplayJob): Promise<ReplayResult>;
  abstract close(): Promise<void>;

  /** What runs the replays (an executor without a GPU says cpu). */
  describe(): ExecutorDescription {
    return { kind: 'cpu', lost: false, batches: 0, jobs: 0, cpuFallbackJobs: 0 };
  }
}
