import type { Model } from './model';

/** Weights and biases of a model's dense and conv2d layers. */
export function parameterCount(model: Model): number {
  return model.layers.reduce((n, l) => n + ('weights' in l ? l.weights.length + l.bias.length : 0), 0);
}
