import type { INestApplication } from '@nestjs/common';
import { buildClaim, mintApiKey, VerifierApiError, VerifierClient } from '@verilay/client';
import { createTensorCommitter, toHex32, type TensorCommitter } from '@verilay/commitments';
import { modelToJson, randomInput, randomModel, type Model } from '@verilay/inference';
import { claimDomain, claimTypedData, type ClaimSubmission } from '@verilay/protocol';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { privateKeyToAccount } from 'viem/accounts';
import { loadVerifierConfig } from '../config/verifier.config';
import { createVerifierApp } from '../verifier-app';
import { ClaimsService } from './claims.service';

const operator = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const stranger = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');
const domain = claimDomain(31337, '0x0000000000000000000000000000000000000000');
const admin = mintApiKey('admin', ['models:write']);

/** Refusal code of a submission, or 201. */
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 201,
    (e: unknown) => (e instanceof VerifierApiError ? `${e.status} ${e.code}` : String(e)),
  );

describe(`${ClaimsService.name} intake`, () => {
  let dir: string;
  let app: INestApplication;
  let sut: VerifierClient;
  let committer: TensorCommitter;
  let model: Model;
  let task = 0;
  let transactions: number;

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

  beforeAll(async () => {
    committer = await createTensorCommitter();
    model = randomModel({ seed: 12, kind: 'mlp', sizes: [16, 8, 4], argmax: true });
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-intake-'));
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
    const db = app.get(DataSource);
    const transaction = db.transaction.bind(db) as (work: unknown) => Promise<unknown>;
    transactions = 0;
    jest.spyOn(db, 'transaction').mockImplementation(((work: unknown) => {
      transactions++;
      return transaction(work);
    }) as never);
  });

  afterEach(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores concurrent single-claim requests exactly once, sharing commits', async () => {
    const claims = await Promise.all(Array.from({ length: 24 }, () => claim()));
    const answers = await Promise.all(claims.map((c) => sut.submitClaims([c])));
    const ids = answers.map((a) => a.claims[0].claimId);
    expect(new Set(ids).size).toBe(24);
    for (const id of ids) expect((await sut.getClaim(id)).history.map((h) => h.to)).toEqual(['submitted']);
    expect(transactions).toBeLessThan(24); // some requests shared a commit
  });

  it('refuses a request of a group on its own (409, 422) while the others are stored', async () => {
    const [a, b, c, d] = await Promise.all([claim(), claim(), claim(), claim()]);
    const forged = { ...d, signature: await stranger.signTypedData(claimTypedData(d, domain)) };
    const outcomes = await Promise.all([
      outcome(sut.submitClaims([a])),
      outcome(sut.submitClaims([b])),
      outcome(sut.submitClaims([a])), // the same claim, concurrently: one of the two is a duplicate
      outcome(sut.submitClaims([c, forged])), // refused whole
      outcome(sut.submitClaims([d])),
    ]);
    expect([outcomes[0], outcomes[2]].sort()).toEqual([201, '409 DUPLICATE_CLAIM']);
    expect([outcomes[1], outcomes[3], outcomes[4]]).toEqual([201, '422 INVALID_SIGNATURE', 201]);
    const stored = async (s: ClaimSubmission) =>
      outcome(sut.submitClaims([s])).then((o) => (o === '409 DUPLICATE_CLAIM' ? 'stored' : 'absent'));
    expect(await stored(a)).toBe('stored');
    expect(await stored(b)).toBe('stored');
    expect(await stored(d)).toBe('stored');
    expect(await outcome(sut.submitClaims([c]))).toBe(201); // c was not stored with the forged claim
  });

  it('refuses with the first failing claim’s first failing check, as a claim-by-claim check does', async () => {
    const [good, other] = await Promise.all([claim(), claim()]);
    const badSignature = { ...good, signature: `0x${'00'.repeat(65)}` as `0x${string}` };
    // claim 0: bad signature AND a wrong-length output; claim 1: unknown model.
    const error = await sut
      .submitClaims([
        { ...badSignature, output: [1, 2] },
        { ...other, modelId: toHex32(1n) },
      ])
      .catch((e: VerifierApiError) => e);
    expect([(error as VerifierApiError).code, (error as VerifierApiError).message]).toEqual([
      'INVALID_SIGNATURE',
      expect.stringMatching(/claims\[0\]/),
    ]);
    // claim 0 is fine, claim 1 has both a bad input value and a bad signature: the signature first.
    const outside = {
      ...other,
      signature: badSignature.signature,
      input: { data: other.input!.data.map(() => 999) },
    };
    expect(await outcome(sut.submitClaims([good, outside]))).toBe('422 INVALID_SIGNATURE');
    // and with a good signature, the input's own error.
    expect(
      await outcome(
        sut.submitClaims([good, { ...other, input: { data: other.input!.data.map(() => 999) } }]),
      ),
    ).toBe('422 INVALID_INPUT');
  });
});
