import { verilayClaimsAbi, type ChainClients } from '@verilay/chain';
import { decodeFunctionData } from 'viem';

/** A transaction to the claim contract that was mined and succeeded, with the gas its receipt says it used. */
export interface MinedCall {
  readonly functionName: string;
  readonly args: readonly unknown[];
  readonly from: `0x${string}`;
  readonly hash: `0x${string}`;
  readonly gasUsed: bigint;
}

/**
 * Every successful call to the claim contract `claims` mined from `fromBlock` on, in order, read
 * from the blocks and their receipts: the demo's gas figures are what the chain charged, whoever
 * sent the transaction (the verifier's sequencer, the watcher, the operator). A development chain
 * holds a few hundred blocks at most: one request per block and per call is fine there.
 */
export async function minedCalls(
  client: ChainClients['public'],
  claims: `0x${string}`,
  fromBlock: bigint,
): Promise<MinedCall[]> {
  const head = await client.getBlockNumber({ cacheTime: 0 });
  const calls: MinedCall[] = [];
  for (let n = fromBlock; n <= head; n++) {
    const block = await client.getBlock({ blockNumber: n, includeTransactions: true });
    for (const tx of block.transactions) {
      if (tx.to?.toLowerCase() !== claims.toLowerCase()) continue;
      const receipt = await client.getTransactionReceipt({ hash: tx.hash });
      if (receipt.status !== 'success') continue;
      const { functionName, args } = decodeFunctionData({ abi: verilayClaimsAbi, data: tx.input });
      calls.push({ functionName, args: args ?? [], from: tx.from, hash: tx.hash, gasUsed: receipt.gasUsed });
    }
  }
  return calls;
}
