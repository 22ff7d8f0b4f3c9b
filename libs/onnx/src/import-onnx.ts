import {
  buildModel,
  DTYPES,
  InvalidModelError,
  quantizeMultiplier,
  type Conv2dLayer,
  type DenseLayer,
  type Layer,
  type Model,
  type RequantizeLayer,
} from '@verilay/inference';
import { errorMessage } from '@verilay/errors';
import { onnx } from 'onnx-proto';
import { OnnxImportError, type OnnxNodeRef } from './onnx-import.error';
import { onnxTypeName, protoInt, readTensor, type ConstTensor } from './onnx-tensor';

/** How a float tensor maps to integers: `real = scale * (q - zeroPoint)`. */
export interface QuantizationParams {
  readonly scale: number;
  readonly zeroPoint: number;
  readonly dtype: 'int8' | 'uint8';
}

export interface OnnxImportOptions {
  /** The model name (default: the graph name). */
  readonly name?: string;
  /** Significant bits of every requantize multiplier (see `quantizeMultiplier`; default 24). */
  readonly multiplierBits?: number;
  /** The value that ends the model (default: the graph's first output). */
  readonly output?: string;
}

export interface OnnxImportResult {
  /** Validated by `buildModel`: shapes chain and every accumulator provably fits int32. */
  readonly model: Model;
  /** From a leading QuantizeLinear on a float graph input: how callers quantize their input. */
  readonly inputQuantization?: QuantizationParams;
  /** From a trailing DequantizeLinear: how the integer output maps back to reals. */
  readonly outputQuantization?: { readonly scale: number; readonly zeroPoint: number };
  /** Per verilay layer, the ONNX node it came from (inserted layers name the node that needed them). */
  readonly layerSources: readonly string[];
  /**
   * Per verilay trace tensor (trace[0] the input, trace[i + 1] the output of layer i), the ONNX
   * value that holds the same integers, or null where ONNX has no such value.
   */
  readonly traceValues: readonly (string | null)[];
}

type QDType = 'int8' | 'uint8';

/** An integer value of the chain, as verilay sees it (batch dimension stripped). */
interface IntValue {
  readonly kind: 'int';
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: QDType | 'int32';
  readonly zeroPoint: number;
  /** Unknown for raw accumulators and for integer graph inputs. */
  readonly scale?: number;
  /** The dense/conv layer whose int32 output this is, unchanged since: an Add folds into its bias. */
  readonly accumulatorOf?: number;
}

/** A float value: the graph input (before its QuantizeLinear) or a DequantizeLinear output. */
interface FloatValue {
  readonly kind: 'float';
  readonly name: string;
  readonly dequantized: {
    readonly node: Node;
    readonly source: IntValue;
    readonly scale: number;
    readonly zeroPoint: number;
  } | null;
}

/** The output of ArgMax: nothing may follow it. */
interface EndValue {
  readonly kind: 'end';
  readonly name: string;
  readonly node: Node;
}

type Value = IntValue | FloatValue | EndValue;

interface Node {
  readonly proto: onnx.INodeProto;
  readonly ref: OnnxNodeRef;
  readonly index: number;
}

const T = onnx.TensorProto.DataType;
/** parseModel's limit on a model name. */
const MAX_NAME_LENGTH = 200;
/** Scales must be normal float32 values (see `scale`). */
const MIN_SCALE = 2 ** -126;
const MAX_SCALE = 2 ** 64;
const INT32_MIN = DTYPES.int32.min;
const INT32_MAX = DTYPES.int32.max;
const QDTYPES: Readonly<Record<number, QDType>> = { [T.INT8]: 'int8', [T.UINT8]: 'uint8' };

const UNSUPPORTED_HINTS: Readonly<Record<string, string>> = {
  Conv: 'it is a float operator; quantize the model so that it uses QLinearConv or ConvInteger',
  MatMul: 'it is a float operator; quantize the model so that it uses QLinearMatMul or MatMulInteger',
  Gemm: 'it is a float operator; quantize the model so that it uses QLinearMatMul or MatMulInteger followed by Add',
  AveragePool:
    'it is a float operator, and its integer form (QLinearAveragePool) is outside the standard ONNX domain',
};

/**
 * Imports a quantized ONNX model (QOperator or integer form, a chain of nodes) as a verilay model
 * with the same integer semantics. See docs/onnx-import.md for the mapping and what is rejected.
 * Throws `OnnxImportError` naming the node that cannot be imported.
 */
export function importOnnx(bytes: Uint8Array, options: OnnxImportOptions = {}): OnnxImportResult {
  const bits = options.multiplierBits ?? 24;
  if (!Number.isInteger(bits) || bits < 1 || bits > 31)
    throw new RangeError(`multiplierBits must be an integer in [1, 31], got ${bits}`);
  let proto: onnx.ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (cause) {
    throw new OnnxImportError(null, 'not an ONNX model (the protobuf does not decode)', { cause });
  }
  if (!proto.graph) throw new OnnxImportError(null, 'the model has no graph');
  try {
    return new ChainImporter(proto.graph, bits).run(options);
  } catch (cause) {
    // The file is untrusted: whatever slipped past the checks still ends as an import error.
    if (cause instanceof OnnxImportError) throw cause;
    throw new OnnxImportError(null, `the graph cannot be imported: ${errorMessage(cause)}`, { cause });
  }
}

