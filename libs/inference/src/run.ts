import { DTYPES } from './dtype';
import { InvalidInputError } from './errors';
import type { Model } from './model';
import { argmax, conv2d, dense, pool, relu, requantize } from './ops';
import { tensorSize, type Tensor } from './tensor';

export interface RunResult {
  /** The last tensor of the trace. */
  readonly output: Tensor;
  /** trace[0] is the input, trace[i + 1] the output of layer i: the steps a dispute bisects over. */
  readonly trace: readonly Tensor[];
}

/** Checks an input against the model's input spec and returns it as a tensor. */
export function toInputTensor(model: Model, values: ArrayLike<number>): Tensor {
  const { shape, dtype } = model.input;
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
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new InvalidInputError(`value ${i} is ${v}, outside ${dtype} [${min}, ${max}]`, { index: i });
    data[i] = v;
  }
  return { shape, dtype, data };
}

/** Runs the model on an input with the integer semantics of docs/model-format.md. */
export function run(model: Model, input: ArrayLike<number>): RunResult {
  const trace: Tensor[] = [toInputTensor(model, input)];
  model.layers.forEach((layer, i) => {
    const x = trace[i].data;
    const info = model.tensors[i];
    const out = model.tensors[i + 1];
    let data: Int32Array;
    switch (layer.op) {
      case 'dense':
        data = dense(layer, x);
        break;
      case 'conv2d':
        data = conv2d(layer, x, info, out);
        break;
      case 'requantize':
        data = requantize(layer, x);
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
        data = argmax(x);
        break;
    }
    trace.push({ shape: out.shape, dtype: out.dtype, data });
  });
  return { output: trace[trace.length - 1], trace };
}
