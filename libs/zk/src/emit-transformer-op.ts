import {
  DTYPES,
  tensorSize,
  type DType,
  type Layer,
  type Requantization,
  type TensorInfo,
} from '@verilay/inference';
import { templateCost } from './circuit-cost';
import { emitLayerNorm } from './emit-layernorm';
import { abs, bitlen, bitsFor, emitLayer, floorDiv, type Emit } from './generate-circuit';

/** A value interval in BigInt (exact, whatever the magnitudes). */
interface Range {
  readonly lo: bigint;
  readonly hi: bigint;
}
const big = (t: TensorInfo): Range => ({ lo: BigInt(t.min), hi: BigInt(t.max) });
const absMax = (r: Range) => (abs(r.lo) > abs(r.hi) ? abs(r.lo) : abs(r.hi));
const minMax = (values: bigint[]): Range => ({
  lo: values.reduce((a, b) => (a < b ? a : b)),
  hi: values.reduce((a, b) => (a > b ? a : b)),
});
const product = (a: Range, b: Range) => minMax([a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]);

/**
 * Emits `y[j] = clamp(t(j), dtype)` for j < n, where t's interval is `t`. `bound`: t comes from a
 * hint (a RoundShift quotient, a division) that only a comparator or a range check bounds, so an
 * unclamped t still gets a range check. Picks the cheapest pinned form: none, one comparison,
 * ClampSat (Y + CMP + 4) or ClampBoth (2·CMP + 4).
 */
export function emitSaturate(
  emit: Emit,
  y: string,
  n: number,
  t: (j: string) => string,
  range: Range,
  low: bigint,
  high: bigint,
  bound: boolean,
): void {
  emit(`signal ${y}[${n}];`);
  const cmp = bitsFor(
    [range.lo - low, range.hi - low, range.lo - high, range.hi - high]
      .map(abs)
      .reduce((a, b) => (a > b ? a : b)),
  );
  const loop = (body: string, cost: number) => emit(`for (var j = 0; j < ${n}; j++) { ${body} }`, n * cost);
  if (range.lo >= low && range.hi <= high) {
    if (bound) {
      emit(`component ${y}Range[${n}];`);
      const bits = bitsFor(range.hi - range.lo);
      loop(`${y}Range[j] = InRange(${bits}); ${y}Range[j].in <== ${t('j')} - (${range.lo});`, bits);
    }
    loop(`${y}[j] <== ${t('j')};`, 0);
    return;
  }
  emit(`component ${y}Clamp[${n}];`);
  const span = high - low + 1n;
  const yBits = bitlen(span - 1n);
  let template: string;
  let cost: number;
  if (range.lo < low && range.hi > high) {
    // ClampSat needs the range to be a power of two (every dtype's is; a fused ReLU's 0..127 too).
    const sat = 1n << BigInt(yBits) === span && yBits < cmp;
    template = sat ? `ClampSat(${low}, ${high}, ${yBits}, ${cmp})` : `ClampBoth(${low}, ${high}, ${cmp})`;
    cost = sat ? templateCost.clampSat(yBits, cmp) : templateCost.clampBoth(cmp);
  } else {
    template = range.lo < low ? `ClampLow(${low}, ${cmp})` : `ClampHigh(${high}, ${cmp})`;
    cost = templateCost.clampOneSide(cmp);
  }
  loop(`${y}Clamp[j] = ${template}; ${y}Clamp[j].t <== ${t('j')}; ${y}[j] <== ${y}Clamp[j].y;`, cost);
}

/**
 * Emits `y = requantize(x)` (docs/model-format.md's rule) for n values whose interval is `range`,
 * `shape` giving the channels of a per-channel scale (requantize.ts' channelAxis: the first axis of
 * a 3-D tensor, the last otherwise): each channel gets its own RoundShift and saturation widths.
 */
