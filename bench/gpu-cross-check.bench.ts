// The GPU executor bit for bit against the reference runtime (libs/inference) on 10,000 random
// models (GPU_CROSS_CHECK_MODELS to change), four inputs each: random, the lowest and the highest
// of the input range, and a mix of the two. Every trace tensor of every input is compared.
// `npm run bench:gpu-cross-check` prints the tally (and writes it to GPU_CROSS_CHECK_OUT if set).
import { crossCheck, type CrossCheckTally } from '@verilay/inference';
import { nativeAddon } from '@verilay/native';
import { writeFileSync } from 'node:fs';

function main() {
  const NativeGpu = nativeAddon()?.NativeGpu;
  if (!NativeGpu) {
    console.error('gpu-cross-check: the native core with its GPU executor is not built (npm run build)');
    process.exit(2);
  }
  const gpu = NativeGpu.open();
  const total = Number(process.env.GPU_CROSS_CHECK_MODELS ?? 10_000);
  const sum: CrossCheckTally = { models: 0, inputs: 0, tensors: 0, elements: 0, mismatches: [], skipped: [] };
  const start = performance.now();
  for (let from = 0; from < total; from += 250) {
    const t = crossCheck(gpu, from, Math.min(total, from + 250));
    sum.models += t.models;
    sum.inputs += t.inputs;
    sum.tensors += t.tensors;
    sum.elements += t.elements;
    sum.mismatches.push(...t.mismatches);
    sum.skipped.push(...t.skipped);
    const s = (performance.now() - start) / 1000;
    console.error(
      `gpu-cross-check: ${from + 250 > total ? total : from + 250}/${total} models, ${sum.mismatches.length} mismatches, ${s.toFixed(0)} s`,
    );
  }
  const info = gpu.info();
  gpu.destroy();
  const seconds = (performance.now() - start) / 1000;
  const report = {
    adapter: `${info.name} (${info.backend}, ${info.driverInfo})`,
    models: sum.models,
    inputs: sum.inputs,
    traceTensors: sum.tensors,
    elements: sum.elements,
    mismatches: sum.mismatches.length,
    firstMismatches: sum.mismatches.slice(0, 20),
    skipped: sum.skipped,
    seconds: Number(seconds.toFixed(1)),
  };
  const text = JSON.stringify(report, null, 2);
  console.log(text);
  if (process.env.GPU_CROSS_CHECK_OUT) writeFileSync(process.env.GPU_CROSS_CHECK_OUT, text + '\n');
  process.exit(sum.mismatches.length === 0 && sum.skipped.length === 0 ? 0 : 1);
}

main();
