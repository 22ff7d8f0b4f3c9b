import { parseBpeTokenizer } from '@verilay/gguf';
import { existsSync, readFileSync } from 'node:fs';

/** Text to token ids and back, for one model's vocabulary. */
export interface Tokenizer {
  readonly name: string;
  readonly vocabSize: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
}

/** The id non-ASCII bytes map to in the 7-bit ASCII tokenizer: ASCII SUB (the tiny LM's choice). */
export const ASCII_REPLACEMENT = 0x1a;

/**
 * 7-bit ASCII, one token per UTF-8 byte: byte b < 128 is token b, every other byte is
 * `ASCII_REPLACEMENT`. The tiny LM (models/tiny-llm) is trained on this vocabulary of 128.
 */
export const asciiTokenizer: Tokenizer = {
  name: 'ascii7',
  vocabSize: 128,
  encode: (text) => [...Buffer.from(text, 'utf8')].map((b) => (b < 128 ? b : ASCII_REPLACEMENT)),
  decode: (ids) => {
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= 128);
    if (bad !== undefined) throw new RangeError(`token id ${bad} is outside the ascii7 vocabulary [0, 127]`);
    return String.fromCharCode(...ids);
  },
};

const TOKENIZERS: Record<string, Tokenizer> = { [asciiTokenizer.name]: asciiTokenizer };

/**
 * A tokenizer by name (`ascii7`), or the tokenizer file at that path (the byte-level BPE JSON that
 * `verilay model import` writes next to a GGUF model, libs/gguf).
 */
export function tokenizerByName(name: string): Tokenizer {
  const tokenizer = TOKENIZERS[name];
  if (!tokenizer && existsSync(name)) return parseBpeTokenizer(readFileSync(name, 'utf8'));
  if (!tokenizer) throw new RangeError(`unknown tokenizer "${name}" (known: ${Object.keys(TOKENIZERS)})`);
  return tokenizer;
}
