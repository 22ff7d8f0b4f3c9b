import type { INestApplication } from '@nestjs/common';
import { buildClaim, mintApiKey, VerifierClient } from '@verilay/client';
import { createTensorCommitter, toHex32 } from '@verilay/commitments';
import { modelToJson, randomInput, randomModel } from '@verilay/inference';
import { claimDomain } from '@verilay/protocol';
import { buildCircuit, verifyInferenceProof, type InferenceProof, type VerificationKey } from '@verilay/zk';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyToAccount } from 'viem/accounts';
import { loadVerifierConfig } from '../config/verifier.config';
import { createVerifierApp } from '../verifier-app';

const operator = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const admin = mintApiKey('admin', ['models:write', 'proofs:write']);
const domain = claimDomain(31337, '0x0000000000000000000000000000000000000000');

interface ProofView {
  proofId: number;
  status: string;
  verdict: string | null;
  error: string | null;
  proof: InferenceProof | null;
}

describe('POST /v1/proofs', () => {
  const model = randomModel({ seed: 51, kind: 'mlp', sizes: [12, 6, 3], argmax: true });
  let dir: string;
  let app: INestApplication;
  let url: string;
  let client: VerifierClient;

  const post = async (body: unknown) => {
    const r = await fetch(`${url}/v1/proofs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as ProofView & { error?: { code: string } } };
  };
  const settled = async (id: number): Promise<ProofView> => {
    for (let i = 0; i < 600; i++) {
      const view = (await fetch(`${url}/v1/proofs/${id}`).then((r) => r.json())) as ProofView;
      if (view.status === 'proven' || view.status === 'failed') return view;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`proof ${id} did not settle`);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-proofs-'));
    const config = loadVerifierConfig({
      VERIFIER_DB: join(dir, 'v.sqlite'),
      VERIFIER_CHAIN: 'off',
      VERILAY_CACHE_DIR: join(dir, 'cache'),
      VERIFIER_BATCH_INTERVAL_MS: '3600000',
      VERIFIER_API_KEYS: admin.entry,
    });
    app = await createVerifierApp(config, { logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    client = new VerifierClient(url, { apiKey: admin.token });
    await client.registerModel(modelToJson(model));
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('proves an honest claim, makes it final, and flags a lying one', async () => {
    const committer = await createTensorCommitter();
    const claim = (task: number, lie = false) =>
      buildClaim({
        model,
        input: randomInput(model, task),
        taskId: toHex32(BigInt(task)),
        account: operator,
        domain,
        committer,
        salt: 99n,
        lie: lie ? (out) => out.map((v) => (v + 1) % 3) : undefined,
      });
    const { claims } = await client.submitClaims([await claim(1), await claim(2, true)]);
    const [honest, liar] = claims.map((c) => c.claimId);

    const first = await post({ claimId: honest });
    expect(first).toMatchObject({ status: 202, body: { status: 'queued' } });
    expect(await post({ claimId: honest })).toMatchObject({
      status: 200,
      body: { proofId: first.body.proofId },
    }); // proves once
    const lying = await post({ claimId: liar });

    const proven = await settled(first.body.proofId);
    expect(proven).toMatchObject({ status: 'proven', verdict: 'claim-true', error: null });
    const claimView = await client.getClaim(honest);
    expect(claimView.status).toBe('final');
    expect(claimView.history.map((h) => h.to)).toEqual(['submitted', 'final']);

    const flagged = await settled(lying.body.proofId);
    expect(flagged).toMatchObject({ status: 'proven', verdict: 'claim-false' });
    expect((await client.getClaim(liar)).status).toBe('submitted');

    // Anyone can check the proofs against the model's verification key.
    const artifacts = await buildCircuit(model, { cacheDir: join(dir, 'cache') });
    const vkey = JSON.parse(readFileSync(artifacts.vkeyPath, 'utf8')) as VerificationKey;
    expect(await verifyInferenceProof(vkey, proven.proof!)).toBe(true);
    expect(await verifyInferenceProof(vkey, flagged.proof!)).toBe(true);
    expect(flagged.proof!.outputCommitment).not.toBe((await client.getClaim(liar)).outputCommitment);
  }, 240_000);

  it('answers 404 for an unknown claim, a claim without task data, and an unknown proof; 400 for a bad id', async () => {
    expect(await post({ claimId: toHex32(5n) })).toMatchObject({
      status: 404,
      body: { error: { code: 'CLAIM_NOT_FOUND' } },
    });
    const committer = await createTensorCommitter();
    const bare = await buildClaim({
      model,
      input: randomInput(model, 9),
      taskId: toHex32(9n),
      account: operator,
      domain,
      committer,
      withoutInput: true,
    });
    const { claims } = await client.submitClaims([bare]);
    expect(await post({ claimId: claims[0].claimId })).toMatchObject({
      status: 404,
      body: { error: { code: 'TASK_INPUT_UNAVAILABLE' } },
    });
    expect((await fetch(`${url}/v1/proofs/999`)).status).toBe(404);
    expect(await post({ claimId: '0x12' })).toMatchObject({ status: 400 });
  });
});
