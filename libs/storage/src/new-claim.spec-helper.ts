import type { NewClaim } from './claim.repository';

export const hex = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

/** A claim row numbered `n` (its id and task id), of model `modelId` (hex(1) by default). */
export const newClaim = (n: number, modelId = hex(1)): NewClaim => ({
  claim: {
    claimId: hex(n),
    modelId,
    taskId: hex(n),
    operator: '0x' + 'ab'.repeat(20),
    inputCommitment: hex(2),
    outputCommitment: hex(3),
    traceRoot: hex(4),
    signature: '0x' + '11'.repeat(65),
    output: '[1]',
  },
  taskInput: { data: '[1,2]', salt: null },
});
