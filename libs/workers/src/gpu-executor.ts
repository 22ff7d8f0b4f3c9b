import type { NativeGpuBackends, NativeGpuInfo } from '@verilay/native';
import { Worker } from 'node:worker_threads';
import { CpuExecutor, workerEntry } from './cpu-executor';
import type { GpuRequest, GpuResponse } from './gpu-messages';
import { ReplayExecutor, type ExecutorDescription } from './replay-executor';
import { enqueue, type Queued } from './queued';
import type { ReplayJob, ReplayResult } from './replay-job';

export interface GpuExecutorOptions {
  /** Jobs of one model run together, up to this many (default 64). */
  readonly maxBatch?: number;
  /** Where the adapter is looked for (default all). */
  readonly backends?: NativeGpuBackends;
  /** The CPU fallback's threads (default one per core; started at its first job). */
  readonly threads?: number;
  /** A job's time budget on the CPU, as CpuExecutor's. */
  readonly jobTimeoutMs?: number;
  /**
   * A GPU batch's time budget (default: jobTimeoutMs, or DEFAULT_JOB_BUDGET_MS without it, once
   * per job it holds). Past it the batch replays on the CPU: a hung driver never holds a job.
   */
  readonly batchTimeoutMs?: number;
  /** How long the thread may take to open the device (default OPEN_TIMEOUT_MS); then the CPU. */
  readonly openTimeoutMs?: number;
  /** The adapter a probe found (createLocalExecutor's): describe() shows it before the thread is up. */
  readonly adapter?: NativeGpuInfo;
}

/** A job's share of a GPU batch's budget when the caller set none (SmolLM2's CPU replay: ~20 s). */
export const DEFAULT_JOB_BUDGET_MS = 120_000;
/** Opening a device and compiling the kernels takes well under a second on lavapipe. */
export const OPEN_TIMEOUT_MS = 60_000;

/**
 * Replays on a GPU (native/crates/gpu through wgpu): one worker thread owns the device; queued jobs
 * of one model run together as one batch (up to `maxBatch`), each result bit for bit the CPU's
 * (the kernels are exact and batch-invariant; the traces are committed on the CPU in Rust).
 * Nothing is lost and nothing is answered wrong: a job whose model the GPU refuses
 * (GPU_UNSUPPORTED, a missing limit) or the native core cannot run, one whose input the CPU would
 * reject, the jobs of a batch past its time budget (its thread is replaced), and every job once
 * the device fails (GPU_LOST, a dead thread) are replayed by the CPU executor it holds, which
 * answers as CpuExecutor always does. The oldest
 * job's model goes first, so no model waits behind a busy one for more than a batch.
 */
export class GpuExecutor extends ReplayExecutor {
  readonly concurrency: number;
  private readonly maxBatch: number;
  private readonly options: GpuExecutorOptions;
  private readonly waiting: Queued[] = [];
  private worker?: Worker;
  private state: 'opening' | 'ready' | 'failed' = 'opening';
  private running?: Queued[];
  private timer?: NodeJS.Timeout;
  private openTimer?: NodeJS.Timeout;
  private adapter?: NativeGpuInfo;
  private fallbackReason?: string;
  private lost = false;
  private readonly counts = { batches: 0, jobs: 0, cpuFallbackJobs: 0 };
  private cpuExecutor?: CpuExecutor;
  /** Models whose batch ran past its budget: their jobs go straight to the CPU. */
  private readonly tooSlow = new Set<string>();
  private destroyed?: () => void;
  private closed = false;
  private settle!: () => void;
  /** Resolved once the thread said ready or unavailable (or died first). */
  private readonly settled = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(options: GpuExecutorOptions = {}) {
    super();
    this.options = options;
    this.adapter = options.adapter;
    this.maxBatch = Math.max(1, options.maxBatch ?? 64);
    this.concurrency = this.maxBatch;
    this.start();
  }

  execute(job: ReplayJob): Promise<ReplayResult> {
    const result = enqueue(this.waiting, job, this.closed);
    this.dispatch();
    return result;
  }

  override describe(): ExecutorDescription {
    return {
      kind: this.adapter || this.state !== 'failed' ? 'gpu' : 'cpu',
      adapter: this.adapter,
      fallbackReason: this.fallbackReason,
      lost: this.lost,
      ...this.counts,
    };
  }

  /** Resolves once the thread has opened the device or found none (describe() then says which). */
  async opened(): Promise<ExecutorDescription> {
    await this.settled;
    return this.describe();
  }

  /** Destroys the device as a device loss would (specs and drills): later jobs run on the CPU. */
  async destroyDevice(): Promise<void> {
    await this.opened();
    if (this.state !== 'ready' || !this.worker) return;
    const done = new Promise<void>((resolve) => (this.destroyed = resolve));
    this.post({ type: 'destroy' });
    await done;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.settle();
    clearTimeout(this.timer);
    clearTimeout(this.openTimer);
    for (const q of [...this.waiting.splice(0), ...(this.running ?? [])])
      q.reject(new Error('executor closed'));
    this.running = undefined;
    // A batch's answer posted before the thread stops still arrives: it is not heard.
    const worker = this.worker;
    this.worker = undefined;
    await Promise.all([worker?.terminate(), this.cpuExecutor?.close()]);
  }

