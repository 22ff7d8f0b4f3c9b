import 'reflect-metadata';
import { EventEntity, verifierDataSourceOptions, WebhookRepository } from '@verilay/storage';
import type { LookupAddress } from 'node:dns';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { SystemClock } from '../clock';
import type { VerifierConfig, WebhookSettings } from '../config/verifier.config';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { MAX_ACTIVE_WEBHOOKS, WebhooksService } from './webhooks.service';
import { until, WebhookReceiver } from './webhook-receiver.spec-helper';
import { sendWebhook } from './webhook-sender';
import { checkWebhookUrl, nonPublicRange, type Resolve } from './webhook-target';
import { SoleLeadership } from '../cluster/leadership';

/** A resolver that answers every name with `addresses` (an attacker's DNS). */
const answering =
  (...addresses: string[]): Resolve =>
  async () =>
    addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));

const publicDns = answering('93.184.215.14');

describe('webhook targets under attack (SSRF)', () => {
  describe('checkWebhookUrl', () => {
    // WHATWG URL parsing turns every IPv4 spelling into dotted quads before the rule sees them.
    it.each([
      'http://0x7f.1/',
      'http://2130706433/',
      'http://017700000001/',
      'http://127.1/',
      'http://0/',
      'http://①②⑦.0.0.1/',
      'http://[::ffff:7f00:1]/',
      'http://[::ffff:a9fe:a9fe]/',
    ])('refuses the IPv4 shorthand, octal, hex or mapped literal %s', async (raw) => {
      await expect(checkWebhookUrl(raw, false, publicDns)).rejects.toMatchObject({
        code: 'WEBHOOK_URL_REFUSED',
      });
    });

    it.each([
      ['IPv4-compatible loopback', '::7f00:1'],
      ['IPv4-compatible private', '::a00:1'],
      ['IPv4-compatible metadata', '::a9fe:a9fe'],
      ['NAT64 of loopback', '64:ff9b::7f00:1'],
      ['local-use NAT64 of a private address', '64:ff9b:1::a00:1'],
      ['6to4 of loopback', '2002:7f00:1::1'],
      ['Teredo', '2001:0:4136:e378:8000:63bf:3fff:fdd2'],
      ['site-local', 'fec0::1'],
      ['discard-only', '100::1'],
      ['unallocated, outside 2000::/3', '4000::1'],
    ])('refuses an IPv6 literal that is not global unicast: %s (%s)', async (_what, address) => {
      expect(nonPublicRange(address)).not.toBeNull();
      await expect(checkWebhookUrl(`http://[${address}]/`, false, publicDns)).rejects.toMatchObject({
        code: 'WEBHOOK_URL_REFUSED',
      });
      // The same address as a DNS answer for an innocent-looking name.
      await expect(
        checkWebhookUrl('https://hooks.example/', false, answering(address)),
      ).rejects.toMatchObject({
        code: 'WEBHOOK_URL_REFUSED',
      });
    });

    it('accepts global unicast IPv6 and public IPv4', async () => {
      expect(nonPublicRange('2606:4700:4700::1111')).toBeNull();
      expect(nonPublicRange('93.184.215.14')).toBeNull();
      await expect(
        checkWebhookUrl('https://[2606:4700:4700::1111]/h', false, publicDns),
      ).resolves.toBeTruthy();
    });

    it('refuses a name whose answer mixes a public and a private address, in either order', async () => {
      for (const dns of [answering('93.184.215.14', '10.0.0.1'), answering('::a00:1', '93.184.215.14')])
        await expect(checkWebhookUrl('https://mixed.example/', false, dns)).rejects.toMatchObject({
          code: 'WEBHOOK_URL_REFUSED',
        });
    });
  });

  describe('sendWebhook', () => {
    const send = (url: string, resolve: Resolve) =>
      sendWebhook(new URL(url), '{}', {}, { timeoutMs: 1000, allowPrivate: false, resolve });

    it('never connects to an IPv4-compatible literal stored before the rule (judged again per attempt)', async () => {
      const result = await send('http://[::7f00:1]:9/', publicDns);
      expect(result).toMatchObject({ ok: false, statusCode: null });
      expect(result.error).toMatch(/not a public address/);
    });

    it('refuses, on connect, a name that resolves to an IPv4-compatible address', async () => {
      const result = await send('http://rebind.example:9/', answering('::7f00:1'));
      expect(result).toMatchObject({ ok: false, statusCode: null });
      expect(result.error).toMatch(/resolves to ::7f00:1/);
    });
  });
});

