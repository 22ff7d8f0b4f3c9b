import 'reflect-metadata';
import { CLAIM_STATUSES } from '@verilay/protocol';
import { DataSource, type Logger } from 'typeorm';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './test-databases.spec-helper';
import { verifierDataSourceOptions } from './data-source-options';
import { EventRepository, eventMatches, type EventFilter } from './event.repository';
import { Listings, type ClaimCursor, type ClaimListFilter } from './listings';
import { ModelRepository } from './model.repository';
import { hex } from './new-claim.spec-helper';
import { rawQuery } from './dialect';

/** A plan that reads a whole table (a SCAN not through an index) or sorts everything it read. */
const FULL_SCAN_OR_SORT = /(^|; )SCAN \w+(?! USING)|TEMP B-TREE FOR ORDER BY/;

/** Claims 1..N: operator i % 7, status i % 5, many sharing a submittedAt (keyset ties). */
const N = 3000;

describeEachDatabase(`${Listings.name} under attack`, (kind) => {
  let database: TestDatabase;
  let db: DataSource;
  let sut: Listings;
  let statements: { sql: string; params: unknown[] }[];

  /** Rows 1..n as `s(i)`, and `0x` + i in hex padded to `width` digits, in either SQL. */
  const numbers = (n: number) =>
    kind === 'sqlite'
      ? `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n})`
      : `WITH s(i) AS (SELECT generate_series(1, ${n}))`;
  const hexOf = (expr: string, width: number) =>
    kind === 'sqlite' ? `printf('0x%0${width}x', ${expr})` : `'0x' || lpad(to_hex(${expr}), ${width}, '0')`;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    db = await new DataSource(verifierDataSourceOptions(database.location)).initialize();
    await new ModelRepository(db).register(hex(1), 'm', Uint8Array.of(1), 0);
    const statuses = CLAIM_STATUSES.map((s) => `'${s}'`).join(', ');
    const status =
      kind === 'sqlite'
        ? `json_extract(json_array(${statuses}), '$[' || (i % 5) || ']')`
        : `(ARRAY[${statuses}])[i % 5 + 1]`;
    await db.query(
      `${numbers(N)} INSERT INTO claims SELECT ${hexOf('i', 64)}, '${hex(1)}', ${hexOf('i', 64)},
         ${hexOf('i % 7', 40)}, ${hexOf('i', 64)}, ${hexOf('i', 64)}, ${hexOf('i', 64)},
         ${hexOf('i', 130)}, NULL, ${status}, NULL, NULL, i / 3, i / 3, NULL FROM s`,
    );
    const logger: Logger = {
      logQuery: (sql, params) => void statements?.push({ sql, params: params ?? [] }),
      logQueryError: () => undefined,
      logQuerySlow: () => undefined,
      logSchemaBuild: () => undefined,
      logMigration: () => undefined,
      log: () => undefined,
    };
    Object.assign(db, { logger });
    sut = new Listings(db);
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });
  beforeEach(() => (statements = []));

  const planOf = async ({ sql, params }: { sql: string; params: unknown[] }) =>
    ((await db.query(`EXPLAIN QUERY PLAN ${sql}`, params)) as { detail: string }[])
      .map((p) => p.detail)
      .join('; ');

  /** Every claim matching `filter`, newest first, straight from SQL (the reference). */
  const everything = async (filter: ClaimListFilter) =>
    (
      await rawQuery<{ claimId: string }>(
        db,
        `SELECT "claimId" FROM claims
         WHERE (CAST(? AS TEXT) IS NULL OR status = ?) AND (CAST(? AS TEXT) IS NULL OR operator = ?)
         ORDER BY "submittedAt" DESC, "claimId" DESC`,
        [filter.status ?? null, filter.status ?? null, filter.operator ?? null, filter.operator ?? null],
      )
    ).map((r) => r.claimId);

  const walk = async (filter: ClaimListFilter, limit: number) => {
    const seen: string[] = [];
    let before: ClaimCursor | undefined;
    for (;;) {
      const page = await sut.claims(filter, limit, before);
      seen.push(...page.map((c) => c.claimId));
      if (page.length < limit) return seen;
      before = page[page.length - 1];
    }
  };

  it.each<[string, ClaimListFilter]>([
    ['no filter', {}],
    ['a status', { status: 'final' }],
    ['an operator', { operator: `0x${'3'.padStart(40, '0')}` }],
  ])('pages through every claim once, newest first, with %s', async (_what, filter) => {
    expect(await walk(filter, 37)).toEqual(await everything(filter));
  });

  // sqlite's query plans. Postgres chooses by its statistics, so none is asserted there; at 200k
  // claims after ANALYZE it read these pages through idx_claims_status_submitted and event types
  // through idx_events_type (EXPLAIN, index scans with an incremental sort of the page).
  const onSqlite = kind === 'sqlite' ? it : it.skip;

  onSqlite('never scans and sorts the whole claims table for a page (no filter, or a status)', async () => {
    await sut.claims({}, 50);
    await sut.claims({}, 50, { submittedAt: 500, claimId: hex(0) });
    await sut.claims({ status: 'posted' }, 50);
    const reads = statements.filter((s) => /FROM "claims"/.test(s.sql));
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) expect(await planOf(read)).not.toMatch(FULL_SCAN_OR_SORT);
  });
  describe('event reads (GET /v1/events, fan-out)', () => {
    const events = () => new EventRepository(db);
    beforeAll(async () => {
      // 4000 events: posted and final alternate; one slashed, early.
      await db.query(
        `${numbers(4000)}
         INSERT INTO events ("type", "claimId", "operator", "modelId", "status", "batchId", "reason", "data", "at")
         SELECT CASE WHEN i = 7 THEN 'claim.slashed' WHEN i % 2 = 0 THEN 'claim.posted' ELSE 'claim.final' END,
           ${hexOf('i', 64)}, ${hexOf('i % 5', 40)}, '${hex(1)}', 'final', 1, NULL, NULL, i FROM s`,
      );
    });

    it.each<[string, EventFilter, RegExp]>([
      [
        'a rare type',
        { types: ['claim.slashed'] },
        /USING (COVERING )?INDEX idx_events_type \(type=\? AND id>\?\)/,
      ],
      [
        'two types',
        { types: ['claim.slashed', 'claim.posted'] },
        /USING (COVERING )?INDEX idx_events_type \(type=\? AND id>\?\)/,
      ],
      [
        'a type and an operator',
        { types: ['claim.final'], operator: `0x${'2'.padStart(40, '0')}` },
        /USING (COVERING )?INDEX idx_events_(type|operator) \((type|operator)=\? AND id>\?\)/,
      ],
    ])('reads %s through an index, in id order, page after page', async (_what, filter, index) => {
      const reference = (await events().after(0, 10_000))
        .filter((e) => eventMatches(e, filter))
        .map((e) => e.id);
      const seen: number[] = [];
      statements = [];
      for (let cursor = 0; ;) {
        const page = await events().after(cursor, 300, filter);
        seen.push(...page.map((e) => e.id));
        if (page.length < 300) break;
        cursor = page[page.length - 1].id;
      }
      expect(seen).toEqual(reference);
      if (kind !== 'sqlite') return; // sqlite's query plans, as above
      const reads = statements.filter((s) => /FROM "events"/.test(s.sql));
      expect(reads.length).toBeGreaterThan(0);
      const plans = await Promise.all(reads.map(planOf));
      expect(plans.some((plan) => index.test(plan))).toBe(true);
      // A range over the primary key reads every event after the cursor, of any type.
      for (const plan of plans) expect(plan).not.toMatch(/rowid>\?|TEMP B-TREE FOR ORDER BY/);
    });
  });
});
