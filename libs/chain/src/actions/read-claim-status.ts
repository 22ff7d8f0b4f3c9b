import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';

/** The contract's `ClaimStatus` enum, named. */
export const CLAIM_STATUSES_ON_CHAIN = [
  'not-in-batch',
  'challengeable',
  'disputed',
  'final',
  'slashed',
] as const;
export type OnChainClaimStatus = (typeof CLAIM_STATUSES_ON_CHAIN)[number];

/** What a consuming contract sees for a claim of a batch. */
export async function readClaimStatus(
  clients: Pick<ChainClients, 'public'>,
  deployment: VerilayDeployment,
  batchIndex: bigint,
  leaf: `0x${string}`,
  inclusionProof: readonly `0x${string}`[],
): Promise<OnChainClaimStatus> {
  const status = await clients.public.readContract({
    address: deployment.claims,
    abi: verilayClaimsAbi,
    functionName: 'claimStatus',
    args: [batchIndex, leaf, [...inclusionProof]],
  });
  return CLAIM_STATUSES_ON_CHAIN[status];
}
