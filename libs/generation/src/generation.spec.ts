import { parseModel, run } from '@verilay/inference';
import {
  asciiTokenizer,
  checkGenerationClaim,
  ContextExceededError,
  greedyGenerate,
  InvalidGenerationError,
  languageModelShape,
  NotALanguageModelError,
  NotGreedyError,
} from '.';
import { successorModel } from './successor-model';

describe('generation', () => {
  const model = successorModel();

  it('reads the context and the vocabulary of a language model, and refuses other models', () => {
    expect(languageModelShape(model)).toEqual({ context: 6, vocab: 4 });
    const mlp = parseModel({
      format: 'verilay.model.v1',
      input: { shape: [2], dtype: 'int8' },
      layers: [
        { op: 'dense', inFeatures: 2, outFeatures: 2, weights: [1, 0, 0, 1], bias: [0, 0] },
        { op: 'argmax' },
      ],
    });
    expect(() => languageModelShape(mlp)).toThrow(NotALanguageModelError);
  });

  it('generates greedily: each token is the argmax at the position before it, the rest is padding', () => {
    const g = greedyGenerate(model, [2], { maxNewTokens: 3 });
    expect(g.completion).toEqual([3, 0, 1]);
    expect(g.input).toEqual([2, 3, 0, 1, 0, 0]);
    // The claim's output is one pass over the whole input: (token + 1) mod 4 everywhere.
    expect(g.output).toEqual([3, 0, 1, 2, 1, 1]);
    expect(Array.from(run(model, g.input).output.data)).toEqual(g.output);
    expect(() => checkGenerationClaim(model, g, g.input, g.output)).not.toThrow();
  });

  it("runs the claim's pass once, with finalRunner, and the generated tokens with runner", () => {
    const loop: number[][] = [];
    const final: number[][] = [];
    const pass = (seen: number[][]) => (input: readonly number[]) => {
      seen.push([...input]);
      return run(model, input).output.data;
    };
    const g = greedyGenerate(model, [2], { maxNewTokens: 2, runner: pass(loop), finalRunner: pass(final) });
    expect(loop).toEqual([
      [2, 0, 0, 0, 0, 0],
      [2, 3, 0, 0, 0, 0],
    ]);
    expect(final).toEqual([g.input]);
  });

  it('stops at the stop token and at the end of the context', () => {
    expect(greedyGenerate(model, [2], { stopToken: 0 }).completion).toEqual([3, 0]);
    expect(greedyGenerate(model, [1, 2]).completion).toEqual([3, 0, 1, 2]);
    expect(() => greedyGenerate(model, [0, 1, 2, 3, 0, 1])).toThrow(ContextExceededError);
  });

  it('refuses a completion that is not the argmax of its own output', () => {
    const input = [2, 3, 1, 0, 0, 0]; // the third token should be 0
    const output = Array.from(run(model, input).output.data);
    const error = (() => {
      try {
        checkGenerationClaim(model, { promptLength: 1, completionLength: 2 }, input, output);
      } catch (e) {
        return e as NotGreedyError;
      }
    })();
    expect(error).toBeInstanceOf(NotGreedyError);
    expect(error?.meta).toEqual({ position: 2, claimed: 1, argmax: 0 });
  });

  it('refuses spans past the context, empty spans, padding that is not 0 and wrong lengths', () => {
    const g = greedyGenerate(model, [2], { maxNewTokens: 2 });
    const check =
      (span: { promptLength: number; completionLength: number }, input = g.input, output = g.output) =>
      () =>
        checkGenerationClaim(model, span, input, output);
    expect(check({ promptLength: 4, completionLength: 3 })).toThrow(ContextExceededError);
    expect(check({ promptLength: 0, completionLength: 2 })).toThrow(InvalidGenerationError);
    expect(check({ promptLength: 1, completionLength: 0 })).toThrow(InvalidGenerationError);
    expect(check({ promptLength: 1.5, completionLength: 1 })).toThrow(InvalidGenerationError);
    const padded = [...g.input];
    padded[5] = 3;
    expect(check(g, padded, Array.from(run(model, padded).output.data))).toThrow(/position 5 is 3/);
    expect(check(g, g.input.slice(0, 5))).toThrow(/input has 5 tokens/);
  });

  it('the ascii7 tokenizer maps bytes below 128 to themselves and others to SUB (0x1a)', () => {
    expect(asciiTokenizer.encode('In the beginning')).toEqual([...Buffer.from('In the beginning')]);
    expect(asciiTokenizer.encode('é')).toEqual([0x1a, 0x1a]);
    expect(asciiTokenizer.decode([72, 105])).toBe('Hi');
    expect(() => asciiTokenizer.decode([128])).toThrow(/outside the ascii7 vocabulary/);
  });
});
