import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './test-databases.spec-helper';
import { ClaimRepository } from './claim.repository';
import { verifierDataSourceOptions } from './data-source-options';
import { ModelRepository } from './model.repository';
import { ProofQueueFullError } from './errors';
import { ProofJobRepository } from './proof-job.repository';

const hex = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

describeEachDatabase(ProofJobRepository.name, (kind) => {
  let database: TestDatabase;
  let db: DataSource;
  let sut: ProofJobRepository;

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    db = await new DataSource(verifierDataSourceOptions(database.location)).initialize();
    sut = new ProofJobRepository(db);
    await new ModelRepository(db).register(hex(1), 'm', Uint8Array.of(1), 0);
    const claim = {
      modelId: hex(1),
      taskId: hex(1),
      operator: '0x' + 'ab'.repeat(20),
      inputCommitment: hex(2),
      outputCommitment: hex(3),
      traceRoot: hex(4),
      signature: '0x' + '11'.repeat(65),
      output: null,
    };
    await new ClaimRepository(db).insertSubmissions(
      [1, 2].map((n) => ({ claim: { ...claim, claimId: hex(n) }, taskInput: null })),
      0,
    );
  });
  afterEach(async () => {
    await db.destroy();
    await database.drop();
  });

  it('proves a claim once: a second request returns the open or proven job', async () => {
    const first = await sut.request(hex(1), 1);
    expect(first.created).toBe(true);
    expect((await sut.request(hex(1), 2)).job.id).toBe(first.job.id);
    await sut.take(3);
    await sut.complete(first.job.id, 'claim-true', '{}', 4);
    expect(await sut.request(hex(1), 5)).toMatchObject({
      created: false,
      job: { id: first.job.id, status: 'proven' },
    });
  });

  it('lets a failed job be requested again', async () => {
    const { job } = await sut.request(hex(1), 1);
    await sut.take(2);
    await sut.fail(job.id, 'boom', 3);
    expect((await sut.request(hex(1), 4)).created).toBe(true);
  });

  it('takes jobs oldest first and re-queues the ones a crash interrupted', async () => {
    const a = (await sut.request(hex(1), 1)).job;
    const b = (await sut.request(hex(2), 2)).job;
    expect((await sut.take(3))?.id).toBe(a.id);
    // The process dies while proving a: after a restart it is queued again, ahead of b.
    expect(await sut.requeueInterrupted(4)).toBe(1);
    expect((await sut.take(5))?.id).toBe(a.id);
    expect((await sut.take(6))?.id).toBe(b.id);
    expect(await sut.take(7)).toBeNull();
  });

  // Concurrent callers (replicas, or calls at once on Postgres' pool): each rule still holds.
  it('gives each of several concurrent takers its own job', async () => {
    await sut.request(hex(1), 1);
    await sut.request(hex(2), 2);
    const taken = await Promise.all([1, 2, 3, 4].map(() => sut.take(3)));
    const ids = taken.filter((j) => j !== null).map((j) => j!.id);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
  });

  it('opens one job for concurrent requests of one claim', async () => {
    const asks = await Promise.all([1, 2, 3].map(() => sut.request(hex(1), 1)));
    expect(asks.filter((a) => a.created)).toHaveLength(1);
    expect(new Set(asks.map((a) => a.job.id)).size).toBe(1);
  });

  it('keeps the queue bound under concurrent requests', async () => {
    const asks = await Promise.allSettled([sut.request(hex(1), 1, 1), sut.request(hex(2), 1, 1)]);
    expect(asks.map((a) => a.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(asks.find((a) => a.status === 'rejected')).toMatchObject({
      reason: expect.any(ProofQueueFullError),
    });
  });
});
