import { errorMessage } from '@verilay/errors';
import { Injectable, Logger } from '@nestjs/common';
import { ContractRevertError, openDispute, verilayClaimsAbi } from '@verilay/chain';
import { VerifierApiError, VerifierClient, type BatchView } from '@verilay/client';
import { BatchTree, claimLeaf } from '@verilay/commitments';
import { pickClaimFields } from '@verilay/protocol';
import { WatcherRepository, type WatchedBatch } from '@verilay/storage';
import { keccak256, toHex } from 'viem';
import { ClaimReplayer } from './claim-replayer.service';
import { WatcherChain } from './watcher-chain';
import { WatcherConfig } from './watcher.config';
import { WatcherMetrics } from './watcher-metrics.service';

/**
 * Checks the claims of each batch it has seen: fetches the batch data from the verifier, checks
 * it against the root on chain, replays (all claims or a sample), and disputes each wrong claim
 * with its bond while the window is open, unless someone already disputes it.
 */
@Injectable()
export class CheckerService {
  private readonly logger = new Logger(CheckerService.name);
  private readonly verifier: VerifierClient;
  private readonly reported = new Set<string>();

  constructor(
    private readonly chain: WatcherChain,
    private readonly repository: WatcherRepository,
    private readonly replayer: ClaimReplayer,
    private readonly config: WatcherConfig,
    private readonly metrics: WatcherMetrics,
  ) {
    this.verifier = new VerifierClient(config.verifierUrl, 15_000);
  }

  async checkAll(): Promise<void> {
    for (const batch of await this.repository.batchesToCheck()) {
      try {
        await this.check(batch);
      } catch (error) {
        this.logger.error({
          msg: 'batch check failed (retried next tick)',
          batchIndex: batch.batchIndex,
          error: errorMessage(error),
        });
      }
    }
  }

  private async check(batch: WatchedBatch): Promise<void> {
    let data: BatchView;
    try {
      data = await this.verifier.getBatch(batch.batchIndex);
    } catch (error) {
      if (error instanceof VerifierApiError && error.status === 404) {
        await this.repository.setBatchStatus(
          batch.batchIndex,
          'unavailable',
          'the verifier has no data for it',
        );
        return this.logger.warn({ msg: 'batch data unavailable', batchIndex: batch.batchIndex });
      }
      throw error;
    }
    // SAFETY: the batch data must be what the chain committed to, claim by claim.
    const leaves = data.claims.map((c) => claimLeaf(pickClaimFields(c)));
    if (
      leaves.some((l, i) => l !== data.claims[i].claimId.toLowerCase()) ||
      new BatchTree(leaves).root !== batch.root.toLowerCase()
    ) {
      await this.repository.setBatchStatus(
        batch.batchIndex,
        'unavailable',
        'served data does not match the root on chain',
      );
      return this.logger.error({ msg: 'batch data does not match the chain', batchIndex: batch.batchIndex });
    }
    const tree = new BatchTree(leaves);
    const now = Number((await this.chain.clients.public.getBlock()).timestamp);
    let waiting = 0;
    for (const claim of data.claims) {
      const claimId = claim.claimId.toLowerCase();
      if (await this.repository.verdict(batch.batchIndex, claimId)) continue;
      if (!this.sampled(claimId)) {
        await this.record(batch.batchIndex, claimId, 'skipped');
        continue;
      }
      const replay = await this.replayer.replay(claimId, claim);
      if (!replay.ok) {
        await this.record(batch.batchIndex, claimId, replay.verdict, replay.reason);
        this.logger.warn({
          msg: 'claim not replayable',
          claimId,
          batchIndex: batch.batchIndex,
          reason: replay.reason,
        });
        continue;
      }
      // SAFETY: only a wrong output is a claim this watcher can win against. A claim with the true
      // output but another trace root (say, every true (i, h_i) leaf plus a junk one) lets the
      // defender reveal true midpoints until the game ends on a true step it proves: the bond is
      // lost (issue 11, finding 4). The bisection itself is then played by our own trace.
      if (replay.result.outputCommitment === claim.outputCommitment) {
        await this.record(batch.batchIndex, claimId, 'correct');
        continue;
      }
      if (now >= batch.windowEnd) {
        await this.record(batch.batchIndex, claimId, 'wrong', 'found after the window closed');
        continue;
      }
      const opened = await this.dispute(batch, claimId, claim, tree.proof(claimId as `0x${string}`));
      if (opened) await this.record(batch.batchIndex, claimId, 'wrong');
      else waiting++;
    }
    if (waiting === 0) await this.repository.setBatchStatus(batch.batchIndex, 'checked');
  }

