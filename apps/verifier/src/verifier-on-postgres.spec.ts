import type { VerilayEvent } from '@verilay/client';
import { testPostgresUrl, verifierDataSourceOptions } from '@verilay/storage';
import { DataSource } from 'typeorm';
import { OTHER_OPERATOR, startTestVerifier, type TestVerifier } from './test-verifier.spec-helper';
import { until } from './webhooks/webhook-receiver.spec-helper';

const url = testPostgresUrl();

/** The whole HTTP app on Postgres (VERIFIER_DATABASE_URL): intake, batches, windows, events. */
(url ? describe : describe.skip)('the verifier app on Postgres', () => {
  let verifier: TestVerifier;

  beforeEach(async () => {
    verifier = await startTestVerifier(
      {
        VERIFIER_CHALLENGE_WINDOW_MS: '1000',
        VERIFIER_BATCH_INTERVAL_MS: '50',
        VERIFIER_EVENT_POLL_MS: '20',
      },
      { postgres: true },
    );
  });
  afterEach(() => verifier.close());

  it('takes claims, batches them, makes them final and streams their events', async () => {
    const ids = await Promise.all([
      ...[1, 2, 3].map(() => verifier.submit()),
      verifier.submit(OTHER_OPERATOR),
    ]);
    await until(async () => {
      const claims = await Promise.all(ids.map((id) => verifier.client.getClaim(id)));
      return claims.every((c) => c.status === 'final');
    });
    const { batches } = await verifier.client.listBatches();
    expect(batches.reduce((n, b) => n + b.count, 0)).toBe(ids.length);

    const seen: VerilayEvent[] = [];
    const abort = new AbortController();
    for await (const e of verifier.client.events({ after: 0, signal: abort.signal })) {
      seen.push(e);
      if (seen.length === 2 * ids.length) abort.abort();
    }
    const order = seen.map((e) => Number(e.id));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    for (const id of ids)
      expect(seen.filter((e) => e.data.claimId === id).map((e) => e.type)).toEqual([
        'claim.posted',
        'claim.final',
      ]);

    // Stored in Postgres, not in the sqlite file beside it.
    const db = await new DataSource(verifierDataSourceOptions(verifier.databaseUrl!)).initialize();
    try {
      const [{ n }] = await db.query<{ n: number }[]>(
        `SELECT COUNT(*) AS n FROM claims WHERE status = 'final'`,
      );
      expect(n).toBe(ids.length);
    } finally {
      await db.destroy();
    }
  });
});
