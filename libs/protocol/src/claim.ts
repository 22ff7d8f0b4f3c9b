import type { ClaimLeafFields, Hex32 } from '@verilay/commitments';

/** Where a claim stands (DESIGN.md, Claim lifecycle). */
export const CLAIM_STATUSES = ['submitted', 'posted', 'challenged', 'final', 'slashed'] as const;
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];

/** A claim as an operator signs it: the leaf fields (see `claimLeaf`). */
export type ClaimFields = ClaimLeafFields;

/** Exactly the signed fields of a claim-like object (drops signatures, task data, status...). */
export function pickClaimFields(claim: ClaimFields): ClaimFields {
  return {
    modelId: claim.modelId,
    taskId: claim.taskId,
    inputCommitment: claim.inputCommitment,
    outputCommitment: claim.outputCommitment,
    traceRoot: claim.traceRoot,
    operator: claim.operator,
  };
}

/** A claim with the operator's EIP-712 signature over its fields. */
export interface SignedClaim extends ClaimFields {
  readonly signature: `0x${string}`;
}

/** The task data a watcher needs to replay a claim: the input values and the commitment salt. */
export interface TaskInput {
  readonly data: readonly number[];
  /** Field element mixed into the input commitment (hides the input); 0 when absent. */
  readonly salt?: Hex32;
}

/** What an operator submits: the signed claim, and the task data unless it is kept elsewhere. */
export interface ClaimSubmission extends SignedClaim {
  readonly input?: TaskInput;
  /** The claimed output values; checked against `outputCommitment` when present. */
  readonly output?: readonly number[];
  /** Marks a generation claim: input = prompt ++ completion ++ padding (docs/model-format.md). */
  readonly generation?: GenerationSpan;
}

/** A generation claim's prompt and completion lengths, in tokens. */
export interface GenerationSpan {
  readonly promptLength: number;
  readonly completionLength: number;
}

export interface Batch {
  readonly root: Hex32;
  readonly count: number;
  /** Unix ms at which the challenge window closes. */
  readonly windowEndsAt: number;
}

export const DISPUTE_KINDS = ['validity', 'bisection'] as const;
/** validity: one Groth16 proof of the whole inference. bisection: trace bisection, then a one-step proof. */
export type DisputeKind = (typeof DISPUTE_KINDS)[number];
export type DisputeOutcome = 'open' | 'operator-slashed' | 'challenger-slashed';

export interface Dispute {
  readonly claimId: Hex32;
  readonly kind: DisputeKind;
  readonly challenger: `0x${string}`;
  readonly outcome: DisputeOutcome;
}
