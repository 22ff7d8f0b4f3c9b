import { DTYPES } from './dtype';
import { InvalidInputError } from './errors';
import type { Model } from './model';
import { argmax, conv2d, dense, pool, relu, requantize } from './ops';
import {
  argmaxRows,
  denseRows,
  elementwise,
  embedding,
  matmul,
  mergeHeads,
  polyGate,
  layernorm,
  rmsnorm,
  rope,
  softmax,
  splitHeads,
} from './ops-transformer';
import { tensorSize, type Tensor } from './tensor';

export interface RunResult {
  /** The last tensor of the trace. */
  readonly output: Tensor;
  /** trace[0] is the input, trace[i + 1] the output of layer i: the steps a dispute bisects over. */
  readonly trace: readonly Tensor[];
}

/**
 * Checks an input against the model's input spec (its length, its dtype, and its range when it
 * has one: token ids) and returns it as a tensor.
 */
export function toInputTensor(model: Model, values: ArrayLike<number>): Tensor {
  const { shape, dtype, range } = model.input;
  const n = tensorSize(shape);
  if (values.length !== n)
    throw new InvalidInputError(`expected ${n} values for shape [${shape}], got ${values.length}`, {
      expected: n,
      got: values.length,
    });
  const { min, max } = DTYPES[dtype];
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      const fraction = typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v);
      const shown = typeof v === 'number' ? String(v) : JSON.stringify(v);
      const why = fraction ? `not an integer (the input is ${dtype})` : `outside ${dtype} [${min}, ${max}]`;
      throw new InvalidInputError(`element ${i} of the input is ${shown}, ${why}`, { index: i });
    }
    if (range && (v < range[0] || v > range[1]))
      throw new InvalidInputError(`token id ${v} at position ${i} is outside [${range[0]}, ${range[1]}]`, {
        index: i,
        value: v,
        range: [range[0], range[1]],
      });
    data[i] = v;
  }
  return { shape, dtype, data };
}

/**
 * Runs the model on an input with the integer semantics of docs/model-format.md. A slot holds a
 * trace tensor (model.states says which), so `store` and `load` share buffers and copy nothing.
 */
export function run(model: Model, input: ArrayLike<number>): RunResult {
  const trace: Tensor[] = [toInputTensor(model, input)];
  const v2 = model.format === 'verilay.model.v2';
  model.layers.forEach((layer, i) => {
    const x = trace[i].data;
    const info = model.tensors[i];
    const out = model.tensors[i + 1];
    // The tensor in the layer's slot (load and binary ops).
    const slot = () => trace[model.states[i].find(([s]) => 'slot' in layer && s === layer.slot)![1]].data;
    let data: Int32Array;
    switch (layer.op) {
      case 'dense':
        data = v2 ? denseRows(layer, x) : dense(layer, x);
        break;
      case 'conv2d':
        data = conv2d(layer, x, info, out);
        break;
      case 'requantize':
        data = requantize(layer, x, info.shape);
        break;
      case 'relu':
        data = relu(x);
        break;
      case 'maxpool':
      case 'avgpool':
        data = pool(layer, x, info, out);
        break;
      case 'flatten':
        data = x;
        break;
      case 'argmax':
        data = v2 ? argmaxRows(x, info.shape[info.shape.length - 1]) : argmax(x);
        break;
      case 'store':
        data = x;
        break;
      case 'load':
        data = slot();
        break;
      case 'embedding':
        data = embedding(layer, x);
        break;
      case 'matmul':
        data = matmul(layer, x, info, slot(), out);
        break;
      case 'add':
      case 'mul':
        data = elementwise(layer, x, slot(), info.shape);
        break;
      case 'rmsnorm':
        data = rmsnorm(layer, x);
        break;
      case 'layernorm':
        data = layernorm(layer, x);
        break;
      case 'rope':
        data = rope(layer, x);
        break;
      case 'softmax':
        data = softmax(layer, x, info);
        break;
      case 'polyGate':
        data = polyGate(layer, x);
        break;
      case 'splitHeads':
        data = splitHeads(layer.heads, x, info);
        break;
      case 'mergeHeads':
        data = mergeHeads(x, info);
        break;
    }
    trace.push({ shape: out.shape, dtype: out.dtype, data });
  });
  return { output: trace[trace.length - 1], trace };
}