export function emitRequantize(
  emit: Emit,
  y: string,
  n: number,
  x: (j: string) => string,
  range: Range,
  r: Requantization,
  shape: readonly number[] = [n],
): void {
  if (typeof r.multiplier === 'number' && typeof r.shift === 'number') {
    emitChannel(emit, y, n, x, range, r.multiplier, r.shift, r.zeroPoint, r.dtype);
    return;
  }
  const [channels, inner] = shape.length === 3 ? [shape[0], shape[1] * shape[2]] : [shape.at(-1)!, 1];
  const per = n / channels;
  emit(`signal ${y}[${n}];`);
  for (let c = 0; c < channels; c++) {
    const m = typeof r.multiplier === 'number' ? r.multiplier : r.multiplier[c];
    const s = typeof r.shift === 'number' ? r.shift : r.shift[c];
    // The k-th element of channel c: block k \ inner, offset k % inner.
    const at = (k: string) => `((${k}) \\ ${inner} * ${channels} + ${c}) * ${inner} + (${k}) % ${inner}`;
    const name = `${y}c${c}`;
    emitChannel(emit, name, per, (k) => x(at(k)), range, m, s, r.zeroPoint, r.dtype);
    emit(`for (var k = 0; k < ${per}; k++) { ${y}[${at('k')}] <== ${name}[k]; }`);
  }
}

function emitChannel(
  emit: Emit,
  y: string,
  n: number,
  x: (j: string) => string,
  range: Range,
  multiplier: number,
  shift: number,
  zeroPoint: number,
  dtype: DType,
): void {
  const m = BigInt(multiplier);
  const zp = BigInt(zeroPoint);
  const { min, max } = DTYPES[dtype];
  if (shift === 0) {
    const q = { lo: range.lo * m + zp, hi: range.hi * m + zp };
    emitSaturate(emit, y, n, (j) => `${x(j)} * ${m} + ${zp}`, q, BigInt(min), BigInt(max), false);
    return;
  }
  const half = 1n << BigInt(shift - 1);
  const scale = 1n << BigInt(shift);
  const q = { lo: floorDiv(range.lo * m + half, scale), hi: floorDiv(range.hi * m + half, scale) };
  emit(`component ${y}Round[${n}];`);
  // Q_BITS = 0: the saturation's comparator or range check bounds q (emitSaturate with bound).
  emit(
    `for (var j = 0; j < ${n}; j++) { ${y}Round[j] = RoundShift(${m}, ${shift}, ${q.lo}, 0); ${y}Round[j].x <== ${x('j')}; }`,
    n * templateCost.roundShift(shift, 0),
  );
  const t = { lo: q.lo + zp, hi: q.hi + zp };
  emitSaturate(emit, y, n, (j) => `${y}Round[${j}].q + ${zp}`, t, BigInt(min), BigInt(max), true);
}

/** The exact (int32) result's name, interval, then the fused requantize if any, into `y`. */
function finish(
  emit: Emit,
  y: string,
  output: TensorInfo,
  exact: string,
  range: Range,
  r: Requantization | undefined,
) {
  const n = tensorSize(output.shape);
  if (r === undefined) {
    emit(`signal ${y}[${n}];`);
    emit(`for (var j = 0; j < ${n}; j++) { ${y}[j] <== ${exact}[j]; }`);
  } else emitRequantize(emit, y, n, (j) => `${exact}[${j}]`, range, r, output.shape);
}

const rows = (values: ArrayLike<number>, width: number) =>
  Array.from(
    { length: values.length / width },
    (_, r) => `[${Array.prototype.slice.call(values, r * width, (r + 1) * width).join(',')}]`,
  ).join(',');

/**
 * Emits one v2 layer (any op but store and load) as the constraints of a step circuit. `x` is the
 * current tensor's signal array, `s` the slot operand's (binary ops). Returns the output's name
 * (`t{i+1}`, what the cross-checks read).
 */
