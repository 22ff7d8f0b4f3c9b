import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, type EntityManager } from 'typeorm';
import { ClaimRepository } from './claim.repository';
import { verifierDataSourceOptions } from './data-source-options';
import { EventRepository } from './event.repository';
import { ModelRepository } from './model.repository';
import { hex, newClaim } from './new-claim.spec-helper';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './test-databases.spec-helper';
import { WebhookRepository } from './webhook.repository';

/**
 * The outbox's readers follow `id > cursor` (GET /v1/events, the webhook fan-out). On Postgres ids
 * come from a sequence, so a transaction could take a lower id and commit after a higher one: a
 * reader between the two commits would move its cursor past the late id and never see it.
 */
describeEachDatabase('event outbox order under concurrent writers', (kind) => {
  let database: TestDatabase;
  let db: DataSource;

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    db = await new DataSource(verifierDataSourceOptions(database.location)).initialize();
    await new ModelRepository(db).register(hex(1), 'm', Uint8Array.of(1), 0);
  });
  afterEach(async () => {
    await db.destroy();
    await database.drop();
  });

  // sqlite runs one transaction at a time (serial.ts), readers included: no interleaving to test.
  (kind === 'postgres' ? it : it.skip)('never lets a reader pass an event that commits late', async () => {
    const claims = new ClaimRepository(db);
    const events = new EventRepository(db);
    const hooks = new WebhookRepository(db);
    await claims.insertSubmissions([newClaim(1), newClaim(2)], 1000);
    await hooks.create(
      { url: 'https://example.com/h', secret: 'whsec_x', types: null, operator: null, modelId: null },
      5,
    );

    // The first writer stops after its writes, before its commit, until released.
    let written!: () => void;
    const firstWritten = new Promise<void>((r) => (written = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const transaction = db.transaction.bind(db) as (
      work: (m: EntityManager) => Promise<unknown>,
    ) => Promise<unknown>;
    jest.spyOn(db, 'transaction').mockImplementationOnce(((work: (m: EntityManager) => Promise<unknown>) =>
      transaction(async (m) => {
        const result = await work(m);
        written();
        await gate;
        return result;
      })) as never);
    const first = claims.postBatch(10, 9000, 2000, () => hex(91), [hex(1)]);
    await firstWritten;
    const second = claims.postBatch(10, 9000, 2000, () => hex(92), [hex(2)]);
    await Promise.race([second, sleep(500)]); // it commits now unless it waits for the first

    // A reader between the commits, as the event feed and the fan-out read.
    const seen = (await events.after(0, 100)).map((e) => e.id);
    let delivered = await hooks.fanOut(3000);
    release();
    await Promise.all([first, second]);
    seen.push(...(await events.after(Math.max(0, ...seen), 100)).map((e) => e.id));
    delivered += await hooks.fanOut(4000);

    const all = (await events.after(0, 100)).map((e) => e.id);
    expect(all).toHaveLength(2);
    expect(seen).toEqual(all);
    expect(delivered).toBe(2);
  });
});
