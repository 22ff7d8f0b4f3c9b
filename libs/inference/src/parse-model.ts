import { analyzeModel, MAX_REQUANT_SHIFT } from './analyze-model';
import { resolveBudget, type LoadOptions } from './compute-budget';
import { DTYPES, INT32_MAX, isDType, type DType } from './dtype';
import { InvalidModelError } from './errors';
import type { Layer, Model, ModelSpec } from './model';

export const MODEL_FORMAT = 'verilay.model.v1';

type Json = Record<string, unknown>;

/**
 * Parses and validates a model document (docs/model-format.md): a JSON string or its parsed
 * value. Throws `InvalidModelError` naming the first offending field, and its subclass
 * `ComputeBudgetExceededError` when one inference would cost more than `options.budget` (by
 * default `DEFAULT_COMPUTE_BUDGET`).
 */
export function parseModel(document: unknown, options: LoadOptions = {}): Model {
  const budget = resolveBudget(options.budget);
  let doc = document;
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(doc);
    } catch (cause) {
      throw new InvalidModelError('$', `not valid JSON (${(cause as Error).message})`);
    }
  }
  const root = object('$', doc);
  onlyFields('$', root, ['format', 'name', 'input', 'layers']);
  if (root.format !== MODEL_FORMAT) throw new InvalidModelError('format', `must be "${MODEL_FORMAT}"`);
  const name = root.name === undefined ? 'unnamed' : string('name', root.name);
  const input = object('input', root.input);
  onlyFields('input', input, ['shape', 'dtype']);
  const layers = array('layers', root.layers).map((l, i) => parseLayer(`layers[${i}]`, l));
  return buildModel(
    {
      name,
      input: { shape: shape('input.shape', input.shape), dtype: dtype('input.dtype', input.dtype) },
      layers,
    },
    { budget },
  );
}

/** Validates a spec built in code (typed arrays already) and returns the model; options as `parseModel`. */
export function buildModel(spec: ModelSpec, options: LoadOptions = {}): Model {
  const model = { name: spec.name ?? 'unnamed', input: spec.input, layers: spec.layers };
  return { ...model, tensors: analyzeModel(model, resolveBudget(options.budget)) };
}

/** The JSON document of a model (inverse of `parseModel`). */
export function modelToJson(model: Model): Json {
  return {
    format: MODEL_FORMAT,
    name: model.name,
    input: { shape: [...model.input.shape], dtype: model.input.dtype },
    layers: model.layers.map((layer) => {
      const json: Json = { ...layer };
      if ('weights' in layer) json.weights = Array.from(layer.weights);
      if ('bias' in layer) json.bias = Array.from(layer.bias);
      return json;
    }),
  };
}

function parseLayer(path: string, value: unknown): Layer {
  const l = object(path, value);
  const op = l.op;
  const allowed = (keys: string[]) => onlyFields(path, l, ['op', ...keys], `unknown field for ${String(op)}`);
  switch (op) {
    case 'dense': {
      allowed(['inFeatures', 'outFeatures', 'weights', 'bias']);
      const inFeatures = positive(`${path}.inFeatures`, l.inFeatures);
      const outFeatures = positive(`${path}.outFeatures`, l.outFeatures);
      return {
        op,
        inFeatures,
        outFeatures,
        weights: int8s(`${path}.weights`, l.weights, inFeatures * outFeatures),
        bias: int32s(`${path}.bias`, l.bias, outFeatures),
      };
    }
    case 'conv2d': {
      allowed(['inChannels', 'outChannels', 'kernel', 'stride', 'padding', 'weights', 'bias']);
      const inChannels = positive(`${path}.inChannels`, l.inChannels);
      const outChannels = positive(`${path}.outChannels`, l.outChannels);
      const kernel = pair(`${path}.kernel`, l.kernel, 1);
      return {
        op,
        inChannels,
        outChannels,
        kernel,
        stride: pair(`${path}.stride`, l.stride ?? [1, 1], 1),
        padding: pair(`${path}.padding`, l.padding ?? [0, 0], 0),
        weights: int8s(`${path}.weights`, l.weights, outChannels * inChannels * kernel[0] * kernel[1]),
        bias: int32s(`${path}.bias`, l.bias, outChannels),
      };
    }
    case 'requantize': {
      allowed(['multiplier', 'shift', 'zeroPoint', 'dtype']);
      const out = dtype(`${path}.dtype`, l.dtype);
      const zeroPoint = integer(`${path}.zeroPoint`, l.zeroPoint ?? 0, DTYPES[out].min, DTYPES[out].max);
      return {
        op,
        multiplier: integer(`${path}.multiplier`, l.multiplier, 1, INT32_MAX),
        shift: integer(`${path}.shift`, l.shift, 0, MAX_REQUANT_SHIFT),
        zeroPoint,
        dtype: out,
      };
    }
    case 'maxpool':
    case 'avgpool': {
      allowed(['kernel', 'stride']);
      const kernel = pair(`${path}.kernel`, l.kernel, 1);
      return { op, kernel, stride: pair(`${path}.stride`, l.stride ?? kernel, 1) };
    }
    case 'relu':
    case 'flatten':
    case 'argmax':
      allowed([]);
      return { op };
    default:
      throw new InvalidModelError(`${path}.op`, `unknown op ${JSON.stringify(op)}`);
  }
}

/** Unknown fields are errors (a typo must not silently become a default); so are explicit nulls. */
function onlyFields(path: string, o: Json, keys: string[], problem = 'unknown field') {
  for (const [k, v] of Object.entries(o)) {
    if (!keys.includes(k)) throw new InvalidModelError(`${path === '$' ? '' : `${path}.`}${k}`, problem);
    if (v === null)
      throw new InvalidModelError(
        `${path === '$' ? '' : `${path}.`}${k}`,
        'must not be null (omit it for the default)',
      );
  }
}

function object(path: string, v: unknown): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new InvalidModelError(path, 'must be an object');
  return v as Json;
}
function array(path: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new InvalidModelError(path, 'must be an array');
  return v;
}
function string(path: string, v: unknown): string {
  if (typeof v !== 'string' || v.length > 200)
    throw new InvalidModelError(path, 'must be a string of at most 200 characters');
  return v;
}
function integer(path: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new InvalidModelError(path, `must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}
function positive(path: string, v: unknown): number {
  return integer(path, v, 1, 1 << 22);
}
function dtype(path: string, v: unknown): DType {
  if (!isDType(v)) throw new InvalidModelError(path, `must be one of ${Object.keys(DTYPES).join(', ')}`);
  return v;
}
function shape(path: string, v: unknown): number[] {
  const dims = array(path, v);
  if (dims.length < 1 || dims.length > 3) throw new InvalidModelError(path, 'must have 1 to 3 dimensions');
  return dims.map((d, i) => positive(`${path}[${i}]`, d));
}
function pair(path: string, v: unknown, min: number): [number, number] {
  const a = array(path, v);
  if (a.length !== 2) throw new InvalidModelError(path, 'must be [rows, columns]');
  return [integer(`${path}[0]`, a[0], min, 4096), integer(`${path}[1]`, a[1], min, 4096)];
}
function ints<T extends Int8Array | Int32Array>(
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
function int8s(path: string, v: unknown, n: number): Int8Array {
  return ints(path, v, n, Int8Array, -128, 127);
}
function int32s(path: string, v: unknown, n: number): Int32Array {
  return ints(path, v, n, Int32Array, DTYPES.int32.min, DTYPES.int32.max);
}