export function emitTransformerOp(
  emit: Emit,
  i: number,
  layer: Layer,
  input: TensorInfo,
  output: TensorInfo,
  x: string,
  operand?: { name: string; info: TensorInfo },
): string {
  const y = `t${i + 1}`;
  const n = tensorSize(output.shape);
  const xr = big(input);
  switch (layer.op) {
    case 'embedding': {
      const [tokens] = input.shape;
      emit(`var emb${i}[${layer.vocab}][${layer.dim}] = [${rows(layer.weights, layer.dim)}];`);
      emit(`component pick${i}[${tokens}];`);
      emit(`signal ${y}[${n}];`);
      emit(`for (var t = 0; t < ${tokens}; t++) {`, tokens * templateCost.oneHot(layer.vocab));
      emit(`    pick${i}[t] = OneHot(${layer.vocab});`);
      emit(`    pick${i}[t].idx <== ${x}[t];`);
      emit(`    for (var j = 0; j < ${layer.dim}; j++) {`);
      emit('        var acc = 0;');
      emit(`        for (var v = 0; v < ${layer.vocab}; v++) { acc += emb${i}[v][j] * pick${i}[t].s[v]; }`);
      emit(`        ${y}[t * ${layer.dim} + j] <== acc;`);
      emit('    }');
      emit('}');
      return y;
    }
    case 'dense': {
      const { inFeatures: fin, outFeatures: fout } = layer;
      const count = tensorSize(input.shape) / fin;
      emit(`var w${i}[${fout}][${fin}] = [${rows(layer.weights, fin)}];`);
      emit(`var b${i}[${fout}] = [${layer.bias.join(',')}];`);
      emit(`signal acc${i}[${n}];`);
      emit(`for (var r = 0; r < ${count}; r++) { for (var o = 0; o < ${fout}; o++) {`);
      emit(`    var acc = b${i}[o];`);
      emit(`    for (var k = 0; k < ${fin}; k++) { acc += w${i}[o][k] * ${x}[r * ${fin} + k]; }`);
      emit(`    acc${i}[r * ${fout} + o] <== acc;`);
      emit('} }');
      // The exact interval: per output, bias + Σ w·x at the corners; the widest over outputs.
      const per = Array.from({ length: fout }, (_, o) => {
        let [lo, hi] = [BigInt(layer.bias[o]), BigInt(layer.bias[o])];
        for (let k = 0; k < fin; k++) {
          const w = BigInt(layer.weights[o * fin + k]);
          const [a, b] = [w * xr.lo, w * xr.hi];
          lo += a < b ? a : b;
          hi += a < b ? b : a;
        }
        return [lo, hi];
      });
      finish(emit, y, output, `acc${i}`, minMax(per.flat()), layer.requantize);
      return y;
    }
    case 'matmul': {
      const s = operand!;
      const heads = input.shape.length === 3 ? input.shape[0] : 1;
      const [m, k] = input.shape.slice(-2);
      const cols = output.shape.at(-1)!;
      // s[h][k][c], or s[h][c][k] transposed.
      const at = layer.transposeB ? `h * ${cols * k} + c * ${k} + kk` : `h * ${k * cols} + kk * ${cols} + c`;
      emit(`component dot${i}[${n}];`);
      emit(`signal acc${i}[${n}];`);
      emit(
        `for (var h = 0; h < ${heads}; h++) { for (var r = 0; r < ${m}; r++) { for (var c = 0; c < ${cols}; c++) {`,
      );
      emit(`    var o = (h * ${m} + r) * ${cols} + c;`, 0);
      emit(`    dot${i}[o] = Dot(${k});`, n * templateCost.dot(k));
      emit(
        `    for (var kk = 0; kk < ${k}; kk++) { dot${i}[o].a[kk] <== ${x}[(h * ${m} + r) * ${k} + kk]; dot${i}[o].b[kk] <== ${s.name}[${at}]; }`,
      );
      emit(`    acc${i}[o] <== dot${i}[o].out;`);
      emit('} } }');
      const pr = product(xr, big(s.info));
      finish(emit, y, output, `acc${i}`, { lo: BigInt(k) * pr.lo, hi: BigInt(k) * pr.hi }, layer.requantize);
      return y;
    }
    case 'add':
    case 'mul': {
      const s = operand!;
      const sr = big(s.info);
      emit(`signal acc${i}[${n}];`);
      const op = layer.op === 'add' ? '+' : '*';
      emit(
        `for (var j = 0; j < ${n}; j++) { acc${i}[j] <== ${x}[j] ${op} ${s.name}[j]; }`,
        layer.op === 'mul' ? n : 0,
      );
      const range = layer.op === 'add' ? { lo: xr.lo + sr.lo, hi: xr.hi + sr.hi } : product(xr, sr);
      finish(emit, y, output, `acc${i}`, range, layer.requantize);
      return y;
    }
    case 'rmsnorm':
      return emitRmsNorm(emit, i, layer, xr, n, x, y);
    case 'layernorm':
      return emitLayerNorm(emit, i, layer, input, n, x, y);
    case 'rope': {
      const [heads, positions, hd] = input.shape;
      const half = hd / 2;
      emit(`var cos${i}[${positions}][${half}] = [${rows(layer.cos, half)}];`);
      emit(`var sin${i}[${positions}][${half}] = [${rows(layer.sin, half)}];`);
      emit(`signal rot${i}[${n}];`);
      emit(
        `for (var h = 0; h < ${heads}; h++) { for (var t = 0; t < ${positions}; t++) { for (var j = 0; j < ${half}; j++) {`,
      );
      emit(`    var at = (h * ${positions} + t) * ${hd} + j;`);
      emit(`    rot${i}[at] <== ${x}[at] * cos${i}[t][j] - ${x}[at + ${half}] * sin${i}[t][j];`);
      emit(`    rot${i}[at + ${half}] <== ${x}[at + ${half}] * cos${i}[t][j] + ${x}[at] * sin${i}[t][j];`);
      emit('} } }');
      let reach = 0n;
      for (let k = 0; k < layer.cos.length; k++) {
        const v = abs(BigInt(layer.cos[k])) + abs(BigInt(layer.sin[k]));
        if (v > reach) reach = v;
      }
      const bound = absMax(xr) * reach;
      emitRequantize(
        emit,
        y,
        n,
        (j) => `rot${i}[${j}]`,
        { lo: -bound, hi: bound },
        {
          multiplier: 1,
          shift: layer.shift,
          zeroPoint: 0,
          dtype: layer.dtype,
        },
      );
      return y;
    }
    case 'softmax':
      return emitSoftmax(emit, i, layer, input, xr, n, x, y);
    case 'polyGate': {
      const xMax = absMax(xr);
      const clip = BigInt(layer.clip);
      const clipped = xMax > clip ? 1 : 0;
      const [xBits, cBits] = [bitsFor(xMax), bitsFor(xMax > clip ? xMax : clip)];
      const tpl = `PolyGateProduct(${layer.clip}, ${layer.a}, ${layer.b}, ${layer.bias}, ${xBits}, ${clipped}, ${cBits})`;
      emit(`component gate${i}[${n}];`);
      emit(
        `for (var j = 0; j < ${n}; j++) { gate${i}[j] = ${tpl}; gate${i}[j].x <== ${x}[j]; }`,
        n * templateCost.polyGate(xBits, clipped === 1 ? cBits : 0),
      );
      const g = abs(BigInt(layer.bias)) + abs(BigInt(layer.a)) * clip * clip + abs(BigInt(layer.b));
      emitRequantize(emit, y, n, (j) => `gate${i}[${j}].out`, { lo: -xMax * g, hi: xMax * g }, layer);
      return y;
    }
    case 'splitHeads':
    case 'mergeHeads': {
      const [heads, tokens, hd] = layer.op === 'splitHeads' ? output.shape : input.shape;
      emit(`signal ${y}[${n}];`);
      emit(
        `for (var h = 0; h < ${heads}; h++) { for (var t = 0; t < ${tokens}; t++) { for (var j = 0; j < ${hd}; j++) {`,
      );
      const [split, merged] = [`(h * ${tokens} + t) * ${hd} + j`, `t * ${heads * hd} + h * ${hd} + j`];
      const [to, from] = layer.op === 'splitHeads' ? [split, merged] : [merged, split];
      emit(`    ${y}[${to}] <== ${x}[${from}];`);
      emit('} } }');
      return y;
    }
    case 'argmax': {
      const width = input.shape.at(-1)!;
      const count = tensorSize(input.shape) / width;
      const bits = bitsFor(xr.hi - xr.lo);
      emit(`signal ${y}[${n}];`);
      emit(`component argmax${i}[${count}];`);
      emit(`for (var r = 0; r < ${count}; r++) {`, count * templateCost.argMax(width, bits));
      emit(`    argmax${i}[r] = ArgMax(${width}, ${bits});`);
      emit(`    for (var j = 0; j < ${width}; j++) { argmax${i}[r].in[j] <== ${x}[r * ${width} + j]; }`);
      emit(`    ${y}[r] <== argmax${i}[r].out;`);
      emit('}');
      return y;
    }
    case 'requantize':
      emitRequantize(emit, y, n, (j) => `${x}[${j}]`, xr, layer, output.shape);
      return y;
    case 'store':
    case 'load':
      throw new RangeError(`${layer.op} moves a tensor: the step circuit wires it, no op to emit`);
    default:
      // The v1 ops on their own (requantize, relu, pooling, conv2d, flatten) keep their v1 circuits.
      return emitLayer(emit, i, layer, input, output, x);
  }
}

