import {
  computeModelId,
  DEFAULT_COMPUTE_BUDGET,
  DEFAULT_V2_COMPUTE_BUDGET,
  MODEL_FORMAT_V2,
  modelCost,
  parameterCount,
} from '@verilay/inference';
import { devPtauPowerFor, generateModelCircuit, MAX_DEV_PTAU_POWER } from '@verilay/zk';
import { readModel } from './model-file';

/** `verilay model info <model-file>`: layers, bounds, parameters, cost, modelId and circuit sizes. */
export function modelInfo(file: string): void {
  const model = readModel(file);
  // Estimates from the circuit generator (within 1% of circom's count, see libs/zk circuit-cost).
  // A v2 model (transformer ops, per-channel requantization) is proven step by step only.
  const whole =
    model.format === MODEL_FORMAT_V2 ? undefined : generateModelCircuit(model).estimatedConstraints;
  const steps = model.layers.map((_, step) => generateModelCircuit(model, { step }).estimatedConstraints);
  // The development ceremony a circuit gets (docs/trusted-setup.md): 2^14 committed, larger ones
  // written natively on first need, up to 2^20.
  const ceremony = (n: number) => {
    const power = devPtauPowerFor(n);
    return power <= MAX_DEV_PTAU_POWER
      ? `development ceremony 2^${power}`
      : `exceeds the largest development ceremony, 2^${MAX_DEV_PTAU_POWER}`;
  };

  console.log(`model     ${model.name}`);
  console.log(`modelId   ${computeModelId(model)}`);
  console.log(`params    ${parameterCount(model)}`);
  // readModelFile has already rejected a model past the default budget; show how much room is left.
  const cost = modelCost(model);
  const budget = model.format === MODEL_FORMAT_V2 ? DEFAULT_V2_COMPUTE_BUDGET : DEFAULT_COMPUTE_BUDGET;
  const share = (value: number, max: number) => `${((100 * value) / max).toFixed(2)}% of the default budget`;
  console.log(`macs      ${cost.macs} per inference (${share(cost.macs, budget.maxMacs)})`);
  console.log(
    `trace     ${cost.traceElements} elements (${share(cost.traceElements, budget.maxTraceElements)})`,
  );
  console.log(`peak      ${cost.peakBytes} bytes (${share(cost.peakBytes, budget.maxPeakBytes)})`);
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
    whole === undefined
      ? 'circuit   none for the whole inference (format v2: disputes end in step proofs)'
      : `circuit   ~${whole} constraints for the whole inference (${ceremony(whole)})`,
  );
  console.log(
    `steps     ~${largest} constraints in the largest step circuit, layer ${steps.indexOf(largest)} (${ceremony(largest)})`,
  );
}
