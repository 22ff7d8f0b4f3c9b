import { signClaim } from '@verilay/chain';
import { devApiKeyFile, VerifierProcess } from '@verilay/client';
import { createTensorCommitter, toHex32 } from '@verilay/commitments';
import { computeModelId, modelToJson, randomInput, randomModel } from '@verilay/inference';
import { claimDomain, type ClaimSubmission } from '@verilay/protocol';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyToAccount } from 'viem/accounts';
// eslint-disable-next-line no-restricted-imports -- the unit specs' receiver (a spec helper, no lib's API)
import { until, WebhookReceiver } from '../../apps/verifier/src/webhooks/webhook-receiver.spec-helper';
import { VERIFIER_ENTRY } from './support/e2e';

const operator = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const domain = claimDomain(31337, '0x0000000000000000000000000000000000000000');
const CLAIMS = 20;

/**
 * The outbox promise: an event committed is delivered, even when the verifier dies between the
 * event and its delivery. The receiver hangs, so deliveries are in flight (sent, unanswered) and
 * queued when the verifier process is SIGKILLed; after a restart on the same database every
 * event reaches the receiver, signed, and the API shows each delivery delivered.
 */
describe('webhooks across a crash', () => {
  let dir: string;
  let verifier: VerifierProcess | undefined;
  const receiver = new WebhookReceiver();

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'verilay-hook-crash-'))));
  afterEach(async () => {
    await verifier?.stop();
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every event after a SIGKILL with deliveries in flight', async () => {
    const env = {
      VERIFIER_DB: join(dir, 'verifier.sqlite'),
      VERIFIER_CHAIN: 'off',
      VERIFIER_BATCH_INTERVAL_MS: '200',
      VERIFIER_CHALLENGE_WINDOW_MS: '3600000',
      VERIFIER_WEBHOOK_ALLOW_PRIVATE: 'true',
      VERIFIER_WEBHOOK_TIMEOUT_MS: '60000',
      VERIFIER_WEBHOOK_RETRY_BASE_MS: '100',
      VERIFIER_EVENT_POLL_MS: '50',
    };
    const hook = await receiver.start();
    receiver.answer = () => 'hang';
    verifier = await VerifierProcess.start(VERIFIER_ENTRY, env);
    const model = randomModel({ seed: 41, kind: 'mlp', sizes: [8, 4], argmax: true });
    await verifier.client.registerModel(modelToJson(model));
    const key = readFileSync(devApiKeyFile(env.VERIFIER_DB), 'utf8').trim();
    const created = await fetch(`${verifier.url}/v1/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ url: hook, types: ['claim.posted'] }),
    });
    expect(created.status).toBe(201);
    const { id, secret } = (await created.json()) as { id: number; secret: string };
    receiver.secret = secret;

    const committer = await createTensorCommitter();
    const claims: ClaimSubmission[] = [];
    for (let i = 0; i < CLAIMS; i++) {
      const input = randomInput(model, i + 1);
      const fields = {
        modelId: computeModelId(model),
        taskId: toHex32(BigInt(i + 1)),
        inputCommitment: committer.commitTensor({ dtype: model.input.dtype, data: input }),
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
    const acknowledged = (await verifier.client.submitClaims(claims)).claims.map((c) => c.claimId);
    // Two attempts are in flight (the per-receiver limit), unanswered; the others wait.
    await until(() => receiver.received.length >= 2, 20_000);
    await verifier.kill();
    const beforeCrash = receiver.received.length;
    expect(beforeCrash).toBeLessThan(CLAIMS);

    receiver.answer = () => 204;
    verifier = await VerifierProcess.start(VERIFIER_ENTRY, env, verifier.port);
    const delivered = await until(() => {
      const claimIds = new Set(
        receiver.received.filter((r) => r.verified).map((r) => r.verified!.data.claimId),
      );
      return claimIds.size === CLAIMS && claimIds;
    }, 60_000);
    expect([...delivered].sort()).toEqual([...acknowledged].sort());
    // One event id per claim: a repeat (an attempt cut off by the crash, sent again) has the same webhook-id.
    const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(CLAIMS);
    // The attempts cut off by the crash were made again: every delivery once after the restart.
    expect(receiver.received).toHaveLength(beforeCrash + CLAIMS);
    const status = await until(async () => {
      const answer = await fetch(`${verifier!.url}/v1/webhooks/${id}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const body = (await answer.json()) as { deliveries: Record<string, number> };
      return body.deliveries.delivered === CLAIMS && body.deliveries;
    }, 20_000);
    expect(status).toEqual({ pending: 0, delivered: CLAIMS, failed: 0 });
  });
});
