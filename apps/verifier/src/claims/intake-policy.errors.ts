import { BaseError } from '@verilay/errors';

const at = (index?: number) => (index === undefined ? '' : ` (claims[${index}])`);

/** On a chain the verifier posts only claims it can defend, and defending needs a replay. */
export class TaskInputRequiredError extends BaseError {
  readonly code = 'TASK_INPUT_REQUIRED';
  constructor(index?: number) {
    super(`The claim has no task input${at(index)}`, {
      details:
        'This verifier posts claims on chain and must be able to replay every claim it posts to defend it. Send `input` with the claim.',
      meta: { index },
    });
  }
}

/** A dispute over a claim of a model the registry does not know cannot be answered. */
export class ModelNotOnChainError extends BaseError {
  readonly code = 'MODEL_NOT_ON_CHAIN';
  constructor(modelId: string, index?: number) {
    super(`Model ${modelId} is not registered on chain${at(index)}`, {
      details:
        "Register the model's verifiers in the ModelRegistry (`verilay model register`) before submitting its claims.",
      meta: { modelId, index },
    });
  }
}

/** The operator's free bond must cover one dispute stake for each of its claims in flight. */
export class OperatorBondShortError extends BaseError {
  readonly code = 'OPERATOR_BOND_SHORT';
  constructor(operator: string, freeBond: bigint, needed: bigint, index?: number) {
    super(`Operator ${operator} has too little free bond on chain for these claims${at(index)}`, {
      details: `Its free bond is ${freeBond} wei; its claims not yet final here, with these, need ${needed} wei (one dispute stake each). Deposit more bond, or submit again once earlier claims are final.`,
      meta: { operator, freeBond: freeBond.toString(), needed: needed.toString(), index },
    });
  }
}
