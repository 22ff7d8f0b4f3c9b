import { keccak_256 } from '@noble/hashes/sha3';
import { MAX_LAYERS } from './analyze-model';
import { resolveBudget, type LoadOptions } from './compute-budget';
import { DTYPES, dtypeFromCode, type DType } from './dtype';
import { InvalidModelError } from './errors';
import type { FusedRequantize, Layer, LayerOp, Model, ModelFormat, Requantization } from './model';
import { isPerChannel } from './requantize';
import { buildModel } from './parse-model';

/** "VLM" + format version (1 or 2). */
const MAGIC = [0x56, 0x4c, 0x4d];

/** The HTTP media type of a model's canonical bytes (a `.vlm` file's contents). */
export const MODEL_MEDIA_TYPE = 'application/vnd.verilay.model';
const VERSIONS: Record<ModelFormat, number> = { 'verilay.model.v1': 1, 'verilay.model.v2': 2 };
const OP_CODES: Record<LayerOp, number> = {
  dense: 1,
  conv2d: 2,
  requantize: 3,
  relu: 4,
  maxpool: 5,
  avgpool: 6,
  flatten: 7,
  argmax: 8,
  store: 9,
  load: 10,
  embedding: 11,
  rmsnorm: 12,
  matmul: 13,
  add: 14,
  mul: 15,
  polyGate: 16,
  rope: 17,
  softmax: 18,
  splitHeads: 19,
  mergeHeads: 20,
  // 21: a per-channel requantize (REQUANTIZE_PER_CHANNEL).
  layernorm: 22,
};
/** The op codes a v1 file may hold. */
const V1_MAX_OP_CODE = 8;
/** v2: a `requantize` layer with per-channel multipliers and shifts (code 3 stays per tensor). */
const REQUANTIZE_PER_CHANNEL = 21;

/**
 * The canonical bytes of a model: architecture and integer weights, little-endian, no name and no
 * whitespace (docs/model-format.md). Two documents that describe the same computation encode to
 * the same bytes, so they share one `modelId`.
 */
export function encodeModel(model: Model): Uint8Array {
  const w = new Writer();
  const v2 = model.format === 'verilay.model.v2';
  w.bytes([...MAGIC, VERSIONS[model.format]]);
  const { dtype, shape, range } = model.input;
  w.u8(DTYPES[dtype].code);
  w.u8(shape.length);
  shape.forEach((d) => w.u32(d));
  if (v2) {
    // The dtype's bounds when the input has no range.
    w.i32(range ? range[0] : DTYPES[dtype].min);
    w.i32(range ? range[1] : DTYPES[dtype].max);
  }
  w.u32(model.layers.length);
  for (const layer of model.layers) {
    const perChannel = layer.op === 'requantize' && isPerChannel(layer);
    w.u8(perChannel ? REQUANTIZE_PER_CHANNEL : OP_CODES[layer.op]);
    switch (layer.op) {
      case 'dense':
        w.u32(layer.inFeatures);
        w.u32(layer.outFeatures);
        w.int8s(layer.weights);
        w.int32s(layer.bias);
        if (v2) w.requant(layer.requantize);
        break;
      case 'conv2d':
        [layer.inChannels, layer.outChannels, ...layer.kernel, ...layer.stride, ...layer.padding].forEach(
          (v) => w.u32(v),
        );
        w.int8s(layer.weights);
        w.int32s(layer.bias);
        break;
      case 'requantize':
        if (perChannel) w.channelFields(layer);
        else w.requantFields(layer as FusedRequantize);
        break;
      case 'maxpool':
      case 'avgpool':
        [...layer.kernel, ...layer.stride].forEach((v) => w.u32(v));
        break;
      case 'relu':
      case 'flatten':
      case 'argmax':
      case 'mergeHeads':
        break;
      default:
        encodeV2Layer(w, layer);
    }
  }
  return w.finish();
}

