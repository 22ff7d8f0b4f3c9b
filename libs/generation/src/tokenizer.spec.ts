import { tokenizerByName } from '@verilay/generation';
import { BPE_TOKENIZER_FORMAT } from '@verilay/gguf';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('tokenizerByName', () => {
  it('names ascii7, reads a BPE tokenizer file by its path, and refuses anything else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'verilay-tokenizer-'));
    try {
      const file = join(dir, 'model.tokenizer.json');
      const doc = {
        format: BPE_TOKENIZER_FORMAT,
        name: 'toy',
        pre: 'gpt2',
        tokens: ['a', 'b', 'ab', 'Ġ'],
        merges: ['a b'],
        control: [],
      };
      writeFileSync(file, JSON.stringify(doc));
      expect(tokenizerByName('ascii7').vocabSize).toBe(128);
      const sut = tokenizerByName(file);
      expect([sut.name, sut.vocabSize]).toEqual(['toy', 4]);
      expect(sut.encode('ab ba')).toEqual([2, 3, 1, 0]);
      writeFileSync(file, '{"format":"other"}');
      expect(() => tokenizerByName(file)).toThrow(/tokenizer/);
      expect(() => tokenizerByName(join(dir, 'absent.json'))).toThrow(/unknown tokenizer/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
