import type { TensorCommitter } from '@verilay/commitments';
import type { DType } from '@verilay/inference';
import type { ClaimFields } from '@verilay/protocol';

/** A claim's signed fields and its signature, as submitted (unchecked strings). */
export interface SignedFields {
  readonly fields: ClaimFields;
  readonly signature: string;
}

/** A tensor whose commitment the intake recomputes; the salt as a decimal or 0x-hex string. */
export interface TensorToCommit {
  readonly dtype: DType;
  readonly data: Int32Array | readonly number[];
  readonly salt: string;
}

/** Work the intake moves off the event loop (to its threads, see IntakeThreads). */
export interface IntakeJob {
  readonly kind: 'commit';
  readonly tensors: readonly TensorToCommit[];
}

/** Per tensor: its commitment, or the message of the error computing it gave. */
export type CommitResult = { readonly hex: string } | { readonly error: string };

/** Runs one job: in an intake thread, or inline where no thread runs. */
export function runIntakeJob(job: IntakeJob, committer: TensorCommitter): CommitResult[] {
  return job.tensors.map((t): CommitResult => {
    try {
      return { hex: committer.commitTensor({ dtype: t.dtype, data: t.data }, BigInt(t.salt)) };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  });
}
