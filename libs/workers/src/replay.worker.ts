// Worker-thread entry of the CPU executor: builds its own Poseidon once, then replays the jobs
// its parent posts, one at a time. Runs from the compiled build (dist/libs/workers/src).
import './detach-web-worker';
import { createTensorCommitter } from '@verilay/commitments';
import { parentPort } from 'node:worker_threads';
import { ModelCache, replay } from './replay';
import type { ReplayJob } from './replay-job';

const committer = createTensorCommitter();
const models = new ModelCache();

parentPort!.on('message', async (job: ReplayJob) => {
  try {
    parentPort!.postMessage({ ok: true, result: replay(job, models, await committer) });
  } catch (error) {
    parentPort!.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});
