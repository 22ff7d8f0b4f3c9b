import { nextClaimStatus, statusesAccepting, type ClaimEvent, type ClaimStatus } from '@verilay/protocol';
import { In, type DataSource, type EntityManager } from 'typeorm';
import { BatchEntity } from './batch.entity';
import { ClaimTransitionEntity } from './claim-transition.entity';
import { recordEvents } from './event.repository';
import { ClaimEntity } from './claim.entity';
import { ChallengeWindowClosedError, DuplicateClaimError, StaleClaimStatusError } from './errors';
import { GroupCommit } from './group-commit';
import { LOCKS, lockUntilCommit } from './dialect';
import { inTransaction, serially } from './serial';
import { TaskInputEntity } from './task-input.entity';
import { chunks, writeSubmissions, type NewClaim, type Submission } from './write-submissions';

export type { NewClaim } from './write-submissions';

/** A submitted claim, as the posting policy sees it. */
export interface PendingClaim {
  readonly claimId: string;
  readonly operator: string;
  readonly modelId: string;
  /** Whether its task input is stored (the verifier can replay and defend it). */
  readonly hasInput: boolean;
  /** The hold reason set by an earlier pass, if any. */
  readonly reason: string | null;
}

export interface ClaimRecord {
  readonly claim: ClaimEntity;
  readonly batch: BatchEntity | null;
  readonly history: ClaimTransitionEntity[];
}

/** Claims, their task inputs, batches and transitions. Every write is one transaction. */
export class ClaimRepository {
  /** Concurrent submissions share one transaction and one fsync (see GroupCommit). */
  private readonly intake: GroupCommit<Submission, void>;

  constructor(private readonly db: DataSource) {
    this.intake = new GroupCommit(db, writeSubmissions);
  }

  /**
   * Stores all claims or none; a claim id already stored (or repeated) fails the whole call.
   * Calls made while another commit is under way are committed together (group commit): the
   * promise resolves once the claims are committed, and one call's failure (its own
   * DuplicateClaimError, say) leaves the others of its group stored.
   */
  async insertSubmissions(claims: readonly NewClaim[], now: number): Promise<void> {
    const ids = claims.map((c) => c.claim.claimId);
    const repeated = repeatedIds(ids);
    if (repeated.length) throw new DuplicateClaimError(repeated);
    if (!claims.length) return;
    await this.intake.submit({ claims, now }, claims.length);
  }

  find(claimId: string): Promise<ClaimRecord | null> {
    return serially(this.db, async () => {
      const claim = await this.db.manager.findOneBy(ClaimEntity, { claimId });
      if (!claim) return null;
      const batch =
        claim.batchId === null ? null : await this.db.manager.findOneBy(BatchEntity, { id: claim.batchId });
      const history = await this.db.manager.find(ClaimTransitionEntity, {
        where: { claimId },
        order: { id: 'ASC' },
      });
      return { claim, batch, history };
    });
  }

  findTaskInput(claimId: string): Promise<TaskInputEntity | null> {
    return serially(this.db, () => this.db.manager.findOneBy(TaskInputEntity, { claimId }));
  }

  countByStatus(): Promise<{ status: ClaimStatus; count: number }[]> {
    return serially(this.db, () =>
      this.db.manager
        .createQueryBuilder(ClaimEntity, 'c')
        .select('c.status', 'status')
        .addSelect('COUNT(*)', 'count')
        .groupBy('c.status')
        .getRawMany(),
    );
  }

  /** Submitted claims, oldest first, with whether their task input is stored. */
  pendingClaims(): Promise<PendingClaim[]> {
    return serially(this.db, async () => {
      const rows = await this.db.manager
        .createQueryBuilder(ClaimEntity, 'c')
        .leftJoin(TaskInputEntity, 't', 't.claimId = c.claimId')
        .select('c.claimId', 'claimId')
        .addSelect('c.operator', 'operator')
        .addSelect('c.modelId', 'modelId')
        .addSelect('c.reason', 'reason')
        .addSelect('t.claimId IS NOT NULL', 'hasInput')
        .where('c.status = :submitted', { submitted: 'submitted' })
        .orderBy('c.submittedAt', 'ASC')
        .addOrderBy('c.claimId', 'ASC')
        .getRawMany<Omit<PendingClaim, 'hasInput'> & { hasInput: number | boolean }>();
      return rows.map((r) => ({ ...r, hasInput: Boolean(r.hasInput) }));
    });
  }

