import { BaseError } from '@verilay/errors';
import type { ComputeBudget } from './compute-budget';

/** The model document or bytes are malformed, or break a bound; `meta.path` names the field. */
export class InvalidModelError extends BaseError {
  readonly code = 'INVALID_MODEL';
  constructor(path: string, problem: string, meta: Record<string, unknown> = {}) {
    super(`Invalid model: ${path}: ${problem}`, { meta: { ...meta, path } });
  }
}

/**
 * A model costs more per inference than the loader's compute budget allows (compute-budget.ts).
 * An `InvalidModelError` (code INVALID_MODEL, `meta.path` the layer), so every caller that
 * rejects invalid models rejects these too; `meta` also names the limit, the value and the layer.
 */
export class ComputeBudgetExceededError extends InvalidModelError {
  constructor(
    /** Index of the layer whose cost took the total past the limit. */
    readonly layer: number,
    readonly limit: keyof ComputeBudget,
    /** The total through this layer. */
    readonly value: number,
    readonly max: number,
  ) {
    super(
      `layers[${layer}]`,
      `over the compute budget: ${limit} is ${max}, and the model reaches ${value} by this layer`,
      { layer, limit, value, max },
    );
  }
}

/** An input tensor has the wrong length or a value outside the model's input dtype. */
export class InvalidInputError extends BaseError {
  readonly code = 'INVALID_INPUT';
  constructor(problem: string, meta: Record<string, unknown> = {}) {
    super(`Invalid input: ${problem}`, { meta });
  }
}
