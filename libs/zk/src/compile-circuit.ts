import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CircuitCompileError } from './errors';
import { circomCli, circomlibDir, circuitsLibDir } from './paths';

export interface CompiledCircuit {
  readonly dir: string;
  readonly r1csPath: string;
  readonly wasmPath: string;
  readonly symPath: string;
  readonly nonLinearConstraints: number;
  readonly linearConstraints: number;
}

/**
 * Compiles circom source with the circom2 (WebAssembly) compiler into `dir`: .r1cs, .sym and the
 * witness calculator (name_js/name.wasm). Includes: circuits/lib and circomlib.
 * `optimization`: circom's -O level (1 keeps linear constraints, 2 substitutes them away).
 */
export async function compileCircuit(
  source: string,
  name: string,
  dir: string,
  optimization: 1 | 2 = 1,
): Promise<CompiledCircuit> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.circom`);
  writeFileSync(file, source);
  // circom2 relativises paths against its cwd and can open only the cwd's ancestors: run it from /
  // with absolute paths so that any output directory works.
  const args = [
    circomCli(),
    file,
    '--r1cs',
    '--wasm',
    '--sym',
    `--O${optimization}`,
    '-l',
    circuitsLibDir(),
    '-l',
    circomlibDir(),
    '-o',
    dir,
  ];
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(process.execPath, args, { cwd: '/', maxBuffer: 64 << 20 }));
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new CircuitCompileError(name, `${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
  // Anchored at a line start: "linear constraints" also ends "non-linear constraints".
  const count = (label: string) =>
    Number(new RegExp(`^${label}: (\\d+)`, 'm').exec(stripAnsi(stdout))?.[1] ?? NaN);
  return {
    dir,
    r1csPath: join(dir, `${name}.r1cs`),
    wasmPath: join(dir, `${name}_js`, `${name}.wasm`),
    symPath: join(dir, `${name}.sym`),
    nonLinearConstraints: count('non-linear constraints'),
    linearConstraints: count('linear constraints'),
  };
}

/** circom colours its report; drop the escape sequences before parsing it. */
function stripAnsi(text: string): string {
  return text.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
}
