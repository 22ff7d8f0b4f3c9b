import fc from 'fast-check';
import { randomInput } from './random-model';
import { randomTransformer } from './random-transformer';
import { referenceRun } from './reference-runtime.spec-helper';
import { run } from './run';

describe(randomTransformer.name, () => {
  it('makes load-valid models whose run agrees bit for bit with an independent BigInt reference, within every proven interval', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (modelSeed, inputSeed) => {
        const model = randomTransformer(modelSeed);
        const input = randomInput(model, inputSeed);
        const sut = run(model, input);
        const expected = referenceRun(model, input);
        expect(sut.trace.map((t) => Array.from(t.data, BigInt))).toEqual(expected);
        expect(sut.trace.map((t) => t.shape)).toEqual(model.tensors.map((t) => t.shape));
        // Values outside the proven interval, per tensor (none).
        const outside = sut.trace.map((t, i) =>
          t.data.filter((v) => v < model.tensors[i].min || v > model.tensors[i].max),
        );
        expect(outside.map((o) => o.length)).toEqual(outside.map(() => 0));
      }),
      { numRuns: 60 },
    );
  });

  it('with perChannel: per-channel scales on dense and matmul, bit for bit with the BigInt reference, within every proven interval', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (modelSeed, inputSeed) => {
        const model = randomTransformer(modelSeed, { perChannel: true });
        const channelOps = model.layers.filter(
          (l) => 'requantize' in l && l.requantize && typeof l.requantize.multiplier !== 'number',
        );
        expect(new Set(channelOps.map((l) => l.op))).toEqual(new Set(['dense', 'matmul']));
        const input = randomInput(model, inputSeed);
        const sut = run(model, input);
        expect(sut.trace.map((t) => Array.from(t.data, BigInt))).toEqual(referenceRun(model, input));
        const outside = sut.trace.map((t, i) =>
          t.data.filter((v) => v < model.tensors[i].min || v > model.tensors[i].max),
        );
        expect(outside.map((o) => o.length)).toEqual(outside.map(() => 0));
      }),
      { numRuns: 30 },
    );
    // Without the option, the same draws: the model is the one it always was.
    expect(randomTransformer(7, {})).toEqual(randomTransformer(7));
  });

  it('with layerNorm: layernorms (int8 and int16, in and out) bit for bit with the BigInt reference, within every proven interval', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (modelSeed, inputSeed) => {
        const model = randomTransformer(modelSeed, { layerNorm: true });
        model.layers.forEach((l, i) => {
          if (l.op === 'layernorm') seen.add(`reads ${model.tensors[i].dtype}`).add(`-> ${l.dtype}`);
        });
        const input = randomInput(model, inputSeed);
        const sut = run(model, input);
        expect(sut.trace.map((t) => Array.from(t.data, BigInt))).toEqual(referenceRun(model, input));
        const outside = sut.trace.map((t, i) =>
          t.data.filter((v) => v < model.tensors[i].min || v > model.tensors[i].max),
        );
        expect(outside.map((o) => o.length)).toEqual(outside.map(() => 0));
      }),
      { numRuns: 40 },
    );
    expect([...seen].sort()).toEqual(['-> int16', '-> int8', 'reads int16', 'reads int8']);
    expect(randomTransformer(7, { layerNorm: false })).toEqual(randomTransformer(7));
  });

  it('covers every op and field: both transposeB, causal and not, fracBits 0..6, int8 and int16 paths', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 80; seed++) {
      const model = randomTransformer(seed);
      model.layers.forEach((layer, i) => {
        seen.add(layer.op);
        if (layer.op === 'matmul') seen.add(`transposeB ${layer.transposeB}`);
        if (layer.op === 'softmax') seen.add(`causal ${layer.causal}`).add(`fracBits ${layer.fracBits}`);
        if ('requantize' in layer && layer.requantize) seen.add(`${layer.op} -> ${layer.requantize.dtype}`);
        if (['rmsnorm', 'rope', 'softmax', 'polyGate'].includes(layer.op))
          seen.add(`${layer.op} reads ${model.tensors[i].dtype}`);
      });
      seen.add(`input ${model.input.dtype}`);
    }
    const expected = [
      ...['embedding', 'store', 'load', 'rmsnorm', 'dense', 'splitHeads', 'rope', 'matmul', 'softmax'],
      ...['mergeHeads', 'add', 'polyGate', 'mul', 'argmax'],
      ...['transposeB true', 'transposeB false', 'causal true', 'causal false'],
      ...[0, 1, 2, 3, 4, 5, 6].map((k) => `fracBits ${k}`),
      ...['dense', 'matmul', 'add'].flatMap((op) => [`${op} -> int8`, `${op} -> int16`]),
      ...['rope', 'softmax', 'polyGate', 'rmsnorm'].flatMap((op) => [
        `${op} reads int8`,
        `${op} reads int16`,
      ]),
      ...['input int8', 'input int16', 'input int32'],
    ];
    expect(expected.filter((k) => !seen.has(k))).toEqual([]);
  });

  it('is deterministic and draws token ids within the input range', () => {
    expect(randomTransformer(42)).toEqual(randomTransformer(42));
    const model = randomTransformer(42);
    const [lo, hi] = model.input.range!;
    expect(lo).toBe(0);
    randomInput(model, 1).forEach((id) => expect(id >= lo && id <= hi).toBe(true));
  });
});
