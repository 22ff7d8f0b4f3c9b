import { BaseError } from '@verilay/errors';

// Why a claim submission is refused. `meta.index` names the claim's position in the request.

export class UnknownModelError extends BaseError {
  readonly code = 'UNKNOWN_MODEL';
  constructor(modelId: string, index?: number) {
    super(`Model ${modelId} is not registered${at(index)}`, { meta: { modelId, index } });
  }
}

export class InvalidSignatureError extends BaseError {
  readonly code = 'INVALID_SIGNATURE';
  constructor(operator: string, recovered: string | null, index?: number) {
    super(`The signature is not the operator's EIP-712 signature over the claim${at(index)}`, {
      details: recovered
        ? `It recovers to ${recovered}, not ${operator}.`
        : 'It is not a valid secp256k1 signature.',
      meta: { operator, recovered, index },
    });
  }
}

export class CommitmentMismatchError extends BaseError {
  readonly code: 'INPUT_COMMITMENT_MISMATCH' | 'OUTPUT_COMMITMENT_MISMATCH';
  constructor(which: 'input' | 'output', claimed: string, computed: string, index?: number) {
    super(`The ${which} does not match the claimed ${which} commitment${at(index)}`, {
      details: `Claimed ${claimed}, the ${which} values commit to ${computed}.`,
      meta: { claimed, computed, index },
    });
    this.code = which === 'input' ? 'INPUT_COMMITMENT_MISMATCH' : 'OUTPUT_COMMITMENT_MISMATCH';
  }
}

function at(index?: number) {
  return index === undefined ? '' : ` (claims[${index}])`;
}

export class TooManyClaimsError extends BaseError {
  readonly code = 'TOO_MANY_CLAIMS';
  constructor(count: number, limit: number) {
    super(`A request may carry at most ${limit} claims, this one has ${count}`, { meta: { count, limit } });
  }
}

export class TooManyValuesError extends BaseError {
  readonly code = 'TOO_MANY_VALUES';
  constructor(count: number, limit: number) {
    super(`A request may carry at most ${limit} input and output values in all, this one has ${count}`, {
      meta: { count, limit },
    });
  }
}
