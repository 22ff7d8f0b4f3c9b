// Reads a GGUF file (ggml's model format, github.com/ggml-org/ggml docs/gguf.md, versions 2 and
// 3): magic, version, tensor and metadata counts, the metadata key/values, the tensor infos, and
// the aligned tensor data. Every count and length is checked against the bytes that remain before
// anything is allocated, so a hostile file fails with a GgufError, never a crash or an allocation
// larger than the file itself.
import { GgufError } from './gguf.error';
import { GGML_TYPES, GGUF_VALUE, ggmlTypeName, type GgmlTypeName, type GgufValue } from './gguf-types';

export interface GgufTensorInfo {
  readonly name: string;
  /** GGUF's `ne` order: dims[0] is the innermost (contiguous) dimension. */
  readonly dims: readonly number[];
  /** Row-major shape (dims reversed): a matrix `[rows][cols]` is `ne = [cols, rows]`. */
  readonly shape: readonly number[];
  readonly type: GgmlTypeName;
  readonly elements: number;
  /** Absolute byte offset of the tensor's data in the file, and its length. */
  readonly offset: number;
  readonly byteLength: number;
}

export interface GgufFile {
  readonly version: number;
  readonly metadata: ReadonlyMap<string, GgufValue>;
  readonly tensors: ReadonlyMap<string, GgufTensorInfo>;
  readonly alignment: number;
  readonly dataOffset: number;
  readonly bytes: Uint8Array;
}

const MAGIC = 0x46554747; // "GGUF" little-endian
const MAX_ARRAY_DEPTH = 4;
const MAX_DIMS = 4;
/** Largest tensor the reader accepts (elements); ggml's own limit is far above any real model. */
const MAX_ELEMENTS = 2 ** 40;

class Cursor {
  private readonly view: DataView;
  offset = 0;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.bytes.length - this.offset;
  }
  need(n: number, what: string): void {
    if (n > this.remaining)
      throw new GgufError(`${what} needs ${n} bytes, ${this.remaining} remain (truncated file?)`, {
        offset: this.offset,
      });
  }
  private take(n: number, what: string): number {
    this.need(n, what);
    const at = this.offset;
    this.offset += n;
    return at;
  }
  u8 = (w: string) => this.view.getUint8(this.take(1, w));
  i8 = (w: string) => this.view.getInt8(this.take(1, w));
  u16 = (w: string) => this.view.getUint16(this.take(2, w), true);
  i16 = (w: string) => this.view.getInt16(this.take(2, w), true);
  u32 = (w: string) => this.view.getUint32(this.take(4, w), true);
  i32 = (w: string) => this.view.getInt32(this.take(4, w), true);
  f32 = (w: string) => this.view.getFloat32(this.take(4, w), true);
  f64 = (w: string) => this.view.getFloat64(this.take(8, w), true);
  u64 = (w: string) => this.view.getBigUint64(this.take(8, w), true);
  i64 = (w: string) => this.view.getBigInt64(this.take(8, w), true);
  /** A u64 count or length that must be a safe integer no larger than `max`. */
  count(what: string, max: number): number {
    const at = this.offset;
    const v = this.u64(what);
    if (v > BigInt(max))
      throw new GgufError(`${what} is ${v}, more than the ${max} the rest of the file can hold`, {
        offset: at,
      });
    return Number(v);
  }
  string(what: string): string {
    const n = this.count(`${what} length`, this.remaining - 8);
    const at = this.take(n, what);
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + at, n).toString('utf8');
  }
}

/** Smallest encoding of one value of a type (strings: an empty one; arrays: an empty one). */
const MIN_BYTES: Record<number, number> = {
  [GGUF_VALUE.uint8]: 1,
  [GGUF_VALUE.int8]: 1,
  [GGUF_VALUE.bool]: 1,
  [GGUF_VALUE.uint16]: 2,
  [GGUF_VALUE.int16]: 2,
  [GGUF_VALUE.uint32]: 4,
  [GGUF_VALUE.int32]: 4,
  [GGUF_VALUE.float32]: 4,
  [GGUF_VALUE.uint64]: 8,
  [GGUF_VALUE.int64]: 8,
  [GGUF_VALUE.float64]: 8,
  [GGUF_VALUE.string]: 8,
  [GGUF_VALUE.array]: 12,
};

