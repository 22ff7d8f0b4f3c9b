export { createReplayExecutor, type ReplayExecutorChoice } from './create-replay-executor';
export { MalformedReplayJobError, parseQueuedJob, type QueuedReplayJob } from './replay-job-payload';
export { RemoteReplayError } from './remote-replay.error';
export {
  RedisReplayExecutor,
  type FailedReplay,
  type RedisReplayExecutorOptions,
} from './redis-replay-executor';
export {
  listFailedReplays,
  ReplayWorker,
  type ReplayWorkerEvent,
  type ReplayWorkerOptions,
} from './replay-worker';
export { bullJobId, DEFAULT_PREFIX, REPLAY_QUEUE, type RedisQueueOptions } from './redis-queue-options';
export { testRedisUrl } from './test-redis';
