import { checkSalt, traceRoot, type Hex32, type TensorCommitter } from '@verilay/commitments';
import { modelRunner, NativeModelRunner, type Model, type Tensor } from '@verilay/inference';

export interface TaskExecution {
  readonly output: Tensor;
  /**
   * h_0 (input, salted) ... h_L (output): state commitments (docs/model-format.md), i.e. the
   * tensor commitment of trace[i] when no slot is live (always so in a v1 model), else
   * Poseidon(tag, c_i, the live slots' c_j).
   */
  readonly traceCommitments: readonly Hex32[];
  readonly inputCommitment: Hex32;
  readonly outputCommitment: Hex32;
  readonly traceRoot: Hex32;
}

/**
 * Runs a task and commits to its execution trace: what an operator claims and what a watcher
 * recomputes to check a claim. Only h_0 takes the salt (it hides the input); later steps do not.
 * The model runs on its `modelRunner` (the native kernels where the native core is built, its
 * weights loaded into Rust once per model object), the commitments on `committer`; when both are
 * native, the task is run and committed in one crossing, with the same results.
 */
export function executeTask(
  model: Model,
  input: ArrayLike<number>,
  committer: TensorCommitter,
  salt = 0n,
): TaskExecution {
  const runner = modelRunner(model);
  if (committer.native && runner instanceof NativeModelRunner) {
    checkSalt(salt); // the committer's own error for a salt outside the field
    const done = runner.runAndCommit(input, salt);
    return {
      output: done.output,
      traceCommitments: done.traceCommitments,
      inputCommitment: done.traceCommitments[0],
      outputCommitment: done.traceCommitments[done.traceCommitments.length - 1],
      traceRoot: done.traceRoot,
    };
  }
  const { output, trace } = runner.run(input);
  // c_0 is the salted input commitment wherever it appears, in h_0 and in a slot holding the input
  // (an unsalted one would reveal the input).
  const tensorCommitments = trace.map((t, i) => committer.commitTensor(t, i === 0 ? salt : 0n));
  const traceCommitments = model.states.map((live, i) =>
    committer.stateCommitment(
      tensorCommitments[i],
      live.map(([, j]) => tensorCommitments[j]),
    ),
  );
  return {
    output,
    traceCommitments,
    inputCommitment: traceCommitments[0],
    outputCommitment: traceCommitments[traceCommitments.length - 1],
    traceRoot: traceRoot(traceCommitments),
  };
}
