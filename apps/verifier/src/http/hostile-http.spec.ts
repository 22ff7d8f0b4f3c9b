import type { INestApplication } from '@nestjs/common';
import { mintApiKey } from '@verilay/client';
import { modelToJson, randomModel } from '@verilay/inference';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadVerifierConfig } from '../config/verifier.config';
import { createVerifierApp } from '../verifier-app';
import { hostileRequest, toBytes, type HostileRequest } from './hostile-requests.spec-helper';
import { httpBytes, rawRequest, type RawAnswer } from './raw-http.spec-helper';
import { gzipSync } from 'node:zlib';

const request = (line: string, headers: [string, string][], body = '') =>
  httpBytes(line, [['host', 'localhost'], ['connection', 'close'], ...headers], Buffer.from(body, 'latin1'));
const json = (line: string, body: string, headers: [string, string][] = []) =>
  request(
    line,
    [
      ['content-type', 'application/json'],
      ['content-length', String(Buffer.byteLength(body, 'latin1'))],
      ...headers,
    ],
    body,
  );

/** Requests the fuzz found answered with a 5xx, or with no error envelope, or not at all. */
const FOUND: { name: string; bytes: Buffer; halfClose?: boolean }[] = [
  {
    name: 'a body announced as gzip that is not',
    bytes: json('POST /v1/claims HTTP/1.1', '{"claims":[]}', [['content-encoding', 'gzip']]),
  },
  {
    name: 'a body announced as brotli that is not',
    bytes: json('POST /v1/models HTTP/1.1', 'garbage', [['content-encoding', 'br']]),
  },
  {
    name: 'a corrupt deflate body on OPTIONS',
    bytes: json('OPTIONS /v1/models HTTP/1.1', '[]', [['content-encoding', 'deflate']]),
  },
  {
    name: 'a gzip body cut short',
    bytes: request(
      'POST /v1/models HTTP/1.1',
      [
        ['content-type', 'application/json'],
        ['content-encoding', 'gzip'],
        ['content-length', '12'],
      ],
      gzipSync('{"a":1}').subarray(0, 12).toString('latin1'),
    ),
  },
  { name: 'an 80 kB URL', bytes: request(`GET /v1/claims/${'a'.repeat(80_000)} HTTP/1.1`, []) },
  { name: 'a 70 kB header', bytes: request('GET /health HTTP/1.1', [['x-pad', 'a'.repeat(70_000)]]) },
  { name: 'an unknown method', bytes: request('BREW /v1/claims HTTP/1.1', []) },
  { name: 'a lowercase method', bytes: request('get /health HTTP/1.1', []) },
  {
    name: 'an Expect header other than 100-continue',
    bytes: json('POST /v1/claims HTTP/1.1', '{}', [['expect', 'tea']]),
  },
  { name: 'CONNECT', bytes: request('CONNECT /v1/claims HTTP/1.1', []) },
  {
    name: 'a body shorter than its Content-Length',
    bytes: request(
      'POST /v1/claims HTTP/1.1',
      [
        ['content-type', 'application/json'],
        ['content-length', '50'],
      ],
      '{"claims":[',
    ),
    halfClose: true,
  },
  {
    name: 'a malformed chunk',
    bytes: request(
      'POST /v1/claims HTTP/1.1',
      [
        ['content-type', 'application/json'],
        ['transfer-encoding', 'chunked'],
      ],
      'zz\r\n{}\r\n0\r\n\r\n',
    ),
  },
  {
    name: 'a request whose client half-closes once it is sent (node dropped it unanswered)',
    bytes: request('GET /v1/proofs/1 HTTP/1.1', []),
    halfClose: true,
  },
  { name: 'garbage instead of a request line', bytes: Buffer.from('GARBAGE\r\n\r\n') },
];

const admin = mintApiKey('admin', ['models:write', 'proofs:write']);

const utf16Nested = Buffer.from(`["\u2200",${'['.repeat(5000)}${']'.repeat(5000)}]`, 'utf16le');

/** Requests a review of the fix found still answered with a 5xx (c6a8acb). */
const REVIEWED: { name: string; bytes: Buffer }[] = [
  { name: 'a claim that is an array', bytes: json('POST /v1/claims HTTP/1.1', '{"claims":[[]]}') },
  {
    // U+2200 is the bytes 00 22 in UTF-16: a scan of raw bytes for '"' loses its place.
    name: 'JSON nested 5,000 deep in UTF-16',
    bytes: request(
      'POST /v1/claims HTTP/1.1',
      [
        ['content-type', 'application/json; charset=utf-16le'],
        ['content-length', String(utf16Nested.length)],
      ],
      utf16Nested.toString('latin1'),
    ),
  },
];

