import { createTensorCommitter, type TensorCommitter } from '@verilay/commitments';
import { randomArchitecture, randomInput, run, type Model } from '@verilay/inference';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCircuit } from './compile-circuit';
import { generateModelCircuit } from './generate-circuit';
import { transformerStepInput } from './generate-transformer-step';
import { firstUnsatisfied, parseR1cs, parseSym } from './r1cs';
import { P } from './template-harness.spec-helper';
import { WitnessCalculator } from './witness-calculator';

// Per-channel requantization (docs/model-format.md) in step circuits, on the shapes an imported
// QDQ CNN has: a conv's [C, H, W] output requantized per channel along its first axis, a dense
// output [N] along its last. The transformer shapes ([T, C], a matmul's [H, M, N]) are covered by
// transformer-circuit-runtime.spec.ts.

const field = (v: number) => (BigInt(v) + P) % P;

describe('per-channel requantize step circuits against the runtime', () => {
  let dir: string;
  let committer: TensorCommitter;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-zk-channels-'));
    committer = await createTensorCommitter();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('computes every per-channel requantize step of random CNNs and MLPs bit for bit, and refuses a forged output', async () => {
    const ranks: number[] = [];
    // Seed 5: a conv to [3, 4, 3] and dense layers to [4] (seed 6 has [2, 6, 3] and [6]).
    for (const seed of [5]) {
      const model: Model = randomArchitecture(seed, { perChannel: true, maxWidth: 6 });
      for (const [step, layer] of model.layers.entries()) {
        if (layer.op !== 'requantize' || typeof layer.multiplier === 'number' || layer.multiplier.length < 2)
          continue;
        const circuit = generateModelCircuit(model, { step });
        const name = `pc${seed}s${step}`;
        const compiled = await compileCircuit(circuit.source, name, join(dir, name));
        const r1cs = parseR1cs(readFileSync(compiled.r1csPath));
        const sym = parseSym(readFileSync(compiled.symPath, 'utf8'));
        const calculator = await WitnessCalculator.load(compiled.wasmPath);
        for (let s = 0; s < 3; s++) {
          const trace = run(model, randomInput(model, 100 * seed + s)).trace;
          const c = trace.map((t, i) => BigInt(committer.commitTensor(t, i === 0 ? 5n : 0n)));
          const witness = await calculator.witness(transformerStepInput(model, step, trace, c, 5n));
          const at = `seed ${seed} step ${step} [${model.tensors[step].shape}]`;
          expect([at, witness[1], witness[2]]).toEqual([at, c[step], c[step + 1]]);
          trace[step + 1].data.forEach((v, j) => {
            const wire = sym.get(`main.t${step + 1}[${j}]`);
            if (wire !== undefined && wire >= 0) expect([at, j, witness[wire]]).toEqual([at, j, field(v)]);
          });
          expect(firstUnsatisfied(r1cs, witness)).toBe(-1);
          const forged = [...witness];
          forged[2] = (forged[2] + 1n) % P;
          expect(firstUnsatisfied(r1cs, forged)).not.toBe(-1);
        }
        ranks.push(model.tensors[step].shape.length);
      }
    }
    // Both channel axes: a conv's [C, H, W] (the first) and a dense's [N] (the last).
    expect(ranks.filter((r) => r === 3)).toHaveLength(1);
    expect(ranks.filter((r) => r === 1).length).toBeGreaterThanOrEqual(1);
  }, 600_000);
});
