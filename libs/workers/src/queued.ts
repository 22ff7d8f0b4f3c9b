import type { ReplayJob, ReplayResult } from './replay-job';

/** A job waiting in an executor, with what settles its caller's promise. */
export interface Queued {
  job: ReplayJob;
  resolve(r: ReplayResult): void;
  reject(e: Error): void;
}

/** Puts `job` at the end of `waiting`: the promise of its result (rejected at once when closed). */
export function enqueue(waiting: Queued[], job: ReplayJob, closed: boolean): Promise<ReplayResult> {
  if (closed) return Promise.reject(new Error('executor closed'));
  return new Promise((resolve, reject) => waiting.push({ job, resolve, reject }));
}
