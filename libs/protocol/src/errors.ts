import { BaseError } from '@verilay/errors';
import type { ClaimEvent } from './claim-lifecycle';
import type { ClaimStatus } from './claim';

/** A lifecycle event that the claim's current status does not allow. */
export class IllegalTransitionError extends BaseError {
  readonly code = 'ILLEGAL_TRANSITION';
  constructor(
    readonly from: ClaimStatus,
    readonly event: ClaimEvent,
  ) {
    super(`A ${from} claim cannot take the event "${event}"`, { meta: { from, event } });
  }
}
