// Worker-thread entry of the CPU executor: builds its own Poseidon once, then replays the jobs
// its parent posts, one at a time (after it said it is ready). Runs from the compiled build (dist/libs/workers/src).
import { createTensorCommitter } from '@verilay/commitments';
import { parentPort } from 'node:worker_threads';
import { ModelCache, replay } from './replay';
import type { ReplayJob } from './replay-job';

const committer = createTensorCommitter();
const models = new ModelCache();
// The parent sends jobs once the thread is ready, so a job's time budget is its replay only.
void committer.then(() => parentPort!.postMessage({ ready: true }));

parentPort!.on('message', async (job: ReplayJob) => {
  try {
    parentPort!.postMessage({ ok: true, result: replay(job, models, await committer) });
  } catch (error) {
    parentPort!.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});
