import { TraceTree, type Hex32, type TensorCommitter } from '@verilay/commitments';
import { run, type Model, type Tensor } from '@verilay/inference';

export interface TaskExecution {
  readonly output: Tensor;
  /** h_0 (input, salted) ... h_L (output). */
  readonly traceCommitments: readonly Hex32[];
  readonly inputCommitment: Hex32;
  readonly outputCommitment: Hex32;
  readonly traceRoot: Hex32;
}

/**
 * Runs a task and commits to its execution trace: what an operator claims and what a watcher
 * recomputes to check a claim. Only h_0 takes the salt (it hides the input); later steps do not.
 */
export function executeTask(
  model: Model,
  input: ArrayLike<number>,
  committer: TensorCommitter,
  salt = 0n,
): TaskExecution {
  const { output, trace } = run(model, input);
  const traceCommitments = trace.map((t, i) => committer.commitTensor(t, i === 0 ? salt : 0n));
  return {
    output,
    traceCommitments,
    inputCommitment: traceCommitments[0],
    outputCommitment: traceCommitments[traceCommitments.length - 1],
    traceRoot: new TraceTree(traceCommitments).root,
  };
}
