import { quantizeMultiplier, type Conv2dLayer, type DenseLayer, type Layer } from '@verilay/inference';
import type { onnx } from 'onnx-proto';
import { OnnxImportError, type OnnxNodeRef } from './onnx-import.error';
import { INT32_MAX, INT32_MIN, shiftLayer, toInt8Weights, type Node, type QDType } from './onnx-node-reader';
import type { ConstTensor } from './onnx-tensor';
import { QdqReader } from './qdq-reader';

// The verilay layers an importer emits, with their ONNX sources and traced values: dense and conv
// from int8 weights and zero points (the input zero point folded into the bias, or a shift layer
// before a padded conv), biases, requantizations.

/** An integer value of the chain, as verilay sees it (batch dimension stripped). */
export interface IntValue {
  readonly kind: 'int';
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: QDType | 'int32';
  readonly zeroPoint: number;
  /** Unknown for raw accumulators and for integer graph inputs. */
  readonly scale?: number;
  /** The dense/conv layer whose int32 output this is, unchanged since: an Add folds into its bias. */
  readonly accumulatorOf?: number;
  /** QDQ: the trace tensor holding this value when ONNX has it only after a QuantizeLinear. */
  readonly traceIndex?: number;
}

/** Int8/uint8 weights and one zero point per output: node inputs, or a QDQ DequantizeLinear's. */
export interface WeightSource {
  readonly tensor: () => ConstTensor;
  readonly zeroPoints: (outputs: number) => number[];
}

export abstract class LayerBuilder extends QdqReader {
  protected readonly layers: Layer[] = [];
  protected readonly layerNodes: OnnxNodeRef[] = [];
  protected readonly traceValues: (string | null)[] = [];

  constructor(
    graph: onnx.IGraphProto,
    protected readonly bits: number,
  ) {
    super(graph);
  }

  // ---- layers ------------------------------------------------------------------------------

  /** The weights and weight zero points that are inputs `w` and `zp` of the node. */
  protected nodeWeights(node: Node, w: number, zp: number): WeightSource {
    return {
      tensor: () => this.weightTensor(node, w),
      zeroPoints: (outputs) => this.weightZeroPoints(node, zp, outputs),
    };
  }

  /** A dense layer from weights B [K, N] (minus their zero points), with x's zero point folded. */
  protected dense(
    node: Node,
    x: IntValue,
    source: WeightSource,
    xZp: number,
    trace: string | null,
  ): { index: number; outputs: number } {
    this.expectQuantizedInput(node, x);
    if (x.shape.length !== 1) throw this.rankError(node, x, '[1, K] (Flatten first)');
    const k = x.shape[0];
    const b = source.tensor();
    if (b.dims.length !== 2 || b.dims[0] !== k)
      throw new OnnxImportError(
        node.ref,
        `weights have shape [${b.dims.join(', ')}]; expected [${k}, N] for the input [1, ${k}]`,
      );
    const n = b.dims[1];
    const zp = source.zeroPoints(n);
    const weights = toInt8Weights(
      node,
      n,
      k,
      (o, i) => b.values[i * n + o] - zp[o],
      (o, i) => `[${i}][${o}]`,
    );
    const layer: DenseLayer = {
      op: 'dense',
      inFeatures: k,
      outFeatures: n,
      weights,
      bias: new Int32Array(n),
    };
    if (xZp !== 0) this.foldInputZeroPoint(node, layer, k, xZp);
    return { index: this.push(layer, node, trace), outputs: n };
  }

