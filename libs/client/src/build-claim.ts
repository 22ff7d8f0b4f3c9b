import { signClaim } from '@verilay/chain';
import { toHex32, type Hex32, type TensorCommitter } from '@verilay/commitments';
import { computeModelId, type Model } from '@verilay/inference';
import { executeTask, type ClaimDomain, type ClaimSubmission, type GenerationSpan } from '@verilay/protocol';
import type { LocalAccount } from 'viem';

export interface BuildClaimOptions {
  readonly model: Model;
  readonly input: ArrayLike<number>;
  /** The network's identifier of the task (32 bytes). */
  readonly taskId: Hex32;
  /** The operator's signing account. */
  readonly account: LocalAccount;
  readonly domain: ClaimDomain;
  readonly committer: TensorCommitter;
  /** Hides the input behind its commitment; 0 (no salt) by default. */
  readonly salt?: bigint;
  /**
   * Claim this output instead of the true one (the output commitment and the output values are
   * replaced; the trace is not): how tests and the demo play a lying operator.
   */
  readonly lie?: (output: Int32Array) => Int32Array;
  /** Leave the task data out of the submission (the operator keeps it elsewhere). */
  readonly withoutInput?: boolean;
  /** Marks a generation claim (the input is prompt ++ completion ++ padding). */
  readonly generation?: GenerationSpan;
}

/** Runs the task, commits to its trace, signs the claim: an operator's whole job for one task. */
export async function buildClaim(options: BuildClaimOptions): Promise<ClaimSubmission> {
  const { model, input, committer, salt = 0n } = options;
  const execution = executeTask(model, input, committer, salt);
  let output = execution.output.data;
  let outputCommitment = execution.outputCommitment;
  if (options.lie) {
    output = options.lie(Int32Array.from(output));
    outputCommitment = committer.commitTensor({ dtype: execution.output.dtype, data: output });
  }
  const fields = {
    modelId: computeModelId(model),
    taskId: options.taskId,
    inputCommitment: execution.inputCommitment,
    outputCommitment,
    traceRoot: execution.traceRoot,
    operator: options.account.address,
  };
  const signature = await signClaim(options.account, fields, options.domain);
  return {
    ...fields,
    signature,
    ...(options.withoutInput
      ? {}
      : { input: { data: Array.from(input), ...(salt ? { salt: toHex32(salt) } : {}) } }),
    output: Array.from(output),
    ...(options.generation
      ? {
          generation: {
            promptLength: options.generation.promptLength,
            completionLength: options.generation.completionLength,
          },
        }
      : {}),
  };
}
