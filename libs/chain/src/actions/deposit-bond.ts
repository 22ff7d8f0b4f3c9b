import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';
import { transact, type Mined } from '../transact';

/** Adds `amount` wei to the caller's bond (operators and sequencers bond before they act). */
export function depositBond(
  clients: ChainClients,
  deployment: VerilayDeployment,
  amount: bigint,
): Promise<Mined<unknown>> {
  return transact(
    clients,
    { address: deployment.claims, abi: verilayClaimsAbi, functionName: 'deposit', args: [] },
    { value: amount },
  );
}
