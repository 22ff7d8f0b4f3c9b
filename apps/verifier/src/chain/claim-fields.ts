import type { ClaimFields } from '@verilay/protocol';
import type { ClaimEntity } from '@verilay/storage';

/** The signed fields of a stored claim, as the contract's `ClaimFields`. */
export function claimFieldsOf(claim: ClaimEntity): ClaimFields {
  return {
    modelId: claim.modelId as `0x${string}`,
    taskId: claim.taskId as `0x${string}`,
    inputCommitment: claim.inputCommitment as `0x${string}`,
    outputCommitment: claim.outputCommitment as `0x${string}`,
    traceRoot: claim.traceRoot as `0x${string}`,
    operator: claim.operator as `0x${string}`,
  };
}
