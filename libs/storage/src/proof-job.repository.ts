import { In, type DataSource } from 'typeorm';
import { ProofJobEntity, type ProofVerdict } from './proof-job.entity';
import { ProofQueueFullError } from './errors';
import { inTransaction, serially } from './serial';

export class ProofJobRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * A job for the claim: the open or proven one if there is one (asking twice proves once),
   * otherwise a new queued job. Failed jobs do not block a new request. A new job past `maxOpen`
   * jobs queued or proving throws ProofQueueFullError (checked in the same transaction).
   */
  request(
    claimId: string,
    now: number,
    maxOpen = Infinity,
  ): Promise<{ job: ProofJobEntity; created: boolean }> {
    return inTransaction(this.db, async (m) => {
      const existing = await m.findOne(ProofJobEntity, {
        where: { claimId, status: In(['queued', 'proving', 'proven']) },
        order: { id: 'DESC' },
      });
      if (existing) return { job: existing, created: false };
      const open = await m.count(ProofJobEntity, { where: { status: In(['queued', 'proving']) } });
      if (open >= maxOpen) throw new ProofQueueFullError(open);
      const job = await m.save(ProofJobEntity, {
        claimId,
        status: 'queued',
        verdict: null,
        result: null,
        error: null,
        createdAt: now,
        updatedAt: now,
      });
      return { job, created: true };
    });
  }

  find(id: number): Promise<ProofJobEntity | null> {
    return serially(this.db, () => this.db.manager.findOneBy(ProofJobEntity, { id }));
  }

  /** Takes the oldest queued job and marks it proving; null when none waits. */
  take(now: number): Promise<ProofJobEntity | null> {
    return inTransaction(this.db, async (m) => {
      const job = await m.findOne(ProofJobEntity, { where: { status: 'queued' }, order: { id: 'ASC' } });
      if (!job) return null;
      await m.update(ProofJobEntity, { id: job.id, status: 'queued' }, { status: 'proving', updatedAt: now });
      return { ...job, status: 'proving' as const, updatedAt: now };
    });
  }

  complete(id: number, verdict: ProofVerdict, result: string, now: number): Promise<void> {
    return this.settle(id, { status: 'proven', verdict, result, error: null, updatedAt: now });
  }

  fail(id: number, error: string, now: number): Promise<void> {
    return this.settle(id, { status: 'failed', error: error.slice(0, 2000), updatedAt: now });
  }

  private settle(id: number, changes: Partial<ProofJobEntity>): Promise<void> {
    return inTransaction(this.db, async (m) => void (await m.update(ProofJobEntity, { id }, changes)));
  }

  /** Jobs a crash interrupted go back to the queue (proving is idempotent). */
  requeueInterrupted(now: number): Promise<number> {
    return inTransaction(
      this.db,
      async (m) =>
        (await m.update(ProofJobEntity, { status: 'proving' }, { status: 'queued', updatedAt: now }))
          .affected ?? 0,
    );
  }
}
