import { Injectable, Logger } from '@nestjs/common';
import { readEventRanges, type ClaimsEvent } from '@verilay/chain';
import { WatcherRepository } from '@verilay/storage';
import { WatcherChain } from './watcher-chain';
import { WatcherConfig } from './watcher.config';
import { WatcherMetrics } from './watcher-metrics.service';

/**
 * Follows the claim contract from a cursor in the watcher's database. Before reading on, it checks
 * that the last processed block is still on the chain; if a reorg replaced it, it walks back to
 * the newest block that is, forgets what it learned after it, and reads the new chain from there.
 * Each range's events and the cursor are stored in one transaction: nothing is missed or doubled.
 */
@Injectable()
export class FollowerService {
  private readonly logger = new Logger(FollowerService.name);

  constructor(
    private readonly chain: WatcherChain,
    private readonly repository: WatcherRepository,
    private readonly config: WatcherConfig,
    private readonly metrics: WatcherMetrics,
  ) {}

  async follow(): Promise<void> {
    const client = this.chain.clients.public;
    await this.rewindReorg();
    const head = await client.getBlockNumber({ cacheTime: 0 });
    const safe = head - BigInt(this.config.confirmations);
    const from = await this.repository.cursor(this.chain.deployment.deployBlock);
    const cursor = await readEventRanges(
      this.chain.clients,
      this.chain.deployment,
      { from, to: safe },
      (events, range) => this.storeRange(events, range.to),
    );
    this.metrics.lagBlocks.set(Number(head - (cursor - 1n)));
  }

  /** Stores one range's batches and our disputes' news, and the cursor past it, in one transaction. */
  private async storeRange(events: readonly ClaimsEvent[], to: bigint): Promise<void> {
    const toBlock = await this.chain.clients.public.getBlock({ blockNumber: to });
    const batches = [];
    const resolved = [];
    const opened = [];
    for (const e of events) {
      if (e.eventName === 'BatchPosted')
        batches.push({
          batchIndex: Number(e.args.batchIndex),
          root: e.args.root!,
          blockNumber: Number(e.blockNumber),
          windowEnd: Number(e.args.windowEnd),
        });
      else if (e.eventName === 'DisputeOpened' && e.args.challenger === this.chain.clients.account.address)
        opened.push({
          disputeId: Number(e.args.disputeId),
          claimId: e.args.leaf!.toLowerCase(),
          batchIndex: Number(e.args.batchIndex),
          blockNumber: Number(e.blockNumber),
          openTx: e.transactionHash,
        });
      else if (e.eventName === 'DisputeResolved')
        resolved.push({ disputeId: Number(e.args.disputeId), challengerWon: e.args.challengerWon! });
    }
    const ours = new Set([
      ...(await this.repository.disputes('open')).map((d) => d.disputeId),
      ...opened.map((d) => d.disputeId),
    ]);
    await this.repository.commitRange(to, toBlock.hash, batches, resolved, opened);
    for (const r of resolved.filter((r) => ours.has(r.disputeId))) {
      this.metrics.disputes.inc({ event: r.challengerWon ? 'won' : 'lost' });
      this.logger.log({ msg: r.challengerWon ? 'dispute won' : 'dispute lost', disputeId: r.disputeId });
    }
    for (const b of batches)
      this.logger.log({ msg: 'batch seen', batchIndex: b.batchIndex, block: b.blockNumber });
  }

  private async rewindReorg(): Promise<void> {
    const recent = await this.repository.recentBlocks();
    if (recent.length === 0) return;
    const client = this.chain.clients.public;
    for (const [i, stored] of recent.entries()) {
      const onChain = await client.getBlock({ blockNumber: BigInt(stored.number) }).catch(() => null);
      if (onChain?.hash === stored.hash) {
        if (i === 0) return; // the newest processed block is still there: no reorg
        await this.repository.rewind(stored.number);
        this.metrics.reorgs.inc();
        this.logger.warn({ msg: 'reorg: rewound', to: stored.number, replaced: recent[0].number });
        return;
      }
    }
    // Deeper than every stored block: read everything again from the deployment.
    await this.repository.rewind(Number(this.chain.deployment.deployBlock) - 1);
    this.metrics.reorgs.inc();
    this.logger.warn({ msg: 'reorg deeper than the stored blocks: reading from the deployment again' });
  }
}
