import { quantizeMultiplier, type Requantization } from '@verilay/inference';
import type { onnx } from 'onnx-proto';
import { OnnxImportError } from './onnx-import.error';
import {
  isDefaultDomain,
  MAX_SCALE,
  MIN_SCALE,
  OnnxNodeReader,
  QDTYPES,
  T,
  type Node,
} from './onnx-node-reader';
import { onnxTypeName, type ConstTensor } from './onnx-tensor';

// The QDQ form of quantized ONNX (what ONNX Runtime's `quantize_static` writes with
// QuantFormat.QDQ): float operators between DequantizeLinear and QuantizeLinear, weights and
// biases as DequantizeLinear of integer constants, weight scales per tensor or per output
// channel. These readers take the constants apart; the chain importer maps the float operator
// and the QuantizeLinear after it to an integer layer and a (per-channel) requantize.

/** Weights a DequantizeLinear makes real: integers, and one scale and zero point per output. */
export interface DequantizedWeights {
  readonly tensor: ConstTensor;
  /** float32 scale of each output channel (a per-tensor scale repeated). */
  readonly scales: readonly number[];
  readonly zeroPoints: readonly number[];
}

/** A DequantizeLinear whose inputs are all constants: a quantized weight or bias. */
interface ConstantDequantize {
  readonly node: Node;
  readonly values: ConstTensor;
  readonly scale: ConstTensor;
  readonly zeroPoint: ConstTensor | undefined;
  /** Its axis attribute (default 1), normalized to the values' rank. */
  readonly axis: number;
}

/** Relative difference allowed between a bias scale and x_scale·w_scale (float32 rounding). */
const BIAS_SCALE_TOLERANCE = 2 ** -20;

export abstract class QdqReader extends OnnxNodeReader {
  /** The node producing each value. */
  protected readonly producers = new Map<string, Node>();

  constructor(graph: onnx.IGraphProto) {
    super(graph);
    for (const node of this.nodes) for (const name of node.proto.output ?? []) this.producers.set(name, node);
  }

  /**
   * Input `index` of `node` as the DequantizeLinear of int8/uint8 constants, with one scale and
   * zero point per output channel along `axis` (the weights' output axis): per tensor or per
   * channel, as ONNX Runtime's quantizer writes them (`per_channel`: axis 0 of Conv weights
   * [M, C, kh, kw], axis 1 of MatMul/Gemm weights [K, N], axis 0 of Gemm's transposed [N, K]).
   */
  protected dequantizedWeights(node: Node, index: number, axis: number): DequantizedWeights {
    const dq = this.constantDequantize(node, index, 'weights');
    const { values, scale, zeroPoint } = dq;
    if (!QDTYPES[values.type])
      throw new OnnxImportError(
        node.ref,
        `weights "${dq.node.ref.name}" dequantize ${onnxTypeName(values.type)}; expected int8 or uint8`,
      );
    const outputs = values.dims[axis];
    if (outputs === undefined)
      throw new OnnxImportError(
        node.ref,
        `weights of shape [${values.dims.join(', ')}] have no axis ${axis}`,
      );
    const perChannel = (t: ConstTensor, role: string) => {
      if (t.values.length === 1 && t.dims.length <= 1) return Array<number>(outputs).fill(t.values[0]);
      if (t.dims.length === 1 && t.values.length === outputs && dq.axis === axis) return [...t.values];
      throw new OnnxImportError(
        node.ref,
        `the ${role} of weights "${dq.node.ref.name}" has shape [${t.dims.join(', ')}] along axis ${dq.axis}; expected one value, or ${outputs} along the output axis ${axis}`,
      );
    };
    if (scale.type !== T.FLOAT)
      throw new OnnxImportError(
        node.ref,
        `the weight scale has type ${onnxTypeName(scale.type)}; expected float`,
      );
    const scales = perChannel(scale, 'scale').map((s) => this.checkScale(node, s, 'weight scale'));
    if (zeroPoint && zeroPoint.type !== values.type)
      throw new OnnxImportError(
        node.ref,
        `the weight zero point has type ${onnxTypeName(zeroPoint.type)}, the weights ${onnxTypeName(values.type)}`,
      );
    const zeroPoints = zeroPoint ? perChannel(zeroPoint, 'zero point') : Array<number>(outputs).fill(0);
    return { tensor: values, scales, zeroPoints };
  }

