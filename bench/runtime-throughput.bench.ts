import { createTensorCommitter } from '@verilay/commitments';
import { randomInput, randomModel, run, type Model } from '@verilay/inference';
import { executeTask } from '@verilay/protocol';

/**
 * Operations per second of `f`: after a warm-up, the best of 3 rounds of at least `minMs` each
 * (the best round is the one least disturbed by GC and the machine's other work).
 */
function opsPerSecond(f: (i: number) => void, minMs = 2000): { perSecond: number } {
  for (let i = 0; i < 50; i++) f(i);
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let ops = 0;
    const start = performance.now();
    while (performance.now() - start < minMs) f(ops++);
    best = Math.max(best, ops / ((performance.now() - start) / 1000));
  }
  return { perSecond: best };
}

export async function benchRuntime(): Promise<string> {
  const committer = await createTensorCommitter();
  const models: [string, Model][] = [
    ['784-64-10 int8 MLP', randomModel({ seed: 1, kind: 'mlp', sizes: [784, 64, 10], argmax: true })],
    [
      'CNN 1x28x28 conv3x3x8, maxpool 2, dense 10',
      randomModel({ seed: 2, kind: 'cnn', sizes: [1, 28, 28, 8, 10], argmax: true }),
    ],
  ];
  const rows = [
    '| model | `run` (inferences/s) | `executeTask`: run + Poseidon trace commitments + trace root (tasks/s) |',
    '|---|---:|---:|',
  ];
  for (const [name, model] of models) {
    const inputs = Array.from({ length: 64 }, (_, i) => randomInput(model, i));
    const plain = opsPerSecond((i) => run(model, inputs[i % 64]));
    const traced = opsPerSecond((i) => executeTask(model, inputs[i % 64], committer));
    rows.push(`| ${name} | ${plain.perSecond.toFixed(0)} | ${traced.perSecond.toFixed(0)} |`);
    console.error(
      `runtime: ${name}: ${plain.perSecond.toFixed(0)} run/s, ${traced.perSecond.toFixed(0)} executeTask/s`,
    );
  }
  return rows.join('\n');
}