  private onMessage(m: GpuResponse): void {
    if (this.closed) return;
    if (m.type === 'ready' || m.type === 'unavailable') clearTimeout(this.openTimer);
    if (m.type === 'ready') {
      this.state = 'ready';
      this.adapter = m.adapter;
      this.settle();
    } else if (m.type === 'unavailable') {
      this.fail(m.reason);
    } else if (m.type === 'destroyed') {
      // Nothing changes here: the next batch finds the device lost, as after a real loss.
      this.destroyed?.();
    } else {
      clearTimeout(this.timer);
      const batch = this.running ?? [];
      this.running = undefined;
      if (m.ran) this.counts.batches++;
      if (m.lost) this.fail(m.lost); // its thread holds nothing of use any more
      m.outcomes.forEach((outcome, i) => {
        if ('result' in outcome) {
          this.counts.jobs++;
          batch[i].resolve(outcome.result);
        } else this.toCpu(batch[i]);
      });
    }
    this.dispatch();
  }

  /** A thread that opens the device; a stopped thread's last words are not heard. */
  private start(): void {
    const worker = new Worker(workerEntry('gpu.worker.js'), {
      workerData: { backends: this.options.backends, maxBatch: this.maxBatch },
    });
    this.worker = worker;
    this.state = 'opening';
    // A wedged driver (the stuck thread still holding the device) can hang the open itself.
    const openMs = this.options.openTimeoutMs ?? OPEN_TIMEOUT_MS;
    clearTimeout(this.openTimer);
    this.openTimer = setTimeout(
      () => this.worker === worker && this.fail(`the GPU thread did not open the device within ${openMs} ms`),
      openMs,
    );
    const current = () => this.worker === worker;
    worker.on('message', (m: GpuResponse) => current() && this.onMessage(m));
    worker.on('error', (e) => current() && this.fail(`the GPU thread died: ${e.message}`));
    worker.on('exit', (code) => {
      if (current() && !this.closed) this.fail(`the GPU thread exited (code ${code})`);
    });
  }

  /**
   * A batch ran past its budget (a model heavy enough to hold the device, or a hung driver): a
   * dispatched batch cannot be interrupted, so its thread is stopped; its jobs replay on the CPU
   * under their own budgets (where a job too heavy for its budget fails as on the CPU executor),
   * and a fresh thread opens the device again for the jobs after it. The model's later jobs run
   * on the CPU: it would only hold the device again.
   */
  private abandon(): void {
    const stuck = this.worker;
    if (this.tooSlow.size >= 10_000) this.tooSlow.clear(); // ids only, but bounded all the same
    this.tooSlow.add(this.running![0].job.modelId.toLowerCase());
    for (const q of this.running?.splice(0) ?? []) this.toCpu(q);
    this.running = undefined;
    this.start();
    void stuck?.terminate();
  }

  /** The GPU is out for good: its thread stops; what it held and everything after runs on the CPU. */
  private fail(reason: string): void {
    if (this.closed || this.state === 'failed') return;
    this.state = 'failed';
    this.settle();
    clearTimeout(this.openTimer);
    this.lost = this.lost || this.adapter !== undefined;
    this.fallbackReason = reason;
    clearTimeout(this.timer);
    void this.worker?.terminate();
    this.worker = undefined;
    for (const q of this.running?.splice(0) ?? []) this.toCpu(q);
    this.running = undefined;
    this.dispatch();
  }

  private toCpu(q: Queued): void {
    this.counts.cpuFallbackJobs++;
    this.cpuExecutor ??= new CpuExecutor({
      threads: this.options.threads,
      jobTimeoutMs: this.options.jobTimeoutMs,
    });
    this.cpuExecutor.execute(q.job).then(q.resolve, q.reject);
  }

  private dispatch(): void {
    if (this.closed || this.state === 'opening') return;
    if (this.state === 'failed') {
      for (const q of this.waiting.splice(0)) this.toCpu(q);
      return;
    }
    for (let i = 0; i < this.waiting.length;)
      if (this.tooSlow.has(this.waiting[i].job.modelId.toLowerCase()))
        this.toCpu(this.waiting.splice(i, 1)[0]);
      else i++;
    if (this.running || this.waiting.length === 0) return;
    // The oldest job's model, with every queued job of that model up to maxBatch, in order.
    const model = this.waiting[0].job.modelId.toLowerCase();
    const batch: Queued[] = [];
    for (let i = 0; i < this.waiting.length && batch.length < this.maxBatch;) {
      if (this.waiting[i].job.modelId.toLowerCase() === model) batch.push(...this.waiting.splice(i, 1));
      else i++;
    }
    this.running = batch;
    const { batchTimeoutMs, jobTimeoutMs } = this.options;
    const budget = batchTimeoutMs ?? (jobTimeoutMs ?? DEFAULT_JOB_BUDGET_MS) * batch.length;
    this.timer = setTimeout(() => this.abandon(), budget);
    this.post({ type: 'batch', jobs: batch.map((q) => q.job) });
  }

  private post(m: GpuRequest): void {
    this.worker!.postMessage(m);
  }
}
