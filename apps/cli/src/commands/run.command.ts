import { createTensorCommitter } from '@verilay/commitments';
import { computeModelId } from '@verilay/inference';
import { executeTask } from '@verilay/protocol';
import { readInput } from './input-file';
import { readModel } from './model-file';

/**
 * `verilay run <model-file> --input <file>`: runs the integer runtime as an operator would and
 * prints what a claim states: the output, the input and output commitments and the trace root.
 */
export async function runModel(file: string, opts: { input: string; trace?: boolean }): Promise<void> {
  const model = readModel(file);
  const { data, salt } = readInput(opts.input);
  const execution = executeTask(model, data, await createTensorCommitter(), salt);
  const trace = opts.trace
    ? execution.traceCommitments.map((commitment, i) => ({
        step: i,
        layer: i === 0 ? 'input' : model.layers[i - 1].op,
        shape: model.tensors[i].shape,
        dtype: model.tensors[i].dtype,
        commitment: commitment,
      }))
    : undefined;
  console.log(
    JSON.stringify(
      {
        modelId: computeModelId(model),
        output: Array.from(execution.output.data),
        outputShape: execution.output.shape,
        inputCommitment: execution.inputCommitment,
        outputCommitment: execution.outputCommitment,
        traceRoot: execution.traceRoot,
        trace,
      },
      null,
      2,
    ),
  );
}
