import type { INestApplication } from '@nestjs/common';
import { createChainClients, depositBond, devPrivateKey, registerModel } from '@verilay/chain';
import { buildClaim, chainDeployment, freePort, VerifierClient } from '@verilay/client';
import { createTensorCommitter, toHex32, type TensorCommitter } from '@verilay/commitments';
import { computeModelId, modelToJson, randomInput, randomModel, type Model } from '@verilay/inference';
import { claimDomain } from '@verilay/protocol';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'verilay-admin-'));
      app = await createVerifierApp(
        loadVerifierConfig({
          VERIFIER_DB: join(dir, 'v.sqlite'),
          VERIFIER_CHAIN: 'off',
          VERILAY_CACHE_DIR: join(dir, 'cache'),
          VERIFIER_BATCH_INTERVAL_MS: '3600000',
        }),
        { logger: false },
      );
      await app.listen(0, '127.0.0.1');
      url = await app.getUrl();
    });

    afterEach(async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('reproduces finding 8: anyone registers models, with no credentials', async () => {
      for (let seed = 1; seed <= 3; seed++)
        expect((await post('/v1/models', modelToJson(tiny(seed)))).status).toBe(201);
      expect(await rows('models')).toBe(3);
    });

    it('reproduces finding 8: anyone makes the verifier build a circuit, with no credentials', async () => {
      await post('/v1/models', modelToJson(tiny(1)));
      const claimId = await submitClaim(tiny(1), 1);
      const asked = await post('/v1/proofs', { claimId });
      expect(asked.status).toBe(202);
      // The build starts: circuit files appear in the cache.
      for (
        let i = 0;
        i < 200 && !(existsSync(join(dir, 'cache')) && readdirSync(join(dir, 'cache')).length);
        i++
      )
        await new Promise((r) => setTimeout(r, 100));
      expect(readdirSync(join(dir, 'cache')).length).toBeGreaterThan(0);
    }, 60_000);

    it('reproduces finding 8: no rate limit and no cap on queued circuit builds', async () => {
      const answers = await Promise.all(
        Array.from({ length: 300 }, () => post('/v1/models', { format: 'verilay.model.v1' })),
      );
      expect(answers.filter((a) => a.status === 429)).toHaveLength(0);
      const asked = [];
      for (let seed = 1; seed <= 6; seed++) {
        await post('/v1/models', modelToJson(tiny(seed)));
        asked.push(await post('/v1/proofs', { claimId: await submitClaim(tiny(seed), seed) }));
      }
      expect(asked.map((a) => a.status)).toEqual([202, 202, 202, 202, 202, 202]);
      expect(await rows('proof_jobs')).toBe(6);
    }, 60_000);
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

    it('reproduces finding 8: a proof is queued for a model with no whole-inference verifier on chain', async () => {
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
      await post('/v1/models', modelToJson(model));
      const claimId = await submitClaim(tiny(1), 1, chain.domain as ReturnType<typeof claimDomain>);
      expect((await post('/v1/proofs', { claimId })).status).toBe(202);
      expect(await rows('proof_jobs')).toBe(1);
    }, 60_000);
  });
});
