import {
  buildModel,
  DTYPES,
  InvalidModelError,
  type Conv2dLayer,
  type DenseLayer,
  type Layer,
  type Model,
} from '@verilay/inference';
import { errorMessage } from '@verilay/errors';
import { onnx } from 'onnx-proto';
import { OnnxImportError } from './onnx-import.error';
import { isDefaultDomain, QDTYPES, shiftLayer, T, type Node, type QDType } from './onnx-node-reader';
import { onnxTypeName, protoInt } from './onnx-tensor';
import { LayerBuilder, type IntValue } from './layer-builder';

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

/**
 * QDQ: the float output of Conv, Gemm or MatMul on dequantized values, held as the int32
 * accumulator of layer `layer` whose channel c is worth `inputScale · weightScales[c]`; only a
 * QuantizeLinear (optionally after a Relu) may read it.
 */
interface FloatAccumulator {
  readonly node: Node;
  readonly layer: number;
  readonly shape: readonly number[];
  readonly inputScale: number;
  readonly weightScales: readonly number[];
  readonly relu: boolean;
}

/** What a DequantizeLinear made real: `scale · (source − zeroPoint)`. */
interface Dequantized {
  readonly node: Node;
  readonly source: IntValue;
  readonly scale: number;
  readonly zeroPoint: number;
}

/** A float value: the graph input (before its QuantizeLinear), a DequantizeLinear output or (QDQ) a float operator's. */
interface FloatValue {
  readonly kind: 'float';
  readonly name: string;
  readonly dequantized: Dequantized | null;
  readonly accumulator?: FloatAccumulator;
}

/** The output of ArgMax: nothing may follow it. */
interface EndValue {
  readonly kind: 'end';
  readonly name: string;
  readonly node: Node;
}

type Value = IntValue | FloatValue | EndValue;

/** parseModel's limit on a model name. */
const MAX_NAME_LENGTH = 200;

