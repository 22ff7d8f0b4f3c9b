import { DTYPES, type DType, type Layer, type TensorInfo } from '@verilay/inference';
import { templateCost } from './circuit-cost';
import { emitSaturate, isqrtBig } from './emit-transformer-op';
import { abs, bitlen, bitsFor, type Emit } from './generate-circuit';

/**
 * A layernorm (docs/model-format.md) as one LayerNormRow per row, then the saturation of
 * `q + bias` to the dtype. Widths from x's interval [lo, hi], A = max|x|: the variance's quotient
 * is at most A², r at most ⌊√(A² + eps)⌋, and |q| ≤ |c|·|w|/(dim·r) + 1 ≤ (hi − lo)·max|w| + 1.
 */
export function emitLayerNorm(
  emit: Emit,
  i: number,
  layer: Extract<Layer, { op: 'layernorm' }>,
  input: TensorInfo,
  n: number,
  x: string,
  y: string,
): string {
  const d = layer.dim;
  const count = n / d;
  const [lo, hi] = [BigInt(input.min), BigInt(input.max)];
  const xMax = abs(lo) > abs(hi) ? abs(lo) : abs(hi);
  const wMax = layer.weight.reduce((a, v) => (abs(BigInt(v)) > a ? abs(BigInt(v)) : a), 0n);
  const bias = Array.from(layer.bias, BigInt);
  const [bLo, bHi] = bias.reduce(([a, b], v) => [v < a ? v : a, v > b ? v : b], [bias[0], bias[0]]);
  const mqMax = xMax * xMax;
  const rMax = isqrtBig(mqMax + BigInt(layer.eps));
  const p = {
    mq: bitsFor(mqMax),
    rem: bitlen(BigInt(d) * BigInt(d) - 1n),
    r: bitsFor(rMax),
    rd: bitsFor(2n * rMax),
    qr: bitsFor(2n * BigInt(d) * rMax - 1n),
  };
  const qAbs = (hi - lo) * wMax + 1n;
  emit(`var lw${i}[${d}] = [${layer.weight.join(',')}];`);
  emit(`var lb${i}[${d}] = [${layer.bias.join(',')}];`);
  emit(`component norm${i}[${count}];`);
  emit(
    `for (var r = 0; r < ${count}; r++) { norm${i}[r] = LayerNormRow(${d}, lw${i}, lb${i}, ${layer.eps}, ${p.mq}, ${p.rem}, ${p.r}, ${p.rd}, ${p.qr}, ${-qAbs}); for (var j = 0; j < ${d}; j++) { norm${i}[r].x[j] <== ${x}[r * ${d} + j]; } }`,
    count * templateCost.layerNormRow(d, p.mq, p.rem, p.r, p.rd, p.qr),
  );
  const { min, max } = DTYPES[layer.dtype as DType];
  emitSaturate(
    emit,
    y,
    n,
    (j) => `norm${i}[${j} \\ ${d}].out[${j} % ${d}]`,
    { lo: -qAbs + bLo, hi: qAbs + bHi },
    BigInt(min),
    BigInt(max),
    true,
  );
  return y;
}
