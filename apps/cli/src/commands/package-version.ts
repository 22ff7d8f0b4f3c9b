import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The version in verilay's package.json: the first one above this file that names the package
 * verilay (the sources run from apps/cli/src, the build from dist/apps/cli/src: not the same depth).
 */
export function packageVersion(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === 'verilay' && manifest.version) return manifest.version;
    } catch {
      // no package.json here (or not JSON): look further up
    }
    if (dirname(dir) === dir) throw new Error(`no package.json of verilay above ${from}`);
  }
}
