/* eslint-disable @typescript-eslint/no-explicit-any -- HTTP answers are checked by shape in the assertions */
import type { INestApplication } from '@nestjs/common';
import { buildClaim, mintApiKey, VerifierApiError, VerifierClient } from '@verilay/client';
import { claimLeaf, createTensorCommitter, toHex32, type TensorCommitter } from '@verilay/commitments';
import { modelToJson, randomInput, randomModel, type Model } from '@verilay/inference';
import { claimDomain, type ClaimSubmission } from '@verilay/protocol';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyToAccount } from 'viem/accounts';
import { BatchingService } from './batching/batching.service';
import { Clock } from './clock';
import { loadVerifierConfig } from './config/verifier.config';
import { createVerifierApp } from './verifier-app';

class FakeClock extends Clock {
  t = 1_700_000_000_000;
  now() {
    return this.t;
  }
}

const operator = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const stranger = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');
const domain = claimDomain(31337, '0x0000000000000000000000000000000000000000');
const WINDOW = 60_000;
const admin = mintApiKey('admin', ['models:write', 'proofs:write']);

describe('verifier HTTP API', () => {
  let dir: string;
  let app: INestApplication;
  let url: string;
  let sut: VerifierClient;
  let clock: FakeClock;
  let committer: TensorCommitter;
  let model: Model;
  let task = 0;

  const claim = (extra: Partial<Parameters<typeof buildClaim>[0]> = {}) =>
    buildClaim({
      model,
      input: randomInput(model, ++task),
      taskId: toHex32(BigInt(task)),
      account: operator,
      domain,
      committer,
      ...extra,
    });

  const post = (path: string, body: string, contentType = 'application/json') =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': contentType, authorization: `Bearer ${admin.token}` },
      body,
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  async function expectError(
    promise: Promise<unknown>,
    status: number,
    code: string,
  ): Promise<VerifierApiError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(VerifierApiError);
    expect({ status: (error as VerifierApiError).status, code: (error as VerifierApiError).code }).toEqual({
      status,
      code,
    });
    return error as VerifierApiError;
  }

  const storedClaims = async () => {
    const text = await fetch(`${url}/metrics`).then((r) => r.text());
    return [...text.matchAll(/^verilay_claims\{status="\w+"\} (\d+)$/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
  };

  beforeAll(async () => {
    committer = await createTensorCommitter();
    model = randomModel({ seed: 11, kind: 'mlp', sizes: [16, 8, 4], argmax: true });
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-api-'));
    clock = new FakeClock();
    const config = loadVerifierConfig({
      VERIFIER_DB: join(dir, 'verifier.sqlite'),
      VERIFIER_CHAIN: 'off',
      VERIFIER_BODY_LIMIT: '64kb',
      VERIFIER_MAX_CLAIMS_PER_REQUEST: '5',
      VERIFIER_MAX_VALUES_PER_REQUEST: '90', // 5 claims of 16 inputs and 1 output fit
      VERIFIER_CHALLENGE_WINDOW_MS: String(WINDOW),
      VERIFIER_BATCH_INTERVAL_MS: '3600000', // ticks are driven by the tests
      VERIFIER_API_KEYS: admin.entry,
    });
    app = await createVerifierApp(config, { clock, logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    sut = new VerifierClient(url, { apiKey: admin.token });
    await sut.registerModel(modelToJson(model));
  });

  afterEach(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('POST /v1/models', () => {
    it('registers a model once, answers 200 for the same model again', async () => {
      const other = randomModel({ seed: 12, kind: 'cnn', sizes: [1, 6, 6, 2, 3] });
      const first = await post('/v1/models', JSON.stringify(modelToJson(other)));
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        created: true,
        layers: other.layers.length,
        input: { shape: [1, 6, 6], dtype: 'int8' },
      });
      const again = await post('/v1/models', JSON.stringify({ ...modelToJson(other), name: 'renamed' }));
      expect(again).toMatchObject({ status: 200, body: { modelId: first.body.modelId, created: false } });
      expect((await sut.getModel(first.body.modelId)).document).toEqual(modelToJson(other));
    });

    it('rejects an invalid model with INVALID_MODEL naming the field', async () => {
      const doc = modelToJson(model) as { layers: { weights?: number[] }[] };
      doc.layers[0].weights![5] = 300;
      const error = await expectError(sut.registerModel(doc), 422, 'INVALID_MODEL');
      expect(error.message).toMatch(/layers\[0\]\.weights\[5\]/);
    });

    it('answers 404 MODEL_NOT_FOUND and 400 for a malformed id', async () => {
      await expectError(sut.getModel(toHex32(42n)), 404, 'MODEL_NOT_FOUND');
      await expectError(sut.getModel('0x1234'), 400, 'VALIDATION_FAILED');
    });
  });

  describe('POST /v1/claims', () => {
    it('stores signed claims and serves their task input', async () => {
      const salted = await claim({ salt: 987654321n });
      const plain = await claim();
      const { claims } = await sut.submitClaims([salted, plain]);
      expect(claims.map((c) => c.status)).toEqual(['submitted', 'submitted']);
      const view = await sut.getClaim(claims[0].claimId);
      expect(view).toMatchObject({
        status: 'submitted',
        operator: operator.address.toLowerCase(),
        batch: null,
        reason: null,
      });
      expect(view.timestamps.submitted).toBe(new Date(clock.t).toISOString());
      const input = await sut.getTaskInput(claims[0].claimId);
      expect(input).toMatchObject({
        data: salted.input!.data,
        salt: toHex32(987654321n),
        shape: [16],
        dtype: 'int8',
        inputCommitment: salted.inputCommitment,
      });
    });

    it('answers 400 MALFORMED_JSON and stores nothing', async () => {
      expect(await post('/v1/claims', '{"claims": [')).toMatchObject({
        status: 400,
        body: { error: { code: 'MALFORMED_JSON' } },
      });
      expect(await storedClaims()).toBe(0);
    });

    it('answers 400 VALIDATION_FAILED for wrong types, naming the field', async () => {
      const good = await claim();
      const res = await post('/v1/claims', JSON.stringify({ claims: [{ ...good, modelId: 42 }] }));
      expect(res).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
      expect(res.body.error.message).toMatch(/claims\.0\.modelId/);
      expect(
        await post('/v1/claims', JSON.stringify({ claims: [{ ...good, input: { data: [1.5] } }] })),
      ).toMatchObject({ status: 400 });
      expect(await post('/v1/claims', JSON.stringify({ claims: [] }))).toMatchObject({ status: 400 });
      expect(await post('/v1/claims', JSON.stringify({ claims: [{ ...good, extra: 1 }] }))).toMatchObject({
        status: 400,
      });
      expect(await storedClaims()).toBe(0);
    });

    it('answers 413 PAYLOAD_TOO_LARGE over the body limit', async () => {
      const good = await claim();
      const big = JSON.stringify({ claims: [{ ...good, output: new Array(40_000).fill(1) }] });
      expect(await post('/v1/claims', big)).toMatchObject({
        status: 413,
        body: { error: { code: 'PAYLOAD_TOO_LARGE' } },
      });
      expect(await storedClaims()).toBe(0);
    });

    it('answers 413 TOO_MANY_CLAIMS over the per-request claim limit, and stores nothing', async () => {
      const six = await Promise.all(Array.from({ length: 6 }, () => claim()));
      await expectError(sut.submitClaims(six), 413, 'TOO_MANY_CLAIMS');
      expect(await storedClaims()).toBe(0);
      await sut.submitClaims(six.slice(0, 5));
      expect(await storedClaims()).toBe(5);
    });

    it('answers 413 TOO_MANY_CLAIMS before validating the claims, and names the configured limit', async () => {
      const six = await post('/v1/claims', JSON.stringify({ claims: Array.from({ length: 6 }, () => ({})) }));
      expect(six).toMatchObject({
        status: 413,
        body: { error: { code: 'TOO_MANY_CLAIMS', meta: { count: 6, limit: 5 } } },
      });
      for (const body of ['{}', '{"claims": {}}', '{"claims": []}']) {
        const res = await post('/v1/claims', body);
        expect(res).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
        expect(res.body.error.message).toBe('claims: claims must be an array of 1 to 5 claims');
      }
    });

    it('answers 415 UNSUPPORTED_MEDIA_TYPE for a body of another type, even an empty one', async () => {
      const good = JSON.stringify({ claims: [await claim()] });
      for (const [body, type] of [
        [good, 'text/plain'],
        ['', 'text/plain'],
        ['', 'application/x-www-form-urlencoded'],
      ])
        expect(await post('/v1/claims', body, type)).toMatchObject({
          status: 415,
          body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } },
        });
      expect(await post('/v1/claims', '', 'application/json')).toMatchObject({
        status: 400,
        body: { error: { code: 'VALIDATION_FAILED' } },
      });
      expect(await storedClaims()).toBe(0);
    });

    it('answers 400 for a missing signature and 422 INVALID_SIGNATURE for a wrong signer', async () => {
      const good = await claim();
      const { signature: _drop, ...unsigned } = good;
      expect(await post('/v1/claims', JSON.stringify({ claims: [unsigned] }))).toMatchObject({
        status: 400,
        body: { error: { code: 'VALIDATION_FAILED' } },
      });
      // A stranger signs the operator's claim fields.
      const forged: ClaimSubmission = {
        ...good,
        signature: await stranger.signTypedData({
          ...(await import('@verilay/protocol')).claimTypedData(good, domain),
        }),
      };
      const error = await expectError(sut.submitClaims([forged]), 422, 'INVALID_SIGNATURE');
      expect(error.message).toMatch(/claims\[0\]/);
      // A valid signature over different fields.
      await expectError(sut.submitClaims([{ ...good, taskId: toHex32(999n) }]), 422, 'INVALID_SIGNATURE');
      // Garbage of the right length.
      await expectError(
        sut.submitClaims([{ ...good, signature: `0x${'00'.repeat(65)}` }]),
        422,
        'INVALID_SIGNATURE',
      );
      expect(await storedClaims()).toBe(0);
    });

    it('answers 422 UNKNOWN_MODEL for a model that is not registered', async () => {
      const other = randomModel({ seed: 99, kind: 'mlp', sizes: [16, 4] });
      await expectError(sut.submitClaims([await claim({ model: other })]), 422, 'UNKNOWN_MODEL');
    });

    it('answers 422 INPUT_COMMITMENT_MISMATCH when the input does not match its commitment', async () => {
      const good = await claim();
      const tampered = {
        ...good,
        input: { data: good.input!.data.map((v, i) => (i === 0 ? (v === 5 ? 6 : 5) : v)) },
      };
      await expectError(sut.submitClaims([tampered]), 422, 'INPUT_COMMITMENT_MISMATCH');
      const wrongSalt = { ...good, input: { ...good.input!, salt: toHex32(1n) } };
      await expectError(sut.submitClaims([wrongSalt]), 422, 'INPUT_COMMITMENT_MISMATCH');
    });

    it('answers 422 INVALID_INPUT for an input outside the model input dtype or shape', async () => {
      const good = await claim();
      await expectError(
        sut.submitClaims([{ ...good, input: { data: [...good.input!.data.slice(1), 200] } }]),
        422,
        'INVALID_INPUT',
      );
      await expectError(
        sut.submitClaims([{ ...good, input: { data: good.input!.data.slice(1) } }]),
        422,
        'INVALID_INPUT',
      );
    });

    it('answers 422 OUTPUT_COMMITMENT_MISMATCH when the output values do not match', async () => {
      const good = await claim();
      await expectError(
        sut.submitClaims([{ ...good, output: [(good.output![0] + 1) % 4] }]),
        422,
        'OUTPUT_COMMITMENT_MISMATCH',
      );
    });

    it('answers 409 DUPLICATE_CLAIM for a claim already stored or repeated in the request', async () => {
      const good = await claim();
      await sut.submitClaims([good]);
      await expectError(sut.submitClaims([good]), 409, 'DUPLICATE_CLAIM');
      const fresh = await claim();
      await expectError(sut.submitClaims([fresh, fresh]), 409, 'DUPLICATE_CLAIM');
      expect(await storedClaims()).toBe(1);
    });

    it('stores all claims of a request or none', async () => {
      const good = await claim();
      const bad = { ...(await claim()), signature: `0x${'11'.repeat(65)}` as const };
      await expectError(sut.submitClaims([good, bad]), 422, 'INVALID_SIGNATURE');
      await expectError(sut.getClaim(toHex32(12345n)), 404, 'CLAIM_NOT_FOUND');
      expect(await storedClaims()).toBe(0);
      // Refused by storage itself: every check passes, the second claim is already stored.
      const stored = await claim();
      await sut.submitClaims([stored]);
      const fresh = await claim();
      await expectError(sut.submitClaims([fresh, stored]), 409, 'DUPLICATE_CLAIM');
      await expectError(sut.getClaim(claimLeaf(fresh)), 404, 'CLAIM_NOT_FOUND');
      expect(await storedClaims()).toBe(1);
    });

    it('answers 413 TOO_MANY_VALUES before hashing an oversized request', async () => {
      const five = await Promise.all(Array.from({ length: 5 }, () => claim()));
      five[0] = { ...five[0], output: new Array(10).fill(0) };
      await expectError(sut.submitClaims(five), 413, 'TOO_MANY_VALUES');
      expect(await storedClaims()).toBe(0);
    });

    it('answers 400 (not 500) for an input that is not an object, or JSON nested too deep', async () => {
      const good = await claim();
      for (const input of [[], [{ data: [1] }], 'abc'])
        expect(await post('/v1/claims', JSON.stringify({ claims: [{ ...good, input }] }))).toMatchObject({
          status: 400,
          body: { error: { code: 'VALIDATION_FAILED' } },
        });
      const deep = `{"claims": ${'['.repeat(3000)}${']'.repeat(3000)}}`;
      expect(await post('/v1/claims', deep)).toMatchObject({
        status: 400,
        body: { error: { code: 'MALFORMED_JSON' } },
      });
      expect(await sut.health()).toMatchObject({ status: 'ok' });
    });

    it('accepts a claim without task data and answers 404 TASK_INPUT_UNAVAILABLE for it', async () => {
      const { claims } = await sut.submitClaims([await claim({ withoutInput: true })]);
      await expectError(sut.getTaskInput(claims[0].claimId), 404, 'TASK_INPUT_UNAVAILABLE');
    });
  });

  describe('claim lifecycle', () => {
    it('batches claims, opens the window, and makes unchallenged claims final after it', async () => {
      const batching = app.get(BatchingService);
      const { claims } = await sut.submitClaims([await claim(), await claim()]);
      clock.t += 1000;
      await batching.tick();
      const posted = await sut.getClaim(claims[0].claimId);
      expect(posted.status).toBe('posted');
      expect(posted.batch).toMatchObject({
        count: 2,
        windowEndsAt: new Date(clock.t + WINDOW).toISOString(),
      });
      clock.t += WINDOW - 1;
      await batching.tick();
      expect((await sut.getClaim(claims[0].claimId)).status).toBe('posted');
      clock.t += 1;
      await batching.tick();
      const final = await sut.getClaim(claims[1].claimId);
      expect(final.status).toBe('final');
      expect(final.history.map((h) => h.to)).toEqual(['submitted', 'posted', 'final']);
      expect(final.timestamps.final).toBe(new Date(clock.t).toISOString());
    });
  });

  describe('operations', () => {
    it('serves health, Prometheus metrics and the OpenAPI document', async () => {
      expect(await sut.health()).toMatchObject({ status: 'ok' });
      // Health says what runs the native core's ports (the native core or the JavaScript paths).
      expect(await fetch(`${url}/health`).then((r) => r.json())).toMatchObject({
        info: { native: { status: 'up', mode: expect.stringMatching(/^(auto|on|off)$/) } },
      });
      await sut.submitClaims([await claim()]);
      const metrics = await fetch(`${url}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/^verilay_claims_submitted_total 1$/m);
      expect(metrics).toMatch(/^verilay_claims\{status="submitted"\} 1$/m);
      const openapi = (await fetch(`${url}/docs/openapi.json`).then((r) => r.json())) as { paths: object };
      expect(Object.keys(openapi.paths)).toEqual(
        expect.arrayContaining([
          '/v1/models',
          '/v1/models/{modelId}',
          '/v1/claims',
          '/v1/claims/{claimId}',
          '/v1/tasks/{claimId}/input',
          '/health',
          '/metrics',
        ]),
      );
      expect((await fetch(`${url}/docs`)).status).toBe(200);
      expect(await fetch(`${url}/v1/nothing-here`).then(async (r) => [r.status, await r.json()])).toEqual([
        404,
        { error: { code: 'NOT_FOUND', message: 'Cannot GET /v1/nothing-here' } },
      ]);
    });

    it('counts every request under the status it was answered with, by route pattern', async () => {
      const count = async (method: string, route: string, status: number) => {
        const text = await fetch(`${url}/metrics`).then((r) => r.text());
        const line = `verilay_http_request_duration_seconds_count{method="${method}",route="${route}",status="${status}"} `;
        return Number(
          text
            .split('\n')
            .find((l) => l.startsWith(line))
            ?.slice(line.length) ?? 0,
        );
      };
      await sut.submitClaims([await claim()]);
      await post('/v1/claims', JSON.stringify({ claims: [{ modelId: 42 }] })); // the filter's 400
      await post('/v1/claims', '{"claims": ['); // body parsing's 400, before any route
      await post('/v1/claims', 'x', 'text/plain'); // 415
      const id = (await sut.submitClaims([await claim()])).claims[0].claimId;
      await sut.getClaim(id);
      await fetch(`${url}/v1/claims/${toHex32(1n)}`); // 404 CLAIM_NOT_FOUND
      for (const path of ['/nope', `/nope/${Math.random()}`]) await fetch(`${url}${path}`);
      expect(await count('POST', '/v1/claims', 201)).toBe(2);
      expect(await count('POST', '/v1/claims', 400)).toBe(2);
      expect(await count('POST', '/v1/claims', 415)).toBe(1);
      expect(await count('GET', '/v1/claims/:claimId', 200)).toBe(1);
      expect(await count('GET', '/v1/claims/:claimId', 404)).toBe(1);
      expect(await count('GET', 'unmatched', 404)).toBe(2);
      const routes = (await fetch(`${url}/metrics`).then((r) => r.text())).match(/route="[^"]*"/g) ?? [];
      expect(routes.some((r) => r.includes('nope') || r.includes('0x'))).toBe(false);
    });
  });
});

describe('verifier database binding', () => {
  it('refuses to start on a database whose claims were signed for another EIP-712 domain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verilay-domain-'));
    const env = { VERIFIER_DB: join(dir, 'verifier.sqlite'), VERIFIER_CHAIN: 'off' };
    const first = await createVerifierApp(loadVerifierConfig(env), { logger: false });
    await first.init();
    await first.close();
    const moved = await createVerifierApp(loadVerifierConfig({ ...env, VERILAY_CHAIN_ID: '1' }), {
      logger: false,
    });
    await expect(moved.init()).rejects.toThrow(
      /VERILAY_CHAIN_ID \/ VERILAY_CLAIMS_CONTRACT do not match this database/,
    );
    await moved.close();
    const same = await createVerifierApp(loadVerifierConfig(env), { logger: false });
    await expect(same.init()).resolves.toBeDefined();
    await same.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe(loadVerifierConfig.name, () => {
  it('names the variable that is wrong', () => {
    expect(() => loadVerifierConfig({ VERIFIER_PORT: 'eighty' })).toThrow(/"VERIFIER_PORT" must be a number/);
    expect(() => loadVerifierConfig({ VERIFIER_CHALLENGE_WINDOW_MS: '10' })).toThrow(
      /VERIFIER_CHALLENGE_WINDOW_MS/,
    );
    expect(loadVerifierConfig({}).challengeWindowMs).toBe(3_600_000);
  });
});
