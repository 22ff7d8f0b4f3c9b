/** @jest-environment ./test/jest/outer-typed-arrays.environment.js */
// The QDQ forms the real quantize_static models (import-qdq-onnxruntime.spec.ts) do not have:
// Gemm with transB 1, a padded Conv on uint8 with a zero point, a Relu kept before the
// QuantizeLinear, a MatMul without bias; each against ONNX Runtime on random graphs. And every
// QDQ pattern the importer refuses, with the node it names.
import { run, splitmix32 } from '@verilay/inference';
import * as ort from 'onnxruntime-node';
import { importOnnx } from './import-onnx';
import { importError, randomInts } from './import-onnx.spec-helper';
import { OnnxGraphBuilder } from './onnx-graph-builder';

const INPUTS = 100;
const f32 = Math.fround;

/**
 * x float [N, c, 6, 6] → Q (uint8, zp `xz`) → DQ → Conv (per-channel int8 weights along axis 0,
 * int32 bias, pads 1) → Relu → Q (int8 zp 0: the Relu is a layer) → DQ → Flatten → Q → DQ → Gemm (transB 1,
 * per-channel along axis 0) or MatMul → Q (int8) → DQ → ArgMax.
 */
function qdqGraph(seed: number, gemm: boolean) {
  const int = randomInts(seed);
  const rand = splitmix32(seed);
  const [c, m, classes] = [2, 3, 5];
  const flat = m * 6 * 6;
  const xs = f32(1 / 127);
  const xz = int(1, 100, 156)[0];
  const ws = Array.from({ length: m }, () => f32(0.004 + rand() * 0.02));
  const hs = f32(0.05 + rand() * 0.05);
  const ds = Array.from({ length: classes }, () => f32(0.002 + rand() * 0.01));
  const os = f32(0.1 + rand() * 0.2);
  const g = new OnnxGraphBuilder('qdq')
    .input('x', 'float', [null, c, 6, 6])
    .initializer('xs', 'float', [], [xs])
    .initializer('xz', 'uint8', [], [xz])
    .initializer('cw', 'int8', [m, c, 3, 3], int(m * c * 9, -127, 127))
    .initializer('cws', 'float', [m], ws)
    .initializer('cwz', 'int8', [m], new Array(m).fill(0))
    .initializer('cb', 'int32', [m], int(m, -3000, 3000))
    .initializer(
      'cbs',
      'float',
      [m],
      ws.map((w) => f32(xs * w)),
    )
    .initializer('hs', 'float', [], [hs])
    .initializer('hz', 'int8', [], [0])
    .initializer('os', 'float', [], [os])
    .initializer('oz', 'int8', [], [-3])
    .node('QuantizeLinear', ['x', 'xs', 'xz'], ['q'], {}, 'quant')
    .node('DequantizeLinear', ['q', 'xs', 'xz'], ['qf'], {}, 'dq_x')
    .node('DequantizeLinear', ['cw', 'cws', 'cwz'], ['cwf'], { axis: 0 }, 'dq_cw')
    .node('DequantizeLinear', ['cb', 'cbs'], ['cbf'], { axis: 0 }, 'dq_cb')
    .node('Conv', ['qf', 'cwf', 'cbf'], ['conv'], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, 'conv')
    .node('Relu', ['conv'], ['relu'], {}, 'relu')
    .node('QuantizeLinear', ['relu', 'hs', 'hz'], ['h'], {}, 'q_h')
    .node('DequantizeLinear', ['h', 'hs', 'hz'], ['hf'], {}, 'dq_h')
    .node('Flatten', ['hf'], ['flat'], { axis: 1 }, 'flatten')
    .node('QuantizeLinear', ['flat', 'hs', 'hz'], ['fq'], {}, 'q_flat')
    .node('DequantizeLinear', ['fq', 'hs', 'hz'], ['ff'], {}, 'dq_flat');
  if (gemm)
    g.initializer('dw', 'int8', [classes, flat], int(classes * flat, -127, 127))
      .initializer('dws', 'float', [classes], ds)
      .initializer('db', 'int32', [classes], int(classes, -5000, 5000))
      .initializer(
        'dbs',
        'float',
        [classes],
        ds.map((d) => f32(hs * d)),
      )
      .node('DequantizeLinear', ['dw', 'dws'], ['dwf'], { axis: 0 }, 'dq_dw')
      .node('DequantizeLinear', ['db', 'dbs'], ['dbf'], { axis: 0 }, 'dq_db')
      .node('Gemm', ['ff', 'dwf', 'dbf'], ['logits'], { transB: 1 }, 'dense');
  else
    g.initializer('dw', 'int8', [flat, classes], int(classes * flat, -127, 127))
      .initializer('dws', 'float', [classes], ds)
      .node('DequantizeLinear', ['dw', 'dws'], ['dwf'], { axis: 1 }, 'dq_dw')
      .node('MatMul', ['ff', 'dwf'], ['logits'], {}, 'dense');
  const bytes = g
    .node('QuantizeLinear', ['logits', 'os', 'oz'], ['o'], {}, 'q_o')
    .node('DequantizeLinear', ['o', 'os', 'oz'], ['real'], {}, 'dq_o')
    .node('ArgMax', ['real'], ['label'], { axis: 1, keepdims: 0 }, 'argmax')
    .output('label', 'int64')
    .output('q', 'uint8')
    .output('h', 'int8')
    .output('fq', 'int8')
    .output('o', 'int8')
    .toBytes();
  const data = Float32Array.from({ length: INPUTS * c * 36 }, () => rand() * 2 - 1);
  return { bytes, input: new ort.Tensor('float32', data, [INPUTS, c, 6, 6]) };
}

