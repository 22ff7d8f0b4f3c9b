import {
  computeModelId,
  DEFAULT_COMPUTE_BUDGET,
  modelCost,
  parameterCount,
  parseModel,
} from '@verilay/inference';
import { DEV_PTAU_POWER, fitsCeremony, generateModelCircuit } from '@verilay/zk';
import { readFileSync } from 'node:fs';

/** `verilay model info <model-file>`: layers, bounds, parameters, cost, modelId and circuit sizes. */
export function modelInfo(file: string): void {
  const model = parseModel(readFileSync(file, 'utf8'));
  // Estimates from the circuit generator (within 1% of circom's count, see libs/zk circuit-cost).
  const whole = generateModelCircuit(model).estimatedConstraints;
  const steps = model.layers.map((_, step) => generateModelCircuit(model, { step }).estimatedConstraints);
  const fits = (n: number) => (fitsCeremony(n) ? 'fits' : 'exceeds');

  console.log(`model     ${model.name}`);
  console.log(`modelId   ${computeModelId(model)}`);
  console.log(`params    ${parameterCount(model)}`);
  // parseModel has already rejected a model past the default budget; show how much room is left.
  const cost = modelCost(model);
  const share = (value: number, max: number) => `${((100 * value) / max).toFixed(2)}% of the default budget`;
  console.log(`macs      ${cost.macs} per inference (${share(cost.macs, DEFAULT_COMPUTE_BUDGET.maxMacs)})`);
  console.log(
    `trace     ${cost.traceElements} elements (${share(cost.traceElements, DEFAULT_COMPUTE_BUDGET.maxTraceElements)})`,
  );
  console.log(
    `peak      ${cost.peakBytes} bytes (${share(cost.peakBytes, DEFAULT_COMPUTE_BUDGET.maxPeakBytes)})`,
  );
  console.log(`input     [${model.input.shape}] ${model.input.dtype}`);
  model.layers.forEach((layer, i) => {
    const t = model.tensors[i + 1];
    console.log(
      `  ${String(i).padStart(2)} ${layer.op.padEnd(10)} -> [${t.shape}] ${t.dtype} in [${t.min}, ${t.max}]` +
        `   step circuit ~${steps[i]} constraints`,
    );
  });
  const largest = Math.max(...steps);
  console.log(
    `circuit   ~${whole} constraints for the whole inference (${fits(whole)} the 2^${DEV_PTAU_POWER} development ceremony)`,
  );
  console.log(
    `steps     ~${largest} constraints in the largest step circuit, layer ${steps.indexOf(largest)} (${fits(largest)} 2^${DEV_PTAU_POWER})`,
  );
}
