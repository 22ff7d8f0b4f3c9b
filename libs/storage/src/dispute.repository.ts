import type { DataSource } from 'typeorm';
import { DisputeEntity, type DisputeStatus } from './dispute.entity';
import { isUniqueViolation } from './dialect';
import { inTransaction, serially } from './serial';

/** Disputes against the verifier's claims, as followed from the chain. */
export class DisputeRepository {
  constructor(private readonly db: DataSource) {}

  /** Records a dispute the first time its event is seen (events may be read twice after a restart). */
  async recordOpened(
    d: { disputeId: number; claimId: string; challenger: string },
    now: number,
  ): Promise<boolean> {
    return inTransaction(this.db, async (m) => {
      if (await m.findOneBy(DisputeEntity, { disputeId: d.disputeId })) return false;
      await m.insert(DisputeEntity, {
        ...d,
        status: 'open',
        challengerWon: null,
        note: null,
        openedAt: now,
        updatedAt: now,
      });
      return true;
    }).catch((e: unknown) => {
      // Postgres: a concurrent reader of the same event stored it first.
      if (isUniqueViolation(e)) return false;
      throw e;
    });
  }

  async setStatus(
    disputeId: number,
    status: DisputeStatus,
    now: number,
    extra: Partial<DisputeEntity> = {},
  ): Promise<void> {
    await inTransaction(this.db, (m) =>
      m.update(DisputeEntity, { disputeId }, { status, updatedAt: now, ...extra }),
    );
  }

  find(disputeId: number): Promise<DisputeEntity | null> {
    return serially(this.db, () => this.db.manager.findOneBy(DisputeEntity, { disputeId }));
  }

  open(): Promise<DisputeEntity[]> {
    return serially(this.db, () =>
      this.db.manager.find(DisputeEntity, { where: { status: 'open' }, order: { disputeId: 'ASC' } }),
    );
  }

  forClaim(claimId: string): Promise<DisputeEntity[]> {
    return serially(this.db, () =>
      this.db.manager.find(DisputeEntity, { where: { claimId }, order: { disputeId: 'ASC' } }),
    );
  }
}