/** VERIFIER_FUZZ_RUNS=10000 (npm run fuzz:http) for the long run; the default fits the unit run. */
const RUNS = Number(process.env.VERIFIER_FUZZ_RUNS ?? 4000);

describe('verifier under hostile HTTP (finding 10)', () => {
  let dir: string;
  let app: INestApplication;
  let port: number;
  let rowsBefore: Record<string, number>;

  const rowCounts = async (): Promise<Record<string, number>> => {
    const db = app.get(DataSource);
    const tables = (await db.query(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )) as { name: string }[];
    const counts: Record<string, number> = {};
    for (const { name } of tables)
      counts[name] = Number(
        ((await db.query(`SELECT COUNT(*) AS n FROM "${name}"`)) as { n: number }[])[0].n,
      );
    return counts;
  };

  const send = (r: HostileRequest): Promise<RawAnswer> => {
    const { bytes, halfClose } = toBytes(r);
    return rawRequest(port, bytes, { halfClose });
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-hostile-'));
    app = await createVerifierApp(
      loadVerifierConfig({
        VERIFIER_DB: join(dir, 'v.sqlite'),
        VERIFIER_CHAIN: 'off',
        VERIFIER_BODY_LIMIT: '64kb',
        VERIFIER_BATCH_INTERVAL_MS: '3600000',
        VERIFIER_API_KEYS: admin.entry,
        // The limits would answer most of the run with 429: let the hostile bodies reach the handlers.
        VERIFIER_RATE_LIMIT: '1000000',
        VERIFIER_ADMIN_RATE_LIMIT: '1000000',
      }),
      { logger: false },
    );
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as { port: number }).port;
    const model = randomModel({ seed: 3, kind: 'mlp', sizes: [4, 3], argmax: true });
    const res = await fetch(`http://127.0.0.1:${port}/v1/models`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
      body: JSON.stringify(modelToJson(model)),
    });
    expect(res.status).toBe(201);
    rowsBefore = await rowCounts();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The property every answer keeps: a status below 500, and a 4xx carries the error envelope. */
  const expectEnvelope = (r: { method: string; path: string }, answer: RawAnswer) => {
    expect(answer.status).not.toBeNull();
    const status = answer.status!;
    expect(status).toBeLessThan(500);
    // Open reads: the probes, the document, and the lists (`/v1/claims`, `/v1/models`, `/v1/batches`);
    // Express matches paths regardless of case. A request target in absolute form
    // (`http://evil.example/v1/claims`, which HTTP/1.1 servers must accept) names the same path.
    const path = r.path.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
    const readable =
      (r.method === 'GET' || r.method === 'HEAD') &&
      (/^\/(health|metrics|docs)/i.test(path) || /^\/v1\/(claims|models|batches)\/?([?#].*)?$/i.test(path));
    if (!readable) expect(status).toBeGreaterThanOrEqual(400);
    if (status >= 400 && r.method !== 'HEAD') {
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(answer.body)).toEqual({
        error: expect.objectContaining({
          code: expect.stringMatching(/^[A-Z_]+$/),
          message: expect.any(String),
        }),
      });
    }
  };

  describe('finding 10, review: requests once still answered with a 5xx', () => {
    it.each(REVIEWED)('answers $name with a 4xx error envelope and stores nothing', async ({ bytes }) => {
      const answer = await rawRequest(port, bytes, {});
      expectEnvelope({ method: 'POST', path: '' }, answer);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(await rowCounts()).toEqual(rowsBefore);
    });
  });

  describe('finding 10: requests once answered with a 5xx, no error envelope, or nothing', () => {
    it.each(FOUND)(
      'answers $name with a 4xx error envelope and stores nothing',
      async ({ bytes, halfClose }) => {
        const answer = await rawRequest(port, bytes, { halfClose });
        const line = bytes.subarray(0, bytes.indexOf(' ')).toString('latin1');
        expectEnvelope({ method: line, path: '' }, answer);
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(await rowCounts()).toEqual(rowsBefore);
      },
    );
  });

  it(`answers ${RUNS} random hostile requests with a 4xx error envelope and stores nothing`, async () => {
    await fc.assert(
      fc.asyncProperty(hostileRequest(admin.token), async (r) => {
        expectEnvelope(r, await send(r));
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(await rowCounts()).toEqual(rowsBefore);
  }, 600_000);
});