/** Walks the chain from the graph input to the output, one node at a time. */
class ChainImporter {
  private readonly nodes: Node[];
  private readonly constants = new Map<string, () => ConstTensor>();
  private readonly consumers = new Map<string, Node[]>();
  private readonly layers: Layer[] = [];
  private readonly layerNodes: OnnxNodeRef[] = [];
  private readonly traceValues: (string | null)[] = [];
  private input?: { readonly shape: readonly number[]; readonly dtype: QDType };
  private inputShape: readonly number[] = [];
  private inputQuantization?: QuantizationParams;
  private outputQuantization?: { readonly scale: number; readonly zeroPoint: number };

  constructor(
    private readonly graph: onnx.IGraphProto,
    private readonly bits: number,
  ) {
    this.nodes = (graph.node ?? []).map((proto, index) => ({
      proto,
      index,
      ref: { name: proto.name || `#${index}`, op: proto.opType ?? '' },
    }));
    for (const t of graph.initializer ?? [])
      this.constants.set(
        t.name ?? '',
        memo(() => readTensor(t)),
      );
    for (const node of this.nodes)
      if (node.ref.op === 'Constant' && isDefaultDomain(node) && node.proto.output?.[0])
        this.constants.set(
          node.proto.output[0],
          memo(() => constantNodeValue(node)),
        );
    for (const node of this.nodes)
      for (const name of new Set(node.proto.input ?? []))
        if (name && !this.constants.has(name)) {
          const list = this.consumers.get(name) ?? [];
          list.push(node);
          this.consumers.set(name, list);
        }
  }

  run(options: OnnxImportOptions): OnnxImportResult {
    const target = options.output ?? this.graph.output?.[0]?.name;
    if (!target) throw new OnnxImportError(null, 'the graph has no output');
    const graphInputs = (this.graph.input ?? []).filter((i) => !this.constants.has(i.name ?? ''));
    if (graphInputs.length === 0) throw new OnnxImportError(null, 'the graph has no (non-constant) input');
    if (graphInputs.length > 1) {
      const second = graphInputs[1].name ?? '';
      throw new OnnxImportError(
        this.consumers.get(second)?.[0]?.ref ?? null,
        `reads a second graph input "${second}"; a verilay model has exactly one input`,
      );
    }
    const produced = new Set(this.nodes.flatMap((n) => n.proto.output ?? []));
    if (!produced.has(target) && graphInputs[0].name !== target)
      throw new OnnxImportError(null, `no value named "${target}" to end the model`);

    let value = this.start(graphInputs[0]);
    let last: Node | undefined;
    const visited = new Set<number>();
    while (value.name !== target) {
      const users = this.consumers.get(value.name) ?? [];
      if (users.length === 0)
        throw new OnnxImportError(
          last?.ref ?? null,
          `its output "${value.name}" is read by no node and is not the model output "${target}"`,
        );
      if (users.length > 1)
        throw new OnnxImportError(
          users[1].ref,
          `reads "${value.name}", which ${users.length} nodes read (${users.map((u) => `"${u.ref.name}"`).join(', ')}); verilay imports a chain of nodes, not a branching graph`,
        );
      const node = users[0];
      if (visited.has(node.index)) throw new OnnxImportError(node.ref, 'the graph has a cycle');
      visited.add(node.index);
      value = this.step(node, value);
      last = node;
    }
    return this.finish(value, options.name ?? (this.graph.name || undefined));
  }

  private start(graphInput: onnx.IValueInfoProto): Value {
    const name = graphInput.name ?? '';
    const user = this.consumers.get(name)?.[0]?.ref ?? null;
    const tensorType = graphInput.type?.tensorType;
    const dims = tensorType?.shape?.dim;
    if (!tensorType || !dims) throw new OnnxImportError(user, `graph input "${name}" has no tensor shape`);
    if (dims.length < 2 || dims.length > 4)
      throw new OnnxImportError(
        user,
        `graph input "${name}" has rank ${dims.length}; verilay reads [batch, N], [batch, H, W] or [batch, C, H, W]`,
      );
    const fixed = (d: onnx.TensorShapeProto.IDimension) =>
      (d as onnx.TensorShapeProto.Dimension).value === 'dimValue' ? protoInt(d.dimValue) : null;
    const batch = fixed(dims[0]);
    if (batch !== null && batch !== 1)
      throw new OnnxImportError(
        user,
        `graph input "${name}" has batch ${batch}; verilay runs one input at a time (batch 1 or symbolic)`,
      );
    this.inputShape = dims.slice(1).map((d, i) => {
      const size = fixed(d);
      if (size === null || size < 1)
        throw new OnnxImportError(
          user,
          `graph input "${name}" has an unknown dimension ${i + 1}${d.dimParam ? ` ("${d.dimParam}")` : ''}; verilay needs a fixed input shape`,
        );
      return size;
    });
    const elemType = tensorType.elemType ?? 0;
    if (elemType === T.FLOAT) return { kind: 'float', name, dequantized: null };
    const dtype = QDTYPES[elemType];
    if (!dtype)
      throw new OnnxImportError(
        user,
        `graph input "${name}" has element type ${onnxTypeName(elemType)}; verilay reads int8, uint8, or float followed by QuantizeLinear`,
      );
    this.input = { shape: this.inputShape, dtype };
    this.traceValues[0] = name;
    return { kind: 'int', name, shape: this.inputShape, dtype, zeroPoint: 0 };
  }

