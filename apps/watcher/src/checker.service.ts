import { Injectable, Logger } from '@nestjs/common';
import { verilayClaimsAbi } from '@verilay/chain';
import { ANSWER_CAPS, VerifierApiError, VerifierClient, type BatchView } from '@verilay/client';
import { BatchTree, claimLeaf } from '@verilay/commitments';
import { errorMessage } from '@verilay/errors';
import { pickClaimFields } from '@verilay/protocol';
import { WatcherRepository, type WatchedBatch } from '@verilay/storage';
import { keccak256, toHex } from 'viem';
import { ClaimReplayer } from './claim-replayer.service';
import { decodePosting, encodePosting } from './posting-data';
import { WatcherChain } from './watcher-chain';
import { WatcherConfig } from './watcher.config';
import { WatcherMetrics } from './watcher-metrics.service';

/** The verifier's largest batch (VERIFIER_BATCH_MAX_CLAIMS at most). */
const MAX_BATCH_CLAIMS = 10_000;

/**
 * Checks the claims of each batch it has seen: fetches the batch data from the verifier, checks
 * it against the root on chain, replays (all claims or a sample) and records a verdict per claim.
 * A wrong claim is stored with what it takes to dispute it; the pursuer (`PursuerService`) then
 * follows that posting on chain until it is slashed or final. Checking never waits on the chain's
 * windows, and never holds up the moves of open disputes (they run in a loop of their own).
 */
@Injectable()
export class CheckerService {
  private readonly logger = new Logger(CheckerService.name);
  private readonly verifier: VerifierClient;

  constructor(
    private readonly repository: WatcherRepository,
    private readonly replayer: ClaimReplayer,
    private readonly chain: WatcherChain,
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
      data = await this.verifier.getBatch(batch.batchIndex, { maxBytes: await this.batchCap(batch) });
    } catch (error) {
      if (error instanceof VerifierApiError && error.status === 404) {
        await this.repository.setBatchStatus(
          batch.batchIndex,
          'unavailable',
          'the verifier has no data for it',
        );
        this.logger.warn({ msg: 'batch data unavailable', batchIndex: batch.batchIndex });
        return this.adoptRepostings(batch.root);
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
      this.logger.error({ msg: 'batch data does not match the chain', batchIndex: batch.batchIndex });
      return this.adoptRepostings(batch.root);
    }
    const tree = new BatchTree(leaves);
    for (const claim of data.claims) {
      const claimId = claim.claimId.toLowerCase();
      if (await this.repository.verdict(batch.batchIndex, claimId)) continue;
      if (!this.sampled(claimId)) {
        await this.record(batch.batchIndex, claimId, 'skipped');
        continue;
      }
      const fields = pickClaimFields(claim);
      const replay = await this.replayer.replay(claimId, fields);
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
      await this.repository.recordWrong(
        batch.batchIndex,
        claimId,
        encodePosting({
          claim: fields,
          signature: claim.signature,
          inclusionProof: tree.proof(claimId as `0x${string}`),
          input: replay.input,
          salt: `0x${replay.salt.toString(16)}`,
        }),
      );
      this.metrics.claimsChecked.inc({ verdict: 'wrong' });
      this.logger.warn({ msg: 'wrong claim found', claimId, batchIndex: batch.batchIndex });
      await this.adoptRepostings(claimId);
    }
    await this.repository.setBatchStatus(batch.batchIndex, 'checked');
  }

  /**
   * A wrong leaf reposted alone in a batch nobody serves data for (a liar's own sequencer) is a
   * posting like any other: its root is the leaf and its inclusion proof empty, so it is pursued
   * with the claim and input known from the leaf's first posting.
   */
  private async adoptRepostings(leaf: string): Promise<void> {
    const known = await this.repository.wrongPosting(leaf.toLowerCase());
    if (!known) return;
    for (const b of await this.repository.batchesWithRoot(leaf)) {
      if (b.status !== 'unavailable' || (await this.repository.verdict(b.batchIndex, leaf.toLowerCase())))
        continue;
      await this.repository.recordWrong(
        b.batchIndex,
        leaf.toLowerCase(),
        encodePosting({ ...decodePosting(known), inclusionProof: [] }),
        'reposted alone in a batch without served data',
      );
      this.metrics.claimsChecked.inc({ verdict: 'wrong' });
      this.logger.warn({ msg: 'wrong claim reposted', claimId: leaf, batchIndex: b.batchIndex });
    }
  }

  /**
   * The most bytes a true answer for the batch takes: its claim count on chain (at most the
   * verifier's largest batch) times a claim's size. Nothing past it is read (finding 6b).
   */
  private async batchCap(batch: WatchedBatch): Promise<number> {
    const { clients, deployment } = this.chain;
    const { count } = await clients.public.readContract({
      address: deployment.claims,
      abi: verilayClaimsAbi,
      functionName: 'batch',
      args: [BigInt(batch.batchIndex)],
    });
    return ANSWER_CAPS.batch(Math.min(count, MAX_BATCH_CLAIMS));
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
