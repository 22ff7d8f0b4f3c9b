import type { NativeGpuBackends } from '@verilay/native';
import { CpuExecutor } from './cpu-executor';
import { GpuUnavailableError, type ExecutorKind } from './executor-kind';
import { GpuExecutor } from './gpu-executor';
import { probeGpu } from './open-gpu';
import type { ExecutorDescription, ReplayExecutor } from './replay-executor';

export interface LocalExecutorOptions {
  /** VERILAY_EXECUTOR; default cpu (a caller that did not choose never opens a GPU). */
  readonly kind?: ExecutorKind;
  /** CPU worker threads (the CPU executor, or the GPU executor's fallback). */
  readonly threads?: number;
  readonly jobTimeoutMs?: number;
  /** The GPU executor's largest batch (default 64). */
  readonly maxBatch?: number;
  readonly backends?: NativeGpuBackends;
}

/**
 * The in-process replay executor VERILAY_EXECUTOR asks for: `cpu` threads; `gpu`, which throws
 * GpuUnavailableError when no adapter opens (the app must not start); `auto`, the GPU when a
 * hardware one opens, else CPU threads whose describe() says why (the apps log it at boot and show it in
 * /health). The GPU is opened and closed here once, synchronously, to decide.
 */
export function createLocalExecutor(options: LocalExecutorOptions = {}): ReplayExecutor {
  const { kind = 'cpu', threads, jobTimeoutMs, maxBatch, backends } = options;
  if (kind === 'cpu') return new CpuExecutor({ threads, jobTimeoutMs });
  const probe = probeGpu({ backends, maxBatch });
  if ('reason' in probe) {
    if (kind === 'gpu') throw new GpuUnavailableError(probe.reason);
    return new CpuExecutor({ threads, jobTimeoutMs, fallbackReason: `no usable GPU: ${probe.reason}` });
  }
  // A software adapter (Mesa's lavapipe, SwiftShader) runs the kernels on the CPU, slower than the
  // CPU executor's native kernels: `auto` wants a GPU; `gpu` takes what there is (CI's lavapipe).
  if (kind === 'auto' && probe.adapter.deviceType === 'Cpu') {
    const fallbackReason = `no usable GPU: only a software adapter (${probe.adapter.name}), slower than CPU threads; VERILAY_EXECUTOR=gpu runs on it`;
    return new CpuExecutor({ threads, jobTimeoutMs, fallbackReason });
  }
  return new GpuExecutor({ threads, jobTimeoutMs, maxBatch, backends, adapter: probe.adapter });
}

/** One line for a boot log: what runs the replays, and why not the GPU when it does not. */
export function describeExecutor(d: ExecutorDescription): string {
  if (d.kind === 'remote') return 'replays on `verilay worker` processes (VERILAY_REDIS_URL)';
  if (d.kind === 'gpu' && d.adapter)
    return `replays on the GPU ${d.adapter.name} (${d.adapter.backend}, ${d.adapter.deviceType})`;
  if (d.kind === 'gpu') return 'replays on the GPU (opening)';
  return d.fallbackReason ? `replays on CPU threads (${d.fallbackReason})` : 'replays on CPU threads';
}
