// circomlibjs loads ffjavascript, which loads the `web-worker` package. In any thread but the
// main one, `web-worker` assumes it is one of its own workers and fails on load (it reads a
// workerData it never got). Poseidon needs no threads, so before anything loads it, a worker
// thread of ours installs a stand-in for that module that refuses to start nested workers.
import Module from 'node:module';
import { dirname } from 'node:path';
import { isMainThread } from 'node:worker_threads';

if (!isMainThread) {
  const from = dirname(require.resolve('ffjavascript'));
  const path = require.resolve('web-worker', { paths: [from] });
  const stub = new Module(path);
  stub.filename = path;
  stub.loaded = true;
  stub.exports = function NestedWorkersUnavailable() {
    throw new Error('verilay replay threads do not start nested web workers');
  };
  require.cache[path] = stub;
}
