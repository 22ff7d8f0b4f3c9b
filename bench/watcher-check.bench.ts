// How fast a watcher checks a batch: claims checked per second by the real CheckerService and
// ClaimReplayer (apps/watcher), from a batch posted on anvil to a verdict per claim in its sqlite
// file, with the verifier's answers (batch data, the model's bytes, each task input) served over
// loopback HTTP. 256 honest claims of the MNIST MLP, each with its own input, so every claim is
// fetched, replayed (trace and Poseidon commitments) and recorded. One claim at a time (before
// WATCHER_CHECK_CONCURRENCY) against the default concurrency, on CPU threads and, when an adapter
// opens, on the GPU executor (on lavapipe a software rasteriser on the same cores: the row shows
// that batching works, not a GPU's speed).
// `npm run bench:watcher-check` rewrites its section of docs/benchmarks.md.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createChainClients,
  defaultClaimsParameters,
  deployContracts,
  depositBond,
  devAccount,
  postBatch,
  registerModel,
  startAnvil,
} from '@verilay/chain';
import { BatchTree, claimLeaf, toHex32 } from '@verilay/commitments';
import { computeModelId, encodeModel, MODEL_MEDIA_TYPE, parseModel, randomInput } from '@verilay/inference';
import type { ClaimFields } from '@verilay/protocol';
import { watcherDataSourceOptions, WatcherRepository } from '@verilay/storage';
import { CpuExecutor, probeGpu, type ExecutorKind } from '@verilay/workers';
import { DataSource } from 'typeorm';
import { CheckerService } from '../apps/watcher/src/checker.service';
import { ClaimReplayer } from '../apps/watcher/src/claim-replayer.service';
import { FollowerService } from '../apps/watcher/src/follower.service';
import { WatcherChain } from '../apps/watcher/src/watcher-chain';
import { loadWatcherConfig } from '../apps/watcher/src/watcher.config';
import { WatcherMetrics } from '../apps/watcher/src/watcher-metrics.service';
import { sectionMarkers, writeSection } from './bench-sections';

export const WATCHER_CHECK_SECTION_MARKERS = sectionMarkers('watcher-check', 'bench/watcher-check.bench.ts');
const ROOT = join(__dirname, existsSync(join(__dirname, '../package.json')) ? '..' : '../..');
const CLAIMS = 256;
/** Claims outside the batch, replayed first: the threads start and the model loads untimed. */
const WARM = 8;

interface Row {
  readonly executor: Exclude<ExecutorKind, 'auto'>;
  /** WATCHER_CHECK_CONCURRENCY; undefined: the default (four per thread, 64 on a GPU). */
  readonly concurrency?: number;
}

