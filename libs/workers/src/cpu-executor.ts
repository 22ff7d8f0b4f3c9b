import { BaseError } from '@verilay/errors';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ReplayExecutor, type ExecutorDescription } from './replay-executor';
import { enqueue, type Queued } from './queued';
import type { ReplayJob, ReplayResult } from './replay-job';
import { ReplayRejectedError } from './replay-rejected.error';

interface Slot {
  worker: Worker;
  /** The thread has built its Poseidon: a job's time budget counts replay time only. */
  ready: boolean;
  /**
   * Jobs posted to the thread, oldest first; it replays them in order. The oldest is running;
   * its timer (with `jobTimeoutMs`) started when it began, i.e. when the one before it ended.
   */
  inFlight: Queued[];
  timer?: NodeJS.Timeout;
}

/**
 * Jobs posted to a thread at once: the next one waits in the thread's message queue while the
 * current one runs, so a thread never idles for a round trip between jobs (a ~0.2 ms MNIST MLP
 * replay spent a quarter of its time waiting for its next job).
 */
const PIPELINE_DEPTH = 2;

/** A replay ran past the executor's `jobTimeoutMs`: its thread was stopped, nothing was computed. */
export class ReplayTimeoutError extends BaseError {
  readonly code = 'REPLAY_TIMEOUT';
  constructor(id: string, timeoutMs: number) {
    super(`replay ${id} ran past ${timeoutMs} ms and was abandoned`, { meta: { id, timeoutMs } });
  }
}

/**
 * Replays on the CPU in worker threads (default: one per core). Each thread keeps its own
 * Poseidon and model cache; a job goes to the first thread with room (two posted per thread: one
 * running, one next), others wait in order. With `jobTimeoutMs`, a job that runs longer (counted
 * from when it starts, not when it was posted) is abandoned: its thread is terminated (a
 * synchronous replay cannot be interrupted otherwise) and replaced, the job fails with
 * ReplayTimeoutError, and the job posted behind it goes back to the front of the line.
 */
export class CpuExecutor extends ReplayExecutor {
  readonly concurrency: number;
  private readonly slots: Slot[] = [];
  private readonly waiting: Queued[] = [];
  private readonly entry = workerEntry('replay.worker.js');
  private readonly jobTimeoutMs?: number;
  private readonly fallbackReason?: string;
  private closed = false;

  /** `fallbackReason`: why these threads run instead of a GPU (VERILAY_EXECUTOR=auto), for describe(). */
  constructor(options: { threads?: number; jobTimeoutMs?: number; fallbackReason?: string } = {}) {
    super();
    this.concurrency = Math.max(1, options.threads ?? availableParallelism());
    this.jobTimeoutMs = options.jobTimeoutMs;
    this.fallbackReason = options.fallbackReason;
    for (let i = 0; i < this.concurrency; i++) {
      const slot = { ready: false, inFlight: [] } as unknown as Slot;
      this.start(slot);
      this.slots.push(slot);
    }
  }

  execute(job: ReplayJob): Promise<ReplayResult> {
    const result = enqueue(this.waiting, job, this.closed);
    this.dispatch();
    return result;
  }

  override describe(): ExecutorDescription {
    return { ...super.describe(), fallbackReason: this.fallbackReason };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reject(new Error('executor closed'));
    for (const slot of this.slots) clearTimeout(slot.timer);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private start(slot: Slot): void {
    const worker = new Worker(this.entry);
    slot.worker = worker;
    slot.ready = false;
    slot.inFlight = [];
    worker.on('message', (m: { ready?: boolean; ok: boolean; result?: ReplayResult; error?: string }) => {
      if (slot.worker !== worker) return; // a stopped thread's last words
      if (m.ready) {
        slot.ready = true;
        return this.dispatch();
      }
      const done = slot.inFlight.shift()!;
      clearTimeout(slot.timer);
      this.startTimer(slot); // the next posted job starts now
      if (m.ok) done.resolve(m.result!);
      else done.reject(new ReplayRejectedError(done.job.id, m.error!));
      this.dispatch();
    });
    worker.on('error', (e) => {
      if (slot.worker !== worker) return;
      // The thread died (not a failed replay: those are answered): its running job fails with the
      // error, the jobs queued behind it go back to the front of the line, a fresh thread starts.
      clearTimeout(slot.timer);
      const [running, ...queued] = slot.inFlight.splice(0);
      this.waiting.unshift(...queued);
      if (!this.closed) this.start(slot);
      running?.reject(e);
    });
  }

  /** Starts the oldest in-flight job's time budget (with `jobTimeoutMs`). */
  private startTimer(slot: Slot): void {
    const running = slot.inFlight[0];
    if (this.jobTimeoutMs === undefined || !running) return;
    const timeoutMs = this.jobTimeoutMs;
    slot.timer = setTimeout(() => {
      const [, ...queued] = slot.inFlight.splice(0);
      const stuck = slot.worker;
      this.waiting.unshift(...queued); // never started: they keep their place
      this.start(slot); // a fresh thread takes the next job at once
      void stuck.terminate();
      running.reject(new ReplayTimeoutError(running.job.id, timeoutMs));
      this.dispatch();
    }, timeoutMs);
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      while (slot.ready && !this.closed && slot.inFlight.length < PIPELINE_DEPTH && this.waiting.length > 0) {
        const next = this.waiting.shift()!;
        slot.inFlight.push(next);
        if (slot.inFlight.length === 1) this.startTimer(slot);
        slot.worker.postMessage(next.job);
      }
    }
  }
}

/**
 * A compiled worker script of this lib: beside this file in the build, or in the build of this
 * checkout when this file runs from source (ts-jest).
 */
export function workerEntry(file: string): string {
  const beside = join(__dirname, file);
  if (existsSync(beside)) return beside;
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  while (!existsSync(join(dir, 'nest-cli.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const built = join(dir, 'dist/libs/workers/src', file);
  if (existsSync(built)) return built;
  throw new Error(`the replay executors need their compiled worker (${beside}): run npm run build`);
}
