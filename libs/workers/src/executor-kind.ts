import { BaseError } from '@verilay/errors';

/**
 * Where in-process replays run (VERILAY_EXECUTOR):
 * - `auto` (default): the GPU executor when a usable adapter opens, else the CPU threads (the
 *   reason is in the executor's `describe()`, hence in /health and the boot log);
 * - `gpu`: the GPU executor, or an error at boot (GpuUnavailableError);
 * - `cpu`: CPU threads only; the GPU is never opened.
 */
export type ExecutorKind = 'auto' | 'gpu' | 'cpu';
export const EXECUTOR_KINDS: readonly ExecutorKind[] = ['auto', 'gpu', 'cpu'];

export class InvalidExecutorKindError extends BaseError {
  readonly code = 'INVALID_EXECUTOR';
  constructor(value: string, variable: string) {
    super(`${variable} is "${value}"; expected auto, gpu or cpu`, { meta: { value, variable } });
  }
}

/** VERILAY_EXECUTOR=gpu, but no adapter could run replays: the app must not start. */
export class GpuUnavailableError extends BaseError {
  readonly code = 'GPU_UNAVAILABLE';
  constructor(reason: string) {
    super(`VERILAY_EXECUTOR=gpu, but no GPU can run replays: ${reason}`, {
      details:
        'Check the adapter (vulkaninfo --summary; CI uses Mesa lavapipe), build the native core with `npm run build`, or set VERILAY_EXECUTOR=auto or cpu.',
      meta: { reason },
    });
  }
}

/** An executor kind from a setting (case and spaces ignored; empty or unset: `auto`). */
export function parseExecutorKind(value: string | undefined, variable = 'VERILAY_EXECUTOR'): ExecutorKind {
  const kind = value?.trim().toLowerCase() || 'auto';
  if (!(EXECUTOR_KINDS as readonly string[]).includes(kind))
    throw new InvalidExecutorKindError(value!, variable);
  return kind as ExecutorKind;
}
