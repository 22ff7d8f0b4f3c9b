import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './support/e2e';

describe('verilay demo (the README main job)', () => {
  it('starts a verifier, submits signed claims and shows each one reach final', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'dist/apps/cli/src/main.js'), 'demo', '--claims', '3', '--window-ms', '10000'],
      {
        timeout: 60_000,
      },
    );
    expect(stdout).toMatch(/submitted 3 signed claims/);
    expect(stdout.match(/posted -> final/g)).toHaveLength(3);
    expect(stdout).toMatch(/all 3 claims final/);
  });
});