export async function benchWatcherCheck(): Promise<string> {
  const model = parseModel(readFileSync(join(ROOT, 'models/mnist/mnist-mlp.model.json'), 'utf8'));
  const bytes = Buffer.from(encodeModel(model));
  const modelId = computeModelId(model);
  const inputs = Array.from({ length: CLAIMS + WARM }, (_, i) => Array.from(randomInput(model, i + 1)));
  // The claims' true commitments (not timed).
  const truth = new CpuExecutor({ threads: 2 });
  const results = await Promise.all(
    inputs.map((input, i) =>
      truth.execute({
        id: `truth-${i}`,
        modelId,
        modelBytes: `0x${bytes.toString('hex')}`,
        input,
        salt: toHex32(BigInt(i + 1)),
      }),
    ),
  );
  await truth.close();
  const operator = devAccount(3).address;
  const all = results.map((r) => {
    const fields: ClaimFields = {
      modelId,
      taskId: toHex32(BigInt(r.id.slice('truth-'.length)) + 1n),
      inputCommitment: r.inputCommitment,
      outputCommitment: r.outputCommitment,
      traceRoot: r.traceRoot,
      operator,
    };
    return { ...fields, claimId: claimLeaf(fields), signature: '0x00' };
  });
  const byClaim = new Map(all.map((c, i) => [c.claimId, i]));
  const [claims, warm] = [all.slice(0, CLAIMS), all.slice(CLAIMS)];
  const root = new BatchTree(claims.map((c) => c.claimId)).root;

  const anvil = await startAnvil();
  const dir = mkdtempSync(join(tmpdir(), 'verilay-watcher-bench-'));
  let batch: unknown;
  // The verifier's three answers: the batch, the model's canonical bytes, a claim's task input.
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url.startsWith('/v1/batches/'))
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(batch));
    if (url.startsWith('/v1/models/'))
      return res.writeHead(200, { 'content-type': MODEL_MEDIA_TYPE }).end(bytes);
    const i = byClaim.get(url.split('/')[3] as `0x${string}`);
    if (i === undefined) return res.writeHead(404).end();
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ data: inputs[i], salt: toHex32(BigInt(i + 1)) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const lines: string[] = [];
  try {
    const connection = { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId };
    const owner = createChainClients(connection, devAccount(0));
    const deployment = await deployContracts(owner, defaultClaimsParameters(devAccount(9).address));
    // Registered for bisection only (any contract stands in for the step verifiers: none is called).
    await registerModel(owner, deployment, {
      modelId,
      stepVerifiers: model.layers.map(() => deployment.claims),
      traceLength: model.layers.length,
    });
    const sequencer = createChainClients(connection, devAccount(1));
    await depositBond(sequencer, deployment, 10n ** 18n);
    const { batchIndex } = await postBatch(sequencer, deployment, { root, count: CLAIMS, dataHash: root });
    batch = { chainIndex: Number(batchIndex), root, count: CLAIMS, postTx: null, claims };
    const gpu = probeGpu();
    const rows: Row[] = [
      { executor: 'cpu', concurrency: 1 },
      { executor: 'cpu', concurrency: 2 },
      { executor: 'cpu' },
      ...('adapter' in gpu
        ? [{ executor: 'gpu', concurrency: 1 } as const, { executor: 'gpu' } as const]
        : []),
    ];
    let base = 0;
    for (const [n, row] of rows.entries()) {
      const env = {
        WATCHER_RPC_URL: anvil.rpcUrl,
        WATCHER_CHAIN_ID: String(anvil.chainId),
        WATCHER_CLAIMS_CONTRACT: deployment.claims,
        WATCHER_REGISTRY_CONTRACT: deployment.registry,
        WATCHER_VERIFIER_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        WATCHER_THREADS: '2',
        VERILAY_EXECUTOR: row.executor,
        ...(row.concurrency ? { WATCHER_CHECK_CONCURRENCY: String(row.concurrency) } : {}),
      };
      const config = loadWatcherConfig(env);
      const db = await new DataSource(watcherDataSourceOptions(join(dir, `${n}.sqlite`))).initialize();
      const repository = new WatcherRepository(db);
      const chain = new WatcherChain(createChainClients(connection, devAccount(2)), deployment, 10n ** 17n);
      const metrics = new WatcherMetrics();
      const replayer = new ClaimReplayer(chain, config, metrics);
      try {
        await new FollowerService(chain, repository, config, metrics).follow();
        const checker = new CheckerService(repository, replayer, chain, config, metrics);
        await Promise.all(warm.map((c) => replayer.replay(c.claimId, c)));
        const start = performance.now();
        await checker.checkAll();
        const seconds = (performance.now() - start) / 1000;
        const checked = await repository.counts();
        const correct = (
          await Promise.all(claims.map((c) => repository.verdict(Number(batchIndex), c.claimId)))
        ).filter((v) => v === 'correct').length;
        if (correct !== CLAIMS)
          throw new Error(`${correct} of ${CLAIMS} claims found correct: ${JSON.stringify(checked)}`);
        const rate = CLAIMS / seconds;
        if (n === 0) base = rate;
        const d = replayer.executors().checks;
        const where =
          d.kind === 'gpu' ? `GPU (${d.adapter?.name ?? 'adapter'})` : `CPU, ${config.threads} threads`;
        lines.push(
          `| ${where} | ${row.concurrency ?? `${replayer.checkConcurrency()} (default)`} | ${seconds.toFixed(2)} s | ${rate.toFixed(0)} | ${(rate / base).toFixed(2)}× |`,
        );
        console.log(lines.at(-1));
      } finally {
        await replayer.onApplicationShutdown();
        await db.destroy();
      }
    }
  } finally {
    server.close();
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return [
    `${CLAIMS} honest MNIST MLP claims in one batch, each fetched, replayed and recorded (${WARM} claims`,
    `outside the batch are replayed first, untimed: the threads start and the model is fetched).`,
    `CPU: ${cpus().length} × ${cpus()[0].model}.`,
    '',
    '| checks run on | claims at once | batch checked in | claims/s | vs one at a time on the CPU |',
    '|---|---:|---:|---:|---:|',
    ...lines,
  ].join('\n');
}

if (require.main === module)
  benchWatcherCheck().then(
    (section) => writeSection(join(ROOT, 'docs/benchmarks.md'), WATCHER_CHECK_SECTION_MARKERS, section),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