function readValue(c: Cursor, type: number, key: string, depth: number): GgufValue {
  const w = `metadata "${key}"`;
  switch (type) {
    case GGUF_VALUE.uint8:
      return c.u8(w);
    case GGUF_VALUE.int8:
      return c.i8(w);
    case GGUF_VALUE.uint16:
      return c.u16(w);
    case GGUF_VALUE.int16:
      return c.i16(w);
    case GGUF_VALUE.uint32:
      return c.u32(w);
    case GGUF_VALUE.int32:
      return c.i32(w);
    case GGUF_VALUE.float32:
      return c.f32(w);
    case GGUF_VALUE.float64:
      return c.f64(w);
    case GGUF_VALUE.uint64:
      return c.u64(w);
    case GGUF_VALUE.int64:
      return c.i64(w);
    case GGUF_VALUE.bool: {
      const at = c.offset;
      const b = c.u8(w);
      if (b > 1) throw new GgufError(`${w}: bool byte ${b} is neither 0 nor 1`, { offset: at });
      return b === 1;
    }
    case GGUF_VALUE.string:
      return c.string(w);
    case GGUF_VALUE.array: {
      if (depth >= MAX_ARRAY_DEPTH)
        throw new GgufError(`${w}: arrays nested deeper than ${MAX_ARRAY_DEPTH}`, { offset: c.offset });
      const at = c.offset;
      const elementType = c.u32(w);
      const min = MIN_BYTES[elementType];
      if (min === undefined)
        throw new GgufError(`${w}: unknown array element type ${elementType}`, { offset: at });
      const n = c.count(`${w} array length`, Math.floor((c.remaining - 8) / min));
      const out: GgufValue[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = readValue(c, elementType, key, depth + 1);
      return out;
    }
    default:
      throw new GgufError(`${w}: unknown value type ${type}`, { offset: c.offset - 4 });
  }
}

/** Parses a GGUF file held in memory. Tensor data is not read here (see `tensorValues`). */
export function readGguf(bytes: Uint8Array): GgufFile {
  const c = new Cursor(bytes);
  if (bytes.length < 4 || c.u32('magic') !== MAGIC)
    throw new GgufError('not a GGUF file (magic)', { offset: 0 });
  const version = c.u32('version');
  if (version !== 2 && version !== 3)
    throw new GgufError(`version ${version} is not supported (2 or 3)`, { offset: 4 });
  // Each tensor info takes at least 8 (name) + 4 (n_dims) + 8 (one dim) + 4 (type) + 8 (offset)
  // bytes, each metadata entry 8 (key) + 4 (type) + 1; the counts cannot exceed what remains.
  const tensorCount = c.count('tensor count', Math.floor((c.remaining - 8) / 32));
  const metadataCount = c.count('metadata count', Math.floor(c.remaining / 13));

  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < metadataCount; i++) {
    const key = c.string(`metadata key ${i}`);
    if (metadata.has(key)) throw new GgufError(`metadata key "${key}" appears twice`, { offset: c.offset });
    const type = c.u32(`metadata "${key}" type`);
    metadata.set(key, readValue(c, type, key, 0));
  }
  const alignmentValue = metadata.get('general.alignment') ?? 32;
  if (
    typeof alignmentValue !== 'number' ||
    !Number.isInteger(alignmentValue) ||
    alignmentValue < 1 ||
    alignmentValue > 2 ** 16 ||
    (alignmentValue & (alignmentValue - 1)) !== 0
  )
    throw new GgufError(`general.alignment ${String(alignmentValue)} is not a power of two up to 65536`);
  const alignment = alignmentValue;

  const infos: Omit<GgufTensorInfo, 'offset'>[] = [];
  const relative: number[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = c.string(`tensor ${i} name`);
    const at = c.offset;
    const nDims = c.u32(`tensor "${name}" n_dims`);
    if (nDims < 1 || nDims > MAX_DIMS)
      throw new GgufError(`tensor "${name}" has ${nDims} dimensions (1 to ${MAX_DIMS})`, { offset: at });
    const dims: number[] = [];
    let elements = 1;
    for (let d = 0; d < nDims; d++) {
      const dim = c.count(`tensor "${name}" dim ${d}`, MAX_ELEMENTS);
      if (dim < 1) throw new GgufError(`tensor "${name}" has an empty dimension`, { offset: c.offset - 8 });
      elements *= dim;
      if (elements > MAX_ELEMENTS)
        throw new GgufError(`tensor "${name}" has more than 2^40 elements`, { offset: c.offset - 8 });
      dims.push(dim);
    }
    const typeAt = c.offset;
    const typeId = c.u32(`tensor "${name}" type`);
    const type = ggmlTypeName(typeId);
    if (!type)
      throw new GgufError(`tensor "${name}" has type ${typeId}, not one of ${Object.keys(GGML_TYPES)}`, {
        offset: typeAt,
      });
    const { blockSize, blockBytes } = GGML_TYPES[type];
    if (dims[0] % blockSize !== 0)
      throw new GgufError(
        `tensor "${name}": a row of ${dims[0]} is not whole ${type} blocks of ${blockSize}`,
      );
    const offset = c.count(`tensor "${name}" offset`, Number.MAX_SAFE_INTEGER);
    if (offset % alignment !== 0)
      throw new GgufError(`tensor "${name}" offset ${offset} is not aligned to ${alignment}`, {
        offset: c.offset - 8,
      });
    infos.push({
      name,
      dims,
      shape: [...dims].reverse(),
      type,
      elements,
      byteLength: (elements / blockSize) * blockBytes,
    });
    relative.push(offset);
  }
  const dataOffset = Math.ceil(c.offset / alignment) * alignment;
  const tensors = new Map<string, GgufTensorInfo>();
  infos.forEach((info, i) => {
    const offset = dataOffset + relative[i];
    if (offset + info.byteLength > bytes.length)
      throw new GgufError(
        `tensor "${info.name}" (${info.byteLength} bytes at ${offset}) runs past the end of the file (${bytes.length} bytes)`,
      );
    if (tensors.has(info.name)) throw new GgufError(`tensor "${info.name}" appears twice`);
    tensors.set(info.name, { ...info, offset });
  });
  return { version, metadata, tensors, alignment, dataOffset, bytes };
}
