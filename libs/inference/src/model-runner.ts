import {
  mapNativeError,
  NativeError,
  nativeAddon,
  type NativeAddon,
  type NativeGpuHandle,
  type NativeGpuModelHandle,
} from '@verilay/native';
import { types } from 'node:util';
import { InvalidInputError, InvalidModelError } from './errors';
import type { Model } from './model';
import { run, toInputTensor, type RunResult } from './run';
import type { Tensor } from './tensor';

type NativeModelHandle = InstanceType<NativeAddon['NativeModel']>;

/**
 * Runs one model, many times (a port: an abstract class, so also a DI token). The JavaScript
 * adapter is the reference runtime (`run`); the native one holds the model in Rust
 * (native/crates/kernels), its weights copied in once. Both give the same trace bit for bit
 * (model-runner.spec.ts). Get one with `modelRunner(model)`.
 */
export abstract class ModelRunner {
  abstract readonly native: boolean;
  /** Checks the input as `toInputTensor` does (same errors) and runs the model. */
  abstract run(input: ArrayLike<number>): RunResult;
}

/** The reference runtime. */
export class JsModelRunner extends ModelRunner {
  readonly native = false;
  constructor(readonly model: Model) {
    super();
  }
  run(input: ArrayLike<number>): RunResult {
    return run(this.model, input);
  }
}

/**
 * The fields of each op the native kernels read (native/crates/node/src/kernels.rs). napi drops a
 * field it does not know without a word, so a layer with any other field or another op is not
 * sent at all: its model runs on the reference runtime (so does a model that a newer libs/inference
 * extends before the native core follows).
 */
const NATIVE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  dense: ['inFeatures', 'outFeatures', 'weights', 'bias', 'requantize'],
  conv2d: ['inChannels', 'outChannels', 'kernel', 'stride', 'padding', 'weights', 'bias'],
  requantize: ['multiplier', 'shift', 'zeroPoint', 'dtype'],
  relu: [],
  maxpool: ['kernel', 'stride'],
  avgpool: ['kernel', 'stride'],
  flatten: [],
  argmax: [],
  store: ['slot'],
  load: ['slot'],
  embedding: ['vocab', 'dim', 'weights'],
  matmul: ['slot', 'transposeB', 'requantize'],
  add: ['slot', 'requantize'],
  mul: ['slot', 'requantize'],
  rmsnorm: ['dim', 'weight', 'eps', 'dtype'],
  layernorm: ['dim', 'weight', 'bias', 'eps', 'dtype'],
  rope: ['shift', 'dtype', 'positions', 'half', 'cos', 'sin'],
  softmax: ['causal', 'fracBits', 'table'],
  polyGate: ['clip', 'a', 'b', 'bias', 'multiplier', 'shift', 'zeroPoint', 'dtype'],
  splitHeads: ['heads'],
  mergeHeads: [],
};
const INPUT_FIELDS = ['shape', 'dtype', 'range'];
const FUSED_FIELDS = ['multiplier', 'shift', 'zeroPoint', 'dtype'];

/** Why the native kernels cannot run a model as the reference runtime does, or null if they can. */
export function nativeUnsupported(model: Model): string | null {
  const inputField = Object.keys(model.input).find((k) => !INPUT_FIELDS.includes(k));
  if (inputField !== undefined) return `input.${inputField}`;
  for (const [i, layer] of model.layers.entries()) {
    const fields = NATIVE_FIELDS[layer.op];
    if (!fields) return `layers[${i}].op ${layer.op}`;
    const extra = Object.keys(layer).find((k) => k !== 'op' && !fields.includes(k));
    if (extra !== undefined) return `layers[${i}].${extra}`;
    const fused = 'requantize' in layer ? layer.requantize : undefined;
    const fusedExtra = fused && Object.keys(fused).find((k) => !FUSED_FIELDS.includes(k));
    if (fusedExtra) return `layers[${i}].requantize.${fusedExtra}`;
  }
  return null;
}

/** The native kernels. */
export class NativeModelRunner extends ModelRunner {
  readonly native = true;
  private readonly handle: NativeModelHandle;

