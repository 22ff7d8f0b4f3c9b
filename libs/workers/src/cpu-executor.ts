import { BaseError } from '@verilay/errors';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ReplayExecutor } from './replay-executor';
import type { ReplayJob, ReplayResult } from './replay-job';

interface Slot {
  worker: Worker;
  /** The thread has built its Poseidon: a job's time budget counts replay time only. */
  ready: boolean;
  busy?: { resolve(r: ReplayResult): void; reject(e: Error): void; timer?: NodeJS.Timeout };
}

/** A replay ran past the executor's `jobTimeoutMs`: its thread was stopped, nothing was computed. */
export class ReplayTimeoutError extends BaseError {
  readonly code = 'REPLAY_TIMEOUT';
  constructor(id: string, timeoutMs: number) {
    super(`replay ${id} ran past ${timeoutMs} ms and was abandoned`, { meta: { id, timeoutMs } });
  }
}

/**
 * Replays on the CPU in worker threads (default: one per core). Each thread keeps its own
 * Poseidon and model cache; a job goes to the first idle thread, others wait in order. With
 * `jobTimeoutMs`, a job that runs longer is abandoned: its thread is terminated (a synchronous
 * replay cannot be interrupted otherwise) and replaced, and the job fails with ReplayTimeoutError.
 */
export class CpuExecutor extends ReplayExecutor {
  readonly concurrency: number;
  private readonly slots: Slot[] = [];
  private readonly waiting: { job: ReplayJob; resolve(r: ReplayResult): void; reject(e: Error): void }[] = [];
  private readonly entry = workerEntry();
  private readonly jobTimeoutMs?: number;
  private closed = false;

  constructor(options: { threads?: number; jobTimeoutMs?: number } = {}) {
    super();
    this.concurrency = Math.max(1, options.threads ?? availableParallelism());
    this.jobTimeoutMs = options.jobTimeoutMs;
    for (let i = 0; i < this.concurrency; i++) {
      const slot = { ready: false } as Slot;
      this.start(slot);
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
    for (const slot of this.slots) clearTimeout(slot.busy?.timer);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private start(slot: Slot): void {
    const worker = new Worker(this.entry);
    slot.worker = worker;
    slot.ready = false;
    worker.on('message', (m: { ready?: boolean; ok: boolean; result?: ReplayResult; error?: string }) => {
      if (m.ready) {
        slot.ready = true;
        return this.dispatch();
      }
      const busy = slot.busy!;
      slot.busy = undefined;
      clearTimeout(busy.timer);
      if (m.ok) busy.resolve(m.result!);
      else busy.reject(new Error(m.error));
      this.dispatch();
    });
    worker.on('error', (e) => {
      if (slot.worker !== worker) return;
      clearTimeout(slot.busy?.timer);
      slot.busy?.reject(e);
      slot.busy = undefined;
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.busy || this.waiting.length === 0 || this.closed) continue;
      const next = this.waiting.shift()!;
      slot.busy = { resolve: next.resolve, reject: next.reject };
      if (this.jobTimeoutMs !== undefined) {
        const timeoutMs = this.jobTimeoutMs;
        slot.busy.timer = setTimeout(() => {
          const busy = slot.busy!;
          slot.busy = undefined;
          const stuck = slot.worker;
          this.start(slot); // a fresh thread takes the next job at once
          void stuck.terminate();
          busy.reject(new ReplayTimeoutError(next.job.id, timeoutMs));
          this.dispatch();
        }, timeoutMs);
      }
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