  /**
   * A conv2d layer from weights w [M, C, kh, kw]. x's zero point folds into the bias without
   * padding; with padding a shift layer goes first, because ONNX pads with the zero point (the
   * real zero) while verilay pads with the integer 0.
   */
  protected conv(
    node: Node,
    x: IntValue,
    source: WeightSource,
    xZp: number,
    trace: string | null,
  ): { index: number; shape: number[] } {
    this.expectQuantizedInput(node, x);
    if (x.shape.length !== 3) throw this.rankError(node, x, '[1, C, H, W]');
    const [c, h, w] = x.shape;
    const autoPad = this.string(node, 'auto_pad') ?? 'NOTSET';
    if (autoPad !== 'NOTSET')
      throw new OnnxImportError(node.ref, `auto_pad ${autoPad} is not supported; give explicit pads`);
    if (this.int(node, 'group', 1) !== 1)
      throw new OnnxImportError(
        node.ref,
        `group ${this.int(node, 'group', 1)} is not supported (only 1: verilay's conv2d is dense over channels)`,
      );
    const dilations = this.ints(node, 'dilations') ?? [1, 1];
    if (dilations.some((d) => d !== 1))
      throw new OnnxImportError(node.ref, `dilations [${dilations.join(', ')}] are not supported (only 1)`);
    const weightsIn = source.tensor();
    if (weightsIn.dims.length !== 4 || weightsIn.dims[1] !== c)
      throw new OnnxImportError(
        node.ref,
        `weights have shape [${weightsIn.dims.join(', ')}]; expected [M, ${c}, kh, kw] for the input [1, ${x.shape.join(', ')}]`,
      );
    const [m, , kh, kw] = weightsIn.dims;
    const kernelShape = this.ints(node, 'kernel_shape');
    if (kernelShape && kernelShape.join() !== [kh, kw].join())
      throw new OnnxImportError(
        node.ref,
        `kernel_shape [${kernelShape.join(', ')}] does not match the weights [${kh}, ${kw}]`,
      );
    const stride = this.ints(node, 'strides') ?? [1, 1];
    if (stride.length !== 2 || stride.some((s) => s < 1))
      throw new OnnxImportError(node.ref, `strides [${stride.join(', ')}] must be two positive integers`);
    const pads = this.ints(node, 'pads') ?? [0, 0, 0, 0];
    if (pads.length !== 4 || pads[0] !== pads[2] || pads[1] !== pads[3] || pads.some((p) => p < 0))
      throw new OnnxImportError(
        node.ref,
        `pads [${pads.join(', ')}] are not supported: verilay pads symmetrically ([top, left, bottom, right] with top = bottom, left = right)`,
      );
    const [ph, pw] = [pads[0], pads[1]];
    if (h + 2 * ph < kh || w + 2 * pw < kw)
      throw new OnnxImportError(node.ref, `kernel [${kh}, ${kw}] is larger than the padded input`);
    const fanIn = c * kh * kw;
    const zp = source.zeroPoints(m);
    const weights = toInt8Weights(
      node,
      m,
      fanIn,
      (o, i) => weightsIn.values[o * fanIn + i] - zp[o],
      (o, i) => `[${o}][${Math.floor(i / (kh * kw))}][${Math.floor(i / kw) % kh}][${i % kw}]`,
    );
    const layer: Conv2dLayer = {
      op: 'conv2d',
      inChannels: c,
      outChannels: m,
      kernel: [kh, kw],
      stride: [stride[0], stride[1]],
      padding: [ph, pw],
      weights,
      bias: new Int32Array(m),
    };
    if (xZp !== 0) {
      if (ph > 0 || pw > 0) this.push(shiftLayer(xZp), node, null);
      else this.foldInputZeroPoint(node, layer, fanIn, xZp);
    }
    const shape = [
      m,
      Math.floor((h + 2 * ph - kh) / stride[0]) + 1,
      Math.floor((w + 2 * pw - kw) / stride[1]) + 1,
    ];
    return { index: this.push(layer, node, trace), shape };
  }

  /** Σ w·(x − zp) = Σ w·x − zp·Σ w: the input zero point becomes a bias term. */
  protected foldInputZeroPoint(node: Node, layer: DenseLayer | Conv2dLayer, fanIn: number, zp: number) {
    const terms = Array.from(layer.bias, (_, o) => {
      let sum = 0;
      for (let i = o * fanIn; i < (o + 1) * fanIn; i++) sum += layer.weights[i];
      return -zp * sum;
    });
    this.addToBias(node, layer, terms);
  }

  protected foldBias(node: Node, index: number, values: readonly number[]) {
    this.addToBias(node, this.layers[index] as DenseLayer | Conv2dLayer, values);
  }

  protected addToBias(node: Node, layer: DenseLayer | Conv2dLayer, values: readonly number[]) {
    layer.bias.forEach((b, o) => {
      const sum = b + values[o];
      if (sum < INT32_MIN || sum > INT32_MAX)
        throw new OnnxImportError(node.ref, `the bias of output ${o} would be ${sum}, outside int32`);
      layer.bias[o] = sum;
    });
  }

  protected rescale(node: Node, real: number, zeroPoint: number, dtype: QDType, trace: string) {
    let fixed;
    try {
      fixed = quantizeMultiplier(real, this.bits);
    } catch (cause) {
      throw new OnnxImportError(
        node.ref,
        `the rescale factor ${real} has no ${this.bits}-bit multiplier: ${(cause as Error).message}`,
        { cause },
      );
    }
    this.push({ op: 'requantize', ...fixed, zeroPoint, dtype }, node, trace);
  }

  protected flattenTo(node: Node, x: IntValue, out: string): IntValue {
    if (x.shape.length === 1) return { ...x, name: out };
    this.push({ op: 'flatten' }, node, out);
    return { ...x, name: out, shape: [x.shape.reduce((a, b) => a * b, 1)], accumulatorOf: undefined };
  }

  protected push(layer: Layer, node: Node, trace: string | null): number {
    this.layers.push(layer);
    this.layerNodes.push(node.ref);
    this.traceValues.push(trace);
    return this.layers.length - 1;
  }

  protected expectQuantizedInput(node: Node, x: IntValue) {
    if (x.dtype === 'int32')
      throw new OnnxImportError(
        node.ref,
        `reads the int32 value "${x.name}"; it needs int8 or uint8 (requantize first)`,
      );
  }

  protected rankError(node: Node, x: IntValue, expected: string): OnnxImportError {
    return new OnnxImportError(
      node.ref,
      `reads "${x.name}" of shape [1, ${x.shape.join(', ')}]; expected ${expected}`,
    );
  }
}
