import type { INestApplication } from '@nestjs/common';
import { EventEntity } from '@verilay/storage';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DataSource } from 'typeorm';
import { loadVerifierConfig } from '../config/verifier.config';
import { createVerifierApp } from '../verifier-app';
import { until } from '../webhooks/webhook-receiver.spec-helper';
import { EventFeed } from './event-feed.service';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Events in the outbox before the stuck reader connects (~12 MB of stream, past any socket buffer). */
const BACKLOG = 20_000;

const event = (i: number) => ({
  type: 'claim.final' as const,
  claimId: `0x${i.toString(16).padStart(64, '0')}`,
  operator: `0x${'1'.repeat(40)}`,
  modelId: `0x${'2'.repeat(64)}`,
  status: 'final' as const,
  batchId: 1,
  reason: 'x'.repeat(200),
  data: null,
  at: i,
});

describe('GET /v1/events under attack', () => {
  let dir: string;
  let app: INestApplication;
  let port: number;
  const sockets: ClientRequest[] = [];

  /** A raw stream from `localAddress` that reads nothing until told (`res.resume()`). */
  const open = (query = '', localAddress = '127.0.0.1') =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: `/v1/events${query}`, localAddress }, (res) => {
        res.pause();
        resolve(res);
      });
      sockets.push(req);
      req.on('error', reject).end();
    });
  const statusOf = async (localAddress?: string) => {
    const res = await open('', localAddress);
    if (res.statusCode !== 200) res.resume();
    return res.statusCode;
  };

  const start = async (env: Record<string, string> = {}) => {
    const config = loadVerifierConfig({
      VERIFIER_DB: join(dir, 'verifier.sqlite'),
      VERIFIER_CHAIN: 'off',
      VERIFIER_EVENT_POLL_MS: '20',
      ...env,
    });
    app = await createVerifierApp(config, { logger: false });
    await app.listen(0, '127.0.0.1');
    port = Number(new URL(await app.getUrl()).port);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-events-attacks-'));
  });
  afterEach(async () => {
    sockets.splice(0).forEach((s) => s.destroy());
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('one client address cannot take every stream: past its share it gets 503, others still get in', async () => {
    await start({ VERIFIER_EVENT_STREAMS_MAX: '10', VERIFIER_EVENT_STREAMS_PER_CLIENT: '2' });
    expect(await statusOf()).toBe(200);
    expect(await statusOf()).toBe(200);
    expect(await statusOf()).toBe(503);
    // Another client (Linux answers on all of 127/8) still has slots.
    expect(await statusOf('127.0.0.2')).toBe(200);
  });

  it('a reader stuck in its backlog holds no live events: they are read again from the outbox, none lost', async () => {
    await start();
    const db = app.get(DataSource);
    // A backlog far larger than the socket buffers: the stream waits for a drain that never comes.
    for (let i = 0; i < BACKLOG / 2000; i++)
      await db.manager.insert(
        EventEntity,
        Array.from({ length: 2000 }, (_, j) => event(i * 2000 + j + 1)),
      );
    const stuck = await open('?after=0');
    await new Promise((r) => setTimeout(r, 300));
    // Live pages handed to every listener while the reader is stuck (as the feed does).
    const listeners = app.get(EventFeed)['listeners'];
    const refs: WeakRef<object>[] = [];
    (() => {
      for (let p = 0; p < 20; p++) {
        const page = Array.from({ length: 500 }, (_, i) => ({
          ...event(1e6 + p * 500 + i),
          id: 1e6 + p * 500 + i,
        }));
        refs.push(...page.map((e) => new WeakRef(e)));
        for (const listener of listeners) listener(page as unknown as EventEntity[]);
      }
    })();
    await new Promise((r) => setTimeout(r, 0));
    gc();
    expect(refs.filter((r) => r.deref()).length).toBe(0);
    // Events written meanwhile reach the reader once it reads, in order, each once.
    await db.manager.insert(EventEntity, [event(BACKLOG + 1), event(BACKLOG + 2)]);
    let text = '';
    stuck.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    stuck.resume();
    await until(() => text.includes(`id: ${BACKLOG + 2}\n`), 20_000);
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual(Array.from({ length: BACKLOG + 2 }, (_, i) => i + 1));
  }, 60_000);
});
