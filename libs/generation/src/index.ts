export {
  ContextExceededError,
  InvalidGenerationError,
  NotALanguageModelError,
  NotGreedyError,
} from './errors';
export { checkGenerationClaim, PAD_TOKEN } from './generation-claim';
export { greedyGenerate, type ArgmaxRunner, type GenerateOptions, type Generation } from './greedy-generate';
export { languageModelShape, type LanguageModelShape } from './language-model';
export { ASCII_REPLACEMENT, asciiTokenizer, tokenizerByName, type Tokenizer } from './tokenizer';
export { successorModel } from './successor-model';
