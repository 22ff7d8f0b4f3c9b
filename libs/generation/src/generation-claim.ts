import type { Model } from '@verilay/inference';
import type { GenerationSpan } from '@verilay/protocol';
import { ContextExceededError, InvalidGenerationError, NotGreedyError } from './errors';
import { languageModelShape } from './language-model';

/** The token every position after the completion holds. */
export const PAD_TOKEN = 0;

/**
 * Checks a generation claim against its own data (docs/model-format.md, "Generation claims"):
 * `input` is prompt ++ completion padded with `PAD_TOKEN` to the context, `output` the model's
 * argmax at every position, and every completion token is the argmax at the position before it.
 * Whether `output` is what the model really computes is the replay's and the dispute's business;
 * this refuses, before anything is stored, a claim that is not even greedy by its own account.
 */
export function checkGenerationClaim(
  model: Model,
  span: GenerationSpan,
  input: ArrayLike<number>,
  output: ArrayLike<number>,
): void {
  const { context } = languageModelShape(model);
  const { promptLength: p, completionLength: n } = span;
  if (!Number.isSafeInteger(p) || p < 1)
    throw new InvalidGenerationError(`promptLength must be an integer >= 1, got ${p}`, { promptLength: p });
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InvalidGenerationError(`completionLength must be an integer >= 1, got ${n}`, {
      completionLength: n,
    });
  if (p + n > context) throw new ContextExceededError(p, n, context);
  for (const [name, values] of [
    ['input', input],
    ['output', output],
  ] as const)
    if (values.length !== context)
      throw new InvalidGenerationError(
        `${name} has ${values.length} tokens, the model's context is ${context}`,
        {
          [name]: values.length,
          context,
        },
      );
  for (let j = 0; j < n; j++)
    if (output[p - 1 + j] !== input[p + j]) throw new NotGreedyError(p + j, input[p + j], output[p - 1 + j]);
  for (let i = p + n; i < context; i++)
    if (input[i] !== PAD_TOKEN)
      throw new InvalidGenerationError(
        `input position ${i} is ${input[i]}: positions after the completion must be ${PAD_TOKEN}`,
        {
          position: i,
        },
      );
}