  /** Opens a dispute unless one is open on the claim already or the bond budget is spent. */
  private async dispute(
    batch: WatchedBatch,
    claimId: string,
    claim: BatchView['claims'][number],
    inclusionProof: `0x${string}`[],
  ): Promise<boolean> {
    const { clients, deployment, challengerBond } = this.chain;
    // Disputes are locked per posting (batch, leaf): one open through another batch does not stop ours.
    const posting = await clients.public.readContract({
      address: deployment.claims,
      abi: verilayClaimsAbi,
      functionName: 'claimRecord',
      args: [BigInt(batch.batchIndex), claimId as `0x${string}`],
    });
    const facts = { openDisputeId: posting.state === 1 ? posting.disputeId : 0n };
    if (facts.openDisputeId !== 0n) {
      // Disputed already: by us (our record was lost in a crash; the follower adopts it from the
      // chain), or by someone else: no second bond. If they lose, the claim reopens and this
      // watcher disputes it then.
      const mine = (await this.repository.disputes()).some(
        (d) => d.disputeId === Number(facts.openDisputeId),
      );
      if (!mine && !this.reported.has(claimId)) {
        this.reported.add(claimId);
        this.logger.log({ msg: 'claim already disputed', claimId, disputeId: Number(facts.openDisputeId) });
      }
      return mine;
    }
    const open = (await this.repository.disputes('open')).length;
    if (BigInt(open + 1) * challengerBond > this.config.bondBudget) {
      this.logger.warn({ msg: 'bond budget spent: dispute postponed', claimId, open });
      return false;
    }
    try {
      const opened = await openDispute(clients, deployment, {
        batchIndex: BigInt(batch.batchIndex),
        claim: pickClaimFields(claim),
        inclusionProof,
        signature: claim.signature,
        bond: challengerBond,
      });
      await this.repository.recordDispute({
        disputeId: Number(opened.disputeId),
        claimId,
        batchIndex: batch.batchIndex,
        blockNumber: Number(opened.receipt.blockNumber),
        openTx: opened.hash,
      });
      this.metrics.disputes.inc({ event: 'opened' });
      this.logger.warn({
        msg: 'dispute opened',
        claimId,
        disputeId: Number(opened.disputeId),
        batchIndex: batch.batchIndex,
        tx: opened.hash,
        gasUsed: Number(opened.gasUsed),
      });
      return true;
    } catch (error) {
      if (error instanceof ContractRevertError && error.errorName === 'DisputeAlreadyOpen') return false;
      throw error;
    }
  }

  /** A claim is replayed when the hash of its id falls under the sample rate (deterministic). */
  private sampled(claimId: string): boolean {
    if (this.config.sampleRate >= 1) return true;
    const h = Number(BigInt(keccak256(toHex(`sample:${claimId}`))) % 10_000n);
    return h < this.config.sampleRate * 10_000;
  }

  private async record(
    batchIndex: number,
    claimId: string,
    verdict: Parameters<WatcherRepository['recordVerdict']>[2],
    note?: string,
  ) {
    await this.repository.recordVerdict(batchIndex, claimId, verdict, note ?? null);
    this.metrics.claimsChecked.inc({ verdict });
  }
}
