import { parseEventLogs } from 'viem';
import type { ChainClients } from '../chain-clients';
import type { VerilayDeployment } from '../deployment';
import { verilayClaimsAbi } from '../generated/contracts';
import { transact, type Mined, type TransactOptions } from '../transact';

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
  options: TransactOptions = {},
): Promise<PostedBatch> {
  const mined = await transact(
    clients,
    {
      address: deployment.claims,
      abi: verilayClaimsAbi,
      functionName: 'postBatch',
      args: [batch.root, batch.count, batch.dataHash],
    },
    options,
  );
  const [event] = parseEventLogs({
    abi: verilayClaimsAbi,
    logs: mined.receipt.logs,
    eventName: 'BatchPosted',
  });
  // A transaction replaced in the pool (another sender of this key, same nonce) has the other's
  // receipt: it must not be taken for this batch.
  if (event?.args.root?.toLowerCase() !== batch.root.toLowerCase())
    throw new Error(`postBatch mined no posting of ${batch.root} (its transaction was replaced)`);
  return { ...mined, batchIndex: event.args.batchIndex, windowEnd: event.args.windowEnd };
}
