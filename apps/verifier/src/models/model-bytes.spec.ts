/* eslint-disable @typescript-eslint/no-explicit-any -- HTTP answers are checked by shape in the assertions */
import type { INestApplication } from '@nestjs/common';
import { mintApiKey, VerifierClient } from '@verilay/client';
import {
  buildModel,
  computeModelId,
  encodeModel,
  MODEL_MEDIA_TYPE,
  modelIdOfBytes,
  modelToJson,
  randomModel,
  readModelFile,
} from '@verilay/inference';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ModelRepository } from '@verilay/storage';
import { DataSource } from 'typeorm';
import { loadVerifierConfig } from '../config/verifier.config';
import { createVerifierApp } from '../verifier-app';
import { MAX_JSON_MODEL_BYTES, MAX_MODEL_UPLOADS } from './models.controller';

const admin = mintApiKey('admin', ['models:write']);
const reader = mintApiKey('reader', ['proofs:write']);
const TINY_LM = join(__dirname, '../../../../models/tiny-llm/tiny-llm.json');
const MB = 2 ** 20;

/**
 * Models as canonical bytes (application/vnd.verilay.model): how a model too big for a JSON body
 * (an LLM's are ~200 MB) is registered and served, and what a client without the right key, or
 * with a hostile body, gets.
 */
