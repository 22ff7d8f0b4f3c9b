import {
  computeModelId,
  encodeModel,
  InvalidModelError,
  modelToJson,
  randomTransformer,
  readModelFile,
} from '@verilay/inference';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('readModelFile', () => {
  it('reads canonical bytes (.vlm, named after the file) and JSON documents to the same model', () => {
    const dir = mkdtempSync(join(tmpdir(), 'verilay-model-file-'));
    try {
      const model = randomTransformer(3);
      writeFileSync(join(dir, 'lm.vlm'), encodeModel(model));
      writeFileSync(join(dir, 'lm.json'), JSON.stringify(modelToJson(model)));
      const bytes = readModelFile(join(dir, 'lm.vlm'));
      expect(bytes.name).toBe('lm');
      expect(computeModelId(bytes)).toBe(computeModelId(model));
      expect(computeModelId(readModelFile(join(dir, 'lm.json')))).toBe(computeModelId(model));
      writeFileSync(join(dir, 'cut.vlm'), encodeModel(model).subarray(0, 40));
      expect(() => readModelFile(join(dir, 'cut.vlm'))).toThrow(InvalidModelError);
      writeFileSync(join(dir, 'bad.json'), '{"format":');
      expect(() => readModelFile(join(dir, 'bad.json'))).toThrow(InvalidModelError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
