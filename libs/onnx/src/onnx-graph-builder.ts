import { onnx } from 'onnx-proto';

/** The ONNX element types verilay reads and writes. */
export type OnnxElementType = 'float' | 'uint8' | 'int8' | 'int32' | 'int64';

export const ONNX_ELEMENT_CODES: Readonly<Record<OnnxElementType, number>> = {
  float: onnx.TensorProto.DataType.FLOAT,
  uint8: onnx.TensorProto.DataType.UINT8,
  int8: onnx.TensorProto.DataType.INT8,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
};

/** Attribute values a node may carry: an int, a float, a list of ints, or a string. */
export type OnnxAttributeValue = number | readonly number[] | string | { readonly float: number };

/** Little-endian raw bytes of `values` in the element type (ONNX `raw_data`). */
export function encodeRaw(type: OnnxElementType, values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  const width = { float: 4, uint8: 1, int8: 1, int32: 4, int64: 8 }[type];
  const bytes = new Uint8Array(n * width);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (type === 'float') view.setFloat32(i * 4, v, true);
    else if (type === 'uint8') view.setUint8(i, v);
    else if (type === 'int8') view.setInt8(i, v);
    else if (type === 'int32') view.setInt32(i * 4, v, true);
    else view.setBigInt64(i * 8, BigInt(v), true);
  }
  return bytes;
}

/**
 * Writes ONNX models (protobuf `ModelProto`) one node at a time: what the tests use to build the
 * graphs they import and run in ONNX Runtime, and what the MNIST export writes. Names are the
 * caller's; no shape inference is done (ONNX Runtime infers what it needs).
 */
export class OnnxGraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];

  constructor(
    private readonly name: string,
    private readonly opset = 14,
  ) {}

  /** A graph input; a `null` dimension is symbolic (`N`, the batch). */
  input(name: string, type: OnnxElementType, dims: readonly (number | null)[]): this {
    this.inputs.push(valueInfo(name, type, dims));
    return this;
  }

  /** A graph output: any value of the graph, an intermediate one included. */
  output(name: string, type: OnnxElementType, dims?: readonly (number | null)[]): this {
    this.outputs.push(valueInfo(name, type, dims));
    return this;
  }

  /** A constant tensor; a scalar has `dims` []. */
  initializer(name: string, type: OnnxElementType, dims: readonly number[], values: ArrayLike<number>): this {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== values.length)
      throw new RangeError(`initializer ${name}: ${values.length} values for shape [${dims.join(', ')}]`);
    this.initializers.push({
      name,
      dataType: ONNX_ELEMENT_CODES[type],
      dims: [...dims],
      rawData: encodeRaw(type, values),
    });
    return this;
  }

  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attributes: Readonly<Record<string, OnnxAttributeValue>> = {},
    name = `${opType}_${this.nodes.length}`,
  ): this {
    this.nodes.push({
      name,
      opType,
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return this;
  }

  /** The serialized `ModelProto` (IR version 8). */
  toBytes(): Uint8Array {
    return onnx.ModelProto.encode({
      irVersion: 8,
      producerName: 'verilay',
      opsetImport: [{ domain: '', version: this.opset }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    }).finish();
  }
}

function valueInfo(
  name: string,
  type: OnnxElementType,
  dims?: readonly (number | null)[],
): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_ELEMENT_CODES[type],
        shape: dims
          ? { dim: dims.map((d) => (d === null ? { dimParam: 'N' } : { dimValue: d })) }
          : undefined,
      },
    },
  };
}

function attribute(name: string, value: OnnxAttributeValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.INTS, ints: [...value] };
}
