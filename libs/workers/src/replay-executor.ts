import type { ReplayJob, ReplayResult } from './replay-job';

/**
 * Where replay jobs run: a port (abstract class, so it is also a Nest DI token). The CPU executor
 * runs the integer runtime in worker threads; a GPU executor (WebGPU) implements the same port.
 */
export abstract class ReplayExecutor {
  /** How many jobs it runs at once. */
  abstract readonly concurrency: number;
  abstract execute(job: ReplayJob): Promise<ReplayResult>;
  abstract close(): Promise<void>;
}