  private step(node: Node, value: Value): Value {
    const { op } = node.ref;
    if (!isDefaultDomain(node))
      throw new OnnxImportError(
        node.ref,
        `domain "${node.proto.domain}" is not supported; verilay imports standard ONNX operators only`,
      );
    const out = node.proto.output?.[0];
    if (!out) throw new OnnxImportError(node.ref, 'the node has no output');
    if (value.kind === 'end')
      throw new OnnxImportError(
        node.ref,
        `reads the output of ArgMax "${value.node.ref.name}"; ArgMax must end the model`,
      );
    if (op !== 'Add') this.chainInput(node, value, 0);
    if (op === 'Identity') return { ...value, name: out };
    if (value.kind === 'float') {
      if (op === 'QuantizeLinear') return this.quantize(node, value, out);
      if (op === 'ArgMax' && value.dequantized) {
        if (value.dequantized.scale <= 0)
          throw new OnnxImportError(node.ref, 'ArgMax of a value dequantized with a non-positive scale');
        this.outputQuantization = { scale: value.dequantized.scale, zeroPoint: value.dequantized.zeroPoint };
        return this.argMax(node, value.dequantized.source, out);
      }
      if (!SUPPORTED.has(op)) this.unsupported(node);
      throw new OnnxImportError(
        node.ref,
        `reads the float value "${value.name}"; verilay computes with integers only, so a float value may only be quantized (QuantizeLinear)${value.dequantized ? ', feed ArgMax or be the model output' : ''}`,
      );
    }
    switch (op) {
      case 'MatMulInteger':
        return this.matMulInteger(node, value, out);
      case 'ConvInteger':
        return this.convInteger(node, value, out);
      case 'QLinearMatMul':
        return this.qLinearMatMul(node, value, out);
      case 'QLinearConv':
        return this.qLinearConv(node, value, out);
      case 'Add':
        return this.add(node, value, out);
      case 'Relu':
        return this.relu(node, value, out);
      case 'MaxPool':
        return this.maxPool(node, value, out);
      case 'Flatten':
        return this.flatten(node, value, out);
      case 'Reshape':
        return this.reshape(node, value, out);
      case 'DequantizeLinear':
        return this.dequantize(node, value, out);
      case 'ArgMax':
        return this.argMax(node, value, out);
      case 'QuantizeLinear':
        throw new OnnxImportError(
          node.ref,
          `reads the integer value "${value.name}"; QuantizeLinear must read a float value`,
        );
      default:
        return this.unsupported(node);
    }
  }

  private unsupported(node: Node): never {
    const { op } = node.ref;
    const hint = UNSUPPORTED_HINTS[op] ?? 'no verilay layer computes it';
    throw new OnnxImportError(node.ref, `operator ${op} is not supported: ${hint}`);
  }

  // ---- ops ---------------------------------------------------------------------------------

  private matMulInteger(node: Node, x: IntValue, out: string): IntValue {
    const aZp = this.zeroPoint(node, 2, 'a_zero_point')?.value ?? 0;
    const { index, outputs } = this.dense(node, x, 1, 3, aZp, out);
    return { kind: 'int', name: out, shape: [outputs], dtype: 'int32', zeroPoint: 0, accumulatorOf: index };
  }

  private convInteger(node: Node, x: IntValue, out: string): IntValue {
    const xZp = this.zeroPoint(node, 2, 'x_zero_point')?.value ?? 0;
    const { index, shape } = this.conv(node, x, 1, 3, xZp, out);
    return { kind: 'int', name: out, shape, dtype: 'int32', zeroPoint: 0, accumulatorOf: index };
  }

  private qLinearMatMul(node: Node, x: IntValue, out: string): IntValue {
    const aScale = this.scale(node, 1, 'a_scale');
    const aZp = this.zeroPoint(node, 2, 'a_zero_point')?.value ?? 0;
    const bScale = this.weightScale(node, 4, 'b_scale');
    const yScale = this.scale(node, 6, 'y_scale');
    const yZp = this.requiredZeroPoint(node, 7, 'y_zero_point');
    const { outputs } = this.dense(node, x, 3, 5, aZp, null);
    this.rescale(node, this.qLinearFactor(node, aScale, bScale, yScale), yZp.value, yZp.dtype, out);
    return {
      kind: 'int',
      name: out,
      shape: [outputs],
      dtype: yZp.dtype,
      zeroPoint: yZp.value,
      scale: yScale,
    };
  }

  private qLinearConv(node: Node, x: IntValue, out: string): IntValue {
    const xScale = this.scale(node, 1, 'x_scale');
    const xZp = this.zeroPoint(node, 2, 'x_zero_point')?.value ?? 0;
    const wScale = this.weightScale(node, 4, 'w_scale');
    const yScale = this.scale(node, 6, 'y_scale');
    const yZp = this.requiredZeroPoint(node, 7, 'y_zero_point');
    const { index, shape } = this.conv(node, x, 3, 5, xZp, null);
    if (node.proto.input?.[8]) {
      const b = this.constant(node, 8, 'B');
      const outputs = shape[0];
      if (b.type !== T.INT32 || b.values.length !== outputs)
        throw new OnnxImportError(
          node.ref,
          `bias B must be int32 [${outputs}], got ${onnxTypeName(b.type)} [${b.dims.join(', ')}]`,
        );
      this.foldBias(node, index, b.values);
    }
    this.rescale(node, this.qLinearFactor(node, xScale, wScale, yScale), yZp.value, yZp.dtype, out);
    return { kind: 'int', name: out, shape, dtype: yZp.dtype, zeroPoint: yZp.value, scale: yScale };
  }

