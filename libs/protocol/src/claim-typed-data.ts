import { pickClaimFields, type ClaimFields } from './claim';

/** EIP-712 domain name and version of verilay claims. */
export const CLAIM_DOMAIN_NAME = 'verilay';
export const CLAIM_DOMAIN_VERSION = '1';

/** EIP-712 types: the operator signs exactly the leaf fields, in leaf order. */
export const CLAIM_TYPES = {
  Claim: [
    { name: 'modelId', type: 'bytes32' },
    { name: 'taskId', type: 'bytes32' },
    { name: 'inputCommitment', type: 'bytes32' },
    { name: 'outputCommitment', type: 'bytes32' },
    { name: 'traceRoot', type: 'bytes32' },
    { name: 'operator', type: 'address' },
  ],
} as const;

export interface ClaimDomain {
  readonly name: string;
  readonly version: string;
  readonly chainId: number;
  /** The claim contract; the zero address until contracts are deployed. */
  readonly verifyingContract: `0x${string}`;
}

export function claimDomain(chainId: number, verifyingContract: `0x${string}`): ClaimDomain {
  return { name: CLAIM_DOMAIN_NAME, version: CLAIM_DOMAIN_VERSION, chainId, verifyingContract };
}

/** The EIP-712 typed-data object of a claim (what wallets and viem sign). */
export function claimTypedData(claim: ClaimFields, domain: ClaimDomain) {
  return { domain, types: CLAIM_TYPES, primaryType: 'Claim' as const, message: pickClaimFields(claim) };
}
