import { Injectable, Logger } from '@nestjs/common';
import { readClaimStatus, verilayClaimsAbi } from '@verilay/chain';
import { ANSWER_CAPS, VerifierClient, type BatchView } from '@verilay/client';
import { BatchTree, claimLeaf } from '@verilay/commitments';
import { errorMessage } from '@verilay/errors';
import { pickClaimFields } from '@verilay/protocol';
import { WatcherRepository, type WatchedBatch } from '@verilay/storage';
import { mapBounded } from '@verilay/workers';
import { keccak256, toHex } from 'viem';
import { ClaimReplayer } from './claim-replayer.service';
import { decodePosting, encodePosting } from './posting-data';
import { servedClaims } from './served-data';
import { WatcherChain } from './watcher-chain';
import { WatcherConfig } from './watcher.config';
import { WatcherMetrics } from './watcher-metrics.service';

/** The verifier's largest batch (VERIFIER_BATCH_MAX_CLAIMS at most). */
const MAX_BATCH_CLAIMS = 10_000;
/** The longest wait between two looks at data the verifier served wrong. */
const MAX_RETRY_MS = 30_000;
/** Verdicts on the verifier's answer, not on the claim: retried while the posting can be disputed. */
const RETRYABLE = new Set(['no-data', 'bad-data']);

/**
 * Checks the claims of each batch it has seen: fetches the batch data from the verifier, checks
 * it against the root on chain, replays (all claims or a sample, several at once: the replayer's
 * `checkConcurrency`) and records a verdict per claim.
 * A wrong claim is stored with what it takes to dispute it; the pursuer (`PursuerService`) then
 * follows that posting on chain until it is slashed or final. Checking never waits on the chain's
 * windows, and never holds up the moves of open disputes (they run in a loop of their own).
 */
