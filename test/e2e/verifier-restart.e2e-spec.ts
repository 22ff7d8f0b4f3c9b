import { buildClaim, VerifierProcess, type ClaimView } from '@verilay/client';
import { createTensorCommitter, toHex32, type TensorCommitter } from '@verilay/commitments';
import { modelToJson, randomInput, randomModel, type Model } from '@verilay/inference';
import { claimDomain } from '@verilay/protocol';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyToAccount } from 'viem/accounts';
import { eventually, sleep, VERIFIER_ENTRY } from './support/e2e';

const operator = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const domain = claimDomain(31337, '0x0000000000000000000000000000000000000000');

describe('verifier restarts', () => {
  let dir: string;
  let env: Record<string, string>;
  let committer: TensorCommitter;
  let model: Model;
  let verifier: VerifierProcess | undefined;
  let task = 0;

  const claims = (n: number) =>
    Promise.all(
      Array.from({ length: n }, () => {
        task++;
        return buildClaim({
          model,
          input: randomInput(model, task),
          taskId: toHex32(BigInt(task)),
          account: operator,
          domain,
          committer,
        });
      }),
    );
  const statusOf = async (ids: string[]) => Promise.all(ids.map((id) => verifier!.client.getClaim(id)));
  const allIn = (status: string, ids: string[]) => async () => {
    const views = await statusOf(ids);
    return views.every((v) => v.status === status) ? views : undefined;
  };

  beforeAll(async () => {
    committer = await createTensorCommitter();
    model = randomModel({ seed: 21, kind: 'mlp', sizes: [32, 16, 4], argmax: true });
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-e2e-'));
    env = {
      VERIFIER_DB: join(dir, 'verifier.sqlite'),
      VERIFIER_CHAIN: 'off',
      VERIFIER_CHALLENGE_WINDOW_MS: '6000',
      VERIFIER_BATCH_INTERVAL_MS: '100',
    };
  });

  afterEach(async () => {
    await verifier?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const expectFinalOnce = (views: ClaimView[]) => {
    for (const v of views) {
      // Exactly one transition into each status: nothing lost, nothing doubled by the restart.
      expect(v.history.map((h) => h.to)).toEqual(['submitted', 'posted', 'final']);
      expect(Date.parse(v.timestamps.final!)).toBeGreaterThanOrEqual(Date.parse(v.batch!.windowEndsAt!));
    }
  };

  it('finalizes claims exactly once after a SIGKILL in the middle of their window', async () => {
    verifier = await VerifierProcess.start(VERIFIER_ENTRY, env);
    await verifier.client.registerModel(modelToJson(model));
    const ids = (await verifier.client.submitClaims(await claims(3))).claims.map((c) => c.claimId);
    const posted = await eventually(allIn('posted', ids), 5000, 'claims posted');
    const windowEndsAt = posted[0].batch!.windowEndsAt;

    await sleep(1000); // mid-window
    await verifier.kill();
    verifier = await VerifierProcess.start(VERIFIER_ENTRY, env, verifier.port);

    const mid = await statusOf(ids);
    expect(mid.map((v) => v.status)).toEqual(['posted', 'posted', 'posted']);
    expect(mid[0].batch!.windowEndsAt).toBe(windowEndsAt); // the deadline came back from the file
    const final = await eventually(allIn('final', ids), 10_000, 'claims final');
    expectFinalOnce(final);
  });

  it('closes a window that ended while the verifier was down, on its first tick', async () => {
    verifier = await VerifierProcess.start(VERIFIER_ENTRY, env);
    await verifier.client.registerModel(modelToJson(model));
    const ids = (await verifier.client.submitClaims(await claims(2))).claims.map((c) => c.claimId);
    await eventually(allIn('posted', ids), 5000, 'claims posted');
    await verifier.kill();
    await sleep(6500); // the window ends while nobody runs
    verifier = await VerifierProcess.start(VERIFIER_ENTRY, env, verifier.port);
    expectFinalOnce(await eventually(allIn('final', ids), 3000, 'claims final'));
  });

  it('keeps every claim it acknowledged, even when killed right after the answer', async () => {
    verifier = await VerifierProcess.start(VERIFIER_ENTRY, { ...env, VERIFIER_BATCH_INTERVAL_MS: '3600000' });
    await verifier.client.registerModel(modelToJson(model));
    const ids = (await verifier.client.submitClaims(await claims(20))).claims.map((c) => c.claimId);
    await verifier.kill();
    verifier = await VerifierProcess.start(VERIFIER_ENTRY, env, verifier.port);
    const views = await statusOf(ids);
    expect(views.map((v) => v.claimId)).toEqual(ids);
    for (const id of ids) expect((await verifier.client.getTaskInput(id)).data).toHaveLength(32);
  });
});