function emitRmsNorm(
  emit: Emit,
  i: number,
  layer: Extract<Layer, { op: 'rmsnorm' }>,
  xr: Range,
  n: number,
  x: string,
  y: string,
): string {
  const d = layer.dim;
  const count = n / d;
  const xMax = absMax(xr);
  const wMax = layer.weight.reduce((a, v) => (abs(BigInt(v)) > a ? abs(BigInt(v)) : a), 0n);
  const mqMax = xMax * xMax; // floor(Σ x² / D) <= max x²
  const rMax = isqrtBig(mqMax + BigInt(layer.eps));
  const p = {
    mq: bitsFor(mqMax),
    rem: bitlen(BigInt(d - 1)),
    r: bitsFor(rMax),
    rd: bitsFor(2n * rMax),
    qr: bitsFor(2n * rMax - 1n),
  };
  // q = floor((2·x·w + r) / 2r) lies within ±(max|x|·max|w| + 1) for every r >= 1.
  const qAbs = xMax * wMax + 1n;
  emit(`var g${i}[${d}] = [${layer.weight.join(',')}];`);
  emit(`component norm${i}[${count}];`);
  emit(
    `for (var r = 0; r < ${count}; r++) { norm${i}[r] = RmsNormRow(${d}, g${i}, ${layer.eps}, ${p.mq}, ${p.rem}, ${p.r}, ${p.rd}, ${p.qr}, ${-qAbs}); for (var j = 0; j < ${d}; j++) { norm${i}[r].x[j] <== ${x}[r * ${d} + j]; } }`,
    count * templateCost.rmsNormRow(d, p.mq, p.rem, p.r, p.rd, p.qr),
  );
  const { min, max } = DTYPES[layer.dtype as DType];
  emitSaturate(
    emit,
    y,
    n,
    (j) => `norm${i}[${j} \\ ${d}].q[${j} % ${d}]`,
    { lo: -qAbs, hi: qAbs },
    BigInt(min),
    BigInt(max),
    true,
  );
  return y;
}

