import { DTYPES, tensorSize, type Model, type Tensor, type TensorInfo } from '@verilay/inference';
import { templateCost } from './circuit-cost';
import { circuitSource } from './circuit-source';
import { emitTransformerOp } from './emit-transformer-op';
import type { Emit, GeneratedCircuit } from './generate-circuit';
import type { CircuitInput } from './witness-calculator';

/** What a v2 step circuit opens and what it takes as bare commitments (docs/circuits.md). */
export interface StepPlan {
  /** Trace index of the current tensor before the step, opened as `x` when `opensCurrent`. */
  readonly current: number;
  readonly opensCurrent: boolean;
  /** Trace index of the binary op's slot operand, opened as `s`. */
  readonly operand?: number;
  /** Trace indexes of the live slots passed as commitments (`slots`), ascending by slot. */
  readonly slotCommitments: readonly number[];
}

const SLOT_OPS = new Set(['matmul', 'add', 'mul']);

/**
 * The plan of step i: a store or load opens nothing (it moves a commitment), unless the tensor it
 * moves is the salted input (trace[0]: its copy's commitment is unsalted, so it must be rehashed);
 * a binary op opens the current tensor and its slot's; every other op the current tensor.
 */
export function planStep(model: Model, step: number): StepPlan {
  const layer = model.layers[step];
  const before = model.states[step];
  if (layer.op === 'store' || layer.op === 'load') {
    const moved = layer.op === 'store' ? step : before.find(([slot]) => slot === layer.slot)![1];
    const opens = moved === 0;
    const slots = before.filter(([slot]) => !(opens && layer.op === 'load' && slot === layer.slot));
    return {
      current: step,
      opensCurrent: opens && layer.op === 'store',
      operand: opens && layer.op === 'load' ? 0 : undefined,
      slotCommitments: slots.map(([, t]) => t),
    };
  }
  if (SLOT_OPS.has(layer.op)) {
    const slot = (layer as { slot: number }).slot;
    const operand = before.find(([s]) => s === slot)![1];
    return {
      current: step,
      opensCurrent: true,
      operand,
      slotCommitments: before.filter(([s]) => s !== slot).map(([, t]) => t),
    };
  }
  return { current: step, opensCurrent: true, slotCommitments: before.map(([, t]) => t) };
}

/**
 * The step circuit of layer `step` of a v2 model. Public signals stay [h_i, h_{i+1}] (the state
 * commitments, docs/model-format.md), so the contracts and the bisection game are unchanged.
 * Private: the opened tensors (`x`, `s`), the commitment of the current tensor when it is not
 * opened (`cur`), the commitments of the live slots the step does not open (`slots`, not opened:
 * they cost a Poseidon input each, nothing more), and `salt` (0 unless trace[0] is opened).
 */
