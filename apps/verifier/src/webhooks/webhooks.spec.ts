/* eslint-disable @typescript-eslint/no-explicit-any -- HTTP answers are checked by shape */
import { mintApiKey } from '@verilay/client';
import { toHex32 } from '@verilay/commitments';
import {
  OPERATOR as operator,
  OTHER_OPERATOR as other,
  startTestVerifier,
  type TestVerifier,
} from '../test-verifier.spec-helper';
import { until, WebhookReceiver } from './webhook-receiver.spec-helper';

const admin = mintApiKey('hooks', ['models:write', 'webhooks:write']);
const modelsOnly = mintApiKey('models', ['models:write']);

describe('webhooks (real receivers on loopback)', () => {
  let verifier: TestVerifier;
  let url: string;
  const receivers: WebhookReceiver[] = [];

  const api = (method: string, path: string, body?: unknown, token = admin.token) =>
    fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: r.status === 204 ? null : ((await r.json()) as any) }));

  const receiver = async () => {
    const r = new WebhookReceiver();
    receivers.push(r);
    return { r, url: await r.start() };
  };
  const subscribe = async (r: WebhookReceiver, hookUrl: string, extra: object = {}) => {
    const answer = await api('POST', '/v1/webhooks', { url: hookUrl, ...extra });
    expect(answer.status).toBe(201);
    r.secret = answer.body.secret;
    return answer.body as { id: number; secret: string };
  };
  const submit = (account = operator) => verifier.submit(account);

  beforeEach(async () => {
    verifier = await startTestVerifier(
      {
        VERIFIER_CHALLENGE_WINDOW_MS: '1000',
        VERIFIER_BATCH_INTERVAL_MS: '50',
        VERIFIER_API_KEYS: `${admin.entry};${modelsOnly.entry}`,
        VERIFIER_WEBHOOK_ALLOW_PRIVATE: 'true',
        VERIFIER_WEBHOOK_TIMEOUT_MS: '400',
        VERIFIER_WEBHOOK_RETRY_BASE_MS: '50',
        VERIFIER_WEBHOOK_MAX_ATTEMPTS: '4',
        VERIFIER_EVENT_POLL_MS: '20',
      },
      { apiKey: admin.token },
    );
    url = verifier.url;
  });

  afterEach(async () => {
    await verifier.close();
    await Promise.all(receivers.splice(0).map((r) => r.stop()));
  });

  it('delivers a claim’s events, signed, in order, each once, and shows them delivered', async () => {
    const { r, url: hook } = await receiver();
    const sub = await subscribe(r, hook);
    expect(sub.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const claimId = await submit();
    await until(() => r.types().includes('claim.final'));
    expect(r.received.every((x) => x.verified)).toBe(true);
    expect(r.types()).toEqual(['claim.posted', 'claim.final']);
    const bodies = r.received.map((x) => x.verified!);
    expect(bodies.map((b) => b.data.claimId)).toEqual([claimId, claimId]);
    expect(bodies[1].data).toMatchObject({ status: 'final', operator: operator.address.toLowerCase() });
    // webhook-id is the event id, increasing: the receiver's idempotency key.
    const ids = r.received.map((x) => Number(x.headers['webhook-id']));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(bodies.map((b) => b.id)).toEqual(ids.map(String));
    const deliveries = await api('GET', `/v1/webhooks/${sub.id}/deliveries`);
    expect(deliveries.body.deliveries.map((d: any) => [d.status, d.attempts, d.lastStatusCode])).toEqual([
      ['delivered', 1, 204],
      ['delivered', 1, 204],
    ]);
    expect((await api('GET', `/v1/webhooks/${sub.id}`)).body).toMatchObject({
      active: true,
      deliveries: { delivered: 2, pending: 0, failed: 0 },
    });
    expect((await api('GET', '/v1/webhooks')).body.webhooks[0]).not.toHaveProperty('secret');
  });

  it('retries after the receiver fails, with the same webhook-id, until it answers 2xx', async () => {
    const { r, url: hook } = await receiver();
    r.answer = (n) => (n <= 2 ? 500 : 200);
    const sub = await subscribe(r, hook, { types: ['claim.posted'] });
    await submit();
    await until(() => r.received.length === 3);
    expect(new Set(r.received.map((x) => x.headers['webhook-id'])).size).toBe(1);
    expect(r.received.every((x) => x.verified)).toBe(true);
    const d = await until(async () => {
      const [row] = (await api('GET', `/v1/webhooks/${sub.id}/deliveries`)).body.deliveries;
      return row?.status === 'delivered' && row;
    });
    expect(d).toMatchObject({ attempts: 3, lastStatusCode: 200, lastError: null });
  });

  it('marks a delivery failed after the last attempt, with the reason', async () => {
    const { r, url: hook } = await receiver();
    r.answer = () => 503;
    const sub = await subscribe(r, hook, { types: ['claim.posted'] });
    await submit();
    await until(() => r.received.length === 4);
    const failed = await until(async () => {
      const rows = (await api('GET', `/v1/webhooks/${sub.id}/deliveries?status=failed`)).body.deliveries;
      return rows.length > 0 && rows;
    });
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ attempts: 4, lastStatusCode: 503, nextAttemptAt: null });
    expect(failed[0].lastError).toContain('HTTP 503: receiver says no');
    await new Promise((res) => setTimeout(res, 200));
    expect(r.received).toHaveLength(4);
  });

  it('a receiver that hangs does not hold up another subscription', async () => {
    const slow = await receiver();
    slow.r.answer = () => 'hang';
    const fast = await receiver();
    const slowSub = await subscribe(slow.r, slow.url, { types: ['claim.posted'] });
    await subscribe(fast.r, fast.url, { types: ['claim.posted'] });
    for (let i = 0; i < 5; i++) await submit();
    await until(() => fast.r.received.length === 5, 5000);
    // Meanwhile the hanging receiver held at most 2 attempts (its per-subscription slots).
    expect(slow.r.received.length).toBeLessThanOrEqual(2);
    const timedOut = await until(async () => {
      const rows = (await api('GET', `/v1/webhooks/${slowSub.id}/deliveries`)).body.deliveries;
      return rows.find((x: any) => x.attempts > 0 && x.status === 'pending');
    });
    expect(timedOut.lastError).toBe('no answer within 400 ms');
    expect(timedOut.lastStatusCode).toBeNull();
  });

  it('filters by operator, model and type', async () => {
    const mine = await receiver();
    const theirs = await receiver();
    await subscribe(mine.r, mine.url, {
      operator: operator.address,
      types: ['claim.posted', 'claim.final'],
    });
    await subscribe(theirs.r, theirs.url, { operator: other.address, modelId: toHex32(5n) });
    await submit(operator);
    await submit(other);
    await until(() => mine.r.types().includes('claim.final'));
    await new Promise((res) => setTimeout(res, 300));
    expect(mine.r.types().sort()).toEqual(['claim.final', 'claim.posted']);
    expect(mine.r.received.every((x) => x.verified!.data.operator === operator.address.toLowerCase())).toBe(
      true,
    );
    expect(theirs.r.received).toEqual([]);
  });

  it('does not follow a redirect', async () => {
    const target = await receiver();
    const { r, url: hook } = await receiver();
    r.answer = () => ({ redirect: target.url });
    const sub = await subscribe(r, hook, { types: ['claim.posted'] });
    await submit();
    const d = await until(async () => {
      const [row] = (await api('GET', `/v1/webhooks/${sub.id}/deliveries`)).body.deliveries;
      return row?.attempts > 0 && row;
    });
    expect(d.lastStatusCode).toBe(302);
    expect(['pending', 'failed']).toContain(d.status); // retried, maybe already given up
    expect(d.lastError).toContain('redirects are not followed');
    await new Promise((res) => setTimeout(res, 200));
    expect(target.r.received).toEqual([]);
  });

  it('works through libs/client: create, read, deliveries, delete', async () => {
    const { r, url: hook } = await receiver();
    const created = await verifier.client.createWebhook({ url: hook, types: ['claim.final'] });
    r.secret = created.secret;
    await submit();
    await until(() => r.types().includes('claim.final'));
    const delivered = await until(async () => {
      const page = await verifier.client.webhookDeliveries(created.id, { status: 'delivered' });
      return page.deliveries.length === 1 && page;
    });
    expect(delivered.deliveries[0]).toMatchObject({ attempts: 1, lastStatusCode: 204 });
    expect((await verifier.client.listWebhooks()).webhooks.map((w) => w.id)).toEqual([created.id]);
    await verifier.client.deleteWebhook(created.id);
    expect(await verifier.client.getWebhook(created.id)).toMatchObject({ active: false });
    await expect(verifier.client.getWebhook(999)).rejects.toMatchObject({ code: 'WEBHOOK_NOT_FOUND' });
  });

  it('needs a key with webhooks:write, and validates the subscription', async () => {
    expect((await api('POST', '/v1/webhooks', { url: 'https://example.com' }, '')).status).toBe(401);
    expect((await api('GET', '/v1/webhooks', undefined, modelsOnly.token)).body.error.code).toBe(
      'INSUFFICIENT_SCOPE',
    );
    const bad = await api('POST', '/v1/webhooks', { url: 'https://example.com', types: ['claim.eaten'] });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    const ftp = await api('POST', '/v1/webhooks', { url: 'ftp://example.com/x' });
    expect(ftp).toMatchObject({ status: 422, body: { error: { code: 'WEBHOOK_URL_REFUSED' } } });
    const creds = await api('POST', '/v1/webhooks', { url: 'http://u:p@127.0.0.1/x' });
    expect(creds.body.error.code).toBe('WEBHOOK_URL_REFUSED');
    expect((await api('GET', '/v1/webhooks/999')).body.error.code).toBe('WEBHOOK_NOT_FOUND');
    expect((await api('DELETE', '/v1/webhooks/999')).status).toBe(404);
  });

  it('stops delivering when the subscription is deleted', async () => {
    const { r, url: hook } = await receiver();
    const sub = await subscribe(r, hook, { types: ['claim.posted'] });
    await submit();
    await until(() => r.received.length === 1);
    expect((await api('DELETE', `/v1/webhooks/${sub.id}`)).status).toBe(204);
    await submit();
    await new Promise((res) => setTimeout(res, 300));
    expect(r.received).toHaveLength(1);
    expect((await api('GET', `/v1/webhooks/${sub.id}`)).body.active).toBe(false);
  });
});
