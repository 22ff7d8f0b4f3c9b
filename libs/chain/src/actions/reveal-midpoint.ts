import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';
import { transact, type Mined } from '../transact';

/** The defender's bisection move: h_mid of the claim's trace with its Merkle proof. */
export function revealMidpoint(
  clients: ChainClients,
  deployment: VerilayDeployment,
  disputeId: bigint,
  commitment: `0x${string}`,
  traceProof: readonly `0x${string}`[],
): Promise<Mined<unknown>> {
  return transact(clients, {
    address: deployment.claims,
    abi: verilayClaimsAbi,
    functionName: 'revealMidpoint',
    args: [disputeId, commitment, [...traceProof]],
  });
}