function encodeV2Layer(w: Writer, layer: Layer): void {
  switch (layer.op) {
    case 'store':
    case 'load':
      w.u8(layer.slot);
      break;
    case 'embedding':
      w.u32(layer.vocab);
      w.u32(layer.dim);
      w.int8s(layer.weights);
      break;
    case 'rmsnorm':
      w.u32(layer.dim);
      w.u32(layer.eps);
      w.u8(DTYPES[layer.dtype].code);
      w.int32s(layer.weight);
      break;
    case 'layernorm':
      w.u32(layer.dim);
      w.u32(layer.eps);
      w.u8(DTYPES[layer.dtype].code);
      w.int32s(layer.weight);
      w.int32s(layer.bias);
      break;
    case 'matmul':
      w.u8(layer.slot);
      w.u8(layer.transposeB ? 1 : 0);
      w.requant(layer.requantize);
      break;
    case 'add':
    case 'mul':
      w.u8(layer.slot);
      w.requant(layer.requantize);
      break;
    case 'polyGate':
      [layer.clip, layer.a, layer.b, layer.bias].forEach((v) => w.i32(v));
      w.requantFields(layer);
      break;
    case 'rope':
      w.u8(layer.shift);
      w.u8(DTYPES[layer.dtype].code);
      w.u32(layer.positions);
      w.u32(layer.half);
      w.int16s(layer.cos);
      w.int16s(layer.sin);
      break;
    case 'softmax':
      w.u8(layer.causal ? 1 : 0);
      w.u8(layer.fracBits);
      layer.table.forEach((v) => w.u16(v));
      break;
    case 'splitHeads':
      w.u32(layer.heads);
      break;
    default:
      throw new Error(`encodeModel: unhandled op ${layer.op}`);
  }
}

/** Decodes canonical bytes back into a validated model (name: `name`); options as `parseModel`. */
export function decodeModel(bytes: Uint8Array, name = 'unnamed', options: LoadOptions = {}): Model {
  resolveBudget(options.budget); // a bad limit is a RangeError before any decoding
  const r = new Reader(bytes);
  if (MAGIC.some((b) => r.u8() !== b))
    throw new InvalidModelError('bytes', 'not a verilay model (bad magic)');
  const version = r.u8();
  const format = (Object.keys(VERSIONS) as ModelFormat[]).find((f) => VERSIONS[f] === version);
  if (!format) throw new InvalidModelError('bytes', `unknown format version ${version}`);
  const v2 = format === 'verilay.model.v2';
  const inputDtype = r.dtype();
  const rank = r.u8();
  const shape = Array.from({ length: rank }, () => r.u32());
  let range: [number, number] | undefined;
  if (v2) {
    range = [r.i32(), r.i32()];
    // The dtype's bounds say "no range": the same bytes as a document without one.
    if (range[0] === DTYPES[inputDtype].min && range[1] === DTYPES[inputDtype].max) range = undefined;
  }
  const count = r.u32();
  if (count > MAX_LAYERS) throw new InvalidModelError('bytes', `too many layers (${count})`);
  const layers: Layer[] = [];
  for (let i = 0; i < count; i++) {
    const code = r.u8();
    if (v2 && code === REQUANTIZE_PER_CHANNEL) {
      layers.push({ op: 'requantize', ...r.channelFields() });
      continue;
    }
    const op = (Object.keys(OP_CODES) as LayerOp[]).find(
      (k) => OP_CODES[k] === code && (v2 || code <= V1_MAX_OP_CODE),
    );
    switch (op) {
      case 'dense': {
        const inFeatures = r.u32();
        const outFeatures = r.u32();
        const dense: Layer = {
          op,
          inFeatures,
          outFeatures,
          weights: r.int8s(inFeatures * outFeatures),
          bias: r.int32s(outFeatures),
        };
        layers.push(v2 ? r.withRequant(dense) : dense);
        break;
      }
      case 'conv2d': {
        const [inChannels, outChannels, kh, kw, sh, sw, ph, pw] = Array.from({ length: 8 }, () => r.u32());
        const weights = r.int8s(outChannels * inChannels * kh * kw);
        layers.push({
          op,
          inChannels,
          outChannels,
          kernel: [kh, kw],
          stride: [sh, sw],
          padding: [ph, pw],
          weights,
          bias: r.int32s(outChannels),
        });
        break;
      }
      case 'requantize':
        layers.push({ op, ...r.requantFields() });
        break;
      case 'maxpool':
      case 'avgpool': {
        const [kh, kw, sh, sw] = Array.from({ length: 4 }, () => r.u32());
        layers.push({ op, kernel: [kh, kw], stride: [sh, sw] });
        break;
      }
      case 'relu':
      case 'flatten':
      case 'argmax':
      case 'mergeHeads':
        layers.push({ op });
        break;
      case undefined:
        throw new InvalidModelError(`bytes.layers[${i}]`, `unknown op code ${code}`);
      default:
        layers.push(decodeV2Layer(r, op));
    }
  }
  if (!r.done()) throw new InvalidModelError('bytes', 'trailing bytes after the last layer');
  const input = range ? { shape, dtype: inputDtype, range } : { shape, dtype: inputDtype };
  return buildModel({ format, name, input, layers }, options);
}

