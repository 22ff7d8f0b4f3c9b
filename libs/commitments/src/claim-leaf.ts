import { keccak_256 } from '@noble/hashes/sha3';
import type { Hex32 } from './field';

/** The fields of a claim that its leaf (and so the batch root and the operator's signature) binds. */
export interface ClaimLeafFields {
  readonly modelId: Hex32;
  readonly taskId: Hex32;
  readonly inputCommitment: Hex32;
  readonly outputCommitment: Hex32;
  readonly traceRoot: Hex32;
  readonly operator: `0x${string}`;
}

/** Solidity declaration order of the leaf encoding: abi.encode(modelId, taskId, input, output, traceRoot, operator). */
export const CLAIM_LEAF_FIELDS = [
  'modelId',
  'taskId',
  'inputCommitment',
  'outputCommitment',
  'traceRoot',
  'operator',
] as const;

/**
 * claim leaf = keccak256(abi.encode(modelId, taskId, inputCommitment, outputCommitment, traceRoot, operator)).
 *
 * SAFETY: the encoding is 192 bytes, never 64, so no leaf can be passed off as an inner node of the
 * batch tree (the second-preimage trick OpenZeppelin's double-hashed leaves guard against).
 * Every field is static, so abi.encode is the plain concatenation of 32-byte words.
 */
export function claimLeaf(claim: ClaimLeafFields): Hex32 {
  const words = CLAIM_LEAF_FIELDS.map((f) => word(claim[f], f === 'operator' ? 20 : 32, f));
  return `0x${Buffer.from(keccak_256(Buffer.from(words.join(''), 'hex'))).toString('hex')}`;
}

function word(value: string, bytes: number, field: string): string {
  if (typeof value !== 'string' || !new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`).test(value))
    throw new TypeError(`claim.${field} must be ${bytes} bytes of 0x-hex`);
  return value.slice(2).toLowerCase().padStart(64, '0');
}
