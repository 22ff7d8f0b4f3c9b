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
export const ptauDir = () => join(repoRoot(), 'circuits/ptau');
/** The committed development powers of tau (snarkjs, scripts/make-ptau.sh): 2^14. */
export const devPtauPath = () => join(ptauDir(), 'pot14_final.ptau');
export const DEV_PTAU_POWER = 14;
/**
 * A larger development powers of tau, written by the native core on first need (gitignored;
 * libs/zk/src/dev-ptau.ts) and checked against its sha256 committed in circuits/ptau/pot_dev.sha256.
 */
export const nativeDevPtauPath = (power: number) => join(ptauDir(), `pot${power}_dev.ptau`);
/** sha256sum's format: the committed hashes of the native development files (2^15 … 2^20). */
export const devPtauHashesPath = () => join(ptauDir(), 'pot_dev.sha256');
