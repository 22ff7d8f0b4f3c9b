export {
  CLAIM_STATUSES,
  DISPUTE_KINDS,
  type Batch,
  type ClaimFields,
  type ClaimStatus,
  type ClaimSubmission,
  type Dispute,
  type DisputeKind,
  type DisputeOutcome,
  type GenerationSpan,
  type SignedClaim,
  type TaskInput,
  pickClaimFields,
} from './claim';
export {
  CLAIM_EVENTS,
  isTerminal,
  nextClaimStatus,
  statusesAccepting,
  type ClaimEvent,
} from './claim-lifecycle';
export {
  CLAIM_DOMAIN_NAME,
  CLAIM_DOMAIN_VERSION,
  CLAIM_TYPES,
  claimDomain,
  claimTypedData,
  type ClaimDomain,
} from './claim-typed-data';
export { executeTask, type TaskExecution } from './execute-task';
export { IllegalTransitionError } from './errors';
export {
  CommitmentMismatchError,
  InvalidSignatureError,
  TooManyClaimsError,
  TooManyValuesError,
  UnknownModelError,
} from './rejections';