  /** Throws InvalidModelError for a model the native core refuses (see native/crates/kernels). */
  constructor(
    readonly model: Model,
    addon: NativeAddon,
  ) {
    super();
    const unsupported = nativeUnsupported(model);
    if (unsupported) throw new InvalidModelError('native core', `not supported natively: ${unsupported}`);
    try {
      this.handle = new addon.NativeModel({
        format: model.format,
        inputShape: model.input.shape,
        inputDtype: model.input.dtype,
        inputRange: model.input.range,
        // A validated Model's layers carry exactly the fields the binding reads (typed arrays included).
        layers: model.layers,
      });
    } catch (error) {
      const message = String((mapNativeError(error) as Error)?.message ?? error);
      throw new InvalidModelError('native core', message.replace(/^Invalid model: /, ''));
    }
    // The native core works out the live slots itself; its state commitments use them, so they
    // must be the loader's (a disagreement is a bug: the reference runtime then runs the model).
    const states = this.handle.states();
    const expected = model.states;
    if (JSON.stringify(states) !== JSON.stringify(expected.map((live) => live.flat())))
      throw new InvalidModelError('native core', "live slots differ from the loader's model.states");
  }

  run(input: ArrayLike<number>): RunResult {
    const trace = this.call(input, (data) => this.handle.run(data));
    const tensors: Tensor[] = trace.map((data, i) => ({
      shape: this.model.tensors[i].shape,
      dtype: this.model.tensors[i].dtype,
      data,
    }));
    return { output: tensors[tensors.length - 1], trace: tensors };
  }

  /**
   * Runs and commits to the trace in one crossing (libs/protocol's executeTask with the native
   * committer): the output, the state commitments h_i (h_0 under `salt`; docs/model-format.md:
   * each trace tensor's commitment c_i, hashed with the commitments of the tensors its live slots
   * hold when any), their trace root, and every c_i, as libs/commitments computes them
   * (cross-checked in libs/protocol's execute-task.spec.ts and native-transformer.spec.ts).
   */
  runAndCommit(input: ArrayLike<number>, salt: bigint): RunAndCommitResult {
    const saltBytes = salt === 0n ? null : Buffer.from(salt.toString(16).padStart(64, '0'), 'hex');
    const result = this.call(input, (data) => this.handle.execute(data, saltBytes));
    const out = this.model.tensors[this.model.tensors.length - 1];
    return {
      output: { shape: out.shape, dtype: out.dtype, data: result.output },
      traceCommitments: result.traceCommitments,
      traceRoot: result.traceRoot,
      tensorCommitments: result.tensorCommitments,
    };
  }

  /**
   * Uploads this model's weights to a GPU (the handle stays private: only the addon reads it).
   * Throws the addon's errors unmapped (GPU_UNSUPPORTED: run this model on the CPU).
   */
  loadOnGpu(gpu: NativeGpuHandle): NativeGpuModelHandle {
    return gpu.load(this.handle);
  }

  /** A native call on the input, with the reference runtime's errors for a bad input. */
  private call<T>(input: ArrayLike<number>, f: (data: Int32Array) => T): T {
    try {
      // A plain array is checked (and converted) as the reference runtime does it: its checks
      // (typeof number, integers of the dtype) are the contract. An Int32Array holds integers
      // already; Rust checks them against the dtype.
      return f(types.isInt32Array(input) ? input : toInputTensor(this.model, input).data);
    } catch (error) {
      const mapped = mapNativeError(error);
      if (mapped instanceof NativeError && mapped.nativeCode === 'INVALID_INPUT') {
        toInputTensor(this.model, input); // the reference runtime's own error for this input
        throw new InvalidInputError(mapped.message.replace(/^Invalid input: /, ''));
      }
      throw mapped;
    }
  }
}

/** What `NativeModelRunner.runAndCommit` gives: the trace's commitments, not its tensors. */
export interface RunAndCommitResult {
  readonly output: Tensor;
  /** h_0 .. h_L: the state commitments (each c_i where no slot is live: always for v1 models). */
  readonly traceCommitments: readonly `0x${string}`[];
  readonly traceRoot: `0x${string}`;
  /** c_0 .. c_L: the commitment of each trace tensor. */
  readonly tensorCommitments: readonly `0x${string}`[];
}

/** Runners by model object: one map where the native core runs, one for the reference runtime. */
const runners = { native: new WeakMap<Model, ModelRunner>(), js: new WeakMap<Model, ModelRunner>() };

/**
 * The runner of a model, made once per model object: native where `nativeAddon()` has the core
 * (a model the native core refuses or does not support runs on the reference runtime), else the
 * reference runtime.
 */
export function modelRunner(model: Model, addon: NativeAddon | null = nativeAddon()): ModelRunner {
  const cache = addon ? runners.native : runners.js;
  let runner = cache.get(model);
  if (!runner) {
    runner = addon ? nativeOrReference(model, addon) : new JsModelRunner(model);
    cache.set(model, runner);
  }
  return runner;
}

function nativeOrReference(model: Model, addon: NativeAddon): ModelRunner {
  try {
    return new NativeModelRunner(model, addon);
  } catch {
    return new JsModelRunner(model);
  }
}
