// Integer transformer inference (format v2), native kernels next to the reference runtime, in one
// process: a random LLaMA-shaped model (vocab 128, d 64, 4 heads, SwiGLU ffn 128, 2 blocks, RoPE,
// causal table softmax, int8 activations) at T = 16, 32, 64 positions.
// - `run`: one forward pass over T positions (a teacher-forced replay of a generation claim);
// - run + commit: the pass and every trace tensor's Poseidon commitment, the state commitments h_i
//   and the trace root (what a watcher recomputes per claim): the reference runtime with
//   circomlibjs, against the native runAndCommit (one crossing).
// Positions/s = T / seconds per pass. Both outputs are compared before timing.
// `npm run build && node dist/bench/transformer-kernels.bench.js` rewrites its section of docs/benchmarks.md.
import { createJsTensorCommitter, toHex32, traceRoot, type Hex32 } from '@verilay/commitments';
import {
  buildModel,
  modelCost,
  NativeModelRunner,
  randomInput,
  run,
  splitmix32,
  type FusedRequantize,
  type Layer,
  type Model,
} from '@verilay/inference';
import { nativeAddon } from '@verilay/native';
import { buildPoseidon } from 'circomlibjs';
import { join } from 'node:path';
import { sectionMarkers, writeSection } from './bench-sections';

export const TRANSFORMER_SECTION_MARKERS = sectionMarkers(
  'transformer-kernels',
  'bench/transformer-kernels.bench.ts',
);

const SHAPE = { vocab: 128, dim: 64, heads: 4, ffn: 128, blocks: 2 };

/** A deterministic random LLaMA-shaped int8 model at `positions` (untrained; activations spread). */
export function llamaShaped(seed: number, positions: number): Model {
  const { vocab, dim, heads, ffn, blocks } = SHAPE;
  const hd = dim / heads;
  const half = hd / 2;
  const rand = splitmix32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const i8 = (n: number) => Int8Array.from({ length: n }, () => int(-127, 127));
  /** Maps a typical |value| to about `to` in int8. */
  const requant = (typical: number, to = 40): FusedRequantize => ({
    multiplier: Math.max(1, Math.round((2 ** 24 * to) / typical)),
    shift: 24,
    zeroPoint: 0,
    dtype: 'int8',
  });
  const layers: Layer[] = [];
  const dense = (inF: number, outF: number, typical = 40) =>
    layers.push({
      op: 'dense',
      inFeatures: inF,
      outFeatures: outF,
      weights: i8(inF * outF),
      bias: Int32Array.from({ length: outF }, () => int(-4 * inF, 4 * inF)),
      requantize: requant(typical * 73 * Math.sqrt(inF)),
    });
  const rmsnorm = () =>
    layers.push({
      op: 'rmsnorm',
      dim,
      weight: Int32Array.from({ length: dim }, () => int(20, 60)),
      eps: 1,
      dtype: 'int8',
    });
  const rope = () => {
    const shift = 12;
    const table = (f: (a: number) => number) =>
      Int16Array.from({ length: positions * half }, (_, k) =>
        Math.round(2 ** shift * f(Math.floor(k / half) * 10000 ** (-(k % half) / half))),
      );
    layers.push({
      op: 'rope',
      shift,
      dtype: 'int8',
      positions,
      half,
      cos: table(Math.cos),
      sin: table(Math.sin),
    });
  };
  const fracBits = 4;
  const table = Int32Array.from({ length: 2 ** fracBits }, (_, p) =>
    Math.round(2 ** 15 * 2 ** (-p / 2 ** fracBits)),
  );

  layers.push({ op: 'embedding', vocab, dim, weights: i8(vocab * dim) });
  for (let block = 0; block < blocks; block++) {
    // Attention: slots 1 residual, 2/3 normed x for k and q, 4 v, 5 k.
    layers.push({ op: 'store', slot: 1 });
    rmsnorm();
    layers.push({ op: 'store', slot: 2 }, { op: 'store', slot: 3 });
    dense(dim, dim);
    layers.push({ op: 'splitHeads', heads }, { op: 'store', slot: 4 }, { op: 'load', slot: 2 });
    dense(dim, dim);
    layers.push({ op: 'splitHeads', heads });
    rope();
    layers.push({ op: 'store', slot: 5 }, { op: 'load', slot: 3 });
    dense(dim, dim);
    layers.push({ op: 'splitHeads', heads });
    rope();
    layers.push(
      {
        op: 'matmul',
        slot: 5,
        transposeB: true,
        requantize: requant(40 * 40 * Math.sqrt(hd), 3 * 2 ** fracBits),
      },
      { op: 'softmax', causal: true, fracBits, table },
      { op: 'matmul', slot: 4, transposeB: false, requantize: requant((255 / Math.sqrt(positions)) * 40) },
      { op: 'mergeHeads' },
    );
    dense(dim, dim);
    layers.push({ op: 'add', slot: 1, requantize: requant(80) });
    // SwiGLU: slots 1 residual, 2 normed x, 3 up.
    layers.push({ op: 'store', slot: 1 });
    rmsnorm();
    layers.push({ op: 'store', slot: 2 });
    dense(dim, ffn);
    layers.push({ op: 'store', slot: 3 }, { op: 'load', slot: 2 });
    dense(dim, ffn);
    // SiLU-like gate: g ≈ bias + sgn(x)(a(min(|x|, clip) − clip)² + b).
    const [clip, a, b, bias] = [80, 300, 100_000, 2_000_000];
    layers.push({ op: 'polyGate', clip, a, b, bias, ...requant((40 * (bias + a * clip * clip + b)) / 2) });
    layers.push({ op: 'mul', slot: 3, requantize: requant(40 * 40) });
    dense(ffn, dim);
    layers.push({ op: 'add', slot: 1, requantize: requant(80) });
  }
  rmsnorm();
  dense(dim, vocab);
  layers.push({ op: 'argmax' });
  return buildModel({
    format: 'verilay.model.v2',
    name: `llama-shaped-${positions}`,
    input: { shape: [positions], dtype: 'int16', range: [0, vocab - 1] },
    layers,
  });
}

