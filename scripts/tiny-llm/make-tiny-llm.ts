// Quantizes the trained tiny-llm (models/tiny-llm/tiny-llm.float.safetensors, from train.py) into
// the verilay.model.v2 model models/tiny-llm/tiny-llm.json, measures it against the float model on
// the held-out books, and writes models/tiny-llm/metrics.json (quoted in docs/models.md).
// Remake: npm run models:tiny-llm (training itself: scripts/tiny-llm/train.py, offline).
import { buildModel, computeModelId, modelToJson, run, type Model } from '@verilay/inference';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateLlm, heldOutWindows } from './evaluate-llm';
import { argmaxRows, floatForward } from './float-llm';
import { referenceTrace } from './integer-reference';
import { calibrate, quantizeLlm, type QuantizedLlm } from './quantize-llm';
import {
  FLOAT_EVAL_FILE,
  FLOAT_FILE,
  GENERATION_PROMPT,
  METRICS_FILE,
  MODEL_FILE,
  readCalibrationWindows,
  readFloatLlm,
  readHeldOutText,
} from './tiny-llm-files';
import { asciiTokenizer } from '@verilay/generation';

/** Run from dist/scripts/tiny-llm/ (npm run models:tiny-llm builds first), or give the folder. */
const DIR = process.argv[2] ?? join(__dirname, '../../../models/tiny-llm');
/** Windows checked tensor by tensor against the second implementation (integer-reference.ts). */
const CROSS_CHECK_WINDOWS = 64;

/** The float model and its quantization, as the spec re-derives them from the shipped files. */
export function quantizeShipped(dir: string): { quantized: QuantizedLlm; model: Model } {
  const float = readFloatLlm(dir);
  const quantized = quantizeLlm(float, calibrate(float, readCalibrationWindows(dir)));
  return { quantized, model: buildModel(quantized.spec) };
}

/** Greedy decoding within one context: each new token is the argmax at the last filled position. */
export function greedyText(model: Model, prompt: string): string {
  const T = model.input.shape[0];
  const sequence = asciiTokenizer.encode(prompt);
  while (sequence.length < T) {
    const padded = [...sequence, ...new Array<number>(T - sequence.length).fill(0)];
    sequence.push(run(model, padded).output.data[sequence.length - 1]);
  }
  return asciiTokenizer.decode(sequence);
}

function main(): void {
  const start = performance.now();
  const float = readFloatLlm(DIR);
  const { quantized, model } = quantizeShipped(DIR);
  const json = JSON.stringify(modelToJson(model)) + '\n';
  writeFileSync(join(DIR, MODEL_FILE), json);
  const modelId = computeModelId(model);
  console.log(`${MODEL_FILE}: ${model.layers.length} layers, modelId ${modelId}`);

  const L = model.layers.length;
  const windows = heldOutWindows(readHeldOutText(DIR), float.arch.context);
  for (const input of windows.inputs.slice(0, CROSS_CHECK_WINDOWS)) {
    const trace = run(model, input).trace;
    const reference = referenceTrace(quantized.spec, input);
    trace.forEach((t, i) => {
      if (Array.from(t.data).join() !== reference[i].join())
        throw new Error(
          `run and the integer reference differ at tensor ${i} on "${asciiTokenizer.decode(input)}"`,
        );
    });
  }
  const evalStart = performance.now();
  const evaluation = evaluateLlm(
    float,
    (input) => {
      const { trace } = run(model, input);
      return { logits: trace[L - 1].data, argmax: trace[L].data };
    },
    { scale: quantized.logitScale, zeroPoint: quantized.logitZeroPoint },
    windows,
  );
  const evalSeconds = (performance.now() - evalStart) / 1000;

  // train.py's float32 torch model against this float64 one: greedy agreement on its saved windows.
  const floatEval = JSON.parse(readFileSync(join(DIR, FLOAT_EVAL_FILE), 'utf8'));
  const torchGreedy = Buffer.from(floatEval.greedy.argmaxHex as string, 'hex');
  let torchAgree = 0;
  windows.inputs.slice(0, floatEval.greedy.windows).forEach((input, w) =>
    argmaxRows(floatForward(float, input), float.arch.vocab).forEach((g, p) => {
      torchAgree += g === torchGreedy[w * input.length + p] ? 1 : 0;
    }),
  );

  const sha = (file: string) =>
    createHash('sha256')
      .update(readFileSync(join(DIR, file)))
      .digest('hex');
  const size = (file: string) => readFileSync(join(DIR, file)).length;
  const metrics = {
    generatedBy: 'npm run models:tiny-llm (scripts/tiny-llm/make-tiny-llm.ts); deterministic except seconds',
    modelId,
    layers: L,
    quantization: {
      residualScales: quantized.residualScales,
      logits: { scale: quantized.logitScale, zeroPoint: quantized.logitZeroPoint },
      sigmoidFit: quantized.sigmoidFit,
      gateFracBits: quantized.gateFracBits,
      calibrationWindows: readCalibrationWindows(DIR).length,
    },
    heldOut: {
      ...evaluation,
      torchFloatPerplexity: floatEval.heldOut.perplexity,
      torchGreedyAgreement: { windows: floatEval.greedy.windows, fraction: torchAgree / torchGreedy.length },
      integerSecondsPerWindow: evalSeconds / evaluation.windows,
      crossCheckedWindows: CROSS_CHECK_WINDOWS,
    },
    generation: { prompt: GENERATION_PROMPT, text: greedyText(model, GENERATION_PROMPT) },
    files: Object.fromEntries(
      [MODEL_FILE, FLOAT_FILE, FLOAT_EVAL_FILE].map((f) => [f, { bytes: size(f), sha256: sha(f) }]),
    ),
  };
  writeFileSync(join(DIR, METRICS_FILE), JSON.stringify(metrics, null, 2) + '\n');
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  console.log(
    `held-out ${evaluation.positions} positions: perplexity float ${evaluation.floatPerplexity.toFixed(4)}, ` +
      `integer ${evaluation.integerPerplexity.toFixed(4)} (${pct(evaluation.perplexityIncrease)}), greedy ` +
      `agreement ${pct(evaluation.greedyAgreement.fraction)}; torch/TS float agreement ` +
      `${pct(torchAgree / torchGreedy.length)}; "${metrics.generation.text}"; ` +
      `${((performance.now() - start) / 1000).toFixed(1)} s`,
  );
}

if (require.main === module) main();
