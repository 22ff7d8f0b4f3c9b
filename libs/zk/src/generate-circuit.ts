import { DTYPES, tensorSize, type Layer, type Model, type TensorInfo } from '@verilay/inference';
import { templateCost } from './circuit-cost';
import { circuitSource } from './circuit-source';
import { generateTransformerStep } from './generate-transformer-step';

export interface GeneratedCircuit {
  /** circom 2 source of the main component. */
  readonly source: string;
  /** 'whole': input -> output. 'step': trace[step] -> trace[step + 1] (one layer). */
  readonly mode: 'whole' | 'step';
  readonly step?: number;
  /** Public signals in snarkjs order: [commitment of the first tensor, commitment of the last]. */
  readonly publicSignals: readonly ['inputCommitment', 'outputCommitment'];
  /** Trace index of the circuit's private input tensor (0 for whole). */
  readonly inputIndex: number;
  /** Trace index of the tensor it commits as output. */
  readonly outputIndex: number;
  /** Constraints of the circuit as buildCircuit compiles it (--O2: non-linear only), from templateCost. */
  readonly estimatedConstraints: number;
}

/** Emits one line of the template body, adding the constraints it will compile to. */
export type Emit = (line: string, constraints?: number) => void;

export const bitlen = (v: bigint) => (v <= 0n ? 0 : v.toString(2).length);
/** Bits so that 0 <= v < 2^bits for every v <= max (at least 1: Num2Bits(0) is not a range check). */
export const bitsFor = (max: bigint) => Math.max(1, bitlen(max));
export const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
export const abs = (v: bigint) => (v < 0n ? -v : v);

/**
 * Generates the circuit of a model (whole inference) or of one step of its trace. The weights
 * are constants of the circuit, so the circuit *is* the model: multiply-accumulates are linear
 * and cost no multiplication constraints. Public signals: the Poseidon commitments of the input
 * tensor (salted in whole mode and for step 0) and of the output tensor (docs/circuits.md).
 */
export function generateModelCircuit(model: Model, options: { step?: number } = {}): GeneratedCircuit {
  const step = options.step;
  const from = step ?? 0;
  const to = step === undefined ? model.layers.length : step + 1;
  if (step !== undefined && (!Number.isInteger(step) || step < 0 || step >= model.layers.length))
    throw new RangeError(`step ${step} is not a layer of this model (0..${model.layers.length - 1})`);
  if (model.format === 'verilay.model.v2') {
    // A v2 model is a transformer: too big for one circuit, it is proven one step at a time.
    if (step === undefined)
      throw new RangeError('a verilay.model.v2 model has step circuits only (give a step)');
    return generateTransformerStep(model, step);
  }

  const out: string[] = [];
  let constraints = 0;
  const emit: Emit = (line: string, cost = 0) => {
    out.push(`    ${line}`);
    constraints += cost;
  };
  const first = model.tensors[from];
  emit(`signal input x[${tensorSize(first.shape)}];`);
  emit('signal input salt;');
  emit('signal output inputCommitment;');
  emit('signal output outputCommitment;');

  let current = 'x';
  for (let i = from; i < to; i++) {
    // requantize then relu is one clamp with a low bound of 0: fuse them (whole circuits only; a
    // step circuit is one layer). The fused output is trace tensor i + 2.
    if (i + 1 < to && model.layers[i].op === 'requantize' && model.layers[i + 1].op === 'relu') {
      current = emitLayer(
        emit,
        i + 1,
        model.layers[i],
        model.tensors[i],
        model.tensors[i + 2],
        current,
        true,
      );
      i++;
    } else current = emitLayer(emit, i, model.layers[i], model.tensors[i], model.tensors[i + 1], current);
  }

  const commit = (name: string, t: TensorInfo, signal: string, check: 0 | 1, salt: string) => {
    const d = DTYPES[t.dtype];
    const n = tensorSize(t.shape);
    emit(
      `component ${name} = TensorCommit(${n}, ${d.bits}, ${d.min}, ${d.code}, ${check});`,
      templateCost.tensorCommit(n, d.bits, check === 1, salt !== '0'),
    );
    emit(`for (var j = 0; j < ${n}; j++) { ${name}.in[j] <== ${signal}[j]; }`);
    emit(`${name}.salt <== ${salt};`);
  };
  // The private input is range-checked to its dtype (packing soundness); every later tensor is
  // already pinned to its interval by the layer constraints that computed it.
  commit('commitIn', first, 'x', 1, from === 0 ? 'salt' : '0');
  commit('commitOut', model.tensors[to], current, 0, '0');
  emit('inputCommitment <== commitIn.out;');
  emit('outputCommitment <== commitOut.out;');
  if (from !== 0) emit('salt === 0; // only the model input is salted');

  const name = step === undefined ? 'VerilayModel' : `VerilayStep${step}`;
  const source = circuitSource(model, {
    generator: '',
    about: step === undefined ? 'whole inference' : `step ${step} (${model.layers[step].op})`,
    include: 'verilay.circom',
    name,
    body: out,
  });
  return {
    source,
    mode: step === undefined ? 'whole' : 'step',
    step,
    publicSignals: ['inputCommitment', 'outputCommitment'],
    inputIndex: from,
    outputIndex: to,
    estimatedConstraints: constraints,
  };
}

