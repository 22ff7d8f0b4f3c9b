import type { INestApplication } from '@nestjs/common';
import { freePort, VerifierClient } from '@verilay/client';
import { MODEL_MEDIA_TYPE } from '@verilay/inference';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { loadVerifierConfig } from './config/verifier.config';
import { createVerifierApp, OPENAPI_JSON_PATH } from './verifier-app';

const root = join(__dirname, '..', '..', '..');
/** libs/client's types of the served document; `npm run openapi:types` rewrites it. */
const GENERATED = join(root, 'libs', 'client', 'src', 'generated', 'verifier-openapi.ts');
/** Type-level checks that the client reads only fields the document serves. */
const CONFORMANCE = join(root, 'libs', 'client', 'src', 'openapi-conformance.ts');
const HEADER =
  "// Generated from the verifier's OpenAPI document by `npm run openapi:types`\n" +
  '// (apps/verifier/src/openapi-contract.spec.ts with VERILAY_WRITE_OPENAPI=1). Do not edit.\n';

interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
}
interface Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, unknown> }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

interface Call {
  method: string;
  url: URL;
  contentType: string | null;
  accept: string | null;
  body: unknown;
}

/** Every public method of the client, called once with made-up arguments (tsc wants them all). */
const CALLS: Record<keyof VerifierClient, (c: VerifierClient) => Promise<unknown>> = {
  registerModel: (c) => c.registerModel({ format: 'verilay.model.v1' }),
  registerModelBytes: (c) => c.registerModelBytes(new Uint8Array([1, 2, 3]), 'tiny'),
  getModel: (c) => c.getModel(`0x${'11'.repeat(32)}`),
  listClaims: (c) =>
    c.listClaims({
      status: 'final',
      operator: `0x${'ab'.repeat(20)}`,
      modelId: `0x${'11'.repeat(32)}`,
      limit: 5,
      before: `1_0x${'22'.repeat(32)}`,
    }),
  listBatches: (c) => c.listBatches({ limit: 5, before: 9 }),
  listModels: (c) => c.listModels(),
  events: async (c) => {
    // The stream's first request is what the document must declare (the stub's JSON answer is
    // no event stream: the client refuses it and the call ends there).
    const signal = AbortSignal.timeout(2_000);
    for await (const e of c.events({
      after: 0,
      types: ['claim.final'],
      operator: `0x${'ab'.repeat(20)}`,
      modelId: `0x${'11'.repeat(32)}`,
      signal,
    }))
      return e;
  },
  createWebhook: (c) =>
    c.createWebhook({
      url: 'https://example.com/hook',
      types: ['claim.final'],
      operator: `0x${'ab'.repeat(20)}`,
      modelId: `0x${'11'.repeat(32)}`,
    }),
  listWebhooks: (c) => c.listWebhooks(),
  getWebhook: (c) => c.getWebhook(1),
  deleteWebhook: (c) => c.deleteWebhook(1),
  webhookDeliveries: (c) => c.webhookDeliveries(1, { status: 'failed', before: 9, limit: 5 }),
  getModelBytes: (c) => c.getModelBytes(`0x${'11'.repeat(32)}`),
  submitClaims: (c) =>
    c.submitClaims([
      {
        modelId: `0x${'11'.repeat(32)}`,
        taskId: `0x${'22'.repeat(32)}`,
        inputCommitment: `0x${'33'.repeat(32)}`,
        outputCommitment: `0x${'44'.repeat(32)}`,
        traceRoot: `0x${'55'.repeat(32)}`,
        operator: `0x${'66'.repeat(20)}`,
        signature: `0x${'77'.repeat(65)}`,
        input: { data: [1, 2], salt: `0x${'88'.repeat(32)}` },
        output: [3],
        generation: { promptLength: 1, completionLength: 1 },
      },
    ]),
  getClaim: (c) => c.getClaim(`0x${'99'.repeat(32)}`),
  getTaskInput: (c) => c.getTaskInput(`0x${'99'.repeat(32)}`),
  requestProof: (c) => c.requestProof(`0x${'99'.repeat(32)}`),
  getProof: (c) => c.getProof(7),
  getBatch: (c) => c.getBatch(3n),
  chain: (c) => c.chain(),
  health: (c) => c.health(),
};

/** What the client sends for each call: its fetches, answered with `{}` and never sent. */
async function recordCalls(): Promise<Map<string, Call[]>> {
  const recorded = new Map<string, Call[]>();
  let current: Call[] = [];
  const fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const headers = new Headers(init?.headers);
    const body = init?.body;
    current.push({
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      contentType: headers.get('content-type'),
      accept: headers.get('accept'),
      body: typeof body === 'string' ? JSON.parse(body) : body,
    });
    return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
  });
  try {
    const client = new VerifierClient('http://verifier.invalid', { apiKey: 'vk_test' });
    for (const [name, call] of Object.entries(CALLS)) {
      current = [];
      await call(client).catch(() => undefined); // `{}` is no model's bytes: only the request counts
      recorded.set(name, current);
    }
  } finally {
    fetchSpy.mockRestore();
  }
  return recorded;
}

