import { computeModelId, modelToJson, type Model } from '@verilay/inference';
import { cnnToOnnx, mlpToOnnx } from './export-onnx-model';
import { cnnToVerilay, mlpToVerilay } from './export-verilay-model';
import { FloatCnn } from './float-cnn';
import { floatCnnFromOnnx, floatCnnToOnnx, floatMlpFromOnnx, floatMlpToOnnx } from './float-checkpoint';
import { FloatMlp } from './float-mlp';
import { IMAGE_SIZE, PIXELS, type MnistData, type MnistSplit } from './mnist-data';
import { quantizeCnn, quantizeMlp, type Calibration } from './quantize-mnist';
import { trainSgd, type EpochLog, type TrainingRecipe } from './sgd-training';

// The MNIST pipeline in two stages: float training (slow, ~10-20 s per model) writes float32
// checkpoints; quantization and export (a few seconds) derive every shipped quantized file from a
// checkpoint alone. make-mnist-models.ts runs both; the spec re-runs the second.

export type MnistModelName = 'mnist-mlp' | 'mnist-cnn';

/** One recipe for both models; only the seed differs. */
const RECIPE = {
  epochs: 20,
  batchSize: 32,
  learningRate: 0.05,
  momentum: 0.9,
  weightDecay: 1e-4,
  maxShift: 1,
} as const;

export const RECIPES: Readonly<Record<MnistModelName, TrainingRecipe>> = {
  'mnist-mlp': { seed: 1, ...RECIPE },
  'mnist-cnn': { seed: 2, ...RECIPE },
};

/** The float checkpoint of each model: a float32 ONNX file (`<name>.float.onnx`). */
export type FloatCheckpoints = Readonly<Record<MnistModelName, Uint8Array>>;

/** Trains both float models with their recipes; returns the checkpoints and the seconds each took. */
export function trainFloatModels(
  train: MnistSplit,
  log?: (name: MnistModelName, ...args: Parameters<EpochLog>) => void,
): { checkpoints: FloatCheckpoints; seconds: Record<MnistModelName, number> } {
  const timed = <T>(f: () => T): [T, number] => {
    const start = performance.now();
    const value = f();
    return [value, (performance.now() - start) / 1000];
  };
  const [mlp, mlpSeconds] = timed(() => {
    const net = FloatMlp.initial(RECIPES['mnist-mlp'].seed);
    trainSgd(net, train, RECIPES['mnist-mlp'], (...args) => log?.('mnist-mlp', ...args));
    return floatMlpToOnnx(net);
  });
  const [cnn, cnnSeconds] = timed(() => {
    const net = FloatCnn.initial(RECIPES['mnist-cnn'].seed);
    trainSgd(net, train, RECIPES['mnist-cnn'], (...args) => log?.('mnist-cnn', ...args));
    return floatCnnToOnnx(net);
  });
  return {
    checkpoints: { 'mnist-mlp': mlp, 'mnist-cnn': cnn },
    seconds: { 'mnist-mlp': mlpSeconds, 'mnist-cnn': cnnSeconds },
  };
}

/** One quantized model and everything derived from its checkpoint. */
export interface MnistArtifact {
  readonly name: MnistModelName;
  readonly architecture: string;
  readonly parameterCount: number;
  /** The float network of the checkpoint (float32 weights). */
  readonly float: FloatMlp | FloatCnn;
  readonly calibration: Calibration;
  /** The scales of the quantized model (float32 values), for the record. */
  readonly scales: Readonly<Record<string, number>>;
  readonly model: Model;
  readonly modelId: string;
  /** The ONNX input `pixels`' shape. */
  readonly onnxInputShape: readonly number[];
  /** File name (in models/mnist) -> bytes: the checkpoint, the verilay model and the ONNX model. */
  readonly files: Readonly<Record<string, Uint8Array>>;
}

/**
 * Quantizes each checkpoint (calibrating on the training images) and exports the verilay model
 * (`<name>.model.json`) and the quantized ONNX model (`<name>.onnx`). Deterministic: the same
 * checkpoints and data give the same bytes.
 */
export function quantizeAndExport(checkpoints: FloatCheckpoints, data: MnistData): MnistArtifact[] {
  const mlpFloat = floatMlpFromOnnx(checkpoints['mnist-mlp']);
  const mlp = quantizeMlp(mlpFloat, data.train);
  const cnnFloat = floatCnnFromOnnx(checkpoints['mnist-cnn']);
  const cnn = quantizeCnn(cnnFloat, data.train);
  return [
    artifact({
      name: 'mnist-mlp',
      architecture:
        'dense 784->64, ReLU, dense 64->10 (uint8 input, int8 weights, uint8 hidden, int8 logits)',
      float: mlpFloat,
      calibration: mlp.ranges,
      scales: {
        input: mlp.model.inputScale,
        fc1Weight: mlp.model.fc1.weightScale,
        fc1Accumulator: mlp.model.fc1.accScale,
        hidden: mlp.model.hiddenScale,
        fc2Weight: mlp.model.fc2.weightScale,
        fc2Accumulator: mlp.model.fc2.accScale,
        logits: mlp.model.logitScale,
      },
      model: mlpToVerilay(mlp.model),
      onnx: mlpToOnnx(mlp.model),
      checkpoint: checkpoints['mnist-mlp'],
      onnxInputShape: [1, PIXELS],
    }),
    artifact({
      name: 'mnist-cnn',
      architecture:
        'conv 1->8 5x5 stride 2 -> [8,12,12], ReLU, maxpool 2x2 -> [8,6,6], flatten 288, dense 288->10 ' +
        '(uint8 input, int8 weights, uint8 hidden, int8 logits)',
      float: cnnFloat,
      calibration: cnn.ranges,
      scales: {
        input: cnn.model.inputScale,
        convWeight: cnn.model.conv.weightScale,
        hidden: cnn.model.hiddenScale,
        fcWeight: cnn.model.fc.weightScale,
        fcAccumulator: cnn.model.fc.accScale,
        logits: cnn.model.logitScale,
      },
      model: cnnToVerilay(cnn.model),
      onnx: cnnToOnnx(cnn.model),
      checkpoint: checkpoints['mnist-cnn'],
      onnxInputShape: [1, 1, IMAGE_SIZE, IMAGE_SIZE],
    }),
  ];
}

function artifact(a: {
  name: MnistModelName;
  architecture: string;
  float: FloatMlp | FloatCnn;
  calibration: Calibration;
  scales: Record<string, number>;
  model: Model;
  onnx: Uint8Array;
  checkpoint: Uint8Array;
  onnxInputShape: readonly number[];
}): MnistArtifact {
  const json = JSON.stringify(modelToJson(a.model)) + '\n';
  return {
    name: a.name,
    architecture: a.architecture,
    parameterCount: a.float.parameters.reduce((n, p) => n + p.values.length, 0),
    float: a.float,
    calibration: a.calibration,
    scales: a.scales,
    model: a.model,
    modelId: computeModelId(a.model),
    onnxInputShape: a.onnxInputShape,
    files: {
      [`${a.name}.float.onnx`]: a.checkpoint,
      [`${a.name}.model.json`]: new TextEncoder().encode(json),
      [`${a.name}.onnx`]: a.onnx,
    },
  };
}
