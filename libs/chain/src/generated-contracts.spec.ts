import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { compileSolidity, contractsDir } from './compile-solidity';
import { modelRegistryBytecode, verilayClaimsBytecode } from './generated/contracts';

describe('generated contract modules', () => {
  it('match what solc makes of contracts/src today (run `npm run contracts` after editing Solidity)', () => {
    const root = contractsDir();
    const sources: Record<string, string> = {};
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.sol')) sources[relative(root, path)] = readFileSync(path, 'utf8');
      }
    };
    walk(join(root, 'src'));
    const compiled = compileSolidity(sources, [root, join(root, '../node_modules')]);
    // The bytecode ends in the metadata hash of every source, so any edit shows here.
    expect(compiled.VerilayClaims.bytecode).toBe(verilayClaimsBytecode);
    expect(compiled.ModelRegistry.bytecode).toBe(modelRegistryBytecode);
  }, 120_000);
});
