/**
 * Reads the float32 safetensors file train.py writes (models/tiny-llm/tiny-llm.float.safetensors):
 * an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and byte
 * range in the data that follows, and `__metadata__` (string values).
 */
export interface FloatTensor {
  readonly shape: readonly number[];
  /** float32 values widened to float64, row-major. */
  readonly data: Float64Array;
}

export interface SafetensorsFile {
  readonly tensors: ReadonlyMap<string, FloatTensor>;
  readonly metadata: Readonly<Record<string, string>>;
}

export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8) throw new Error('safetensors: shorter than its header length');
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length) throw new Error('safetensors: header past the end of the file');
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + headerLength;
  const tensors = new Map<string, FloatTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as unknown as Record<string, string>;
      continue;
    }
    const [start, end] = entry.data_offsets;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.dtype !== 'F32' || end - start !== 4 * count || base + end > bytes.length)
      throw new Error(`safetensors: tensor ${name} is not ${count} float32 values inside the file`);
    const data = new Float64Array(count);
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(base + start + 4 * i, true);
    tensors.set(name, { shape: entry.shape, data });
  }
  return { tensors, metadata };
}
