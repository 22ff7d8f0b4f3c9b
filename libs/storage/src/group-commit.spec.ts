import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from './test-databases.spec-helper';
import { ClaimRepository } from './claim.repository';
import { verifierDataSourceOptions } from './data-source-options';
import { DuplicateClaimError } from './errors';
import { ModelRepository } from './model.repository';
import { hex, newClaim } from './new-claim.spec-helper';
import { rawQuery } from './dialect';
import { GroupCommit } from './group-commit';

describeEachDatabase('ClaimRepository group commit', (kind) => {
  let database: TestDatabase;
  let db: DataSource;
  /** A second connection to the same file: it sees only what is committed. */
  let reader: DataSource;
  let sut: ClaimRepository;
  let transactions: number;

  const stored = async (ids: number[]) => {
    const rows = await rawQuery<{ claimId: string; n: number }>(
      reader,
      `SELECT c."claimId" AS "claimId", (SELECT COUNT(*) FROM claim_transitions t WHERE t."claimId" = c."claimId") AS n
       FROM claims c WHERE c."claimId" IN (${ids.map(() => '?').join(',')})`,
      ids.map(hex),
    );
    return new Map(rows.map((r) => [r.claimId, Number(r.n)]));
  };

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    db = await new DataSource(verifierDataSourceOptions(database.location)).initialize();
    reader = await new DataSource(verifierDataSourceOptions(database.location)).initialize();
    await new ModelRepository(db).register(hex(1), 'm', Uint8Array.of(1), 0);
    sut = new ClaimRepository(db);
    transactions = 0;
    const transaction = db.transaction.bind(db) as (work: unknown) => Promise<unknown>;
    jest.spyOn(db, 'transaction').mockImplementation(((work: unknown) => {
      transactions++;
      return transaction(work);
    }) as never);
  });
  afterEach(async () => {
    await reader.destroy();
    await db.destroy();
    await database.drop();
  });

  it('stores concurrent submissions exactly once, in fewer transactions than calls, each answered after its commit', async () => {
    const calls = 40;
    const seenAtAnswer: boolean[] = [];
    await Promise.all(
      Array.from({ length: calls }, (_, i) =>
        sut.insertSubmissions([newClaim(1000 + 2 * i), newClaim(1001 + 2 * i)], 5).then(async () => {
          // Visible to another connection when the answer comes: committed, not just written.
          const rows = await stored([1000 + 2 * i, 1001 + 2 * i]);
          seenAtAnswer.push(rows.size === 2);
        }),
      ),
    );
    expect(seenAtAnswer).toEqual(Array(calls).fill(true));
    const all = await stored(Array.from({ length: 2 * calls }, (_, i) => 1000 + i));
    expect([...all.values()]).toEqual(Array(2 * calls).fill(1)); // each stored once, one transition
    expect(transactions).toBeLessThan(calls / 4);
    expect(transactions).toBeGreaterThanOrEqual(2); // the first alone, the rest grouped behind it
  });

  it('answers no caller of a group whose commit fails, and stores none of it', async () => {
    const transaction = db.transaction.bind(db) as (
      work: (m: unknown) => Promise<unknown>,
    ) => Promise<unknown>;
    await sut.insertSubmissions([newClaim(1)], 5); // the next calls group behind a running commit
    jest.spyOn(db, 'transaction').mockImplementation(((work: (m: unknown) => Promise<unknown>) =>
      transaction(async (m) => {
        await work(m);
        throw new Error('disk I/O error at commit');
      })) as never);
    const outcomes = await Promise.allSettled(
      [10, 11, 12].map((n) => sut.insertSubmissions([newClaim(n)], 5)),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((await stored([10, 11, 12])).size).toBe(0);
  });

  it('refuses only the failing submissions of a group; the others are stored', async () => {
    await sut.insertSubmissions([newClaim(1)], 5);
    let release!: () => void;
    const blocker = new Promise<void>((r) => (release = r));
    // Hold the lock with a long write so that the five calls below form one group.
    const transaction = db.transaction.bind(db) as (
      work: (m: unknown) => Promise<unknown>,
    ) => Promise<unknown>;
    jest.spyOn(db, 'transaction').mockImplementationOnce(((work: (m: unknown) => Promise<unknown>) =>
      transaction(async (m) => {
        await blocker;
        return work(m);
      })) as never);
    const first = sut.insertSubmissions([newClaim(2)], 5);
    const outcomes = Promise.allSettled([
      sut.insertSubmissions([newClaim(20), newClaim(21)], 6), // good
      sut.insertSubmissions([newClaim(22), newClaim(1)], 6), // 1 is stored already
      sut.insertSubmissions([newClaim(23), newClaim(20)], 6), // 20 comes earlier in this group
      sut.insertSubmissions([newClaim(24), newClaim(25, hex(99))], 6), // unknown model: a foreign-key failure
      sut.insertSubmissions([newClaim(26)], 6), // good
    ]);
    release();
    await first;
    const [a, b, c, d, e] = await outcomes;
    expect([a.status, e.status]).toEqual(['fulfilled', 'fulfilled']);
    expect((b as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateClaimError);
    expect((b as PromiseRejectedResult).reason.meta.claimIds).toEqual([hex(1)]);
    expect((c as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateClaimError);
    expect((c as PromiseRejectedResult).reason.meta.claimIds).toEqual([hex(20)]);
    expect(String((d as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY|foreign key/);
    const rows = await stored([20, 21, 22, 23, 24, 25, 26]);
    expect([...rows.keys()].sort()).toEqual([hex(20), hex(21), hex(26)]);
    expect([...rows.values()]).toEqual([1, 1, 1]);
    // The first call, the held one, then the group of five: its fast write fails on the foreign
    // key and rolls back, and the careful one (a savepoint per call) commits.
    expect(transactions).toBe(2 + 2);
  });

  it('writes a group in claim-id order whatever the order of its calls and claims (no lock-order deadlock between replicas)', async () => {
    // The first call commits alone; the three behind it form one group.
    await Promise.all([
      sut.insertSubmissions([newClaim(300)], 5),
      sut.insertSubmissions([newClaim(305), newClaim(302)], 5),
      sut.insertSubmissions([newClaim(304)], 5),
      sut.insertSubmissions([newClaim(303), newClaim(301)], 5),
    ]);
    const order = await rawQuery<{ claimId: string }>(
      reader,
      `SELECT "claimId" FROM claim_transitions WHERE "claimId" IN (${[301, 302, 303, 304, 305].map(() => '?').join(',')}) ORDER BY id`,
      [301, 302, 303, 304, 305].map(hex),
    );
    expect(order.map((r) => r.claimId)).toEqual([...order.map((r) => r.claimId)].sort());
    expect(order).toHaveLength(5);
  });

  it('runs a careful group again when Postgres aborts it to break a deadlock, and only then', async () => {
    let calls = 0;
    const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    const flaky = new GroupCommit<number, number>(db, async (_m, items, careful) => {
      calls++;
      if (!careful) throw new Error('a constraint the checks did not foresee');
      if (calls < 4) throw deadlock;
      return items.map((n) => n * 2);
    });
    await expect(flaky.submit(21)).resolves.toBe(42);
    expect(calls).toBe(4); // the fast path, two deadlocks, the careful run that committed
    const unique = Object.assign(new Error('duplicate key'), { code: '23505' });
    let failing = 0;
    const refused = new GroupCommit<number, number>(db, async () => {
      failing++;
      throw unique;
    });
    await expect(refused.submit(1)).rejects.toBe(unique);
    expect(failing).toBe(2); // the fast path and one careful run: not a conflict, not run again
  });

  // Replicas on one Postgres database: each has its own group commit, and their transactions run
  // at once. A claim sent to both (a client retrying on another replica) is stored once.
  (kind === 'postgres' ? it : it.skip)(
    'stores a claim sent to two replicas at once exactly once; the other call is a duplicate',
    async () => {
      const other = new ClaimRepository(reader);
      const ids = Array.from({ length: 40 }, (_, i) => 100 + i);
      // The same claims, one per call, in opposite orders, interleaved.
      const calls = ids.flatMap((n, i) => [
        sut.insertSubmissions([newClaim(n)], 5),
        other.insertSubmissions([newClaim(ids[ids.length - 1 - i])], 5),
      ]);
      const outcomes = await Promise.allSettled(calls);
      const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(refused.map((o) => o.reason)).toEqual(refused.map(() => expect.any(DuplicateClaimError)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(ids.length);
      const rows = await stored(ids);
      expect([...rows.values()]).toEqual(ids.map(() => 1));
    },
  );

  (kind === 'sqlite' ? it : it.skip)('keeps sqlite durable: WAL with synchronous FULL', async () => {
    expect(await db.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(await db.query('PRAGMA synchronous')).toEqual([{ synchronous: 2 }]);
  });
});
