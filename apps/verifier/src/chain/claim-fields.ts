import { pickClaimFields, type ClaimFields } from '@verilay/protocol';
import type { ClaimEntity } from '@verilay/storage';

/** The signed fields of a stored claim, as the contract's `ClaimFields`. */
export function claimFieldsOf(claim: ClaimEntity): ClaimFields {
  // The entity stores hex as plain strings; they were validated at intake.
  return pickClaimFields(claim as unknown as ClaimFields);
}
