import Module from 'node:module';
import { dirname, join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

/** Puts `exports` in the module cache for `path`, so a later require of it gets them. */
function pin(path: string, exports: unknown): void {
  const pinned = new Module(path);
  pinned.filename = path;
  pinned.loaded = true;
  pinned.exports = exports;
  require.cache[path] = pinned;
}

// circomlibjs requires `blake-hash` at load (for its Pedersen hash and EdDSA, which verilay never
// calls), and blake-hash loads a native addon when it finds a prebuilt one. That addon is not safe
// across worker threads: with it loaded in the main thread and in replay or intake threads,
// stopping a thread corrupted the process heap (free(): invalid pointer, SIGSEGV; reproduced in a
// few start/stop cycles of CpuExecutor, and by libs/workers' thread-cycling spec). So blake-hash is
// pinned to its own JavaScript build before circomlibjs loads, in every thread.
const circomlibjsDir = dirname(require.resolve('circomlibjs'));
const blakeHash = require.resolve('blake-hash', { paths: [circomlibjsDir] });
// eslint-disable-next-line @typescript-eslint/no-require-imports
if (!require.cache[blakeHash]) pin(blakeHash, require(join(dirname(blakeHash), 'js.js')));

// circomlibjs loads ffjavascript, which loads the `web-worker` package. In any thread but the main
// one, `web-worker` takes itself for one of its own workers and fails on load (it reads a
// workerData it never got). Poseidon needs no nested threads, so a worker thread (replay, intake)
// gets a stand-in that refuses them.
if (!isMainThread) {
  const ffjavascriptDir = dirname(require.resolve('ffjavascript', { paths: [circomlibjsDir] }));
  pin(require.resolve('web-worker', { paths: [ffjavascriptDir] }), function NoNestedWorkers() {
    throw new Error('verilay worker threads start no nested web workers');
  });
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const { buildPoseidon } = require('circomlibjs') as typeof import('circomlibjs');
