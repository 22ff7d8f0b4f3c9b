import type { ClaimView } from '@verilay/client';
import { startTestVerifier, type TestVerifier } from '../test-verifier.spec-helper';
import { until } from '../webhooks/webhook-receiver.spec-helper';
import { testPostgresUrl } from '@verilay/storage';

const url = testPostgresUrl();

const ENV = {
  VERIFIER_CHALLENGE_WINDOW_MS: '1000',
  VERIFIER_BATCH_INTERVAL_MS: '50',
  VERIFIER_LEADER_POLL_MS: '150',
};

interface Health {
  details: { cluster: { role: string; replica: string } };
}

/** Two verifier replicas (in this process) on one Postgres database. */
(url ? describe : describe.skip)('verifier replicas on one Postgres database', () => {
  let a: TestVerifier;
  let b: TestVerifier | undefined;

  beforeEach(async () => {
    a = await startTestVerifier({ ...ENV, VERIFIER_REPLICA_ID: 'a' }, { postgres: true });
    b = await startTestVerifier(
      { ...ENV, VERIFIER_REPLICA_ID: 'b' },
      { databaseUrl: a.databaseUrl, firstTask: 1_000_000 },
    );
  });

  afterEach(async () => {
    await b?.close();
    await a.close(); // drops the database
  });

  const role = async (v: TestVerifier) =>
    ((await v.client.health()) as unknown as Health).details.cluster.role;

  it('both take claims; one leader batches them all, each claim once, and all turn final', async () => {
    expect([await role(a), await role(b!)].sort()).toEqual(['follower', 'leader']);
    const ids = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => (i % 2 ? a : b!).submit()));
    const views = await until(async () => {
      const all = await Promise.all(ids.map((id) => a.client.getClaim(id)));
      return all.every((c) => c.status === 'final') && all;
    });
    // The same claims, the same answers, from either replica (task data and batch data included).
    for (const id of ids) {
      const [fromA, fromB] = [await a.client.getClaim(id), await b!.client.getClaim(id)];
      expect(fromB).toEqual(fromA);
      expect(await b!.client.getTaskInput(id)).toEqual(await a.client.getTaskInput(id));
    }
    const once = (v: ClaimView) => v.history.map((h) => h.to);
    for (const v of views) expect(once(v)).toEqual(['submitted', 'posted', 'final']);
    const batches = (await a.client.listBatches({})).batches;
    expect(batches.reduce((n, x) => n + x.count, 0)).toBe(ids.length);
    // Only the leader batched: the follower posted none.
    const posted = async (v: TestVerifier) =>
      Number(/verilay_batches_posted_total (\d+)/.exec(await (await fetch(`${v.url}/metrics`)).text())![1]);
    const [leader, follower] = (await role(a)) === 'leader' ? [a, b!] : [b!, a];
    expect(await posted(follower)).toBe(0);
    expect(await posted(leader)).toBe(batches.length);
  });

  it('the same claim sent to both at once is stored once: 201 from one, 409 DUPLICATE_CLAIM from the other', async () => {
    for (let n = 1; n <= 5; n++) {
      const claim = await a.build(500 + n);
      const answers = await Promise.all(
        [a, b!].map((v) =>
          fetch(`${v.url}/v1/claims`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ claims: [claim] }),
          }).then(async (r) => ({
            status: r.status,
            body: (await r.json()) as { error?: { code: string } },
          })),
        ),
      );
      expect(answers.map((x) => x.status).sort()).toEqual([201, 409]);
      expect(answers.find((x) => x.status === 409)!.body.error!.code).toBe('DUPLICATE_CLAIM');
    }
  });

  it('when the leader goes, the other leads within a poll or two and finishes what was left', async () => {
    const leader = (await role(a)) === 'leader' ? a : b!;
    const follower = leader === a ? b! : a;
    const ids = await Promise.all([1, 2, 3].map(() => follower.submit()));
    await until(async () => (await follower.client.getClaim(ids[0])).status === 'posted');
    if (leader === b) {
      await b.app.close();
      b = undefined;
    } else {
      // a owns the database: stop its app only (its close() would drop the database).
      await a.app.close();
    }
    await until(async () => (await role(follower)) === 'leader', 15_000);
    const more = await follower.submit();
    await until(async () => {
      const all = await Promise.all([...ids, more].map((id) => follower.client.getClaim(id)));
      return all.every((c) => c.status === 'final');
    });
  });
});
