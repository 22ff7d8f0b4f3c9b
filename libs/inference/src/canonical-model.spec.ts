import { keccak_256 } from '@noble/hashes/sha3';
import { computeModelId, decodeModel, encodeModel } from './canonical-model';
import { InvalidModelError } from './errors';
import { modelToJson, parseModel } from './parse-model';
import { randomModel } from './random-model';
import { randomTransformer } from './random-transformer';

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

describe(`${encodeModel.name} (format v2)`, () => {
  const tokens = {
    format: 'verilay.model.v2',
    name: 'v2-vector',
    input: { shape: [2], dtype: 'int16', range: [0, 2] },
    layers: [
      { op: 'embedding', vocab: 3, dim: 1, weights: [1, -1, 2] },
      { op: 'store', slot: 1 },
      { op: 'add', slot: 1, requantize: { multiplier: 3, shift: 2, zeroPoint: -1, dtype: 'int8' } },
      { op: 'dense', inFeatures: 1, outFeatures: 2, weights: [1, -1], bias: [0, 5] },
      { op: 'argmax' },
    ],
  };
  const ops = {
    format: 'verilay.model.v2',
    input: { shape: [1, 2], dtype: 'int8' },
    layers: [
      { op: 'store', slot: 2 },
      { op: 'splitHeads', heads: 1 },
      { op: 'rope', shift: 1, dtype: 'int8', positions: 1, half: 1, cos: [2], sin: [-1] },
      { op: 'mergeHeads' },
      { op: 'rmsnorm', dim: 2, weight: [1, 2], eps: 3, dtype: 'int8' },
      { op: 'softmax', causal: false, fracBits: 1, table: [32768, 23170] },
      { op: 'store', slot: 3 },
      { op: 'load', slot: 3 },
      { op: 'matmul', slot: 2, transposeB: true },
      { op: 'requantize', multiplier: 1, shift: 0, dtype: 'int8' },
      { op: 'polyGate', clip: 2, a: -1, b: 3, bias: 4, multiplier: 1, shift: 0, dtype: 'int8' },
    ],
  };

  it('encodes the documented v2 layout: magic 02, the input range, requant blocks (test vector)', () => {
    expect(Buffer.from(encodeModel(parseModel(tokens))).toString('hex')).toBe(
      [
        '564c4d02', // magic "VLM" v2
        '03',
        '01',
        '02000000', // input int16, rank 1, [2]
        '00000000',
        '02000000', // range [0, 2]
        '05000000', // 5 layers
        '0b',
        '03000000',
        '01000000',
        '01ff02', // embedding vocab 3, dim 1, weights [1, -1, 2]
        '09',
        '01', // store 1
        '0e',
        '01',
        '01',
        '03000000',
        '02',
        'ffffffff',
        '01', // add slot 1, requant m3 s2 zp-1 int8
        '01',
        '01000000',
        '02000000',
        '01ff',
        '00000000',
        '05000000',
        '00', // dense, no requant
        '08', // argmax
      ].join(''),
    );
  });

  it('encodes every other v2 op as documented (test vector)', () => {
    expect(Buffer.from(encodeModel(parseModel(ops))).toString('hex')).toBe(
      [
        '564c4d02',
        '01',
        '02',
        '01000000',
        '02000000', // input int8 [1, 2]
        '80ffffff',
        '7f000000', // no range: int8's bounds
        '0b000000', // 11 layers
        '09',
        '02', // store 2
        '13',
        '01000000', // splitHeads 1
        '11',
        '01',
        '01',
        '01000000',
        '01000000',
        '0200',
        'ffff', // rope shift 1 int8 T 1 half 1 cos sin
        '14', // mergeHeads
        '0c',
        '02000000',
        '03000000',
        '01',
        '01000000',
        '02000000', // rmsnorm dim 2 eps 3 int8 [1, 2]
        '12',
        '00',
        '01',
        '0080',
        '825a', // softmax not causal, k 1, table u16 [32768, 23170]
        '09',
        '03', // store 3
        '0a',
        '03', // load 3
        '0d',
        '02',
        '01',
        '00', // matmul slot 2 transposeB, no requant
        '03',
        '01000000',
        '00',
        '00000000',
        '01', // requantize (v1 encoding)
        '10',
        '02000000',
        'ffffffff',
        '03000000',
        '04000000',
        '01000000',
        '00',
        '00000000',
        '01', // polyGate
      ].join(''),
    );
  });

  it('keeps v1 bytes for v1 documents, and a v2 document of v1 ops gets another modelId', () => {
    const v1 = {
      format: 'verilay.model.v1',
      input: { shape: [2], dtype: 'int8' },
      layers: [{ op: 'dense', inFeatures: 2, outFeatures: 1, weights: [1, -1], bias: [-2] }],
    };
    expect(
      Buffer.from(encodeModel(parseModel(v1)))
        .subarray(0, 4)
        .toString('hex'),
    ).toBe('564c4d01');
    const asV2 = parseModel({ ...v1, format: 'verilay.model.v2' });
    expect(computeModelId(asV2)).not.toBe(computeModelId(parseModel(v1)));
    expect(decodeModel(encodeModel(asV2)).format).toBe('verilay.model.v2');
  });

  it('round-trips random transformers through decodeModel (every op and field, per-channel scales too)', () => {
    for (let seed = 0; seed < 20; seed++) {
      const model = randomTransformer(seed, { perChannel: seed % 2 === 1, layerNorm: seed % 3 === 0 });
      const sut = decodeModel(encodeModel(model), model.name);
      expect(modelToJson(sut)).toEqual(modelToJson(model));
      expect(sut.states).toEqual(model.states);
      expect(computeModelId(sut)).toBe(computeModelId(model));
    }
    for (const doc of [tokens, ops]) {
      const model = parseModel(doc);
      expect(modelToJson(decodeModel(encodeModel(model), model.name))).toEqual(modelToJson(model));
    }
  });

  it('encodes layernorm as op 22: dim, eps, dtype, weights then biases (test vector)', () => {
    const doc = {
      format: 'verilay.model.v2',
      input: { shape: [1, 2], dtype: 'int8' },
      layers: [{ op: 'layernorm', dim: 2, weight: [1, -2], bias: [5, -1], eps: 3, dtype: 'int16' }],
    };
    const bytes = encodeModel(parseModel(doc));
    expect(Buffer.from(bytes).toString('hex')).toBe(
      [
        '564c4d02', // magic "VLM" v2
        '01', // input int8
        '02',
        '01000000',
        '02000000', // rank 2 [1, 2]
        '80ffffff',
        '7f000000', // no range: int8's bounds
        '01000000', // 1 layer
        '16', // layernorm (22)
        '02000000', // dim 2
        '03000000', // eps 3
        '03', // int16
        '01000000',
        'feffffff', // weight [1, −2]
        '05000000',
        'ffffffff', // bias [5, −1]
      ].join(''),
    );
    expect(modelToJson(decodeModel(bytes))).toEqual(modelToJson(parseModel(doc)));
    expect(() => decodeModel(bytes.slice(0, -1))).toThrow(/truncated/);
    const v1 = Uint8Array.from(bytes);
    v1[3] = 1;
    expect(() => decodeModel(v1)).toThrow(InvalidModelError);
  });

  it('encodes per-channel requantization: op 21 for the layer, flag 2 in a requant block (test vector)', () => {
    const doc = {
      format: 'verilay.model.v2',
      input: { shape: [2], dtype: 'int8' },
      layers: [
        {
          op: 'dense',
          inFeatures: 2,
          outFeatures: 2,
          weights: [1, 2, 3, 4],
          bias: [0, -1],
          requantize: { multiplier: [3, 5], shift: [1, 2], zeroPoint: -1, dtype: 'int16' },
        },
        { op: 'requantize', multiplier: [7, 1], shift: [0, 3], dtype: 'int8' },
      ],
    };
    const model = parseModel(doc);
    expect(Buffer.from(encodeModel(model)).toString('hex')).toBe(
      [
        '564c4d02', // magic "VLM" v2
        '01',
        '01',
        '02000000',
        '80ffffff',
        '7f000000', // input int8 [2], no range (the dtype's bounds)
        '02000000', // 2 layers
        '01',
        '02000000',
        '02000000',
        '01020304',
        '00000000',
        'ffffffff', // dense 2 -> 2
        '02',
        '02000000',
        '03000000',
        '05000000',
        '01',
        '02',
        'ffffffff',
        '03', // per-channel block, int16
        '15',
        '02000000',
        '07000000',
        '01000000',
        '00',
        '03',
        '00000000',
        '01', // requantize per channel, int8
      ].join(''),
    );
    const back = decodeModel(encodeModel(model), model.name);
    expect(modelToJson(back)).toEqual(modelToJson(model));
    expect(computeModelId(back)).toBe(computeModelId(model));
    // The per-tensor form keeps code 3 and flag 1, so existing v2 modelIds do not move; a
    // one-channel array is another encoding of the same computation (another modelId).
    const scalar = {
      ...doc,
      layers: [{ op: 'requantize', multiplier: 7, shift: 0, dtype: 'int8' }],
      input: { shape: [1], dtype: 'int32' },
    };
    const oneChannel = {
      ...scalar,
      layers: [{ op: 'requantize', multiplier: [7], shift: [0], dtype: 'int8' }],
    };
    expect(Buffer.from(encodeModel(parseModel(scalar))).toString('hex')).toContain('0307000000000000000001');
    expect(computeModelId(parseModel(oneChannel))).not.toBe(computeModelId(parseModel(scalar)));
    // Hostile bytes: a flag above 2, a channel count past the bytes left.
    const bytes = encodeModel(model);
    const flag = Uint8Array.from(bytes);
    flag[43] = 3;
    expect(() => decodeModel(flag)).toThrow(/flag must be 0, 1 or 2/);
    const huge = Uint8Array.from(bytes);
    huge.set([0xff, 0xff, 0xff, 0x7f], 44);
    expect(() => decodeModel(huge)).toThrow(/truncated/);
    // A v1 file has no op 21, and a v1 document no per-channel arrays.
    const v1 = Uint8Array.from(encodeModel(parseModel(oneChannel)));
    v1[3] = 1;
    expect(() => decodeModel(v1)).toThrow(InvalidModelError);
    expect(() => parseModel({ ...oneChannel, format: 'verilay.model.v1' })).toThrow(
      /layers\[0\]\.multiplier.*verilay\.model\.v2/,
    );
  });

  it('refuses per-channel scales that do not match the channels, or out of range', () => {
    const doc = (layers: unknown[], shape = [2, 3, 4], dtype = 'int32') => ({
      format: 'verilay.model.v2',
      input: { shape, dtype },
      layers,
    });
    const rq = (multiplier: unknown, shift: unknown) => ({
      op: 'requantize',
      multiplier,
      shift,
      dtype: 'int8',
    });
    expect(parseModel(doc([rq([1, 2], [3, 4])])).tensors[1].dtype).toBe('int8'); // [C, H, W]: 2 channels
    expect(() => parseModel(doc([rq([1, 2, 3, 4], [0, 0, 0, 0])]))).toThrow(/needs 2 entries/);
    expect(parseModel(doc([rq([1, 2, 3, 4], [0, 0, 0, 0])], [3, 4])).tensors[1].shape).toEqual([3, 4]);
    expect(() => parseModel(doc([rq([1, 2], [0])]))).toThrow(/one entry per channel/);
    expect(() => parseModel(doc([rq([1, 0], [0, 0])]))).toThrow(/multiplier\[1\]/);
    expect(() => parseModel(doc([rq([1, 1], [0, 63])]))).toThrow(/shift\[1\]/);
    expect(() => parseModel(doc([rq([1, 1], 3)]))).toThrow(/shift: must be an array/);
    // The proven interval is the union of the channels' images: [−8, 8] by ×1 and by ×1/4.
    const ranged = parseModel({
      format: 'verilay.model.v2',
      input: { shape: [2], dtype: 'int8', range: [-8, 8] },
      layers: [rq([1, 1], [0, 2])],
    });
    expect([ranged.tensors[1].min, ranged.tensors[1].max]).toEqual([-8, 8]);
    const quarter = parseModel({
      format: 'verilay.model.v2',
      input: { shape: [2], dtype: 'int8', range: [-8, 8] },
      layers: [rq([1, 1], [2, 3])],
    });
    expect([quarter.tensors[1].min, quarter.tensors[1].max]).toEqual([-2, 2]);
  });

  it('refuses v2 op codes in a v1 file, an unknown version, a non-boolean and a truncated table', () => {
    const bytes = encodeModel(parseModel(ops));
    const v1 = Uint8Array.from(bytes);
    v1[3] = 1;
    expect(() => decodeModel(v1)).toThrow(InvalidModelError); // v1 has no range words nor op 9
    const v3 = Uint8Array.from(bytes);
    v3[3] = 3;
    expect(() => decodeModel(v3)).toThrow(/unknown format version 3/);
    const matmulFlag = bytes.length - 27 - 11 - 2; // matmul's transposeB: before its requant byte, a requantize (11) and polyGate (27)
    const notBool = Uint8Array.from(bytes);
    expect(notBool[matmulFlag]).toBe(1);
    notBool[matmulFlag] = 2;
    expect(() => decodeModel(notBool)).toThrow(/boolean must be 0 or 1/);
    expect(() => decodeModel(bytes.slice(0, 60))).toThrow(/truncated/);
  });
});
