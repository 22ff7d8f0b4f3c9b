// Replay throughput of the CPU executor (libs/workers): how many MNIST MLP tasks per second a
// watcher or the verifier can re-execute and commit to, with 1 and 2 worker threads, on the
// JavaScript paths (VERILAY_NATIVE=off in the threads) and on the native core, in one run.
// `npm run bench:replay` rewrites its section of docs/benchmarks.md; `npm run bench` includes it.
import { toHex32 } from '@verilay/commitments';
import { computeModelId, encodeModel, parseModel, randomInput } from '@verilay/inference';
import { CpuExecutor, ReplayQueue, type ReplayJob } from '@verilay/workers';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sectionMarkers, writeSection } from './bench-sections';

export const REPLAY_SECTION_MARKERS = sectionMarkers('replay', 'bench/replay-throughput.bench.ts');
const TASKS = 400;

export async function benchReplay(): Promise<string> {
  const model = parseModel(readFileSync(join(__dirname, '../../models/mnist/mnist-mlp.model.json'), 'utf8'));
  const modelBytes = `0x${Buffer.from(encodeModel(model)).toString('hex')}` as const;
  const modelId = computeModelId(model);
  const jobs = (round: number): ReplayJob[] =>
    Array.from({ length: TASKS }, (_, i) => ({
      id: `${round}-${i}`,
      modelId,
      modelBytes,
      input: Array.from(randomInput(model, i + 1)),
      salt: toHex32(BigInt(i + 1)),
    }));
  const rows: string[] = [];
  let single = 0;
  const saved = process.env.VERILAY_NATIVE;
  for (const [core, threads] of [
    ['JavaScript', 1],
    ['JavaScript', 2],
    ['native', 1],
    ['native', 2],
  ] as const) {
    // Worker threads copy the environment when they start: it picks their adapters.
    if (core === 'JavaScript') process.env.VERILAY_NATIVE = 'off';
    else if (saved === undefined) delete process.env.VERILAY_NATIVE;
    else process.env.VERILAY_NATIVE = saved;
    const queue = new ReplayQueue(new CpuExecutor({ threads }));
    try {
      await Promise.all(
        jobs(-1)
          .slice(0, 20 * threads)
          .map((j) => queue.submit(j)),
      ); // warm: Poseidon, model cache
      let best = 0;
      for (let round = 0; round < 3; round++) {
        const batch = jobs(round); // built outside the timed part
        const start = performance.now();
        await Promise.all(batch.map((j) => queue.submit(j)));
        best = Math.max(best, TASKS / ((performance.now() - start) / 1000));
      }
      if (threads === 1 && core === 'JavaScript') single = best;
      rows.push(
        `| ${core} | ${threads} | ${best.toFixed(0)} | ${(1000 / best).toFixed(2)} ms | ${(best / single).toFixed(2)}× |`,
      );
    } finally {
      await queue.close();
    }
  }
  if (saved === undefined) delete process.env.VERILAY_NATIVE;
  else process.env.VERILAY_NATIVE = saved;
  return [
    `mnist-mlp (784-64-10, uint8 input), ${TASKS} tasks per round, best of 3 rounds; each task: integer run, Poseidon commitment of every trace tensor, trace Merkle root. JavaScript: VERILAY_NATIVE=off in the worker threads (libs/inference, circomlibjs); native: native/crates/kernels and native/crates/poseidon.`,
    '',
    '| core | worker threads | replays/s | per replay | vs JavaScript, 1 thread |',
    '|---|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

if (require.main === module) {
  benchReplay()
    .then((table) => {
      writeSection(join(__dirname, '../../docs/benchmarks.md'), REPLAY_SECTION_MARKERS, table);
      console.log(table);
      process.exit(0);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
