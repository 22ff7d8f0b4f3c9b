import fc from 'fast-check';
import { deflateSync, gzipSync } from 'node:zlib';
import { httpBytes } from './raw-http.spec-helper';

/** One hostile request, kept readable so a shrunk counterexample says what it was. */
export interface HostileRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: [string, string][];
  readonly body: Buffer;
  /** exact: Content-Length is the body's; short: it promises more and the client gives up; chunked. */
  readonly framing: 'exact' | 'short' | 'long' | 'chunked' | 'bad-chunked' | 'none';
}

const ID = `0x${'ab'.repeat(32)}`;
const ROUTES = [
  '/v1/claims',
  '/v1/models',
  '/v1/proofs',
  `/v1/claims/${ID}`,
  `/v1/models/${ID}`,
  `/v1/tasks/${ID}/input`,
  '/v1/proofs/1',
  '/v1/chain',
  '/v1/batches/0',
  '/v1/batches',
  '/v1/webhooks',
  '/v1/webhooks/1/deliveries',
  '/health',
  '/metrics',
  '/docs/openapi.json',
];

/** Values that break parsers: prototype keys, non-finite and huge numbers, odd unicode, wrong shapes. */
const HOSTILE_JSON = [
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  '{"toString":1,"valueOf":2,"hasOwnProperty":3}',
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  '-0',
  '0.1e-999',
  '"\\ud800"',
  '"\\u0000"',
  '"𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u202e"',
  '[[[[[[]]]]]]',
  '{"length":1e9}',
  'null',
  'true',
  '[]',
  '{}',
];

const hostileValue = fc.constantFrom(...HOSTILE_JSON);

/** A JSON text of a plausible document with one value at a random place replaced by a hostile one. */
function mutated(template: string): fc.Arbitrary<string> {
  const slots = template.split('@').length - 1;
  return fc
    .tuple(fc.nat({ max: slots - 1 }), hostileValue, fc.constantFrom('"x"', '[1,2]', '{"a":1}', '0'))
    .map(([at, hostile, benign]) => {
      let i = 0;
      return template.replace(/@/g, () => (i++ === at ? hostile : benign));
    });
}

const CLAIM = `{"modelId":@,"taskId":@,"operator":@,"inputCommitment":@,"outputCommitment":@,"traceRoot":@,"signature":@,"input":{"data":@,"salt":@},"output":@,@:@}`;
const MODEL = `{"format":"verilay.model.v1","name":"m","input":{"shape":@,"dtype":@},"layers":[{"op":@,"weights":@,"bias":@,"requant":@},@],@:@}`;