describe('importOnnx of QDQ graphs', () => {
  it.each([
    ['Gemm with transB 1 and a bias', true],
    ['MatMul without a bias', false],
  ])(
    'padded per-channel Conv on uint8 with a zero point, a Relu before the QuantizeLinear, then %s: within ±1 of ONNX Runtime',
    async (_, gemm) => {
      let [elements, offByOne, worst, sameLabel] = [0, 0, 0, 0];
      // Values seen per traced tensor and labels: a graph that saturates everything is no test.
      const seen = new Map<string, Set<number>>();
      for (let seed = 1; seed <= 4; seed++) {
        const { bytes, input } = qdqGraph(seed + (gemm ? 0 : 10), gemm);
        const sut = importOnnx(bytes);
        // The shift layer (x − zp before a padded conv), conv, per-channel requantize, relu, ...
        expect(sut.model.layers.map((l) => l.op)).toEqual([
          'requantize',
          'conv2d',
          'requantize',
          'relu',
          'flatten',
          'dense',
          'requantize',
          'argmax',
        ]);
        expect(sut.traceValues).toEqual(['q', null, null, null, 'h', 'fq', null, 'o', 'label']);
        const out = await (await ort.InferenceSession.create(bytes)).run({ x: input });
        const at = (name: string, s: number) => {
          const t = out[name];
          const n = t.size / INPUTS;
          return Array.from(t.data as ArrayLike<number | bigint> as ArrayLike<number>, Number).slice(
            s * n,
            (s + 1) * n,
          );
        };
        for (let s = 0; s < INPUTS; s++) {
          const { trace } = run(sut.model, at('q', s));
          sut.traceValues.forEach((name, i) => {
            if (i === 0 || name === null || name === 'label') return;
            const expected = at(name, s);
            const values = seen.get(name) ?? seen.set(name, new Set()).get(name)!;
            trace[i].data.forEach((v, j) => {
              values.add(v);
              const d = Math.abs(v - expected[j]);
              elements++;
              if (d === 1) offByOne++;
              worst = Math.max(worst, d);
            });
          });
          if (trace[trace.length - 1].data[0] === at('label', s)[0]) sameLabel++;
        }
      }
      console.log(
        `ORT agreement: QDQ per-channel Conv + Relu + ${gemm ? 'Gemm (transB 1)' : 'MatMul'}, 4 random models: ${elements} elements, ${offByOne} off by one (${((100 * offByOne) / elements).toFixed(3)}%), ${sameLabel} of ${4 * INPUTS} labels agree; distinct values ${[...seen].map(([n, v]) => `${n} ${v.size}`).join(', ')}`,
      );
      expect([...seen].map(([name, v]) => [name, v.size > 40])).toEqual(
        [...seen].map(([name]) => [name, true]),
      );
      expect(worst).toBeLessThanOrEqual(1);
      expect(offByOne / elements).toBeLessThan(0.01);
      expect(sameLabel).toBeGreaterThan(0.97 * 4 * INPUTS);
    },
  );

  /** int8 x [1, 4] → DQ → `op` on dequantized weights, then what `tail` adds; imported. */
  const dense = (edit: (g: OnnxGraphBuilder) => OnnxGraphBuilder) =>
    edit(
      new OnnxGraphBuilder('g')
        .input('x', 'int8', [1, 4])
        .initializer('s', 'float', [], [0.5])
        .initializer('w', 'int8', [4, 2], [1, 2, 3, 4, 5, 6, 7, 8])
        .initializer('ws', 'float', [2], [0.25, 0.5])
        .initializer('ys', 'float', [], [0.75])
        .initializer('yz', 'int8', [], [0])
        .node('DequantizeLinear', ['x', 's'], ['xf'], {}, 'dq_x'),
    ).toBytes();
  const expectRejection = (bytes: Uint8Array, node: string, op: string, reason: RegExp) => {
    const error = importError(() => importOnnx(bytes));
    expect(error.meta).toEqual({ node, op });
    expect(error.message).toMatch(reason);
  };

  it('imports a MatMul with per-channel scales exactly as the fixed point of each channel', () => {
    const bytes = dense((g) =>
      g
        .node('DequantizeLinear', ['w', 'ws'], ['wf'], { axis: 1 }, 'dq_w')
        .node('MatMul', ['xf', 'wf'], ['y'], {}, 'mm')
        .node('QuantizeLinear', ['y', 'ys', 'yz'], ['yq'], {}, 'q_y')
        .output('yq', 'int8'),
    );
    const { model } = importOnnx(bytes);
    // 0.5 · 0.25 / 0.75 = 1/6 and 0.5 · 0.5 / 0.75 = 1/3: one multiplier per output channel.
    const rq = model.layers[1];
    expect(rq).toMatchObject({ op: 'requantize', zeroPoint: 0, dtype: 'int8' });
    const [m, s] = [rq.op === 'requantize' && rq.multiplier, rq.op === 'requantize' && rq.shift];
    expect((m as number[]).map((v, c) => v / 2 ** (s as number[])[c])).toEqual([
      expect.closeTo(1 / 6, 7),
      expect.closeTo(1 / 3, 7),
    ]);
    // x = [1, 1, 1, 1]: Σ w = [16, 20] → [16/6, 20/3] = [2.67, 6.67] → [3, 7].
    expect(Array.from(run(model, [1, 1, 1, 1]).output.data)).toEqual([3, 7]);
  });

  it.each([
    [
      'float weights (an unquantized operator)',
      (g: OnnxGraphBuilder) =>
        g
          .initializer('fw', 'float', [4, 2], [1, 2, 3, 4, 5, 6, 7, 8])
          .node('MatMul', ['xf', 'fw'], ['y'], {}, 'mm')
          .output('y', 'float'),
      'mm',
      'MatMul',
      /weights "fw" is a float constant: the operator is not quantized/,
    ],
    [
      'per-channel weight scales along the input axis',
      (g: OnnxGraphBuilder) =>
        g
          .initializer('ws4', 'float', [4], [0.1, 0.2, 0.3, 0.4])
          .node('DequantizeLinear', ['w', 'ws4'], ['wf'], { axis: 0 }, 'dq_w')
          .node('MatMul', ['xf', 'wf'], ['y'], {}, 'mm')
          .output('y', 'float'),
      'mm',
      'MatMul',
      /scale of weights "dq_w" has shape \[4\] along axis 0; expected one value, or 2 along the output axis 1/,
    ],
    [
      'a bias whose scale is not input scale · weight scale',
      (g: OnnxGraphBuilder) =>
        g
          .initializer('b', 'int32', [2], [10, 20])
          .initializer('bs', 'float', [2], [0.125, 0.3])
          .node('DequantizeLinear', ['w', 'ws'], ['wf'], { axis: 1 }, 'dq_w')
          .node('DequantizeLinear', ['b', 'bs'], ['bf'], { axis: 0 }, 'dq_b')
          .node('Gemm', ['xf', 'wf', 'bf'], ['y'], {}, 'gemm')
          .output('y', 'float'),
      'gemm',
      'Gemm',
      /bias "dq_b" of output 1 has scale 0.3.*, not input scale · weight scale = 0.25/,
    ],
    [
      'Gemm with transA',
      (g: OnnxGraphBuilder) =>
        g
          .node('DequantizeLinear', ['w', 'ws'], ['wf'], { axis: 1 }, 'dq_w')
          .node('Gemm', ['xf', 'wf'], ['y'], { transA: 1 }, 'gemm')
          .output('y', 'float'),
      'gemm',
      'Gemm',
      /only Gemm with transA 0, alpha 1 and beta 1/,
    ],
    [
      'a float operator output read by anything but QuantizeLinear',
      (g: OnnxGraphBuilder) =>
        g
          .node('DequantizeLinear', ['w', 'ws'], ['wf'], { axis: 1 }, 'dq_w')
          .node('MatMul', ['xf', 'wf'], ['y'], {}, 'mm')
          .node('Sigmoid', ['y'], ['z'], {}, 'sigmoid')
          .output('z', 'float'),
      'sigmoid',
      'Sigmoid',
      /reads the float output "y" of MatMul "mm"; in a QDQ model only QuantizeLinear/,
    ],
    [
      'a float operator output that ends the model',
      (g: OnnxGraphBuilder) =>
        g
          .node('DequantizeLinear', ['w', 'ws'], ['wf'], { axis: 1 }, 'dq_w')
          .node('MatMul', ['xf', 'wf'], ['y'], {}, 'mm')
          .output('y', 'float'),
      'mm',
      'MatMul',
      /its float output "y" ends the model/,
    ],
    [
      'a Relu before a QuantizeLinear whose zero point is neither 0 nor the minimum',
      (g: OnnxGraphBuilder) =>
        g
          .initializer('yz5', 'int8', [], [5])
          .node('DequantizeLinear', ['w', 'ws'], ['wf'], { axis: 1 }, 'dq_w')
          .node('MatMul', ['xf', 'wf'], ['y'], {}, 'mm')
          .node('Relu', ['y'], ['r'], {}, 'relu')
          .node('QuantizeLinear', ['r', 'ys', 'yz5'], ['yq'], {}, 'q_y')
          .output('yq', 'int8'),
      'q_y',
      'QuantizeLinear',
      /a Relu before QuantizeLinear with zero point 5 is max\(q, 5\)/,
    ],
    [
      'weights from another operator than DequantizeLinear',
      (g: OnnxGraphBuilder) =>
        g
          .node('Identity', ['w'], ['wi'], {}, 'id_w')
          .node('MatMul', ['xf', 'wi'], ['y'], {}, 'mm')
          .output('y', 'float'),
      'mm',
      'MatMul',
      /weights "wi" is the output of Identity "id_w"; a QDQ model dequantizes its weights/,
    ],
  ])('rejects %s, naming the node', (_, edit, node, op, reason) => {
    expectRejection(dense(edit), node, op, reason);
  });
});
