import { claimTypedData, type ClaimDomain, type ClaimFields } from '@verilay/protocol';
import { recoverTypedDataAddress } from 'viem';

/**
 * The address that signed a claim, or null when the signature is malformed. Callers compare it
 * with `claim.operator` (what the contract's ecrecover check does).
 */
export async function recoverClaimSigner(
  claim: ClaimFields,
  signature: `0x${string}`,
  domain: ClaimDomain,
): Promise<`0x${string}` | null> {
  try {
    return await recoverTypedDataAddress({ ...claimTypedData(claim, domain), signature });
  } catch {
    return null;
  }
}
