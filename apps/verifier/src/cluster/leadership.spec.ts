import { Logger } from '@nestjs/common';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { PostgresLeadership, type Role } from './leadership';
import { testPostgresUrl } from '@verilay/storage';

const url = testPostgresUrl();

const POLL_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(5);
  }
}

(url ? describe : describe.skip)('PostgresLeadership (a real Postgres)', () => {
  let key: bigint;
  const started: PostgresLeadership[] = [];
  /** Every role change of every replica, in the order they took effect. */
  let changes: { replica: string; role: Role; at: number }[];
  let most: number;
  let sampler: NodeJS.Timeout;

  const replica = async (name: string) => {
    const l = new PostgresLeadership({ url: url!, replicaId: name, key, pollMs: POLL_MS });
    l.onChange((role) => {
      changes.push({ replica: name, role, at: Date.now() });
      most = Math.max(most, started.filter((s) => s.isLeader).length);
    });
    started.push(l);
    await l.start();
    return l;
  };
  const leaders = () => started.filter((l) => l.isLeader);

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    key = BigInt(randomBytes(6).readUIntBE(0, 6));
    changes = [];
    most = 0;
    sampler = setInterval(() => (most = Math.max(most, leaders().length)), 2);
  });

  afterEach(async () => {
    clearInterval(sampler);
    await Promise.all(started.splice(0).map((l) => l.stop()));
  });

  it('elects exactly one of three; a graceful stop hands over at once', async () => {
    const all = [await replica('a'), await replica('b'), await replica('c')];
    await until(() => leaders().length === 1);
    await sleep(3 * POLL_MS);
    expect(leaders()).toHaveLength(1);
    const first = leaders()[0];
    const stoppedAt = Date.now();
    await first.stop();
    started.splice(started.indexOf(first), 1);
    await until(() => leaders().length === 1);
    // At once, not after Postgres would notice a dead session (TCP keepalives: 4 s and more).
    expect(Date.now() - stoppedAt).toBeLessThan(3000);
    expect(leaders()[0]).not.toBe(first);
    expect(all.filter((l) => l.isLeader)).toHaveLength(1);
    expect(most).toBe(1);
  });

  it('a leader whose session Postgres ends steps down before another one leads', async () => {
    await replica('a');
    await until(() => leaders().length === 1);
    await replica('b');
    const old = leaders()[0];
    const admin = new Client({ connectionString: url });
    await admin.connect();
    try {
      // The session holding this key's advisory lock, ended as a Postgres restart would.
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE application_name = $1`,
        [`verilay-leadership ${old.replicaId}`],
      );
      expect(rows).toHaveLength(1);
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    } finally {
      await admin.end();
    }
    await until(() => changes.filter((c) => c.role === 'leader').length >= 2);
    const down = changes.findIndex((c) => c.replica === old.replicaId && c.role === 'follower');
    const next = changes.findIndex((c, i) => i > 0 && c.role === 'leader');
    expect(down).toBeGreaterThanOrEqual(0);
    expect(down).toBeLessThan(next);
    expect(most).toBe(1);
  });

  it('a leader paused (a long GC pause) while its session ended and another took the lock is no leader when it resumes', async () => {
    const a = await replica('a');
    await until(() => a.isLeader);
    // Another replica's process: on a line from us, it ends a's session (a Postgres restart, a
    // failover, or a network drop while a was paused) and takes the lock, printing when it got it.
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const { Client } = require('pg');
         process.stdin.once('data', async () => {
           const c = new Client({ connectionString: process.argv[1] });
           await c.connect();
           await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'verilay-leadership a'");
           for (;;) {
             const { rows } = await c.query('SELECT pg_try_advisory_lock($1::bigint) AS got', [process.argv[2]]);
             if (rows[0].got) break;
           }
           console.log(Date.now());
           setInterval(() => {}, 1000);
         });`,
        url!,
        key.toString(),
      ],
      { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      const took = new Promise<number>((resolve) => child.stdout!.once('data', (d) => resolve(Number(d))));
      await sleep(3 * POLL_MS);
      child.stdin!.write('go\n');
      // a's event loop stops (a GC pause, SIGSTOP): its sockets and timers wait, the kernel does not.
      const pausedUntil = Date.now() + 1500;
      while (Date.now() < pausedUntil);
      // The first thing a resumed process runs is its due timers (a sequencer's pass), before any I/O.
      const resumedAsLeader = a.isLeader;
      expect(await took).toBeLessThan(pausedUntil);
      expect(resumedAsLeader).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a leader process SIGKILLed frees the lock at once: a follower leads at its next poll', async () => {
    // A child process that holds the cluster's lock the way PostgresLeadership does, then dies.
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const { Client } = require('pg');
         (async () => {
           const c = new Client({ connectionString: process.argv[1] });
           await c.connect();
           const { rows } = await c.query('SELECT pg_try_advisory_lock($1::bigint) AS got', [process.argv[2]]);
           console.log(rows[0].got ? 'leader' : 'follower');
           setInterval(() => {}, 1000);
         })();`,
        url!,
        key.toString(),
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const said = await new Promise<string>((resolve) =>
      child.stdout!.once('data', (d) => resolve(String(d).trim())),
    );
    expect(said).toBe('leader');
    const follower = await replica('b');
    await sleep(3 * POLL_MS);
    expect(follower.isLeader).toBe(false);
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await until(() => follower.isLeader);
    expect(Date.now() - killedAt).toBeLessThan(3000);
  });
});
