import type { Layer, Model } from './model';

/** The learned parameters of a model: weights and biases of dense, conv2d and embedding, rmsnorm weights, layernorm weights and biases. */
export function parameterCount(model: Model): number {
  return model.layers.reduce((n, l) => n + learned(l), 0);
}

function learned(layer: Layer): number {
  switch (layer.op) {
    case 'dense':
    case 'conv2d':
      return layer.weights.length + layer.bias.length;
    case 'embedding':
      return layer.weights.length;
    case 'rmsnorm':
      return layer.weight.length;
    case 'layernorm':
      return layer.weight.length + layer.bias.length;
    default:
      return 0;
  }
}
