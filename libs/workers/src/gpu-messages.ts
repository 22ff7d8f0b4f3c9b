import type { NativeGpuInfo } from '@verilay/native';
import type { GpuBatchResult } from './gpu-replayer';
import type { ReplayJob } from './replay-job';

/** What the GPU executor posts to its thread: a batch of one model's jobs, or (specs) a device loss. */
export type GpuRequest =
  { readonly type: 'batch'; readonly jobs: ReplayJob[] } | { readonly type: 'destroy' };

/** What the thread answers: first ready or unavailable, then one answer per request. */
export type GpuResponse =
  | { readonly type: 'ready'; readonly adapter: NativeGpuInfo }
  | { readonly type: 'unavailable'; readonly reason: string }
  | ({ readonly type: 'batch' } & GpuBatchResult)
  | { readonly type: 'destroyed' };
