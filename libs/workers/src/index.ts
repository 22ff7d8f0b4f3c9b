export type { ReplayJob, ReplayResult } from './replay-job';
export { ReplayExecutor } from './replay-executor';
export { CpuExecutor } from './cpu-executor';
export { InlineExecutor } from './inline-executor';
export { ReplayQueue } from './replay-queue';
export { ModelCache, replay } from './replay';
