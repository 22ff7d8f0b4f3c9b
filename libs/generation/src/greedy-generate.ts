import { run, type Model } from '@verilay/inference';
import type { GenerationSpan } from '@verilay/protocol';
import { PAD_TOKEN } from './generation-claim';
import { languageModelShape } from './language-model';
import { ContextExceededError, InvalidGenerationError } from './errors';

export interface Generation extends GenerationSpan {
  /** The completion's token ids. */
  readonly completion: number[];
  /** The claim's input: prompt ++ completion, padded to the context with `PAD_TOKEN`. */
  readonly input: number[];
  /** The claim's output: the argmax at every position of `input`. */
  readonly output: number[];
}

/** Runs a model on [T] token ids and returns its argmax row (the caller's runner, or the JS runtime). */
export type ArgmaxRunner = (input: readonly number[]) => ArrayLike<number>;

export interface GenerateOptions {
  /** Most tokens to generate; default: up to the end of the context. */
  readonly maxNewTokens?: number;
  /** Stop after generating this token (it is kept in the completion). */
  readonly stopToken?: number;
  readonly runner?: ArgmaxRunner;
  /**
   * Runs the claim's own pass (over prompt ++ completion); default: `runner`. An operator passes
   * its `executeTask` here, so the pass it commits is the one whose output the claim states.
   */
  readonly finalRunner?: ArgmaxRunner;
}

/**
 * Greedy decoding as a generation claim states it: each new token is the argmax at the last
 * position of the sequence so far. One forward pass per token over the padded context (the
 * causal mask makes later padding invisible), and the claim's output is the last pass's argmax
 * row, which agrees with every earlier pass on the positions before it.
 */
export function greedyGenerate(
  model: Model,
  prompt: readonly number[],
  options: GenerateOptions = {},
): Generation {
  const { context, vocab } = languageModelShape(model);
  if (prompt.length < 1) throw new InvalidGenerationError('the prompt is empty');
  const room = context - prompt.length;
  if (room < 1) throw new ContextExceededError(prompt.length, 1, context);
  const max = Math.min(options.maxNewTokens ?? room, room);
  if (!Number.isSafeInteger(max) || max < 1)
    throw new InvalidGenerationError(`maxNewTokens must be an integer >= 1, got ${options.maxNewTokens}`);
  const runner = options.runner ?? ((input) => run(model, input).output.data);
  const pad = (tokens: readonly number[]) => [
    ...tokens,
    ...new Array<number>(context - tokens.length).fill(PAD_TOKEN),
  ];
  const sequence = [...prompt];
  let output: ArrayLike<number> = [];
  for (let j = 0; j < max; j++) {
    output = runner(pad(sequence));
    const next = output[sequence.length - 1];
    if (!Number.isInteger(next) || next < 0 || next >= vocab)
      throw new InvalidGenerationError(`the model produced token ${next}, outside [0, ${vocab - 1}]`);
    sequence.push(next);
    if (next === options.stopToken) break;
  }
  const input = pad(sequence);
  output = (options.finalRunner ?? runner)(input);
  return {
    promptLength: prompt.length,
    completionLength: sequence.length - prompt.length,
    completion: sequence.slice(prompt.length),
    input,
    output: Array.from(output),
  };
}
