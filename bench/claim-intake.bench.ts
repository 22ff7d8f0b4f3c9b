import { VerifierProcess } from '@verilay/client';
import { createTensorCommitter, toHex32 } from '@verilay/commitments';
import { computeModelId, modelToJson, randomInput, randomModel, type Model } from '@verilay/inference';
import { claimDomain, claimTypedData, type ClaimSubmission } from '@verilay/protocol';
import { createPostgresDatabase } from '@verilay/storage';
import { Agent, request } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ecdsaSign } from 'secp256k1';
import { hashTypedData, hexToBytes, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { sectionMarkers, writeSection } from './bench-sections';

export const INTAKE_SECTION_MARKERS = sectionMarkers('intake', 'bench/claim-intake.bench.ts');

const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const domain = claimDomain(31337, '0x0000000000000000000000000000000000000000');

interface Scenario {
  readonly perRequest: number;
  readonly clients: number;
  /** Claims sent, per mode (the JavaScript paths are slower: fewer keep the run short). */
  readonly claims: { readonly native: number; readonly js: number };
}

const ALL_SCENARIOS: Scenario[] = [
  { perRequest: 1, clients: 1, claims: { native: 400, js: 200 } },
  { perRequest: 1, clients: 32, claims: { native: 4000, js: 1000 } },
  { perRequest: 100, clients: 1, claims: { native: 6000, js: 1000 } },
  { perRequest: 100, clients: 4, claims: { native: 6000, js: 1000 } },
];
/** INTAKE_SCENARIOS=1x32,100x1 runs only those (profiling); all by default. */
const SCENARIOS = process.env.INTAKE_SCENARIOS
  ? ALL_SCENARIOS.filter((s) =>
      process.env.INTAKE_SCENARIOS!.split(',').includes(`${s.perRequest}x${s.clients}`),
    )
  : ALL_SCENARIOS;

/**
 * Every claim carries the same 784-value input (its commitment is computed once here), with its
 * own task id and signature: the verifier still recovers each signer and recomputes each input
 * commitment. Signed with libsecp256k1 so that preparing thousands of claims takes a second.
 */
export async function prepareClaims(model: Model, count: number): Promise<ClaimSubmission[]> {
  const committer = await createTensorCommitter();
  const input = randomInput(model, 1);
  const inputCommitment = committer.commitTensor({ dtype: model.input.dtype, data: input });
  const operator = privateKeyToAccount(KEY).address;
  const modelId = computeModelId(model);
  const key = hexToBytes(KEY);
  const claims: ClaimSubmission[] = [];
  for (let i = 0; i < count; i++) {
    const fields = {
      modelId,
      taskId: toHex32(BigInt(i + 1)),
      inputCommitment,
      outputCommitment: toHex32(7n),
      traceRoot: toHex32(9n),
      operator,
    };
    const { signature, recid } = ecdsaSign(hexToBytes(hashTypedData(claimTypedData(fields, domain))), key);
    claims.push({
      ...fields,
      signature: `${toHex(signature)}${(27 + recid).toString(16)}`,
      input: { data: [...input] },
    });
  }
  return claims;
}

/** CPU seconds (user + system, all threads) a process has used so far; null off Linux. */
export function cpuSeconds(pid: number | undefined): number | null {
  const stat = `/proc/${pid}/stat`;
  if (pid === undefined || !existsSync(stat)) return null;
  const fields = readFileSync(stat, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** POSTs a prepared JSON body over a keep-alive connection; resolves with the status. */
export function post(agent: Agent, port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: '/v1/claims',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * `native` and `js`: this build with VERILAY_NATIVE=auto / off. `before`: the verifier built from
 * an earlier checkout (INTAKE_BEFORE_ENTRY, its dist/apps/verifier/src/main.js), for before/after
 * rows in one run.
 */
type Mode = 'native' | 'js' | 'before';
const LABELS: Record<Mode, string> = {
  native: 'native (auto)',
  js: 'JavaScript (off)',
  before: 'before: JavaScript, a commit per request',
};

/**
 * INTAKE_DATABASE_URL=postgres://…/postgres: each run on a fresh database of that Postgres server
 * (VERIFIER_DATABASE_URL), dropped after; unset: a sqlite file, as embedded.
 */
const POSTGRES_SERVER = process.env.INTAKE_DATABASE_URL;

async function withPostgresDatabase<T>(work: (url: string) => Promise<T>): Promise<T> {
  const database = await createPostgresDatabase(POSTGRES_SERVER!, 'verilay_bench');
  try {
    return await work(database.url);
  } finally {
    await database.drop();
  }
}

async function runScenario(
  mode: Mode,
  scenario: Scenario,
  model: Model,
  claims: readonly ClaimSubmission[],
): ReturnType<typeof runScenarioOn> {
  return POSTGRES_SERVER
    ? withPostgresDatabase((url) => runScenarioOn(url, mode, scenario, model, claims))
    : runScenarioOn(null, mode, scenario, model, claims);
}

async function runScenarioOn(
  databaseUrl: string | null,
  mode: Mode,
  scenario: Scenario,
  model: Model,
  claims: readonly ClaimSubmission[],
): Promise<{ seconds: number; count: number; p50: number; p99: number; cpuMsPerClaim: number | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'verilay-bench-'));
  const entry =
    mode === 'before' ? process.env.INTAKE_BEFORE_ENTRY! : join(__dirname, '../apps/verifier/src/main.js');
  const verifier = await VerifierProcess.start(entry, {
    VERIFIER_DB: join(dir, 'v.sqlite'),
    ...(databaseUrl ? { VERIFIER_DATABASE_URL: databaseUrl } : {}),
    VERIFIER_CHAIN: 'off',
    VERIFIER_BATCH_INTERVAL_MS: '3600000',
    VERIFIER_RATE_LIMIT: '1000000', // measure the intake, not the per-client limiter
    VERILAY_NATIVE: mode === 'native' ? 'auto' : 'off',
    ...(process.env.INTAKE_NODE_OPTIONS ? { NODE_OPTIONS: process.env.INTAKE_NODE_OPTIONS } : {}),
  });
  const agent = new Agent({ keepAlive: true, maxSockets: scenario.clients });
  try {
    await verifier.client.registerModel(modelToJson(model));
    const count = scenario.claims[mode === 'native' ? 'native' : 'js'];
    const bodies: string[] = [];
    // The first 50 claims warm the process up (JIT, threads, sqlite), outside the timed part.
    const warm = claims.slice(0, 50);
    for (let i = 50; i < 50 + count; i += scenario.perRequest)
      bodies.push(JSON.stringify({ claims: claims.slice(i, Math.min(i + scenario.perRequest, 50 + count)) }));
    for (const c of warm) await post(agent, verifier.port, JSON.stringify({ claims: [c] }));
    const latencies: number[] = [];
    let next = 0;
    const cpuBefore = cpuSeconds(verifier.child.pid);
    const start = performance.now();
    await Promise.all(
      Array.from({ length: scenario.clients }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++];
          const t = performance.now();
          const status = await post(agent, verifier.port, body);
          if (status !== 201) throw new Error(`intake answered ${status}`);
          latencies.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    const cpuAfter = cpuSeconds(verifier.child.pid);
    const cpuMsPerClaim =
      cpuBefore === null || cpuAfter === null ? null : ((cpuAfter - cpuBefore) * 1000) / count;
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
    return { seconds, count, p50: at(0.5), p99: at(0.99), cpuMsPerClaim };
  } finally {
    agent.destroy();
    await verifier.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Durable claim intake of a real verifier process (sqlite file, WAL, synchronous=FULL; or
 * Postgres with INTAKE_DATABASE_URL): a 201
 * means every claim of the request is committed. Concurrent clients over keep-alive HTTP; each
 * verifier mode (VERILAY_NATIVE=auto with the addon built, and off) in its own process.
 */
export async function benchClaimIntake(
  modes: Mode[] = process.env.INTAKE_BEFORE_ENTRY ? ['before', 'js', 'native'] : ['js', 'native'],
): Promise<string> {
  const model = randomModel({ seed: 1, kind: 'mlp', sizes: [784, 64, 10], argmax: true });
  console.error('intake: signing claims...');
  const claims = await prepareClaims(model, 50 + Math.max(...SCENARIOS.map((s) => s.claims.native)));
  const rows = [
    '| checks (VERILAY_NATIVE) | claims per request | concurrent clients | claims | wall time (s) | durable claims/s | p50 latency (ms) | p99 latency (ms) | verifier CPU per claim (ms, all threads) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const mode of modes)
    for (const scenario of SCENARIOS) {
      const r = await runScenario(mode, scenario, model, claims);
      const rate = r.count / r.seconds;
      console.error(
        `intake ${mode}: ${scenario.perRequest}/request x ${scenario.clients}: ${rate.toFixed(0)} claims/s, ${r.cpuMsPerClaim?.toFixed(2)} ms CPU/claim`,
      );
      rows.push(
        `| ${LABELS[mode]}${POSTGRES_SERVER ? ', Postgres' : ''} | ${scenario.perRequest} | ${scenario.clients} | ${r.count} | ${r.seconds.toFixed(2)} | ${rate.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.cpuMsPerClaim?.toFixed(2) ?? '—'} |`,
      );
    }
  return rows.join('\n');
}

if (require.main === module) {
  const modes = process.env.INTAKE_MODES?.split(',') as Mode[] | undefined;
  benchClaimIntake(modes)
    .then((table) => {
      writeSection(join(__dirname, '../../docs/benchmarks.md'), INTAKE_SECTION_MARKERS, table);
      console.log(table);
      process.exit(0);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
