/** @jest-environment ./test/jest/outer-typed-arrays.environment.js */
// Checks the shipped MNIST models (models/mnist, made by `npm run models:mnist`) on the held-out
// digits, against ONNX Runtime and the ONNX importer, and that quantization + export re-derive the
// shipped files byte for byte from the shipped float checkpoints. Training itself (~35 s) is not
// re-run here; its determinism is checked by running the script twice (docs/models.md).
import { computeModelId, parseModel, type Model } from '@verilay/inference';
import { importOnnx } from '@verilay/onnx';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agreement, floatPredictions, onnxRuntimePredictions, verilayPredictions } from './evaluate-mnist';
import { floatCnnFromOnnx, floatMlpFromOnnx } from './float-checkpoint';
import { IMAGE_SIZE, loadMnist, PIXELS } from './mnist-data';
import { quantizeAndExport, type MnistModelName } from './mnist-pipeline';

const DIR = join(__dirname, '../../models/mnist');
const read = (file: string) => new Uint8Array(readFileSync(join(DIR, file)));

/** What docs/models.md promises of each shipped model on the held-out digits. */
const CASES: readonly {
  name: MnistModelName;
  minAccuracy: number;
  inputShape: number[];
  float: (bytes: Uint8Array) => { forward(x: Float64Array): { logits: Float64Array } };
}[] = [
  { name: 'mnist-mlp', minAccuracy: 0.96, inputShape: [1, PIXELS], float: floatMlpFromOnnx },
  {
    name: 'mnist-cnn',
    minAccuracy: 0.965,
    inputShape: [1, 1, IMAGE_SIZE, IMAGE_SIZE],
    float: floatCnnFromOnnx,
  },
];
/** verilay rounds half up in fixed point, ORT half to even in float32: rare 1-LSB differences. */
const MIN_ORT_AGREEMENT = 0.995;

const data = loadMnist();
const metrics = JSON.parse(readFileSync(join(DIR, 'metrics.json'), 'utf8')) as {
  models: {
    name: string;
    modelId: string;
    accuracy: Record<string, { matches: number }>;
    files: Record<string, { sha256: string }>;
  }[];
};

describe('models/mnist', () => {
  describe.each(CASES)('$name', ({ name, minAccuracy, inputShape, float }) => {
    let sut: Model;
    let verilay: Uint8Array;
    const stated = metrics.models.find((m) => m.name === name)!;

    beforeAll(() => {
      sut = parseModel(readFileSync(join(DIR, `${name}.model.json`), 'utf8'));
      verilay = verilayPredictions(sut, data.test);
    });

    it(`classifies at least ${100 * minAccuracy}% of the held-out digits, as metrics.json states`, () => {
      const { fraction, matches } = agreement(verilay, data.test.labels);

      expect(data.test.count).toBe(2004);
      expect(fraction).toBeGreaterThanOrEqual(minAccuracy);
      expect(matches).toBe(stated.accuracy.verilay.matches);
    });

    it(`runs in ONNX Runtime and agrees with verilay's argmax on at least ${100 * MIN_ORT_AGREEMENT}% of them`, async () => {
      const ort = await onnxRuntimePredictions(read(`${name}.onnx`), inputShape, data.test);

      expect(agreement(ort, verilay).fraction).toBeGreaterThanOrEqual(MIN_ORT_AGREEMENT);
      expect(agreement(ort, data.test.labels).fraction).toBeGreaterThanOrEqual(minAccuracy);
      expect(agreement(ort, data.test.labels).matches).toBe(stated.accuracy.onnxRuntime.matches);
    });

    it('ships a float checkpoint that ONNX Runtime runs like the float model', async () => {
      const bytes = read(`${name}.float.onnx`);
      const ort = await onnxRuntimePredictions(bytes, inputShape, data.test);

      expect(agreement(ort, floatPredictions(float(bytes), data.test)).fraction).toBeGreaterThanOrEqual(
        0.999,
      );
    });

    it('has the modelId and file hashes that metrics.json states', () => {
      expect(computeModelId(sut)).toBe(stated.modelId);
      for (const [file, { sha256 }] of Object.entries(stated.files))
        expect(createHash('sha256').update(read(file)).digest('hex')).toBe(sha256);
    });

    it('imports from its ONNX file as the same verilay model (same modelId)', () => {
      const imported = importOnnx(read(`${name}.onnx`));

      expect(computeModelId(imported.model)).toBe(stated.modelId);
      expect(imported.model.input).toEqual(sut.input);
      expect(imported.inputQuantization).toEqual({
        scale: Math.fround(1 / 255),
        zeroPoint: 0,
        dtype: 'uint8',
      });
    });
  });

  describe('quantizeAndExport', () => {
    it('re-derives the shipped verilay and ONNX files byte for byte from the float checkpoints', () => {
      const artifacts = quantizeAndExport(
        { 'mnist-mlp': read('mnist-mlp.float.onnx'), 'mnist-cnn': read('mnist-cnn.float.onnx') },
        data,
      );

      for (const { name, files } of artifacts) {
        expect(Object.keys(files).sort()).toEqual([
          `${name}.float.onnx`,
          `${name}.model.json`,
          `${name}.onnx`,
        ]);
        for (const [file, bytes] of Object.entries(files))
          expect(Buffer.from(bytes).equals(read(file))).toBe(true);
      }
    });
  });
});
