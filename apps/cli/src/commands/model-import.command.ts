import { computeModelId, modelToJson } from '@verilay/inference';
import { importOnnx } from '@verilay/onnx';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * `verilay model import <model.onnx> --out <model-file>`: converts a quantized ONNX graph into a
 * verilay model document (docs/onnx-import.md). Prints how a float input becomes the model's
 * integer input, since the model file holds integers only.
 */
export function modelImport(
  file: string,
  opts: { out: string; name?: string; multiplierBits?: number; output?: string; force?: boolean },
): void {
  if (existsSync(opts.out) && !opts.force)
    throw new Error(`${opts.out} exists; pass --force to overwrite it`);
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
