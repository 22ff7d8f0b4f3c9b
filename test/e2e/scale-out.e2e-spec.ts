// The scaled set-up on real servers (issue 15): Postgres, Redis and anvil; two verifier replicas on
// one database, two `verilay worker` processes on one queue, and a watcher replaying through them.
// Mid-work the leader replica and a busy worker are SIGKILLed: no acknowledged claim is lost or
// doubled, no batch is posted twice, every replay is stored once, and the lie is still slashed.
import {
  createChainClients,
  defaultClaimsParameters,
  deployContracts,
  depositBond,
  devAccount,
  devPrivateKey,
  startAnvil,
  verilayClaimsAbi,
  type AnvilInstance,
  type VerilayDeployment,
} from '@verilay/chain';
import { API_SCOPES, buildClaim, mintApiKey, VerifierProcess, WatcherProcess } from '@verilay/client';
import { createTensorCommitter, toHex32 } from '@verilay/commitments';
import { computeModelId, encodeModel, modelToJson, randomInput, randomModel } from '@verilay/inference';
import { bullJobId, RedisReplayExecutor, testRedisUrl } from '@verilay/queue';
import { testPostgresUrl } from '@verilay/storage';
import { InlineExecutor, type ReplayJob } from '@verilay/workers';
import { claimDomain } from '@verilay/protocol';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { decodeFunctionData, toHex } from 'viem';
import {
  CLI_ENTRY,
  eventually,
  sleep,
  TEST_CACHE,
  VERIFIER_ENTRY,
  WATCHER_ENTRY,
  watcherEnv,
} from './support/e2e';

const pgUrl = testPostgresUrl();
const redisUrl = testRedisUrl();

const { token: API_TOKEN, entry: API_KEYS } = mintApiKey('admin', API_SCOPES);

