export type { ReplayJob, ReplayResult } from './replay-job';
export { ReplayExecutor } from './replay-executor';
export { CpuExecutor, ReplayTimeoutError } from './cpu-executor';
export { InlineExecutor } from './inline-executor';
export { ReplayRejectedError } from './replay-rejected.error';
export { ReplayQueue, replayResultBytes } from './replay-queue';
export { ByteLru } from './byte-lru';
export { ModelCache, replay } from './replay';
