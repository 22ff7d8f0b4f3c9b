// The shipped MNIST models (models/mnist): accuracy, runtime speed, and Groth16 proving of the MLP,
// next to published figures of other zkML systems. `npm run bench:mnist` rewrites its section of
// docs/benchmarks.md; `npm run bench` includes it.
import { createTensorCommitter } from '@verilay/commitments';
import { computeModelId, parameterCount, parseModel, run, type Model } from '@verilay/inference';
import { executeTask } from '@verilay/protocol';
import {
  buildCircuit,
  DEV_PTAU_POWER,
  fitsCeremony,
  generateModelCircuit,
  Prover,
  releaseProverThreads,
} from '@verilay/zk';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadMnist, PIXELS } from '../scripts/mnist/mnist-data';
import { sectionMarkers, writeSection } from './bench-sections';
import { median, seconds, withPeakRss } from './measure';

export const MNIST_SECTION_MARKERS = sectionMarkers('mnist', 'bench/mnist.bench.ts');

const ROOT = join(__dirname, '../..');

/**
 * Published figures for MNIST-sized models, quoted from their sources (proving time only unless
 * stated). Different hardware and models: read them as orders of magnitude, not a race.
 */
const PUBLISHED = [
  '| circomlib-ml / keras2circom [1] | Groth16 (circom) | MLP 784-56-10, 44,530 params | not stated | 2.35 s | 73,416 non-linear constraints, 2,328 MB |',
  '| EZKL v7.1.4, accuracy mode [1] | Halo2 (KZG) | MLP 784-56-10 | not stated | 38.01 s | 4,807 MB |',
  '| EZKL v7.1.4, resources mode [1] | Halo2 (KZG) | MLP 784-56-10 | not stated | 2.66 s | 221 MB; 6.4% accuracy loss |',
  '| zkml (ddkang) [1] | Halo2 (KZG) | MLP 784-56-10 | not stated | 21.73 s | 2,355 MB |',
  '| zkml (ddkang) [1] | Halo2 (KZG) | LeNet-like CNN, 5,142 params | not stated | 15.62 s | 1,765 MB |',
  '| Bionetta [2] | UltraGroth | MLP 784-2000-60-4000-10, 2M params | Xeon E5-2665, 16 threads | 3.05 s | verify 0.010 s, proof 0.88 KB, 0.27 GB RAM |',
  '| EZKL, measured by [2] | Halo2 (KZG) | the same 2M-param MLP | Xeon E5-2665 | 1,310 s | verify 5.40 s, proof 127 KB |',
  '| zkCNN, measured by [2] | GKR + Hyrax | the same 2M-param MLP | Xeon E5-2665 | 3.45 s | verify 1.00 s, proof 23.25 KB |',
];

const SOURCES = `[1] Guy1m0, "ZKML Benchmark" report (Ethereum Foundation ESP grant FY23-1290): proof generation
only, all frameworks under the same conditions, hardware not stated.
https://github.com/Guy1m0/ZKML-Benchmark/blob/7afb05b3df738d24dc1c30147ddf95876d8bdecb/docs/benchmark_report.md;
the CNN row is from its results CSV,
https://github.com/Guy1m0/ZKML-Benchmark/blob/f9b4cb64448c7becd11193491af1451e5fd96de0/benchmarks/benchmark_results.csv.
[2] Bionetta README, "Key benchmarks" (measured by the Bionetta authors on their own and the other
systems; a 2M-parameter MNIST MLP, about 40 times the parameters of ours),
https://github.com/Anonymous1725/Bionetta/blob/2dd0a42571dedc3138787d3ead96deccd56fa6ec/README.md.`;

