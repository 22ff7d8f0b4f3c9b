import type { Model } from '@verilay/inference';
import { NotALanguageModelError } from './errors';

/** What a generation needs to know of a decoder LM in the verilay format. */
export interface LanguageModelShape {
  /** Context length T: the model reads [T] token ids and gives the greedy next token at each. */
  readonly context: number;
  /** Token ids are in [0, vocab - 1] (the input's range). */
  readonly vocab: number;
}

/**
 * The context and vocabulary of a text-generation model, or `NotALanguageModelError`: its input
 * must be [T] token ids with a range [0, vocab - 1], and its last layer argmax over [T, vocab]
 * (docs/model-format.md, "Generation claims").
 */
export function languageModelShape(model: Model): LanguageModelShape {
  const { shape, range } = model.input;
  if (shape.length !== 1) throw new NotALanguageModelError(`its input is [${shape}], not [T]`);
  if (!range || range[0] !== 0)
    throw new NotALanguageModelError('its input declares no token range [0, vocab - 1]');
  const last = model.layers[model.layers.length - 1];
  const logits = model.tensors[model.tensors.length - 2];
  if (last.op !== 'argmax' || logits.shape.length !== 2 || logits.shape[0] !== shape[0])
    throw new NotALanguageModelError('its last layer is not argmax over [T, vocab]');
  if (logits.shape[1] !== range[1] + 1)
    throw new NotALanguageModelError(
      `its logits have ${logits.shape[1]} entries per position, its token range [0, ${range[1]}]`,
    );
  return { context: shape[0], vocab: range[1] + 1 };
}
