import { MAX_REQUANT_SHIFT } from './analyze-model';
import { DTYPES, INT32_MAX, isDType, type DType } from './dtype';
import { InvalidModelError } from './errors';
import type { FusedRequantize, Layer, Requantization } from './model';

// Readers of the model document's fields: each checks one value and names its path when it fails.

export type Json = Record<string, unknown>;

/** multiplier, shift, zeroPoint (default 0) and dtype of a requantize, at `path` (scalars: polyGate's). */
export function requantizeFields(path: string, l: Json): FusedRequantize {
  const out = dtype(`${path}.dtype`, l.dtype);
  const zeroPoint = integer(`${path}.zeroPoint`, l.zeroPoint ?? 0, DTYPES[out].min, DTYPES[out].max);
  return {
    multiplier: integer(`${path}.multiplier`, l.multiplier, 1, INT32_MAX),
    shift: integer(`${path}.shift`, l.shift, 0, MAX_REQUANT_SHIFT),
    zeroPoint,
    dtype: out,
  };
}

/**
 * As `requantizeFields`, where `multiplier` and `shift` may also be arrays (one entry per
 * channel, format v2): both arrays of one length, or both numbers. The length is checked against
 * the tensor's channels at load.
 */
export function channelRequantizeFields(path: string, l: Json): Requantization {
  if (!Array.isArray(l.multiplier) && !Array.isArray(l.shift)) return requantizeFields(path, l);
  const m = array(`${path}.multiplier`, l.multiplier);
  const s = array(`${path}.shift`, l.shift);
  if (m.length !== s.length || m.length === 0 || m.length > 1 << 22)
    throw new InvalidModelError(
      `${path}.shift`,
      `per-channel multiplier and shift need one entry per channel each, got ${m.length} and ${s.length}`,
    );
  const out = dtype(`${path}.dtype`, l.dtype);
  return {
    multiplier: m.map((v, i) => integer(`${path}.multiplier[${i}]`, v, 1, INT32_MAX)),
    shift: s.map((v, i) => integer(`${path}.shift[${i}]`, v, 0, MAX_REQUANT_SHIFT)),
    zeroPoint: integer(`${path}.zeroPoint`, l.zeroPoint ?? 0, DTYPES[out].min, DTYPES[out].max),
    dtype: out,
  };
}

/** The layer with its fused `requantize` block when the document has one (the key stays absent otherwise). */
export function withRequantize<T extends Layer>(path: string, l: Json, layer: T): T {
  if (l.requantize === undefined) return layer;
  const r = object(`${path}.requantize`, l.requantize);
  onlyFields(`${path}.requantize`, r, ['multiplier', 'shift', 'zeroPoint', 'dtype']);
  return { ...layer, requantize: channelRequantizeFields(`${path}.requantize`, r) };
}

/** Unknown fields are errors (a typo must not silently become a default); so are explicit nulls. */
export function onlyFields(path: string, o: Json, keys: string[], problem = 'unknown field') {
  for (const [k, v] of Object.entries(o)) {
    if (!keys.includes(k)) throw new InvalidModelError(`${path === '$' ? '' : `${path}.`}${k}`, problem);
    if (v === null)
      throw new InvalidModelError(
        `${path === '$' ? '' : `${path}.`}${k}`,
        'must not be null (omit it for the default)',
      );
  }
}

export function object(path: string, v: unknown): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new InvalidModelError(path, 'must be an object');
  return v as Json;
}
export function array(path: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new InvalidModelError(path, 'must be an array');
  return v;
}
export function string(path: string, v: unknown): string {
  if (typeof v !== 'string' || v.length > 200)
    throw new InvalidModelError(path, 'must be a string of at most 200 characters');
  return v;
}
export function integer(path: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new InvalidModelError(path, `must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}
export function positive(path: string, v: unknown): number {
  return integer(path, v, 1, 1 << 22);
}
export function dtype(path: string, v: unknown): DType {
  if (!isDType(v)) throw new InvalidModelError(path, `must be one of ${Object.keys(DTYPES).join(', ')}`);
  return v;
}
export function shape(path: string, v: unknown): number[] {
  const dims = array(path, v);
  if (dims.length < 1 || dims.length > 3) throw new InvalidModelError(path, 'must have 1 to 3 dimensions');
  return dims.map((d, i) => positive(`${path}[${i}]`, d));
}
export function pair(path: string, v: unknown, min: number, max = 4096): [number, number] {
  const a = array(path, v);
  if (a.length !== 2)
    throw new InvalidModelError(path, max === 4096 ? 'must be [rows, columns]' : 'must be [lo, hi]');
  return [integer(`${path}[0]`, a[0], min, max), integer(`${path}[1]`, a[1], min, max)];
}
export function ints<T extends Int8Array | Int16Array | Int32Array>(
  path: string,
  v: unknown,
  n: number,
  make: new (n: number) => T,
  lo: number,
  hi: number,
): T {
  const a = array(path, v);
  if (a.length !== n) throw new InvalidModelError(path, `must have ${n} values, got ${a.length}`);
  const out = new make(n);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi)
      throw new InvalidModelError(
        `${path}[${i}]`,
        `must be an integer in [${lo}, ${hi}], got ${JSON.stringify(x)}`,
      );
    out[i] = x;
  }
  return out;
}
export function int8s(path: string, v: unknown, n: number): Int8Array {
  return ints(path, v, n, Int8Array, -128, 127);
}
export function int32s(path: string, v: unknown, n: number): Int32Array {
  return ints(path, v, n, Int32Array, DTYPES.int32.min, DTYPES.int32.max);
}
