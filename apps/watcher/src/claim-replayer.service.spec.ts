import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  computeModelId,
  encodeModel,
  MODEL_MEDIA_TYPE,
  modelIdOfBytes,
  randomInput,
  randomModel,
} from '@verilay/inference';
import { ANSWER_CAPS } from '@verilay/client';
import type { ClaimFields } from '@verilay/protocol';
import { Queue } from 'bullmq';
import { DEFAULT_PREFIX, REPLAY_QUEUE, ReplayWorker, testRedisUrl } from '@verilay/queue';
import {
  InlineExecutor,
  ReplayExecutor,
  type ExecutorDescription,
  type ReplayJob,
  type ReplayResult,
} from '@verilay/workers';
import { ClaimReplayer } from './claim-replayer.service';
import type { WatcherChain } from './watcher-chain';
import type { WatcherConfig } from './watcher.config';
import type { WatcherMetrics } from './watcher-metrics.service';

const url = testRedisUrl();
const FORGED = `0x${'0f'.repeat(32)}` as const;

/**
 * A worker on someone else's machine that says every claim is wrong (output and trace forged), or
 * a GPU whose driver miscompiles a kernel (a faulty GPU cannot run here: this stands for one).
 */
class LyingExecutor extends ReplayExecutor {
  readonly concurrency = 1;
  readonly calls: string[] = [];
  constructor(
    private readonly inner: ReplayExecutor,
    private readonly kind: 'cpu' | 'gpu' = 'cpu',
  ) {
    super();
  }
  override describe(): ExecutorDescription {
    return { ...super.describe(), kind: this.kind };
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

/** A registry that knows every model, and the config of a watcher reading `server`'s task data. */
function replayerParts(server: Server, config: Partial<WatcherConfig>) {
  const chain = {
    clients: { public: { readContract: async () => true } },
    deployment: { registry: `0x${'11'.repeat(20)}` },
  } as unknown as WatcherChain;
  const metrics = { replaysAbandoned: { inc: () => undefined } } as unknown as WatcherMetrics;
  const full = {
    verifierUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    threads: 1,
    replayTimeoutMs: 30_000,
    replayCacheBytes: 2 ** 20,
    modelCacheBytes: 2 ** 20,
    modelMaxBytes: 2 ** 20,
    checkInflightBytes: 2 ** 20,
    ...config,
  } as WatcherConfig;
  return [chain, full, metrics] as const;
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
    sut = new ClaimReplayer(...replayerParts(server, { redisUrl: db }));
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

describe(`${ClaimReplayer.name} with its checks on a faulty GPU`, () => {
  const model = randomModel({ seed: 12, kind: 'mlp', sizes: [6, 5, 3] });
  const bytes = Buffer.from(encodeModel(model));
  const input = Array.from(randomInput(model, 2));
  const inline = new InlineExecutor();
  let server: Server;

  afterAll(() => server?.close());

  /** A watcher whose checks run on `checks` (all else real: its dispute replays on CPU threads). */
  async function watcherWith(checks: LyingExecutor): Promise<ClaimReplayer> {
    server = createServer((req, res) =>
      req.url?.startsWith('/v1/tasks/')
        ? res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: input }))
        : res.writeHead(200, { 'content-type': MODEL_MEDIA_TYPE }).end(bytes),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new (class extends ClaimReplayer {
      protected override checksExecutor(): ReplayExecutor {
        return checks;
      }
    })(...replayerParts(server, { executor: 'gpu' }));
  }

  it('confirms on the CPU a check the GPU finds wrong before it counts: an honest claim stays right', async () => {
    const gpu = new LyingExecutor(inline, 'gpu');
    const sut = await watcherWith(gpu);
    try {
      const job = {
        id: 'truth',
        modelId: computeModelId(model),
        modelBytes: `0x${bytes.toString('hex')}`,
        input,
        salt: '0x0',
      } as const;
      const truth = await inline.execute(job);
      const claim = {
        modelId: computeModelId(model),
        inputCommitment: truth.inputCommitment,
        outputCommitment: truth.outputCommitment,
        traceRoot: truth.traceRoot,
      } as ClaimFields;
      const replay = await sut.replay(`0x${'c3'.repeat(32)}`, claim);
      expect(gpu.calls).toHaveLength(1);
      expect(replay).toMatchObject({ ok: true, result: { outputCommitment: truth.outputCommitment } });
      expect(sut.executors()).toMatchObject({ checks: { kind: 'gpu' }, disputes: { kind: 'cpu' } });
    } finally {
      await sut.onApplicationShutdown();
    }
  }, 60_000);
});

describe(`${ClaimReplayer.name} with checks in flight together`, () => {
  const model = randomModel({ seed: 13, kind: 'mlp', sizes: [6, 5, 3] });
  const bytes = Buffer.from(encodeModel(model));
  const modelId = computeModelId(model);
  const inline = new InlineExecutor();
  // Bytes that hash to their id (so a registered model's) but do not decode.
  const junk = Buffer.from('not a model at all');
  const junkId = modelIdOfBytes(junk);
  let server: Server;
  let modelRequests = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith('/v1/tasks/')) {
        const n = Number.parseInt(req.url.split('/')[3].slice(-2), 16);
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ data: Array.from(randomInput(model, n)) }));
        return;
      }
      modelRequests += 1;
      // The model answer is slow to come: the concurrent replays are all waiting for it.
      const answer = req.url?.includes(junkId) ? junk : bytes;
      setTimeout(() => res.writeHead(200, { 'content-type': MODEL_MEDIA_TYPE }).end(answer), 50);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => server?.close());

  /** A GPU-like executor that runs many jobs at once and counts them. */
  class CountingExecutor extends ReplayExecutor {
    readonly concurrency = 64;
    running = 0;
    most = 0;
    async execute(job: ReplayJob): Promise<ReplayResult> {
      this.running += 1;
      this.most = Math.max(this.most, this.running);
      try {
        await new Promise((r) => setTimeout(r, 100));
        return await inline.execute(job);
      } finally {
        this.running -= 1;
      }
    }
    close(): Promise<void> {
      return inline.close();
    }
  }

  async function replayAll(checkInflightBytes: number, claims = 6) {
    const executor = new CountingExecutor();
    const sut = new (class extends ClaimReplayer {
      protected override checksExecutor(): ReplayExecutor {
        return executor;
      }
    })(...replayerParts(server, { checkInflightBytes }));
    try {
      const jobs = Array.from({ length: claims }, async (_, n) => {
        const truth = await inline.execute({
          id: `truth-${n}`,
          modelId,
          modelBytes: `0x${bytes.toString('hex')}`,
          input: Array.from(randomInput(model, n)),
          salt: '0x0',
        });
        const claim = { modelId, inputCommitment: truth.inputCommitment } as ClaimFields;
        return sut.replay(`0x${n.toString(16).padStart(64, '0')}`, {
          ...claim,
          outputCommitment: truth.outputCommitment,
        });
      });
      return { replays: await Promise.all(jobs), executor, sut };
    } finally {
      await sut.onApplicationShutdown();
    }
  }

  it('fetches a model once for the checks of it that start together, then runs them together', async () => {
    modelRequests = 0;
    const { replays, executor, sut } = await replayAll(2 ** 20);
    expect(modelRequests).toBe(1);
    expect(replays.every((r) => r.ok)).toBe(true);
    // The first check of a model not cached runs alone (its download's size is not known yet).
    expect(executor.most).toBeGreaterThan(1);
    expect(sut.checkConcurrency()).toBe(64);
  });

  it('keeps the model copies in flight within WATCHER_CHECK_INFLIGHT_MB, and runs a larger model alone', async () => {
    // Each check holds its job's copy of the model (hex: two bytes per byte) and of its input (the
    // answer's cap, the parsed values, the job's copy).
    const elements = model.input.shape.reduce((a, b) => a * b, 1);
    const check = 2 * bytes.length + ANSWER_CAPS.input(elements) + 16 * elements;
    const two = await replayAll(2 * check + 1);
    expect(two.replays.every((r) => r.ok)).toBe(true);
    expect(two.executor.most).toBe(2);
    const alone = await replayAll(check - 1);
    expect(alone.replays.every((r) => r.ok)).toBe(true);
    expect(alone.executor.most).toBe(1);
  });

  it('shares one download among dispute replays of a model not yet here', async () => {
    modelRequests = 0;
    const sut = new ClaimReplayer(...replayerParts(server, {}));
    try {
      const replays = await Promise.all(
        [21, 22, 23].map(async (n) => {
          const input = Array.from(randomInput(model, n));
          const truth = await inline.execute({
            id: `t${n}`,
            modelId,
            modelBytes: `0x${bytes.toString('hex')}`,
            input,
            salt: '0x0',
          });
          const claim = { modelId, inputCommitment: truth.inputCommitment } as ClaimFields;
          return sut.replay(`0x${n.toString(16).padStart(64, '0')}`, claim, { data: input, salt: 0n });
        }),
      );
      expect(replays.every((r) => r.ok)).toBe(true);
      expect(modelRequests).toBe(1);
    } finally {
      await sut.onApplicationShutdown();
    }
  });

  it('fetches a registered model the loader refuses once, not once per claim', async () => {
    modelRequests = 0;
    const sut = new ClaimReplayer(...replayerParts(server, {}));
    try {
      const claim = { modelId: junkId } as ClaimFields;
      for (const n of [31, 32, 33])
        expect(await sut.replay(`0x${n.toString(16).padStart(64, '0')}`, claim)).toMatchObject({
          ok: false,
          verdict: 'bad-data',
          reason: expect.stringMatching(/^the served model does not load/),
        });
      expect(modelRequests).toBe(1);
    } finally {
      await sut.onApplicationShutdown();
    }
  });

  it('confirms the checks a GPU finds wrong on a thread of their own: a dispute replay never waits behind them', async () => {
    const gpu = new LyingExecutor(inline, 'gpu');
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let confirming = 0;
    // The confirmations' thread is held until released (a batch of slow lies).
    const held = new (class extends ReplayExecutor {
      readonly concurrency = 1;
      async execute(job: ReplayJob): Promise<ReplayResult> {
        confirming += 1;
        await released;
        return inline.execute(job);
      }
      close = () => Promise.resolve();
    })();
    let disputeReplays = 0;
    const disputes = new (class extends InlineExecutor {
      override execute(job: ReplayJob): Promise<ReplayResult> {
        disputeReplays += 1;
        return super.execute(job);
      }
    })();
    const threads: ReplayExecutor[] = [disputes, held];
    const sut = new (class extends ClaimReplayer {
      protected override checksExecutor(): ReplayExecutor {
        return gpu;
      }
      protected override cpuThread(): ReplayExecutor {
        return threads.shift()!;
      }
    })(...replayerParts(server, { executor: 'gpu' }));
    try {
      const job = (n: number) => ({
        id: `truth-${n}`,
        modelId,
        modelBytes: `0x${bytes.toString('hex')}` as const,
        input: Array.from(randomInput(model, n)),
        salt: '0x0' as const,
      });
      const claimOf = async (n: number) => {
        const truth = await inline.execute(job(n));
        return {
          modelId,
          inputCommitment: truth.inputCommitment,
          outputCommitment: truth.outputCommitment,
        } as ClaimFields;
      };
      const checks = [1, 2, 3].map(async (n) =>
        sut.replay(`0x${n.toString(16).padStart(64, '0')}`, await claimOf(n)),
      );
      while (confirming < 1) await new Promise((r) => setTimeout(r, 5));
      const dispute = await sut.replay(`0x${'d1'.repeat(32)}`, await claimOf(9), {
        data: job(9).input,
        salt: 0n,
      });
      expect(dispute).toMatchObject({ ok: true });
      expect(sut.executors()).toMatchObject({
        checks: { kind: 'gpu' },
        disputes: { kind: 'cpu' },
        confirmations: { kind: 'cpu' },
      });
      release();
      const confirmed = await Promise.all(checks);
      // Every "wrong" from the GPU was replayed on the confirmations' thread, and found right.
      expect(confirmed.every((r) => r.ok && r.result.outputCommitment !== FORGED)).toBe(true);
      expect(confirming).toBe(3);
      // The dispute over a confirmed lie starts from the confirmation's replay: none again.
      expect(disputeReplays).toBe(1);
      await sut.replay(`0x${(1).toString(16).padStart(64, '0')}`, await claimOf(1), {
        data: job(1).input,
        salt: 0n,
      });
      expect(disputeReplays).toBe(1);
    } finally {
      release();
      await sut.onApplicationShutdown();
    }
  });
});
