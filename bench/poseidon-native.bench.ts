// The native core's Poseidon and integer kernels next to the JavaScript paths, in one run:
// 1. a cross-check of native Poseidon against circomlibjs on 100,000 random inputs across every
//    width (1..16 inputs), which the unit spec samples (2,000) to stay within seconds;
// 2. the Poseidon commitment of a 784-value uint8 input (the claim intake's per-claim cost);
// 3. executeTask (run + commit every trace tensor + trace root) of the MNIST MLP and CNN.
// `npm run build && node dist/bench/poseidon-native.bench.js` rewrites its section of docs/benchmarks.md.
import {
  createJsTensorCommitter,
  createNativeTensorCommitter,
  FIELD_MODULUS,
  traceRoot,
  type TensorCommitter,
} from '@verilay/commitments';
import { buildPoseidon } from 'circomlibjs';
import { JsModelRunner, parseModel, randomInput, splitmix32, type Model } from '@verilay/inference';
import { nativeAddon } from '@verilay/native';
import { executeTask } from '@verilay/protocol';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sectionMarkers, writeSection } from './bench-sections';

export const POSEIDON_NATIVE_SECTION_MARKERS = sectionMarkers(
  'native-poseidon-kernels',
  'bench/poseidon-native.bench.ts',
);
const CROSS_CHECKS = 100_000;

function randomField(rand: () => number): bigint {
  let x = 0n;
  for (let i = 0; i < 8; i++) x = (x << 32n) | BigInt(Math.floor(rand() * 2 ** 32));
  return rand() < 0.2 ? x % 1000n : x % FIELD_MODULUS;
}

/** Best of 3 rounds of `n` calls: calls per second. */
function rate(n: number, f: (i: number) => unknown): number {
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const start = performance.now();
    for (let i = 0; i < n; i++) f(i);
    best = Math.max(best, n / ((performance.now() - start) / 1000));
  }
  return best;
}

export async function benchPoseidonNative(): Promise<string> {
  const addon = nativeAddon();
  if (!addon) throw new Error('the native core is not built or VERILAY_NATIVE=off: nothing to compare');
  const poseidon = await buildPoseidon();
  const rand = splitmix32(12);
  const word = (x: bigint) => Buffer.from(x.toString(16).padStart(64, '0'), 'hex');
  let mismatches = 0;
  for (let k = 0; k < CROSS_CHECKS; k++) {
    const inputs = Array.from({ length: 1 + (k % 16) }, () => randomField(rand));
    const native = BigInt(`0x${addon.poseidonHash(Buffer.concat(inputs.map(word))).toString('hex')}`);
    if (native !== poseidon.F.toObject(poseidon(inputs))) mismatches++;
  }
  if (mismatches > 0)
    throw new Error(`${mismatches} of ${CROSS_CHECKS} native Poseidon hashes differ from circomlibjs`);

  const js = await createJsTensorCommitter();
  const native = createNativeTensorCommitter(addon);
  const digits = Array.from({ length: 50 }, (_, s) =>
    Array.from({ length: 784 }, (_, i) => (i * 31 + s * 7) % 256),
  );
  const commit = (c: TensorCommitter) =>
    1e6 / rate(200, (i) => c.commitTensor({ dtype: 'uint8', data: digits[i % 50] }, 1n));
  const [jsCommit, nativeCommit] = [commit(js), commit(native)];

  const load = (file: string) =>
    parseModel(readFileSync(join(__dirname, `../../models/mnist/${file}.model.json`), 'utf8'));
  const rows: string[] = [];
  for (const [name, model] of [
    ['mnist-mlp', load('mnist-mlp')],
    ['mnist-cnn', load('mnist-cnn')],
  ] as [string, Model][]) {
    const inputs = Array.from({ length: 50 }, (_, i) => randomInput(model, i + 1));
    // The JavaScript row: the reference runtime and circomlibjs (as with VERILAY_NATIVE=off).
    const reference = new JsModelRunner(model);
    const jsRate = rate(100, (i) => {
      const { trace } = reference.run(inputs[i % 50]);
      traceRoot(trace.map((t, j) => js.commitTensor(t, j === 0 ? 1n : 0n)));
    });
    const nativeRate = rate(1000, (i) => executeTask(model, inputs[i % 50], native, 1n));
    rows.push(
      `| ${name} \`executeTask\` (tasks/s) | ${jsRate.toFixed(0)} | ${nativeRate.toFixed(0)} | ${(nativeRate / jsRate).toFixed(1)}× |`,
    );
  }
  return [
    `Native Poseidon = circomlibjs on ${CROSS_CHECKS.toLocaleString('en')} random inputs across every width (1..16 inputs): 0 mismatches.`,
    'Single thread, best of 3 rounds, one process (the JavaScript row of executeTask is the reference runtime with circomlibjs and the JavaScript trace root).',
    '',
    '| measure | JavaScript | native | speed-up |',
    '|---|---:|---:|---:|',
    `| Poseidon commitment of a 784-value uint8 input (µs) | ${jsCommit.toFixed(0)} | ${nativeCommit.toFixed(0)} | ${(jsCommit / nativeCommit).toFixed(1)}× |`,
    ...rows,
  ].join('\n');
}

if (require.main === module) {
  benchPoseidonNative()
    .then((table) => {
      writeSection(join(__dirname, '../../docs/benchmarks.md'), POSEIDON_NATIVE_SECTION_MARKERS, table);
      console.log(table);
      process.exit(0);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
