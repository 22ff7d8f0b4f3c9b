// The Groth16 prover side by side on the MNIST MLP's whole-inference circuit, in one run: snarkjs'
// fullProve from files (every call), snarkjs warm (key in memory, witness precomputed), and the
// native prover warm (native/crates/prover; key parsed once, witness precomputed), each in its own
// child process so its peak RSS and CPU time are its own; plus the ezkl peer row from
// bench/peers/ezkl/results.json. The warm children get their witnesses as .wtns files computed
// here and import only what proving needs (no chain client, no witness calculator), so their peak
// RSS is the prover's. `npm run bench:prover` rewrites its section of docs/benchmarks.md.
import type { Model } from '@verilay/inference';
import type { CircuitArtifacts, Groth16Proof } from '@verilay/zk';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sectionMarkers, writeSection } from './bench-sections';
import { median, seconds } from './measure';

const ROOT = join(__dirname, '../..');
const MODEL = join(ROOT, 'models/mnist/mnist-mlp.model.json');
const EZKL = join(ROOT, 'bench/peers/ezkl/results.json');
export const PROVER_SECTION_MARKERS = sectionMarkers('prover', 'bench/prover.bench.ts');

type Mode = 'fullprove' | 'snarkjs-warm' | 'native-warm';
const RUNS: Record<Mode, number> = { fullprove: 3, 'snarkjs-warm': 5, 'native-warm': 10 };
/** Distinct inputs: one warm-up proof, then the timed ones. */
const INPUTS = Math.max(...Object.values(RUNS)) + 1;

interface ChildResult {
  readonly times: number[];
  /** CPU seconds (user + system, every thread of the process) per timed proof. */
  readonly cpuTimes: number[];
  readonly loadSeconds: number;
  readonly maxRssMiB: number;
  readonly proof: Groth16Proof;
  readonly publicSignals: string[];
}

const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

const loadModel = async (): Promise<Model> =>
  (await import('@verilay/inference')).parseModel(readFileSync(MODEL, 'utf8'));

/** One prover, measured in this (child) process: `dir` holds the key and, for warm modes, witnesses. */
async function child(mode: Mode, dir: string): Promise<ChildResult> {
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let last: { proof: Groth16Proof; publicSignals: string[] } | undefined;
  let loadSeconds = 0;
  const timed = async (prove: () => Promise<{ proof: Groth16Proof; publicSignals: string[] }>) => {
    const [t, c] = [performance.now(), cpuSeconds()];
    last = await prove();
    times.push(seconds(t));
    cpuTimes.push(cpuSeconds() - c);
  };
  const zk = await import('@verilay/zk');
  if (mode === 'fullprove') {
    const [{ randomInput }, snarkjs, model] = await Promise.all([
      import('@verilay/inference'),
      import('snarkjs'),
      loadModel(),
    ]);
    const artifacts = await zk.buildCircuit(model);
    for (let i = 1; i <= RUNS[mode]; i++) {
      const input = zk.circuitInput(randomInput(model, 500 + i), 7n);
      await timed(() => snarkjs.groth16.fullProve(input, artifacts.wasmPath, artifacts.zkeyPath));
    }
  } else {
    const witnesses = Array.from({ length: RUNS[mode] + 1 }, (_, i) => readFileSync(join(dir, `${i}.wtns`)));
    const t = performance.now();
    const zkey = readFileSync(join(dir, 'circuit.zkey'));
    const addon = mode === 'native-warm' ? (await import('@verilay/native')).nativeAddon() : null;
    if (mode === 'native-warm' && !addon) throw new Error('the native addon is not built (npm run build)');
    const prover = await zk.loadGroth16Prover(zkey, addon);
    loadSeconds = seconds(t);
    await prover.prove(witnesses[0]); // warm-up: thread pools, JIT
    for (const wtns of witnesses.slice(1)) await timed(() => prover.prove(wtns));
  }
  await zk.releaseProverThreads();
  return { times, cpuTimes, loadSeconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, ...last! };
}

/** The warm children's inputs: the key and INPUTS witnesses of distinct random digits. */
async function prepareWitnesses(artifacts: CircuitArtifacts, model: Model): Promise<string> {
  const [{ randomInput }, zk] = await Promise.all([import('@verilay/inference'), import('@verilay/zk')]);
  const dir = mkdtempSync(join(tmpdir(), 'verilay-prover-bench-'));
  writeFileSync(join(dir, 'circuit.zkey'), readFileSync(artifacts.zkeyPath));
  const calculator = await zk.WitnessCalculator.load(artifacts.wasmPath);
  for (let i = 0; i < INPUTS; i++)
    writeFileSync(
      join(dir, `${i}.wtns`),
      await calculator.wtns(zk.circuitInput(randomInput(model, 500 + i), 7n)),
    );
  return dir;
}

