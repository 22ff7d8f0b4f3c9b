import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ReplayExecutor } from './replay-executor';
import type { ReplayJob, ReplayResult } from './replay-job';

interface Slot {
  readonly worker: Worker;
  busy?: { resolve(r: ReplayResult): void; reject(e: Error): void };
}

/**
 * Replays on the CPU in worker threads (default: one per core). Each thread keeps its own
 * Poseidon and model cache; a job goes to the first idle thread, others wait in order.
 */
export class CpuExecutor extends ReplayExecutor {
  readonly concurrency: number;
  private readonly slots: Slot[] = [];
  private readonly waiting: { job: ReplayJob; resolve(r: ReplayResult): void; reject(e: Error): void }[] = [];
  private closed = false;

  constructor(options: { threads?: number } = {}) {
    super();
    this.concurrency = Math.max(1, options.threads ?? availableParallelism());
    const entry = workerEntry();
    for (let i = 0; i < this.concurrency; i++) {
      const slot: Slot = { worker: new Worker(entry) };
      slot.worker.on('message', (m: { ok: boolean; result?: ReplayResult; error?: string }) => {
        const busy = slot.busy!;
        slot.busy = undefined;
        if (m.ok) busy.resolve(m.result!);
        else busy.reject(new Error(m.error));
        this.dispatch();
      });
      slot.worker.on('error', (e) => {
        slot.busy?.reject(e);
        slot.busy = undefined;
      });
      this.slots.push(slot);
    }
  }

  execute(job: ReplayJob): Promise<ReplayResult> {
    if (this.closed) return Promise.reject(new Error('executor closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reject(new Error('executor closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy || this.waiting.length === 0) continue;
      const next = this.waiting.shift()!;
      slot.busy = { resolve: next.resolve, reject: next.reject };
      slot.worker.postMessage(next.job);
    }
  }
}

/**
 * The compiled worker script: beside this file in the build, or in the build of this checkout
 * when this file runs from source (ts-jest).
 */
function workerEntry(): string {
  const beside = join(__dirname, 'replay.worker.js');
  if (existsSync(beside)) return beside;
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  while (!existsSync(join(dir, 'nest-cli.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const built = join(dir, 'dist/libs/workers/src/replay.worker.js');
  if (existsSync(built)) return built;
  throw new Error(`CpuExecutor needs its compiled worker (${beside}): run npm run build`);
}
