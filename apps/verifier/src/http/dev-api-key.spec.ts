import { Logger } from '@nestjs/common';
import { devApiKeyFile } from '@verilay/client';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadVerifierConfig } from '../config/verifier.config';
import { withDevApiKey } from './dev-api-key';

describe(withDevApiKey.name, () => {
  let dir: string;
  const config = () => loadVerifierConfig({ VERIFIER_DB: join(dir, 'v.sqlite'), VERIFIER_CHAIN: 'off' });
  const quiet = new Logger('test');
  quiet.log = () => undefined;

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'verilay-devkey-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a key file planted as a link (in a shared directory) instead of writing through it', () => {
    const target = join(dir, 'elsewhere');
    symlinkSync(target, devApiKeyFile(join(dir, 'v.sqlite')));
    expect(() => withDevApiKey(config(), quiet)).toThrow(/regular file of this user with mode 0600/);
    expect(() => readFileSync(target)).toThrow(); // nothing written through the link
  });

  it('refuses a key file others can read (a key anyone may know is no key)', () => {
    const file = devApiKeyFile(join(dir, 'v.sqlite'));
    writeFileSync(file, 'planted-token\n');
    chmodSync(file, 0o644);
    expect(() => withDevApiKey(config(), quiet)).toThrow(/mode 0600/);
  });
});
