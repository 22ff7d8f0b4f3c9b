import { VerifierProcess } from '@verilay/client';
import { modelToJson, randomModel } from '@verilay/inference';
import { createPostgresDatabase } from '@verilay/storage';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSeconds, post, prepareClaims } from './claim-intake.bench';
import { runServerBench } from './measure';

/**
 * Durable intake of 1 and 2 verifier replicas on one Postgres database (issue 15): the same
 * prepared claims, 100 per request, from 4 concurrent clients spread over the replicas. Needs
 * REPLICA_DATABASE_URL (a Postgres server: `bash scripts/services.sh start`); each run gets a fresh
 * database. On a machine with few cores the replicas, Postgres and the load generator share them:
 * the table shows what a second replica costs or gains here, not on a cluster.
 */
export async function benchReplicaIntake(server: string): Promise<string> {
  const model = randomModel({ seed: 1, kind: 'mlp', sizes: [784, 64, 10], argmax: true });
  const count = Number(process.env.REPLICA_CLAIMS ?? 6000);
  const perRequest = 100;
  const clients = 4;
  console.error('replica intake: signing claims...');
  const claims = await prepareClaims(model, 50 + count);
  const rows = [
    `| replicas | claims per request | concurrent clients | claims | wall time (s) | durable claims/s | p50 latency (ms) | p99 latency (ms) | verifiers' CPU per claim (ms) |`,
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const replicas of [1, 2]) {
    const database = await createPostgresDatabase(server, 'verilay_bench');
    const dir = mkdtempSync(join(tmpdir(), 'verilay-bench-'));
    const started: VerifierProcess[] = [];
    try {
      // One after the other: the first runs the migrations.
      for (let i = 0; i < replicas; i++)
        started.push(
          await VerifierProcess.start(join(__dirname, '../apps/verifier/src/main.js'), {
            VERIFIER_DB: join(dir, `v${i}.sqlite`),
            VERIFIER_DATABASE_URL: database.url,
            VERIFIER_REPLICA_ID: `r${i}`,
            VERIFIER_CHAIN: 'off',
            VERIFIER_BATCH_INTERVAL_MS: '3600000',
            VERIFIER_RATE_LIMIT: '1000000',
          }),
        );
      await started[0].client.registerModel(modelToJson(model));
      const agents = started.map(() => new Agent({ keepAlive: true, maxSockets: clients }));
      // Warm-up: 50 claims one by one, spread over the replicas (JIT, threads, connections).
      for (let i = 0; i < 50; i++)
        await post(agents[i % replicas], started[i % replicas].port, JSON.stringify({ claims: [claims[i]] }));
      const bodies: string[] = [];
      for (let i = 50; i < 50 + count; i += perRequest)
        bodies.push(JSON.stringify({ claims: claims.slice(i, Math.min(i + perRequest, 50 + count)) }));
      const cpuBefore = started.map((v) => cpuSeconds(v.child.pid) ?? 0);
      const latencies: number[] = [];
      let next = 0;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: clients }, async (_, c) => {
          const r = c % replicas;
          while (next < bodies.length) {
            const body = bodies[next++];
            const t = performance.now();
            const status = await post(agents[r], started[r].port, body);
            if (status !== 201) throw new Error(`replica ${r} answered ${status}`);
            latencies.push(performance.now() - t);
          }
        }),
      );
      const seconds = (performance.now() - start) / 1000;
      const cpu = started.reduce((n, v, i) => n + (cpuSeconds(v.child.pid) ?? 0) - cpuBefore[i], 0);
      agents.forEach((a) => a.destroy());
      latencies.sort((a, b) => a - b);
      const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
      const rate = count / seconds;
      console.error(`replica intake: ${replicas} replica(s): ${rate.toFixed(0)} claims/s`);
      rows.push(
        `| ${replicas} | ${perRequest} | ${clients} | ${count} | ${seconds.toFixed(2)} | ${rate.toFixed(0)} | ${at(0.5).toFixed(1)} | ${at(0.99).toFixed(1)} | ${((cpu * 1000) / count).toFixed(2)} |`,
      );
    } finally {
      for (const v of started) await v.stop();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows.join('\n');
}

if (require.main === module)
  runServerBench(
    process.env.REPLICA_DATABASE_URL,
    'REPLICA_DATABASE_URL: a Postgres server (bash scripts/services.sh start prints one)',
    benchReplicaIntake,
  );
