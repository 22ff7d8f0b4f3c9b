import { readFileSync } from 'node:fs';

/**
 * Reads and parses a JSON file. A file that is not JSON is named with the line and column of the
 * first error: V8's own message gives a position for some errors only ("Unexpected token 'x', …"
 * has none on Node 20), so the position comes from `firstJsonError`.
 */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new Error(`${file}: cannot read it (${(cause as Error).message})`, { cause });
  }
  return parseJson(text, file);
}

/** `JSON.parse`, with an error that names `file` and where in it the JSON goes wrong. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    const reason = (cause as Error).message
      .replace(/ in JSON at position \d+.*$/, '')
      .replace(/, ".*" is not valid JSON$/s, '');
    const at = firstJsonError(text);
    const where = at === undefined ? '' : ` at line ${lineColumn(text, at)}`;
    throw new Error(`${file}: not valid JSON${where}: ${reason}`, { cause });
  }
}

/** `line L, column C` (both from 1) of the character at `offset`. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `${line}, column ${offset - before.lastIndexOf('\n')}`;
}

/**
 * The offset of the first character where `text` stops being JSON (RFC 8259), or undefined when
 * it is JSON (or nests too deep to scan). The end of the text is an offset too: `[1,` fails there.
 */
export function firstJsonError(text: string): number | undefined {
  let i = 0;
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const expect = (c: string) => {
    if (text[i] !== c) throw i;
    i++;
  };
  const string = () => {
    expect('"');
    for (;;) {
      if (i >= text.length || text.charCodeAt(i) < 0x20) throw i;
      const c = text[i++];
      if (c === '"') return;
      if (c !== '\\') continue;
      if (text[i] === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) i += 5;
      else if (text[i] !== undefined && '"\\/bfnrt'.includes(text[i])) i++;
      else throw i;
    }
  };
  const sequence = (close: string, item: () => void) => {
    i++;
    space();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      space();
      if (text[i] === ',') i++;
      else return expect(close);
    }
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{')
      sequence('}', () => {
        space();
        string();
        space();
        expect(':');
        value();
      });
    else if (c === '[') sequence(']', value);
    else if (c === '"') string();
    else {
      const word = ['true', 'false', 'null'].find((w) => text.startsWith(w, i));
      NUMBER.lastIndex = i;
      if (word) i += word.length;
      else if (NUMBER.test(text)) i = NUMBER.lastIndex;
      else throw i;
    }
  };
  try {
    value();
    space();
    if (i < text.length) throw i;
    return undefined;
  } catch (at) {
    if (typeof at === 'number') return at;
    return undefined; // RangeError: nested deeper than the stack
  }
}
