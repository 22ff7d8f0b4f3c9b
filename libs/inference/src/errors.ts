import { BaseError } from '@verilay/errors';

/** The model document or bytes are malformed, or break a bound; `meta.path` names the field. */
export class InvalidModelError extends BaseError {
  readonly code = 'INVALID_MODEL';
  constructor(path: string, problem: string) {
    super(`Invalid model: ${path}: ${problem}`, { meta: { path } });
  }
}

/** An input tensor has the wrong length or a value outside the model's input dtype. */
export class InvalidInputError extends BaseError {
  readonly code = 'INVALID_INPUT';
  constructor(problem: string, meta: Record<string, unknown> = {}) {
    super(`Invalid input: ${problem}`, { meta });
  }
}
