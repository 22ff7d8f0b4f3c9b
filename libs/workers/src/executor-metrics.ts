import { Counter, Gauge, type Registry } from 'prom-client';
import type { ExecutorDescription } from './replay-executor';

/**
 * The replay executors' Prometheus metrics (the verifier's and the watcher's, one `queue` label
 * per executor): which executor and adapter run the replays, whether the GPU was lost, and the
 * GPU's batches and jobs and the jobs it handed to the CPU. Brought up to date at each scrape with
 * `update` (the executor keeps the counts; the counters here follow them).
 */
export class ExecutorMetrics {
  private readonly info: Gauge;
  private readonly lost: Gauge;
  private readonly counters: Record<'batches' | 'jobs' | 'cpuFallbackJobs', Counter>;
  private readonly seen = new Map<string, ExecutorDescription>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.info = new Gauge({
      name: 'verilay_replay_executor_info',
      help: 'Always 1: what runs the replays of each queue (kind gpu, cpu or remote; the adapter and backend on a GPU)',
      labelNames: ['queue', 'kind', 'adapter', 'backend', 'device_type'],
      registers,
    });
    this.lost = new Gauge({
      name: 'verilay_replay_gpu_lost',
      help: '1 once the GPU device is lost: every replay since runs on the CPU (alert on it)',
      labelNames: ['queue'],
      registers,
    });
    const counter = (name: string, help: string) =>
      new Counter({ name, help, labelNames: ['queue'], registers });
    this.counters = {
      batches: counter('verilay_replay_gpu_batches_total', 'Batches of replays run on the GPU'),
      jobs: counter('verilay_replay_gpu_jobs_total', 'Replays run on the GPU'),
      cpuFallbackJobs: counter(
        'verilay_replay_cpu_fallback_jobs_total',
        'Replays the GPU executor handed to the CPU (a model it refuses, a GPU error, an input to reject)',
      ),
    };
  }

  update(queue: string, d: ExecutorDescription): void {
    const before = this.seen.get(queue);
    this.seen.set(queue, d);
    this.info.reset(); // one series per queue: an adapter that changed leaves no stale one
    for (const [q, { kind, adapter }] of this.seen)
      this.info.set(
        {
          queue: q,
          kind,
          adapter: adapter?.name ?? '',
          backend: adapter?.backend ?? '',
          device_type: adapter?.deviceType ?? '',
        },
        1,
      );
    this.lost.set({ queue }, d.lost ? 1 : 0);
    for (const key of ['batches', 'jobs', 'cpuFallbackJobs'] as const) {
      const delta = d[key] - (before?.[key] ?? 0);
      if (delta > 0) this.counters[key].inc({ queue }, delta);
    }
  }
}
