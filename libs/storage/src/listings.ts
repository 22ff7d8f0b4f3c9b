import { type DataSource } from 'typeorm';
import { CLAIM_STATUSES, type ClaimStatus } from '@verilay/protocol';
import { BatchEntity } from './batch.entity';
import { ClaimEntity } from './claim.entity';
import { DisputeEntity } from './dispute.entity';
import { ModelEntity } from './model.entity';
import { serially } from './serial';

export interface ClaimListFilter {
  readonly status?: ClaimStatus;
  readonly operator?: string;
  readonly modelId?: string;
}

/** A claim in a list: what a table row shows (no signature, no task data). */
export type ClaimSummary = Pick<
  ClaimEntity,
  'claimId' | 'modelId' | 'operator' | 'status' | 'reason' | 'batchId' | 'submittedAt' | 'updatedAt'
>;

/** Where a claim page ends: the next page starts below (submittedAt, claimId). */
export interface ClaimCursor {
  readonly submittedAt: number;
  readonly claimId: string;
}

export interface ModelSummary {
  readonly modelId: string;
  readonly name: string;
  readonly bytes: number;
  readonly createdAt: number;
}

/**
 * Read-only listings for dashboards and integrators, newest first, paged by keyset (a page never
 * shifts under inserts the way an offset does).
 */
export class Listings {
  constructor(private readonly db: DataSource) {}

  claims(filter: ClaimListFilter, limit: number, before?: ClaimCursor): Promise<ClaimSummary[]> {
    return serially(this.db, async () => {
      if (filter.status || filter.operator || filter.modelId)
        return this.claimPage(filter, filter.status, limit, before);
      // Claims are indexed by (status, submittedAt), not by submittedAt alone: one ordered read
      // per status, merged, reads about `limit` rows each; one read over all statuses scanned
      // and sorted the whole table (~0.5 s at 200k claims, on the one connection intake uses).
      // An operator or model filter still scans: only an index of its own would help.
      const pages = await Promise.all(CLAIM_STATUSES.map((s) => this.claimPage(filter, s, limit, before)));
      return pages
        .flat()
        .sort((a, b) => b.submittedAt - a.submittedAt || (a.claimId < b.claimId ? 1 : -1))
        .slice(0, limit);
    });
  }

  private claimPage(
    filter: ClaimListFilter,
    status: ClaimStatus | undefined,
    limit: number,
    before?: ClaimCursor,
  ): Promise<ClaimSummary[]> {
    const q = this.db.manager
      .createQueryBuilder(ClaimEntity, 'c')
      .select([
        'c.claimId',
        'c.modelId',
        'c.operator',
        'c.status',
        'c.reason',
        'c.batchId',
        'c.submittedAt',
        'c.updatedAt',
      ])
      .orderBy('c.submittedAt', 'DESC')
      .addOrderBy('c.claimId', 'DESC')
      .take(limit);
    if (status) q.andWhere('c.status = :status', { status });
    if (filter.operator) q.andWhere('c.operator = :operator', { operator: filter.operator.toLowerCase() });
    if (filter.modelId) q.andWhere('c.modelId = :modelId', { modelId: filter.modelId.toLowerCase() });
    if (before)
      q.andWhere('(c.submittedAt < :t OR (c.submittedAt = :t AND c.claimId < :id))', {
        t: before.submittedAt,
        id: before.claimId,
      });
    return q.getMany();
  }

  batches(limit: number, beforeId?: number): Promise<BatchEntity[]> {
    return serially(this.db, () => {
      const q = this.db.manager.createQueryBuilder(BatchEntity, 'b').orderBy('b.id', 'DESC').take(limit);
      if (beforeId) q.where('b.id < :beforeId', { beforeId });
      return q.getMany();
    });
  }

  models(): Promise<ModelSummary[]> {
    return serially(this.db, async () => {
      const rows: { modelId: string; name: string; bytes: number; createdAt: number }[] =
        await this.db.manager
          .createQueryBuilder(ModelEntity, 'm')
          .select('m.modelId', 'modelId')
          .addSelect('m.name', 'name')
          .addSelect('length(m.bytes)', 'bytes')
          .addSelect('m.createdAt', 'createdAt')
          .orderBy('m.createdAt', 'DESC')
          .getRawMany();
      return rows.map((r) => ({ ...r, bytes: Number(r.bytes), createdAt: Number(r.createdAt) }));
    });
  }

  disputes(limit: number): Promise<DisputeEntity[]> {
    return serially(this.db, () =>
      this.db.manager.find(DisputeEntity, { order: { disputeId: 'DESC' }, take: limit }),
    );
  }
}
