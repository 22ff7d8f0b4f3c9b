// Tensor data to float32 values, for the types GGML_TYPES lists (ggml's ggml-quants.c layouts):
//   F32, F16: one value each;
//   Q8_0: blocks of 32 = f16 d, 32 × i8 q;        x = d·q
//   Q4_0: blocks of 32 = f16 d, 16 bytes of nibbles; x = d·(q − 8)
//   Q4_1: blocks of 32 = f16 d, f16 m, 16 bytes;    x = d·q + m
// In the 4-bit types byte j of a block holds element j in its low nibble and element j + 16 in its
// high nibble. Each product is done in float32, as ggml's dequantize_row_* does.
import type { GgufFile, GgufTensorInfo } from './read-gguf';
import { GgufError } from './gguf.error';

/** IEEE half to number (exact: every half is a float32 and a float64). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Dequantizes `info`'s data (row-major, `info.elements` values) into a new Float32Array. */
export function dequantize(bytes: Uint8Array, info: GgufTensorInfo): Float32Array {
  if (info.offset < 0 || info.offset + info.byteLength > bytes.length)
    throw new GgufError(`tensor "${info.name}" lies outside the file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + info.offset, info.byteLength);
  const n = info.elements;
  const out = new Float32Array(n);
  const f = Math.fround;
  switch (info.type) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    case 'Q8_0':
      for (let b = 0; b < n / 32; b++) {
        const d = halfToFloat(view.getUint16(34 * b, true));
        for (let j = 0; j < 32; j++) out[32 * b + j] = f(d * view.getInt8(34 * b + 2 + j));
      }
      return out;
    case 'Q4_0':
      for (let b = 0; b < n / 32; b++) {
        const d = halfToFloat(view.getUint16(18 * b, true));
        for (let j = 0; j < 16; j++) {
          const q = view.getUint8(18 * b + 2 + j);
          out[32 * b + j] = f(d * ((q & 15) - 8));
          out[32 * b + j + 16] = f(d * ((q >> 4) - 8));
        }
      }
      return out;
    case 'Q4_1':
      for (let b = 0; b < n / 32; b++) {
        const d = halfToFloat(view.getUint16(20 * b, true));
        const m = halfToFloat(view.getUint16(20 * b + 2, true));
        for (let j = 0; j < 16; j++) {
          const q = view.getUint8(20 * b + 4 + j);
          out[32 * b + j] = f(f(d * (q & 15)) + m);
          out[32 * b + j + 16] = f(f(d * (q >> 4)) + m);
        }
      }
      return out;
  }
}

/** A tensor of the file by name, dequantized to float32 (row-major, `shape`). */
export function tensorValues(file: GgufFile, name: string): Float32Array {
  const info = file.tensors.get(name);
  if (!info) throw new GgufError(`no tensor "${name}"`);
  return dequantize(file.bytes, info);
}
