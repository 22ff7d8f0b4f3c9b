import { MAX_TENSOR_SIZE } from '@verilay/inference';
import { onnx } from 'onnx-proto';

const T = onnx.TensorProto.DataType;

/** A constant (initializer or `Constant` node) read into plain numbers. */
export interface ConstTensor {
  /** ONNX `TensorProto.DataType` code. */
  readonly type: number;
  readonly dims: readonly number[];
  readonly values: readonly number[];
}

/** protobufjs decodes int64 fields to `Long` objects when long.js is installed. */
export type ProtoInt = number | { toNumber(): number } | null | undefined;

export function protoInt(v: ProtoInt): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

const TYPE_NAMES: Readonly<Record<number, string>> = {
  [T.FLOAT]: 'float',
  [T.UINT8]: 'uint8',
  [T.INT8]: 'int8',
  [T.UINT16]: 'uint16',
  [T.INT16]: 'int16',
  [T.INT32]: 'int32',
  [T.INT64]: 'int64',
  [T.STRING]: 'string',
  [T.BOOL]: 'bool',
  [T.FLOAT16]: 'float16',
  [T.DOUBLE]: 'double',
  [T.UINT32]: 'uint32',
  [T.UINT64]: 'uint64',
  [T.BFLOAT16]: 'bfloat16',
};

export function onnxTypeName(code: number): string {
  return TYPE_NAMES[code] ?? `type ${code}`;
}

/**
 * The values of a tensor stored in the file. ONNX allows two encodings and both occur: `raw_data`
 * (little-endian bytes) or the typed repeated fields (`float_data`; `int32_data` for int8, uint8
 * and int32; `int64_data`). Throws a `RangeError` describing what cannot be read.
 */
export function readTensor(t: onnx.ITensorProto): ConstTensor {
  const type = t.dataType ?? 0;
  const dims = (t.dims ?? []).map(protoInt);
  // SAFETY: dims come from an untrusted file and size every allocation downstream; a negative
  // pair or a zero would let a tiny file claim a huge tensor with a product matching no data.
  const bad = dims.find((d) => !Number.isSafeInteger(d) || d < 1);
  if (bad !== undefined) throw new RangeError(`its shape [${dims.join(', ')}] has a dimension below 1`);
  const size = dims.reduce((a, b) => a * b, 1);
  if (size > MAX_TENSOR_SIZE)
    throw new RangeError(`it has ${size} elements, more than the ${MAX_TENSOR_SIZE} a constant may have`);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0)
    throw new RangeError('its data is stored outside the file (external data)');
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  let values: number[];
  switch (type) {
    case T.FLOAT:
      values = raw ? fromRaw(raw, 4, (v, o) => v.getFloat32(o, true)) : [...(t.floatData ?? [])];
      break;
    case T.UINT8:
      values = raw ? fromRaw(raw, 1, (v, o) => v.getUint8(o)) : inRange([...(t.int32Data ?? [])], 0, 255);
      break;
    case T.INT8:
      values = raw ? fromRaw(raw, 1, (v, o) => v.getInt8(o)) : inRange([...(t.int32Data ?? [])], -128, 127);
      break;
    case T.INT32:
      values = raw ? fromRaw(raw, 4, (v, o) => v.getInt32(o, true)) : [...(t.int32Data ?? [])];
      break;
    case T.INT64:
      values = raw
        ? fromRaw(raw, 8, (v, o) => Number(v.getBigInt64(o, true)))
        : (t.int64Data ?? []).map(protoInt);
      break;
    default:
      throw new RangeError(`its element type ${onnxTypeName(type)} is not supported`);
  }
  if (values.length !== size)
    throw new RangeError(`it holds ${values.length} values for shape [${dims.join(', ')}]`);
  return { type, dims, values };
}

/**
 * int8/uint8 values in `int32_data` must be in range: ONNX Runtime would wrap an out-of-range one
 * modulo 256 while we would read it whole, two different models from one file.
 */
function inRange(values: number[], min: number, max: number): number[] {
  const i = values.findIndex((v) => v < min || v > max);
  if (i >= 0) throw new RangeError(`value ${i} (${values[i]}) is outside [${min}, ${max}]`);
  return values;
}

function fromRaw(raw: Uint8Array, width: number, read: (view: DataView, offset: number) => number): number[] {
  if (raw.length % width !== 0)
    throw new RangeError(`raw_data of ${raw.length} bytes is not a whole number of elements`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
  return Array.from({ length: raw.length / width }, (_, i) => read(view, i * width));
}
