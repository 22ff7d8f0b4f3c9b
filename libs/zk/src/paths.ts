import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root: the nearest ancestor holding circuits/lib/verilay.circom (works from src and dist). */
export function repoRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'circuits/lib/verilay.circom'))) return dir;
    if (dirname(dir) === dir) throw new Error(`verilay circuits not found above ${from}`);
  }
}

export const circuitsLibDir = () => join(repoRoot(), 'circuits/lib');
export const circomlibDir = () => join(dirname(require.resolve('circomlib/package.json')), 'circuits');
export const circomCli = () => require.resolve('circom2/cli.js');
/** snarkjs' package root (its `exports` map hides package.json, templates/ and the CLI from require.resolve). */
export const snarkjsDir = () => dirname(dirname(require.resolve('snarkjs')));
export const snarkjsCli = () => join(snarkjsDir(), 'build/cli.cjs');
export const devPtauPath = () => join(repoRoot(), 'circuits/ptau/pot14_final.ptau');
export const DEV_PTAU_POWER = 14;
