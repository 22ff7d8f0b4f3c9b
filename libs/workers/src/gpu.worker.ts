// Worker-thread entry of the GPU executor: opens the one GPU device of its executor, says which
// adapter it got (or why none), then replays the batches its parent posts, one at a time. Runs
// from the compiled build (dist/libs/workers/src).
import type { NativeGpuHandle, NativeGpuOptions } from '@verilay/native';
import { parentPort, workerData } from 'node:worker_threads';
import { GpuReplayer } from './gpu-replayer';
import type { GpuRequest, GpuResponse } from './gpu-messages';
import { gpuErrorMessage, openGpu } from './open-gpu';

const port = parentPort!;
const post = (m: GpuResponse) => port.postMessage(m);
let gpu: NativeGpuHandle | undefined;
let replayer: GpuReplayer | undefined;

try {
  gpu = openGpu(workerData as NativeGpuOptions);
  replayer = new GpuReplayer(gpu);
  post({ type: 'ready', adapter: gpu.info() });
} catch (error) {
  post({ type: 'unavailable', reason: gpuErrorMessage(error) });
}

port.on('message', (m: GpuRequest) => {
  if (m.type === 'batch') post({ type: 'batch', ...replayer!.replayBatch(m.jobs) });
  else {
    gpu?.destroy();
    post({ type: 'destroyed' });
  }
});
