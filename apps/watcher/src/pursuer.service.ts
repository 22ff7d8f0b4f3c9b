import { Injectable, Logger } from '@nestjs/common';
import {
  claimTimeout,
  ContractRevertError,
  openDispute,
  readClaimStatus,
  readDispute,
  spentClock,
  verilayClaimsAbi,
} from '@verilay/chain';
import { errorMessage } from '@verilay/errors';
import { WatcherRepository, type PostingOutcome, type WrongPosting } from '@verilay/storage';
import { bondBudget } from './bond-budget';
import { decodePosting, type PostingData } from './posting-data';
import { WatcherChain } from './watcher-chain';
import { WatcherConfig } from './watcher.config';
import { WatcherMetrics } from './watcher-metrics.service';

/**
 * Pursues every posting (batch, leaf) of a wrong claim until the chain says it is slashed or
 * final, by the contract's own view of that posting (`claimStatus`, `postingDeadline`), never by
 * the batch's first window alone: a posting reopens after a defender's win that proved nothing
 * (a colluding challenger can lose on purpose), and this watcher must then dispute it itself.
 * While someone else's dispute runs on the posting it waits, and disputes as soon as the posting
 * is challengeable again (issue 11, finding 2). A foreign dispute whose side on the move has spent
 * its clock is ended by `timeout` at once (finding 3b): colluders could otherwise park it and hold
 * the posting's dispute lock for ever. Postings nearest their deadline get bonds first.
 */
@Injectable()
export class PursuerService {
  private readonly logger = new Logger(PursuerService.name);
  /** Postings whose foreign dispute was logged already (one line per dispute, not per pass). */
  private readonly reported = new Set<string>();

  constructor(
    private readonly chain: WatcherChain,
    private readonly repository: WatcherRepository,
    private readonly config: WatcherConfig,
    private readonly metrics: WatcherMetrics,
  ) {}

  async pursueAll(): Promise<void> {
    const pending = await this.repository.pendingWrong();
    const deadlines = await Promise.all(pending.map((p) => this.deadline(p).catch(() => Infinity)));
    const order = pending
      .map((p, i) => ({ p, deadline: deadlines[i] }))
      .sort((a, b) => a.deadline - b.deadline);
    for (const { p, deadline } of order) {
      try {
        await this.pursue(p, decodePosting(p.posting), deadline);
      } catch (error) {
        this.logger.error({
          msg: 'pursuit failed (retried next pass)',
          claimId: p.claimId,
          batchIndex: p.batchIndex,
          error: errorMessage(error),
        });
      }
    }
  }

  private async pursue(p: WrongPosting, data: PostingData, deadline: number): Promise<void> {
    const { clients, deployment } = this.chain;
    const leaf = p.claimId as `0x${string}`;
    const status = await readClaimStatus(
      clients,
      deployment,
      BigInt(p.batchIndex),
      leaf,
      data.inclusionProof,
    );
    if (status === 'slashed') return this.settle(p, 'slashed');
    if (status === 'final') return this.settle(p, 'final');
    if (status === 'not-in-batch')
      return this.logger.error({ msg: 'wrong claim not in its batch on chain', claimId: p.claimId });
    if (status === 'disputed') {
      const record = await clients.public.readContract({
        address: deployment.claims,
        abi: verilayClaimsAbi,
        functionName: 'claimRecord',
        args: [BigInt(p.batchIndex), leaf],
      });
      const disputeId = Number(record.disputeId);
      const mine = (await this.repository.disputes()).some((d) => d.disputeId === disputeId);
      // The player ends our own disputes; after a foreign one ends, pursue the posting anew.
      if (!mine && (await this.endParked(p, disputeId))) return this.pursue(p, data, deadline);
      const key = `${p.batchIndex}:${p.claimId}:${disputeId}`;
      if (!mine && !this.reported.has(key)) {
        this.reported.add(key);
        this.logger.log({
          msg: 'posting disputed by another challenger: disputing it when it reopens',
          claimId: p.claimId,
          batchIndex: p.batchIndex,
          disputeId,
        });
      }
      return;
    }
    await this.dispute(p, data, deadline);
  }