const QDQ_HINT = (op: string) => `, or in the QDQ form (DequantizeLinear → ${op} → QuantizeLinear)`;
const UNSUPPORTED_HINTS: Readonly<Record<string, string>> = {
  Conv: `it is a float operator; quantize the model so that it uses QLinearConv or ConvInteger${QDQ_HINT('Conv')}`,
  MatMul: `it is a float operator; quantize the model so that it uses QLinearMatMul or MatMulInteger${QDQ_HINT('MatMul')}`,
  Gemm: `it is a float operator; quantize the model so that it uses QLinearMatMul or MatMulInteger followed by Add${QDQ_HINT('Gemm')}`,
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
class ChainImporter extends LayerBuilder {
  private readonly consumers = new Map<string, Node[]>();
  private input?: { readonly shape: readonly number[]; readonly dtype: QDType };
  private inputShape: readonly number[] = [];
  private inputQuantization?: QuantizationParams;
  private outputQuantization?: { readonly scale: number; readonly zeroPoint: number };

  constructor(graph: onnx.IGraphProto, bits: number) {
    super(graph, bits);
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
      const qdq = this.qdqStep(node, value, out);
      if (qdq) return qdq;
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
    const { index, outputs } = this.dense(node, x, this.nodeWeights(node, 1, 3), aZp, out);
    return { kind: 'int', name: out, shape: [outputs], dtype: 'int32', zeroPoint: 0, accumulatorOf: index };
  }

  private convInteger(node: Node, x: IntValue, out: string): IntValue {
    const xZp = this.zeroPoint(node, 2, 'x_zero_point')?.value ?? 0;
    const { index, shape } = this.conv(node, x, this.nodeWeights(node, 1, 3), xZp, out);
    return { kind: 'int', name: out, shape, dtype: 'int32', zeroPoint: 0, accumulatorOf: index };
  }

  private qLinearMatMul(node: Node, x: IntValue, out: string): IntValue {
    const aScale = this.scale(node, 1, 'a_scale');
    const aZp = this.zeroPoint(node, 2, 'a_zero_point')?.value ?? 0;
    const bScale = this.weightScale(node, 4, 'b_scale');
    const yScale = this.scale(node, 6, 'y_scale');
    const yZp = this.requiredZeroPoint(node, 7, 'y_zero_point');
    const { outputs } = this.dense(node, x, this.nodeWeights(node, 3, 5), aZp, null);
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
    const { index, shape } = this.conv(node, x, this.nodeWeights(node, 3, 5), xZp, null);
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
    if (x.accumulator) return this.quantizeAccumulator(node, x.accumulator, scale, zeroPoint, dtype, out);
    if (!x.dequantized) {
      this.input = { shape: this.inputShape, dtype };
      this.inputQuantization = { scale, zeroPoint, dtype };
      this.traceValues[0] = out;
      return { kind: 'int', name: out, shape: this.inputShape, dtype, zeroPoint, scale };
    }
    const dq = x.dequantized;
    // QDQ around an operator that keeps the quantization (MaxPool, Flatten): no layer.
    if (
      Math.fround(dq.scale) === Math.fround(scale) &&
      dq.zeroPoint === zeroPoint &&
      dq.source.dtype === dtype
    ) {
      if (dq.source.traceIndex !== undefined) this.traceValues[dq.source.traceIndex] ??= out;
      return { ...dq.source, name: out, scale, traceIndex: undefined };
    }
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

  // ---- QDQ (float operators between DequantizeLinear and QuantizeLinear) --------------------

  /** A float operator reading a dequantized value or a QDQ accumulator, or null if `op` is none. */
  private qdqStep(node: Node, x: FloatValue, out: string): Value | null {
    const { op } = node.ref;
    const dq = x.dequantized;
    if (x.accumulator) {
      if (op !== 'Relu')
        throw new OnnxImportError(
          node.ref,
          `reads the float output "${x.name}" of ${x.accumulator.node.ref.op} "${x.accumulator.node.ref.name}"; in a QDQ model only QuantizeLinear (or Relu, then QuantizeLinear) may follow it`,
        );
      return { ...x, name: out, accumulator: { ...x.accumulator, relu: true } };
    }
    if (!dq) return null;
    switch (op) {
      case 'Conv':
        return this.qdqConv(node, x, dq, out);
      case 'Gemm':
      case 'MatMul':
        return this.qdqGemm(node, x, dq, out);
      case 'MaxPool':
      case 'Flatten':
      case 'Reshape':
      case 'Relu': {
        // Each commutes with the (increasing) dequantization, so it runs on the integers and the
        // value stays dequantized with the same scale and zero point.
        if (op === 'Relu' && dq.zeroPoint === DTYPES[dq.source.dtype as QDType].min)
          return { ...x, name: out };
        const before = this.layers.length;
        const y = this.step(node, { ...dq.source, name: x.name }) as IntValue;
        // Its integers are an ONNX value only after the QuantizeLinear (see quantize).
        let traceIndex = dq.source.traceIndex;
        if (this.layers.length > before) this.traceValues[(traceIndex = this.traceValues.length - 1)] = null;
        return { ...x, name: out, dequantized: { ...dq, source: { ...y, traceIndex } } };
      }
      default:
        return null;
    }
  }

  private qdqConv(node: Node, x: FloatValue, dq: Dequantized, out: string): FloatValue {
    const w = this.dequantizedWeights(node, 1, 0);
    const source = { tensor: () => w.tensor, zeroPoints: () => [...w.zeroPoints] };
    const { index, shape } = this.conv(node, dq.source, source, dq.zeroPoint, null);
    return this.accumulate(node, x, dq, w.scales, index, shape, out);
  }

  /** Gemm (alpha 1, beta 1, transA 0, transB 0 or 1) or MatMul, with weights B and bias C. */
  private qdqGemm(node: Node, x: FloatValue, dq: Dequantized, out: string): FloatValue {
    const transB = node.ref.op === 'Gemm' ? this.int(node, 'transB', 0) : 0;
    if (node.ref.op === 'Gemm') {
      const float = (name: string) => this.attribute(node, name)?.f ?? 1;
      if (this.int(node, 'transA', 0) !== 0 || float('alpha') !== 1 || float('beta') !== 1)
        throw new OnnxImportError(node.ref, 'only Gemm with transA 0, alpha 1 and beta 1 is supported');
    }
    // B is [K, N] (per-channel axis 1), or [N, K] when transposed (axis 0); dense reads [K, N].
    const w = this.dequantizedWeights(node, 1, transB ? 0 : 1);
    const b = w.tensor;
    const tensor =
      transB && b.dims.length === 2
        ? { ...b, dims: [b.dims[1], b.dims[0]], values: transpose(b.values, b.dims[0], b.dims[1]) }
        : b;
    const source = { tensor: () => tensor, zeroPoints: () => [...w.zeroPoints] };
    const { index, outputs } = this.dense(node, dq.source, source, dq.zeroPoint, null);
    return this.accumulate(node, x, dq, w.scales, index, [outputs], out);
  }

  /** The accumulator of layer `index`, with the bias (input 2) folded in if there is one. */
  private accumulate(
    node: Node,
    x: FloatValue,
    dq: Dequantized,
    weightScales: readonly number[],
    index: number,
    shape: readonly number[],
    out: string,
  ): FloatValue {
    // ORT's quantizer writes the bias scale as the float32 product of the two scales.
    const accScales = weightScales.map((s) => Math.fround(Math.fround(dq.scale) * Math.fround(s)));
    if (node.proto.input?.[2]) this.foldBias(node, index, this.dequantizedBias(node, 2, accScales));
    const accumulator = { node, layer: index, shape, inputScale: dq.scale, weightScales, relu: false };
    return { kind: 'float', name: out, dequantized: null, accumulator };
  }

  /** QuantizeLinear of a QDQ accumulator: a (per-channel) requantize, and the Relu if any. */
  private quantizeAccumulator(
    node: Node,
    acc: FloatAccumulator,
    scale: number,
    zeroPoint: number,
    dtype: QDType,
    out: string,
  ): IntValue {
    const reals = acc.weightScales.map((w) => this.qLinearFactor(node, acc.inputScale, w, scale));
    const fixed = this.channelRescale(node, reals, this.bits);
    // relu(v) then rounding is max(requantize(v), zeroPoint): nothing at the dtype's minimum.
    const relu = acc.relu && zeroPoint !== DTYPES[dtype].min;
    if (relu && zeroPoint !== 0)
      throw new OnnxImportError(
        node.ref,
        `a Relu before QuantizeLinear with zero point ${zeroPoint} is max(q, ${zeroPoint}); verilay's relu is max(q, 0) (zero point 0 or the dtype's minimum only)`,
      );
    this.push({ op: 'requantize', ...fixed, zeroPoint, dtype } as Layer, node, relu ? null : out);
    if (relu) this.push({ op: 'relu' }, node, out);
    return { kind: 'int', name: out, shape: acc.shape, dtype, zeroPoint, scale };
  }

  private finish(value: Value, name: string | undefined): OnnxImportResult {
    if (value.kind === 'float') {
      if (value.accumulator)
        throw new OnnxImportError(
          value.accumulator.node.ref,
          `its float output "${value.name}" ends the model; a QDQ model quantizes it (QuantizeLinear)`,
        );
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

/** B [rows, cols] row-major, transposed to [cols, rows]. */
function transpose(values: readonly number[], rows: number, cols: number): number[] {
  return Array.from({ length: rows * cols }, (_, k) => values[(k % rows) * cols + Math.floor(k / rows)]);
}
