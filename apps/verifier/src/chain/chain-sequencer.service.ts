import { errorMessage } from '@verilay/errors';
import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  ContractRevertError,
  finalizeBatch,
  NotSentError,
  postBatch,
  readClaimStatus,
  readDispute,
  readEventRanges,
  verilayClaimsAbi,
  type ClaimsEvent,
} from '@verilay/chain';
import { BatchTree, type Hex32 } from '@verilay/commitments';
import {
  ClaimRepository,
  DisputeRepository,
  MetaRepository,
  type BatchEntity,
  type ClaimRecord,
} from '@verilay/storage';
import { Clock } from '../clock';
import { VerifierConfig } from '../config/verifier.config';
import { MetricsService } from '../metrics/metrics.service';
import { Leadership } from '../cluster/leadership';
import { ChainContext } from './chain-context';
import { DisputeDefender } from './dispute-defender.service';

const CURSOR_KEY = 'chain.cursor';
/** The contract's `Resolution` enum, as words for claim histories. */
const RESOLUTIONS = ['none', 'validity proof', 'step proof', 'timeout'] as const;

/**
 * The verifier's side of the claim contract. Each tick: posts the database's new batches (or
 * adopts one already on chain after a crash between posting and recording it), follows the
 * contract's events from a cursor kept in the database (disputes opened and resolved against our
 * claims), lets the defender answer open disputes, and settles batches the chain calls final.
 */
