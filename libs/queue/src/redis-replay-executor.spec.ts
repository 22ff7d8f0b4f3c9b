import { Queue, QueueEvents } from 'bullmq';
import { randomArchitecture, randomModel, type Model } from '@verilay/inference';
import { CpuExecutor, InlineExecutor, ReplayRejectedError, type ReplayJob } from '@verilay/workers';
import { CountingExecutor, dropQueue, freshQueue, jobOf } from './queue-test.spec-helper';
import { RemoteReplayError } from './remote-replay.error';
import { bullJobId, connectionOf } from './redis-queue-options';
import { RedisReplayExecutor } from './redis-replay-executor';
import { MalformedReplayJobError } from './replay-job-payload';
import { ReplayWorker } from './replay-worker';
import { testRedisUrl } from './test-redis';

const url = testRedisUrl();
// One for all tests: building its Poseidon takes seconds on the JavaScript path.
const inline = new InlineExecutor();
const mlp = randomModel({ seed: 7, kind: 'mlp', sizes: [12, 8, 3] });

(url ? describe : describe.skip)(RedisReplayExecutor.name, () => {
  let names: ReturnType<typeof freshQueue>;
  const open: { close(): Promise<void> }[] = [];
  const producer = (options: { attempts?: number; backoffMs?: number } = {}) => {
    const sut = new RedisReplayExecutor({ ...names, ...options });
    open.push(sut);
    return sut;
  };
  const worker = (executor: CountingExecutor | CpuExecutor) => {
    const w = new ReplayWorker({ ...names, executor });
    open.push(w);
    return w;
  };

  const events = async () => {
    const e = new QueueEvents(names.queue, { connection: connectionOf(url!), prefix: names.prefix });
    open.push(e);
    await e.waitUntilReady();
    return e;
  };
  const retire = (c: { close(): Promise<void> }) => open.splice(open.indexOf(c), 1)[0].close();

  beforeEach(() => {
    names = freshQueue(url!);
  });
  afterEach(async () => {
    for (const c of open.splice(0).reverse()) await c.close();
    await dropQueue(names);
  });

  describe('execute', () => {
    it('replays an id once, for every submission from every producer, before and after it ran', async () => {
      const counting = new CountingExecutor(inline);
      worker(counting);
      const [a, b] = [producer(), producer()];
      // The watcher's ids hold ':' (claim:input hash), which BullMQ ids may not.
      const job = jobOf('0xc1a1:5e3d', mlp);
      const results = await Promise.all([a.execute(job), a.execute(job), b.execute(job)]);
      results.push(await b.execute(job));
      expect(counting.calls).toHaveLength(1);
      const expected = await inline.execute(job);
      for (const r of results) expect(r).toEqual(expected);
      // Another id is another job.
      await a.execute({ ...job, id: '0xc1a1:0000' });
      expect(counting.calls.map((c) => c.id)).toEqual(['0xc1a1:5e3d', '0xc1a1:0000']);
    });

    it('retries a job whose worker failed, with exponential backoff, up to its attempts', async () => {
      const counting = new CountingExecutor(inline, 2);
      const first = worker(counting);
      const sut = producer({ attempts: 3, backoffMs: 150 });
      const result = await sut.execute(jobOf('flaky', mlp));
      expect(result.id).toBe('flaky');
      const at = counting.calls.map((c) => c.at);
      expect(at).toHaveLength(3);
      expect(at[1] - at[0]).toBeGreaterThanOrEqual(150);
      expect(at[2] - at[1]).toBeGreaterThanOrEqual(300);

      // Failing every attempt: failed for good, with the last reason, and listed.
      const always = new CountingExecutor(inline, Infinity);
      await retire(first);
      const second = worker(always);
      const failing = producer({ attempts: 2, backoffMs: 50 });
      await expect(failing.execute(jobOf('doomed', mlp))).rejects.toThrow(RemoteReplayError);
      expect(always.calls).toHaveLength(2);
      expect(await sut.failed()).toEqual([
        expect.objectContaining({ id: 'doomed', attempts: 2, reason: 'the worker lost its thread' }),
      ]);
      // The workers' fault, not the job's: submitted again, it runs again.
      await retire(second);
      worker(new CountingExecutor(inline));
      await expect(failing.execute(jobOf('doomed', mlp))).resolves.toMatchObject({ id: 'doomed' });
    });

    it('stores a model once in Redis, not in every job, and stores it again when it went missing', async () => {
      const first = worker(new CountingExecutor(inline));
      const sut = producer({ attempts: 2, backoffMs: 50 });
      await sut.execute(jobOf('first', mlp, 1));
      const probe = new Queue(names.queue, { connection: { url: names.url }, prefix: names.prefix });
      open.push(probe);
      expect((await probe.getJob('first'))?.data).not.toHaveProperty('modelBytes');
      const client = await probe.client;
      const key = `${names.prefix}:${names.queue}:model:${jobOf('', mlp).modelId}`;
      expect(Buffer.from((await client.get(key))!, 'base64')).toEqual(
        Buffer.from(jobOf('', mlp).modelBytes.slice(2), 'hex'),
      );
      // Flushed (or expired): the next job cannot replay, is retried, fails; submitted again, it runs.
      await client.del(key);
      await retire(first); // a worker that read it keeps it: a fresh one must read Redis
      worker(new CountingExecutor(inline));
      await expect(sut.execute(jobOf('second', mlp, 2))).rejects.toThrow(/is not stored in Redis/);
      await expect(sut.execute(jobOf('second', mlp, 2))).resolves.toMatchObject({ id: 'second' });
    });

    it('drops model bytes a Redis writer put under a model id: stored again, not a failure for good', async () => {
      // Fresh threads: an executor that decoded the model before knows it by id, bytes unread.
      const model = randomModel({ seed: 21, kind: 'mlp', sizes: [7, 4, 2] });
      const first = worker(new CpuExecutor({ threads: 1 }));
      const sut = producer({ attempts: 2, backoffMs: 50 });
      await sut.execute(jobOf('before', model, 1));
      const probe = new Queue(names.queue, { connection: { url: names.url }, prefix: names.prefix });
      open.push(probe);
      const other = jobOf('', randomModel({ seed: 22, kind: 'mlp', sizes: [7, 4, 2] }));
      await (
        await probe.client
      ).set(
        `${names.prefix}:${names.queue}:model:${jobOf('', model).modelId}`,
        Buffer.from(other.modelBytes.slice(2), 'hex').toString('base64'),
      );
      await retire(first);
      worker(new CpuExecutor({ threads: 1 }));
      const job = jobOf('after', model, 2);
      await expect(sut.execute(job)).rejects.toThrow(/is not stored in Redis/);
      await expect(sut.execute(job)).resolves.toEqual(await inline.execute(job));
    }, 60_000);

    it('fails a malformed job at once with its reason, never retried, and lists it', async () => {
      // A fresh executor: one that decoded the model before knows it by id and never reads bytes again.
      const counting = new CountingExecutor(new InlineExecutor());
      worker(counting);
      const sut = producer({ attempts: 3, backoffMs: 50 });
      const good = jobOf('good', mlp);
      const other = randomModel({ seed: 8, kind: 'mlp', sizes: [12, 8, 3] });
      const cases: [ReplayJob, new (...a: never[]) => Error, RegExp][] = [
        [
          { ...good, id: 'no-input', input: 'x' as unknown as number[] },
          MalformedReplayJobError,
          /input must be/,
        ],
        [{ ...good, id: 'not-a-model', modelBytes: '0xdeadbeef' }, ReplayRejectedError, /./],
        [
          { ...good, id: 'wrong-id', modelId: jobOf('', other).modelId },
          ReplayRejectedError,
          /do not hash to/,
        ],
      ];
      for (const [job, type, reason] of cases) {
        const failed = sut.execute(job);
        await expect(failed).rejects.toThrow(type);
        await expect(failed).rejects.toThrow(reason);
      }
      // The payload that is no job never reached the executor; the others ran once each.
      expect(counting.calls.map((c) => c.id)).toEqual(['not-a-model', 'wrong-id']);
      const listed = await sut.failed();
      expect(listed.map((f) => [f.id, f.attempts]).sort()).toEqual([
        ['no-input', 1],
        ['not-a-model', 1],
        ['wrong-id', 1],
      ]);
      expect(listed.find((f) => f.id === 'wrong-id')?.reason).toMatch(
        /^REPLAY_REJECTED: model bytes do not hash/,
      );
      // Submitted again, it fails the same way without running again.
      await expect(sut.execute(cases[2][0])).rejects.toThrow(ReplayRejectedError);
      expect(counting.calls).toHaveLength(2);
    });

    it('replays its own job when a Redis writer took its id first with another input (one it can predict)', async () => {
      // The attack: the defender's ids are `dispute-<n>-<claim>` and the watcher's `<claim>:<input
      // hash>`, both known in advance. A job planted under one with another input, replayed by an
      // honest worker, was the producer's answer for good (kept by id): the defender read it as
      // "the stored input changed" and never moved, until its clock ran out and the honest claim
      // was slashed; the watcher read "bad data" every retry and never disputed the lie.
      const counting = new CountingExecutor(inline);
      worker(counting);
      const job = jobOf('dispute-7-0xc1a1', mlp, 1);
      const attacker = new Queue(names.queue, { connection: connectionOf(url!), prefix: names.prefix });
      open.push(attacker);
      const planted = await attacker.add('replay', jobOf(job.id, mlp, 2), { jobId: bullJobId(job.id) });
      await planted.waitUntilFinished(await events());
      const sut = producer();
      const expected = await inline.execute(job);
      await expect(sut.execute(job)).resolves.toEqual(expected);
      // Answered for good: submitted again, the stored job is its own and runs no more.
      await expect(producer().execute(job)).resolves.toEqual(expected);
      expect(counting.calls).toHaveLength(2);
      // The right input with bytes that are not the model's: a failure for good (REPLAY_REJECTED).
      const other = jobOf('0xc1a1:5e3d', randomModel({ seed: 9, kind: 'mlp', sizes: [5, 4, 2] }), 3);
      const rejected = await attacker.add(
        'replay',
        { ...other, modelBytes: '0xdeadbeef' },
        { jobId: bullJobId(other.id) },
      );
      await rejected.waitUntilFinished(await events()).catch(() => undefined);
      await expect(sut.execute(other)).resolves.toEqual(await inline.execute(other));
    });

    it('gives results bit-identical to the in-process executor on random models', async () => {
      worker(new CpuExecutor({ threads: 1 }));
      const sut = producer();
      const models: Model[] = [
        ...Array.from({ length: 16 }, (_, i) =>
          randomModel({
            seed: 100 + i,
            kind: 'mlp',
            sizes: [4 + i, 3 + (i % 5), 2 + (i % 3)],
            argmax: i % 2 === 0,
          }),
        ),
        ...Array.from({ length: 4 }, (_, i) =>
          randomModel({ seed: 200 + i, kind: 'cnn', sizes: [1, 6, 6, 2, 3] }),
        ),
        ...Array.from({ length: 12 }, (_, i) => randomArchitecture(300 + i)),
      ];
      const jobs = models.map((m, i) => jobOf(`random-${i}`, m, i + 1, `0x${(i * 7919).toString(16)}`));
      const remote = await Promise.all(jobs.map((j) => sut.execute(j)));
      for (const [i, job] of jobs.entries()) expect(remote[i]).toEqual(await inline.execute(job));
    }, 60_000);
  });
});