  /**
   * Input `index` of `node` as the DequantizeLinear of an int32 constant [outputs] with zero point
   * 0 and scale x_scale·w_scale[c] (what the quantizer writes for a Conv or Gemm bias): its
   * integers are then in the accumulator's units and add to the bias exactly.
   */
  protected dequantizedBias(node: Node, index: number, accumulatorScales: readonly number[]): number[] {
    const dq = this.constantDequantize(node, index, 'bias');
    const n = accumulatorScales.length;
    if (dq.values.type !== T.INT32 || dq.values.values.length !== n || dq.values.dims.length !== 1)
      throw new OnnxImportError(
        node.ref,
        `bias "${dq.node.ref.name}" dequantizes ${onnxTypeName(dq.values.type)} [${dq.values.dims.join(', ')}]; expected int32 [${n}]`,
      );
    if (dq.zeroPoint?.values.some((z) => z !== 0))
      throw new OnnxImportError(node.ref, `bias "${dq.node.ref.name}" has a nonzero zero point`);
    const scale = dq.scale.values;
    if (dq.scale.type !== T.FLOAT || (scale.length !== 1 && scale.length !== n))
      throw new OnnxImportError(node.ref, `bias "${dq.node.ref.name}" needs one float scale or ${n}`);
    accumulatorScales.forEach((acc, c) => {
      const s = scale[scale.length === 1 ? 0 : c];
      if (!(Math.abs(s - acc) <= acc * BIAS_SCALE_TOLERANCE))
        throw new OnnxImportError(
          node.ref,
          `bias "${dq.node.ref.name}" of output ${c} has scale ${s}, not input scale · weight scale = ${acc}; verilay adds the bias to the integer accumulator`,
        );
    });
    return [...dq.values.values];
  }

  /**
   * `real[c] ≈ multiplier[c] / 2^shift[c]` for each channel (`quantizeMultiplier`, `bits` bits),
   * as one scale when every channel's is the same (a format v1 layer), per channel otherwise.
   */
  protected channelRescale(
    node: Node,
    reals: readonly number[],
    bits: number,
  ): Pick<Requantization, 'multiplier' | 'shift'> {
    const fixed = reals.map((real) => {
      try {
        return quantizeMultiplier(real, bits);
      } catch (cause) {
        throw new OnnxImportError(
          node.ref,
          `the rescale factor ${real} has no ${bits}-bit multiplier: ${(cause as Error).message}`,
          { cause },
        );
      }
    });
    const [first] = fixed;
    if (fixed.every((f) => f.multiplier === first.multiplier && f.shift === first.shift)) return first;
    return { multiplier: fixed.map((f) => f.multiplier), shift: fixed.map((f) => f.shift) };
  }

  protected checkScale(node: Node, value: number, role: string): number {
    // As the chain importer's scales: ONNX Runtime computes in float32, so a scale outside the
    // normal float32 range makes its results leave the fixed point verilay proves.
    if (!(value >= MIN_SCALE && value <= MAX_SCALE))
      throw new OnnxImportError(
        node.ref,
        `${role} is ${value}; a scale must be a normal float32 in [2^-126, 2^64]`,
      );
    return value;
  }

  private constantDequantize(node: Node, index: number, role: string): ConstantDequantize {
    const name = node.proto.input?.[index];
    if (!name) throw new OnnxImportError(node.ref, `input ${index} (${role}) is missing`);
    if (this.constants.has(name))
      throw new OnnxImportError(
        node.ref,
        `${role} "${name}" is a float constant: the operator is not quantized (a QDQ model dequantizes its ${role} with DequantizeLinear of an integer constant)`,
      );
    const dq = this.producers.get(name);
    if (!dq || dq.ref.op !== 'DequantizeLinear' || !isDefaultDomain(dq))
      throw new OnnxImportError(
        node.ref,
        `${role} "${name}" is ${dq ? `the output of ${dq.ref.op} "${dq.ref.name}"` : 'not produced by any node'}; a QDQ model dequantizes its ${role} with DequantizeLinear of constants`,
      );
    if (this.int(dq, 'block_size', 0) !== 0)
      throw new OnnxImportError(dq.ref, 'blocked quantization (block_size) is not supported');
    const values = this.constant(dq, 0, `${role} (quantized)`);
    const scale = this.constant(dq, 1, `${role} scale`);
    const zeroPoint = dq.proto.input?.[2] ? this.constant(dq, 2, `${role} zero point`) : undefined;
    const rank = values.dims.length;
    const rawAxis = this.int(dq, 'axis', 1);
    const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
    return { node: dq, values, scale, zeroPoint, axis };
  }
}
