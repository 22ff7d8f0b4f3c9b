import { dequantize, encodeGguf, halfToFloat, readGguf, tensorValues } from '@verilay/gguf';
import { half, realGguf } from './gguf.spec-helper';

const u16 = (v: number) => [v & 0xff, v >> 8];

describe('dequantize', () => {
  it('halfToFloat decodes normals, subnormals, zeros and specials', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x8000)).toBe(-0);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });

  it('decodes hand-made Q4_1, Q4_0, Q8_0 and F16 blocks (low nibble j, high nibble j + 16)', () => {
    const nibbles = Array.from({ length: 16 }, (_, j) => (j & 15) | ((15 - j) << 4));
    const q41 = [...u16(half(0.5)), ...u16(half(-1)), ...nibbles];
    const q40 = [...u16(half(0.25)), ...nibbles];
    const q80 = [...u16(half(-0.125)), ...Array.from({ length: 32 }, (_, j) => (j * 9 - 128) & 0xff)];
    const f16 = [...u16(half(1.5)), ...u16(half(-3))];
    const sut = readGguf(
      encodeGguf(
        [],
        [
          { name: 'q41', dims: [32], type: 'Q4_1', data: Uint8Array.from(q41) },
          { name: 'q40', dims: [32], type: 'Q4_0', data: Uint8Array.from(q40) },
          { name: 'q80', dims: [32], type: 'Q8_0', data: Uint8Array.from(q80) },
          { name: 'f16', dims: [2], type: 'F16', data: Uint8Array.from(f16) },
        ],
      ),
    );
    const q = [...Array.from({ length: 16 }, (_, j) => j), ...Array.from({ length: 16 }, (_, j) => 15 - j)];
    expect(Array.from(tensorValues(sut, 'q41'))).toEqual(q.map((v) => 0.5 * v - 1));
    expect(Array.from(tensorValues(sut, 'q40'))).toEqual(q.map((v) => 0.25 * (v - 8)));
    expect(Array.from(tensorValues(sut, 'q80'))).toEqual(
      Array.from({ length: 32 }, (_, j) => -0.125 * (((j * 9 - 128) << 24) >> 24)),
    );
    expect(Array.from(tensorValues(sut, 'f16'))).toEqual([1.5, -3]);
  });

  it('refuses a tensor info that points outside the bytes', () => {
    const info = {
      name: 'x',
      dims: [32],
      shape: [32],
      type: 'Q8_0' as const,
      elements: 32,
      offset: 10,
      byteLength: 34,
    };
    expect(() => dequantize(new Uint8Array(40), info)).toThrow(/outside the file/);
  });

  it('matches the gguf Python package on the real file (values recorded from gguf-py)', () => {
    const bytes = realGguf();
    if (!bytes) return;
    const sut = readGguf(bytes);
    // scripts/smollm2/.venv: gguf.quants.dequantize(t.data, t.tensor_type).reshape(-1)[:4]
    expect(Array.from(tensorValues(sut, 'token_embd.weight').subarray(0, 4))).toEqual([
      -0.10654449462890625, 0.032978057861328125, 0.048198699951171875, -0.022830963134765625,
    ]);
    expect(Array.from(tensorValues(sut, 'blk.0.attn_k.weight').subarray(0, 4))).toEqual([
      -0.1552734375, 0.3402099609375, -0.485595703125, -0.3204345703125,
    ]);
  });
});
