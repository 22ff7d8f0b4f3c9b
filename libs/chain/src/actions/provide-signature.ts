import type { ClaimFields } from '@verilay/protocol';
import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';
import { transact, type Mined } from '../transact';
import { claimStruct } from './open-dispute';

/** Shows the operator's signature in a dispute opened without a valid one (the defender's move). */
export function provideSignature(
  clients: ChainClients,
  deployment: VerilayDeployment,
  disputeId: bigint,
  claim: ClaimFields,
  signature: `0x${string}`,
): Promise<Mined<unknown>> {
  return transact(clients, {
    address: deployment.claims,
    abi: verilayClaimsAbi,
    functionName: 'provideSignature',
    args: [disputeId, claimStruct(claim), signature],
  });
}
