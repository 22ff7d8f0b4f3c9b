import { BaseError } from '@verilay/errors';

/** A salt or commitment is not a canonical element of the BN254 scalar field. */
export class InvalidFieldElementError extends BaseError {
  readonly code = 'INVALID_FIELD_ELEMENT';
  constructor(what: string, value: unknown) {
    super(
      `${what} must be a 32-byte hex field element below the BN254 modulus, got ${String(value).slice(0, 80)}`,
    );
  }
}
