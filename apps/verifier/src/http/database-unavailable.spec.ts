import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createPublicClient, http } from 'viem';
import { testPostgresUrl } from '@verilay/storage';
import { toHttp } from './api-exception.filter';

const url = testPostgresUrl();

/** The error a call gives (it must fail). */
async function failure(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (e) {
    return e;
  }
  throw new Error('it did not fail');
}

describe('a database that cannot be reached answers 503 DATABASE_UNAVAILABLE, never 500', () => {
  it('maps a bug to 500 still (the rule is not a catch-all)', () => {
    expect(toHttp(new TypeError('x is undefined'))[0]).toBe(500);
    expect(toHttp(Object.assign(new Error('duplicate key'), { code: '23505' }))[0]).toBe(500);
  });

  it('a sqlite file locked past its busy timeout', async () => {
    const e = Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' });
    expect(toHttp(e)).toEqual([503, { error: expect.objectContaining({ code: 'DATABASE_UNAVAILABLE' }) }]);
  });

  it('an unreachable chain RPC is no database outage (a socket error deep in its cause)', async () => {
    const chain = createPublicClient({ transport: http('http://127.0.0.1:1', { retryCount: 0 }) });
    const e = await failure(() => chain.getBlockNumber());
    expect(toHttp(e)[1]).not.toMatchObject({ error: { code: 'DATABASE_UNAVAILABLE' } });
  });

  (url ? describe : describe.skip)('real Postgres errors', () => {
    it('a bug Postgres refuses as a protocol violation (08P01: a parameter too many) is 500', async () => {
      const db = await new DataSource({ type: 'postgres', url, extra: { max: 1 } }).initialize();
      try {
        const e = await failure(() => db.query('SELECT $1::int AS one', [1, 2]));
        expect(e).toMatchObject({ driverError: { code: '08P01' } });
        expect(toHttp(e)[0]).toBe(500);
      } finally {
        await db.destroy();
      }
    });

    it('nothing listening (ECONNREFUSED through typeorm)', async () => {
      const closed = new URL(url!);
      closed.port = '1';
      const db = new DataSource({ type: 'postgres', url: closed.toString(), connectTimeoutMS: 2000 });
      const e = await failure(() => db.initialize());
      expect(toHttp(e)[0]).toBe(503);
    });

    it('a session Postgres ends under a query (57P01, as a restart does)', async () => {
      const db = await new DataSource({ type: 'postgres', url, extra: { max: 1 } }).initialize();
      try {
        const [{ pid }] = await db.query<{ pid: number }[]>('SELECT pg_backend_pid() AS pid');
        const admin = new Client({ connectionString: url });
        await admin.connect();
        const running = failure(() => db.query('SELECT pg_sleep(10)'));
        await new Promise((r) => setTimeout(r, 200));
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await admin.end();
        const e = await running;
        expect(toHttp(e)).toEqual([
          503,
          { error: expect.objectContaining({ code: 'DATABASE_UNAVAILABLE' }) },
        ]);
      } finally {
        await db.destroy();
      }
    });
  });
});
