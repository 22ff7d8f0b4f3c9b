import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';
import type { SolidityGroth16Proof } from '../solidity-proof';
import { transact, type Mined } from '../transact';

/** Ends a bisection with a Groth16 proof of the disputed step from the agreed commitment to `after`. */
export function submitStepProof(
  clients: ChainClients,
  deployment: VerilayDeployment,
  disputeId: bigint,
  after: `0x${string}`,
  proof: SolidityGroth16Proof,
): Promise<Mined<unknown>> {
  return transact(clients, {
    address: deployment.claims,
    abi: verilayClaimsAbi,
    functionName: 'submitStepProof',
    args: [disputeId, BigInt(after), proof],
  });
}
