import { ConsoleLogger } from '@nestjs/common';
import { createAppLogger, LineLogger } from './app-logger';

describe(createAppLogger.name, () => {
  const written = (logger: ConsoleLogger, log: (l: ConsoleLogger) => void) => {
    const out: string[] = [];
    const stdout = jest
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk) => !!out.push(String(chunk)));
    const stderr = jest
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk) => !!out.push(String(chunk)));
    try {
      log(logger);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    return out.join('');
  };
  const entries = (logger: ConsoleLogger) =>
    written(logger, (l) => {
      l.log({ msg: 'claims stored', count: 2, nested: { first: '0xab', ids: [1, 2, 3] } }, 'claims');
      l.warn('two\nlines', 'batching');
      l.error('defence failed', 'Error: boom\n    at defend (x.ts:1:1)', 'disputes');
    });

  it('writes one uncoloured line per entry when stdout is not a terminal', () => {
    const sut = createAppLogger('verifier', 'text', false);
    expect(sut).toBeInstanceOf(LineLogger);
    const text = entries(sut);
    expect(text).not.toMatch(/\x1b\[/); // eslint-disable-line no-control-regex
    const lines = text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(4); // log, warn, error and its stack
    expect(lines[0]).toMatch(
      /LOG \[claims\] Object\(3\) \{ msg: 'claims stored', count: 2, nested: \{ first: '0xab', ids: \[ 1, 2, 3 \] \} \}$/,
    );
    expect(lines[1]).toMatch(/WARN \[batching\] two\\nlines$/);
    expect(lines[3]).toBe('Error: boom\\n    at defend (x.ts:1:1)');
  });

  it('keeps colours on a terminal, and JSON lines with VERIFIER_LOG_FORMAT=json', () => {
    const colourful = entries(createAppLogger('verifier', 'text', true));
    if (!process.env.NO_COLOR) expect(colourful).toMatch(/\x1b\[/); // eslint-disable-line no-control-regex
    const json = entries(createAppLogger('verifier', 'json', false))
      .split('\n')
      .filter(Boolean);
    expect(json.map((l) => (JSON.parse(l) as { level: string }).level)).toEqual(['log', 'warn', 'error']);
  });
});
