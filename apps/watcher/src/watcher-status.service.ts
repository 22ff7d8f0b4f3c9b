import { Injectable } from '@nestjs/common';
import { readDispute, readDisputeMoves, verilayClaimsAbi } from '@verilay/chain';
import { WatcherRepository } from '@verilay/storage';
import { bondBudget } from './bond-budget';
import { WatcherChain } from './watcher-chain';
import { WatcherLoop } from './watcher-loop.service';
import { WatcherConfig } from './watcher.config';

/** Batches and disputes listed in full (the counts cover all). */
export const STATUS_RECENT = 20;

/** Bigints as decimal strings (JSON has none). */
const decimal = <T extends object>(o: T) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v])) as {
    [K in keyof T]: T[K] extends bigint ? string : T[K];
  };
const iso = (seconds: bigint | number) => new Date(Number(seconds) * 1000).toISOString();

/**
 * What the watcher's page shows, in one answer (`GET /v1/status`): how far it has read the chain,
 * what it found in the batches, the disputes it plays (their game and moves read from the chain)
 * and how much of its bond budget is locked. Wei are decimal strings (JSON has no bigint); times
 * are ISO 8601. Field by field: docs/watcher.md ("Watcher page").
 */
@Injectable()
export class WatcherStatusService {
  constructor(
    private readonly chain: WatcherChain,
    private readonly repository: WatcherRepository,
    private readonly loop: WatcherLoop,
    private readonly config: WatcherConfig,
  ) {}

  async status() {
    const { clients, deployment, challengerBond } = this.chain;
    const account = clients.account.address;
    const [head, cursor, counts, batches, disputes, balance, credit] = await Promise.all([
      clients.public.getBlock({ blockTag: 'latest' }),
      this.repository.cursor(deployment.deployBlock),
      this.repository.counts(),
      this.repository.recentBatches(STATUS_RECENT),
      this.repository.recentDisputes(STATUS_RECENT),
      clients.public.getBalance({ address: account }),
      clients.public.readContract({
        address: deployment.claims,
        abi: verilayClaimsAbi,
        functionName: 'credit',
        args: [account],
      }),
    ]);
    // The cursor is the next block to read: the one before it is the last one processed.
    const processed = cursor - 1n;
    const processedBlock =
      processed >= deployment.deployBlock && processed <= head.number
        ? await clients.public.getBlock({ blockNumber: processed })
        : null;
    return {
      now: new Date().toISOString(),
      challenger: account,
      pollMs: this.config.pollMs,
      lastPassAt: this.loop.lastPassAt ? new Date(this.loop.lastPassAt).toISOString() : null,
      chain: {
        chainId: deployment.chainId,
        claims: deployment.claims,
        head: Number(head.number),
        headTime: iso(head.timestamp),
        processed: processedBlock ? Number(processed) : null,
        processedTime: processedBlock ? iso(processedBlock.timestamp) : null,
        confirmations: this.config.confirmations,
        lagBlocks: Number(head.number - processed),
        lagSeconds: processedBlock ? Number(head.timestamp - processedBlock.timestamp) : null,
      },
      batches: {
        counts: counts.batches,
        verdicts: counts.verdicts,
        recent: batches.map((b) => ({
          batchIndex: b.batchIndex,
          root: b.root,
          blockNumber: b.blockNumber,
          windowEnd: iso(b.windowEnd),
          status: b.status,
          note: b.note,
          verdicts: b.verdicts,
        })),
      },
      disputes: {
        counts: counts.disputes,
        recent: await Promise.all(disputes.map((d) => this.dispute(d))),
      },
      bond: {
        ...decimal(bondBudget(this.config.bondBudget, challengerBond, counts.disputes.open ?? 0)),
        balance: balance.toString(),
        credit: credit.toString(),
      },
    };
  }

  /** One of its disputes with the game as the chain has it (phase, range, outcome) and every move. */
  private async dispute(d: Awaited<ReturnType<WatcherRepository['recentDisputes']>>[number]) {
    const { clients, deployment } = this.chain;
    const id = BigInt(d.disputeId);
    const [game, moves] = await Promise.all([
      readDispute(clients, deployment, id),
      readDisputeMoves(clients, deployment, id, BigInt(d.blockNumber)),
    ]);
    const resolved = game.phaseName === 'resolved';
    return {
      disputeId: d.disputeId,
      claimId: d.claimId,
      batchIndex: d.batchIndex,
      status: d.status,
      openTx: d.openTx,
      note: d.note,
      phase: game.phaseName,
      bisection: game.bisection,
      lo: game.lo,
      hi: game.hi,
      onMove: resolved ? null : game.phaseName === 'await-choice' ? 'challenger' : 'defender',
      challengerWon: resolved ? game.challengerWon : null,
      moves: moves.map((m) => ({
        kind: m.kind,
        block: Number(m.blockNumber),
        transactionHash: m.transactionHash,
      })),
    };
  }
}

export type WatcherStatus = Awaited<ReturnType<WatcherStatusService['status']>>;
