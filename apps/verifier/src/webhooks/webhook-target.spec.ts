import type { INestApplication } from '@nestjs/common';
import { mintApiKey } from '@verilay/client';
import type { LookupAddress } from 'node:dns';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadVerifierConfig } from '../config/verifier.config';
import { createVerifierApp } from '../verifier-app';
import { WebhookReceiver } from './webhook-receiver.spec-helper';
import { sendWebhook } from './webhook-sender';
import { checkWebhookUrl, nonPublicRange, type Resolve } from './webhook-target';

const fixed =
  (...answers: string[][]): Resolve =>
  async () => {
    const next = answers.length > 1 ? answers.shift()! : answers[0];
    return next.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('webhook targets (SSRF)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['fd00::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::', 'unspecified'],
  ])('%s is not public (%s)', (address, range) => {
    expect(nonPublicRange(address)).toBe(range);
  });

  it.each(['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '::ffff:93.184.216.34'])(
    '%s is public',
    (address) => {
      expect(nonPublicRange(address)).toBeNull();
    },
  );

  it('refuses literal and named private hosts, and names with any private address', async () => {
    const pub = fixed(['93.184.216.34']);
    await expect(checkWebhookUrl('http://127.0.0.1:9/x', false, pub)).rejects.toThrow(/loopback/);
    await expect(checkWebhookUrl('http://[::1]/x', false, pub)).rejects.toThrow(/loopback/);
    await expect(checkWebhookUrl('http://[::ffff:169.254.169.254]/', false, pub)).rejects.toThrow(
      /linkLocal/,
    );
    await expect(checkWebhookUrl('http://2130706433/', false, pub)).rejects.toThrow(/loopback/); // 127.0.0.1 as a number
    await expect(
      checkWebhookUrl('http://hooks.test/', false, fixed(['93.184.216.34', '10.0.0.7'])),
    ).rejects.toThrow(/10\.0\.0\.7 \(private\)/);
    await expect(checkWebhookUrl('https://hooks.test/x', false, pub)).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookUrl('http://127.0.0.1:9/x', true, pub)).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookUrl('file:///etc/passwd', true)).rejects.toThrow(/http or https/);
    await expect(
      checkWebhookUrl('http://nowhere.invalid/', false, () => Promise.reject(new Error('ENOTFOUND'))),
    ).rejects.toThrow(/does not resolve/);
  });

  it('checks the address actually connected to: a name that rebinds to loopback is refused on delivery', async () => {
    const receiver = new WebhookReceiver();
    const real = new URL(await receiver.start());
    try {
      const rebinding = fixed(['93.184.216.34'], ['127.0.0.1']);
      const target = new URL(`http://rebind.test:${real.port}/hook`);
      await checkWebhookUrl(target.href, false, rebinding); // the first answer is public
      const result = await sendWebhook(
        target,
        '{}',
        {},
        { timeoutMs: 1000, allowPrivate: false, resolve: rebinding },
      );
      expect(result).toMatchObject({ ok: false, statusCode: null });
      expect(result.error).toMatch(/127\.0\.0\.1 \(loopback\)/);
      expect(receiver.received).toEqual([]);
      // The same name, allowed to be private, reaches the receiver: the refusal was the guard.
      const allowed = await sendWebhook(
        target,
        '{}',
        {},
        { timeoutMs: 1000, allowPrivate: true, resolve: fixed(['127.0.0.1']) },
      );
      expect(allowed).toMatchObject({ ok: true, statusCode: 204 });
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.stop();
    }
  });

  describe('POST /v1/webhooks on a default verifier', () => {
    const admin = mintApiKey('hooks', ['webhooks:write']);
    let dir: string;
    let app: INestApplication;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'verilay-ssrf-'));
      const config = loadVerifierConfig({
        VERIFIER_DB: join(dir, 'verifier.sqlite'),
        VERIFIER_CHAIN: 'off',
        VERIFIER_API_KEYS: admin.entry,
      });
      app = await createVerifierApp(config, { logger: false });
      await app.listen(0, '127.0.0.1');
    });
    afterAll(async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it.each([
      'http://127.0.0.1:8080/',
      'http://localhost/',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/',
    ])('refuses %s with 422 WEBHOOK_URL_REFUSED and stores nothing', async (hook) => {
      const base = await app.getUrl();
      const post = await fetch(`${base}/v1/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
        body: JSON.stringify({ url: hook }),
      });
      expect(post.status).toBe(422);
      expect(((await post.json()) as { error: { code: string } }).error.code).toBe('WEBHOOK_URL_REFUSED');
      const list = await fetch(`${base}/v1/webhooks`, {
        headers: { authorization: `Bearer ${admin.token}` },
      });
      expect(((await list.json()) as { webhooks: unknown[] }).webhooks).toEqual([]);
    });
  });
});