@Injectable()
export class ChainSequencerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ChainSequencerService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly chain: ChainContext,
    private readonly claims: ClaimRepository,
    private readonly disputes: DisputeRepository,
    private readonly meta: MetaRepository,
    private readonly defender: DisputeDefender,
    private readonly clock: Clock,
    private readonly config: VerifierConfig,
    private readonly metrics: MetricsService,
    private readonly leadership: Leadership,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.batchIntervalMs);
    void this.tick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; never overlaps itself. Failures are logged and retried on the next tick. */
  tick(): Promise<void> {
    this.running ??= this.pass()
      .catch((e: unknown) => this.logger.error({ msg: 'chain pass failed', error: errorMessage(e) }))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** Whether this replica may still send transactions (it is asked again before each one). */
  private get acting(): boolean {
    return !this.stopped && this.leadership.isLeader;
  }

  private async pass(): Promise<void> {
    if (!this.acting) return;
    const open = await this.claims.openBatches();
    for (const batch of open) if (batch.chainIndex === null && this.acting) await this.post(batch);
    await this.followEvents();
    if (this.acting) await this.defender.defendAll();
    for (const batch of await this.claims.openBatches())
      if (batch.chainIndex !== null && this.acting) await this.settle(batch);
  }

  /**
   * Posts a batch, unless a crash after posting left it on chain unrecorded: then adopts it. A
   * transaction of the sequencer's still pending (sent by a leader, or by this process, that died
   * before recording it) may be this very batch: nothing is posted until it is mined, and then the
   * search below adopts it (a batch was posted twice when a new leader did not wait).
   */
  private async post(batch: BatchEntity): Promise<void> {
    const { sequencer, deployment } = this.chain;
    const address = sequencer.account.address;
    const [mined, sent] = await Promise.all([
      sequencer.public.getTransactionCount({ address, blockTag: 'latest' }),
      sequencer.public.getTransactionCount({ address, blockTag: 'pending' }),
    ]);
    if (sent > mined) {
      this.logger.log({
        msg: 'batch waits: a transaction of the sequencer is pending',
        batchId: batch.id,
        pending: sent - mined,
      });
      return;
    }
    const earlier = await sequencer.public.getContractEvents({
      address: deployment.claims,
      abi: verilayClaimsAbi,
      eventName: 'BatchPosted',
      args: { root: batch.root as `0x${string}`, sequencer: sequencer.account.address },
      fromBlock: deployment.deployBlock,
    });
    const adopted = earlier.find((e) => !Number.isNaN(Number(e.args.batchIndex)));
    if (adopted) {
      const index = Number(adopted.args.batchIndex);
      if (!(await this.claims.findBatchByChainIndex(index))) {
        await this.claims.markBatchOnChain(
          batch.id,
          index,
          adopted.transactionHash,
          Number(adopted.args.windowEnd) * 1000,
        );
        this.logger.log({
          msg: 'batch found on chain after a restart',
          batchId: batch.id,
          chainIndex: index,
        });
        return;
      }
    }
    // INVARIANT: a batch is posted once: it is looked for on chain first (above), and only the
    // leader, asked right before the transaction, sends it (docs/scale-out.md).
    if (!this.acting) return;
    // The nonce seen free above is pinned, and leadership asked again right before signing: a
    // stale leader (paused inside this call, then resumed) and its successor cannot both have a
    // batch mined with it (docs/scale-out.md).
    const posted = await postBatch(
      sequencer,
      deployment,
      { root: batch.root as `0x${string}`, count: batch.count, dataHash: batch.root as `0x${string}` },
      { nonce: mined, beforeSend: () => this.acting },
    ).catch((e: unknown) => {
      if (e instanceof NotSentError) return undefined;
      throw e;
    });
    if (!posted) return;
    await this.claims.markBatchOnChain(
      batch.id,
      Number(posted.batchIndex),
      posted.hash,
      Number(posted.windowEnd) * 1000,
    );
    this.metrics.chainBatchesPosted.inc();
    this.metrics.chainGasUsed.inc({ action: 'postBatch' }, Number(posted.gasUsed));
    this.logger.log({
      msg: 'batch posted on chain',
      batchId: batch.id,
      chainIndex: Number(posted.batchIndex),
      tx: posted.hash,
      gasUsed: Number(posted.gasUsed),
      windowEndsAt: new Date(Number(posted.windowEnd) * 1000).toISOString(),
    });
  }

  private async followEvents(): Promise<void> {
    const { sequencer, deployment } = this.chain;
    const stored = await this.meta.get(CURSOR_KEY);
    const head = await sequencer.public.getBlockNumber({ cacheTime: 0 });
    const from = stored ? BigInt(stored) : deployment.deployBlock;
    await readEventRanges(
      sequencer,
      deployment,
      { from, to: head, stopped: () => this.stopped },
      async (events, range) => {
        for (const event of events) {
          // One bad event must not block the ones after it forever: log it with its tx and go on.
          await this.onEvent(event).catch((e: unknown) =>
            this.logger.error({
              msg: 'chain event not applied',
              event: event.eventName,
              tx: event.transactionHash,
              error: errorMessage(e),
            }),
          );
        }
        // INVARIANT: the cursor moves only after every event up to `to` is stored, and handlers are
        // idempotent, so a crash re-reads at most one range and applies nothing twice.
        await this.meta.set(CURSOR_KEY, (range.to + 1n).toString());
      },
    );
  }

  private async onEvent(event: ClaimsEvent): Promise<void> {
    const now = this.clock.now();
    if (event.eventName === 'DisputeOpened') {
      const claimId = event.args.leaf!.toLowerCase();
      const record = await this.claims.find(claimId);
      if (!record) return; // a leaf we do not hold
      const disputeId = Number(event.args.disputeId);
      const through = Number(event.args.batchIndex);
      // INVARIANT: every dispute over a leaf we hold is recorded, so the defender answers it,
      // whichever posting it goes through: a reposting by someone else puts our operator's
      // stake at risk just the same (docs/security.md, finding 9).
      if (
        !(await this.disputes.recordOpened({ disputeId, claimId, challenger: event.args.challenger! }, now))
      )
        return;
      this.metrics.disputes.inc({ event: 'opened' });
      const ours = record.batch?.chainIndex === through;
      // The claim's status is that of our posting: a dispute through another leaves it as it is.
      if (ours && record.claim.status === 'posted')
        await this.claims.applyEvent(claimId, 'challenged', `dispute ${disputeId}`, now, {
          chainDecides: true,
        });
      this.logger.warn({
        msg: ours ? 'claim disputed on chain' : 'claim disputed through another posting of it',
        claimId,
        disputeId,
        batchIndex: through,
        challenger: event.args.challenger,
        tx: event.transactionHash,
      });
    } else if (event.eventName === 'DisputeResolved') {
      const disputeId = Number(event.args.disputeId);
      const dispute = await this.disputes.find(disputeId);
      if (!dispute || dispute.status === 'resolved') return;
      await this.disputes.setStatus(disputeId, 'resolved', now, { challengerWon: event.args.challengerWon! });
      this.metrics.disputes.inc({ event: event.args.challengerWon ? 'lost' : 'won' });
      const how = RESOLUTIONS[event.args.resolution!];
      const record = await this.claims.find(dispute.claimId);
      const through = (await readDispute(this.chain.sequencer, this.chain.deployment, BigInt(disputeId)))
        .batchIndex;
      if (record?.batch?.chainIndex === through) {
        if (record.claim.status === 'challenged') {
          const transition = event.args.challengerWon
            ? 'fraudProven'
            : event.args.resolution === 1
              ? 'validityProven'
              : 'upheld';
          await this.claims.applyEvent(dispute.claimId, transition, `dispute ${disputeId} by ${how}`, now, {
            chainDecides: true,
          });
        }
      } else if (record) {
        await this.followOtherPosting(record, disputeId, through, event.args.challengerWon!, how, now);
      }
      this.logger.log({
        msg: 'dispute resolved',
        claimId: dispute.claimId,
        disputeId,
        batchIndex: through,
        challengerWon: event.args.challengerWon,
        tx: event.transactionHash,
      });
    }
  }

  /**
   * A dispute through another posting of our claim ended. A validity proof of the claim makes
   * the leaf final everywhere; a lost dispute slashes our posting only when the chain says so
   * (a proof against the leaf does, a timeout elsewhere does not), so ask the chain.
   */
  private async followOtherPosting(
    record: ClaimRecord,
    disputeId: number,
    through: number,
    challengerWon: boolean,
    how: string,
    now: number,
  ): Promise<void> {
    const { claim, batch } = record;
    const reason = `dispute ${disputeId} through batch ${through} by ${how}`;
    if (!challengerWon) {
      if (how === RESOLUTIONS[1] && ['submitted', 'posted', 'challenged'].includes(claim.status))
        await this.claims.applyEvent(claim.claimId, 'validityProven', reason, now, { chainDecides: true });
      return;
    }
    this.logger.error({
      msg: 'ALERT: a posting of our claim lost a dispute',
      claimId: claim.claimId,
      disputeId,
      batchIndex: through,
      resolution: how,
    });
    if (batch?.chainIndex === null || batch?.chainIndex === undefined) return;
    if (claim.status !== 'posted' && claim.status !== 'challenged') return;
    const ids = (await this.claims.claimsOfBatch(batch.id)).map((c) => c.claimId as Hex32);
    const onChain = await readClaimStatus(
      this.chain.sequencer,
      this.chain.deployment,
      BigInt(batch.chainIndex),
      claim.claimId as `0x${string}`,
      new BatchTree(ids).proof(claim.claimId as Hex32),
    );
    if (onChain !== 'slashed') return;
    if (claim.status === 'posted')
      await this.claims.applyEvent(claim.claimId, 'challenged', reason, now, { chainDecides: true });
    await this.claims.applyEvent(claim.claimId, 'fraudProven', reason, now, { chainDecides: true });
  }

  /** Closes a batch the chain calls final, and records it on chain (BatchFinalized). */
  private async settle(batch: BatchEntity): Promise<void> {
    const { sequencer, deployment } = this.chain;
    const final = await sequencer.public.readContract({
      address: deployment.claims,
      abi: verilayClaimsAbi,
      functionName: 'isBatchFinal',
      args: [BigInt(batch.chainIndex!)],
    });
    if (!final) return;
    const finalized = await this.claims.closeBatch(batch.id, this.clock.now());
    this.metrics.claimsFinalized.inc(finalized.length);
    try {
      await finalizeBatch(sequencer, deployment, BigInt(batch.chainIndex!));
    } catch (error) {
      if (!(error instanceof ContractRevertError && error.errorName === 'BatchAlreadyFinalized')) throw error;
    }
    this.logger.log({
      msg: 'batch final on chain',
      batchId: batch.id,
      chainIndex: batch.chainIndex,
      finalized: finalized.length,
    });
  }
}
