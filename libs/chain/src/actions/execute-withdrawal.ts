import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';
import { transact, type Mined } from '../transact';

/** After the delay, moves the requested (and not dispute-locked) bond to the caller's credit. */
export function executeWithdrawal(
  clients: ChainClients,
  deployment: VerilayDeployment,
): Promise<Mined<unknown>> {
  return transact(clients, {
    address: deployment.claims,
    abi: verilayClaimsAbi,
    functionName: 'executeWithdrawal',
    args: [],
  });
}