/** The document's path template (`/v1/claims/{claimId}`) that a concrete path matches. */
function templateOf(document: OpenApiDocument, path: string): string | undefined {
  return Object.keys(document.paths).find((template) =>
    new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`).test(path),
  );
}

/** The names in `value` (recursively) that `schema` does not declare, as paths (`claims.0.extra`). */
function undeclared(document: OpenApiDocument, schema: Schema, value: unknown, at = ''): string[] {
  const resolved = schema.$ref ? document.components.schemas[schema.$ref.split('/').at(-1)!] : schema;
  if (resolved.allOf) {
    const merged = resolved.allOf.map((s) =>
      s.$ref ? document.components.schemas[s.$ref.split('/').at(-1)!] : s,
    );
    const properties = Object.assign({}, ...merged.map((s) => s.properties ?? {})) as Record<string, Schema>;
    return undeclared(document, { type: 'object', properties }, value, at);
  }
  if (Array.isArray(value))
    return resolved.items
      ? value.flatMap((v, i) => undeclared(document, resolved.items!, v, `${at}${i}.`))
      : [];
  // A schema without properties is a free-form object (a model document); a DTO's is closed: the
  // verifier refuses fields its DTOs do not declare.
  if (value === null || typeof value !== 'object' || !resolved.properties || resolved.additionalProperties)
    return [];
  return Object.entries(value).flatMap(([key, v]) => {
    const property = resolved.properties?.[key];
    return property ? undeclared(document, property, v, `${at}${key}.`) : [`${at}${key}`];
  });
}

describe('libs/client against the OpenAPI document the verifier serves', () => {
  let dir: string;
  let app: INestApplication;
  let document: OpenApiDocument;
  let calls: Map<string, Call[]>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-openapi-'));
    // An embedded chain: the chain routes (`/v1/chain`, `/v1/batches/:i`) are served only on one.
    app = await createVerifierApp(
      loadVerifierConfig({
        VERIFIER_DB: join(dir, 'v.sqlite'),
        VERIFIER_ANVIL_PORT: String(await freePort()),
        VERILAY_CACHE_DIR: join(dir, 'cache'),
        VERIFIER_BATCH_INTERVAL_MS: '3600000',
      }),
      { logger: false },
    );
    await app.listen(0, '127.0.0.1');
    document = (await fetch(`${await app.getUrl()}${OPENAPI_JSON_PATH}`).then((r) =>
      r.json(),
    )) as OpenApiDocument;
    calls = await recordCalls();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has its types generated from this document (npm run openapi:types regenerates them)', () => {
    const source = join(dir, 'openapi.json');
    writeFileSync(source, JSON.stringify(document, null, 2));
    const cli = join(root, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');
    const generated =
      HEADER + execFileSync(process.execPath, [cli, source], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    if (process.env.VERILAY_WRITE_OPENAPI === '1') writeFileSync(GENERATED, generated);
    // Compared as text: a stale file is one whose types no longer describe what is served.
    expect(readFileSync(GENERATED, 'utf8')).toBe(generated);
  });

  it('calls only routes and methods of the document', () => {
    for (const [name, made] of calls) {
      expect({ name, requests: made.length }).toEqual({ name, requests: 1 });
      const { method, url } = made[0];
      const template = templateOf(document, url.pathname);
      expect({ name, path: url.pathname, template: template !== undefined }).toEqual({
        name,
        path: url.pathname,
        template: true,
      });
      const operation = document.paths[template!][method.toLowerCase()];
      expect({ name, route: `${method} ${template}`, served: operation !== undefined }).toEqual({
        name,
        route: `${method} ${template}`,
        served: true,
      });
      const query = (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      for (const key of url.searchParams.keys())
        expect({ name, query: key, known: query.includes(key) }).toEqual({ name, query: key, known: true });
    }
  });

  it('sends bodies of the content types the document accepts, with only the fields it declares', () => {
    for (const [name, [call]] of calls) {
      const operation = document.paths[templateOf(document, call.url.pathname)!][call.method.toLowerCase()];
      if (call.body === undefined) continue;
      const content = operation.requestBody?.content ?? {};
      expect({ name, contentType: call.contentType, accepted: call.contentType! in content }).toEqual({
        name,
        contentType: call.contentType,
        accepted: true,
      });
      if (call.contentType === 'application/json')
        expect({
          name,
          undeclared: undeclared(document, content['application/json'].schema, call.body),
        }).toEqual({
          name,
          undeclared: [],
        });
    }
    // The model's bytes are served by `Accept`, as the document says.
    const [bytes] = calls.get('getModelBytes')!;
    expect(bytes.accept).toBe(MODEL_MEDIA_TYPE);
    expect(Object.keys(document.paths['/v1/models/{modelId}'].get.responses['200'].content ?? {})).toContain(
      MODEL_MEDIA_TYPE,
    );
  });

  it('reads only fields the document serves (libs/client/src/openapi-conformance.ts type-checks)', () => {
    const config = ts.getParsedCommandLineOfConfigFile(
      join(root, 'tsconfig.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: () => undefined,
      },
    )!;
    const program = ts.createProgram([CONFORMANCE], { ...config.options, noEmit: true });
    const errors = ts
      .getPreEmitDiagnostics(program, program.getSourceFile(CONFORMANCE))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(errors).toEqual([]);
  }, 120_000);
});
