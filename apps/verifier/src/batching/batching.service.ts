import {
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { BatchTree, type Hex32 } from '@verilay/commitments';
import { ClaimRepository } from '@verilay/storage';
import { Clock } from '../clock';
import { VerifierConfig } from '../config/verifier.config';
import { ChainContext } from '../chain/chain-context';
import { Leadership } from '../cluster/leadership';
import { MetricsService } from '../metrics/metrics.service';
import { decidePosting, DISPUTABLE } from './posting-policy';

/**
 * The sequencer loop: batches submitted claims (at most `batchMaxClaims` per batch, every
 * `batchIntervalMs`), opens their challenge window, and finalizes batches whose window is over.
 * On a chain it batches only what the posting policy allows (./posting-policy.ts); the others
 * wait as `submitted`, with the reason shown on the claim.
 * All state is in the database, so a restart resumes exactly where the last commit left off:
 * overdue windows close on the first tick after boot.
 */
@Injectable()
export class BatchingService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BatchingService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly claims: ClaimRepository,
    private readonly clock: Clock,
    private readonly config: VerifierConfig,
    private readonly metrics: MetricsService,
    private readonly leadership: Leadership,
    @Optional() private readonly chain?: ChainContext,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.batchIntervalMs);
    void this.tick();
  }

  /** Before TypeORM closes the database (its own shutdown hook): stop ticking, finish the pass. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; never overlaps itself. Failures are logged and retried on the next tick. */
  tick(): Promise<void> {
    this.running ??= this.pass()
      .catch((e: unknown) => this.logger.error({ msg: 'batching pass failed', error: String(e) }))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    // Replicas all take claims; only the leader batches them and closes windows.
    if (!this.leadership.isLeader) return;
    const eligible = this.chain ? await this.applyPolicy(this.chain) : undefined;
    for (;;) {
      const now = this.clock.now();
      // On chain the window opens when the batch is mined (ChainSequencerService records it).
      const windowEndsAt = this.chain ? Number.MAX_SAFE_INTEGER : now + this.config.challengeWindowMs;
      const batch = await this.claims.postBatch(
        this.config.batchMaxClaims,
        windowEndsAt,
        now,
        (ids) => new BatchTree(ids as Hex32[]).root,
        eligible,
      );
      if (!batch) break;
      this.metrics.batchesPosted.inc();
      this.logger.log({
        msg: 'batch posted',
        batchId: batch.id,
        root: batch.root,
        claims: batch.count,
        windowEndsAt: this.chain ? 'when posted on chain' : new Date(batch.windowEndsAt).toISOString(),
      });
      if (batch.count < this.config.batchMaxClaims) break;
    }
    if (this.chain) return; // the chain decides finality (ChainSequencerService)
    for (const { batchId, claimIds } of await this.claims.finalizeDueBatches(this.clock.now())) {
      this.metrics.claimsFinalized.inc(claimIds.length);
      this.logger.log({ msg: 'batch window closed', batchId, finalized: claimIds.length });
    }
  }

  /** Reads the facts the posting policy needs, holds what it refuses; returns what may be batched. */
  private async applyPolicy(chain: ChainContext): Promise<string[]> {
    const pending = await this.claims.pendingClaims();
    if (!pending.length) return [];
    const operators = [...new Set(pending.map((c) => c.operator))];
    const models = [...new Set(pending.map((c) => c.modelId))];
    const [disputeStake, outstanding, bonds, registered] = await Promise.all([
      chain.disputeStake(),
      this.claims.countByOperator(operators, DISPUTABLE),
      Promise.all(operators.map((o) => chain.freeBond(o))),
      Promise.all(models.map((m) => chain.isModelRegistered(m))),
    ]);
    const decision = decidePosting(pending, {
      disputeStake,
      outstanding,
      freeBond: new Map(operators.map((o, i) => [o, bonds[i]])),
      modelsOnChain: new Set(models.filter((_, i) => registered[i])),
    });
    const reasonOf = new Map(pending.map((c) => [c.claimId, c.reason]));
    for (const [reason, ids] of decision.held) {
      const changed = ids.filter((id) => reasonOf.get(id) !== reason);
      if (!changed.length) continue;
      await this.claims.hold(changed, reason, this.clock.now());
      this.metrics.claimsHeld.inc(changed.length);
      this.logger.warn({ msg: 'claims held back from batching', claims: changed.length, reason });
    }
    return decision.post;
  }
}
