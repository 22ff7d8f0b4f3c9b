import { Queue } from 'bullmq';
import { randomModel } from '@verilay/inference';
import { InlineExecutor } from '@verilay/workers';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CountingExecutor, freshQueue, jobOf } from './queue-test.spec-helper';
import { RedisReplayExecutor } from './redis-replay-executor';
import { connectionOf } from './redis-queue-options';
import { ReplayWorker } from './replay-worker';
import { testRedisUrl } from './test-redis';

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** A private Redis, as scripts/services.sh starts one: an append-only file fsynced on every write. */
async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  child.stdout!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: string) => {
      seen += chunk;
      if (seen.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${seen}`)));
  });
  return child;
}

// The shared server only says Redis is installed here: this spec restarts a private one.
(testRedisUrl() ? describe : describe.skip)('RedisReplayExecutor across a Redis restart', () => {
  let dir: string;
  let redis: ChildProcess | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-redis-'));
  });
  afterAll(() => {
    redis?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('reconnects the worker and the producer by themselves, and an acknowledged job is still done', async () => {
    const port = await freePort();
    redis = await startRedis(port, dir);
    const names = freshQueue(`redis://127.0.0.1:${port}`);
    const counting = new CountingExecutor(new InlineExecutor());
    const worker = new ReplayWorker({ ...names, executor: counting });
    const sut = new RedisReplayExecutor(names);
    const probe = new Queue(names.queue, { connection: connectionOf(names.url), prefix: names.prefix });
    probe.on('error', () => {});
    try {
      const model = randomModel({ seed: 11, kind: 'mlp', sizes: [10, 6, 4] });
      const inline = new InlineExecutor();
      await expect(sut.execute(jobOf('before', model, 1))).resolves.toEqual(
        await inline.execute(jobOf('before', model, 1)),
      );

      // A job acknowledged (stored, fsynced) while the worker takes none, then Redis dies hard.
      await worker.pause();
      const acknowledged = sut.execute(jobOf('acknowledged', model, 2));
      while ((await probe.getJobState('acknowledged')) !== 'waiting')
        await new Promise((r) => setTimeout(r, 20));
      redis.kill('SIGKILL');
      await new Promise((r) => redis!.once('exit', r));
      redis = await startRedis(port, dir);

      worker.resume();
      await expect(acknowledged).resolves.toEqual(await inline.execute(jobOf('acknowledged', model, 2)));
      await expect(sut.execute(jobOf('after', model, 3))).resolves.toEqual(
        await inline.execute(jobOf('after', model, 3)),
      );
      expect(counting.calls.map((c) => c.id)).toEqual(['before', 'acknowledged', 'after']);
    } finally {
      await probe.close();
      await sut.close();
      await worker.close();
    }
  }, 30_000);
});
