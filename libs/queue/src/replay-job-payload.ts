import { BaseError } from '@verilay/errors';
import type { ReplayJob } from '@verilay/workers';

/** A queued replay job that is not a replay job: failed at once, never retried. */
export class MalformedReplayJobError extends BaseError {
  readonly code = 'MALFORMED_REPLAY_JOB';
}

const HEX = /^0x(?:[0-9a-fA-F]{2})*$/;
const MAX_ID_CHARS = 512;

/**
 * A replay job as queued: its model by id (stored once in Redis, see model-store.ts), or with its
 * bytes when they were not stored (bytes that do not hash to the id: the worker fails the job).
 */
export type QueuedReplayJob = Omit<ReplayJob, 'modelBytes'> & {
  readonly modelBytes?: ReplayJob['modelBytes'];
};

/**
 * Checks a queued payload is a replay job (types and hex shapes), so a worker never feeds anything
 * else to a replay; whether the model decodes and hashes to its id is the replay's own check.
 */
export function parseQueuedJob(data: unknown): QueuedReplayJob {
  const bad = (why: string): never => {
    throw new MalformedReplayJobError(`not a replay job: ${why}`);
  };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return bad('not an object');
  const { id, modelId, modelBytes, input, salt } = data as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_CHARS)
    bad(`id must be a string of 1 to ${MAX_ID_CHARS} characters`);
  if (typeof modelId !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(modelId))
    bad('modelId must be 32 bytes of hex');
  if (
    modelBytes !== undefined &&
    (typeof modelBytes !== 'string' || !HEX.test(modelBytes) || modelBytes.length <= 2)
  )
    bad('modelBytes must be non-empty 0x-hex bytes');
  if (!Array.isArray(input) || !input.every((v) => Number.isSafeInteger(v)))
    bad('input must be an array of integers');
  if (typeof salt !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(salt))
    bad('salt must be 0x-hex of at most 32 bytes');
  return data as QueuedReplayJob;
}
