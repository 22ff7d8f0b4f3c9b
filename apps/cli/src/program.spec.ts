import { CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProgram } from './program';

/** Runs the CLI on `args` without exiting the process; returns what it wrote to stdout. */
function runCli(args: string[]): { out: string; error?: CommanderError } {
  let out = '';
  const sut = createProgram()
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  try {
    sut.parse(['node', 'verilay', ...args]);
    return { out };
  } catch (error) {
    return { out, error: error as CommanderError };
  }
}

describe(createProgram.name, () => {
  it('--version and -V print the version of package.json', () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const { out, error } = runCli([flag]);
      expect(out).toBe(`${version}\n`);
      expect(error?.code).toBe('commander.version');
    }
  });
});
