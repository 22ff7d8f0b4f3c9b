import { In, Not, type DataSource } from 'typeorm';
import { ClaimEntity } from './claim.entity';
import { recordEvents } from './event.repository';
import { ProofJobEntity, type ProofVerdict } from './proof-job.entity';
import { ProofQueueFullError } from './errors';
import { LOCKS, lockUntilCommit } from './dialect';
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
      await lockUntilCommit(m, LOCKS.proofRequests);
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
      for (;;) {
        const job = await m.findOne(ProofJobEntity, { where: { status: 'queued' }, order: { id: 'ASC' } });
        if (!job) return null;
        const taken = await m.update(
          ProofJobEntity,
          { id: job.id, status: 'queued' },
          { status: 'proving', updatedAt: now },
        );
        // Postgres: another taker may have had it first; then try the next one.
        if (taken.affected) return { ...job, status: 'proving' as const, updatedAt: now };
      }
    });
  }

  /** Records the proof and, in the same transaction, its `claim.proven` event (the outbox rule). */
  complete(id: number, verdict: ProofVerdict, result: string, now: number): Promise<void> {
    return inTransaction(this.db, async (m) => {
      await lockUntilCommit(m, LOCKS.outbox);
      const done = await m.update(
        ProofJobEntity,
        { id, status: Not('proven') },
        { status: 'proven', verdict, result, error: null, updatedAt: now },
      );
      if (!done.affected) return;
      const { claimId } = await m.findOneByOrFail(ProofJobEntity, { id });
      const claim = await m.findOneByOrFail(ClaimEntity, { claimId });
      await recordEvents(m, [
        {
          type: 'claim.proven',
          claimId,
          operator: claim.operator,
          modelId: claim.modelId,
          status: claim.status,
          batchId: claim.batchId,
          reason: null,
          data: JSON.stringify({ proofId: id, verdict }),
          at: now,
        },
      ]);
    });
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
