/**
 * A replay job: run a model on a task's input and commit to the trace, as a watcher or the
 * verifier does before it disputes or defends. Plain data (hex strings, numbers), so a job can
 * cross a worker thread or a Redis queue unchanged, and its `id` makes it idempotent.
 */
export interface ReplayJob {
  /** Stable id (e.g. the claim id): the same id is replayed once and its result shared. */
  readonly id: string;
  readonly modelId: `0x${string}`;
  /** The model's canonical bytes (hex): the executor decodes and checks them against `modelId`. */
  readonly modelBytes: `0x${string}`;
  readonly input: readonly number[];
  /** Input commitment salt (hex field element); 0x0 when none. */
  readonly salt: `0x${string}`;
}

export interface ReplayResult {
  readonly id: string;
  readonly output: readonly number[];
  /** h_0 (salted input) ... h_L (output). */
  readonly traceCommitments: readonly `0x${string}`[];
  readonly inputCommitment: `0x${string}`;
  readonly outputCommitment: `0x${string}`;
  readonly traceRoot: `0x${string}`;
}
