import type { INestApplication } from '@nestjs/common';
import { buildClaim, mintApiKey, VerifierApiError, VerifierClient } from '@verilay/client';
import { createTensorCommitter, toHex32, type TensorCommitter } from '@verilay/commitments';
import { greedyGenerate, successorModel } from '@verilay/generation';
import { modelToJson, run, type Model } from '@verilay/inference';
import { claimDomain } from '@verilay/protocol';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { privateKeyToAccount } from 'viem/accounts';
import { loadVerifierConfig } from '../config/verifier.config';
import { createVerifierApp } from '../verifier-app';

const operator = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const domain = claimDomain(31337, '0x0000000000000000000000000000000000000000');
const admin = mintApiKey('admin', ['models:write']);

describe('generation claims at intake', () => {
  let dir: string;
  let app: INestApplication;
  let sut: VerifierClient;
  let committer: TensorCommitter;
  const model: Model = successorModel(); // next token = (token + 1) mod 4, context 6
  let task = 0;

  const submit = async (
    input: number[],
    generation: { promptLength: number; completionLength: number },
    lie?: number[],
    withoutOutput = false,
  ) => {
    // A token outside the vocabulary cannot be run: sign the claim of a valid input, send this one.
    const valid = input.map((t) => (t < 4 ? t : 0));
    const built = await buildClaim({
      model,
      input: valid,
      taskId: toHex32(BigInt(++task)),
      account: operator,
      domain,
      committer,
      generation,
      lie: lie ? () => Int32Array.from(lie) : undefined,
    });
    const c = { ...built, input: { data: input }, ...(withoutOutput ? { output: undefined } : {}) };
    return sut.submitClaims([c]).then(
      (r) => r.claims[0].claimId,
      (e: unknown) => (e instanceof VerifierApiError ? `${e.status} ${e.code}` : String(e)),
    );
  };
  const stored = () =>
    app
      .get(DataSource)
      .query('SELECT count(*) AS n FROM claims')
      .then((r: { n: number }[]) => Number(r[0].n));

  beforeAll(async () => {
    committer = await createTensorCommitter();
    dir = mkdtempSync(join(tmpdir(), 'verilay-generation-'));
    const config = loadVerifierConfig({
      VERIFIER_DB: join(dir, 'verifier.sqlite'),
      VERIFIER_CHAIN: 'off',
      VERIFIER_BATCH_INTERVAL_MS: '3600000',
      VERIFIER_API_KEYS: admin.entry,
    });
    app = await createVerifierApp(config, { logger: false });
    await app.listen(0, '127.0.0.1');
    sut = new VerifierClient(await app.getUrl(), { apiKey: admin.token });
    await sut.registerModel(modelToJson(model));
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores an honest greedy generation and shows its span', async () => {
    const g = greedyGenerate(model, [1], { maxNewTokens: 3 });
    const claimId = await submit(g.input, {
      promptLength: g.promptLength,
      completionLength: g.completionLength,
    });
    expect(claimId).toMatch(/^0x[0-9a-f]{64}$/);
    expect((await sut.getClaim(claimId as `0x${string}`)).generation).toEqual({
      promptLength: 1,
      completionLength: 3,
    });
  });

  it('refuses, storing nothing: a token that is not greedy, a span past the context, padding, a token outside the vocabulary, a missing output', async () => {
    const before = await stored();
    // The completion says 2 -> 0, but the model (and the claim's own output) says 2 -> 3.
    expect(await submit([1, 2, 0, 0, 0, 0], { promptLength: 1, completionLength: 2 })).toBe(
      '422 COMPLETION_NOT_GREEDY',
    );
    // A liar who also bends the output to match: greedy by its own account, so intake cannot see
    // it; the output commitment is then wrong, which replay and the dispute catch (e2e).
    const bent = Array.from(run(model, [1, 2, 0, 0, 0, 0]).output.data);
    bent[1] = 0;
    expect(await submit([1, 2, 0, 0, 0, 0], { promptLength: 1, completionLength: 2 }, bent)).toMatch(/^0x/);
    expect(await submit([1, 2, 3, 0, 1, 2], { promptLength: 3, completionLength: 4 })).toBe(
      '422 CONTEXT_EXCEEDED',
    );
    expect(await submit([1, 2, 3, 0, 0, 1], { promptLength: 1, completionLength: 3 })).toBe(
      '422 INVALID_GENERATION',
    );
    expect(await submit([1, 2, 3, 4, 0, 0], { promptLength: 1, completionLength: 3 })).toBe(
      '422 INVALID_INPUT',
    );
    expect(await submit([1, 2, 3, 0, 0, 0], { promptLength: 0, completionLength: 3 })).toBe(
      '422 INVALID_GENERATION',
    );
    expect(await submit([1, 2, 3, 0, 0, 0], { promptLength: 1, completionLength: 2 }, undefined, true)).toBe(
      '422 INVALID_GENERATION',
    );
    expect(await stored()).toBe(before + 1);
  });
});
