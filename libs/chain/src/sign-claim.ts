import { claimTypedData, type ClaimDomain, type ClaimFields } from '@verilay/protocol';
import type { LocalAccount } from 'viem';

/** Signs a claim as its operator (EIP-712). The account must be the claim's `operator`. */
export async function signClaim(
  account: LocalAccount,
  claim: ClaimFields,
  domain: ClaimDomain,
): Promise<`0x${string}`> {
  if (account.address.toLowerCase() !== claim.operator.toLowerCase())
    throw new Error(`account ${account.address} cannot sign for operator ${claim.operator}`);
  return account.signTypedData(claimTypedData(claim, domain));
}