/** A `verilay worker` process on the test's queue; a job it dies holding is taken again after ~2 s. */
function startWorker(redis: string, name: string): ChildProcess & { logs: string } {
  const child = spawn(
    process.execPath,
    [CLI_ENTRY, 'worker', '--redis', redis, '--concurrency', '1', '--lock-ms', '2000', '--name', name],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  ) as ChildProcess & { logs: string };
  child.logs = '';
  const keep = (d: Buffer) => (child.logs = (child.logs + d.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return child;
}

(pgUrl && redisUrl ? describe : describe.skip)('scale-out on Postgres and Redis (e2e)', () => {
  const model = randomModel({ seed: 6, kind: 'mlp', sizes: [6, 4, 3], argmax: true, name: 'scaled' });
  const database = `verilay_e2e_${randomBytes(4).toString('hex')}`;
  // The test's own Redis database (keys of other specs' queues are elsewhere).
  const redis = `${redisUrl!.replace(/\/\d*$/, '')}/${9 + (randomBytes(1)[0] % 6)}`;
  let dir: string;
  let anvil: AnvilInstance;
  let deployment: VerilayDeployment;
  const replicas: (VerifierProcess | undefined)[] = [];
  const workers: (ChildProcess & { logs: string })[] = [];
  let watcher: WatcherProcess | undefined;
  let admin: Client;

  /** A raw JSON-RPC call to the test's anvil (its evm_* and txpool_* methods). */
  const rpc = (method: string, params: unknown[]) =>
    fetch(anvil.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });

  const replicaEnv = (name: string): Record<string, string> => ({
    VERIFIER_DATABASE_URL: `${pgUrl!.replace(/\/[^/]*$/, '')}/${database}`,
    VERIFIER_REPLICA_ID: name,
    VERIFIER_LEADER_POLL_MS: '300',
    VERIFIER_BATCH_INTERVAL_MS: '300',
    VERIFIER_API_KEYS: API_KEYS,
    VERILAY_REDIS_URL: redis,
    CHAIN_RPC_URL: anvil.rpcUrl,
    VERILAY_CHAIN_ID: String(anvil.chainId),
    VERILAY_CLAIMS_CONTRACT: deployment.claims,
    VERILAY_REGISTRY_CONTRACT: deployment.registry,
    CHAIN_DEPLOY_BLOCK: deployment.deployBlock.toString(),
    VERIFIER_SEQUENCER_KEY: devPrivateKey(1),
    VERILAY_CACHE_DIR: TEST_CACHE,
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-scale-e2e-'));
    admin = new Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    anvil = await startAnvil({ blockTime: 1 });
    const deployer = createChainClients({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }, devAccount(0));
    deployment = await deployContracts(deployer, {
      ...defaultClaimsParameters(devAccount(0).address),
      challengeWindow: 25n,
      clock: 15n,
      withdrawalDelay: 25n,
    });
    for (const i of [1, 2]) {
      const c = createChainClients({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }, devAccount(i));
      await depositBond(c, deployment, 3n * 10n ** 18n);
    }
    // Replica a boots first (it runs the migrations); b joins it.
    replicas[0] = await VerifierProcess.start(VERIFIER_ENTRY, replicaEnv('a'), undefined, API_TOKEN);
    replicas[1] = await VerifierProcess.start(VERIFIER_ENTRY, replicaEnv('b'), undefined, API_TOKEN);
    const file = join(dir, 'model.json');
    writeFileSync(file, JSON.stringify(modelToJson(model)));
    await promisify(execFile)(process.execPath, [
      CLI_ENTRY,
      ...['model', 'register', file, '--rpc-url', anvil.rpcUrl, '--registry', deployment.registry],
      ...['--dev-registrar', '--steps', '--no-whole', '--cache-dir', TEST_CACHE],
    ]);
    // At the API of either replica (the database is shared: the other knows it at once).
    await replicas[0].client.registerModel(modelToJson(model));
    expect((await replicas[1].client.registerModel(modelToJson(model))).created).toBe(false);
    const flush = new IORedis(redis);
    await flush.flushdb();
    flush.disconnect();
    workers.push(startWorker(redis, 'w0'), startWorker(redis, 'w1'));
  }, 600_000);

  afterAll(async () => {
    // Mining back on (a failed test may leave it off, and replicas would wait on their receipts).
    if (anvil) await rpc('evm_setIntervalMining', [1]).catch(() => undefined);
    await watcher?.stop();
    for (const r of replicas) await r?.stop();
    for (const w of workers) w.kill('SIGKILL');
    await anvil?.stop();
    if (admin) {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('loses no acknowledged claim, posts no batch twice, replays each job once, and still slashes the lie', async () => {
    const leaderOf = async () => {
      for (const r of replicas) {
        if (!r) continue;
        const health = (await r.client.health().catch(() => undefined)) as
          { details?: { cluster?: { role?: string; replica?: string } } } | undefined;
        if (health?.details?.cluster?.role === 'leader') return r;
      }
      return undefined;
    };
    const leader = await eventually(leaderOf, 10_000, 'a leader');
    const follower = replicas.find((r) => r !== leader)!;

    const committer = await createTensorCommitter();
    const domain = claimDomain(anvil.chainId, deployment.claims);
    let task = 0;
    const claim = (lie = false) =>
      buildClaim({
        model,
        input: randomInput(model, ++task),
        taskId: toHex32(BigInt(task)),
        account: devAccount(2),
        domain,
        committer,
        salt: 5n,
        ...(lie ? { lie: (out: Int32Array) => out.map((v) => v + 1) } : {}),
      });

    // Load on both replicas; what each acknowledges (201 with ids) must all come through.
    const acknowledged = new Set<string>();
    let submitting = true;
    const load = (target: () => VerifierProcess | undefined) =>
      (async () => {
        while (submitting) {
          const batch = await Promise.all([claim(), claim(), claim()]);
          const r = target();
          if (!r) break;
          try {
            for (const c of (await r.client.submitClaims(batch)).claims) acknowledged.add(c.claimId);
          } catch {
            // A replica killed mid-request acknowledged nothing of this request.
          }
          await sleep(50);
        }
      })();
    const loads = [load(() => replicas[0]), load(() => replicas[1])];
    const lie = (await follower.client.submitClaims([await claim(true)])).claims[0].claimId as `0x${string}`;
    acknowledged.add(lie);
    await sleep(1500);

    watcher = await WatcherProcess.start(WATCHER_ENTRY, {
      ...watcherEnv(
        {
          rpcUrl: anvil.rpcUrl,
          chainId: anvil.chainId,
          claims: deployment.claims,
          registry: deployment.registry,
          deployBlock: deployment.deployBlock.toString(),
        } as never,
        follower.url,
        join(dir, 'watcher.sqlite'),
      ),
      VERILAY_REDIS_URL: redis,
    });

    const reader = createChainClients({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }, devAccount(7));
    // The leader and a worker busy with a replay die mid-work.
    const replayQueue = new Queue('replay', { connection: { url: redis }, prefix: 'verilay' });
    // A worker is killed while it holds a job. A replay of a model no worker has seen takes over a
    // second (its 8 MB are read from Redis, decoded and hashed), so the job is held when the kill
    // comes; its name on the job says which worker holds it. Another takes the job and its result
    // is the in-process executor's, bit for bit.
    const heavy = randomModel({ seed: 77, kind: 'mlp', sizes: [2048, 2048, 2048, 10], argmax: true });
    const heavyJob: ReplayJob = {
      id: `heavy-${randomBytes(4).toString('hex')}`,
      modelId: computeModelId(heavy),
      modelBytes: toHex(encodeModel(heavy)),
      input: [...randomInput(heavy, 1)],
      salt: '0x0',
    };
    const producer = new RedisReplayExecutor({ url: redis });
    const heavyResult = producer.execute(heavyJob);
    const busy = await eventually(
      async () => {
        const job = await replayQueue.getJob(bullJobId(heavyJob.id));
        return job && (await job.getState()) === 'active' && job.processedBy ? job : undefined;
      },
      60_000,
      'a busy worker',
    );
    const victim = busy.processedBy === 'w0' ? 0 : 1;
    workers[victim].kill('SIGKILL');
    // The chain stops mining, so the leader's next batch is sent and left pending; then the leader
    // dies. Its successor must not post that batch again: it waits for the pending transaction and
    // adopts the batch once it is mined.
    const sequencer = devAccount(1).address;
    const pending = async () =>
      (await reader.public.getTransactionCount({ address: sequencer, blockTag: 'pending' })) -
      (await reader.public.getTransactionCount({ address: sequencer, blockTag: 'latest' }));
    /** The sequencer's pending transactions' function names. */
    const pendingCalls = async () => {
      const pool = (await (await rpc('txpool_content', [])).json()) as {
        result: { pending: Record<string, Record<string, { input: `0x${string}` }>> };
      };
      const mine = Object.entries(pool.result.pending).find(
        ([a]) => a.toLowerCase() === sequencer.toLowerCase(),
      );
      return Object.values(mine?.[1] ?? {}).map(
        (tx) => decodeFunctionData({ abi: verilayClaimsAbi, data: tx.input }).functionName,
      );
    };
    // Stop mining until the leader's pending transaction is a batch (it may be another first).
    await eventually(
      async () => {
        await rpc('evm_setIntervalMining', [0]);
        const end = Date.now() + 3000;
        while ((await pending()) === 0 && Date.now() < end) await sleep(20);
        if ((await pendingCalls()).includes('postBatch')) return true;
        await rpc('evm_setIntervalMining', [1]);
        await sleep(1500);
        return undefined;
      },
      60_000,
      'a batch sent, not mined',
    );
    await leader.kill();
    replicas[replicas.indexOf(leader)] = undefined;
    const survivor = follower;
    await eventually(
      async () => ((await leaderOf()) === survivor ? true : undefined),
      15_000,
      'a new leader',
    );
    await sleep(2000); // several of the new leader's ticks
    expect((await pendingCalls()).filter((f) => f === 'postBatch')).toHaveLength(1);
    await rpc('evm_setIntervalMining', [1]);
    await eventually(
      async () => ((await leaderOf()) === survivor ? true : undefined),
      15_000,
      'a new leader',
    );
    await sleep(3000);
    submitting = false;
    await Promise.all(loads);

    // Every acknowledged claim is stored, once, in exactly one batch, and reaches a verdict.
    const statuses = new Map<string, string>();
    await eventually(
      async () => {
        for (const id of acknowledged) {
          if (['final', 'slashed'].includes(statuses.get(id) ?? '')) continue;
          statuses.set(id, (await survivor.client.getClaim(id as `0x${string}`)).status);
        }
        return [...statuses.values()].every((s) => s === 'final' || s === 'slashed') ? true : undefined;
      },
      180_000,
      'every acknowledged claim final or slashed',
    );
    expect(statuses.get(lie)).toBe('slashed');
    expect([...statuses.entries()].filter(([id, s]) => id !== lie && s !== 'final')).toEqual([]);

    // Each stored claim in exactly one batch (a claim killed mid-request may be stored unacknowledged).
    const db = new Client({ connectionString: replicaEnv('x').VERIFIER_DATABASE_URL });
    await db.connect();
    const [{ claims, batched, onChain }] = (
      await db.query<{ claims: string; batched: string; onChain: string }>(
        `SELECT (SELECT count(*) FROM claims) AS claims, (SELECT coalesce(sum(count), 0) FROM batches) AS batched,
           (SELECT count(*) FROM batches WHERE "chainIndex" IS NOT NULL) AS "onChain"`,
      )
    ).rows;
    await db.end();
    expect(Number(batched)).toBe(Number(claims));
    expect(Number(claims)).toBeGreaterThanOrEqual(acknowledged.size);

    // No batch root posted twice on chain.
    const posted = await reader.public.getContractEvents({
      address: deployment.claims,
      abi: verilayClaimsAbi,
      eventName: 'BatchPosted',
      fromBlock: deployment.deployBlock,
    });
    const roots = posted.map((e) => e.args.root);
    expect(new Set(roots).size).toBe(roots.length);
    expect(roots.length).toBe(Number(onChain));

    // The job the killed worker held was done by the other one.
    await eventually(
      async () => ((await replayQueue.getJobState(busy.id!)) === 'completed' ? true : undefined),
      30_000,
      "the killed worker's job done",
    );
    expect((await replayQueue.getJob(busy.id!))!.processedBy).toBe(`w${1 - victim}`);
    expect(await heavyResult).toEqual(await new InlineExecutor().execute(heavyJob));
    await producer.close();
    // Each replay job done once: every completed job id is unique, none failed.
    const completed = await replayQueue.getCompleted();
    const ids = completed.map((j) => j.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(await replayQueue.getFailedCount()).toBe(0);
    await replayQueue.close();
  }, 600_000);
});
