// The GPU executor (native/crates/gpu, wgpu) against the native CPU kernels, in one process, on
// the same inputs (their traces are compared before timing):
// - MNIST MLP and CNN (models/mnist): inferences/s at batch 1 and 256;
// - the tiny LM (models/tiny-llm, 16 positions) and, when its .vlm is cached, SmolLM2-135M at
//   64 positions (bench/smollm2.bench.ts makes it): positions ("tokens") per second of a
//   teacher-forced replay, and the seconds of one replay's forward pass.
// CPU: one thread of the native kernels (the CPU executor runs one per core: multiply by the
// cores on the machine line). GPU: `NativeGpuModel.run` on the batch (upload, every kernel,
// the whole trace read back). Neither includes the Poseidon commitments, which run on the CPU for
// both executors.
// On Mesa's lavapipe (a CPU rasteriser) the GPU figures show that the path runs, not its speed.
// `npm run bench:gpu` rewrites its section of docs/benchmarks.md; on a machine with a GPU, run
// bench/device/gpu-bench.sh (it prints the section instead: GPU_BENCH_OUT=- or a file).
import { parseModel, readModelFile, randomInput, nativeHandle, type Model } from '@verilay/inference';
import { nativeAddon, type NativeGpuHandle } from '@verilay/native';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { sectionMarkers, writeSection } from './bench-sections';

export const GPU_SECTION_MARKERS = sectionMarkers('gpu-executor', 'bench/gpu-executor.bench.ts');

const ROOT = join(__dirname, existsSync(join(__dirname, '../package.json')) ? '..' : '../..');
const SMOLLM2 = join(ROOT, '.cache/smollm2/smollm2-135m.vlm');

/** Runs per second of `f(n)` (n tasks per call): best of 3 rounds of at least `minMs` each. */
function rate(f: () => void, tasks: number, minMs: number): number {
  f();
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let calls = 0;
    const start = performance.now();
    while (performance.now() - start < minMs) {
      f();
      calls++;
    }
    best = Math.max(best, (calls * tasks) / ((performance.now() - start) / 1000));
  }
  return best;
}

interface Case {
  name: string;
  model: Model;
  batches: number[];
  /** Positions per task (LMs), for tokens/s. */
  positions?: number;
}

function cases(): Case[] {
  const mnist = (name: string) =>
    parseModel(readFileSync(join(ROOT, `models/mnist/${name}.model.json`), 'utf8'));
  const tiny = parseModel(readFileSync(join(ROOT, 'models/tiny-llm/tiny-llm.json'), 'utf8'));
  const all: Case[] = [
    { name: 'mnist-mlp', model: mnist('mnist-mlp'), batches: [1, 256] },
    { name: 'mnist-cnn', model: mnist('mnist-cnn'), batches: [1, 256] },
    { name: 'tiny-llm (T = 16)', model: tiny, batches: [1, 64], positions: tiny.input.shape[0] },
  ];
  if (existsSync(SMOLLM2)) {
    const model = readModelFile(SMOLLM2);
    all.push({ name: 'SmolLM2-135M (T = 64)', model, batches: [1], positions: model.input.shape[0] });
  }
  return all;
}

export function benchGpu(gpu: NativeGpuHandle, minMs = Number(process.env.GPU_BENCH_MS ?? 1500)): string {
  const info = gpu.info();
  const rows = [
    '| model | batch | native CPU, 1 thread | GPU executor | GPU / CPU |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const c of cases()) {
    const handle = nativeHandle(c.model);
    const onGpu = gpu.load(handle);
    for (const batch of c.batches) {
      const inputs = Array.from({ length: batch }, (_, i) => randomInput(c.model, i + 1));
      const traces = onGpu.run(inputs);
      inputs.forEach((input, i) => {
        const cpu = handle.run(input);
        cpu.forEach((t, j) => {
          if (Buffer.compare(Buffer.from(t.buffer), Buffer.from(traces[i][j].buffer)) !== 0)
            throw new Error(`${c.name}: GPU trace differs from the CPU's at task ${i}, tensor ${j}`);
        });
      });
      const large = (c.positions ?? 1) * batch > 1024;
      const cpu = rate(() => inputs.forEach((x) => handle.run(x)), batch, large ? minMs * 2 : minMs);
      const gpuRate = rate(() => onGpu.run(inputs), batch, large ? minMs * 2 : minMs);
      const unit = c.positions ? 'tokens/s' : 'inferences/s';
      const scale = c.positions ?? 1;
      const cell = (r: number) =>
        `${(r * scale).toLocaleString('en', { maximumFractionDigits: 0 })} ${unit}` +
        (c.positions ? ` (${(1000 / r).toFixed(2)} ms a pass)` : '');
      rows.push(
        `| ${c.name} | ${batch} | ${cell(cpu)} | ${cell(gpuRate)} | ${(gpuRate / cpu).toFixed(2)}× |`,
      );
      console.error(`gpu: ${c.name} batch ${batch}: CPU ${cell(cpu)}, GPU ${cell(gpuRate)}`);
    }
  }
  const adapter = `${info.name} (${info.backend}, ${info.deviceType}; ${info.driver} ${info.driverInfo})`;
  const machine = `${cpus().length} × ${cpus()[0].model}`;
  return [
    `Adapter: **${adapter}**. CPU: ${machine}. Traces compared bit for bit before timing.`,
    '',
    ...rows,
  ].join('\n');
}

if (require.main === module) {
  const NativeGpu = nativeAddon()?.NativeGpu;
  if (!NativeGpu) {
    console.error('gpu: the native core with its GPU executor is not built (npm run build)');
    process.exit(2);
  }
  const gpu = NativeGpu.open();
  const section = benchGpu(gpu);
  gpu.destroy();
  const out = process.env.GPU_BENCH_OUT;
  if (out === '-') console.log(section);
  else if (out) writeFileSync(out, section + '\n');
  else writeSection(join(ROOT, 'docs/benchmarks.md'), GPU_SECTION_MARKERS, section);
}
