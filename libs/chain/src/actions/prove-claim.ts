import type { ClaimFields } from '@verilay/protocol';
import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';
import type { SolidityGroth16Proof } from '../solidity-proof';
import { transact, type Mined } from '../transact';
import { claimStruct } from './open-dispute';

/** Makes a claim final at once with a Groth16 proof of its whole inference. */
export function proveClaim(
  clients: ChainClients,
  deployment: VerilayDeployment,
  claim: ClaimFields,
  proof: SolidityGroth16Proof,
): Promise<Mined<unknown>> {
  return transact(clients, {
    address: deployment.claims,
    abi: verilayClaimsAbi,
    functionName: 'proveClaim',
    args: [claimStruct(claim), proof],
  });
}