  /** Per operator: how many of its claims are in one of `statuses`. */
  async countByOperator(
    operators: readonly string[],
    statuses: readonly ClaimStatus[],
  ): Promise<Map<string, number>> {
    const counts = new Map(operators.map((o) => [o, 0]));
    if (!operators.length) return counts;
    const rows = await serially(this.db, () =>
      this.db.manager
        .createQueryBuilder(ClaimEntity, 'c')
        .select('c.operator', 'operator')
        .addSelect('COUNT(*)', 'count')
        .where('c.status IN (:...statuses)', { statuses })
        .andWhere('c.operator IN (:...operators)', { operators })
        .groupBy('c.operator')
        .getRawMany<{ operator: string; count: number | string }>(),
    );
    for (const r of rows) counts.set(r.operator, Number(r.count));
    return counts;
  }

  /**
   * Keeps submitted claims out of batches for `reason` (shown with the claim): the status stays
   * `submitted`, so a later pass posts them once the reason is gone.
   */
  hold(claimIds: readonly string[], reason: string, now: number): Promise<void> {
    return inTransaction(this.db, async (m) => {
      for (const part of chunks(claimIds, 400))
        await m.update(ClaimEntity, { claimId: In(part), status: 'submitted' }, { reason, updatedAt: now });
    });
  }

  /**
   * Takes up to `maxClaims` submitted claims (oldest first; only those in `eligible` when given)
   * into a new batch whose window ends at `windowEndsAt`; `rootOf` computes the batch root from
   * their ids. Null when none are waiting.
   */
  async postBatch(
    maxClaims: number,
    windowEndsAt: number,
    now: number,
    rootOf: (claimIds: string[]) => string,
    eligible?: readonly string[],
  ): Promise<BatchEntity | null> {
    if (eligible && !eligible.length) return null;
    return inTransaction(this.db, async (m) => {
      await lockUntilCommit(m, LOCKS.outbox); // it writes events: before any row lock (event.repository.ts)
      const pending: Pick<ClaimEntity, 'claimId' | 'submittedAt'>[] = [];
      for (const part of eligible ? chunks(eligible, 400) : [undefined]) {
        pending.push(
          ...(await m.find(ClaimEntity, {
            select: { claimId: true, submittedAt: true },
            where: { status: 'submitted', ...(part ? { claimId: In(part) } : {}) },
            order: { submittedAt: 'ASC', claimId: 'ASC' },
            take: maxClaims,
          })),
        );
      }
      // Oldest first across the chunks too, so a batch's leaf order stays (submittedAt, claimId).
      pending.sort((a, b) => a.submittedAt - b.submittedAt || (a.claimId < b.claimId ? -1 : 1));
      pending.splice(maxClaims);
      if (pending.length === 0) return null;
      const ids = pending.map((c) => c.claimId);
      const batch = await m.save(BatchEntity, {
        root: rootOf(ids),
        count: ids.length,
        createdAt: now,
        windowEndsAt,
        status: 'open',
        closedAt: null,
      });
      await this.transition(m, ids, 'batched', null, now, { batchId: batch.id });
      return batch;
    });
  }

  /**
   * Closes every open batch whose window has ended at `now`: its posted claims become final;
   * challenged ones wait for their dispute. Returns the ids of the claims made final.
   */
  async finalizeDueBatches(now: number): Promise<{ batchId: number; claimIds: string[] }[]> {
    const due = await serially(this.db, () =>
      this.db.manager
        .createQueryBuilder(BatchEntity, 'b')
        .where('b.status = :open AND b.windowEndsAt <= :now', { open: 'open', now })
        .orderBy('b.windowEndsAt', 'ASC')
        .getMany(),
    );
    const done: { batchId: number; claimIds: string[] }[] = [];
    for (const batch of due) done.push({ batchId: batch.id, claimIds: await this.closeBatch(batch.id, now) });
    return done;
  }

  /**
   * Closes one open batch: its posted claims become final; challenged ones wait for their
   * dispute. Returns the claims made final (none if the batch was already closed).
   */
  closeBatch(batchId: number, now: number): Promise<string[]> {
    // INVARIANT: closing the batch and finalizing its claims commit together, and the status
    // conditions make a second run (after a crash or restart) a no-op: no doubled transitions.
    return inTransaction(this.db, async (m) => {
      await lockUntilCommit(m, LOCKS.outbox);
      const closed = await m.update(
        BatchEntity,
        { id: batchId, status: 'open' },
        { status: 'closed', closedAt: now },
      );
      if (!closed.affected) return [];
      const posted = await m.find(ClaimEntity, {
        select: { claimId: true },
        where: { batchId, status: 'posted' },
      });
      const ids = posted.map((c) => c.claimId);
      await this.transition(m, ids, 'windowElapsed', null, now);
      return ids;
    });
  }