export function generateTransformerStep(model: Model, step: number): GeneratedCircuit {
  const layer = model.layers[step];
  const plan = planStep(model, step);
  const before = model.states[step];
  const after = model.states[step + 1];
  const lines: string[] = [];
  let constraints = 0;
  const emit: Emit = (line, cost = 0) => {
    lines.push(`    ${line}`);
    constraints += cost;
  };
  const t = model.tensors;
  const opened = [plan.opensCurrent ? plan.current : undefined, plan.operand].filter((v) => v !== undefined);
  emit('signal input salt;');
  if (plan.opensCurrent) emit(`signal input x[${tensorSize(t[plan.current].shape)}];`);
  else emit('signal input cur;');
  if (plan.operand !== undefined) emit(`signal input s[${tensorSize(t[plan.operand].shape)}];`);
  emit(`signal input slots[${plan.slotCommitments.length}];`);
  emit('signal output inputCommitment;');
  emit('signal output outputCommitment;');

  const commit = (name: string, info: TensorInfo, signal: string, check: 0 | 1, index: number) => {
    const d = DTYPES[info.dtype];
    const n = tensorSize(info.shape);
    const salted = index === 0;
    emit(
      `component ${name} = TensorCommit(${n}, ${d.bits}, ${d.min}, ${d.code}, ${check});`,
      templateCost.tensorCommit(n, d.bits, check === 1, salted),
    );
    emit(`for (var j = 0; j < ${n}; j++) { ${name}.in[j] <== ${signal}[j]; }`);
    emit(`${name}.salt <== ${salted ? 'salt' : '0'};`);
    return `${name}.out`;
  };
  // Opened tensors: every lane range-checked to its dtype (packing soundness), and the model
  // input against input.range (token ids inside the vocabulary).
  const commitments = new Map<number, string>();
  if (plan.opensCurrent)
    commitments.set(plan.current, commit('commitX', t[plan.current], 'x', 1, plan.current));
  if (plan.operand !== undefined)
    commitments.set(plan.operand, commit('commitS', t[plan.operand], 's', 1, plan.operand));
  if (opened.includes(0)) emitInputRange(emit, model, opened[0] === 0 && plan.opensCurrent ? 'x' : 's');

  // h_i: the current tensor's commitment and the live slots', ascending by slot.
  const slotSignal = new Map<number, string>(plan.slotCommitments.map((index, k) => [index, `slots[${k}]`]));
  const commitmentOf = (index: number) => commitments.get(index) ?? slotSignal.get(index) ?? 'cur';
  const curIn = plan.opensCurrent ? commitments.get(plan.current)! : 'cur';
  state(
    emit,
    'stateIn',
    curIn,
    before.map(([, index]) => (index === plan.current ? curIn : commitmentOf(index))),
  );

  // The step itself, then c_{i+1}.
  let curOut: string;
  if (layer.op === 'store')
    curOut = plan.opensCurrent ? commit('commitY', t[step + 1], 'x', 0, step + 1) : 'cur';
  else if (layer.op === 'load')
    curOut =
      plan.operand !== undefined
        ? commit('commitY', t[step + 1], 's', 0, step + 1)
        : commitmentOf(loadedIndex(model, step));
  else {
    const operand = plan.operand !== undefined ? { name: 's', info: t[plan.operand] } : undefined;
    const y = emitTransformerOp(emit, step, layer, t[step], t[step + 1], 'x', operand);
    curOut = commit('commitY', t[step + 1], y, 0, step + 1);
  }
  // h_{i+1}: after a store the new slot holds trace[i] (its commitment is the current one's).
  const afterSlots = after.map(([, index]) =>
    index === step && layer.op === 'store' ? curIn : commitmentOf(index),
  );
  state(emit, 'stateOut', curOut, afterSlots);
  emit('inputCommitment <== stateIn.out;');
  emit('outputCommitment <== stateOut.out;');
  if (!opened.includes(0)) emit('salt === 0; // only the model input is salted');

  const name = `VerilayStep${step}`;
  const source = circuitSource(model, {
    generator: ' (generate-transformer-step.ts)',
    about: `step ${step} (${layer.op})`,
    include: 'transformer.circom',
    name,
    body: lines,
  });
  return {
    source,
    mode: 'step',
    step,
    publicSignals: ['inputCommitment', 'outputCommitment'],
    inputIndex: step,
    outputIndex: step + 1,
    estimatedConstraints: constraints,
  };
}

function loadedIndex(model: Model, step: number): number {
  const layer = model.layers[step] as { slot: number };
  return model.states[step].find(([slot]) => slot === layer.slot)![1];
}

function state(emit: Emit, name: string, cur: string, slots: readonly string[]) {
  emit(`component ${name} = StateCommit(${slots.length});`, templateCost.stateCommit(slots.length));
  emit(`${name}.cur <== ${cur};`);
  slots.forEach((s, k) => emit(`${name}.slots[${k}] <== ${s};`));
}

/** input.range: lo <= x <= hi for every value (skipped where the dtype is the range). */
function emitInputRange(emit: Emit, model: Model, signal: string) {
  const range = model.input.range;
  if (range === undefined) return;
  const [lo, hi] = range.map(BigInt);
  const d = DTYPES[model.input.dtype];
  const n = tensorSize(model.input.shape);
  const bits = Math.max(1, (hi - lo).toString(2).length);
  if (lo > BigInt(d.min)) {
    emit(`component inLow[${n}];`);
    emit(
      `for (var j = 0; j < ${n}; j++) { inLow[j] = InRange(${bits}); inLow[j].in <== ${signal}[j] - (${lo}); }`,
      n * bits,
    );
  }
  if (hi < BigInt(d.max)) {
    emit(`component inHigh[${n}];`);
    emit(
      `for (var j = 0; j < ${n}; j++) { inHigh[j] = InRange(${bits}); inHigh[j].in <== ${hi} - ${signal}[j]; }`,
      n * bits,
    );
  }
}

/**
 * The witness-calculator input of a v2 step circuit: the tensors it opens, from the runtime's
 * trace, and the commitments it takes bare, from the trace's commitments (`commitments[i]` of
 * trace[i], trace[0]'s salted).
 */
export function transformerStepInput(
  model: Model,
  step: number,
  trace: readonly Tensor[],
  commitments: readonly (bigint | string)[],
  salt = 0n,
): CircuitInput {
  const plan = planStep(model, step);
  const values = (i: number) => Array.from(trace[i].data, (v) => BigInt(v));
  const input: Record<string, CircuitInput[string]> = {
    salt: plan.opensCurrent && plan.current === 0 ? salt : plan.operand === 0 ? salt : 0n,
    slots: plan.slotCommitments.map((i) => BigInt(commitments[i])),
  };
  if (plan.opensCurrent) input.x = values(plan.current);
  else input.cur = BigInt(commitments[plan.current]);
  if (plan.operand !== undefined) input.s = values(plan.operand);
  return input;
}