@Injectable()
export class CheckerService {
  private readonly logger = new Logger(CheckerService.name);
  private readonly verifier: VerifierClient;
  /** Batches not done, with their failed looks and the time of the next (a restart looks at once). */
  private readonly retries = new Map<number, { attempts: number; at: number }>();

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
      const retry = this.retries.get(batch.batchIndex);
      if (retry && Date.now() < retry.at) continue;
      try {
        if (await this.check(batch)) this.retries.delete(batch.batchIndex);
        else this.retryLater(batch.batchIndex);
      } catch (error) {
        this.retryLater(batch.batchIndex);
        this.logger.error({
          msg: 'batch check failed (retried)',
          batchIndex: batch.batchIndex,
          error: errorMessage(error),
        });
      }
    }
  }

  /** Backs off a batch that is not done: the poll period, doubled each time, up to 30 s. */
  private retryLater(batchIndex: number): void {
    const attempts = (this.retries.get(batchIndex)?.attempts ?? 0) + 1;
    const wait = Math.min(this.config.pollMs * 2 ** attempts, MAX_RETRY_MS);
    this.retries.set(batchIndex, { attempts, at: Date.now() + wait });
  }

  /**
   * Checks a batch; returns whether it is done (every claim has its final verdict). Data the
   * verifier serves wrong (missing, malformed, not matching the chain) is no verdict: a spoofed
   * answer or a replica briefly behind must not blind the watcher to a lie for good. It is looked
   * at again, with backoff, until the chain settles the posting (finding 6c).
   */
  private async check(batch: WatchedBatch): Promise<boolean> {
    const served = await this.verifier
      .getBatch(batch.batchIndex, { maxBytes: await this.batchCap(batch) })
      .then(servedClaims, (error: unknown) => `the verifier has no data for it: ${errorMessage(error)}`);
    if (typeof served === 'string') return this.unusable(batch, served);
    // SAFETY: the batch data must be what the chain committed to, claim by claim.
    const claims = served;
    const leaves = claims.map((c) => claimLeaf(pickClaimFields(c)));
    if (claims.length === 0) return this.unusable(batch, 'the served batch has no claims');
    if (leaves.some((l, i) => l !== claims[i].claimId.toLowerCase()))
      return this.unusable(batch, 'served data does not match the root on chain');
    // SAFETY: the tree as posted, a leaf twice included: a sequencer whose root has a duplicate
    // leaf must not blind the watcher to the rest of its batch.
    const tree = BatchTree.ofPosted(leaves);
    if (tree.root !== batch.root.toLowerCase())
      return this.unusable(batch, 'served data does not match the root on chain');
    // A leaf posted twice is one claim: checked once (two checks of it at once would race to
    // record its verdict).
    // Claims of one model next to each other: a model the cache cannot hold with another is
    // fetched once per run of its claims, not once per claim.
    const model = (c: (typeof claims)[number]) => c.modelId.toLowerCase();
    const unique = [...new Map(claims.map((c) => [c.claimId.toLowerCase(), c])).values()].sort((a, b) =>
      model(a) < model(b) ? -1 : model(a) > model(b) ? 1 : 0,
    );
    const verdicts = await mapBounded(unique, this.replayer.checkConcurrency(), (claim) =>
      this.checkClaim(batch, tree, claim),
    );
    const done = verdicts.every(Boolean);
    if (done) await this.repository.setBatchStatus(batch.batchIndex, 'checked');
    return done;
  }

  /** Checks one claim of a batch; returns whether it has its final verdict. */
  private async checkClaim(
    batch: WatchedBatch,
    tree: BatchTree,
    claim: BatchView['claims'][number],
  ): Promise<boolean> {
    const claimId = claim.claimId.toLowerCase();
    if (await this.repository.verdict(batch.batchIndex, claimId)) return true;
    if (!this.sampled(claimId)) {
      await this.record(batch.batchIndex, claimId, 'skipped');
      return true;
    }
    const fields = pickClaimFields(claim);
    const replay = await this.replayer.replay(claimId, fields);
    if (!replay.ok) {
      const settled =
        !RETRYABLE.has(replay.verdict) ||
        (await this.settled(batch, claimId, tree.proof(claimId as `0x${string}`)));
      this.logger.warn({
        msg: settled
          ? 'claim not replayable'
          : 'claim data unusable (retried until the chain settles the posting)',
        claimId,
        batchIndex: batch.batchIndex,
        reason: replay.reason,
      });
      if (settled) await this.record(batch.batchIndex, claimId, replay.verdict, replay.reason);
      else this.metrics.unusableAnswers.inc({ kind: replay.verdict });
      return settled;
    }
    // SAFETY: only a wrong output is a claim this watcher can win against. A claim with the true
    // output but another trace root (say, every true (i, h_i) leaf plus a junk one) lets the
    // defender reveal true midpoints until the game ends on a true step it proves: the bond is
    // lost (issue 11, finding 4). The bisection itself is then played by our own trace.
    if (replay.result.outputCommitment === claim.outputCommitment) {
      await this.record(batch.batchIndex, claimId, 'correct');
      return true;
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
    return true;
  }

  /** Whether the chain has settled the posting (final or slashed): nothing left to dispute. */
  private async settled(
    batch: WatchedBatch,
    leaf: string,
    proof: readonly `0x${string}`[],
  ): Promise<boolean> {
    const { clients, deployment } = this.chain;
    const status = await readClaimStatus(
      clients,
      deployment,
      BigInt(batch.batchIndex),
      leaf as `0x${string}`,
      proof,
    );
    return status === 'final' || status === 'slashed';
  }

  /**
   * The served batch cannot be used. Its leaf, if it is a wrong leaf reposted alone, is pursued
   * anyway; the batch is looked at again until its window (by the chain's clock) has closed, and
   * only then recorded `unavailable`.
   */
  private async unusable(batch: WatchedBatch, reason: string): Promise<boolean> {
    await this.adoptRepostings(batch.root);
    const { clients, deployment } = this.chain;
    const [deadline, block] = await Promise.all([
      clients.public.readContract({
        address: deployment.claims,
        abi: verilayClaimsAbi,
        functionName: 'postingDeadline',
        args: [BigInt(batch.batchIndex), batch.root as `0x${string}`],
      }),
      clients.public.getBlock({ blockTag: 'latest' }),
    ]);
    const closed = block.timestamp > deadline;
    this.metrics.unusableAnswers.inc({ kind: 'batch' });
    this.logger.warn({
      msg: closed ? 'batch data unavailable' : 'batch data unusable (retried until its window closes)',
      batchIndex: batch.batchIndex,
      reason,
    });
    if (closed) await this.repository.setBatchStatus(batch.batchIndex, 'unavailable', reason);
    return closed;
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
      if (b.status === 'checked' || (await this.repository.verdict(b.batchIndex, leaf.toLowerCase())))
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
