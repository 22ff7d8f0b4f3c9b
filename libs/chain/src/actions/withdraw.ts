import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';
import { transact, type Mined } from '../transact';

/** Pays the caller its whole credit (withdrawn bond and dispute winnings). */
export function withdraw(clients: ChainClients, deployment: VerilayDeployment): Promise<Mined<unknown>> {
  return transact(clients, {
    address: deployment.claims,
    abi: verilayClaimsAbi,
    functionName: 'withdraw',
    args: [],
  });
}
