import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { computeModelId, encodeModel, MODEL_MEDIA_TYPE, randomInput, randomModel } from '@verilay/inference';
import type { ClaimFields } from '@verilay/protocol';
import { Queue } from 'bullmq';
import { DEFAULT_PREFIX, REPLAY_QUEUE, ReplayWorker, testRedisUrl } from '@verilay/queue';
import { InlineExecutor, ReplayExecutor, type ReplayJob, type ReplayResult } from '@verilay/workers';
import { ClaimReplayer } from './claim-replayer.service';
import type { WatcherChain } from './watcher-chain';
import type { WatcherConfig } from './watcher.config';
import type { WatcherMetrics } from './watcher-metrics.service';

const url = testRedisUrl();
const FORGED = `0x${'0f'.repeat(32)}` as const;

/** A worker on someone else's machine that says every claim is wrong (output and trace forged). */
class LyingExecutor extends ReplayExecutor {
  readonly concurrency = 1;
  readonly calls: string[] = [];
  constructor(private readonly inner: ReplayExecutor) {
    super();
  }
  async execute(job: ReplayJob): Promise<ReplayResult> {
    this.calls.push(job.id);
    const truth = await this.inner.execute(job);
    return {
      ...truth,
      outputCommitment: FORGED,
      traceCommitments: [...truth.traceCommitments.slice(0, -1), FORGED],
    };
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

(url ? describe : describe.skip)(ClaimReplayer.name, () => {
  const model = randomModel({ seed: 11, kind: 'mlp', sizes: [6, 5, 3] });
  const modelId = computeModelId(model);
  const input = Array.from(randomInput(model, 1));
  const inline = new InlineExecutor();
  // The replayer's queue has the default name: a Redis database of this spec's own holds it.
  const db = url && Object.assign(new URL(url), { pathname: `/${1 + (process.pid % 15)}` }).toString();
  const names = { url: db! };
  let server: Server;
  let worker: ReplayWorker;
  let liar: LyingExecutor;
  let sut: ClaimReplayer;
  let truth: ReplayResult;
  let claim: ClaimFields;

  beforeAll(async () => {
    const bytes = Buffer.from(encodeModel(model));
    // The verifier's answers: the model's canonical bytes and the claim's task input.
    server = createServer((req, res) =>
      req.url?.startsWith('/v1/tasks/')
        ? res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ data: input, salt: '0x5' }))
        : res.writeHead(200, { 'content-type': MODEL_MEDIA_TYPE }).end(bytes),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    liar = new LyingExecutor(inline);
    worker = new ReplayWorker({ ...names, executor: liar });
    await worker.ready();
    const chain = {
      clients: { public: { readContract: async () => true } },
      deployment: { registry: `0x${'11'.repeat(20)}` },
    } as unknown as WatcherChain;
    const config = {
      verifierUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      redisUrl: db,
      threads: 1,
      replayTimeoutMs: 30_000,
      replayCacheBytes: 2 ** 20,
      modelCacheBytes: 2 ** 20,
      modelMaxBytes: 2 ** 20,
    } as WatcherConfig;
    const metrics = { replaysAbandoned: { inc: () => undefined } } as unknown as WatcherMetrics;
    sut = new ClaimReplayer(chain, config, metrics);
    truth = await inline.execute({
      id: 'truth',
      modelId,
      modelBytes: `0x${bytes.toString('hex')}`,
      input,
      salt: '0x5',
    });
    claim = {
      modelId,
      inputCommitment: truth.inputCommitment,
      outputCommitment: truth.outputCommitment,
      traceRoot: truth.traceRoot,
    } as ClaimFields;
  }, 60_000);

  afterAll(async () => {
    await sut?.onApplicationShutdown();
    await worker?.close();
    server?.close();
    const queue = new Queue(REPLAY_QUEUE, { connection: { url: db }, prefix: DEFAULT_PREFIX });
    await queue.obliterate({ force: true });
    await queue.close();
  });

  describe('replay', () => {
    it('finds an honest claim right when a remote worker says it is wrong (no bond on its word)', async () => {
      const replay = await sut.replay(`0x${'c1'.repeat(32)}`, claim, { data: input, salt: 5n });
      // A dispute's replay runs here: the worker is not asked at all.
      expect(replay).toMatchObject({ ok: true, result: { traceCommitments: truth.traceCommitments } });
      expect(liar.calls).toEqual([]);
    });

    it('confirms here a check that a remote worker says finds the claim wrong (it is not)', async () => {
      const replay = await sut.replay(`0x${'c2'.repeat(32)}`, claim);
      expect(replay).toMatchObject({ ok: true, result: { outputCommitment: truth.outputCommitment } });
      // The check went to the worker, which lied.
      expect(liar.calls).toHaveLength(1);
    });
  });
});
