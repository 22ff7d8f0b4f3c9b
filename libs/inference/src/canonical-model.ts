import { keccak_256 } from '@noble/hashes/sha3';
import { MAX_LAYERS } from './analyze-model';
import { resolveBudget, type LoadOptions } from './compute-budget';
import { DTYPES, dtypeFromCode, type DType } from './dtype';
import { InvalidModelError } from './errors';
import type { Layer, LayerOp, Model } from './model';
import { buildModel } from './parse-model';

/** "VLM" + format version 1. */
const MAGIC = [0x56, 0x4c, 0x4d, 0x01];
const OP_CODES: Record<LayerOp, number> = {
  dense: 1,
  conv2d: 2,
  requantize: 3,
  relu: 4,
  maxpool: 5,
  avgpool: 6,
  flatten: 7,
  argmax: 8,
};

/**
 * The canonical bytes of a model: architecture and integer weights, little-endian, no name and no
 * whitespace (docs/model-format.md). Two documents that describe the same computation encode to
 * the same bytes, so they share one `modelId`.
 */
export function encodeModel(model: Model): Uint8Array {
  const w = new Writer();
  w.bytes(MAGIC);
  w.u8(DTYPES[model.input.dtype].code);
  w.u8(model.input.shape.length);
  model.input.shape.forEach((d) => w.u32(d));
  w.u32(model.layers.length);
  for (const layer of model.layers) {
    w.u8(OP_CODES[layer.op]);
    switch (layer.op) {
      case 'dense':
        w.u32(layer.inFeatures);
        w.u32(layer.outFeatures);
        w.int8s(layer.weights);
        w.int32s(layer.bias);
        break;
      case 'conv2d':
        [layer.inChannels, layer.outChannels, ...layer.kernel, ...layer.stride, ...layer.padding].forEach(
          (v) => w.u32(v),
        );
        w.int8s(layer.weights);
        w.int32s(layer.bias);
        break;
      case 'requantize':
        w.u32(layer.multiplier);
        w.u8(layer.shift);
        w.i32(layer.zeroPoint);
        w.u8(DTYPES[layer.dtype].code);
        break;
      case 'maxpool':
      case 'avgpool':
        [...layer.kernel, ...layer.stride].forEach((v) => w.u32(v));
        break;
      case 'relu':
      case 'flatten':
      case 'argmax':
        break;
    }
  }
  return w.finish();
}

/** Decodes canonical bytes back into a validated model (name: `name`); options as `parseModel`. */
export function decodeModel(bytes: Uint8Array, name = 'unnamed', options: LoadOptions = {}): Model {
  const budget = resolveBudget(options.budget);
  const r = new Reader(bytes);
  if (MAGIC.some((b) => r.u8() !== b))
    throw new InvalidModelError('bytes', 'not a verilay model (bad magic)');
  const inputDtype = r.dtype();
  const rank = r.u8();
  const shape = Array.from({ length: rank }, () => r.u32());
  const count = r.u32();
  if (count > MAX_LAYERS) throw new InvalidModelError('bytes', `too many layers (${count})`);
  const layers: Layer[] = [];
  for (let i = 0; i < count; i++) {
    const code = r.u8();
    const op = (Object.keys(OP_CODES) as LayerOp[]).find((k) => OP_CODES[k] === code);
    switch (op) {
      case 'dense': {
        const inFeatures = r.u32();
        const outFeatures = r.u32();
        layers.push({
          op,
          inFeatures,
          outFeatures,
          weights: r.int8s(inFeatures * outFeatures),
          bias: r.int32s(outFeatures),
        });
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
        layers.push({ op, multiplier: r.u32(), shift: r.u8(), zeroPoint: r.i32(), dtype: r.dtype() });
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
        layers.push({ op });
        break;
      default:
        throw new InvalidModelError(`bytes.layers[${i}]`, `unknown op code ${code}`);
    }
  }
  if (!r.done()) throw new InvalidModelError('bytes', 'trailing bytes after the last layer');
  return buildModel({ name, input: { shape, dtype: inputDtype }, layers }, { budget });
}

/** modelId = keccak256(canonical bytes), as 0x-prefixed lowercase hex. */
export function computeModelId(model: Model): `0x${string}` {
  return `0x${Buffer.from(keccak_256(encodeModel(model))).toString('hex')}`;
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
  int8s(v: Int8Array) {
    this.bytes(new Uint8Array(v.buffer, v.byteOffset, v.length));
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
