import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';
import type { SolidityGroth16Proof } from '../solidity-proof';
import { transact, type Mined } from '../transact';

/** Settles a validity dispute with a whole-inference proof from the claim's input to `outputCommitment`. */
export function submitValidityProof(
  clients: ChainClients,
  deployment: VerilayDeployment,
  disputeId: bigint,
  outputCommitment: `0x${string}`,
  proof: SolidityGroth16Proof,
): Promise<Mined<unknown>> {
  return transact(clients, {
    address: deployment.claims,
    abi: verilayClaimsAbi,
    functionName: 'submitValidityProof',
    args: [disputeId, BigInt(outputCommitment), proof],
  });
}