  private add(node: Node, x: IntValue, out: string): IntValue {
    const inputs = node.proto.input ?? [];
    const at = inputs.indexOf(x.name);
    if (inputs.length !== 2 || inputs[1 - at] === x.name)
      throw new OnnxImportError(node.ref, `must add a constant to "${x.name}"`);
    if (x.accumulatorOf === undefined)
      throw new OnnxImportError(
        node.ref,
        `"${x.name}" is not the int32 output of MatMulInteger or ConvInteger; verilay only imports Add as a constant bias folded into that layer`,
      );
    const c = this.constant(node, 1 - at, 'bias');
    const layer = this.layers[x.accumulatorOf] as DenseLayer | Conv2dLayer;
    const n = layer.bias.length;
    // ONNX broadcasts from the last axis: [C] on a conv output [1, C, H, W] would run along W.
    const shapes =
      layer.op === 'dense' ? [[n], [1, n]] : [[n, 1, 1], [1, n, 1, 1], ...(n === 1 ? [[1]] : [])];
    if (c.type !== T.INT32 || !shapes.some((s) => s.join() === c.dims.join()))
      throw new OnnxImportError(
        node.ref,
        `the bias must be an int32 constant of shape ${shapes.map((s) => `[${s.join(', ')}]`).join(' or ')}, got ${onnxTypeName(c.type)} [${c.dims.join(', ')}]`,
      );
    this.foldBias(node, x.accumulatorOf, c.values);
    this.traceValues[x.accumulatorOf + 1] = out;
    return { ...x, name: out };
  }

  private relu(node: Node, x: IntValue, out: string): IntValue {
    if (x.zeroPoint !== 0)
      throw new OnnxImportError(
        node.ref,
        `"${x.name}" is quantized with zero point ${x.zeroPoint}: the real ReLU is max(q, ${x.zeroPoint}), but Relu on the integers computes max(q, 0); requantize to zero point 0 first, or let the quantizer fold the ReLU into the previous layer`,
      );
    this.push({ op: 'relu' }, node, out);
    return { ...x, name: out, accumulatorOf: undefined };
  }

  private maxPool(node: Node, x: IntValue, out: string): IntValue {
    if (x.shape.length !== 3) throw this.rankError(node, x, '[1, C, H, W]');
    if (node.proto.output?.[1])
      throw new OnnxImportError(node.ref, 'the Indices output is not supported (only Y)');
    const kernel = this.ints(node, 'kernel_shape');
    if (!kernel || kernel.length !== 2)
      throw new OnnxImportError(node.ref, 'kernel_shape must be given for two spatial dimensions');
    const stride = this.ints(node, 'strides') ?? [1, 1];
    const pads = this.ints(node, 'pads') ?? [0, 0, 0, 0];
    const dilations = this.ints(node, 'dilations') ?? [1, 1];
    const autoPad = this.string(node, 'auto_pad') ?? 'NOTSET';
    if (stride.length !== 2 || stride.some((s) => s < 1))
      throw new OnnxImportError(node.ref, `strides [${stride.join(', ')}] must be two positive integers`);
    if (pads.some((p) => p !== 0) || (autoPad !== 'NOTSET' && autoPad !== 'VALID'))
      throw new OnnxImportError(
        node.ref,
        `pads [${pads.join(', ')}] / auto_pad ${autoPad}: verilay's maxpool has no padding`,
      );
    if (dilations.some((d) => d !== 1))
      throw new OnnxImportError(node.ref, `dilations [${dilations.join(', ')}] are not supported (only 1)`);
    if (this.int(node, 'ceil_mode', 0) !== 0)
      throw new OnnxImportError(
        node.ref,
        'ceil_mode 1 is not supported: verilay rounds the output size down',
      );
    if (this.int(node, 'storage_order', 0) !== 0)
      throw new OnnxImportError(node.ref, 'storage_order 1 is not supported (only row-major)');
    const [c, h, w] = x.shape;
    if (kernel[0] > h || kernel[1] > w)
      throw new OnnxImportError(
        node.ref,
        `kernel [${kernel.join(', ')}] is larger than the input [${h}, ${w}]`,
      );
    this.push({ op: 'maxpool', kernel: [kernel[0], kernel[1]], stride: [stride[0], stride[1]] }, node, out);
    const shape = [
      c,
      Math.floor((h - kernel[0]) / stride[0]) + 1,
      Math.floor((w - kernel[1]) / stride[1]) + 1,
    ];
    return { ...x, name: out, shape, accumulatorOf: undefined };
  }

  private flatten(node: Node, x: IntValue, out: string): IntValue {
    const axis = this.int(node, 'axis', 1);
    const rank = x.shape.length + 1;
    if ((axis < 0 ? axis + rank : axis) !== 1)
      throw new OnnxImportError(
        node.ref,
        `axis ${axis} is not supported: only axis 1 (keep the batch, flatten the rest)`,
      );
    return this.flattenTo(node, x, out);
  }

