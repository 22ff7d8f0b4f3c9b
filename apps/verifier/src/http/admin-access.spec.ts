import type { INestApplication } from '@nestjs/common';
import { createChainClients, depositBond, devPrivateKey, registerModel } from '@verilay/chain';
import {
  buildClaim,
  chainDeployment,
  devApiKeyFile,
  freePort,
  mintApiKey,
  VerifierClient,
} from '@verilay/client';
import { createTensorCommitter, toHex32, type TensorCommitter } from '@verilay/commitments';
import { computeModelId, modelToJson, randomInput, randomModel, type Model } from '@verilay/inference';
import { claimDomain } from '@verilay/protocol';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { privateKeyToAccount } from 'viem/accounts';
import { loadVerifierConfig } from '../config/verifier.config';
import { createVerifierApp } from '../verifier-app';

const operatorKey = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const operator = privateKeyToAccount(operatorKey);
const tiny = (seed: number) => randomModel({ seed, kind: 'mlp', sizes: [4, 3], argmax: true });

/** Finding 8: who may make the verifier store models, build circuits and spend the sequencer's gas. */
describe('admin endpoints (finding 8)', () => {
  let dir: string;
  let app: INestApplication;
  let url: string;
  let committer: TensorCommitter;

  const rows = async (table: string) =>
    Number(
      ((await app.get(DataSource).query(`SELECT COUNT(*) AS n FROM "${table}"`)) as { n: number }[])[0].n,
    );
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const r = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as { error?: { code: string }; proofId?: number } };
  };
  /** A claim with its task input, signed for `domain`, submitted (claims are open to any operator). */
  const submitClaim = async (
    model: Model,
    task: number,
    domain = claimDomain(31337, `0x${'00'.repeat(20)}`),
  ) => {
    const claim = await buildClaim({
      model,
      input: randomInput(model, task),
      taskId: toHex32(BigInt(task)),
      account: operator,
      domain,
      committer,
      salt: 7n,
    });
    const { claims } = await new VerifierClient(url).submitClaims([claim]);
    return claims[0].claimId;
  };

  beforeAll(async () => {
    committer = await createTensorCommitter();
  });

  describe('without a chain', () => {
    const admin = mintApiKey('admin', ['models:write', 'proofs:write']);
    const modelsOnly = mintApiKey('models-only', ['models:write']);
    const as = (key: { token: string }) => ({ authorization: `Bearer ${key.token}` });

    const start = async (env: Record<string, string> = {}) => {
      dir = mkdtempSync(join(tmpdir(), 'verilay-admin-'));
      app = await createVerifierApp(
        loadVerifierConfig({
          VERIFIER_DB: join(dir, 'v.sqlite'),
          VERIFIER_CHAIN: 'off',
          VERILAY_CACHE_DIR: join(dir, 'cache'),
          VERIFIER_BATCH_INTERVAL_MS: '3600000',
          VERIFIER_API_KEYS: `${admin.entry}; ${modelsOnly.entry}`,
          ...env,
        }),
        { logger: false },
      );
      await app.listen(0, '127.0.0.1');
      url = await app.getUrl();
    };

    afterEach(async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('finding 8: registers a model only for a valid key (401 UNAUTHENTICATED without one, nothing stored)', async () => {
      await start();
      const doc = modelToJson(tiny(1));
      expect(await post('/v1/models', doc)).toMatchObject({
        status: 401,
        body: { error: { code: 'UNAUTHENTICATED' } },
      });
      const forged = `vk_admin_${'A'.repeat(43)}`;
      expect(await post('/v1/models', doc, { authorization: `Bearer ${forged}` })).toMatchObject({
        status: 401,
        body: { error: { code: 'UNAUTHENTICATED' } },
      });
      expect(await post('/v1/models', doc, { 'x-api-key': admin.token.slice(0, -1) + 'B' })).toMatchObject({
        status: 401,
      });
      expect(await rows('models')).toBe(0);
      expect(await post('/v1/models', doc, as(modelsOnly))).toMatchObject({ status: 201 });
      expect(await post('/v1/models', modelToJson(tiny(2)), { 'x-api-key': admin.token })).toMatchObject({
        status: 201,
      });
      expect(await rows('models')).toBe(2);
    });

    it('finding 8: builds no circuit for a proof request without a key with proofs:write', async () => {
      await start();
      await post('/v1/models', modelToJson(tiny(1)), as(admin));
      const claimId = await submitClaim(tiny(1), 1);
      expect(await post('/v1/proofs', { claimId })).toMatchObject({
        status: 401,
        body: { error: { code: 'UNAUTHENTICATED' } },
      });
      expect(await post('/v1/proofs', { claimId }, as(modelsOnly))).toMatchObject({
        status: 403,
        body: { error: { code: 'INSUFFICIENT_SCOPE' } },
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(existsSync(join(dir, 'cache')) ? readdirSync(join(dir, 'cache')) : []).toEqual([]);
      expect(await rows('proof_jobs')).toBe(0);
      expect((await post('/v1/proofs', { claimId }, as(admin))).status).toBe(202);
    }, 60_000);

    it('finding 8: limits the rate of admin requests per client (429 RATE_LIMITED with Retry-After-admin)', async () => {
      await start({ VERIFIER_ADMIN_RATE_LIMIT: '20', VERIFIER_RATE_LIMIT: '60' });
      const answers = await Promise.all(
        Array.from({ length: 30 }, () => post('/v1/models', { format: 'verilay.model.v1' }, as(admin))),
      );
      expect(answers.filter((a) => a.status === 422)).toHaveLength(20);
      expect(answers.filter((a) => a.status === 429)).toHaveLength(10);
      const limited = await fetch(`${url}/v1/models`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...as(admin) },
        body: '{}',
      });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after-admin'))).toBeGreaterThan(0);
      expect(await limited.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
      // Every route has its own count per client: 60 reads of /health per minute.
      const reads = await Promise.all(
        Array.from({ length: 70 }, () => fetch(`${url}/health`).then((r) => r.status)),
      );
      expect(reads.filter((s) => s === 200)).toHaveLength(60);
      expect(reads.filter((s) => s === 429)).toHaveLength(10);
    });

    it('finding 8: refuses proof jobs past VERIFIER_MAX_OPEN_PROOFS with 503 PROOF_QUEUE_FULL', async () => {
      await start({ VERIFIER_MAX_OPEN_PROOFS: '2' });
      const asked = [];
      for (let seed = 1; seed <= 4; seed++) {
        await post('/v1/models', modelToJson(tiny(seed)), as(admin));
        asked.push(await post('/v1/proofs', { claimId: await submitClaim(tiny(seed), seed) }, as(admin)));
      }
      expect(asked.map((a) => a.status)).toEqual([202, 202, 503, 503]);
      expect(asked[2].body).toMatchObject({ error: { code: 'PROOF_QUEUE_FULL' } });
      expect(await rows('proof_jobs')).toBe(2);
    }, 60_000);

    it('mints a development key (mode 0600, reused after a restart) when no keys are configured off an RPC chain', async () => {
      await start({ VERIFIER_API_KEYS: '' });
      const file = devApiKeyFile(join(dir, 'v.sqlite'));
      const token = readFileSync(file, 'utf8').trim();
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(
        (await post('/v1/models', modelToJson(tiny(1)), { authorization: `Bearer ${token}` })).status,
      ).toBe(201);
      expect((await post('/v1/models', modelToJson(tiny(2)))).status).toBe(401);
      await app.close();
      app = await createVerifierApp(
        loadVerifierConfig({ VERIFIER_DB: join(dir, 'v.sqlite'), VERIFIER_CHAIN: 'off' }),
        { logger: false },
      );
      await app.listen(0, '127.0.0.1');
      url = await app.getUrl();
      expect(readFileSync(file, 'utf8').trim()).toBe(token);
      expect(
        (await post('/v1/models', modelToJson(tiny(2)), { authorization: `Bearer ${token}` })).status,
      ).toBe(201);
    });
  });

  describe(loadVerifierConfig.name, () => {
    it('refuses a malformed VERIFIER_API_KEYS, naming the variable', () => {
      for (const bad of [
        'admin:models:write',
        `admin:models:delete:${'a'.repeat(64)}`,
        `Admin:models:write:${'a'.repeat(64)}`,
        `a:models:write:${'a'.repeat(63)}`,
        `a:models:write:${'a'.repeat(64)} a:proofs:write:${'b'.repeat(64)}`,
      ])
        expect(() => loadVerifierConfig({ VERIFIER_API_KEYS: bad })).toThrow(/VERIFIER_API_KEYS/);
      const { entry } = mintApiKey('ci', ['proofs:write']);
      expect(loadVerifierConfig({ VERIFIER_API_KEYS: entry }).apiKeys).toEqual([
        { id: 'ci', scopes: ['proofs:write'], sha256: entry.split(':').at(-1) },
      ]);
    });
  });

  describe('on a chain', () => {
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'verilay-admin-chain-'));
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
      url = await app.getUrl();
    }, 60_000);

    afterAll(async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('finding 8: refuses a proof for a model with no whole-inference verifier on chain (422 MODEL_NOT_PROVABLE)', async () => {
      const chain = await new VerifierClient(url).chain();
      const model = tiny(1);
      // Registered for bisection only (any contract stands in for the step verifiers here): a
      // validity proof of it can never be accepted on chain, so building its circuit is waste.
      const rpc = { rpcUrl: chain.rpcUrl!, chainId: chain.chainId };
      await registerModel(createChainClients(rpc, devPrivateKey(0)), chainDeployment(chain), {
        modelId: computeModelId(model),
        stepVerifiers: model.layers.map(() => chain.claims),
        traceLength: model.layers.length,
      });
      await depositBond(createChainClients(rpc, operatorKey), chainDeployment(chain), 10n ** 18n);
      const auth = {
        authorization: `Bearer ${readFileSync(devApiKeyFile(join(dir, 'v.sqlite')), 'utf8').trim()}`,
      };
      expect((await post('/v1/models', modelToJson(model), auth)).status).toBe(201);
      const claimId = await submitClaim(tiny(1), 1, chain.domain as ReturnType<typeof claimDomain>);
      expect(await post('/v1/proofs', { claimId }, auth)).toMatchObject({
        status: 422,
        body: { error: { code: 'MODEL_NOT_PROVABLE' } },
      });
      expect(await rows('proof_jobs')).toBe(0);
    }, 60_000);
  });
});
