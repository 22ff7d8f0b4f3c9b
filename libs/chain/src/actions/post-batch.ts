import { parseEventLogs } from 'viem';
import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';
import { transact, type Mined } from '../transact';

export interface PostedBatch extends Mined<unknown> {
  readonly batchIndex: bigint;
  /** Unix seconds at which the batch's challenge window closes. */
  readonly windowEnd: bigint;
}

/** Posts a batch (root of the claim leaves' tree, claim count, hash naming the batch data). */
export async function postBatch(
  clients: ChainClients,
  deployment: VerilayDeployment,
  batch: { root: `0x${string}`; count: number; dataHash: `0x${string}` },
): Promise<PostedBatch> {
  const mined = await transact(clients, {
    address: deployment.claims,
    abi: verilayClaimsAbi,
    functionName: 'postBatch',
    args: [batch.root, batch.count, batch.dataHash],
  });
  const [event] = parseEventLogs({
    abi: verilayClaimsAbi,
    logs: mined.receipt.logs,
    eventName: 'BatchPosted',
  });
  return { ...mined, batchIndex: event.args.batchIndex, windowEnd: event.args.windowEnd };
}
