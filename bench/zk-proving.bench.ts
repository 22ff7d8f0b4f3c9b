import { parseModel, randomInput, randomModel, type Model } from '@verilay/inference';
import { buildCircuit, circuitInput, Prover, releaseProverThreads, WitnessCalculator } from '@verilay/zk';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { median, seconds, withPeakRss } from './measure';
import * as snarkjs from 'snarkjs';

/**
 * Groth16 numbers per model: constraints, build steps (from the build manifest: a cold build's
 * timings are recorded once), warm proving (keys and witness calculator in memory) against the
 * naive snarkjs baseline (`groth16.fullProve` from files, every call), proof size, peak memory.
 */
export async function benchZk(): Promise<string> {
  const root = join(__dirname, '../..');
  const models: [string, Model][] = [
    [
      '784-64-10 int8 MLP (models/sample-mlp-784-64-10.json)',
      parseModel(readFileSync(join(root, 'models/sample-mlp-784-64-10.json'), 'utf8')),
    ],
    [
      'CNN 1x8x8: conv3x3x2, maxpool 2, dense 10',
      randomModel({ seed: 2, kind: 'cnn', sizes: [1, 8, 8, 2, 10], argmax: true }),
    ],
  ];
  const rows = [
    '| model | constraints | compile (s) | setup + contribution (s) | warm proof (s, median of 5) | snarkjs fullProve from files (s, median of 3) | witness only (s) | proof (bytes, JSON / calldata) | peak RSS proving (MiB) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [name, model] of models) {
    console.error(`zk: ${name}: build (cached after the first run)...`);
    const artifacts = await buildCircuit(model, {
      onProgress: (s, d) => console.error(`  ${s}${d ? `: ${d}` : ''}`),
    });
    const manifest = JSON.parse(readFileSync(join(artifacts.dir, 'build.json'), 'utf8')) as {
      timings: Record<string, number>;
    };
    const prover = await Prover.load(model, artifacts);
    const inputs = Array.from({ length: 6 }, (_, i) => randomInput(model, 100 + i));
    await prover.prove(inputs[5]); // warm-up (curve threads, JIT)
    const [warm, peak] = await withPeakRss(async () => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const proof = await prover.prove(inputs[i]);
        times.push(seconds(t));
        if (!(await prover.verify(proof))) throw new Error('benchmark proof does not verify');
      }
      return times;
    });
    const naive: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await snarkjs.groth16.fullProve(circuitInput(inputs[i]), artifacts.wasmPath, artifacts.zkeyPath);
      naive.push(seconds(t));
    }
    const calculator = await WitnessCalculator.load(artifacts.wasmPath);
    let t = performance.now();
    await calculator.wtns(circuitInput(inputs[0]));
    const witness = seconds(t);
    t = performance.now();
    const proof = await prover.prove(inputs[0]);
    const jsonBytes = JSON.stringify(proof.proof).length;
    const zkeyMiB = statSync(artifacts.zkeyPath).size / 2 ** 20;
    rows.push(
      `| ${name} | ${artifacts.constraints} | ${manifest.timings.compile ?? '—'} | ${((manifest.timings.setup ?? 0) + (manifest.timings.contribute ?? 0)).toFixed(1)} | ${median(warm).toFixed(2)} | ${median(naive).toFixed(2)} | ${witness.toFixed(2)} | ${jsonBytes} / 256 | ${(peak / 2 ** 20).toFixed(0)} (zkey ${zkeyMiB.toFixed(1)} MiB) |`,
    );
    console.error(`zk: ${name}: warm ${median(warm).toFixed(2)} s, naive ${median(naive).toFixed(2)} s`);
  }
  await releaseProverThreads();
  return rows.join('\n');
}
