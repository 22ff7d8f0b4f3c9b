import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './support/e2e';

describe('verilay demo (the README main job)', () => {
  it('runs the whole story: honest claims final, the wrong one disputed by the watcher and slashed', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(ROOT, 'dist/apps/cli/src/main.js'),
        'demo',
        '--claims',
        '3',
        '--wrong',
        '1',
        '--window-ms',
        '10000',
      ],
      { timeout: 240_000 },
    );
    expect(stdout).toMatch(/submitted 3 signed claims: honest, honest, WRONG/);
    expect(stdout.match(/\[honest\] posted -> final/g)).toHaveLength(2);
    expect(stdout).toMatch(/\[WRONG\] challenged -> slashed \(dispute 1 by validity proof\)/);
    expect(stdout).toMatch(/all 3 claims settled: 2 final, 1 slashed/);
    expect(stdout).toMatch(/operator bond 1 -> 0.9 ETH \(slashed 0.1\)/);
    expect(stdout).toMatch(/verifier gas: postBatch \d/);
  }, 300_000);
});