/** Best of 3 rounds of at least `minMs` each: seconds per call. */
function secondsPerCall(f: (i: number) => unknown, minMs = 1500): number {
  for (let i = 0; i < 3; i++) f(i);
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < minMs) f(n++);
    best = Math.min(best, (performance.now() - start) / 1000 / n);
  }
  return best;
}

export async function benchTransformerKernels(): Promise<string> {
  const addon = nativeAddon();
  if (!addon) throw new Error('the native core is not built or VERILAY_NATIVE=off: nothing to compare');
  const committer = await createJsTensorCommitter();
  const poseidon = await buildPoseidon();
  const tag = 0x7673746174650000n;
  const rows: string[] = [];
  for (const positions of [16, 32, 64]) {
    const model = llamaShaped(1, positions);
    const native = new NativeModelRunner(model, addon);
    const inputs = Array.from({ length: 8 }, (_, i) => randomInput(model, i + 1));
    const jsCommit = (input: Int32Array) => {
      const { output, trace } = run(model, input);
      const c = trace.map((t, i) => committer.commitTensor(t, i === 0 ? 1n : 0n));
      const h = model.states.map((live, i): Hex32 =>
        live.length === 0
          ? c[i]
          : toHex32(
              poseidon.F.toObject(
                poseidon([tag + BigInt(live.length), ...[c[i], ...live.map(([, j]) => c[j])].map(BigInt)]),
              ),
            ),
      );
      return { output, root: traceRoot(h) };
    };
    // Same output and trace root before anything is timed.
    for (const input of inputs.slice(0, 2)) {
      const [js, nat] = [jsCommit(input), native.runAndCommit(input, 1n)];
      if (js.root !== nat.traceRoot || js.output.data.join() !== nat.output.data.join())
        throw new Error(`T=${positions}: native and JavaScript differ`);
    }
    const jsRun = secondsPerCall((i) => run(model, inputs[i % 8]));
    const nativeRun = secondsPerCall((i) => native.run(inputs[i % 8]));
    const jsTask = secondsPerCall((i) => jsCommit(inputs[i % 8]));
    const nativeTask = secondsPerCall((i) => native.runAndCommit(inputs[i % 8], 1n));
    const cost = modelCost(model);
    const pps = (s: number) => (positions / s).toFixed(0);
    rows.push(
      `| ${positions} | ${model.layers.length} | ${(cost.macs / 1e6).toFixed(2)} M | ${cost.traceElements.toLocaleString('en')} | ` +
        `${pps(jsRun)} | ${pps(nativeRun)} | ${(jsRun / nativeRun).toFixed(1)}× | ` +
        `${pps(jsTask)} | ${pps(nativeTask)} | ${(jsTask / nativeTask).toFixed(1)}× |`,
    );
    console.error(`transformer T=${positions}: ${rows[rows.length - 1]}`);
  }
  return [
    `Random LLaMA-shaped int8 model (vocab ${SHAPE.vocab}, d ${SHAPE.dim}, ${SHAPE.heads} heads, SwiGLU ffn ${SHAPE.ffn}, ${SHAPE.blocks} blocks, RoPE, causal table softmax); one forward pass over T positions; single thread, best of 3 rounds, one process. Positions/s = T / seconds per pass.`,
    '',
    '| T | layers | MACs | trace elements | `run` JS (pos/s) | `run` native (pos/s) | speed-up | run + commit JS (pos/s) | run + commit native (pos/s) | speed-up |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

if (require.main === module) {
  benchTransformerKernels()
    .then((table) => {
      writeSection(join(__dirname, '../../docs/benchmarks.md'), TRANSFORMER_SECTION_MARKERS, table);
      console.log(table);
      process.exit(0);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
