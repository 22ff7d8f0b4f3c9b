import { BaseError } from '@verilay/errors';

/** A claim with this id (the same signed fields) is already stored. */
export class DuplicateClaimError extends BaseError {
  readonly code = 'DUPLICATE_CLAIM';
  constructor(claimIds: string[], cause?: unknown) {
    super(
      `Claim already submitted: ${claimIds.slice(0, 3).join(', ')}${claimIds.length > 3 ? ', ...' : ''}`,
      {
        meta: { claimIds },
        cause,
      },
    );
  }
}

/** A transition lost a race: the claim's status changed between read and write. */
export class StaleClaimStatusError extends BaseError {
  readonly code = 'STALE_CLAIM_STATUS';
  constructor(claimId: string) {
    super(`Claim ${claimId} changed status concurrently; retry`, { meta: { claimId } });
  }
}

/** A dispute arrived after the claim's challenge window closed. */
export class ChallengeWindowClosedError extends BaseError {
  readonly code = 'CHALLENGE_WINDOW_CLOSED';
  constructor(claimId: string, windowEndsAt: number) {
    super(`The challenge window of ${claimId} closed at ${new Date(windowEndsAt).toISOString()}`, {
      meta: { claimId, windowEndsAt },
    });
  }
}

/** A new proof job would exceed the cap on jobs queued or proving at once. */
export class ProofQueueFullError extends BaseError {
  readonly code = 'PROOF_QUEUE_FULL';
  constructor(open: number) {
    super(`${open} proof jobs are already queued or proving; retry later`, { meta: { open } });
  }
}
