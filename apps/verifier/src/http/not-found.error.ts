import { BaseError } from '@verilay/errors';

/** A resource the path names does not exist (the code says which kind). */
export class NotFoundError extends BaseError {
  constructor(
    readonly code:
      | 'MODEL_NOT_FOUND'
      | 'CLAIM_NOT_FOUND'
      | 'TASK_INPUT_UNAVAILABLE'
      | 'PROOF_NOT_FOUND'
      | 'BATCH_NOT_FOUND'
      | 'WEBHOOK_NOT_FOUND'
      | 'DISPUTE_NOT_FOUND',
    message: string,
  ) {
    super(message);
  }
}
