import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';
import { transact, type Mined } from '../transact';

/** Records a settled batch as final on chain (emits BatchFinalized). */
export function finalizeBatch(
  clients: ChainClients,
  deployment: VerilayDeployment,
  batchIndex: bigint,
): Promise<Mined<unknown>> {
  return transact(clients, {
    address: deployment.claims,
    abi: verilayClaimsAbi,
    functionName: 'finalizeBatch',
    args: [batchIndex],
  });
}
