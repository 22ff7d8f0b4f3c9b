import { signClaim } from '@verilay/chain';
import { createTensorCommitter } from '@verilay/commitments';
import { greedyGenerate, tokenizerByName } from '@verilay/generation';
import { computeModelId, modelRunner } from '@verilay/inference';
import { claimDomain, executeTask, type TaskExecution } from '@verilay/protocol';
import { keccak256, toBytes, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { readModel } from './model-file';

export interface GenerateOptions {
  readonly prompt: string;
  readonly tokenizer: string;
  readonly maxNewTokens?: number;
  readonly stop?: string;
  readonly operatorKey?: Hex;
  readonly taskId?: Hex;
  readonly chainId: number;
  readonly claimsContract: Hex;
}

/**
 * `verilay generate <model-file> --prompt <text>`: greedy text generation as an operator runs it,
 * printed as a generation claim (docs/model-format.md, "Generation claims"): the completion, the
 * claim's input (prompt ++ completion, padded) and output (the argmax at every position), their
 * commitments and trace root. With `--operator-key` the claim is signed, ready for POST /v1/claims.
 */
export async function generate(file: string, opts: GenerateOptions): Promise<void> {
  const model = readModel(file);
  const tokenizer = tokenizerByName(opts.tokenizer);
  const prompt = tokenizer.encode(opts.prompt);
  const stop = opts.stop === undefined ? undefined : tokenizer.encode(opts.stop);
  if (stop && stop.length !== 1)
    throw new Error(`--stop must be one token, "${opts.stop}" is ${stop.length}`);
  // The model's runner (the native kernels where built): one forward pass per generated token,
  // and the claim's pass over prompt ++ completion committed as it runs (not run a second time).
  const runner = modelRunner(model);
  const committer = await createTensorCommitter();
  let execution: TaskExecution | undefined;
  const generation = greedyGenerate(model, prompt, {
    maxNewTokens: opts.maxNewTokens,
    stopToken: stop?.[0],
    runner: (input) => runner.run(input).output.data,
    finalRunner: (input) => (execution = executeTask(model, input, committer)).output.data,
  });
  if (!execution) throw new Error('greedyGenerate did not run the final pass');
  const fields = {
    modelId: computeModelId(model),
    taskId: opts.taskId ?? keccak256(toBytes(JSON.stringify(generation.input))),
    inputCommitment: execution.inputCommitment,
    outputCommitment: execution.outputCommitment,
    traceRoot: execution.traceRoot,
  };
  const claim = {
    ...fields,
    input: { data: generation.input },
    output: generation.output,
    generation: { promptLength: generation.promptLength, completionLength: generation.completionLength },
  };
  let signed: Record<string, unknown> | undefined;
  if (opts.operatorKey) {
    const account = privateKeyToAccount(opts.operatorKey);
    const operator = account.address.toLowerCase() as Hex;
    const signature = await signClaim(
      account,
      { ...fields, operator },
      claimDomain(opts.chainId, opts.claimsContract),
    );
    signed = { ...claim, operator, signature };
  }
  console.log(
    JSON.stringify(
      {
        prompt: opts.prompt,
        completion: tokenizer.decode(generation.completion),
        tokens: { prompt, completion: generation.completion },
        claim: signed ?? claim,
      },
      null,
      2,
    ),
  );
}
