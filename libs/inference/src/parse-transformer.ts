import {
  dtype,
  integer,
  int32s,
  int8s,
  ints,
  positive,
  requantizeFields,
  withRequantize,
  type Json,
} from './document-fields';
import { DTYPES, INT32_MAX } from './dtype';
import { InvalidModelError } from './errors';
import type { Layer } from './model';

// The document form of the transformer extension's layers (docs/model-format.md, format v2). A v1
// document may name them too: the loader then refuses them, naming the field (analyze-model.ts).

/** A v2 layer from its document, or null when `l.op` is no v2 op. */
export function parseV2Layer(path: string, l: Json, allowed: (keys: string[]) => void): Layer | null {
  const op = l.op;
  const slot = () => integer(`${path}.slot`, l.slot, 1, 15);
  const int32 = (field: string) => integer(`${path}.${field}`, l[field], DTYPES.int32.min, INT32_MAX);
  switch (op) {
    case 'store':
    case 'load':
      allowed(['slot']);
      return { op, slot: slot() };
    case 'embedding': {
      allowed(['vocab', 'dim', 'weights']);
      const vocab = positive(`${path}.vocab`, l.vocab);
      const dim = positive(`${path}.dim`, l.dim);
      return { op, vocab, dim, weights: int8s(`${path}.weights`, l.weights, vocab * dim) };
    }
    case 'matmul':
      allowed(['slot', 'transposeB', 'requantize']);
      return withRequantize(path, l, {
        op,
        slot: slot(),
        transposeB: bool(`${path}.transposeB`, l.transposeB ?? false),
      });
    case 'add':
    case 'mul':
      allowed(['slot', 'requantize']);
      return withRequantize(path, l, { op, slot: slot() });
    case 'rmsnorm': {
      allowed(['dim', 'weight', 'eps', 'dtype']);
      const dim = positive(`${path}.dim`, l.dim);
      return {
        op,
        dim,
        weight: int32s(`${path}.weight`, l.weight, dim),
        eps: integer(`${path}.eps`, l.eps, 1, 2 ** 16),
        dtype: dtype(`${path}.dtype`, l.dtype),
      };
    }
    case 'layernorm': {
      allowed(['dim', 'weight', 'bias', 'eps', 'dtype']);
      const dim = positive(`${path}.dim`, l.dim);
      return {
        op,
        dim,
        weight: int32s(`${path}.weight`, l.weight, dim),
        bias: int32s(`${path}.bias`, l.bias, dim),
        eps: integer(`${path}.eps`, l.eps, 1, 2 ** 16),
        dtype: dtype(`${path}.dtype`, l.dtype),
      };
    }
    case 'rope': {
      allowed(['shift', 'dtype', 'positions', 'half', 'cos', 'sin']);
      const positions = positive(`${path}.positions`, l.positions);
      const half = positive(`${path}.half`, l.half);
      const int16s = (field: string) =>
        ints(`${path}.${field}`, l[field], positions * half, Int16Array, DTYPES.int16.min, DTYPES.int16.max);
      return {
        op,
        shift: integer(`${path}.shift`, l.shift, 1, 30),
        dtype: dtype(`${path}.dtype`, l.dtype),
        positions,
        half,
        cos: int16s('cos'),
        sin: int16s('sin'),
      };
    }
    case 'softmax': {
      allowed(['causal', 'fracBits', 'table']);
      const fracBits = integer(`${path}.fracBits`, l.fracBits, 0, 6);
      return {
        op,
        causal: bool(`${path}.causal`, l.causal),
        fracBits,
        table: ints(`${path}.table`, l.table, 2 ** fracBits, Int32Array, 1, 2 ** 15),
      };
    }
    case 'polyGate':
      allowed(['clip', 'a', 'b', 'bias', 'multiplier', 'shift', 'zeroPoint', 'dtype']);
      return {
        op,
        clip: integer(`${path}.clip`, l.clip, 1, 2 ** 15),
        a: int32('a'),
        b: int32('b'),
        bias: int32('bias'),
        ...requantizeFields(path, l),
      };
    case 'splitHeads':
      allowed(['heads']);
      return { op, heads: positive(`${path}.heads`, l.heads) };
    case 'mergeHeads':
      allowed([]);
      return { op };
    default:
      return null;
  }
}

function bool(path: string, v: unknown): boolean {
  if (typeof v !== 'boolean')
    throw new InvalidModelError(path, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}
