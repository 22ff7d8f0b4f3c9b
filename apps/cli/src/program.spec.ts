import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProgram } from './program';

/** Runs the CLI on `args` without exiting the process; returns what it wrote to stdout. */
function runCli(args: string[]): { out: string; error?: CommanderError } {
  let out = '';
  const sut = createProgram();
  // Subcommands copy these settings when created: set them on every one.
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const command of all(sut))
    command.exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
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

  it('claim submit --help documents the file forms, the verifier option and how refusals read', () => {
    const { out, error } = runCli(['claim', 'submit', '--help']);
    expect(error?.code).toBe('commander.helpDisplayed');
    expect(out).toContain('Usage: verilay claim submit [options] <file>');
    expect(out.replace(/\s+/g, ' ')).toContain(
      `--verifier <url> the verifier's base URL (default: "http://127.0.0.1:8080", env: VERILAY_VERIFIER_URL)`,
    );
    expect(out).toContain('refused the claims: 422 UNKNOWN_MODEL');
  });

  it('worker --executor takes auto, gpu or cpu (default VERILAY_EXECUTOR, else auto) and names a bad value', () => {
    const help = runCli(['worker', '--help']).out.replace(/\s+/g, ' ');
    expect(help).toContain('(default: "auto", env: VERILAY_EXECUTOR)');
    const { out, error } = runCli(['worker', '--redis', 'redis://127.0.0.1:1', '--executor', 'cuda']);
    expect(error?.code).toBe('commander.invalidArgument');
    expect(out).toContain('--executor is "cuda"; expected auto, gpu or cpu');
  });
});