  private reshape(node: Node, x: IntValue, out: string): IntValue {
    const target = this.constant(node, 1, 'shape');
    if (target.type !== T.INT64 || target.dims.length !== 1)
      throw new OnnxImportError(node.ref, 'the target shape must be a 1-D int64 constant');
    const allowZero = this.int(node, 'allowzero', 0) !== 0;
    const from = [1, ...x.shape];
    const n = from.reduce((a, b) => a * b, 1);
    let dims = target.values.map((d, i) => (d === 0 && !allowZero ? (from[i] ?? 0) : d));
    const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (dims.filter((d) => d === -1).length === 1 && known > 0 && n % known === 0)
      dims = dims.map((d) => (d === -1 ? n / known : d));
    // [N] would drop the batch dimension, which every later op (Flatten, ArgMax axis 1) counts.
    const ok = dims.length === 2 && dims[0] === 1 && dims[1] === n;
    if (!ok)
      throw new OnnxImportError(
        node.ref,
        `reshapes [${from.join(', ')}] to [${target.values.join(', ')}]; only a flatten to [1, N] (or [-1, N]) is supported`,
      );
    return this.flattenTo(node, x, out);
  }

  private dequantize(node: Node, x: IntValue, out: string): FloatValue {
    if (this.int(node, 'block_size', 0) !== 0)
      throw new OnnxImportError(node.ref, 'blocked quantization (block_size) is not supported');
    const scale = this.scale(node, 1, 'x_scale');
    const zeroPoint = this.zeroPoint(node, 2, 'x_zero_point', [T.INT8, T.UINT8, T.INT32])?.value ?? 0;
    if (x.dtype === 'int32' && zeroPoint !== 0)
      throw new OnnxImportError(node.ref, 'an int32 value must be dequantized with zero point 0');
    return { kind: 'float', name: out, dequantized: { node, source: x, scale, zeroPoint } };
  }

  private quantize(node: Node, x: FloatValue, out: string): IntValue {
    if (this.int(node, 'block_size', 0) !== 0)
      throw new OnnxImportError(node.ref, 'blocked quantization (block_size) is not supported');
    const scale = this.scale(node, 1, 'y_scale');
    const zp = this.zeroPoint(node, 2, 'y_zero_point');
    const outputDType = this.int(node, 'output_dtype', 0);
    const dtype = zp?.dtype ?? (outputDType === 0 ? 'uint8' : QDTYPES[outputDType]);
    if (!dtype)
      throw new OnnxImportError(
        node.ref,
        `output_dtype ${onnxTypeName(outputDType)} is not supported (only int8 and uint8)`,
      );
    const zeroPoint = zp?.value ?? 0;
    if (!x.dequantized) {
      this.input = { shape: this.inputShape, dtype };
      this.inputQuantization = { scale, zeroPoint, dtype };
      this.traceValues[0] = out;
      return { kind: 'int', name: out, shape: this.inputShape, dtype, zeroPoint, scale };
    }
    const dq = x.dequantized;
    // The requantize layer has an output zero point only: subtract the input one first.
    if (dq.zeroPoint !== 0) this.push(shiftLayer(dq.zeroPoint), dq.node, null);
    const real = Math.fround(dq.scale) / Math.fround(scale);
    this.rescale(node, real, zeroPoint, dtype, out);
    return { kind: 'int', name: out, shape: dq.source.shape, dtype, zeroPoint, scale };
  }

  private argMax(node: Node, x: IntValue, out: string): EndValue {
    if (x.shape.length !== 1) throw this.rankError(node, x, '[1, N] (Flatten first)');
    const axis = this.int(node, 'axis', 0);
    if (axis !== 1 && axis !== -1)
      throw new OnnxImportError(
        node.ref,
        `axis ${axis} is not supported: verilay's argmax runs over the features (axis 1 or -1 of [1, N])`,
      );
    if (this.int(node, 'select_last_index', 0) !== 0)
      throw new OnnxImportError(
        node.ref,
        'select_last_index 1 is not supported: verilay returns the first maximum',
      );
    this.push({ op: 'argmax' }, node, out);
    return { kind: 'end', name: out, node };
  }

  // ---- layers ------------------------------------------------------------------------------

  /** A dense layer from weights B [K, N] (minus their zero points), with x's zero point folded. */
  private dense(
    node: Node,
    x: IntValue,
    bIndex: number,
    bZpIndex: number,
    xZp: number,
    trace: string | null,
  ): { index: number; outputs: number } {
    this.expectQuantizedInput(node, x);
    if (x.shape.length !== 1) throw this.rankError(node, x, '[1, K] (Flatten first)');
    const k = x.shape[0];
    const b = this.weightTensor(node, bIndex);
    if (b.dims.length !== 2 || b.dims[0] !== k)
      throw new OnnxImportError(
        node.ref,
        `weights have shape [${b.dims.join(', ')}]; expected [${k}, N] for the input [1, ${k}]`,
      );
    const n = b.dims[1];
    const zp = this.weightZeroPoints(node, bZpIndex, n);
    const weights = toInt8Weights(
      node,
      n,
      k,
      (o, i) => b.values[i * n + o] - zp[o],
      (o, i) => `[${i}][${o}]`,
    );
    const layer: DenseLayer = {
      op: 'dense',
      inFeatures: k,
      outFeatures: n,
      weights,
      bias: new Int32Array(n),
    };
    if (xZp !== 0) this.foldInputZeroPoint(node, layer, k, xZp);
    return { index: this.push(layer, node, trace), outputs: n };
  }