function decodeV2Layer(r: Reader, op: LayerOp): Layer {
  switch (op) {
    case 'store':
    case 'load':
      return { op, slot: r.u8() };
    case 'embedding': {
      const [vocab, dim] = [r.u32(), r.u32()];
      return { op, vocab, dim, weights: r.int8s(vocab * dim) };
    }
    case 'rmsnorm': {
      const [dim, eps, dtype] = [r.u32(), r.u32(), r.dtype()];
      return { op, dim, eps, dtype, weight: r.int32s(dim) };
    }
    case 'layernorm': {
      const [dim, eps, dtype] = [r.u32(), r.u32(), r.dtype()];
      return { op, dim, eps, dtype, weight: r.int32s(dim), bias: r.int32s(dim) };
    }
    case 'matmul':
      return r.withRequant({ op, slot: r.u8(), transposeB: r.bool() });
    case 'add':
    case 'mul':
      return r.withRequant({ op, slot: r.u8() });
    case 'polyGate': {
      const [clip, a, b, bias] = [r.i32(), r.i32(), r.i32(), r.i32()];
      return { op, clip, a, b, bias, ...r.requantFields() };
    }
    case 'rope': {
      const [shift, dtype, positions, half] = [r.u8(), r.dtype(), r.u32(), r.u32()];
      return {
        op,
        shift,
        dtype,
        positions,
        half,
        cos: r.int16s(positions * half),
        sin: r.int16s(positions * half),
      };
    }
    case 'softmax': {
      const [causal, fracBits] = [r.bool(), r.u8()];
      if (fracBits > 6) throw new InvalidModelError('bytes', `softmax fracBits ${fracBits} above 6`);
      return { op, causal, fracBits, table: Int32Array.from({ length: 2 ** fracBits }, () => r.u16()) };
    }
    case 'splitHeads':
      return { op, heads: r.u32() };
    default:
      throw new InvalidModelError('bytes', `unhandled op ${op}`);
  }
}

/** modelId = keccak256(canonical bytes), as 0x-prefixed lowercase hex. */
export function computeModelId(model: Model): `0x${string}` {
  return modelIdOfBytes(encodeModel(model));
}

/** The modelId of canonical bytes as stored or served: keccak256 of the bytes (no decoding). */
export function modelIdOfBytes(bytes: Uint8Array): `0x${string}` {
  return `0x${Buffer.from(keccak_256(bytes)).toString('hex')}`;
}

