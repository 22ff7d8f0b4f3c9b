import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';

/** The claim contract's decoded events in a block range (inclusive), in chain order. */
export function readClaimsEvents(
  clients: Pick<ChainClients, 'public'>,
  deployment: VerilayDeployment,
  fromBlock: bigint,
  toBlock: bigint,
) {
  return clients.public.getContractEvents({
    address: deployment.claims,
    abi: verilayClaimsAbi,
    fromBlock,
    toBlock,
  });
}

export type ClaimsEvent = Awaited<ReturnType<typeof readClaimsEvents>>[number];