function emitSoftmax(
  emit: Emit,
  i: number,
  layer: Extract<Layer, { op: 'softmax' }>,
  input: TensorInfo,
  xr: Range,
  n: number,
  x: string,
  y: string,
): string {
  const [m, width] = input.shape.slice(-2);
  const count = n / width;
  const dBits = bitsFor(xr.hi - xr.lo);
  const tMax = BigInt(Math.max(...layer.table));
  const eBits = bitsFor(tMax);
  emit(`var tab${i}[${layer.table.length}] = [${Array.from(layer.table).join(',')}];`);
  emit(`signal ${y}[${n}];`);
  emit(`component soft${i}[${count}];`);
  // Causal rows have r + 1 valid columns (r the row within its matrix): one instance per width.
  for (let valid = 1; valid <= width; valid++) {
    const rowsOf = layer.causal ? (count / m) * (valid <= m ? 1 : 0) : valid === width ? count : 0;
    if (rowsOf === 0) continue;
    const s2 = bitsFor(2n * BigInt(valid) * tMax - 1n);
    const tpl = `SoftmaxRow(${valid}, ${dBits}, ${layer.fracBits}, tab${i}, ${eBits}, ${s2})`;
    const cond = layer.causal ? `r % ${m} == ${valid - 1}` : '1 == 1';
    emit(
      `for (var r = 0; r < ${count}; r++) { if (${cond}) {`,
      rowsOf * templateCost.softmaxRow(valid, dBits, layer.fracBits, eBits, s2),
    );
    emit(`    soft${i}[r] = ${tpl};`);
    emit(`    for (var c = 0; c < ${valid}; c++) { soft${i}[r].x[c] <== ${x}[r * ${width} + c]; }`);
    emit(`    for (var c = 0; c < ${valid}; c++) { ${y}[r * ${width} + c] <== soft${i}[r].y[c]; }`);
    emit(`    for (var c = ${valid}; c < ${width}; c++) { ${y}[r * ${width} + c] <== 0; }`);
    emit('} }');
  }
  return y;
}

export function isqrtBig(m: bigint): bigint {
  if (m < 2n) return m;
  let r = BigInt(Math.floor(Math.sqrt(Number(m))));
  while (r * r > m) r--;
  while ((r + 1n) * (r + 1n) <= m) r++;
  return r;
}
