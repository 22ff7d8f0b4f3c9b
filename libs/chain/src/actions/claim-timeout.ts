import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';
import { transact, type Mined } from '../transact';

/** Ends a dispute whose side on the move let its clock run out. */
export function claimTimeout(
  clients: ChainClients,
  deployment: VerilayDeployment,
  disputeId: bigint,
): Promise<Mined<unknown>> {
  return transact(clients, {
    address: deployment.claims,
    abi: verilayClaimsAbi,
    functionName: 'timeout',
    args: [disputeId],
  });
}
