// Held-out perplexity and greedy agreement of tiny-llm, float and integer (docs/models.md).
import { floatForward, argmaxRows, type FloatLlm } from './float-llm';
import { asciiTokenizer } from '@verilay/generation';

/** Non-overlapping windows of the held-out text, as train.py cuts them: inputs and next bytes. */
export function heldOutWindows(text: string, T: number): { inputs: number[][]; targets: number[][] } {
  const tokens = asciiTokenizer.encode(text);
  const n = Math.floor((tokens.length - 1) / T);
  const inputs: number[][] = [];
  const targets: number[][] = [];
  for (let i = 0; i < n; i++) {
    inputs.push(tokens.slice(i * T, i * T + T));
    targets.push(tokens.slice(i * T + 1, i * T + T + 1));
  }
  return { inputs, targets };
}

/** Σ −log softmax(logits)[target] over the rows of `[rows][vocab]`, in float64. */
export function negLogLikelihood(
  logits: ArrayLike<number>,
  vocab: number,
  targets: readonly number[],
): number {
  let total = 0;
  targets.forEach((target, r) => {
    let mx = -Infinity;
    for (let i = 0; i < vocab; i++) mx = Math.max(mx, logits[r * vocab + i]);
    let sum = 0;
    for (let i = 0; i < vocab; i++) sum += Math.exp(logits[r * vocab + i] - mx);
    total += mx + Math.log(sum) - logits[r * vocab + target];
  });
  return total;
}

/** One window through the integer model: its int8 logits `[T][vocab]` and its argmax output. */
export type IntegerLm = (tokens: readonly number[]) => {
  logits: ArrayLike<number>;
  argmax: ArrayLike<number>;
};

export interface LlmEvaluation {
  readonly windows: number;
  readonly positions: number;
  readonly floatPerplexity: number;
  readonly integerPerplexity: number;
  /** integer / float − 1 */
  readonly perplexityIncrease: number;
  /** Positions where the float and the integer argmax agree, of all positions. */
  readonly greedyAgreement: { readonly matches: number; readonly fraction: number };
  readonly floatNextByteAccuracy: number;
  readonly integerNextByteAccuracy: number;
}

/**
 * Scores both models on every position of the windows. The integer logits are dequantized as
 * `(q − zeroPoint) · scale` and go through the same float64 log-softmax as the float logits.
 */
export function evaluateLlm(
  float: FloatLlm,
  integer: IntegerLm,
  logit: { scale: number; zeroPoint: number },
  windows: { inputs: number[][]; targets: number[][] },
): LlmEvaluation {
  const V = float.arch.vocab;
  let [nllF, nllI, agree, hitF, hitI, positions] = [0, 0, 0, 0, 0, 0];
  windows.inputs.forEach((input, w) => {
    const target = windows.targets[w];
    const fl = floatForward(float, input);
    const int = integer(input);
    const deq = Float64Array.from(int.logits, (q) => (q - logit.zeroPoint) * logit.scale);
    nllF += negLogLikelihood(fl, V, target);
    nllI += negLogLikelihood(deq, V, target);
    const greedyF = argmaxRows(fl, V);
    target.forEach((t, p) => {
      agree += greedyF[p] === int.argmax[p] ? 1 : 0;
      hitF += greedyF[p] === t ? 1 : 0;
      hitI += int.argmax[p] === t ? 1 : 0;
    });
    positions += target.length;
  });
  const floatPerplexity = Math.exp(nllF / positions);
  const integerPerplexity = Math.exp(nllI / positions);
  return {
    windows: windows.inputs.length,
    positions,
    floatPerplexity,
    integerPerplexity,
    perplexityIncrease: integerPerplexity / floatPerplexity - 1,
    greedyAgreement: { matches: agree, fraction: agree / positions },
    floatNextByteAccuracy: hitF / positions,
    integerNextByteAccuracy: hitI / positions,
  };
}
