// Worker-thread entry of the claim intake (IntakeThreads): its own tensor committer (native
// Poseidon when the addon loads, else circomlibjs), then the jobs its parent posts, in order.
import { createTensorCommitter } from '@verilay/commitments';
import { parentPort } from 'node:worker_threads';
import { runIntakeJob, type IntakeJob } from './intake-jobs';

const committer = createTensorCommitter();

parentPort!.on('message', async ({ id, job }: { id: number; job: IntakeJob }) => {
  try {
    parentPort!.postMessage({ id, ok: true, result: runIntakeJob(job, await committer) });
  } catch (error) {
    parentPort!.postMessage({ id, ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});
