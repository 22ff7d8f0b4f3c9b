import { pickClaimFields, type ClaimFields } from '@verilay/protocol';
import { parseEventLogs } from 'viem';
import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';
import { transact, type Mined } from '../transact';

export interface OpenedDispute extends Mined<unknown> {
  readonly disputeId: bigint;
  readonly liable: `0x${string}`;
  readonly bisection: boolean;
}

/**
 * Disputes a claim of a posted batch, sending the challenger bond. `signature` is the operator's
 * EIP-712 signature (from the verifier's task data); a wrong one makes the sequencer answer.
 */
export async function openDispute(
  clients: ChainClients,
  deployment: VerilayDeployment,
  dispute: {
    batchIndex: bigint;
    claim: ClaimFields;
    inclusionProof: readonly `0x${string}`[];
    signature: `0x${string}`;
    bond: bigint;
  },
): Promise<OpenedDispute> {
  const mined = await transact(
    clients,
    {
      address: deployment.claims,
      abi: verilayClaimsAbi,
      functionName: 'openDispute',
      args: [dispute.batchIndex, claimStruct(dispute.claim), [...dispute.inclusionProof], dispute.signature],
    },
    { value: dispute.bond },
  );
  const [event] = parseEventLogs({
    abi: verilayClaimsAbi,
    logs: mined.receipt.logs,
    eventName: 'DisputeOpened',
  });
  return {
    ...mined,
    disputeId: event.args.disputeId,
    liable: event.args.liable,
    bisection: event.args.bisection,
  };
}

/** The claim as the contract's `ClaimFields` struct. */
export function claimStruct(claim: ClaimFields): ClaimFields {
  return pickClaimFields(claim);
}
