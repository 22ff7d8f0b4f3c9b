// `verilay model import <file.gguf>`: a LLaMA-architecture GGUF to a verilay.model.v2 language
// model and its tokenizer. Weights are dequantized from the file's types, calibrated on the given
// text, and quantized by quantizeLlama (docs/models.md, "SmolLM2-135M").
import { buildModel, type LoadOptions, type Model } from '@verilay/inference';
import { BpeTokenizer, bpeTokenizerDocument, type BpeTokenizerDocument } from './bpe-tokenizer';
import { calibrateLlama } from './calibrate-llama';
import { GgufError } from './gguf.error';
import { metaString } from './gguf-metadata';
import { readFloatLlama, type LlamaArchitecture } from './llama-gguf';
import { quantizeLlama, type QuantizedLlama, type QuantizeLlamaOptions } from './quantize-llama';
import { readGguf } from './read-gguf';

export interface GgufImportOptions {
  /** Context T of the verilay model (its input is T token ids). Default 64. */
  readonly context?: number;
  readonly name?: string;
  /** Text the activation ranges are calibrated on (cut into windows of T tokens). */
  readonly calibrationText: string;
  /** Windows of calibration text used (default 4). */
  readonly calibrationWindows?: number;
  readonly residualHeadroom?: number;
  readonly productDtype?: QuantizeLlamaOptions['productDtype'];
  readonly logitDtype?: QuantizeLlamaOptions['logitDtype'];
  readonly attentionDtype?: QuantizeLlamaOptions['attentionDtype'];
  readonly sinkSplit?: number;
  /** Passed to buildModel (the compute budget). */
  readonly load?: LoadOptions;
}

export interface GgufImportResult {
  readonly model: Model;
  readonly quantized: QuantizedLlama;
  readonly arch: LlamaArchitecture;
  readonly tokenizer: BpeTokenizerDocument;
  readonly calibration: { readonly windows: number; readonly tokens: number };
}

export const DEFAULT_GGUF_CONTEXT = 64;

export function importGguf(bytes: Uint8Array, options: GgufImportOptions): GgufImportResult {
  const file = readGguf(bytes);
  const T = options.context ?? DEFAULT_GGUF_CONTEXT;
  if (!Number.isInteger(T) || T < 2 || T > 4096)
    throw new GgufError(`context ${T} is not an integer in [2, 4096]`);
  const name = (options.name ?? metaString(file, 'general.name', 'gguf-model')).slice(0, 200);
  const tokenizer = bpeTokenizerDocument(file, name);
  const float = readFloatLlama(file);
  if (tokenizer.tokens.length !== float.arch.vocab)
    throw new GgufError(
      `the tokenizer has ${tokenizer.tokens.length} tokens, the embedding ${float.arch.vocab} rows`,
    );
  const ids = new BpeTokenizer(tokenizer).encode(options.calibrationText);
  const count = Math.min(options.calibrationWindows ?? 4, Math.floor(ids.length / T));
  if (count < 1)
    throw new GgufError(`the calibration text has ${ids.length} tokens, fewer than one window of ${T}`);
  const windows = Array.from({ length: count }, (_, w) => ids.slice(w * T, w * T + T));
  const quantized = quantizeLlama(float, calibrateLlama(float, windows), {
    context: T,
    name,
    residualHeadroom: options.residualHeadroom ?? 1,
    productDtype: options.productDtype ?? 'int16',
    logitDtype: options.logitDtype ?? 'int8',
    attentionDtype: options.attentionDtype ?? 'int8',
    sinkSplit: options.sinkSplit ?? 1.5,
  });
  return {
    model: buildModel(quantized.spec, options.load),
    quantized,
    arch: float.arch,
    tokenizer,
    calibration: { windows: count, tokens: count * T },
  };
}