  /** Open batches, oldest first (the on-chain sequencer posts and settles them). */
  openBatches(): Promise<BatchEntity[]> {
    return serially(this.db, () =>
      this.db.manager.find(BatchEntity, { where: { status: 'open' }, order: { id: 'ASC' } }),
    );
  }

  /** Records that a batch is on chain at `chainIndex`, with its window end (unix ms, chain time). */
  markBatchOnChain(
    batchId: number,
    chainIndex: number,
    postTx: string | null,
    windowEndsAt: number,
  ): Promise<void> {
    return inTransaction(this.db, async (m) => {
      await m.update(BatchEntity, { id: batchId }, { chainIndex, postTx, windowEndsAt });
    });
  }

  findBatchByChainIndex(chainIndex: number): Promise<BatchEntity | null> {
    return serially(this.db, () => this.db.manager.findOneBy(BatchEntity, { chainIndex }));
  }

  /** Claims of a batch, in leaf order of its tree input (oldest first, as batched). */
  claimsOfBatch(batchId: number): Promise<ClaimEntity[]> {
    return serially(this.db, () =>
      this.db.manager.find(ClaimEntity, {
        where: { batchId },
        order: { submittedAt: 'ASC', claimId: 'ASC' },
      }),
    );
  }

  /**
   * Applies one lifecycle event to one claim (e.g. a dispute opened or settled). A challenge after
   * the window is refused; a claim upheld after its window closed becomes final at once (its
   * batch is already closed, so nothing else would ever finalize it).
   */
  async applyEvent(
    claimId: string,
    event: ClaimEvent,
    reason: string | null,
    now: number,
    options: { chainDecides?: boolean } = {},
  ): Promise<ClaimStatus> {
    return inTransaction(this.db, async (m) => {
      await lockUntilCommit(m, LOCKS.outbox);
      const claim = await m.findOneByOrFail(ClaimEntity, { claimId });
      const batch =
        claim.batchId === null ? null : await m.findOneByOrFail(BatchEntity, { id: claim.batchId });
      let to = nextClaimStatus(claim.status, event);
      // On chain the contract has already checked the window, and an upheld claim reopens for
      // another window there: the chain's own finality (closeBatch) decides, not this clock.
      if (options.chainDecides) {
        await this.transition(m, [claimId], event, reason, now);
        return to;
      }
      if (event === 'challenged' && batch && now >= batch.windowEndsAt)
        throw new ChallengeWindowClosedError(claimId, batch.windowEndsAt);
      await this.transition(m, [claimId], event, reason, now);
      if (to === 'posted' && batch && now >= batch.windowEndsAt) {
        to = nextClaimStatus(to, 'windowElapsed');
        await this.transition(m, [claimId], 'windowElapsed', 'window closed during the dispute', now);
      }
      return to;
    });
  }

  /**
   * Moves claims by `event` with a conditional update on the statuses that accept it, and
   * records each move. Throws (rolling the transaction back) if any claim was not in such a status.
   */
  private async transition(
    m: EntityManager,
    claimIds: string[],
    event: ClaimEvent,
    reason: string | null,
    now: number,
    extra: Partial<ClaimEntity> = {},
  ) {
    let total = 0;
    for (const from of statusesAccepting(event)) {
      const to = nextClaimStatus(from, event);
      for (const part of chunks(claimIds, 400)) {
        const rows = await m.find(ClaimEntity, {
          select: { claimId: true, operator: true, modelId: true, batchId: true },
          where: { claimId: In(part), status: from },
        });
        if (!rows.length) continue;
        const moved = rows.map((r) => r.claimId);
        const result = await m.update(
          ClaimEntity,
          { claimId: In(moved), status: from },
          { status: to, reason, updatedAt: now, ...extra },
        );
        if (result.affected !== moved.length) throw new StaleClaimStatusError(moved[0]);
        total += moved.length;
        await m.insert(
          ClaimTransitionEntity,
          moved.map((claimId) => ({ claimId, fromStatus: from, toStatus: to, reason, at: now })),
        );
        // No lifecycle event leads back to submitted; intake writes no event (event.entity.ts).
        if (to !== 'submitted')
          await recordEvents(
            m,
            rows.map((r) => ({
              type: `claim.${to}` as const,
              claimId: r.claimId,
              operator: r.operator,
              modelId: r.modelId,
              status: to,
              batchId: extra.batchId ?? r.batchId,
              reason,
              data: null,
              at: now,
            })),
          );
      }
    }
    // A claim in no accepting status cannot take the event: roll back the whole transaction.
    if (total !== claimIds.length) throw new StaleClaimStatusError(claimIds[0]);
  }
}

function repeatedIds(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => seen.size === seen.add(id).size);
}
