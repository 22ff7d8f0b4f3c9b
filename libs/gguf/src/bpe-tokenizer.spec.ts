import {
  BPE_TOKENIZER_FORMAT,
  BpeTokenizer,
  bpeTokenizerDocument,
  encodeGguf,
  GgufError,
  parseBpeTokenizer,
  readGguf,
  type BpeTokenizerDocument,
} from '@verilay/gguf';
import { realGguf } from './gguf.spec-helper';

// A toy vocabulary over GPT-2's byte alphabet ('Ġ' is the space byte, 'Ċ' the newline).
const base = ['<|end|>', 'a', 'b', 'c', 'Ġ', '1', '2', 'Ċ', '!', 'Ã', '©'];
const merges = ['a b', 'Ġ a', 'ab c', 'Ġa b', 'Ã ©', '1 2'];
const doc = (pre: 'gpt2' | 'smollm'): BpeTokenizerDocument => ({
  format: BPE_TOKENIZER_FORMAT,
  name: 'toy',
  pre,
  tokens: [...base, 'ab', 'Ġa', 'abc', 'Ġab', 'Ã©', '12'],
  merges,
  control: [0],
});

describe(BpeTokenizer.name, () => {
  describe('encode', () => {
    it('applies merges by rank, not left to right', () => {
      const sut = new BpeTokenizer(doc('gpt2'));
      // "abc": a+b (rank 0) then ab+c (rank 2); " ab": a+b (0) before Ġ+a (1), and "Ġ ab" is no
      // merge, so not Ġab (left to right would give Ġa, then Ġab).
      expect(sut.encode('abc ab')).toEqual([13, 4, 11]);
      expect(sut.encode('ba')).toEqual([2, 1]);
    });

    it('maps bytes through the GPT-2 alphabet (é is Ã© as bytes) and keeps control tokens whole', () => {
      const sut = new BpeTokenizer(doc('gpt2'));
      expect(sut.encode('é<|end|>\n!')).toEqual([15, 0, 7, 8]);
    });

    it('splits digits one by one with the smollm pre-tokenizer, not with gpt2', () => {
      expect(new BpeTokenizer(doc('gpt2')).encode('12')).toEqual([16]);
      expect(new BpeTokenizer(doc('smollm')).encode('12')).toEqual([5, 6]);
    });

    it('fails with a GgufError on a byte the vocabulary lacks', () => {
      expect(() => new BpeTokenizer(doc('gpt2')).encode('z')).toThrow(GgufError);
    });
  });

  describe('decode', () => {
    it('inverts encode, control tokens included, and refuses ids outside the vocabulary', () => {
      const sut = new BpeTokenizer(doc('smollm'));
      const text = 'abc ab\n<|end|>é12!';
      expect(sut.decode(sut.encode(text))).toBe(text);
      expect(() => sut.decode([17])).toThrow(RangeError);
      expect(() => sut.decode([1.5])).toThrow(RangeError);
    });
  });

  it('is read from GGUF metadata (tokens, merges, control types, pre) and from its JSON file', () => {
    const file = readGguf(
      encodeGguf(
        [
          ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
          ['tokenizer.ggml.pre', { type: 'string', value: 'smollm' }],
          ['tokenizer.ggml.tokens', { type: 'array', elementType: 'string', value: doc('gpt2').tokens }],
          ['tokenizer.ggml.merges', { type: 'array', elementType: 'string', value: merges }],
          [
            'tokenizer.ggml.token_type',
            {
              type: 'array',
              elementType: 'int32',
              value: doc('gpt2').tokens.map((_, i) => (i === 0 ? 3 : 1)),
            },
          ],
        ],
        [],
      ),
    );
    const document = bpeTokenizerDocument(file, 'toy');
    expect(document).toEqual(doc('smollm'));
    const sut = parseBpeTokenizer(JSON.stringify(document));
    expect(sut.encode('abc 12')).toEqual([13, 4, 5, 6]);
    expect(() => parseBpeTokenizer('{')).toThrow(GgufError);
    expect(() => parseBpeTokenizer(JSON.stringify({ ...document, control: [99] }))).toThrow(GgufError);
    expect(() => parseBpeTokenizer(JSON.stringify({ ...document, pre: 'llama3' }))).toThrow(/not supported/);
  });

  it('encodes like Hugging Face tokenizers on the real SmolLM2 vocabulary (ids recorded)', () => {
    const bytes = realGguf();
    if (!bytes) return;
    const sut = new BpeTokenizer(bpeTokenizerDocument(readGguf(bytes), 'smollm2'));
    // scripts/smollm2/.venv, tokenizers 0.x: BPE(vocab, merges), Digits(individual) + ByteLevel.
    const text = 'Hello world! In 1984, naïve café’s  test\n\nok<|im_start|>user';
    expect(sut.encode(text)).toEqual([
      19556, 905, 17, 533, 216, 33, 41, 40, 36, 28, 15486, 46494, 37366, 417, 99, 216, 1028, 198, 198, 2231,
      1, 4093,
    ]);
    expect(sut.decode(sut.encode(text))).toBe(text);
    expect(sut.encode('In the beginning God created the heaven and the earth.')).toEqual([
      788, 260, 3616, 1839, 2312, 260, 10419, 284, 260, 3103, 30,
    ]);
  });
});
