import { Queue, QueueEvents } from 'bullmq';
import { computeModelId, encodeModel, randomInput, randomModel } from '@verilay/inference';
import { RedisReplayExecutor, ReplayWorker, testRedisUrl } from '@verilay/queue';
import {
  CpuExecutor,
  InlineExecutor,
  ReplayExecutor,
  type ReplayJob,
  type ReplayResult,
} from '@verilay/workers';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runWorker } from './worker.command';

const url = testRedisUrl();
const defaults = { lockMs: 30_000, jobTimeoutMs: 60_000, limit: 100, progressMs: 5000 };
const CLI = join(__dirname, '../../../../dist/apps/cli/src/main.js');

// Over half a second of replay (a 16-filter conv on 80x80x8: 100k activations to commit) in 260 kB:
// still running when the test stops its worker.
const heavy = randomModel({ seed: 1, kind: 'cnn', sizes: [8, 80, 80, 16, 10] });
const jobOf = (id: string, seed: number): ReplayJob => ({
  id,
  modelId: computeModelId(heavy),
  modelBytes: `0x${Buffer.from(encodeModel(heavy)).toString('hex')}`,
  input: Array.from(randomInput(heavy, seed)),
  salt: '0x0',
});

/** A real `verilay worker` process (the build's CLI), resolved once it waits for jobs. */
async function startWorker(args: string[]): Promise<{ child: ChildProcess; out: () => string }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build`);
  const child = spawn(process.execPath, [CLI, 'worker', '--concurrency', '1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (out.includes('waiting for jobs')) resolve(clearInterval(check));
    }, 50);
    child.once('exit', (code) => reject(new Error(`verilay worker exited (${code}): ${out}`)));
  });
  return { child, out: () => out };
}

const until = async (what: () => Promise<boolean>) => {
  while (!(await what())) await new Promise((r) => setTimeout(r, 25));
};

/**
 * Counts the replays it runs (the worker that takes a job over from a killed one). On a thread: a
 * replay on the event loop would stop the worker renewing its own lock.
 */
class Counting extends ReplayExecutor {
  readonly concurrency = 1;
  readonly ids: string[] = [];
  private readonly inner = new CpuExecutor({ threads: 1 });
  execute(job: ReplayJob): Promise<ReplayResult> {
    this.ids.push(job.id);
    return this.inner.execute(job);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

(url ? describe : describe.skip)('verilay worker', () => {
  let names: { url: string; prefix: string; queue: string };
  let probe: Queue;
  let events: QueueEvents;
  let sut: RedisReplayExecutor;
  const completed: string[] = [];
  const flags = () => ['--redis', names.url, '--prefix', names.prefix, '--queue', names.queue];

  beforeEach(async () => {
    names = { url: url!, prefix: `verilay-test-${process.pid}-${Date.now()}`, queue: 'replay' };
    probe = new Queue(names.queue, { connection: { url: names.url }, prefix: names.prefix });
    events = new QueueEvents(names.queue, { connection: { url: names.url }, prefix: names.prefix });
    events.on('completed', ({ jobId }) => completed.push(jobId));
    await events.waitUntilReady();
    sut = new RedisReplayExecutor(names);
  });
  afterEach(async () => {
    await sut.close();
    await events.close();
    await probe.obliterate({ force: true });
    await probe.close();
    completed.length = 0;
  });

  it('a job whose worker was killed (SIGKILL) is taken by another, and its result stored once', async () => {
    const { child } = await startWorker([...flags(), '--lock-ms', '1000']);
    const job = jobOf('orphan', 1);
    const result = sut.execute(job);
    await until(async () => (await probe.getJobState('orphan')) === 'active');
    child.kill('SIGKILL');
    const rescuer = new Counting();
    const other = new ReplayWorker({
      ...names,
      executor: rescuer,
      stalledIntervalMs: 250,
      lockDurationMs: 1000,
    });
    try {
      expect(await result).toEqual(await new InlineExecutor().execute(job));
      expect(rescuer.ids).toEqual(['orphan']);
      await new Promise((r) => setTimeout(r, 300)); // any late completion event would be read by now
      expect(completed).toEqual(['orphan']);
    } finally {
      await other.close();
    }
  }, 30_000);

  it('SIGTERM finishes the running job, stores it and exits 0; --failed lists failed jobs with reasons', async () => {
    const { child, out } = await startWorker(flags());
    // A model id that is not its bytes': failed at once, never retried.
    const forged = { ...jobOf('forged', 2), modelId: `0x${'ab'.repeat(32)}` as const };
    await expect(sut.execute(forged)).rejects.toThrow(/do not hash to/);
    const result = sut.execute(jobOf('running', 3));
    await until(async () => (await probe.getJobState('running')) === 'active');
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Finished by the stopping worker: no other worker runs here.
    expect(await probe.getJobState('running')).toBe('completed');
    await expect(result).resolves.toMatchObject({ id: 'running' });
    expect(out()).toMatch(/failed forged: REPLAY_REJECTED: model bytes do not hash/);
    expect(out()).toMatch(/SIGTERM: taking no more jobs[\s\S]*stopped: done 1, failed 1/);

    // --failed in this process (a process start is seconds here): what `verilay worker --failed` prints.
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    let listed: string;
    try {
      await runWorker({
        ...defaults,
        redis: names.url,
        prefix: names.prefix,
        queue: names.queue,
        failed: true,
      });
      listed = log.mock.calls.map((c) => String(c[0])).join('\n');
    } finally {
      log.mockRestore();
    }
    const lines = listed
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({
        id: 'forged',
        attempts: 1,
        reason: expect.stringMatching(/^REPLAY_REJECTED: /),
      }),
    ]);
  }, 30_000);
});
