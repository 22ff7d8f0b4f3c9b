import { computeModelId, parseModel } from '@verilay/inference';
import { readFileSync } from 'node:fs';

export function modelInfo(file: string): void {
  const model = parseModel(readFileSync(file, 'utf8'));
  const params = model.layers.reduce(
    (n, l) => n + ('weights' in l ? l.weights.length + l.bias.length : 0),
    0,
  );
  console.log(`model     ${model.name}`);
  console.log(`modelId   ${computeModelId(model)}`);
  console.log(`params    ${params}`);
  console.log(`input     [${model.input.shape}] ${model.input.dtype}`);
  model.layers.forEach((layer, i) => {
    const t = model.tensors[i + 1];
    console.log(
      `  ${String(i).padStart(2)} ${layer.op.padEnd(10)} -> [${t.shape}] ${t.dtype} in [${t.min}, ${t.max}]`,
    );
  });
}
