import { BaseError } from '@verilay/errors';
import { ReplayRejectedError, ReplayTimeoutError } from '@verilay/workers';
import { MalformedReplayJobError } from './replay-job-payload';

/** A replay job failed on the workers after all its attempts (a worker's error, not the job's). */
export class RemoteReplayError extends BaseError {
  readonly code = 'REMOTE_REPLAY_FAILED';
  constructor(id: string, reason: string) {
    super(`replay ${id} failed on the workers: ${reason}`, { meta: { id, reason } });
  }
}

/** Codes of failures that are the job's own: the same job fails the same way, never retried. */
const FINAL_CODES = ['MALFORMED_REPLAY_JOB', 'REPLAY_REJECTED', 'REPLAY_TIMEOUT'] as const;

/** The failure reason a worker stores for an error: its code first, so a producer can read it back. */
export function failureReason(error: Error): string {
  const code = (error as { code?: unknown }).code;
  const message = (error as { shortMessage?: string }).shortMessage ?? error.message;
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

/** Whether a stored failure reason is the job's own (retrying it is pointless). */
export function isFinalFailure(reason: string): boolean {
  return FINAL_CODES.some((code) => reason.startsWith(`${code}: `));
}

/**
 * The producer's error for a failed job, as the in-process executors would have thrown it: a
 * replay past its budget is a ReplayTimeoutError, a job that does not replay a ReplayRejectedError
 * (the watcher tells them apart), anything else a RemoteReplayError.
 */
export function errorOfFailure(id: string, reason: string): Error {
  const rest = reason.slice(reason.indexOf(': ') + 2);
  if (reason.startsWith('REPLAY_TIMEOUT: '))
    return new ReplayTimeoutError(id, Number(/ran past (\d+) ms/.exec(rest)?.[1] ?? NaN));
  if (reason.startsWith('REPLAY_REJECTED: ')) return new ReplayRejectedError(id, rest);
  if (reason.startsWith('MALFORMED_REPLAY_JOB: ')) return new MalformedReplayJobError(rest, { meta: { id } });
  return new RemoteReplayError(id, reason);
}
