import {
  computeModelId,
  encodeModel,
  randomInput,
  randomModel,
  randomTransformer,
  type Model,
} from '@verilay/inference';
import { CpuExecutor } from './cpu-executor';
import { GpuExecutor } from './gpu-executor';
import { ReplayRejectedError } from './replay-rejected.error';
import type { ReplayJob, ReplayResult } from './replay-job';
import { testGpuAdapter } from './test-gpu';

const job = (id: string, model: Model, seed: number, salt: `0x${string}` = '0x0'): ReplayJob => ({
  id,
  modelId: computeModelId(model),
  modelBytes: `0x${Buffer.from(encodeModel(model)).toString('hex')}`,
  input: Array.from(randomInput(model, seed)),
  salt,
});

/** Small models of each family (lavapipe runs the shaders on this machine's two cores). */
const mlp = randomModel({ seed: 11, kind: 'mlp', sizes: [196, 32, 10], argmax: true });
const cnn = randomModel({ seed: 12, kind: 'cnn', sizes: [1, 12, 12, 4, 10], argmax: true });
const transformer = randomTransformer(13, { maxPositions: 4, blocks: 1 });

const adapter = testGpuAdapter();
const gpuIt = adapter ? it : it.skip;

describe(GpuExecutor.name, () => {
  let cpu: CpuExecutor;
  beforeAll(() => (cpu = new CpuExecutor({ threads: 1 })));
  afterAll(() => cpu?.close());
  const onCpu = (jobs: ReplayJob[]) => Promise.all(jobs.map((j) => cpu.execute(j)));

  describe('execute', () => {
    gpuIt('gives the CPU executor’s results for MLP, CNN and transformer jobs, salted or not', async () => {
      const sut = new GpuExecutor({ threads: 1 });
      try {
        const jobs = [mlp, cnn, transformer].flatMap((model, m) =>
          Array.from({ length: 6 }, (_, i) =>
            job(`m${m}-${i}`, model, 100 * m + i, i % 2 ? `0x${(1234 + i).toString(16)}` : '0x0'),
          ),
        );
        const results = await Promise.all(jobs.map((j) => sut.execute(j)));
        expect(results).toEqual(await onCpu(jobs));
        const d = sut.describe();
        expect(d).toMatchObject({ kind: 'gpu', lost: false, jobs: 18, cpuFallbackJobs: 0 });
        expect(d.adapter).toEqual(adapter);
        // Queued jobs of one model ran together: fewer batches than jobs.
        expect(d.batches).toBeLessThan(18);
      } finally {
        await sut.close();
      }
    });

    gpuIt(
      'gives a job the same result alone and inside a batch of 64 other inputs (batch invariance)',
      async () => {
        const target = job('target', mlp, 7, '0x2a');
        const alone = new GpuExecutor({ threads: 1 });
        let single: ReplayResult;
        try {
          single = await alone.execute(target);
          expect(alone.describe()).toMatchObject({ batches: 1, jobs: 1 });
        } finally {
          await alone.close();
        }
        const sut = new GpuExecutor({ threads: 1, maxBatch: 64 });
        try {
          // The first job runs at once, alone; the 64 queued behind it go as one batch.
          const others = Array.from({ length: 64 }, (_, i) => job(`o${i}`, mlp, 1000 + i));
          const jobs = [others[0], ...others.slice(1, 32), target, ...others.slice(32)];
          const results = await Promise.all(jobs.map((j) => sut.execute(j)));
          expect(sut.describe()).toMatchObject({ batches: 2, jobs: 65, cpuFallbackJobs: 0 });
          expect(results[32]).toEqual(single);
          expect(results).toEqual(await onCpu(jobs));
        } finally {
          await sut.close();
        }
      },
    );

    gpuIt(
      'rejects a job that does not replay as the CPU executor does, and replays the rest of its batch',
      async () => {
        const sut = new GpuExecutor({ threads: 1 });
        try {
          const good = [job('g0', mlp, 1), job('g1', mlp, 2)];
          const short = { ...job('short', mlp, 3), input: [1, 2, 3] };
          const outside = { ...job('outside', mlp, 4), input: Array(196).fill(300) };
          // Bytes of another model than its id names (an id no executor has seen: each caches by id).
          const unseen = randomModel({ seed: 14, kind: 'mlp', sizes: [196, 8, 10] });
          const forged = { ...job('forged', mlp, 5), modelId: computeModelId(unseen) };
          const jobs = [good[0], short, outside, good[1], forged];
          const settled = await Promise.allSettled(jobs.map((j) => sut.execute(j)));
          const expected = await Promise.allSettled(jobs.map((j) => cpu.execute(j)));
          for (const [i, s] of settled.entries()) {
            const e = expected[i];
            if (e.status === 'fulfilled') expect(s).toEqual(e);
            else {
              expect(s.status).toBe('rejected');
              const reason = (s as PromiseRejectedResult).reason as Error;
              expect(reason).toBeInstanceOf(ReplayRejectedError);
              expect(reason.message).toBe((e.reason as Error).message);
            }
          }
          expect(settled.map((s) => s.status)).toEqual([
            'fulfilled',
            'rejected',
            'rejected',
            'fulfilled',
            'rejected',
          ]);
          expect(sut.describe()).toMatchObject({ jobs: 2, cpuFallbackJobs: 3, lost: false });
        } finally {
          await sut.close();
        }
      },
    );

    gpuIt('replays every job on the CPU after the device is lost, and says so', async () => {
      const sut = new GpuExecutor({ threads: 1 });
      try {
        const before = job('before', transformer, 1);
        expect(await sut.execute(before)).toEqual(await cpu.execute(before));
        await sut.destroyDevice();
        const after = [job('a0', transformer, 2, '0x7'), job('a1', cnn, 3), job('a2', mlp, 4)];
        expect(await Promise.all(after.map((j) => sut.execute(j)))).toEqual(await onCpu(after));
        expect(sut.describe()).toMatchObject({
          kind: 'gpu',
          lost: true,
          jobs: 1,
          batches: 1,
          cpuFallbackJobs: 3,
        });
        expect(sut.describe().fallbackReason).toMatch(/lost/);
      } finally {
        await sut.close();
      }
    });
  });

  describe('opened', () => {
    it('runs every job on the CPU, saying why, when its thread opens no GPU', async () => {
      // A backend this platform lacks: the thread's NativeGpu.open finds no adapter.
      const sut = new GpuExecutor({ threads: 1, backends: process.platform === 'darwin' ? 'dx12' : 'metal' });
      try {
        expect(await sut.opened()).toMatchObject({
          kind: 'cpu',
          lost: false,
          // (Without the native core, VERILAY_NATIVE=off: no GPU either.)
          fallbackReason: expect.stringMatching(/^\[GPU_UNAVAILABLE\] |^the native core is not loaded/),
        });
        const jobs = [job('c0', mlp, 1), job('c1', transformer, 2)];
        expect(await Promise.all(jobs.map((j) => sut.execute(j)))).toEqual(await onCpu(jobs));
        expect(sut.describe()).toMatchObject({ batches: 0, jobs: 0, cpuFallbackJobs: 2 });
      } finally {
        await sut.close();
      }
    });
  });

  describe('opening past its deadline', () => {
    gpuIt(
      'runs every job on the CPU, saying why, when the thread does not open the device in time',
      async () => {
        // 1 ms: no open (an adapter, a device, the kernels compiled) fits; a wedged driver's hang
        // would end the same way.
        const sut = new GpuExecutor({ threads: 1, openTimeoutMs: 1 });
        try {
          expect(await sut.opened()).toMatchObject({
            lost: false,
            fallbackReason: 'the GPU thread did not open the device within 1 ms',
          });
          const jobs = [job('o0', mlp, 1), job('o1', cnn, 2)];
          expect(await Promise.all(jobs.map((j) => sut.execute(j)))).toEqual(await onCpu(jobs));
          expect(sut.describe()).toMatchObject({ batches: 0, jobs: 0, cpuFallbackJobs: 2 });
        } finally {
          await sut.close();
        }
      },
    );
  });

  describe('execute past the batch budget', () => {
    gpuIt(
      'replays a batch past its budget and its model’s later jobs on the CPU, and opens the device again',
      async () => {
        // 1 ms: no batch of lavapipe's (a round trip to the thread, a dispatch, a read back) fits.
        const sut = new GpuExecutor({ threads: 1, batchTimeoutMs: 1 });
        try {
          const jobs = [job('s0', cnn, 1), job('s1', cnn, 2), job('s2', transformer, 3)];
          expect(await Promise.all(jobs.map((j) => sut.execute(j)))).toEqual(await onCpu(jobs));
          // The CNN's batch, then (on a fresh thread) the transformer's ran past 1 ms: all on the CPU.
          expect(sut.describe()).toMatchObject({ kind: 'gpu', lost: false, batches: 0, cpuFallbackJobs: 3 });
          const later = job('s3', cnn, 4);
          expect(await sut.execute(later)).toEqual(await cpu.execute(later));
          expect(sut.describe()).toMatchObject({ batches: 0, cpuFallbackJobs: 4 });
        } finally {
          await sut.close();
        }
      },
    );
  });

  describe('close', () => {
    gpuIt('rejects the jobs still queued', async () => {
      const sut = new GpuExecutor({ threads: 1 });
      const pending = Promise.allSettled([sut.execute(job('q0', mlp, 1)), sut.execute(job('q1', cnn, 2))]);
      await sut.close();
      for (const p of await pending)
        expect(p).toMatchObject({ status: 'rejected', reason: { message: 'executor closed' } });
      await expect(sut.execute(job('late', mlp, 3))).rejects.toThrow('executor closed');
    });

    gpuIt('hears nothing after it closed: a batch answered as the thread stops throws nowhere', async () => {
      const sut = new GpuExecutor({ threads: 1 });
      await sut.opened();
      const pending = sut.execute(job('c0', mlp, 1)).catch((e: Error) => e.message);
      // This thread busy for 500 ms: the GPU thread runs the batch and posts its answer, which
      // waits in this thread's queue until after close().
      const until = Date.now() + 500;
      while (Date.now() < until);
      await sut.close();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await pending).toBe('executor closed');
    });
  });
});
