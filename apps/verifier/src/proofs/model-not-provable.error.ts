import { BaseError } from '@verilay/errors';

/** The model has no whole-inference verifier in the chain's registry: no validity proof can count. */
export class ModelNotProvableError extends BaseError {
  readonly code = 'MODEL_NOT_PROVABLE';
  constructor(modelId: string) {
    super(`Model ${modelId} has no whole-inference verifier registered on chain`, { meta: { modelId } });
  }
}