class Writer {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  private at = 0;
  private reserve(n: number) {
    if (this.at + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number) {
    this.reserve(1);
    this.view.setUint8(this.at++, v);
  }
  u32(v: number) {
    this.reserve(4);
    this.view.setUint32(this.at, v, true);
    this.at += 4;
  }
  i32(v: number) {
    this.reserve(4);
    this.view.setInt32(this.at, v, true);
    this.at += 4;
  }
  bytes(v: ArrayLike<number>) {
    this.reserve(v.length);
    this.buf.set(v, this.at);
    this.at += v.length;
  }
  u16(v: number) {
    this.reserve(2);
    this.view.setUint16(this.at, v, true);
    this.at += 2;
  }
  int8s(v: Int8Array) {
    this.bytes(new Uint8Array(v.buffer, v.byteOffset, v.length));
  }
  int16s(v: Int16Array) {
    this.reserve(2 * v.length);
    v.forEach((x) => {
      this.view.setInt16(this.at, x, true);
      this.at += 2;
    });
  }
  requantFields(q: FusedRequantize) {
    this.u32(q.multiplier);
    this.u8(q.shift);
    this.i32(q.zeroPoint);
    this.u8(DTYPES[q.dtype].code);
  }
  /** Per channel: u32 C, u32 multiplier[C], u8 shift[C], i32 zeroPoint, u8 dtype code. */
  channelFields(q: Requantization) {
    const [m, s] = [q.multiplier as readonly number[], q.shift as readonly number[]];
    this.u32(m.length);
    m.forEach((v) => this.u32(v));
    s.forEach((v) => this.u8(v));
    this.i32(q.zeroPoint);
    this.u8(DTYPES[q.dtype].code);
  }
  /** The requant block: u8 present (0 none, 1 per tensor, 2 per channel), then the fields. */
  requant(q: Requantization | undefined) {
    if (q === undefined) return this.u8(0);
    if (isPerChannel(q)) {
      this.u8(2);
      this.channelFields(q);
    } else {
      this.u8(1);
      this.requantFields(q as FusedRequantize);
    }
  }
  int32s(v: Int32Array) {
    v.forEach((x) => this.i32(x));
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.at);
  }
}

class Reader {
  private readonly view: DataView;
  private at = 0;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number) {
    if (this.at + n > this.buf.length) throw new InvalidModelError('bytes', 'truncated model bytes');
  }
  u8() {
    this.need(1);
    return this.view.getUint8(this.at++);
  }
  u32() {
    this.need(4);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }
  i32() {
    this.need(4);
    const v = this.view.getInt32(this.at, true);
    this.at += 4;
    return v;
  }
  u16() {
    this.need(2);
    const v = this.view.getUint16(this.at, true);
    this.at += 2;
    return v;
  }
  bool(): boolean {
    const v = this.u8();
    if (v > 1) throw new InvalidModelError('bytes', `a boolean must be 0 or 1, got ${v}`);
    return v === 1;
  }
  requantFields(): FusedRequantize {
    return { multiplier: this.u32(), shift: this.u8(), zeroPoint: this.i32(), dtype: this.dtype() };
  }
  /** Per channel: u32 C (at most what the remaining bytes can hold), the arrays, zeroPoint, dtype. */
  channelFields(): Requantization {
    const c = this.u32();
    this.need(5 * c);
    const multiplier = Array.from({ length: c }, () => this.u32());
    const shift = Array.from({ length: c }, () => this.u8());
    return { multiplier, shift, zeroPoint: this.i32(), dtype: this.dtype() };
  }
  /** The layer with the requant block that follows it, if present (the key stays absent otherwise). */
  withRequant<T extends Layer>(layer: T): T {
    const present = this.u8();
    if (present > 2)
      throw new InvalidModelError('bytes', `a requant block's flag must be 0, 1 or 2, got ${present}`);
    if (present === 0) return layer;
    return { ...layer, requantize: present === 1 ? this.requantFields() : this.channelFields() };
  }
  int16s(n: number): Int16Array {
    this.need(2 * n);
    return Int16Array.from({ length: n }, () => {
      const v = this.view.getInt16(this.at, true);
      this.at += 2;
      return v;
    });
  }
  dtype(): DType {
    const code = this.u8();
    const d = dtypeFromCode(code);
    if (!d) throw new InvalidModelError('bytes', `unknown dtype code ${code}`);
    return d;
  }
  int8s(n: number): Int8Array {
    this.need(n);
    const out = new Int8Array(
      this.buf.buffer.slice(this.buf.byteOffset + this.at, this.buf.byteOffset + this.at + n),
    );
    this.at += n;
    return out;
  }
  int32s(n: number): Int32Array {
    this.need(4 * n);
    return Int32Array.from({ length: n }, () => this.i32());
  }
  done() {
    return this.at === this.buf.length;
  }
}
