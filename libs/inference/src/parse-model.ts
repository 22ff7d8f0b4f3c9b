import { analyzeModel, MODEL_FORMAT_V1, MODEL_FORMAT_V2 } from './analyze-model';
import { resolveBudget, type LoadOptions } from './compute-budget';
import {
  array,
  dtype,
  int32s,
  int8s,
  object,
  onlyFields,
  pair,
  positive,
  channelRequantizeFields,
  shape,
  string,
  withRequantize,
  type Json,
} from './document-fields';
import { DTYPES } from './dtype';
import { InvalidModelError } from './errors';
import type { Layer, Model, ModelInput, ModelSpec } from './model';
import { parseV2Layer } from './parse-transformer';

/** The format tag of v1 documents (models without the transformer extension). */
export const MODEL_FORMAT = MODEL_FORMAT_V1;

/**
 * Parses and validates a model document (docs/model-format.md): a JSON string or its parsed
 * value. Throws `InvalidModelError` naming the first offending field, and its subclass
 * `ComputeBudgetExceededError` when one inference would cost more than `options.budget` (by
 * default `DEFAULT_COMPUTE_BUDGET`).
 */
export function parseModel(document: unknown, options: LoadOptions = {}): Model {
  resolveBudget(options.budget); // a bad limit is a RangeError before any parsing
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
  const format = root.format;
  if (format !== MODEL_FORMAT_V1 && format !== MODEL_FORMAT_V2)
    throw new InvalidModelError('format', `must be "${MODEL_FORMAT_V1}" or "${MODEL_FORMAT_V2}"`);
  const name = root.name === undefined ? 'unnamed' : string('name', root.name);
  const input = object('input', root.input);
  onlyFields('input', input, ['shape', 'dtype', 'range']);
  const inputDtype = dtype('input.dtype', input.dtype);
  const range =
    input.range === undefined
      ? undefined
      : pair('input.range', input.range, DTYPES[inputDtype].min, DTYPES[inputDtype].max);
  const layers = array('layers', root.layers).map((l, i) => parseLayer(`layers[${i}]`, l));
  return buildModel(
    {
      format,
      name,
      input: withRange({ shape: shape('input.shape', input.shape), dtype: inputDtype }, range),
      layers,
    },
    options,
  );
}

/** Validates a spec built in code (typed arrays already) and returns the model; options as `parseModel`. */
export function buildModel(spec: ModelSpec, options: LoadOptions = {}): Model {
  // The input carries `range` only when it has one (the native runner reads the keys it gets).
  const input = withRange({ shape: spec.input.shape, dtype: spec.input.dtype }, spec.input.range);
  const model = { format: spec.format, name: spec.name ?? 'unnamed', input, layers: spec.layers };
  const { format, tensors, states } = analyzeModel(model, resolveBudget(options.budget, spec.format));
  return { ...model, format, tensors, states };
}

function withRange(input: ModelInput, range: readonly [number, number] | undefined): ModelInput {
  return range === undefined ? input : { ...input, range: [range[0], range[1]] };
}

/** The JSON document of a model (inverse of `parseModel`). */
export function modelToJson(model: Model): Json {
  const input: Json = { shape: [...model.input.shape], dtype: model.input.dtype };
  if (model.input.range) input.range = [...model.input.range];
  return {
    format: model.format,
    name: model.name,
    input,
    layers: model.layers.map((layer) => {
      const json: Json = { ...layer };
      for (const [key, value] of Object.entries(layer))
        if (ArrayBuffer.isView(value)) json[key] = Array.from(value as Int32Array);
        else if (typeof value === 'object' && value !== null && !Array.isArray(value))
          json[key] = { ...value };
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
      allowed(['inFeatures', 'outFeatures', 'weights', 'bias', 'requantize']);
      const inFeatures = positive(`${path}.inFeatures`, l.inFeatures);
      const outFeatures = positive(`${path}.outFeatures`, l.outFeatures);
      return withRequantize(path, l, {
        op,
        inFeatures,
        outFeatures,
        weights: int8s(`${path}.weights`, l.weights, inFeatures * outFeatures),
        bias: int32s(`${path}.bias`, l.bias, outFeatures),
      });
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
    case 'requantize':
      allowed(['multiplier', 'shift', 'zeroPoint', 'dtype']);
      return { op, ...channelRequantizeFields(path, l) };
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
    default: {
      const layer = parseV2Layer(path, l, allowed);
      if (!layer) throw new InvalidModelError(`${path}.op`, `unknown op ${JSON.stringify(op)}`);
      return layer;
    }
  }
}