describe('POST and GET /v1/models as canonical bytes', () => {
  let dir: string;
  let app: INestApplication;
  let url: string;
  let sut: VerifierClient;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-model-bytes-'));
    const config = loadVerifierConfig({
      VERIFIER_DB: join(dir, 'verifier.sqlite'),
      VERIFIER_CHAIN: 'off',
      VERIFIER_BODY_LIMIT: '1mb',
      VERIFIER_MODEL_BODY_LIMIT: '8mb',
      VERIFIER_API_KEYS: `${admin.entry}; ${reader.entry}`,
    });
    app = await createVerifierApp(config, { logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    sut = new VerifierClient(url, { apiKey: admin.token });
  });
  afterEach(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One raw request: `chunks` written as they come, the answer read whole. */
  function send(
    path: string,
    headers: Record<string, string>,
    chunks: Buffer[] = [],
  ): Promise<{ status: number; body: any; type: string; sent: number }> {
    return new Promise((resolve, reject) => {
      let sent = 0;
      const req = request(`${url}${path}`, { method: 'POST', headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (b: Buffer) => parts.push(b));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : {}, type: String(res.headers['content-type']), sent });
          req.destroy();
        });
      });
      // The server may close the connection once it has answered, while the body is still going.
      req.on('error', (e: NodeJS.ErrnoException) =>
        e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e),
      );
      let next = 0;
      const pump = () => {
        while (next < chunks.length) {
          sent += chunks[next].length;
          if (!req.write(chunks[next++])) return void req.once('drain', pump);
        }
      };
      pump();
    });
  }

  const storedModels = async () =>
    ((await app.get(DataSource).query('SELECT count(*) AS n FROM models')) as { n: number }[])[0].n;

  it('registers the tiny LM from its bytes, serves the same bytes (keccak256 = modelId) and its JSON document', async () => {
    const model = readModelFile(TINY_LM);
    const bytes = encodeModel(model);

    const registered = await sut.registerModelBytes(bytes, 'tiny-llm');

    expect(registered).toMatchObject({ modelId: computeModelId(model), created: true, name: 'tiny-llm' });
    const served = await sut.getModelBytes(registered.modelId);
    expect(Buffer.compare(served, Buffer.from(bytes))).toBe(0);
    expect(modelIdOfBytes(served)).toBe(registered.modelId);
    const summary = await sut.getModel(registered.modelId);
    expect(summary).toMatchObject({ name: 'tiny-llm', bytes: bytes.length, layers: model.layers.length });
    expect(summary.document).toEqual(modelToJson(model));
    // The same model as a JSON document is the same model: 200, its first name kept.
    expect(await sut.registerModel({ ...(modelToJson(model) as object), name: 'other' })).toMatchObject({
      modelId: registered.modelId,
      created: false,
      name: 'tiny-llm',
    });
  });

  it('serves a model over 4 MiB of bytes without its JSON document, and its bytes on request', async () => {
    // One dense layer of 2100 x 2048 int8 weights (4.3 MB), filled cheaply.
    const weights = new Int8Array(2100 * 2048);
    for (let i = 0; i < weights.length; i++) weights[i] = ((i * 7919) % 255) - 127;
    const model = buildModel({
      format: 'verilay.model.v1',
      name: 'wide',
      input: { shape: [2100], dtype: 'int8' },
      layers: [{ op: 'dense', inFeatures: 2100, outFeatures: 2048, weights, bias: new Int32Array(2048) }],
    });
    const bytes = encodeModel(model);
    expect(bytes.length).toBeGreaterThan(MAX_JSON_MODEL_BYTES);

    const { modelId } = await sut.registerModelBytes(bytes, 'wide');

    expect(await sut.getModel(modelId)).toMatchObject({
      bytes: bytes.length,
      document: null,
      layers: model.layers.length,
    });
    expect(Buffer.compare(await sut.getModelBytes(modelId), Buffer.from(bytes))).toBe(0);
    // A JSON client is never sent bytes it did not ask for by name.
    const wildcard = await fetch(`${url}/v1/models/${modelId}`, { headers: { accept: '*/*' } });
    expect(wildcard.headers.get('content-type')).toMatch(/^application\/json/);
  }, 180_000);

  it('answers 401 and 403 before reading the body: a 100 MB upload is refused at its first megabyte', async () => {
    const headers = { 'content-type': MODEL_MEDIA_TYPE, 'content-length': String(100 * MB) };
    const first = [Buffer.alloc(MB)];

    const anonymous = await send('/v1/models', headers, first);
    const wrongScope = await send('/v1/models', { ...headers, authorization: `Bearer ${reader.token}` }, [
      Buffer.alloc(MB),
    ]);

    expect([anonymous.status, anonymous.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect([wrongScope.status, wrongScope.body.error.code]).toEqual([403, 'INSUFFICIENT_SCOPE']);
    expect(await storedModels()).toBe(0);
  });

  it('refuses bytes over VERIFIER_MODEL_BODY_LIMIT with 413: by Content-Length unread, and as a chunked body grows', async () => {
    const auth = { 'content-type': MODEL_MEDIA_TYPE, authorization: `Bearer ${admin.token}` };

    const declared = await send('/v1/models', { ...auth, 'content-length': String(9 * MB) }, [Buffer.alloc(1024)]);
    const chunked = await send(
      '/v1/models',
      { ...auth, 'transfer-encoding': 'chunked' },
      Array.from({ length: 12 }, () => Buffer.alloc(MB)),
    );

    for (const answer of [declared, chunked])
      expect([answer.status, answer.body.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(declared.body.error.message).toMatch(/VERIFIER_MODEL_BODY_LIMIT/);
    expect(await storedModels()).toBe(0);
  });

  it('refuses a compressed body (415), bytes that are no model (422) and a bad name (422), storing nothing', async () => {
    const model = randomModel({ seed: 7, kind: 'mlp', sizes: [8, 4], argmax: true });
    const bytes = Buffer.from(encodeModel(model));
    const post = (body: Buffer, extra: Record<string, string> = {}, query = '') =>
      send(
        `/v1/models${query}`,
        {
          'content-type': MODEL_MEDIA_TYPE,
          'content-length': String(body.length),
          authorization: `Bearer ${admin.token}`,
          ...extra,
        },
        [body],
      );

    const gzipped = await post(gzipSync(bytes), { 'content-encoding': 'gzip' });
    const badMagic = await post(Buffer.concat([Buffer.from('VLX'), bytes.subarray(3)]));
    const truncated = await post(bytes.subarray(0, bytes.length - 5));
    const trailing = await post(Buffer.concat([bytes, Buffer.from([0])]));
    const json = await post(Buffer.from(JSON.stringify(modelToJson(model))));
    const longName = await post(bytes, {}, `?name=${'n'.repeat(201)}`);

    expect([gzipped.status, gzipped.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    for (const answer of [badMagic, truncated, trailing, json, longName])
      expect([answer.status, answer.body.error.code]).toEqual([422, 'INVALID_MODEL']);
    expect(await storedModels()).toBe(0);
    // The same bytes, well formed, register.
    expect((await post(bytes)).status).toBe(201);
    expect(await storedModels()).toBe(1);
  });

  it('reads at most MAX_MODEL_UPLOADS model bodies at once: one more is 503 before any of it is read', async () => {
    // Each upload buffers up to VERIFIER_MODEL_BODY_LIMIT, then decodes and re-encodes it: many at
    // once by one key (within the admin rate limit) would hold many times the limit in memory.
    const headers = {
      'content-type': MODEL_MEDIA_TYPE,
      'content-length': String(4 * MB),
      authorization: `Bearer ${admin.token}`,
    };
    const held = Array.from({ length: MAX_MODEL_UPLOADS }, () => {
      const req = request(`${url}/v1/models`, { method: 'POST', headers });
      req.on('error', () => undefined);
      req.write(Buffer.alloc(1024)); // the rest never comes while the next one is sent
      return req;
    });
    await new Promise((r) => setTimeout(r, 300));

    // Without a bound it would wait for the rest of its body, as the others do: give it 5 s.
    const next = await Promise.race([
      send('/v1/models', headers, [Buffer.alloc(1024)]),
      new Promise<{ status: number; body: any }>((r) => setTimeout(() => r({ status: 0, body: { error: {} } }), 5000)),
    ]);

    held.forEach((req) => req.destroy());
    expect([next.status, next.body.error.code]).toEqual([503, 'MODEL_UPLOADS_BUSY']);
    // Once those are gone, an upload is read again.
    await new Promise((r) => setTimeout(r, 300));
    const bytes = Buffer.from(encodeModel(randomModel({ seed: 3, kind: 'mlp', sizes: [8, 4], argmax: true })));
    const after = await send('/v1/models', { ...headers, 'content-length': String(bytes.length) }, [bytes]);
    expect(after.status).toBe(201);
  });

  it('says that GET /v1/models/:id varies by Accept, so no cache serves bytes to a JSON client or JSON to a bytes one', async () => {
    const bytes = encodeModel(randomModel({ seed: 5, kind: 'mlp', sizes: [8, 4], argmax: true }));
    const { modelId } = await sut.registerModelBytes(bytes, 'm');

    const json = await fetch(`${url}/v1/models/${modelId}`);
    const raw = await fetch(`${url}/v1/models/${modelId}`, { headers: { accept: MODEL_MEDIA_TYPE } });

    for (const answer of [json, raw]) expect(answer.headers.get('vary') ?? '').toMatch(/\baccept\b/i);
  });

  it('does not serve bytes to a client that refuses them (q=0)', async () => {
    const bytes = encodeModel(randomModel({ seed: 6, kind: 'mlp', sizes: [8, 4], argmax: true }));
    const { modelId } = await sut.registerModelBytes(bytes, 'm');

    const answer = await fetch(`${url}/v1/models/${modelId}`, {
      headers: { accept: `${MODEL_MEDIA_TYPE};q=0, application/json` },
    });

    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('reads the model type whatever its case or parameters, and refuses look-alikes (+json, two types, another path) with 415', async () => {
    const bytes = Buffer.from(encodeModel(randomModel({ seed: 8, kind: 'mlp', sizes: [8, 4], argmax: true })));
    const post = (type: string, path = '/v1/models') =>
      send(path, { 'content-type': type, 'content-length': String(bytes.length), authorization: `Bearer ${admin.token}` }, [
        bytes,
      ]);

    const lookAlikes = [
      await post(`${MODEL_MEDIA_TYPE}+json`),
      await post(`application/json, ${MODEL_MEDIA_TYPE}`),
      await post(MODEL_MEDIA_TYPE, '/v1/models/'),
      await post(`${MODEL_MEDIA_TYPE}; charset=utf-16le`),
    ];
    const shouted = await post(`${MODEL_MEDIA_TYPE.toUpperCase()}; charset=utf-8`);

    for (const answer of lookAlikes) expect([answer.status, answer.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect([shouted.status, shouted.body.modelId]).toEqual([201, modelIdOfBytes(bytes)]);
  });

  it('decodes a model that is not in the cache once, however many requests ask for it at the same time', async () => {
    // An LLM's bytes take seconds to decode (SmolLM2-135M: 3.5 s), on the event loop: anonymous
    // GETs of a cold model must not each decode it again.
    const model = randomModel({ seed: 9, kind: 'mlp', sizes: [8, 4], argmax: true });
    const repository = app.get(ModelRepository);
    const modelId = computeModelId(model);
    await repository.register(modelId, 'cold', encodeModel(model), 0); // stored, not yet decoded
    const reads = jest.spyOn(repository, 'find');

    const answers = await Promise.all(Array.from({ length: 5 }, () => fetch(`${url}/v1/models/${modelId}`)));

    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it('serves concurrent downloads of a model from one read of its bytes, tagged by modelId (no hash of the body per request)', async () => {
    // Anonymous clients (6000 requests a minute each) asking for an LLM's 200 MB, or reading it
    // slowly, must not each hold a copy of it, nor make the verifier SHA-1 it for an ETag (160 ms).
    const bytes = encodeModel(randomModel({ seed: 10, kind: 'mlp', sizes: [8, 4], argmax: true }));
    const { modelId } = await sut.registerModelBytes(bytes, 'm');
    const reads = jest.spyOn(app.get(ModelRepository), 'find');

    const answers = await Promise.all(
      Array.from({ length: 5 }, () => fetch(`${url}/v1/models/${modelId}`, { headers: { accept: MODEL_MEDIA_TYPE } })),
    );

    expect(reads).toHaveBeenCalledTimes(1);
    for (const answer of answers) {
      expect(Buffer.compare(Buffer.from(await answer.arrayBuffer()), Buffer.from(bytes))).toBe(0);
      expect(answer.headers.get('etag')).toBe(`"${modelId}"`);
    }
  });

  it('takes model bytes on POST /v1/models only: 415 elsewhere', async () => {
    const answer = await send(
      '/v1/claims',
      { 'content-type': MODEL_MEDIA_TYPE, 'content-length': '4', authorization: `Bearer ${admin.token}` },
      [Buffer.from('VLM\x02')],
    );
    expect([answer.status, answer.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });
});
