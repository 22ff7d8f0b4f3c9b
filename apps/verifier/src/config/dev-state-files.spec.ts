import { devApiKeyFile } from '@verilay/client';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { embeddedDeploymentFile, loadVerifierConfig } from './verifier.config';

const root = join(__dirname, '..', '..', '..', '..');

describe('files a development verifier writes beside its database', () => {
  // README, "Running the verifier": VERIFIER_DB=verifier.sqlite in the repo root.
  const config = loadVerifierConfig({ VERIFIER_DB: 'verifier.sqlite' });
  const files = [
    config.dbPath,
    config.anvilStateFile,
    embeddedDeploymentFile(config.anvilStateFile),
    devApiKeyFile(config.dbPath),
  ];

  it('are named after the database', () => {
    expect(files).toEqual([
      'verifier.sqlite',
      'verifier.sqlite.anvil.json',
      'verifier.sqlite.anvil.json.deployment.json',
      'verifier.sqlite.api-key',
    ]);
  });

  it('are ignored by git and by npm run check (prettier reads .gitignore and .prettierignore)', () => {
    const prettier = join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
    for (const file of files) {
      // check-ignore exits 1 for a file that is not ignored, and execFileSync throws.
      expect(() => execFileSync('git', ['check-ignore', '-q', file], { cwd: root })).not.toThrow();
      const info = JSON.parse(
        execFileSync(process.execPath, [prettier, '--file-info', file], { cwd: root, encoding: 'utf8' }),
      ) as { ignored: boolean };
      expect({ file, ignored: info.ignored }).toEqual({ file, ignored: true });
    }
  });
});
