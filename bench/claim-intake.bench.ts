import { buildClaim, VerifierProcess } from '@verilay/client';
import { createTensorCommitter, toHex32 } from '@verilay/commitments';
import { modelToJson, randomInput, randomModel } from '@verilay/inference';
import { claimDomain, type ClaimSubmission } from '@verilay/protocol';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyToAccount } from 'viem/accounts';

const TOTAL = 2000;

/**
 * Durable claim intake of a real verifier process (sqlite file, WAL, synchronous=FULL): a 2xx
 * answer means every claim of the request is committed. Each claim carries its 784-value input,
 * so the verifier checks an EIP-712 signature and recomputes a Poseidon input commitment.
 */
export async function benchClaimIntake(): Promise<string> {
  const model = randomModel({ seed: 1, kind: 'mlp', sizes: [784, 64, 10], argmax: true });
  const committer = await createTensorCommitter();
  const operator = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
  const domain = claimDomain(31337, '0x0000000000000000000000000000000000000000');
  console.error(`intake: signing ${TOTAL} claims...`);
  const claims: ClaimSubmission[] = [];
  for (let i = 0; i < TOTAL; i++)
    claims.push(
      await buildClaim({
        model,
        input: randomInput(model, i),
        taskId: toHex32(BigInt(i + 1)),
        account: operator,
        domain,
        committer,
      }),
    );

  const rows = [
    '| request size | claims | wall time (s) | durable claims/s | median request latency (ms) |',
    '|---:|---:|---:|---:|---:|',
  ];
  for (const [perRequest, count] of [
    [1, 300],
    [100, 1700],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'verilay-bench-'));
    const verifier = await VerifierProcess.start(join(__dirname, '../apps/verifier/src/main.js'), {
      VERIFIER_DB: join(dir, 'v.sqlite'),
      VERIFIER_CHAIN: 'off',
      VERIFIER_BATCH_INTERVAL_MS: '3600000',
    });
    const client = verifier.client;
    await client.registerModel(modelToJson(model));
    const mine = perRequest === 1 ? claims.slice(0, count) : claims.slice(300, 300 + count);
    const latencies: number[] = [];
    const start = performance.now();
    for (let i = 0; i < mine.length; i += perRequest) {
      const t = performance.now();
      await client.submitClaims(mine.slice(i, i + perRequest));
      latencies.push(performance.now() - t);
    }
    const seconds = (performance.now() - start) / 1000;
    latencies.sort((a, b) => a - b);
    rows.push(
      `| ${perRequest} | ${mine.length} | ${seconds.toFixed(2)} | ${(mine.length / seconds).toFixed(0)} | ${latencies[latencies.length >> 1].toFixed(1)} |`,
    );
    console.error(`intake: ${perRequest}/request: ${(mine.length / seconds).toFixed(0)} claims/s`);
    await verifier.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows.join('\n');
}
