// Writes GGUF v3 bytes: what the specs build their test vectors with (small files with chosen
// metadata and raw tensor blocks), and a record of the layout readGguf reads.
import { GGML_TYPES, GGUF_VALUE, type GgmlTypeName } from './gguf-types';

export type GgufWriterValue =
  | {
      readonly type: Exclude<keyof typeof GGUF_VALUE, 'array'>;
      readonly value: number | bigint | string | boolean;
    }
  | {
      readonly type: 'array';
      readonly elementType: Exclude<keyof typeof GGUF_VALUE, 'array'>;
      readonly value: readonly (number | bigint | string | boolean)[];
    };

export interface GgufWriterTensor {
  readonly name: string;
  /** GGUF's `ne` order (innermost first). */
  readonly dims: readonly number[];
  readonly type: GgmlTypeName;
  /** The raw blocks (not checked against dims: tests write wrong ones on purpose). */
  readonly data: Uint8Array;
}

class Bytes {
  private readonly parts: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  u64(v: number | bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  scalar(type: Exclude<keyof typeof GGUF_VALUE, 'array'>, v: number | bigint | string | boolean): void {
    const b = Buffer.alloc(8);
    switch (type) {
      case 'string':
        return this.string(String(v));
      case 'bool':
        return this.push(Buffer.from([v ? 1 : 0]));
      case 'uint8':
        b.writeUInt8(Number(v));
        return this.push(b.subarray(0, 1));
      case 'int8':
        b.writeInt8(Number(v));
        return this.push(b.subarray(0, 1));
      case 'uint16':
        b.writeUInt16LE(Number(v));
        return this.push(b.subarray(0, 2));
      case 'int16':
        b.writeInt16LE(Number(v));
        return this.push(b.subarray(0, 2));
      case 'uint32':
        return this.u32(Number(v));
      case 'int32':
        b.writeInt32LE(Number(v));
        return this.push(b.subarray(0, 4));
      case 'float32':
        b.writeFloatLE(Number(v));
        return this.push(b.subarray(0, 4));
      case 'float64':
        b.writeDoubleLE(Number(v));
        return this.push(b);
      case 'uint64':
        return this.u64(BigInt(v as number | bigint));
      case 'int64':
        b.writeBigInt64LE(BigInt(v as number | bigint));
        return this.push(b);
    }
  }
  concat(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.parts));
  }
}

/** GGUF v3 bytes with the given metadata (in order) and tensors (data aligned to `alignment`). */
export function encodeGguf(
  metadata: readonly (readonly [string, GgufWriterValue])[],
  tensors: readonly GgufWriterTensor[],
  alignment = 32,
): Uint8Array {
  const out = new Bytes();
  out.push(Buffer.from('GGUF', 'latin1'));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(metadata.length);
  for (const [key, v] of metadata) {
    out.string(key);
    out.u32(GGUF_VALUE[v.type]);
    if (v.type === 'array') {
      out.u32(GGUF_VALUE[v.elementType]);
      out.u64(v.value.length);
      for (const e of v.value) out.scalar(v.elementType, e);
    } else out.scalar(v.type, v.value);
  }
  const pad = (n: number) => (alignment - (n % alignment)) % alignment;
  let offset = 0;
  for (const t of tensors) {
    out.string(t.name);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(GGML_TYPES[t.type].id);
    out.u64(offset);
    offset += t.data.length + pad(t.data.length);
  }
  out.push(Buffer.alloc(pad(out.length)));
  for (const t of tensors) {
    out.push(Buffer.from(t.data));
    out.push(Buffer.alloc(pad(t.data.length)));
  }
  return out.concat();
}