  /**
   * A conv2d layer from weights w [M, C, kh, kw]. x's zero point folds into the bias without
   * padding; with padding a shift layer goes first, because ONNX pads with the zero point (the
   * real zero) while verilay pads with the integer 0.
   */
  private conv(
    node: Node,
    x: IntValue,
    wIndex: number,
    wZpIndex: number,
    xZp: number,
    trace: string | null,
  ): { index: number; shape: number[] } {
    this.expectQuantizedInput(node, x);
    if (x.shape.length !== 3) throw this.rankError(node, x, '[1, C, H, W]');
    const [c, h, w] = x.shape;
    const autoPad = this.string(node, 'auto_pad') ?? 'NOTSET';
    if (autoPad !== 'NOTSET')
      throw new OnnxImportError(node.ref, `auto_pad ${autoPad} is not supported; give explicit pads`);
    if (this.int(node, 'group', 1) !== 1)
      throw new OnnxImportError(
        node.ref,
        `group ${this.int(node, 'group', 1)} is not supported (only 1: verilay's conv2d is dense over channels)`,
      );
    const dilations = this.ints(node, 'dilations') ?? [1, 1];
    if (dilations.some((d) => d !== 1))
      throw new OnnxImportError(node.ref, `dilations [${dilations.join(', ')}] are not supported (only 1)`);
    const weightsIn = this.weightTensor(node, wIndex);
    if (weightsIn.dims.length !== 4 || weightsIn.dims[1] !== c)
      throw new OnnxImportError(
        node.ref,
        `weights have shape [${weightsIn.dims.join(', ')}]; expected [M, ${c}, kh, kw] for the input [1, ${x.shape.join(', ')}]`,
      );
    const [m, , kh, kw] = weightsIn.dims;
    const kernelShape = this.ints(node, 'kernel_shape');
    if (kernelShape && kernelShape.join() !== [kh, kw].join())
      throw new OnnxImportError(
        node.ref,
        `kernel_shape [${kernelShape.join(', ')}] does not match the weights [${kh}, ${kw}]`,
      );
    const stride = this.ints(node, 'strides') ?? [1, 1];
    if (stride.length !== 2 || stride.some((s) => s < 1))
      throw new OnnxImportError(node.ref, `strides [${stride.join(', ')}] must be two positive integers`);
    const pads = this.ints(node, 'pads') ?? [0, 0, 0, 0];
    if (pads.length !== 4 || pads[0] !== pads[2] || pads[1] !== pads[3] || pads.some((p) => p < 0))
      throw new OnnxImportError(
        node.ref,
        `pads [${pads.join(', ')}] are not supported: verilay pads symmetrically ([top, left, bottom, right] with top = bottom, left = right)`,
      );
    const [ph, pw] = [pads[0], pads[1]];
    if (h + 2 * ph < kh || w + 2 * pw < kw)
      throw new OnnxImportError(node.ref, `kernel [${kh}, ${kw}] is larger than the padded input`);
    const fanIn = c * kh * kw;
    const zp = this.weightZeroPoints(node, wZpIndex, m);
    const weights = toInt8Weights(
      node,
      m,
      fanIn,
      (o, i) => weightsIn.values[o * fanIn + i] - zp[o],
      (o, i) => `[${o}][${Math.floor(i / (kh * kw))}][${Math.floor(i / kw) % kh}][${i % kw}]`,
    );
    const layer: Conv2dLayer = {
      op: 'conv2d',
      inChannels: c,
      outChannels: m,
      kernel: [kh, kw],
      stride: [stride[0], stride[1]],
      padding: [ph, pw],
      weights,
      bias: new Int32Array(m),
    };
    if (xZp !== 0) {
      if (ph > 0 || pw > 0) this.push(shiftLayer(xZp), node, null);
      else this.foldInputZeroPoint(node, layer, fanIn, xZp);
    }
    const shape = [
      m,
      Math.floor((h + 2 * ph - kh) / stride[0]) + 1,
      Math.floor((w + 2 * pw - kw) / stride[1]) + 1,
    ];
    return { index: this.push(layer, node, trace), shape };
  }

  /** Σ w·(x − zp) = Σ w·x − zp·Σ w: the input zero point becomes a bias term. */
  private foldInputZeroPoint(node: Node, layer: DenseLayer | Conv2dLayer, fanIn: number, zp: number) {
    const terms = Array.from(layer.bias, (_, o) => {
      let sum = 0;
      for (let i = o * fanIn; i < (o + 1) * fanIn; i++) sum += layer.weights[i];
      return -zp * sum;
    });
    this.addToBias(node, layer, terms);
  }

  private foldBias(node: Node, index: number, values: readonly number[]) {
    this.addToBias(node, this.layers[index] as DenseLayer | Conv2dLayer, values);
  }

  private addToBias(node: Node, layer: DenseLayer | Conv2dLayer, values: readonly number[]) {
    layer.bias.forEach((b, o) => {
      const sum = b + values[o];
      if (sum < INT32_MIN || sum > INT32_MAX)
        throw new OnnxImportError(node.ref, `the bias of output ${o} would be ${sum}, outside int32`);
      layer.bias[o] = sum;
    });
  }

