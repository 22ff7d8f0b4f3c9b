// GPT-2's byte-level BPE, as GGUF files with `tokenizer.ggml.model = "gpt2"` describe it: the
// vocabulary (`tokenizer.ggml.tokens`, strings over GPT-2's byte-to-unicode alphabet), the merges
// in priority order (`tokenizer.ggml.merges`, "left right"), the token types (3 = control, e.g.
// <|im_start|>; matched literally in the text) and the pre-tokenizer (`tokenizer.ggml.pre`):
// `gpt2` splits with GPT-2's regex; `smollm` first isolates every digit (HF's
// Digits(individual_digits)), then applies the same regex to the rest, as SmolLM's tokenizer.json.
import { GgufError } from './gguf.error';
import { metaNumbers, metaString, metaStrings } from './gguf-metadata';
import type { GgufFile } from './read-gguf';

export const BPE_TOKENIZER_FORMAT = 'verilay.tokenizer.bpe.v1';
const PRE_TOKENIZERS = ['gpt2', 'smollm'] as const;
type PreTokenizer = (typeof PRE_TOKENIZERS)[number];
const CONTROL = 3;

/** The tokenizer file `verilay model import` writes next to a model (JSON). */
export interface BpeTokenizerDocument {
  readonly format: typeof BPE_TOKENIZER_FORMAT;
  readonly name: string;
  readonly pre: PreTokenizer;
  readonly tokens: readonly string[];
  readonly merges: readonly string[];
  /** Ids of the control tokens (matched literally, never produced by merges). */
  readonly control: readonly number[];
}

const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the rest 256 + n. */
function byteAlphabet(): { toChar: string[]; toByte: Map<string, number> } {
  const toChar: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    toChar[b] = String.fromCodePoint(printable ? b : 256 + n++);
  }
  return { toChar, toByte: new Map(toChar.map((c, b) => [c, b])) };
}
const ALPHABET = byteAlphabet();

export class BpeTokenizer {
  readonly vocabSize: number;
  private readonly ids = new Map<string, number>();
  private readonly ranks = new Map<string, number>();
  private readonly controlPattern: RegExp | null;
  private readonly controlIds: ReadonlySet<number>;
  private readonly cache = new Map<string, number[]>();

  constructor(readonly doc: BpeTokenizerDocument) {
    if (doc.format !== BPE_TOKENIZER_FORMAT)
      throw new GgufError(`tokenizer format is not ${BPE_TOKENIZER_FORMAT}`);
    if (!PRE_TOKENIZERS.includes(doc.pre))
      throw new GgufError(`pre-tokenizer "${doc.pre}" is not supported (${PRE_TOKENIZERS})`);
    this.vocabSize = doc.tokens.length;
    doc.tokens.forEach((t, i) => {
      if (!this.ids.has(t)) this.ids.set(t, i);
    });
    doc.merges.forEach((m, i) => {
      if (m.split(' ').length !== 2) throw new GgufError(`merge ${i} "${m}" is not two symbols`);
      if (!this.ranks.has(m)) this.ranks.set(m, i);
    });
    this.controlIds = new Set(doc.control);
    const escaped = doc.control
      .map((id) => doc.tokens[id])
      .filter((t) => t !== undefined && t.length > 0)
      .sort((a, b) => b.length - a.length)
      .map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.controlPattern = escaped.length ? new RegExp(escaped.join('|'), 'g') : null;
  }

  get name(): string {
    return this.doc.name;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    let last = 0;
    if (this.controlPattern)
      for (const m of text.matchAll(this.controlPattern)) {
        this.encodeOrdinary(text.slice(last, m.index), out);
        out.push(this.ids.get(m[0])!);
        last = m.index! + m[0].length;
      }
    this.encodeOrdinary(text.slice(last), out);
    return out;
  }

  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize)
        throw new RangeError(`token id ${id} is outside the vocabulary [0, ${this.vocabSize - 1}]`);
      const token = this.doc.tokens[id];
      if (this.controlIds.has(id)) bytes.push(...Buffer.from(token, 'utf8'));
      else for (const ch of token) bytes.push(ALPHABET.toByte.get(ch) ?? 0x3f);
    }
    return Buffer.from(bytes).toString('utf8');
  }

  private encodeOrdinary(text: string, out: number[]): void {
    if (!text) return;
    const pieces = this.doc.pre === 'smollm' ? text.split(/(\p{N})/u).filter((p) => p) : [text];
    for (const piece of pieces)
      for (const word of piece.match(GPT2_SPLIT) ?? []) out.push(...this.word(word));
  }

  /** BPE of one pre-token: merge the adjacent pair of lowest rank until none has a rank. */
  private word(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    let symbols = [...Buffer.from(word, 'utf8')].map((b) => ALPHABET.toChar[b]);
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
      }
      if (best < 0) break;
      const [a, b] = [symbols[best], symbols[best + 1]];
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++)
        if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
          merged.push(a + b);
          i++;
        } else merged.push(symbols[i]);
      symbols = merged;
    }
    const ids = symbols.map((s) => {
      const id = this.ids.get(s);
      if (id === undefined) throw new GgufError(`BPE symbol "${s}" is not in the vocabulary`);
      return id;
    });
    if (this.cache.size < 100_000) this.cache.set(word, ids);
    return ids;
  }
}

/** The tokenizer a GGUF file describes (`tokenizer.ggml.model` must be `gpt2`). */
export function bpeTokenizerDocument(file: GgufFile, name: string): BpeTokenizerDocument {
  const model = metaString(file, 'tokenizer.ggml.model');
  if (model !== 'gpt2') throw new GgufError(`tokenizer.ggml.model "${model}" is not gpt2 (byte-level BPE)`);
  const pre = metaString(file, 'tokenizer.ggml.pre', 'gpt2');
  if (!(PRE_TOKENIZERS as readonly string[]).includes(pre))
    throw new GgufError(`tokenizer.ggml.pre "${pre}" is not supported (${PRE_TOKENIZERS})`);
  const tokens = metaStrings(file, 'tokenizer.ggml.tokens');
  const types = file.metadata.has('tokenizer.ggml.token_type')
    ? metaNumbers(file, 'tokenizer.ggml.token_type')
    : [];
  const control = types.flatMap((t, i) => (t === CONTROL ? [i] : []));
  return {
    format: BPE_TOKENIZER_FORMAT,
    name,
    pre: pre as PreTokenizer,
    tokens,
    merges: metaStrings(file, 'tokenizer.ggml.merges'),
    control,
  };
}

/** A tokenizer file (JSON text) read back, its fields checked. */
export function parseBpeTokenizer(json: string): BpeTokenizer {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (cause) {
    throw new GgufError('tokenizer file is not JSON', { cause });
  }
  const d = doc as Partial<BpeTokenizerDocument>;
  const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (
    typeof d !== 'object' ||
    d === null ||
    typeof d.name !== 'string' ||
    !strings(d.tokens) ||
    !strings(d.merges) ||
    !Array.isArray(d.control) ||
    !d.control.every((i) => Number.isInteger(i) && i >= 0 && i < d.tokens!.length)
  )
    throw new GgufError(`tokenizer file is not a ${BPE_TOKENIZER_FORMAT} document`);
  return new BpeTokenizer(d as BpeTokenizerDocument);
}
