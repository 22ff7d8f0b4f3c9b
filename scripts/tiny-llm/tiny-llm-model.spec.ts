// Checks the shipped tiny-llm (models/tiny-llm, made by train.py and `npm run models:tiny-llm`):
// the v2 document loads, its modelId is the recorded one, a greedy generation reproduces the
// recorded text, and quantization re-derives the document byte for byte from the shipped float
// weights. Training and the full held-out evaluation are not re-run here (docs/models.md).
import {
  computeModelId,
  modelToJson,
  NativeModelRunner,
  parseModel,
  run,
  type Model,
} from '@verilay/inference';
import { nativeAddon } from '@verilay/native';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateLlm, heldOutWindows } from './evaluate-llm';
import { referenceTrace } from './integer-reference';
import { greedyText, quantizeShipped } from './make-tiny-llm';
import { METRICS_FILE, MODEL_FILE, readFloatLlm, readHeldOutText } from './tiny-llm-files';

const DIR = join(__dirname, '../../models/tiny-llm');
const document = readFileSync(join(DIR, MODEL_FILE), 'utf8');
const metrics = JSON.parse(readFileSync(join(DIR, METRICS_FILE), 'utf8')) as {
  modelId: string;
  generation: { prompt: string; text: string };
  quantization: { logits: { scale: number; zeroPoint: number } };
};
const docs = readFileSync(join(__dirname, '../../docs/models.md'), 'utf8');

describe('models/tiny-llm', () => {
  let sut: Model;

  beforeAll(() => {
    sut = parseModel(document);
  });

  it('loads as a verilay.model.v2 language model over [16] byte ids and argmax over [16, 128]', () => {
    expect(sut.format).toBe('verilay.model.v2');
    expect(sut.input).toEqual({ shape: [16], dtype: 'int8', range: [0, 127] });
    expect(sut.tensors[sut.tensors.length - 2].shape).toEqual([16, 128]);
    expect(sut.layers[sut.layers.length - 1].op).toBe('argmax');
  });

  it('has the modelId that metrics.json and docs/models.md record', () => {
    expect(computeModelId(sut)).toBe(metrics.modelId);
    expect(docs).toContain(metrics.modelId);
  });

  it('reproduces the recorded greedy generation from its prompt', () => {
    expect(metrics.generation.text.startsWith(metrics.generation.prompt)).toBe(true);
    expect(greedyText(sut, metrics.generation.prompt)).toBe(metrics.generation.text);
  });

  it('gives the same integers as the second implementation (integer-reference.ts) on held-out text', () => {
    const windows = heldOutWindows(readHeldOutText(DIR), 16).inputs.slice(0, 4);
    for (const input of windows) {
      // One string per tensor: jest's deep equality over 87 tensors is what would take the time.
      const trace = run(sut, input).trace.map((t) => Array.from(t.data).join());
      expect(trace).toEqual(referenceTrace(sut, input).map((t) => t.join()));
    }
  });

  // Skipped with VERILAY_NATIVE=off or without a built addon: the JS runtime is checked above.
  (nativeAddon() ? it : it.skip)('runs bit for bit on the native kernels (held-out text)', () => {
    const native = new NativeModelRunner(sut, nativeAddon()!);
    for (const input of heldOutWindows(readHeldOutText(DIR), 16).inputs.slice(0, 16)) {
      const trace = native.run(input).trace.map((t) => Array.from(t.data).join());
      expect(trace).toEqual(run(sut, input).trace.map((t) => Array.from(t.data).join()));
    }
  });

  it("keeps the float model's greedy choice at 95% or more of held-out positions (32 windows)", () => {
    const float = readFloatLlm(DIR);
    const L = sut.layers.length;
    const windows = heldOutWindows(readHeldOutText(DIR), 16);
    const result = evaluateLlm(
      float,
      (input) => {
        const { trace } = run(sut, input);
        return { logits: trace[L - 1].data, argmax: trace[L].data };
      },
      metrics.quantization.logits,
      { inputs: windows.inputs.slice(0, 32), targets: windows.targets.slice(0, 32) },
    );
    expect(result.greedyAgreement.fraction).toBeGreaterThanOrEqual(0.95);
    expect(result.perplexityIncrease).toBeLessThanOrEqual(0.05);
  });

  it('is re-derived byte for byte from the shipped float weights and calibration text', () => {
    const { model } = quantizeShipped(DIR);
    expect(JSON.stringify(modelToJson(model)) + '\n').toBe(document);
  });
});
