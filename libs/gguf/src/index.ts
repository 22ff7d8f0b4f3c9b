export { GgufError } from './gguf.error';
export { GGML_TYPES, GGUF_VALUE, type GgmlTypeName, type GgufValue } from './gguf-types';
export { readGguf, type GgufFile, type GgufTensorInfo } from './read-gguf';
export { dequantize, halfToFloat, tensorValues } from './dequantize';
export { metaBool, metaNumber, metaNumbers, metaString, metaStrings } from './gguf-metadata';
export { encodeGguf, type GgufWriterTensor, type GgufWriterValue } from './gguf-writer';
export {
  BPE_TOKENIZER_FORMAT,
  BpeTokenizer,
  bpeTokenizerDocument,
  parseBpeTokenizer,
  type BpeTokenizerDocument,
} from './bpe-tokenizer';
export {
  readFloatLlama,
  llamaArchitecture,
  unpermuteRope,
  type FloatLlama,
  type LlamaArchitecture,
} from './llama-gguf';
export { llamaForward, ropeTables, type LlamaObserver } from './float-llama';
export { calibrateLlama, type LlamaCalibration } from './calibrate-llama';
export { quantizeLlama, NORM_DTYPE, type QuantizedLlama, type QuantizeLlamaOptions } from './quantize-llama';
export { fitSilu, siluGate, MagnitudeHistogram, type SiluFit } from './silu-gate';
export {
  DEFAULT_GGUF_CONTEXT,
  importGguf,
  type GgufImportOptions,
  type GgufImportResult,
} from './import-gguf';
