import { Logger } from '@nestjs/common';
import { createTensorCommitter, type TensorCommitter } from '@verilay/commitments';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { runIntakeJob, type CommitResult, type IntakeJob, type TensorToCommit } from './intake-jobs';

/** Fewest tensors worth a thread message of their own. */
const MIN_PART = 16;

interface Thread {
  worker: Worker;
  /** Jobs posted and not yet answered, by id. */
  readonly pending: Map<number, { resolve(r: CommitResult[]): void; reject(e: Error): void }>;
}

/**
 * The intake's worker threads: they recompute tensor commitments (native Poseidon where the addon
 * loads, else circomlibjs), so the event loop keeps serving HTTP and sqlite meanwhile. Each job goes
 * to the thread with the fewest jobs waiting. Default: one thread per core (the event loop mostly
 * waits on them and on sqlite, so a thread per core but its own left cores idle: docs/benchmarks.md).
 * Where the compiled worker is missing (specs run from source without a build), jobs run inline.
 *
 * One pool per process (`shared()`), never terminated: threads that loaded circomlibjs' Poseidon
 * corrupt the heap when many are started and terminated (30 start/terminate cycles abort Node 20
 * here, libs/workers' CpuExecutor alike), which a process that builds many apps (specs, benches)
 * would hit. Its threads are unref'd, so they never keep a process alive.
 */
export class IntakeThreads {
  private static sharedPool?: IntakeThreads;
  private readonly logger = new Logger(IntakeThreads.name);
  private readonly threads: Thread[] = [];
  private nextId = 0;
  private inline?: Promise<TensorCommitter>;

  constructor(count = availableParallelism()) {
    const entry = workerEntry();
    if (!entry) {
      this.logger.warn('intake threads: no compiled worker (run npm run build); checks run inline');
      this.inline = createTensorCommitter();
      return;
    }
    for (let i = 0; i < count; i++) this.threads.push(this.spawn(entry));
  }

  /** The process's pool, started on first use. */
  static shared(): IntakeThreads {
    return (IntakeThreads.sharedPool ??= new IntakeThreads());
  }

  get size(): number {
    return this.threads.length;
  }

  /** Each tensor's commitment, or the error computing it gave (by message); a large batch is shared out. */
  async commit(tensors: readonly TensorToCommit[]): Promise<CommitResult[]> {
    const parts = Math.min(this.threads.length, Math.ceil(tensors.length / MIN_PART));
    if (parts <= 1) return this.run({ kind: 'commit', tensors });
    const size = Math.ceil(tensors.length / parts);
    const results = await Promise.all(
      Array.from({ length: parts }, (_, i) =>
        this.run({ kind: 'commit', tensors: tensors.slice(i * size, (i + 1) * size) }),
      ),
    );
    return results.flat();
  }

  /** Stops the threads of a pool this caller owns (not the shared one). */
  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    for (const t of threads) for (const p of t.pending.values()) p.reject(new Error('intake threads closed'));
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private async run(job: IntakeJob): Promise<CommitResult[]> {
    if (this.inline) return runIntakeJob(job, await this.inline);
    if (!this.threads.length) throw new Error('intake threads closed');
    const thread = this.threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ id, job });
    });
  }

  private spawn(entry: string): Thread {
    const thread: Thread = { worker: new Worker(entry), pending: new Map() };
    thread.worker.unref();
    thread.worker.on('message', (m: { id: number; ok: boolean; result?: CommitResult[]; error?: string }) => {
      const p = thread.pending.get(m.id);
      thread.pending.delete(m.id);
      if (m.ok) p?.resolve(m.result!);
      else p?.reject(new Error(m.error));
    });
    thread.worker.on('error', (error) => {
      // A thread that died takes its jobs with it (their requests fail with 500); a fresh one
      // takes its place.
      this.logger.error({ msg: 'intake thread failed', error: error.message });
      for (const p of thread.pending.values()) p.reject(error);
      thread.pending.clear();
      const i = this.threads.indexOf(thread);
      if (i >= 0) this.threads[i] = this.spawn(entry);
    });
    return thread;
  }
}

/**
 * The compiled worker: beside this file in the build, or in the build of this checkout when this
 * file runs from source (ts-jest).
 */
function workerEntry(): string | undefined {
  const beside = join(__dirname, 'intake.worker.js');
  if (existsSync(beside)) return beside;
  let dir = __dirname;
  while (!existsSync(join(dir, 'nest-cli.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const built = join(dir, 'dist/apps/verifier/src/claims/intake.worker.js');
  return existsSync(built) ? built : undefined;
}