/** Emits a layer whose output is trace tensor i + 1; `relu` fuses a following ReLU into a requantize. */
export function emitLayer(
  emit: Emit,
  i: number,
  layer: Layer,
  input: TensorInfo,
  output: TensorInfo,
  x: string,
  relu = false,
): string {
  const y = `t${i + 1}`;
  const n = tensorSize(output.shape);
  const lo = BigInt(input.min);
  const hi = BigInt(input.max);
  switch (layer.op) {
    case 'dense': {
      // Loops over constant arrays: circom builds the linear combination term by term (a long
      // inline sum would overflow its expression evaluator's stack).
      const rows = Array.from(
        { length: layer.outFeatures },
        (_, o) => `[${layer.weights.subarray(o * layer.inFeatures, (o + 1) * layer.inFeatures).join(',')}]`,
      );
      emit(`var w${i}[${layer.outFeatures}][${layer.inFeatures}] = [${rows.join(',')}];`);
      emit(`var b${i}[${layer.outFeatures}] = [${layer.bias.join(',')}];`);
      emit(`signal ${y}[${n}];`);
      emit(`for (var o = 0; o < ${layer.outFeatures}; o++) {`);
      emit(`    var acc = b${i}[o];`);
      emit(`    for (var k = 0; k < ${layer.inFeatures}; k++) { acc += w${i}[o][k] * ${x}[k]; }`);
      emit(`    ${y}[o] <== acc;`);
      emit('}');
      return y;
    }
    case 'conv2d': {
      const [c, h, w] = input.shape;
      const [, oh, ow] = output.shape;
      const [kh, kw] = layer.kernel;
      const [sh, sw] = layer.stride;
      const [ph, pw] = layer.padding;
      emit(`var w${i}[${layer.outChannels * c * kh * kw}] = [${layer.weights.join(',')}];`);
      emit(`var b${i}[${layer.outChannels}] = [${layer.bias.join(',')}];`);
      emit(`signal ${y}[${n}];`);
      emit(
        `for (var o = 0; o < ${layer.outChannels}; o++) { for (var r = 0; r < ${oh}; r++) { for (var c = 0; c < ${ow}; c++) {`,
      );
      emit(`    var acc = b${i}[o];`);
      emit(
        `    for (var ci = 0; ci < ${c}; ci++) { for (var a = 0; a < ${kh}; a++) { for (var bb = 0; bb < ${kw}; bb++) {`,
      );
      emit(`        var iy = r * ${sh} + a - ${ph};`);
      emit(`        var ix = c * ${sw} + bb - ${pw};`);
      emit(
        `        if (iy >= 0 && iy < ${h} && ix >= 0 && ix < ${w}) { acc += w${i}[((o * ${c} + ci) * ${kh} + a) * ${kw} + bb] * ${x}[(ci * ${h} + iy) * ${w} + ix]; }`,
      );
      emit('    } } }');
      emit(`    ${y}[(o * ${oh} + r) * ${ow} + c] <== acc;`);
      emit('} } }');
      return y;
    }
    case 'requantize': {
      // v1's per-tensor scale; a per-channel one (v2 only) is emitted by emit-transformer-op.ts.
      if (typeof layer.multiplier !== 'number' || typeof layer.shift !== 'number')
        throw new RangeError('a per-channel requantize belongs to a verilay.model.v2 step circuit');
      const m = BigInt(layer.multiplier);
      const s = layer.shift;
      const zp = BigInt(layer.zeroPoint);
      const { min, max } = DTYPES[layer.dtype];
      // A fused ReLU raises the low bound to 0 (every dtype's max is positive).
      const [LO, HI] = [relu && min < 0 ? 0n : BigInt(min), BigInt(max)];
      const half = s > 0 ? 1n << BigInt(s - 1) : 0n;
      const [qlo, qhi] = [floorDiv(lo * m + half, 1n << BigInt(s)), floorDiv(hi * m + half, 1n << BigInt(s))];
      const [tlo, thi] = [qlo + zp, qhi + zp];
      const cmp = bitsFor(
        [tlo - LO, thi - LO, tlo - HI, thi - HI].map(abs).reduce((a, b) => (a > b ? a : b)),
      );
      const clamp =
        tlo < LO && thi > HI
          ? `ClampBoth(${LO}, ${HI}, ${cmp})`
          : tlo < LO
            ? `ClampLow(${LO}, ${cmp})`
            : thi > HI
              ? `ClampHigh(${HI}, ${cmp})`
              : null;
      let q = (j: string) => `${x}[${j}] * ${m}`;
      if (s > 0) {
        // With a clamp, its comparator bounds q (see RoundShift): skip the separate range check.
        const qBits = clamp ? 0 : bitsFor(qhi - qlo);
        emit(`component round${i}[${n}];`);
        emit(
          `for (var j = 0; j < ${n}; j++) { round${i}[j] = RoundShift(${m}, ${s}, ${qlo}, ${qBits}); round${i}[j].x <== ${x}[j]; }`,
          n * templateCost.roundShift(s, qBits),
        );
        q = (j) => `round${i}[${j}].q`;
      }
      emit(`signal ${y}[${n}];`);
      if (clamp) {
        emit(`component clamp${i}[${n}];`);
        emit(
          `for (var j = 0; j < ${n}; j++) { clamp${i}[j] = ${clamp}; clamp${i}[j].t <== ${q('j')} + ${zp}; ${y}[j] <== clamp${i}[j].y; }`,
          n * (clamp.startsWith('ClampBoth') ? templateCost.clampBoth(cmp) : templateCost.clampOneSide(cmp)),
        );
      } else {
        emit(`for (var j = 0; j < ${n}; j++) { ${y}[j] <== ${q('j')} + ${zp}; }`);
      }
      return y;
    }
    case 'relu': {
      if (lo >= 0n) return x; // already non-negative: the identity
      emit(`signal ${y}[${n}];`);
      if (hi <= 0n) {
        emit(`for (var j = 0; j < ${n}; j++) { ${y}[j] <== 0; }`);
        return y;
      }
      const bits = bitsFor(abs(lo) > hi ? abs(lo) : hi);
      emit(`component relu${i}[${n}];`);
      emit(
        `for (var j = 0; j < ${n}; j++) { relu${i}[j] = Relu(${bits}); relu${i}[j].x <== ${x}[j]; ${y}[j] <== relu${i}[j].y; }`,
        n * templateCost.clampOneSide(bits),
      );
      return y;
    }
    case 'maxpool':
    case 'avgpool': {
      const [c, h, w] = input.shape;
      const [, oh, ow] = output.shape;
      const [kh, kw] = layer.kernel;
      const [sh, sw] = layer.stride;
      const k = kh * kw;
      const template =
        layer.op === 'maxpool'
          ? `MaxOf(${k}, ${bitsFor(hi - lo)})`
          : `DivRound(${k}, ${lo}, ${bitsFor(hi - lo)}, ${bitsFor(BigInt(k - 1))})`;
      emit(`signal ${y}[${n}];`);
      const bits = bitsFor(hi - lo);
      emit(
        `component pool${i}[${n}];`,
        n *
          (layer.op === 'maxpool'
            ? templateCost.maxOf(k, bits)
            : templateCost.divRound(bits, bitsFor(BigInt(k - 1)))),
      );
      emit(
        `for (var ci = 0; ci < ${c}; ci++) { for (var r = 0; r < ${oh}; r++) { for (var col = 0; col < ${ow}; col++) {`,
      );
      emit(`    var at = (ci * ${oh} + r) * ${ow} + col;`);
      emit(`    pool${i}[at] = ${template};`);
      emit('    var sum = 0;');
      emit(`    for (var a = 0; a < ${kh}; a++) { for (var b = 0; b < ${kw}; b++) {`);
      emit(`        var v = ${x}[(ci * ${h} + r * ${sh} + a) * ${w} + col * ${sw} + b];`);
      emit(layer.op === 'maxpool' ? `        pool${i}[at].in[a * ${kw} + b] <== v;` : '        sum += v;');
      emit('    } }');
      if (layer.op === 'avgpool') emit(`    pool${i}[at].sum <== sum;`);
      emit(`    ${y}[at] <== pool${i}[at].${layer.op === 'maxpool' ? 'out' : 'q'};`);
      emit('} } }');
      return y;
    }
    case 'flatten':
      return x; // tensors are flat signal arrays already
    case 'argmax': {
      const len = tensorSize(input.shape);
      emit(`signal ${y}[1];`);
      emit(
        `component argmax${i} = ArgMax(${len}, ${bitsFor(hi - lo)});`,
        templateCost.argMax(len, bitsFor(hi - lo)),
      );
      emit(`for (var j = 0; j < ${len}; j++) { argmax${i}.in[j] <== ${x}[j]; }`);
      emit(`${y}[0] <== argmax${i}.out;`);
      return y;
    }
    default:
      throw new RangeError(`${layer.op} is a verilay.model.v2 op (generate-transformer-step.ts)`);
  }
}