  private rescale(node: Node, real: number, zeroPoint: number, dtype: QDType, trace: string) {
    let fixed;
    try {
      fixed = quantizeMultiplier(real, this.bits);
    } catch (cause) {
      throw new OnnxImportError(
        node.ref,
        `the rescale factor ${real} has no ${this.bits}-bit multiplier: ${(cause as Error).message}`,
        { cause },
      );
    }
    this.push({ op: 'requantize', ...fixed, zeroPoint, dtype }, node, trace);
  }

  private flattenTo(node: Node, x: IntValue, out: string): IntValue {
    if (x.shape.length === 1) return { ...x, name: out };
    this.push({ op: 'flatten' }, node, out);
    return { ...x, name: out, shape: [x.shape.reduce((a, b) => a * b, 1)], accumulatorOf: undefined };
  }

  private push(layer: Layer, node: Node, trace: string | null): number {
    this.layers.push(layer);
    this.layerNodes.push(node.ref);
    this.traceValues.push(trace);
    return this.layers.length - 1;
  }

  private finish(value: Value, name: string | undefined): OnnxImportResult {
    if (value.kind === 'float') {
      if (!value.dequantized)
        throw new OnnxImportError(null, `the model output "${value.name}" is the float graph input`);
      this.outputQuantization = { scale: value.dequantized.scale, zeroPoint: value.dequantized.zeroPoint };
    }
    if (!this.input) throw new OnnxImportError(null, 'the graph input is never quantized');
    let model: Model;
    try {
      // The same limit parseModel applies, so the written document reads back.
      model = buildModel({ name: name?.slice(0, MAX_NAME_LENGTH), input: this.input, layers: this.layers });
    } catch (cause) {
      if (!(cause instanceof InvalidModelError)) throw cause;
      const path = String(cause.meta.path);
      const at = /^layers\[(\d+)\]/.exec(path);
      if (!at)
        throw new OnnxImportError(null, `the imported model is invalid: ${cause.shortMessage}`, { cause });
      const i = Number(at[1]);
      throw new OnnxImportError(
        this.layerNodes[i],
        `its verilay layer ${i} (${this.layers[i].op}) is invalid: ${cause.shortMessage}`,
        { cause },
      );
    }
    return {
      model,
      ...(this.inputQuantization && { inputQuantization: this.inputQuantization }),
      ...(this.outputQuantization && { outputQuantization: this.outputQuantization }),
      layerSources: this.layerNodes.map((n) => n.name),
      traceValues: this.traceValues,
    };
  }

  // ---- inputs and attributes ---------------------------------------------------------------

  private chainInput(node: Node, value: Value, index: number) {
    const inputs = node.proto.input ?? [];
    if (inputs[index] !== value.name)
      throw new OnnxImportError(
        node.ref,
        `reads "${value.name}" as input ${inputs.indexOf(value.name)}; only input ${index} may come from the previous node (weights, scales and zero points must be constants)`,
      );
  }

  private expectQuantizedInput(node: Node, x: IntValue) {
    if (x.dtype === 'int32')
      throw new OnnxImportError(
        node.ref,
        `reads the int32 value "${x.name}"; it needs int8 or uint8 (requantize first)`,
      );
  }

  private rankError(node: Node, x: IntValue, expected: string): OnnxImportError {
    return new OnnxImportError(
      node.ref,
      `reads "${x.name}" of shape [1, ${x.shape.join(', ')}]; expected ${expected}`,
    );
  }

