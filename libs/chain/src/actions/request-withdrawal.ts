import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';
import { transact, type Mined } from '../transact';

/** Starts the withdrawal delay for `amount` wei of the caller's bond. */
export function requestWithdrawal(
  clients: ChainClients,
  deployment: VerilayDeployment,
  amount: bigint,
): Promise<Mined<unknown>> {
  return transact(clients, {
    address: deployment.claims,
    abi: verilayClaimsAbi,
    functionName: 'requestWithdrawal',
    args: [amount],
  });
}
