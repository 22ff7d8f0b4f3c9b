// Cold model builds with the native phase-2 setup (native/crates/setup) against snarkjs' (zkey new
// + zkey beacon): the MNIST MLP built from nothing (compile, setup, export), then snarkjs' setup of
// the same r1cs, whose key must have the same bytes (the run fails otherwise). With --cnn, the
// MNIST CNN's requantize step (2^17) too, native only (snarkjs: 521 s + 94 s, docs/benchmarks.md).
// `npm run bench:setup [-- --cnn]`; results are recorded by hand in docs/benchmarks.md.
import { parseModel, type Model } from '@verilay/inference';
import { describeNative } from '@verilay/native';
import { buildCircuit, DEV_BEACON, SnarkjsPhase2Setup, releaseProverThreads } from '@verilay/zk';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seconds } from './measure';

const ROOT = join(__dirname, '../..');
const model = (name: string): Model =>
  parseModel(readFileSync(join(ROOT, `models/mnist/${name}.model.json`), 'utf8'));

async function coldBuild(label: string, m: Model, step: number | undefined, compareWithSnarkjs: boolean) {
  const cacheDir = mkdtempSync(join(tmpdir(), 'verilay-setup-bench-'));
  try {
    const start = performance.now();
    const built = await buildCircuit(m, { cacheDir, step });
    const total = seconds(start);
    const t = built.timings;
    console.log(
      `| ${label} | ${built.constraints} | ${t.compile} | ${t.setup} | ${t.export} | ${total.toFixed(1)} |`,
    );
    if (!compareWithSnarkjs) return;
    const theirs = join(cacheDir, 'snarkjs.zkey');
    const s = performance.now();
    await new SnarkjsPhase2Setup().setup(
      join(built.dir, 'circuit.r1cs'),
      join(ROOT, 'circuits/ptau/pot14_final.ptau'),
      theirs,
      DEV_BEACON,
    );
    const same = readFileSync(theirs).equals(readFileSync(built.zkeyPath));
    console.log(
      `| ${label}, snarkjs zkey new + beacon | | | ${seconds(s).toFixed(1)} | | same bytes: ${same} |`,
    );
    if (!same) process.exitCode = 1;
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

async function main() {
  console.log(`# phase-2 setup, ${describeNative()}`);
  console.log('| build | constraints | compile s | setup s | export s | cold build s |');
  console.log('|---|---|---|---|---|---|');
  await coldBuild('MNIST MLP (whole)', model('mnist-mlp'), undefined, true);
  if (process.argv.includes('--cnn'))
    await coldBuild('MNIST CNN step 1 (2^17)', model('mnist-cnn'), 1, false);
  await releaseProverThreads();
}

void main();
