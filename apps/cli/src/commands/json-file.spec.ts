import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readInput } from './input-file';
import { firstJsonError, parseJson, readJsonFile } from './json-file';
import { readModel } from './model-file';

describe(parseJson.name, () => {
  it('names the file, the line and the column of the first error, with what is wrong', () => {
    expect(() => parseJson('{\n  "data": [1, 2,\n  x]\n}', 'input.json')).toThrow(
      "input.json: not valid JSON at line 3, column 3: Unexpected token 'x'",
    );
    expect(() => parseJson('[1, 2', 'a.json')).toThrow(
      "a.json: not valid JSON at line 1, column 6: Expected ',' or ']' after array element",
    );
    expect(() => parseJson('', 'empty.json')).toThrow(
      'empty.json: not valid JSON at line 1, column 1: Unexpected end of JSON input',
    );
  });

  it('parses JSON', () => {
    expect(parseJson('{"a": [1, -2.5e3, "\\u00e9\\n", true, null]}', 'f')).toEqual({
      a: [1, -2.5e3, 'é\n', true, null],
    });
  });
});

describe(firstJsonError.name, () => {
  it('finds the offset where JSON.parse fails, and nothing in valid JSON', () => {
    const cases: [string, number | undefined][] = [
      ['{"a": x}', 6],
      ['[1,]', 3],
      ['[01]', 2],
      ['{a:1}', 1],
      ['"abc', 4],
      ['"a\u0001"', 2],
      ['[1] x', 4],
      ['[1, "\\q"]', 6],
      [' {"a": {"b": [1, 2, {}]}, "c": "\\"\\u1234"} ', undefined],
      ['-0.5e-3', undefined],
    ];
    for (const [text, at] of cases) {
      expect(firstJsonError(text)).toBe(at);
      if (at === undefined) expect(() => JSON.parse(text)).not.toThrow();
      else expect(() => JSON.parse(text)).toThrow(SyntaxError);
    }
  });
});

describe('CLI input files', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'verilay-json-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an input file that is not JSON is named with the position', () => {
    const file = join(dir, 'input.json');
    writeFileSync(file, '{ "data": [1, 2, 3], }');
    expect(() => readInput(file)).toThrow(`${file}: not valid JSON at line 1, column 22`);
    expect(() => readJsonFile(join(dir, 'missing.json'))).toThrow(
      `${join(dir, 'missing.json')}: cannot read it`,
    );
  });

  it('a model file that is not JSON, or not a model, is named', () => {
    const file = join(dir, 'model.json');
    writeFileSync(file, '{"format": "verilay.model.v1",\n "name": "m" "layers": []}');
    expect(() => readModel(file)).toThrow(`${file}: not valid JSON at line 2, column 14`);
    writeFileSync(file, '{"format": "verilay.model.v1"}');
    expect(() => readModel(file)).toThrow(`${file}: Invalid model: input: must be an object`);
  });
});
