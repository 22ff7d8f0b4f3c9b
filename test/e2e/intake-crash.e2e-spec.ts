import { signClaim } from '@verilay/chain';
import { VerifierApiError, VerifierProcess } from '@verilay/client';
import { createTensorCommitter, toHex32 } from '@verilay/commitments';
import { computeModelId, modelToJson, randomInput, randomModel } from '@verilay/inference';
import { claimDomain, type ClaimSubmission } from '@verilay/protocol';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyToAccount } from 'viem/accounts';
import { sleep, VERIFIER_ENTRY } from './support/e2e';

const operator = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const domain = claimDomain(31337, '0x0000000000000000000000000000000000000000');
const CLIENTS = 32;

/**
 * Group commit must not weaken what an answer means: a claim the verifier acknowledged is on disk.
 * 32 clients submit single claims concurrently (so requests share commits); the verifier process
 * is SIGKILLed in the middle, with requests received and not yet answered; after a restart on the
 * same file, every acknowledged claim is there, stored once.
 */
describe('claim intake under a crash', () => {
  let dir: string;
  let verifier: VerifierProcess | undefined;

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'verilay-crash-'))));
  afterEach(async () => {
    await verifier?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every claim it acknowledged when SIGKILLed under concurrent load', async () => {
    const env = {
      VERIFIER_DB: join(dir, 'verifier.sqlite'),
      VERIFIER_CHAIN: 'off',
      VERIFIER_BATCH_INTERVAL_MS: '3600000',
      VERIFIER_RATE_LIMIT: '1000000',
    };
    const model = randomModel({ seed: 31, kind: 'mlp', sizes: [32, 16, 4], argmax: true });
    const input = randomInput(model, 1);
    const inputCommitment = (await createTensorCommitter()).commitTensor({
      dtype: model.input.dtype,
      data: input,
    });
    const claims: ClaimSubmission[] = [];
    for (let i = 0; i < 1500; i++) {
      const fields = {
        modelId: computeModelId(model),
        taskId: toHex32(BigInt(i + 1)),
        inputCommitment,
        outputCommitment: toHex32(1n),
        traceRoot: toHex32(2n),
        operator: operator.address,
      };
      claims.push({
        ...fields,
        signature: await signClaim(operator, fields, domain),
        input: { data: [...input] },
      });
    }

    verifier = await VerifierProcess.start(VERIFIER_ENTRY, env);
    await verifier.client.registerModel(modelToJson(model));
    const client = verifier.client;
    const acknowledged: string[] = [];
    let sent = 0;
    let refused = 0;
    let stop = false;
    const loops = Array.from({ length: CLIENTS }, async () => {
      while (!stop && sent < claims.length) {
        const claim = claims[sent++];
        try {
          const answer = await client.submitClaims([claim]);
          acknowledged.push(...answer.claims.map((c) => c.claimId));
        } catch (error) {
          if (error instanceof VerifierApiError) refused++; // a 4xx/5xx answer: nothing acknowledged
          return; // the connection died with the process
        }
      }
    });
    while (acknowledged.length < 400 && sent < claims.length) await sleep(5);
    const inFlight = sent - acknowledged.length - refused;
    await verifier.kill();
    stop = true;
    await Promise.all(loops);
    expect(refused).toBe(0);
    expect(acknowledged.length).toBeGreaterThanOrEqual(400);
    // Requests were received and unanswered when the process died: the window the test is about.
    expect(inFlight).toBeGreaterThan(0);

    verifier = await VerifierProcess.start(VERIFIER_ENTRY, env, verifier.port);
    const views = await Promise.all(acknowledged.map((id) => verifier!.client.getClaim(id)));
    expect(views.map((v) => v.claimId)).toEqual(acknowledged);
    // Stored once (the restarted batcher may have posted them since).
    for (const v of views) expect(v.history.filter((h) => h.to === 'submitted')).toHaveLength(1);
    // The unacknowledged ones are either stored whole or absent; a retry of any of them is safe.
    const retried = await verifier.client
      .submitClaims([claims[sent - 1]])
      .then(() => 'stored now')
      .catch((e: VerifierApiError) => e.code);
    expect(['stored now', 'DUPLICATE_CLAIM']).toContain(retried);
  });
});
