import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ClaimRepository } from './claim.repository';
import { verifierDataSourceOptions } from './data-source-options';
import { placeholders, rawQuery } from './dialect';
import { DisputeRepository } from './dispute.repository';
import { Listings } from './listings';
import { MetaRepository } from './meta.repository';
import { ModelRepository } from './model.repository';
import { hex, newClaim } from './new-claim.spec-helper';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './test-databases.spec-helper';

describe(placeholders.name, () => {
  it('numbers the placeholders for Postgres and leaves sqlite’s as they are', () => {
    const sql = 'SELECT 1 WHERE a = ? AND b IN (?, ?)';
    expect(placeholders('sqlite', sql)).toBe(sql);
    expect(placeholders('postgres', sql)).toBe('SELECT 1 WHERE a = $1 AND b IN ($2, $3)');
  });
});

describe(verifierDataSourceOptions.name, () => {
  it('picks Postgres for a postgres:// URL and sqlite for a path', () => {
    expect(verifierDataSourceOptions('postgres://u@h:5432/db').type).toBe('postgres');
    expect(verifierDataSourceOptions('postgresql://u@h/db').type).toBe('postgres');
    expect(verifierDataSourceOptions('verilay-verifier.sqlite').type).toBe('sqlite');
  });

  it('refuses a Postgres URL without a database name', () => {
    expect(() => verifierDataSourceOptions('postgres://u@h:5432')).toThrow(
      /needs a host and a database name/,
    );
  });
});

describeEachDatabase('the schema on each database', (kind) => {
  let database: TestDatabase;
  let db: DataSource;

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    db = await new DataSource(verifierDataSourceOptions(database.location)).initialize();
  });
  afterEach(async () => {
    await db.destroy();
    await database.drop();
  });

  it('keeps ms timestamps past 2^31 and model bytes, and gives numbers back, not strings', async () => {
    const now = 1_764_000_000_123;
    await new ModelRepository(db).register(hex(1), 'm', Uint8Array.of(0, 1, 255), now);
    const claims = new ClaimRepository(db);
    await claims.insertSubmissions([newClaim(1), newClaim(2)], now);
    const batch = await claims.postBatch(10, now + 5, now, () => hex(9));
    const record = await claims.find(hex(1));
    expect(record?.claim.submittedAt).toBe(now);
    expect(record?.batch).toMatchObject({ id: batch!.id, windowEndsAt: now + 5, count: 2 });
    expect(typeof record?.batch?.id).toBe('number');
    expect(await claims.countByStatus()).toEqual([{ status: 'posted', count: 2 }]);
    expect([...(await new ModelRepository(db).find(hex(1)))!.bytes]).toEqual([0, 1, 255]);
    expect(await new Listings(db).models()).toEqual([
      { modelId: hex(1), name: 'm', bytes: 3, createdAt: now },
    ]);
    const [row] = await rawQuery<{ n: number }>(db, 'SELECT MAX("submittedAt") AS "n" FROM claims');
    expect(row.n).toBe(now);
  });

  it('pins a setting once, also when two pins race', async () => {
    const meta = new MetaRepository(db);
    const pins = await Promise.all([meta.pin('domain', 'a'), meta.pin('domain', 'b')]);
    expect(pins[0]).toBe(pins[1]);
    expect(await meta.get('domain')).toBe(pins[0]);
  });

  it('registers a model once when two registrations race', async () => {
    const models = new ModelRepository(db);
    const done = await Promise.all([1, 2, 3].map(() => models.register(hex(1), 'm', Uint8Array.of(1), 0)));
    expect(done.filter(Boolean)).toHaveLength(1);
  });

  it('records a dispute once when two readers of its event race', async () => {
    await new ModelRepository(db).register(hex(1), 'm', Uint8Array.of(1), 0);
    await new ClaimRepository(db).insertSubmissions([newClaim(1)], 0);
    const disputes = new DisputeRepository(db);
    const opened = { disputeId: 7, claimId: hex(1), challenger: `0x${'cd'.repeat(20)}` };
    const firsts = await Promise.all([1, 2, 3].map(() => disputes.recordOpened(opened, 5)));
    expect(firsts.filter(Boolean)).toHaveLength(1);
    expect(await disputes.open()).toHaveLength(1);
  });
});
