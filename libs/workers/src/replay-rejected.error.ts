import { BaseError } from '@verilay/errors';

/**
 * A replay ran and threw: the job itself does not replay (model bytes that do not decode or do not
 * hash to its modelId, an input of the wrong size or range). Replay is a pure function of the job,
 * so running it again gives the same answer: a queue fails such a job at once, never retries it.
 */
export class ReplayRejectedError extends BaseError {
  readonly code = 'REPLAY_REJECTED';
  constructor(id: string, reason: string) {
    super(reason, { meta: { id } });
  }
}