describe(`${WebhookDispatcher.name} under a hanging receiver`, () => {
  let dir: string;
  let db: DataSource;
  let sut: WebhookDispatcher;
  const receivers: WebhookReceiver[] = [];
  const settings: WebhookSettings = {
    allowPrivate: true,
    timeoutMs: 1000,
    maxAttempts: 3,
    retryBaseMs: 60_000,
    retryMaxMs: 60_000,
    concurrency: 4,
    perSubscription: 2,
    pollMs: 20,
    maxStreams: 10,
    maxStreamsPerClient: 10,
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-hook-attacks-'));
    db = await new DataSource(verifierDataSourceOptions(join(dir, 'verifier.sqlite'))).initialize();
  });
  afterEach(async () => {
    await sut.beforeApplicationShutdown();
    await Promise.all(receivers.splice(0).map((r) => r.stop()));
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('still delivers to a healthy receiver while another hangs on a backlog larger than the due window', async () => {
    const hooks = new WebhookRepository(db);
    const subscribe = async (answer: WebhookReceiver['answer']) => {
      const r = new WebhookReceiver();
      r.answer = answer;
      receivers.push(r);
      const url = await r.start();
      await hooks.create({ url, secret: 'whsec_AAAA', types: null, operator: null, modelId: null }, 0);
      return r;
    };
    const hanging = await subscribe(() => 'hang');
    const healthy = await subscribe(() => 204);
    // 40 events: the hanging receiver's 40 deliveries come first in due order (same time, lower ids).
    await db.manager.insert(
      EventEntity,
      Array.from({ length: 40 }, (_, i) => ({
        type: 'claim.final' as const,
        claimId: `0x${(i + 1).toString(16).padStart(64, '0')}`,
        operator: `0x${'1'.repeat(40)}`,
        modelId: `0x${'2'.repeat(64)}`,
        status: 'final' as const,
        batchId: 1,
        reason: null,
        data: null,
        at: 0,
      })),
    );
    sut = new WebhookDispatcher(
      hooks,
      new SystemClock(),
      { webhooks: settings } as VerifierConfig,
      new SoleLeadership('test'),
    );
    sut.onApplicationBootstrap();
    await until(() => hanging.received.length === 2);
    // Two slots hang for timeoutMs; the other two must serve the healthy receiver meanwhile.
    await until(() => healthy.received.length >= 4, 800);
    expect(hanging.received.length).toBe(2);
  });
});

describe(`${WebhooksService.name} under concurrent creates`, () => {
  let dir: string;
  let db: DataSource;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-hook-limit-'));
    db = await new DataSource(verifierDataSourceOptions(join(dir, 'verifier.sqlite'))).initialize();
  });
  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the active limit when requests race: of 5 at once with one place left, one gets in', async () => {
    const hooks = new WebhookRepository(db);
    const config = { webhooks: { allowPrivate: true } } as VerifierConfig;
    const sut = new WebhooksService(hooks, new SystemClock(), config);
    for (let i = 1; i < MAX_ACTIVE_WEBHOOKS; i++) await sut.create({ url: `http://127.0.0.1:${i}/` });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => sut.create({ url: `http://127.0.0.1:${1000 + i}/` })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code),
    ).toEqual(Array(4).fill('TOO_MANY_WEBHOOKS'));
    expect((await hooks.list()).filter((s) => s.active)).toHaveLength(MAX_ACTIVE_WEBHOOKS);
  });
});

describe('sendWebhook against hostile receivers', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  /** A raw TCP receiver that answers every connection with `script` (it owns the socket). */
  const hostile = async (script: (socket: Socket) => void) => {
    const server = createNetServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
      script(socket);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
  };
  const send = (url: URL) => sendWebhook(url, '{}', {}, { timeoutMs: 500, allowPrivate: true });
  const timed = async (url: URL) => {
    const start = Date.now();
    const result = await send(url);
    return { result, ms: Date.now() - start };
  };
  afterEach(async () => {
    sockets.splice(0).forEach((c) => c.destroy());
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  it('gives up on a receiver that drips its headers a byte at a time (slow loris) at the time limit', async () => {
    const url = await hostile((socket) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      const drip = setInterval(() => socket.destroyed || socket.write('x'), 20);
      socket.on('close', () => clearInterval(drip));
    });
    const { result, ms } = await timed(url);
    expect(result).toMatchObject({ ok: false, statusCode: null });
    expect(ms).toBeLessThan(1500);
  });

  it('refuses enormous headers without holding them', async () => {
    const url = await hostile((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(1 << 20)}\r\n\r\n`);
    });
    const { result, ms } = await timed(url);
    expect(result.ok).toBe(false);
    expect(ms).toBeLessThan(1500);
  });

  it('reads at most 1 KiB of an endless answer and keeps 200 characters of it', async () => {
    const url = await hostile((socket) => {
      socket.write('HTTP/1.1 500 Oops\r\ntransfer-encoding: chunked\r\n\r\n');
      const flood = setInterval(
        () => socket.destroyed || socket.write(`4000\r\n${'e'.repeat(0x4000)}\r\n`),
        1,
      );
      socket.on('close', () => clearInterval(flood));
    });
    const { result, ms } = await timed(url);
    expect(result).toMatchObject({ ok: false, statusCode: 500 });
    expect(result.error!.length).toBeLessThan(260);
    expect(ms).toBeLessThan(500);
  });

  it('does not count 101 Switching Protocols or a 1xx as delivered', async () => {
    for (const head of [
      'HTTP/1.1 101 Switching Protocols\r\nupgrade: x\r\nconnection: upgrade\r\n\r\n',
      'HTTP/1.1 102 Processing\r\n\r\n',
    ]) {
      const url = await hostile((socket) => {
        socket.write(head);
      });
      const { result, ms } = await timed(url);
      expect(result.ok).toBe(false);
      expect(ms).toBeLessThan(1500);
    }
  });
});
