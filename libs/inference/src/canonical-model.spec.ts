import { keccak_256 } from '@noble/hashes/sha3';
import { computeModelId, decodeModel, encodeModel } from './canonical-model';
import { InvalidModelError } from './errors';
import { modelToJson, parseModel } from './parse-model';
import { randomModel } from './random-model';

describe(encodeModel.name, () => {
  const doc = {
    format: 'verilay.model.v1',
    name: 'vector',
    input: { shape: [2], dtype: 'int8' },
    layers: [
      { op: 'dense', inFeatures: 2, outFeatures: 1, weights: [1, -1], bias: [-2] },
      { op: 'requantize', multiplier: 3, shift: 2, zeroPoint: -1, dtype: 'int8' },
    ],
  };

  it('encodes the documented byte layout (docs/model-format.md test vector)', () => {
    const hex = Buffer.from(encodeModel(parseModel(doc))).toString('hex');
    expect(hex).toBe(
      [
        '564c4d01', // magic "VLM" v1
        '01',
        '01',
        '02000000', // input int8, rank 1, [2]
        '02000000', // 2 layers
        '01',
        '02000000',
        '01000000',
        '01ff',
        'feffffff', // dense 2->1, weights [1,-1], bias [-2]
        '03',
        '03000000',
        '02',
        'ffffffff',
        '01', // requantize m=3 s=2 zp=-1 int8
      ].join(''),
    );
    expect(computeModelId(parseModel(doc))).toBe(
      `0x${Buffer.from(keccak_256(Buffer.from(hex, 'hex'))).toString('hex')}`,
    );
  });

  it('gives the same modelId whatever the name, key order or whitespace', () => {
    const a = computeModelId(parseModel(doc));
    const reordered = JSON.parse(
      JSON.stringify({ layers: doc.layers, input: doc.input, name: 'other', format: doc.format }),
    );
    expect(computeModelId(parseModel(JSON.stringify(reordered, null, 2)))).toBe(a);
  });

  it('gives a different modelId when one weight changes', () => {
    const changed = JSON.parse(JSON.stringify(doc));
    changed.layers[0].weights[1] = 0;
    expect(computeModelId(parseModel(changed))).not.toBe(computeModelId(parseModel(doc)));
  });

  it('round-trips through decodeModel for random models', () => {
    for (const model of [
      randomModel({ seed: 5, kind: 'mlp', sizes: [20, 7, 3], argmax: true }),
      randomModel({ seed: 6, kind: 'cnn', sizes: [2, 8, 8, 3, 4] }),
    ]) {
      const sut = decodeModel(encodeModel(model), model.name);
      expect(modelToJson(sut)).toEqual(modelToJson(model));
      expect(computeModelId(sut)).toBe(computeModelId(model));
    }
  });

  it('rejects truncated, trailing and foreign bytes', () => {
    const bytes = encodeModel(parseModel(doc));
    expect(() => decodeModel(bytes.slice(0, -1))).toThrow(/truncated/);
    expect(() => decodeModel(Uint8Array.from([...bytes, 0]))).toThrow(/trailing bytes/);
    expect(() => decodeModel(Uint8Array.from([0x7b, 0x22, 0, 0]))).toThrow(InvalidModelError);
  });

  it('rejects decoded parameters that break a bound', () => {
    const bytes = encodeModel(parseModel(doc));
    bytes[bytes.length - 6] = 63; // requantize: ... shift (u8), zeroPoint (i32), dtype (u8)
    expect(() => decodeModel(bytes)).toThrow(/shift.*\[0, 62\]/);
  });
});