const jsonText = fc.oneof(
  mutated(`{"claims":[${CLAIM}]}`),
  mutated(`{"claims":@}`),
  mutated(MODEL),
  mutated(`{"claimId":@}`),
  hostileValue,
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 200 }),
  // Truncated documents.
  fc.tuple(mutated(MODEL), fc.nat()).map(([s, n]) => s.slice(0, n % (s.length + 1))),
  fc.nat({ max: 5000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n % 7)}`),
);

const body: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: jsonText.map((s) => Buffer.from(s, 'utf8')) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.constant(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])) }, // BOM + {}
  { weight: 1, arbitrary: fc.constant(Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00])) }, // UTF-16LE {}
);

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'application/json; charset=nonsense',
    'application/json;;;',
    'APPLICATION/JSON',
    'application/vnd.api+json',
    'application/merge-patch+json',
    'text/plain',
    'text/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'application/xml',
    'application/octet-stream',
    '*/*',
    '',
  ),
  fc.string({ maxLength: 60 }),
);

const contentEncoding = fc.constantFrom(
  'gzip',
  'x-gzip',
  'deflate',
  'br',
  'identity',
  'compress',
  'gzip, deflate',
  'GZIP',
  'foo',
  '',
);

const headerValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.nat({ max: 70_000 }).map((n) => 'a'.repeat(n)),
  fc.constantFrom('Bearer ', 'Bearer x', 'Basic Og==', `Bearer vk_admin_${'A'.repeat(43)}`, '\u00ff\u00fe'),
);

const headerName = fc.oneof(
  fc.constantFrom(
    'authorization',
    'x-api-key',
    'accept',
    'accept-encoding',
    'expect',
    'x-forwarded-for',
    'cookie',
    'range',
    'if-none-match',
  ),
  fc.stringMatching(/^[A-Za-z0-9-]{1,30}$/),
);

const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ROUTES) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...ROUTES),
        fc.constantFrom(
          '/',
          '/%',
          '/%E0%A4%A',
          '/%00',
          '/..%2f..',
          '/__proto__',
          '/constructor',
          '?__proto__[x]=1',
          '?a[b][c][d][e][f][g]=1',
          '?%',
          '#x',
          '/' + '9'.repeat(40),
          '/-1',
          '/0x' + 'g'.repeat(64),
          '/1e400',
        ),
      )
      .map(([r, s]) => r + s),
  },
  { weight: 1, arbitrary: fc.nat({ max: 80_000 }).map((n) => `/v1/claims/${'a'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => `/${encodeURIComponent(s)}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('*', 'http://evil.example/v1/claims', '//v1//claims', '/V1/CLAIMS', ''),
  },
);

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('POST', 'GET') },
  { weight: 2, arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT') },
  { weight: 1, arbitrary: fc.constantFrom('BREW', 'get', 'P0ST', 'M-SEARCH', 'PROPFIND') },
);

/** Any request; `apiKey`, when given, is sent on some of them so hostile bodies reach the admin handlers. */
export function hostileRequest(apiKey?: string): fc.Arbitrary<HostileRequest> {
  return fc
    .record({
      method,
      path,
      body,
      contentType: fc.option(contentType, { nil: undefined }),
      encoding: fc.option(fc.tuple(contentEncoding, fc.boolean()), { nil: undefined, freq: 4 }),
      extra: fc.array(fc.tuple(headerName, headerValue), { maxLength: 3 }),
      auth: fc.boolean(),
      framing: fc.constantFrom('exact', 'exact', 'exact', 'short', 'long', 'chunked', 'bad-chunked', 'none'),
    })
    .map(({ method, path, body, contentType, encoding, extra, auth, framing }) => {
      const headers: [string, string][] = [['host', 'localhost']];
      if (contentType !== undefined) headers.push(['content-type', contentType]);
      let payload = body;
      if (encoding) {
        const [name, encodeIt] = encoding;
        headers.push(['content-encoding', name]);
        // Sometimes the body really is compressed as announced, sometimes it is not.
        if (encodeIt && /gzip/i.test(name)) payload = gzipSync(body);
        if (encodeIt && name === 'deflate') payload = deflateSync(body);
      }
      if (auth && apiKey) headers.push(['authorization', `Bearer ${apiKey}`]);
      headers.push(
        ...extra.filter(([k]) => !/^(content-length|transfer-encoding|connection|host)$/i.test(k)),
      );
      return { method, path, headers, body: payload, framing } as HostileRequest;
    });
}

/** The bytes on the wire, with the framing the request asks for. */
export function toBytes(r: HostileRequest): { bytes: Buffer; halfClose: boolean } {
  const head: [string, string][] = [...r.headers, ['connection', 'close']];
  const line = `${r.method} ${r.path} HTTP/1.1`;
  switch (r.framing) {
    case 'exact':
      return {
        bytes: httpBytes(line, [...head, ['content-length', String(r.body.length)]], r.body),
        halfClose: false,
      };
    case 'short':
      return {
        bytes: httpBytes(line, [...head, ['content-length', String(r.body.length + 10)]], r.body),
        halfClose: true,
      };
    case 'long':
      return {
        bytes: httpBytes(line, [...head, ['content-length', String(Math.max(0, r.body.length - 3))]], r.body),
        halfClose: true,
      };
    case 'chunked': {
      const chunk = r.body.length ? `${r.body.length.toString(16)}\r\n` : '';
      const bytes = Buffer.concat([
        Buffer.from(chunk, 'latin1'),
        r.body,
        Buffer.from(r.body.length ? '\r\n0\r\n\r\n' : '0\r\n\r\n', 'latin1'),
      ]);
      return { bytes: httpBytes(line, [...head, ['transfer-encoding', 'chunked']], bytes), halfClose: false };
    }
    case 'bad-chunked':
      return {
        bytes: httpBytes(
          line,
          [...head, ['transfer-encoding', 'chunked']],
          Buffer.concat([Buffer.from('zz\r\n'), r.body]),
        ),
        halfClose: true,
      };
    case 'none':
      return { bytes: httpBytes(line, head, r.body), halfClose: true };
  }
}
