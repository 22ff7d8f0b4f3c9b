import { Client } from 'pg';
import { startTestVerifier, type TestVerifier } from '../test-verifier.spec-helper';
import { until } from '../webhooks/webhook-receiver.spec-helper';
import { PrivatePostgres } from './private-postgres.spec-helper';

const enabled = !!process.env.VERILAY_TEST_POSTGRES_URL || process.env.VERILAY_REQUIRE_SERVERS === '1';
if (!enabled) console.log('Postgres restart spec skipped: no Postgres (bash scripts/services.sh start)');

/** Postgres restarted under load: 503s with the envelope (never 500), nothing acknowledged lost. */
(enabled ? describe : describe.skip)('a verifier whose Postgres restarts under load', () => {
  let pg: PrivatePostgres;
  let verifier: TestVerifier;

  beforeAll(async () => {
    pg = await PrivatePostgres.start();
    const admin = new Client({ connectionString: pg.url });
    await admin.connect();
    await admin.query('CREATE DATABASE verifier');
    await admin.end();
    verifier = await startTestVerifier(
      {
        VERIFIER_CHALLENGE_WINDOW_MS: '1000',
        VERIFIER_BATCH_INTERVAL_MS: '50',
        VERIFIER_LEADER_POLL_MS: '200',
      },
      { databaseUrl: pg.database('verifier') },
    );
  }, 60_000);

  afterAll(async () => {
    await verifier?.close().catch(() => undefined);
    await pg?.destroy();
  });

  it('answers 503 DATABASE_UNAVAILABLE while it is down, reconnects by itself, and loses no acknowledged claim', async () => {
    const acknowledged: string[] = [];
    const answers = new Map<string, number>();
    let task = 0;
    let loading = true;
    const loader = (async () => {
      while (loading) {
        const claim = await verifier.build(++task);
        const res = await fetch(`${verifier.url}/v1/claims`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ claims: [claim] }),
        });
        const body = (await res.json()) as { claims?: { claimId: string }[]; error?: { code: string } };
        const key = `${res.status} ${body.error?.code ?? ''}`.trim();
        answers.set(key, (answers.get(key) ?? 0) + 1);
        if (res.status === 201) acknowledged.push(body.claims![0].claimId);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await until(() => acknowledged.length >= 5);
    await pg.stopServer('fast');
    const down = acknowledged.length;
    await until(() => (answers.get('503 DATABASE_UNAVAILABLE') ?? 0) >= 3);
    // Reads answer the same way.
    const read = await fetch(`${verifier.url}/v1/claims/${acknowledged[0]}`);
    expect([read.status, ((await read.json()) as { error: { code: string } }).error.code]).toEqual([
      503,
      'DATABASE_UNAVAILABLE',
    ]);
    expect(read.headers.get('retry-after')).toBe('1');
    await pg.startServer();
    await until(() => acknowledged.length >= down + 5);
    loading = false;
    await loader;

    expect([...answers.keys()].filter((k) => !['201', '503 DATABASE_UNAVAILABLE'].includes(k))).toEqual([]);
    // Every acknowledged claim is there and the leader, back, takes them all the way to final.
    await until(async () => {
      const views = await Promise.all(acknowledged.map((id) => verifier.client.getClaim(id)));
      return views.every((v) => v.status === 'final');
    });
    const health = (await verifier.client.health()) as unknown as { details: { cluster: { role: string } } };
    expect(health.details.cluster.role).toBe('leader');
  }, 120_000);
});