async function runChild(mode: Mode, dir: string): Promise<ChildResult> {
  const { stdout } = await promisify(execFile)(process.execPath, [__filename, '--child', mode, dir], {
    maxBuffer: 1 << 24,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}

interface EzklResults {
  readonly ezklVersion: string;
  readonly proveSeconds: number;
  readonly proveRuns?: number;
  readonly peakRssMiB: number;
  readonly proofBytes: number;
  readonly verifyGas: number | null;
  readonly logrows: number;
  readonly measuredAt?: string;
  readonly settings?: { target?: string; inputVisibility?: string; paramVisibility?: string };
}

/** Gas of a mined ModelRegistry.verifyInference transaction (registry + reverting wrapper + verifier). */
async function verificationGas(artifacts: CircuitArtifacts, model: Model, r: ChildResult): Promise<bigint> {
  const [{ computeModelId }, chain] = await Promise.all([
    import('@verilay/inference'),
    import('@verilay/chain'),
  ]);
  const {
    compileGroth16Verifier,
    createChainClients,
    defaultClaimsParameters,
    deployBytecode,
    deployContracts,
    devAccount,
    modelRegistryAbi,
    registerModel,
    startAnvil,
    toSolidityProof,
    transact,
  } = chain;
  const anvil = await startAnvil();
  try {
    const clients = createChainClients({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }, devAccount(0));
    const deployment = await deployContracts(clients, defaultClaimsParameters(devAccount(9).address));
    const verifier = await deployBytecode(
      clients,
      'Groth16Verifier',
      compileGroth16Verifier(readFileSync(artifacts.verifierSolPath, 'utf8')),
    );
    await registerModel(clients, deployment, {
      modelId: artifacts.modelId,
      wholeVerifier: verifier.address,
      traceLength: model.layers.length,
    });
    const mined = await transact(
      clients,
      {
        address: deployment.registry,
        abi: modelRegistryAbi,
        functionName: 'verifyInference',
        args: [
          computeModelId(model),
          BigInt(r.publicSignals[0]),
          BigInt(r.publicSignals[1]),
          toSolidityProof(r.proof),
        ],
      } as never,
      { gas: 1_000_000n },
    );
    return mined.gasUsed;
  } finally {
    await anvil.stop();
  }
}

export async function benchProver(): Promise<string> {
  const [zk, snarkjs, model] = await Promise.all([import('@verilay/zk'), import('snarkjs'), loadModel()]);
  console.error('prover: building the MNIST MLP circuit (cached after the first run)...');
  const artifacts = await zk.buildCircuit(model, {
    onProgress: (s, d) => console.error(`  ${s}${d ? `: ${d}` : ''}`),
  });
  const vkey = JSON.parse(readFileSync(artifacts.vkeyPath, 'utf8')) as import('snarkjs').VerificationKey;
  const dir = await prepareWitnesses(artifacts, model);
  const load = loadavg()[0];
  // PROVER_BENCH_EZKL=1: ezkl proves in this same run (bench/peers/ezkl/run.sh, its own virtual
  // environment, a few minutes), so every ratio comes from one run; else its last results are read.
  const ezklInThisRun = process.env.PROVER_BENCH_EZKL === '1';
  if (ezklInThisRun) {
    console.error('prover: ezkl (bench/peers/ezkl/run.sh)...');
    await promisify(execFile)('bash', [join(ROOT, 'bench/peers/ezkl/run.sh')], { maxBuffer: 1 << 24 });
  }
  const results = {} as Record<Mode, ChildResult>;
  try {
    for (const mode of ['fullprove', 'snarkjs-warm', 'native-warm'] as Mode[]) {
      console.error(`prover: ${mode} (${RUNS[mode]} proofs, own process)...`);
      results[mode] = await runChild(mode, dir);
      if (!(await snarkjs.groth16.verify(vkey, results[mode].publicSignals, results[mode].proof)))
        throw new Error(`${mode}: the benchmark proof does not verify`);
      console.error(
        `  median ${median(results[mode].times).toFixed(3)} s (CPU ${median(results[mode].cpuTimes).toFixed(3)} s), peak RSS ${results[mode].maxRssMiB.toFixed(0)} MiB`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const gas = await verificationGas(artifacts, model, results['native-warm']);
  await zk.releaseProverThreads();

  const t = (m: Mode) => median(results[m].times);
  const cpu = (m: Mode) => median(results[m].cpuTimes).toFixed(3);
  const bytes = (r: ChildResult) => JSON.stringify(r.proof).length;
  const rss = (m: Mode) => results[m].maxRssMiB.toFixed(0);
  const rows = [
    `MNIST MLP (\`models/mnist/mnist-mlp.model.json\`), whole-inference circuit: ${artifacts.constraints.toLocaleString('en')} constraints, domain 2^${Math.ceil(Math.log2(artifacts.constraints + 3))}; ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); 1-minute load average ${load.toFixed(1)} when the run began, ${loadavg()[0].toFixed(1)} at its end.`,
    '',
    '| prover | prove (s, median wall) | prove CPU (s, median, all threads) | runs | key load (s) | peak RSS (MiB, own process) | proof (bytes: JSON / calldata) | verification gas (mined, registry + wrapper + verifier) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    `| snarkjs \`groth16.fullProve\` from files (witness + key read every call) | ${t('fullprove').toFixed(3)} | ${cpu('fullprove')} | ${RUNS.fullprove} | — | ${rss('fullprove')} | ${bytes(results.fullprove)} / 256 | same verifier |`,
    `| snarkjs warm (\`groth16.prove\`, key in memory, witness precomputed) | ${t('snarkjs-warm').toFixed(3)} | ${cpu('snarkjs-warm')} | ${RUNS['snarkjs-warm']} | ${results['snarkjs-warm'].loadSeconds.toFixed(2)} | ${rss('snarkjs-warm')} | ${bytes(results['snarkjs-warm'])} / 256 | same verifier |`,
    `| **native warm** (native/crates/prover, key parsed once, witness precomputed, proof self-checked) | **${t('native-warm').toFixed(3)}** | ${cpu('native-warm')} | ${RUNS['native-warm']} | ${results['native-warm'].loadSeconds.toFixed(2)} | ${rss('native-warm')} | ${bytes(results['native-warm'])} / 256 | ${gas.toLocaleString('en')} |`,
  ];
  const ratios = [
    `- native warm vs snarkjs warm: **${(t('snarkjs-warm') / t('native-warm')).toFixed(1)}×** (target ≥ 8×; CPU time ${(median(results['snarkjs-warm'].cpuTimes) / median(results['native-warm'].cpuTimes)).toFixed(1)}×); vs fullProve: ${(t('fullprove') / t('native-warm')).toFixed(1)}×; target ≤ 0.25 s: ${t('native-warm') <= 0.25 ? 'met' : `missed by ${(t('native-warm') - 0.25).toFixed(3)} s`}; peak RSS target ≤ 300 MiB: ${results['native-warm'].maxRssMiB <= 300 ? 'met' : 'missed'}.`,
    "- The warm children read .wtns files the parent computed: their peak RSS is the proving process (Node, libs/zk, the key), without circom's witness calculator (see the optimisation log).",
  ];
  if (existsSync(EZKL)) {
    const e = JSON.parse(readFileSync(EZKL, 'utf8')) as EzklResults;
    rows.push(
      `| ezkl ${e.ezklVersion} (Halo2/KZG, from the float ONNX; settings target=${e.settings?.target ?? '?'}, logrows ${e.logrows}; ${ezklInThisRun ? 'proved in this run' : 'read from bench/peers/ezkl/results.json'}${e.measuredAt ? `, measured ${e.measuredAt}` : ''}) | ${e.proveSeconds.toFixed(3)} | — | ${e.proveRuns ?? '—'} | — | ${e.peakRssMiB} | ${e.proofBytes} (transcript) | ${e.verifyGas?.toLocaleString('en') ?? 'not measured'} |`,
    );
    ratios.push(
      `- native warm vs ezkl: **${(e.proveSeconds / t('native-warm')).toFixed(0)}×** faster (target ≥ 10×), ${(e.peakRssMiB / results['native-warm'].maxRssMiB).toFixed(1)}× less peak memory${e.verifyGas ? `, ${(e.verifyGas / Number(gas)).toFixed(1)}× less verification gas` : ''}.`,
    );
    if (!ezklInThisRun)
      ratios.push(
        '- The ezkl row is from its own earlier run (`npm run bench:ezkl`); `PROVER_BENCH_EZKL=1 npm run bench:prover` proves with ezkl in the same run.',
      );
  } else {
    const missing =
      '- ezkl row missing: bench/peers/ezkl/results.json does not exist. Produce it with `npm run bench:ezkl` (bench/peers/ezkl/run.sh: ezkl from PyPI in its own virtual environment), or run `PROVER_BENCH_EZKL=1 npm run bench:prover`.';
    console.error(missing);
    ratios.push(missing);
  }
  return [...rows, '', ...ratios].join('\n');
}

if (require.main === module) {
  const [flag, mode, dir] = process.argv.slice(2);
  if (flag === '--child') {
    child(mode as Mode, dir)
      .then((r) => {
        process.stdout.write(`${JSON.stringify(r)}\n`);
        process.exit(0);
      })
      .catch((e: unknown) => {
        console.error(e);
        process.exit(1);
      });
  } else {
    benchProver()
      .then((section) => {
        console.log(section);
        writeSection(join(ROOT, 'docs/benchmarks.md'), PROVER_SECTION_MARKERS, section);
      })
      .catch((e: unknown) => {
        console.error(e);
        process.exit(1);
      });
  }
}
