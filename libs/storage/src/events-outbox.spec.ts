import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './test-databases.spec-helper';
import { ClaimRepository } from './claim.repository';
import { verifierDataSourceOptions } from './data-source-options';
import { EventRepository } from './event.repository';
import { ModelRepository } from './model.repository';
import { hex, newClaim } from './new-claim.spec-helper';
import { ProofJobRepository } from './proof-job.repository';
import { WebhookRepository } from './webhook.repository';

describeEachDatabase('event outbox and webhook deliveries', (kind) => {
  let database: TestDatabase;
  let db: DataSource;
  let claims: ClaimRepository;
  let events: EventRepository;
  let hooks: WebhookRepository;

  const open = async () => {
    db = await new DataSource(verifierDataSourceOptions(database.location)).initialize();
    claims = new ClaimRepository(db);
    events = new EventRepository(db);
    hooks = new WebhookRepository(db);
  };
  const sub = (over: Partial<Parameters<WebhookRepository['create']>[0]> = {}) =>
    hooks.create(
      {
        url: 'https://example.com/h',
        secret: 'whsec_x',
        types: null,
        operator: null,
        modelId: null,
        ...over,
      },
      5,
    );

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    await open();
    await new ModelRepository(db).register(hex(1), 'm', Uint8Array.of(1), 0);
    await new ModelRepository(db).register(hex(2), 'm2', Uint8Array.of(2), 0);
  });
  afterEach(async () => {
    await db.destroy();
    await database.drop();
  });

  it('writes one event per status change, in order, with the claim’s operator, model and batch', async () => {
    await claims.insertSubmissions([newClaim(10), newClaim(11, hex(2))], 1000);
    const batch = await claims.postBatch(10, 9000, 2000, () => hex(99));
    await claims.applyEvent(hex(10), 'challenged', 'dispute 1', 3000);
    await claims.finalizeDueBatches(9000);
    const all = await events.after(0, 100);
    expect(all.map((e) => [e.type, e.claimId, e.status, e.at])).toEqual([
      ['claim.posted', hex(10), 'posted', 2000],
      ['claim.posted', hex(11), 'posted', 2000],
      ['claim.challenged', hex(10), 'challenged', 3000],
      ['claim.final', hex(11), 'final', 9000],
    ]);
    expect(all[0].batchId).toBe(batch!.id);
    expect(all[2].reason).toBe('dispute 1');
    expect(all.every((e) => e.operator === '0x' + 'ab'.repeat(20))).toBe(true);
    expect(await events.after(all[0].id, 100, { modelId: hex(2) })).toHaveLength(2);
    expect(
      (await events.after(0, 100, { types: ['claim.final', 'claim.challenged'] })).map((e) => e.type),
    ).toEqual(['claim.challenged', 'claim.final']);
    expect(await events.lastId()).toBe(all[3].id);
  });

  it('writes no event at intake, nor for a change that is rolled back', async () => {
    await claims.insertSubmissions([newClaim(10)], 1000);
    expect(await events.after(0, 100)).toEqual([]);
    await claims.postBatch(10, 9000, 2000, () => hex(99));
    await expect(claims.applyEvent(hex(10), 'fraudProven', null, 3000)).rejects.toThrow();
    expect((await events.after(0, 100)).map((e) => [e.type, e.claimId])).toEqual([['claim.posted', hex(10)]]);
  });

  it('writes claim.proven with the verdict when a proof job completes, once', async () => {
    await claims.insertSubmissions([newClaim(10)], 1000);
    const jobs = new ProofJobRepository(db);
    const { job } = await jobs.request(hex(10), 1100);
    await jobs.complete(job.id, 'claim-false', '{}', 1200);
    await jobs.complete(job.id, 'claim-false', '{}', 1300);
    const proven = await events.after(0, 100, { types: ['claim.proven'] });
    expect(proven).toHaveLength(1);
    expect(JSON.parse(proven[0].data!)).toEqual({ proofId: job.id, verdict: 'claim-false' });
    expect(proven[0].status).toBe('submitted');
  });

  it('fans events out once per matching subscription, from the subscription’s creation on', async () => {
    await claims.insertSubmissions([newClaim(10)], 1000);
    await claims.postBatch(10, 9000, 1500, () => hex(97)); // before any subscription
    const everything = await sub();
    const model2 = await sub({ modelId: hex(2), types: ['claim.posted'] });
    await claims.insertSubmissions([newClaim(11), newClaim(12, hex(2))], 2000);
    await claims.postBatch(10, 9000, 3000, () => hex(99));
    expect(await hooks.fanOut(4000)).toBe(2 + 1); // 2 posted (all), 1 posted (model 2)
    expect(await hooks.fanOut(4000)).toBe(0);
    // A restart (new DataSource on the same file) repeats nothing.
    await db.destroy();
    await open();
    expect(await hooks.fanOut(5000)).toBe(0);
    const due = await hooks.due(4000, 100);
    expect(
      due.filter((d) => d.subscription.id === model2.id).map((d) => [d.event.type, d.event.claimId]),
    ).toEqual([['claim.posted', hex(12)]]);
    expect(due.filter((d) => d.subscription.id === everything.id)).toHaveLength(2);
    expect(await hooks.counts(everything.id)).toEqual({ pending: 2, delivered: 0, failed: 0 });
  });

  it('records attempts: retry later, give up, delivered; a deleted subscription stops', async () => {
    const s = await sub();
    await claims.insertSubmissions([newClaim(10), newClaim(11), newClaim(12)], 1000);
    await claims.postBatch(10, 9000, 1000, () => hex(99));
    await hooks.fanOut(1000);
    const [a, b, c] = (await hooks.due(1000, 10)).map((d) => d.delivery.id);
    await hooks.recordAttempt(
      a,
      { delivered: false, statusCode: 500, error: 'HTTP 500', retryAt: 3000 },
      1000,
    );
    await hooks.recordAttempt(
      b,
      { delivered: false, statusCode: null, error: 'timeout', retryAt: null },
      1000,
    );
    await hooks.recordAttempt(c, { delivered: true, statusCode: 204 }, 1000);
    expect(await hooks.due(2999, 10)).toEqual([]);
    expect((await hooks.due(3000, 10)).map((d) => d.delivery.id)).toEqual([a]);
    expect((await hooks.due(3000, 10, [a])).map((d) => d.delivery.id)).toEqual([]);
    const listed = await hooks.deliveries(s.id, { limit: 10 });
    expect(listed.map((d) => [d.id, d.status, d.attempts, d.lastStatusCode, d.lastError])).toEqual([
      [c, 'delivered', 1, 204, null],
      [b, 'failed', 1, null, 'timeout'],
      [a, 'pending', 1, 500, 'HTTP 500'],
    ]);
    expect(await hooks.deactivate(s.id, 4000)).toBe(true);
    expect(await hooks.deactivate(s.id, 4000)).toBe(false);
    expect(await hooks.due(5000, 10)).toEqual([]);
    // A late answer to an attempt in flight does not revive a failed delivery.
    await hooks.recordAttempt(a, { delivered: true, statusCode: 200 }, 4100);
    expect(await hooks.counts(s.id)).toEqual({ pending: 0, delivered: 1, failed: 2 });
    await claims.insertSubmissions([newClaim(13)], 6000);
    await claims.postBatch(10, 9000, 6000, () => hex(98));
    expect(await hooks.fanOut(6000)).toBe(0);
  });

  // Calls at once (Postgres' pool, or replicas): the limit and the fan-out still hold.
  it('keeps the subscription limit and fans out once under concurrent calls', async () => {
    const limited = (n: number) =>
      hooks.createIfRoom(
        { url: `https://example.com/${n}`, secret: 'whsec_x', types: null, operator: null, modelId: null },
        5,
        2,
      );
    const made = await Promise.all([1, 2, 3, 4].map(limited));
    expect(made.filter((m) => m !== null)).toHaveLength(2);
    await claims.insertSubmissions([newClaim(10), newClaim(11)], 1000);
    await claims.postBatch(10, 9000, 2000, () => hex(99));
    const fanned = await Promise.all([1, 2, 3].map(() => hooks.fanOut(3000)));
    expect(fanned.reduce((a, b) => a + b, 0)).toBe(2 * 2);
  });
});
