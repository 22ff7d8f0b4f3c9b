import { importGguf } from '@verilay/gguf';
import { computeModelId, encodeModel, modelCost, modelToJson } from '@verilay/inference';
import { importOnnx } from '@verilay/onnx';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface ModelImportOptions {
  readonly out: string;
  readonly name?: string;
  readonly multiplierBits?: number;
  readonly output?: string;
  readonly force?: boolean;
  /** GGUF: context T, calibration text file, windows of it. */
  readonly context?: number;
  readonly calibration?: string;
  readonly calibrationWindows?: number;
}

const isGguf = (file: string) => readFileSync(file).subarray(0, 4).toString('latin1') === 'GGUF';

/** Files written next to a `.vlm` model: its tokenizer and how to read its logits. */
export const sidecarFiles = (out: string) => {
  const stem = out.replace(/\.vlm$/, '');
  return { tokenizer: `${stem}.tokenizer.json`, quantization: `${stem}.quantization.json` };
};

/**
 * `verilay model import <model.gguf> --out <model.vlm> --calibration <text>`: a LLaMA-architecture
 * GGUF language model to a verilay.model.v2 model in canonical bytes (too big for JSON), with its
 * tokenizer (`verilay generate --tokenizer <file>`) and its logit scale next to it
 * (docs/models.md, "SmolLM2-135M").
 */
function importGgufFile(file: string, opts: ModelImportOptions): void {
  if (!opts.calibration) throw new Error('a GGUF import needs --calibration <text-file> (activation ranges)');
  if (!opts.out.endsWith('.vlm'))
    throw new Error(`--out ${opts.out}: a GGUF import writes canonical bytes, name it *.vlm`);
  const start = performance.now();
  const imported = importGguf(readFileSync(file), {
    context: opts.context,
    name: opts.name,
    calibrationText: readFileSync(opts.calibration, 'utf8'),
    calibrationWindows: opts.calibrationWindows,
  });
  const { model, quantized, arch } = imported;
  const sidecars = sidecarFiles(opts.out);
  writeFileSync(opts.out, encodeModel(model));
  writeFileSync(sidecars.tokenizer, `${JSON.stringify(imported.tokenizer)}\n`);
  const quantization = {
    source: file,
    architecture: arch,
    context: model.input.shape[0],
    calibration: { file: opts.calibration, ...imported.calibration },
    logits: quantized.logits,
    residualScales: quantized.residualScales,
    dualBranches: quantized.dualBranches,
    siluFit: quantized.siluFit,
  };
  writeFileSync(sidecars.quantization, `${JSON.stringify(quantization, null, 2)}\n`);
  const cost = modelCost(model);
  console.log(`imported  ${file} -> ${opts.out} (${((performance.now() - start) / 1000).toFixed(1)} s)`);
  console.log(`modelId   ${computeModelId(model)}`);
  console.log(
    `model     ${arch.layers} blocks, d ${arch.dim}, ${arch.heads} heads (${arch.kvHeads} kv), ffn ${arch.ffn}, vocab ${arch.vocab}`,
  );
  console.log(
    `verilay   ${model.layers.length} layers, input [${model.input.shape}] token ids, ${cost.macs} MACs per pass`,
  );
  console.log(
    `tokenizer ${sidecars.tokenizer} (verilay generate ${opts.out} --tokenizer ${sidecars.tokenizer})`,
  );
  console.log(
    `logits    dequantize as (y - ${quantized.logits.zeroPoint}) * ${quantized.logits.scale} (${sidecars.quantization})`,
  );
}

/**
 * `verilay model import <model.onnx> --out <model-file>`: converts a quantized ONNX graph into a
 * verilay model document (docs/onnx-import.md). Prints how a float input becomes the model's
 * integer input, since the model file holds integers only.
 */
export function modelImport(file: string, opts: ModelImportOptions): void {
  if (existsSync(opts.out) && !opts.force)
    throw new Error(`${opts.out} exists; pass --force to overwrite it`);
  if (isGguf(file)) return importGgufFile(file, opts);
  const imported = importOnnx(readFileSync(file), {
    name: opts.name,
    multiplierBits: opts.multiplierBits,
    output: opts.output,
  });
  const { model } = imported;
  writeFileSync(opts.out, `${JSON.stringify(modelToJson(model))}\n`);
  console.log(`imported  ${file} -> ${opts.out}`);
  console.log(`modelId   ${computeModelId(model)}`);
  console.log(`input     [${model.input.shape}] ${model.input.dtype}`);
  model.layers.forEach((layer, i) =>
    console.log(
      `  ${String(i).padStart(2)} ${layer.op.padEnd(10)} from ONNX node ${imported.layerSources[i]}`,
    ),
  );
  const q = imported.inputQuantization;
  if (q)
    console.log(
      `quantize inputs as round(x / ${q.scale}) + ${q.zeroPoint} (half to even, as ONNX Runtime), saturated to ${q.dtype} (the graph's input QuantizeLinear)`,
    );
  const d = imported.outputQuantization;
  const argmax = model.layers[model.layers.length - 1].op === 'argmax';
  if (d)
    console.log(
      `${argmax ? 'logits (the input of the final argmax)' : 'outputs'} dequantize as (y - ${d.zeroPoint}) * ${d.scale}`,
    );
}
