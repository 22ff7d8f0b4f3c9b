import { join } from 'node:path';

export const ROOT = join(__dirname, '../../..');
export const VERIFIER_ENTRY = join(ROOT, 'dist/apps/verifier/src/main.js');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export const WATCHER_ENTRY = join(ROOT, 'dist/apps/watcher/src/main.js');
export const CLI_ENTRY = join(ROOT, 'dist/apps/cli/src/main.js');
