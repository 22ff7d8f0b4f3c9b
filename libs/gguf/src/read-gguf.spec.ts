import { encodeGguf, GgufError, metaNumber, metaString, readGguf, tensorValues } from '@verilay/gguf';
import { realGguf } from './gguf.spec-helper';

const f32 = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);

const small = () =>
  encodeGguf(
    [
      ['general.architecture', { type: 'string', value: 'llama' }],
      ['llama.block_count', { type: 'uint32', value: 2 }],
      ['big', { type: 'uint64', value: 2n ** 40n }],
      ['flag', { type: 'bool', value: true }],
      ['names', { type: 'array', elementType: 'string', value: ['a', 'bc', ''] }],
      ['eps', { type: 'float32', value: 0.5 }],
    ],
    [
      { name: 'w', dims: [2, 3], type: 'F32', data: f32([1, 2, 3, 4, 5, 6]) },
      { name: 'v', dims: [3], type: 'F32', data: f32([-1, 0, 1]) },
    ],
  );

describe('readGguf', () => {
  it('reads the header, every metadata type it was given and the tensors, row-major', () => {
    const sut = readGguf(small());
    expect(sut.version).toBe(3);
    expect(metaString(sut, 'general.architecture')).toBe('llama');
    expect(metaNumber(sut, 'llama.block_count')).toBe(2);
    expect(sut.metadata.get('big')).toBe(2n ** 40n);
    expect(sut.metadata.get('flag')).toBe(true);
    expect(sut.metadata.get('names')).toEqual(['a', 'bc', '']);
    expect(metaNumber(sut, 'eps')).toBe(0.5);
    const w = sut.tensors.get('w')!;
    expect(w.shape).toEqual([3, 2]);
    expect(w.offset % 32).toBe(0);
    expect(Array.from(tensorValues(sut, 'w'))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(tensorValues(sut, 'v'))).toEqual([-1, 0, 1]);
  });

  it('rejects every truncation of a valid file before its last tensor byte with a GgufError', () => {
    const bytes = small();
    // The writer pads the last tensor to the alignment; cuts in that padding leave a valid file.
    const end = Math.max(...[...readGguf(bytes).tensors.values()].map((t) => t.offset + t.byteLength));
    for (let n = 0; n < end; n++) {
      expect(() => {
        const file = readGguf(bytes.subarray(0, n));
        for (const name of file.tensors.keys()) tensorValues(file, name);
      }).toThrow(GgufError);
    }
  });

  it('rejects huge counts and lengths before allocating', () => {
    const bytes = small();
    const setU64 = (at: number, v: bigint) => {
      const b = Uint8Array.from(bytes);
      new DataView(b.buffer).setBigUint64(at, v, true);
      return b;
    };
    expect(() => readGguf(setU64(8, 2n ** 62n))).toThrow(/tensor count/);
    expect(() => readGguf(setU64(16, 2n ** 40n))).toThrow(/metadata count/);
    expect(() => readGguf(setU64(24, 2n ** 50n))).toThrow(/length/);
    // The string array's length (after key, type, element type).
    const at = Buffer.from(bytes).indexOf('names') + 5 + 4 + 4;
    expect(() => readGguf(setU64(at, 2n ** 33n))).toThrow(/array length/);
  });

  it('rejects wrong magic, version, types, dims, offsets and blocks', () => {
    const bad = (patch: (b: Uint8Array) => void) => {
      const b = Uint8Array.from(small());
      patch(b);
      return () => readGguf(b);
    };
    expect(bad((b) => (b[0] = 0))).toThrow(/magic/);
    expect(bad((b) => (b[4] = 9))).toThrow(/version 9/);
    const wName = Buffer.from(small()).lastIndexOf('w\x02');
    expect(bad((b) => (b[wName + 1] = 7))).toThrow(/dimensions/);
    expect(bad((b) => (b[wName + 5] = 0))).toThrow(/empty dimension/);
    expect(bad((b) => (b[wName + 21] = 99))).toThrow(/type 99/);
    expect(bad((b) => (b[wName + 25] = 3))).toThrow(/aligned/);
    expect(bad((b) => (b[wName + 25] = 64))).toThrow(/past the end/);
    const q = encodeGguf([], [{ name: 'q', dims: [31], type: 'Q8_0', data: new Uint8Array(34) }]);
    expect(() => readGguf(q)).toThrow(/blocks of 32/);
    const nested = encodeGguf([['k', { type: 'uint32', value: 1 }]], []);
    const n = Uint8Array.from(nested);
    n[Buffer.from(nested).indexOf('k') + 1] = 42;
    expect(() => readGguf(n)).toThrow(/unknown value type 42/);
  });

  it('reads the real SmolLM2 file: LLaMA metadata and 272 tensors inside the file', () => {
    const bytes = realGguf();
    if (!bytes) return;
    const sut = readGguf(bytes);
    expect(metaString(sut, 'general.architecture')).toBe('llama');
    expect(metaNumber(sut, 'llama.embedding_length')).toBe(576);
    expect(metaNumber(sut, 'llama.block_count')).toBe(30);
    expect(sut.tensors.size).toBe(272);
    expect(sut.tensors.get('token_embd.weight')).toMatchObject({ type: 'Q8_0', shape: [49152, 576] });
    expect(sut.tensors.get('blk.0.attn_k.weight')).toMatchObject({ type: 'Q4_1', shape: [192, 576] });
  });
});
