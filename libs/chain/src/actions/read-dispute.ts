import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';

/** Phases of a dispute, as the contract's `DisputePhase` enum. */
export const DISPUTE_PHASES = [
  'none',
  'await-signature',
  'await-validity-proof',
  'await-reveal',
  'await-choice',
  'await-step-proof',
  'resolved',
] as const;
export type DisputePhaseName = (typeof DISPUTE_PHASES)[number];

/** A dispute's on-chain state, with its phase named. */
export async function readDispute(
  clients: Pick<ChainClients, 'public'>,
  deployment: VerilayDeployment,
  disputeId: bigint,
) {
  const d = await clients.public.readContract({
    address: deployment.claims,
    abi: verilayClaimsAbi,
    functionName: 'dispute',
    args: [disputeId],
  });
  return { ...d, phaseName: DISPUTE_PHASES[d.phase] };
}
