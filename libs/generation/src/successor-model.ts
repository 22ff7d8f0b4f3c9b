import { parseModel, type Model } from '@verilay/inference';

/**
 * A 4-token "language model" whose next token is (token + 1) mod 4 at every position: embedding
 * e_v·10, then a dense layer that is the cyclic permutation, then argmax: small enough to check
 * generation claims by hand (tests, docs).
 */
export function successorModel(context = 6): Model {
  const weights: number[] = [];
  for (let o = 0; o < 4; o++) for (let i = 0; i < 4; i++) weights.push(o === (i + 1) % 4 ? 1 : 0);
  const embedding: number[] = [];
  for (let v = 0; v < 4; v++) for (let j = 0; j < 4; j++) embedding.push(v === j ? 10 : 0);
  return parseModel({
    format: 'verilay.model.v2',
    name: 'successor',
    input: { shape: [context], dtype: 'int32', range: [0, 3] },
    layers: [
      { op: 'embedding', vocab: 4, dim: 4, weights: embedding },
      { op: 'dense', inFeatures: 4, outFeatures: 4, weights, bias: [0, 0, 0, 0] },
      { op: 'argmax' },
    ],
  });
}
