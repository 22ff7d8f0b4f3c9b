export type { ReplayJob, ReplayResult } from './replay-job';
export { ReplayExecutor } from './replay-executor';
export { CpuExecutor, ReplayTimeoutError } from './cpu-executor';
export { InlineExecutor } from './inline-executor';
export { ReplayRejectedError } from './replay-rejected.error';
export { ReplayQueue, replayResultBytes } from './replay-queue';
export { ByteLru } from './byte-lru';
export { ByteBudget } from './byte-budget';
export { mapBounded } from './map-bounded';
export { ModelCache, replay } from './replay';
export type { ExecutorDescription } from './replay-executor';
export {
  EXECUTOR_KINDS,
  GpuUnavailableError,
  InvalidExecutorKindError,
  parseExecutorKind,
  type ExecutorKind,
} from './executor-kind';
export { GpuExecutor, type GpuExecutorOptions } from './gpu-executor';
export { createLocalExecutor, describeExecutor, type LocalExecutorOptions } from './create-local-executor';
export { probeGpu } from './open-gpu';
export { ExecutorMetrics } from './executor-metrics';
export { testGpuAdapter } from './test-gpu';