  private constant(node: Node, index: number, role: string): ConstTensor {
    const name = node.proto.input?.[index];
    if (!name) throw new OnnxImportError(node.ref, `input ${index} (${role}) is missing`);
    const read = this.constants.get(name);
    if (!read)
      throw new OnnxImportError(
        node.ref,
        `input "${name}" (${role}) is not a constant; weights, biases, scales and zero points must be initializers or Constant nodes`,
      );
    try {
      return read();
    } catch (cause) {
      throw new OnnxImportError(
        node.ref,
        `constant "${name}" (${role}) cannot be read: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  }

  private scalar(node: Node, index: number, role: string, types: readonly number[]): ConstTensor {
    const t = this.constant(node, index, role);
    if (t.values.length !== 1)
      throw new OnnxImportError(
        node.ref,
        `${role} has ${t.values.length} elements; only per-tensor (one value) quantization is supported`,
      );
    if (!types.includes(t.type))
      throw new OnnxImportError(
        node.ref,
        `${role} has type ${onnxTypeName(t.type)}; expected ${types.map(onnxTypeName).join(' or ')}`,
      );
    return t;
  }

  private scale(node: Node, index: number, role: string): number {
    const value = this.scalar(node, index, role, [T.FLOAT]).values[0];
    // ONNX Runtime computes with these in float32: a subnormal scale, or one that lets an int32
    // times it overflow float32 (2^31 · 2^64 < 2^128), makes its results differ from the exact
    // fixed point verilay proves, so neither is accepted.
    if (!(value >= MIN_SCALE && value <= MAX_SCALE))
      throw new OnnxImportError(
        node.ref,
        `${role} is ${value}; a scale must be a normal float32 in [2^-126, 2^64]`,
      );
    return value;
  }

  /**
   * The rescale factor of QLinearMatMul/QLinearConv: left to right in float64 from the float32
   * values of the file (the MNIST exporter writes the same expression, so its files import to the
   * identical model). ONNX Runtime multiplies the input and weight scales in float32, so that
   * product must stay normal.
   */
  private qLinearFactor(node: Node, inputScale: number, weightScale: number, outputScale: number): number {
    if (!(Math.fround(inputScale * weightScale) >= MIN_SCALE))
      throw new OnnxImportError(
        node.ref,
        `the product of the input and weight scales (${inputScale} · ${weightScale}) is below float32's normal range`,
      );
    return (Math.fround(inputScale) * Math.fround(weightScale)) / Math.fround(outputScale);
  }

  private weightScale(node: Node, index: number, role: string): number {
    const t = this.constant(node, index, role);
    if (t.values.length > 1)
      throw new OnnxImportError(
        node.ref,
        `per-channel weight scales are not supported (${role} has ${t.values.length} elements): verilay requantizes a tensor with one multiplier`,
      );
    return this.scale(node, index, role);
  }

  private zeroPoint(
    node: Node,
    index: number,
    role: string,
    types: readonly number[] = [T.INT8, T.UINT8],
  ): { value: number; dtype: QDType | undefined } | undefined {
    if (!node.proto.input?.[index]) return undefined;
    const t = this.scalar(node, index, role, types);
    return { value: t.values[0], dtype: QDTYPES[t.type] };
  }

  private requiredZeroPoint(node: Node, index: number, role: string): { value: number; dtype: QDType } {
    const zp = this.zeroPoint(node, index, role);
    if (!zp?.dtype) throw new OnnxImportError(node.ref, `${role} is missing`);
    return { value: zp.value, dtype: zp.dtype };
  }

  private weightTensor(node: Node, index: number): ConstTensor {
    const t = this.constant(node, index, 'weights');
    if (!QDTYPES[t.type])
      throw new OnnxImportError(
        node.ref,
        `weights have type ${onnxTypeName(t.type)}; expected int8 or uint8`,
      );
    return t;
  }

  /** One zero point per output (a scalar repeats); absent means 0. */
  private weightZeroPoints(node: Node, index: number, outputs: number): number[] {
    if (!node.proto.input?.[index]) return new Array<number>(outputs).fill(0);
    const t = this.constant(node, index, 'weight zero point');
    if (!QDTYPES[t.type] || (t.values.length !== 1 && t.values.length !== outputs))
      throw new OnnxImportError(
        node.ref,
        `the weight zero point must be int8/uint8 with 1 or ${outputs} values, got ${onnxTypeName(t.type)} [${t.dims.join(', ')}]`,
      );
    return Array.from({ length: outputs }, (_, o) => t.values[t.values.length === 1 ? 0 : o]);
  }

  private attribute(node: Node, name: string): onnx.IAttributeProto | undefined {
    return node.proto.attribute?.find((a) => a.name === name);
  }

  private int(node: Node, name: string, fallback: number): number {
    const a = this.attribute(node, name);
    return a ? protoInt(a.i) : fallback;
  }

  private ints(node: Node, name: string): number[] | undefined {
    return this.attribute(node, name)?.ints?.map(protoInt);
  }

  private string(node: Node, name: string): string | undefined {
    const s = this.attribute(node, name)?.s;
    return s ? new TextDecoder().decode(s) : undefined;
  }
}

const SUPPORTED = new Set([
  'MatMulInteger',
  'ConvInteger',
  'QLinearMatMul',
  'QLinearConv',
  'Add',
  'Relu',
  'MaxPool',
  'Flatten',
  'Reshape',
  'DequantizeLinear',
  'QuantizeLinear',
  'ArgMax',
  'Identity',
]);

function isDefaultDomain(node: Node): boolean {
  const domain = node.proto.domain ?? '';
  return domain === '' || domain === 'ai.onnx';
}

/** x − zp as an int16 (|x − zp| ≤ 255): the identity requantization with output zero point −zp. */
function shiftLayer(zeroPoint: number): RequantizeLayer {
  return { op: 'requantize', multiplier: 1, shift: 0, zeroPoint: -zeroPoint, dtype: 'int16' };
}

function toInt8Weights(
  node: Node,
  outputs: number,
  fanIn: number,
  at: (o: number, i: number) => number,
  where: (o: number, i: number) => string,
): Int8Array {
  const weights = new Int8Array(outputs * fanIn);
  for (let o = 0; o < outputs; o++)
    for (let i = 0; i < fanIn; i++) {
      const v = at(o, i);
      if (v < -128 || v > 127)
        throw new OnnxImportError(
          node.ref,
          `weight ${where(o, i)} minus its zero point is ${v}, outside int8; verilay weights are int8`,
        );
      weights[o * fanIn + i] = v;
    }
  return weights;
}

function constantNodeValue(node: Node): ConstTensor {
  const a = node.proto.attribute?.[0];
  if (!a) throw new RangeError('the Constant node has no value');
  switch (a.name) {
    case 'value':
      if (!a.t) throw new RangeError('the Constant value is not a tensor');
      return readTensor(a.t);
    case 'value_float':
      return { type: T.FLOAT, dims: [], values: [a.f ?? 0] };
    case 'value_floats':
      return { type: T.FLOAT, dims: [a.floats?.length ?? 0], values: [...(a.floats ?? [])] };
    case 'value_int':
      return { type: T.INT64, dims: [], values: [protoInt(a.i)] };
    case 'value_ints':
      return { type: T.INT64, dims: [a.ints?.length ?? 0], values: (a.ints ?? []).map(protoInt) };
    default:
      throw new RangeError(`Constant ${a.name} is not supported`);
  }
}

function memo<T>(make: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: make() }).v;
}
