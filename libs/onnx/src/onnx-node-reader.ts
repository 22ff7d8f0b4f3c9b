import { DTYPES, type RequantizeLayer } from '@verilay/inference';
import { onnx } from 'onnx-proto';
import { OnnxImportError, type OnnxNodeRef } from './onnx-import.error';
import { onnxTypeName, protoInt, readTensor, type ConstTensor } from './onnx-tensor';

// The constant, scale, zero-point and attribute readers of the ONNX importers: each checks what
// the untrusted file says before it is used, and names the node when it fails.

export type QDType = 'int8' | 'uint8';

export interface Node {
  readonly proto: onnx.INodeProto;
  readonly ref: OnnxNodeRef;
  readonly index: number;
}

export const T = onnx.TensorProto.DataType;
/** Scales must be normal float32 values (see `scale`). */
export const MIN_SCALE = 2 ** -126;
export const MAX_SCALE = 2 ** 64;
export const INT32_MIN = DTYPES.int32.min;
export const INT32_MAX = DTYPES.int32.max;
export const QDTYPES: Readonly<Record<number, QDType>> = { [T.INT8]: 'int8', [T.UINT8]: 'uint8' };

/** The graph's nodes and constants (initializers and Constant nodes), and readers over them. */
export abstract class OnnxNodeReader {
  protected readonly nodes: Node[];
  protected readonly constants = new Map<string, () => ConstTensor>();

  constructor(protected readonly graph: onnx.IGraphProto) {
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
  }

  protected constant(node: Node, index: number, role: string): ConstTensor {
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

  protected scalar(node: Node, index: number, role: string, types: readonly number[]): ConstTensor {
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

  protected scale(node: Node, index: number, role: string): number {
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
  protected qLinearFactor(node: Node, inputScale: number, weightScale: number, outputScale: number): number {
    if (!(Math.fround(inputScale * weightScale) >= MIN_SCALE))
      throw new OnnxImportError(
        node.ref,
        `the product of the input and weight scales (${inputScale} · ${weightScale}) is below float32's normal range`,
      );
    return (Math.fround(inputScale) * Math.fround(weightScale)) / Math.fround(outputScale);
  }

  protected weightScale(node: Node, index: number, role: string): number {
    const t = this.constant(node, index, role);
    if (t.values.length > 1)
      throw new OnnxImportError(
        node.ref,
        `per-channel weight scales are not supported (${role} has ${t.values.length} elements): verilay requantizes a tensor with one multiplier`,
      );
    return this.scale(node, index, role);
  }

  protected zeroPoint(
    node: Node,
    index: number,
    role: string,
    types: readonly number[] = [T.INT8, T.UINT8],
  ): { value: number; dtype: QDType | undefined } | undefined {
    if (!node.proto.input?.[index]) return undefined;
    const t = this.scalar(node, index, role, types);
    return { value: t.values[0], dtype: QDTYPES[t.type] };
  }

  protected requiredZeroPoint(node: Node, index: number, role: string): { value: number; dtype: QDType } {
    const zp = this.zeroPoint(node, index, role);
    if (!zp?.dtype) throw new OnnxImportError(node.ref, `${role} is missing`);
    return { value: zp.value, dtype: zp.dtype };
  }

  protected weightTensor(node: Node, index: number): ConstTensor {
    const t = this.constant(node, index, 'weights');
    if (!QDTYPES[t.type])
      throw new OnnxImportError(
        node.ref,
        `weights have type ${onnxTypeName(t.type)}; expected int8 or uint8`,
      );
    return t;
  }

  /** One zero point per output (a scalar repeats); absent means 0. */
  protected weightZeroPoints(node: Node, index: number, outputs: number): number[] {
    if (!node.proto.input?.[index]) return new Array<number>(outputs).fill(0);
    const t = this.constant(node, index, 'weight zero point');
    if (!QDTYPES[t.type] || (t.values.length !== 1 && t.values.length !== outputs))
      throw new OnnxImportError(
        node.ref,
        `the weight zero point must be int8/uint8 with 1 or ${outputs} values, got ${onnxTypeName(t.type)} [${t.dims.join(', ')}]`,
      );
    return Array.from({ length: outputs }, (_, o) => t.values[t.values.length === 1 ? 0 : o]);
  }

  protected attribute(node: Node, name: string): onnx.IAttributeProto | undefined {
    return node.proto.attribute?.find((a) => a.name === name);
  }

  protected int(node: Node, name: string, fallback: number): number {
    const a = this.attribute(node, name);
    return a ? protoInt(a.i) : fallback;
  }

  protected ints(node: Node, name: string): number[] | undefined {
    return this.attribute(node, name)?.ints?.map(protoInt);
  }

  protected string(node: Node, name: string): string | undefined {
    const s = this.attribute(node, name)?.s;
    return s ? new TextDecoder().decode(s) : undefined;
  }
}

export function isDefaultDomain(node: Node): boolean {
  const domain = node.proto.domain ?? '';
  return domain === '' || domain === 'ai.onnx';
}

/** x − zp as an int16 (|x − zp| ≤ 255): the identity requantization with output zero point −zp. */
export function shiftLayer(zeroPoint: number): RequantizeLayer {
  return { op: 'requantize', multiplier: 1, shift: 0, zeroPoint: -zeroPoint, dtype: 'int16' };
}

export function toInt8Weights(
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
