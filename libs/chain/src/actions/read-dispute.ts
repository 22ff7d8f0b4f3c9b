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

/**
 * The side on the move, if it has spent its clock at block time `now`: exactly when the contract's
 * `timeout` would end the dispute (a move at the last second is still allowed). Meaningful for an
 * open dispute only.
 */
export function spentClock(
  d: Pick<
    Awaited<ReturnType<typeof readDispute>>,
    'phaseName' | 'turnStartedAt' | 'challengerClock' | 'defenderClock'
  >,
  now: bigint,
): 'challenger' | 'defender' | undefined {
  const side = d.phaseName === 'await-choice' ? 'challenger' : 'defender';
  return now - d.turnStartedAt > (side === 'challenger' ? d.challengerClock : d.defenderClock)
    ? side
    : undefined;
}