  /**
   * Calls `timeout` on a dispute whose side on the move has spent its clock, by block time (as
   * the contract counts): a defender's timeout slashes the posting, a challenger's reopens it.
   * Returns whether the dispute is over.
   */
  private async endParked(p: WrongPosting, disputeId: number): Promise<boolean> {
    const { clients, deployment } = this.chain;
    const d = await readDispute(clients, deployment, BigInt(disputeId));
    if (d.phaseName === 'resolved') return true;
    const side = spentClock(d, (await clients.public.getBlock({ blockTag: 'latest' })).timestamp);
    if (!side) return false;
    try {
      const mined = await claimTimeout(clients, deployment, BigInt(disputeId));
      this.logger.warn({
        msg: `foreign dispute timed out (${side} clock spent)`,
        claimId: p.claimId,
        batchIndex: p.batchIndex,
        disputeId,
        tx: mined.hash,
      });
    } catch (error) {
      // Someone else ended it first, or the side moved in time: the next pass reads it again.
      if (!(error instanceof ContractRevertError)) throw error;
      this.logger.log({ msg: 'timeout not claimed', disputeId, reason: error.errorName });
      return false;
    }
    return true;
  }

  /** Opens a dispute on a challengeable posting, unless the bond budget is spent. */
  private async dispute(p: WrongPosting, data: PostingData, deadline: number): Promise<void> {
    const { clients, deployment, challengerBond } = this.chain;
    const open = (await this.repository.disputes('open')).length;
    if (bondBudget(this.config.bondBudget, challengerBond, open).canOpen === 0) {
      const key = `budget:${p.batchIndex}:${p.claimId}:${open}`;
      if (!this.reported.has(key)) {
        this.reported.add(key);
        this.logger.warn({ msg: 'bond budget spent: dispute postponed', claimId: p.claimId, open, deadline });
      }
      return;
    }
    try {
      const opened = await openDispute(clients, deployment, {
        batchIndex: BigInt(p.batchIndex),
        claim: data.claim,
        inclusionProof: [...data.inclusionProof],
        signature: data.signature,
        bond: challengerBond,
      });
      await this.repository.recordDispute({
        disputeId: Number(opened.disputeId),
        claimId: p.claimId,
        batchIndex: p.batchIndex,
        blockNumber: Number(opened.receipt.blockNumber),
        openTx: opened.hash,
      });
      this.metrics.disputes.inc({ event: 'opened' });
      this.logger.warn({
        msg: 'dispute opened',
        claimId: p.claimId,
        disputeId: Number(opened.disputeId),
        batchIndex: p.batchIndex,
        deadline,
        tx: opened.hash,
        gasUsed: Number(opened.gasUsed),
      });
    } catch (error) {
      // Someone was faster, or the chain moved on: the next pass reads the posting's status again.
      if (
        error instanceof ContractRevertError &&
        [
          'DisputeAlreadyOpen',
          'ChallengeWindowClosed',
          'ClaimAlreadySlashed',
          'ClaimAlreadyValidated',
        ].includes(error.errorName ?? '')
      )
        return this.logger.log({ msg: 'dispute not opened', claimId: p.claimId, reason: error.errorName });
      throw error;
    }
  }

  private async settle(p: WrongPosting, outcome: PostingOutcome): Promise<void> {
    await this.repository.setOutcome(p.batchIndex, p.claimId, outcome);
    this.metrics.wrongPostings.inc({ outcome });
    if (outcome === 'slashed')
      this.logger.log({ msg: 'wrong posting slashed', claimId: p.claimId, batchIndex: p.batchIndex });
    // Should never happen while this watcher runs within the windows: say it loudly.
    else
      this.logger.error({
        msg: `wrong posting became ${outcome}`,
        claimId: p.claimId,
        batchIndex: p.batchIndex,
      });
  }

  /** The end of the posting's current window (the batch's, or its reopen), per the contract. */
  private async deadline(p: WrongPosting): Promise<number> {
    const { clients, deployment } = this.chain;
    return Number(
      await clients.public.readContract({
        address: deployment.claims,
        abi: verilayClaimsAbi,
        functionName: 'postingDeadline',
        args: [BigInt(p.batchIndex), p.claimId as `0x${string}`],
      }),
    );
  }
}
