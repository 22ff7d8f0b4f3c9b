// Replay throughput through Redis (libs/queue, `verilay worker`) against the in-process CPU
// executor: MNIST MLP and CNN tasks submitted by one producer, replayed by 1 or 2 worker processes,
// or by the producer's own threads. Needs a Redis server: VERILAY_REDIS_URL or VERILAY_TEST_REDIS_URL
// (`bash scripts/services.sh start`). `npm run bench:queue` prints the table (docs/benchmarks.md is
// merged by hand).
import { Queue } from 'bullmq';
import { toHex32 } from '@verilay/commitments';
import { computeModelId, encodeModel, parseModel, randomInput } from '@verilay/inference';
import { RedisReplayExecutor } from '@verilay/queue';
import { CpuExecutor, type ReplayExecutor, type ReplayJob } from '@verilay/workers';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { runServerBench } from './measure';

const ROUNDS = 3;
const CLI = join(__dirname, '../apps/cli/src/main.js');

async function startWorker(url: string, prefix: string, threads: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'worker',
      '--redis',
      url,
      '--prefix',
      prefix,
      '--concurrency',
      String(threads),
      '--progress-ms',
      '3600000',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('waiting for jobs')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`verilay worker exited (${code}): ${out}`)));
  });
  return child;
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

interface Case {
  readonly name: string;
  readonly file: string;
  readonly tasks: number;
}

/** A light model (the Redis round trips weigh) and a heavier one (the replay weighs). */
const CASES: readonly Case[] = [
  { name: 'mnist-mlp', file: 'mnist-mlp.model.json', tasks: 400 },
  { name: 'mnist-cnn', file: 'mnist-cnn.model.json', tasks: 60 },
];

export async function benchReplayQueue(url: string): Promise<string> {
  const prefix = `verilay-bench-${process.pid}`;
  const rows: string[] = [];
  for (const c of CASES) {
    const model = parseModel(readFileSync(join(__dirname, '../../models/mnist', c.file), 'utf8'));
    const modelBytes = `0x${Buffer.from(encodeModel(model)).toString('hex')}` as const;
    const modelId = computeModelId(model);
    const jobs = (tag: string, n: number): ReplayJob[] =>
      Array.from({ length: n }, (_, i) => ({
        id: `${c.name}-${tag}-${i}`,
        modelId,
        modelBytes,
        input: Array.from(randomInput(model, i + 1)),
        salt: toHex32(BigInt(i + 1)),
      }));
    /** Best replays/s of ROUNDS rounds (fresh ids each round: no stored result answers them). */
    const measure = async (executor: ReplayExecutor, tag: string) => {
      await Promise.all(jobs(`${tag}-warm`, Math.ceil(c.tasks / 10)).map((j) => executor.execute(j)));
      let best = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const batch = jobs(`${tag}-${round}`, c.tasks);
        const start = performance.now();
        await Promise.all(batch.map((j) => executor.execute(j)));
        best = Math.max(best, c.tasks / ((performance.now() - start) / 1000));
      }
      return best;
    };
    const row = (where: string, processes: string, threads: number, best: number) =>
      rows.push(
        `| ${c.name} | ${where} | ${processes} | ${threads} | ${best.toFixed(0)} | ${(1000 / best).toFixed(2)} ms | ${loadavg()[0].toFixed(2)} |`,
      );
    for (const threads of [1, 2]) {
      const cpu = new CpuExecutor({ threads });
      try {
        row('in-process (CpuExecutor)', '—', threads, await measure(cpu, `cpu${threads}`));
      } finally {
        await cpu.close();
      }
    }
    for (const [processes, threads] of [
      [1, 1],
      [2, 1],
      [1, 2],
    ] as const) {
      const workers = await Promise.all(
        Array.from({ length: processes }, () => startWorker(url, prefix, threads)),
      );
      const producer = new RedisReplayExecutor({ url, prefix });
      try {
        row(
          'Redis → `verilay worker`',
          String(processes),
          threads,
          await measure(producer, `redis${processes}x${threads}`),
        );
      } finally {
        await producer.close();
        await Promise.all(workers.map(stop));
      }
    }
  }
  const queue = new Queue('replay', { connection: { url }, prefix });
  await queue.obliterate({ force: true });
  await queue.close();
  return [
    `Tasks per round (mnist-mlp 400, mnist-cnn 60) submitted at once by one producer, best of ${ROUNDS} rounds after a tenth as many warm-up tasks. Through Redis a job names its model; the model's bytes go to Redis once. Threads: worker threads per process (\`--concurrency\`). Load: the 1-minute load average after the row.`,
    '',
    '| model | where | worker processes | threads each | replays/s | per replay | load |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

if (require.main === module)
  runServerBench(
    process.env.VERILAY_REDIS_URL ?? process.env.VERILAY_TEST_REDIS_URL,
    'needs VERILAY_REDIS_URL or VERILAY_TEST_REDIS_URL (bash scripts/services.sh start)',
    benchReplayQueue,
  );
