import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';

const MOVE_EVENTS = [
  'DisputeOpened',
  'SignatureProvided',
  'MidpointRevealed',
  'HalfChosen',
  'DisputeResolved',
] as const;

/** One move of a dispute game as the chain recorded it, with its transaction. */
export interface DisputeMove {
  readonly kind: (typeof MOVE_EVENTS)[number];
  readonly blockNumber: bigint;
  readonly logIndex: number;
  readonly transactionHash: `0x${string}`;
  readonly args: Record<string, unknown>;
}

/**
 * A dispute's moves (opened, signature shown, midpoints revealed, halves chosen, resolved), in
 * chain order, read by the indexed dispute id from `fromBlock` (the deployment block by default).
 */
export async function readDisputeMoves(
  clients: Pick<ChainClients, 'public'>,
  deployment: VerilayDeployment,
  disputeId: bigint,
  fromBlock = deployment.deployBlock,
): Promise<DisputeMove[]> {
  const logs = await Promise.all(
    MOVE_EVENTS.map((eventName) =>
      clients.public.getContractEvents({
        address: deployment.claims,
        abi: verilayClaimsAbi,
        eventName,
        args: { disputeId },
        fromBlock,
      }),
    ),
  );
  return logs
    .flat()
    .map((log) => ({
      kind: log.eventName as DisputeMove['kind'],
      blockNumber: log.blockNumber,
      logIndex: log.logIndex,
      transactionHash: log.transactionHash,
      args: log.args as Record<string, unknown>,
    }))
    .sort((a, b) =>
      a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
    );
}
