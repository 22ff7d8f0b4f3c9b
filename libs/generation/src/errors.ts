import { BaseError } from '@verilay/errors';

/** Why a generation claim (docs/model-format.md, "Generation claims") is refused: HTTP 422 each. */

export class NotALanguageModelError extends BaseError {
  readonly code = 'NOT_A_LANGUAGE_MODEL';
  constructor(reason: string, meta: Record<string, unknown> = {}) {
    super(`The model is not a text-generation model: ${reason}`, {
      details:
        'A generation claim needs a model whose input is [T] token ids with a range [0, vocab - 1] and whose last layer is argmax over [T, vocab].',
      meta,
    });
  }
}

export class ContextExceededError extends BaseError {
  readonly code = 'CONTEXT_EXCEEDED';
  constructor(promptLength: number, completionLength: number, context: number) {
    super(
      `prompt (${promptLength} tokens) + completion (${completionLength}) = ${promptLength + completionLength} tokens, past the model's context of ${context}`,
      { meta: { promptLength, completionLength, context } },
    );
  }
}

export class InvalidGenerationError extends BaseError {
  readonly code = 'INVALID_GENERATION';
  constructor(message: string, meta: Record<string, unknown> = {}) {
    super(message, { meta });
  }
}

/** A completion token that is not the model's greedy choice according to the claim's own output. */
export class NotGreedyError extends BaseError {
  readonly code = 'COMPLETION_NOT_GREEDY';
  constructor(
    readonly position: number,
    claimed: number,
    argmax: number,
  ) {
    super(
      `completion token at position ${position} is ${claimed}, but the claimed output's argmax at position ${position - 1} is ${argmax}`,
      {
        details:
          'A generation claim is greedy: every completion token must be the argmax the model gives at the position before it (output[p - 1 + j] = input[p + j]).',
        meta: { position, claimed, argmax },
      },
    );
  }
}
