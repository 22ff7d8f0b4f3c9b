import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';
import { transact, type Mined } from '../transact';

/** The challenger's bisection move: agree (the first wrong step is after the midpoint) or not. */
export function chooseHalf(
  clients: ChainClients,
  deployment: VerilayDeployment,
  disputeId: bigint,
  agree: boolean,
): Promise<Mined<unknown>> {
  return transact(clients, {
    address: deployment.claims,
    abi: verilayClaimsAbi,
    functionName: 'chooseHalf',
    args: [disputeId, agree],
  });
}
