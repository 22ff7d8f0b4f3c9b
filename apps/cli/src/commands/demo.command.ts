import { buildClaim, freePort, VerifierProcess, type ClaimView } from '@verilay/client';
import { createTensorCommitter, toHex32 } from '@verilay/commitments';
import { parseModel, randomInput } from '@verilay/inference';
import type { ClaimStatus } from '@verilay/protocol';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { privateKeyToAccount } from 'viem/accounts';

/** anvil's well-known second development key: a demo operator, never a real one. */
const DEMO_OPERATOR_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const REPO_ROOT = resolve(__dirname, '../../../../..');

export interface DemoOptions {
  claims: number;
  windowMs: number;
  model?: string;
  db?: string;
}

export async function runDemo(opts: DemoOptions): Promise<void> {
  const db = opts.db ?? join(mkdtempSync(join(tmpdir(), 'verilay-demo-')), 'verifier.sqlite');
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
  const say = (line: string) => console.log(`[${elapsed()}] ${line}`);

  say(`starting verifier, database ${db}, challenge window ${opts.windowMs} ms`);
  const verifier = await VerifierProcess.start(join(REPO_ROOT, 'dist/apps/verifier/src/main.js'), {
    VERIFIER_DB: db,
    VERIFIER_CHALLENGE_WINDOW_MS: String(opts.windowMs),
    VERIFIER_BATCH_INTERVAL_MS: '250',
    VERIFIER_ANVIL_PORT: String(await freePort()),
  });
  say(`verifier listening on ${verifier.url}`);
  try {
    const client = verifier.client;
    const modelFile = opts.model ?? join(REPO_ROOT, 'models/sample-mlp-784-64-10.json');
    const model = parseModel(readFileSync(modelFile, 'utf8'));
    const { modelId } = await client.registerModel(JSON.parse(readFileSync(modelFile, 'utf8')));
    say(`registered model ${model.name} (${modelId.slice(0, 10)}…)`);

    const committer = await createTensorCommitter();
    const operator = privateKeyToAccount(DEMO_OPERATOR_KEY);
    const chain = await client.chain();
    const domain = chain.domain;
    say(`embedded chain ${chain.rpcUrl} (id ${chain.chainId}), claim contract ${chain.claims}`);
    const submissions = [];
    for (let i = 0; i < opts.claims; i++)
      submissions.push(
        await buildClaim({
          model,
          input: randomInput(model, i + 1),
          taskId: toHex32(BigInt(i + 1)),
          account: operator,
          domain,
          committer,
        }),
      );
    const { claims } = await client.submitClaims(submissions);
    say(
      `operator ${operator.address} submitted ${claims.length} signed claims (outputs: ${submissions.map((s) => s.output!.join(',')).join(' ')})`,
    );

    const seen = new Map<string, ClaimStatus>();
    const deadline = Date.now() + opts.windowMs + 30_000;
    while ([...seen.values()].filter((s) => s === 'final').length < claims.length) {
      if (Date.now() > deadline) throw new Error('claims did not reach final in time');
      if (verifier.child.exitCode !== null) throw new Error(`verifier exited:\n${verifier.output()}`);
      for (const { claimId } of claims) {
        const view: ClaimView = await client.getClaim(claimId);
        if (seen.get(claimId) === view.status) continue;
        const batch =
          view.batch && view.status === 'posted'
            ? ` in batch ${view.batch.id}, window ends ${view.batch.windowEndsAt}`
            : '';
        say(`claim ${claimId.slice(0, 10)}… ${seen.get(claimId) ?? 'new'} -> ${view.status}${batch}`);
        seen.set(claimId, view.status);
      }
      await sleep(200);
    }
    say(`all ${claims.length} claims final. Database kept at ${db}`);
  } finally {
    await verifier.stop();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