export async function benchMnist(): Promise<string> {
  const { test } = loadMnist();
  const digit = (k: number) => test.pixels.subarray(k * PIXELS, (k + 1) * PIXELS);
  const committer = await createTensorCommitter();

  const modelRows = [
    '| model | params | held-out accuracy (verilay runtime) | `run` (inferences/s) | `executeTask` (tasks/s) | whole circuit (constraints) |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  const models: [string, Model][] = ['mnist-mlp', 'mnist-cnn'].map((name) => [
    name,
    parseModel(readFileSync(join(ROOT, `models/mnist/${name}.model.json`), 'utf8')),
  ]);
  for (const [name, model] of models) {
    console.error(`mnist: ${name}: accuracy and runtime speed`);
    let correct = 0;
    let t = performance.now();
    for (let k = 0; k < test.count; k++)
      if (run(model, digit(k)).output.data[0] === test.labels[k]) correct++;
    const runRate = test.count / seconds(t);
    const tasks = Math.min(400, test.count);
    t = performance.now();
    for (let k = 0; k < tasks; k++) executeTask(model, digit(k), committer);
    const taskRate = tasks / seconds(t);
    const constraints = generateModelCircuit(model).estimatedConstraints;
    const fits = fitsCeremony(constraints);
    modelRows.push(
      `| ${name} (\`models/mnist/${name}.model.json\`) | ${parameterCount(model).toLocaleString('en')} | ${((100 * correct) / test.count).toFixed(2)}% of ${test.count} | ${runRate.toFixed(0)} | ${taskRate.toFixed(0)} | ~${constraints.toLocaleString('en')} (estimate; ${fits ? 'fits' : `needs 2^${Math.ceil(Math.log2(constraints + 4))}, past`} the 2^${DEV_PTAU_POWER} development ceremony) |`,
    );
  }

  // Groth16 for the MLP: cold build timings from its manifest, then warm proofs.
  const [, mlp] = models[0];
  console.error('mnist: mnist-mlp: build (cached after the first run)...');
  const artifacts = await buildCircuit(mlp, {
    onProgress: (s, d) => console.error(`  ${s}${d ? `: ${d}` : ''}`),
  });
  const manifest = JSON.parse(readFileSync(join(artifacts.dir, 'build.json'), 'utf8')) as {
    timings: Record<string, number>;
  };
  const prover = await Prover.load(mlp, artifacts);
  await prover.prove(Array.from(digit(99))); // warm-up (curve threads, JIT)
  const proveTimes: number[] = [];
  const verifyTimes: number[] = [];
  const [, peak] = await withPeakRss(async () => {
    for (let k = 0; k < 5; k++) {
      let t = performance.now();
      const proof = await prover.prove(Array.from(digit(k * 300)), BigInt(k + 1));
      proveTimes.push(seconds(t));
      t = performance.now();
      if (!(await prover.verify(proof))) throw new Error('benchmark proof does not verify');
      verifyTimes.push(seconds(t));
    }
  });
  await releaseProverThreads();
  const setup = (manifest.timings.setup ?? 0) + (manifest.timings.contribute ?? 0);
  const ours = `| **verilay** (this repo) | Groth16 (circom2 -O2, snarkjs) | mnist-mlp 784-64-10, ${parameterCount(mlp).toLocaleString('en')} params | this VM (machine line at the top of this page), 2 cores | **${median(proveTimes).toFixed(2)} s** | ${artifacts.constraints.toLocaleString('en')} constraints; verify ${median(verifyTimes).toFixed(2)} s (snarkjs) or 195,611 gas on chain; proof 256 bytes of calldata; peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB |`;
  console.error(`mnist: mlp proof ${median(proveTimes).toFixed(2)} s`);

  return `modelId of mnist-mlp: \`${computeModelId(mlp)}\`; accuracy in float and after quantization,
and how the models were made: docs/models.md.

${modelRows.join('\n')}

Groth16 proof of one mnist-mlp inference (input commitment salted, output = the digit): cold build
${manifest.timings.compile ?? '—'} s compile + ${setup.toFixed(1)} s setup (once per model, cached); proving key
${(statSync(artifacts.zkeyPath).size / 2 ** 20).toFixed(1)} MiB; warm proofs median of 5, on real held-out digits.

| system | proof system | model | hardware | prove | other figures |
|---|---|---|---|---:|---|
${ours}
${PUBLISHED.join('\n')}

${SOURCES}

Reading the table: verilay's circuit costs few constraints because the weights are circuit
constants (a multiply-accumulate is linear, so free in R1CS) and the whole 784-byte input is
committed with Poseidon instead of being public. Proof size and on-chain verification are
Groth16's constants (256 bytes, ~196k gas with two public signals), whatever the model.`;
}

if (require.main === module) {
  benchMnist()
    .then((section) => {
      writeSection(join(ROOT, 'docs/benchmarks.md'), MNIST_SECTION_MARKERS, section);
      console.log(section);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
