import { createTensorCommitter, type TensorCommitter } from '@verilay/commitments';
import { parseModel, randomInput, randomTransformer, run, type Model } from '@verilay/inference';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCircuit } from './compile-circuit';
import { generateModelCircuit } from './generate-circuit';
import { transformerStepInput } from './generate-transformer-step';
import { firstUnsatisfied, parseR1cs, parseSym } from './r1cs';
import { P } from './template-harness.spec-helper';
import { WitnessCalculator } from './witness-calculator';

// circomlib's Poseidon, independent of the circuits: the reference for the state commitment.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildPoseidon } = require('circomlibjs') as {
  buildPoseidon: () => Promise<{ (inputs: bigint[]): Uint8Array; F: { toObject(v: Uint8Array): bigint } }>;
};
const field = (v: number) => (BigInt(v) + P) % P;

// Each step compile costs ~4 s of CPU whatever its size (circomlib's Poseidon, in every step's
// commitments, is most of it), so the default run compiles one step of each kind; VERILAY_FULL=1
// compiles and checks every step.
const FULL = process.env.VERILAY_FULL === '1';

/**
 * What a step's circuit depends on besides its constants: the op and its variant, the input shape
 * and both dtypes (every range bound follows from them), and for store and load, whose circuits are
 * only the state commitment, the live slots before and after.
 */
function stepKind(model: Model, step: number): string {
  const layer = model.layers[step];
  const variant =
    layer.op === 'matmul'
      ? ` transposeB ${layer.transposeB}`
      : layer.op === 'softmax'
        ? ` causal ${layer.causal}`
        : '';
  const slots =
    layer.op === 'store' || layer.op === 'load'
      ? ` slots ${model.states[step].length} -> ${model.states[step + 1].length}`
      : '';
  const [from, to] = [model.tensors[step], model.tensors[step + 1]];
  return `${layer.op}${variant} [${from.shape}] ${from.dtype} -> ${to.dtype}${slots}`;
}

/** The steps a cross-check compiles: all with VERILAY_FULL=1, else the first of each kind. */
function stepsToCheck(model: Model): number[] {
  const first = new Map<string, number>();
  model.layers.forEach((_, step) => {
    const kind = stepKind(model, step);
    if (FULL || !first.has(kind)) first.set(FULL ? String(step) : kind, step);
  });
  return [...first.values()];
}

describe('transformer step circuits against the runtime', () => {
  let dir: string;
  let committer: TensorCommitter;
  let stateOf: (model: Model, i: number, c: bigint[]) => bigint;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-zk-v2-'));
    committer = await createTensorCommitter();
    const poseidon = await buildPoseidon();
    // docs/model-format.md: c_i alone, or Poseidon(tag, c_i, c_j1..c_jk) with tag "vstate"·2^16 + k.
    stateOf = (model, i, c) => {
      const live = model.states[i];
      if (live.length === 0) return c[i];
      const tag = 0x7673746174650000n + BigInt(live.length);
      return poseidon.F.toObject(poseidon([tag, c[i], ...live.map(([, t]) => c[t])]));
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * Each step of the model that `stepsToCheck` picks (and `only` keeps): compiled (--O1), its
   * witness equal to the trace, h_i and h_{i+1} public. Returns the ops checked.
   */
  async function crossCheck(model: Model, label: string, inputs: number, only = (_op: string) => true) {
    const runs = Array.from({ length: inputs }, (_, s) => {
      const input = randomInput(model, s);
      const salt = BigInt(7000 + s);
      const trace = run(model, input).trace;
      const c = trace.map((t, i) => BigInt(committer.commitTensor(t, i === 0 ? salt : 0n)));
      return { trace, c, salt };
    });
    const checked = new Set<string>();
    for (const step of stepsToCheck(model)) {
      if (!only(model.layers[step].op)) continue;
      checked.add(model.layers[step].op);
      const circuit = generateModelCircuit(model, { step });
      const name = `${label}s${step}`;
      const compiled = await compileCircuit(circuit.source, name, join(dir, name));
      const r1cs = parseR1cs(readFileSync(compiled.r1csPath));
      const sym = parseSym(readFileSync(compiled.symPath, 'utf8'));
      const calculator = await WitnessCalculator.load(compiled.wasmPath);
      for (const { trace, c, salt } of runs) {
        const witness = await calculator.witness(transformerStepInput(model, step, trace, c, salt));
        const at = `${label} step ${step} (${model.layers[step].op})`;
        expect([at, witness[1], witness[2]]).toEqual([
          at,
          stateOf(model, step, c),
          stateOf(model, step + 1, c),
        ]);
        trace[step + 1].data.forEach((v, j) => {
          const wire = sym.get(`main.t${step + 1}[${j}]`);
          if (wire !== undefined && wire >= 0) expect([at, j, witness[wire]]).toEqual([at, j, field(v)]);
        });
        expect(firstUnsatisfied(r1cs, witness)).toBe(-1);
        const forged = [...witness];
        forged[2] = (forged[2] + 1n) % P;
        expect(firstUnsatisfied(r1cs, forged)).not.toBe(-1);
      }
      // A swapped slot commitment (two live slots exchanged) is another state: no witness.
      const { trace, c, salt } = runs[0];
      const input = transformerStepInput(model, step, trace, c, salt);
      const slots = input.slots as bigint[];
      if (slots.length >= 2 && slots[0] !== slots[1]) {
        const witness = await calculator.witness({
          ...input,
          slots: [slots[1], slots[0], ...slots.slice(2)],
        });
        expect(witness[1]).not.toBe(stateOf(model, step, c));
      }
    }
    return checked;
  }

  // One block of every op: 37 steps, 27 kinds (stepKind), ~4 s of CPU compiling each: the CI cost.
  it('computes the trace and the state commitments at a step of each kind of a random transformer', async () => {
    // Per-channel scales on the dense layers and the attention matmuls (per-tensor elsewhere).
    const model = randomTransformer(1, { blocks: 1, maxPositions: 4, perChannel: true });
    const ops = await crossCheck(model, 'tf1', 2);
    // Every op the generator draws, both matmuls and every store and load the block needs.
    expect([...ops].sort()).toEqual(
      [
        'add',
        'argmax',
        'dense',
        'embedding',
        'load',
        'matmul',
        'mergeHeads',
        'mul',
        'polyGate',
        'rmsnorm',
        'rope',
        'softmax',
        'splitHeads',
        'store',
      ].sort(),
    );
    expect(
      stepsToCheck(model)
        .map((step) => stepKind(model, step))
        .filter((k) => k.startsWith('matmul')),
    ).toEqual([
      'matmul transposeB true [1,3,4] int8 -> int16',
      'matmul transposeB false [1,3,3] uint8 -> int8',
    ]);
  }, 900_000);

  it('computes an rmsnorm step past the former 2^31 bounds (Σx² and 2·x·w beyond int32, below 2^53)', async () => {
    // dim 8, int16 rows at the dtype's ends: Σx² up to 2^33; weights at the int32 ends: |2·x·w| to 2^47.
    const weight = [2 ** 31 - 1, -(2 ** 31), 5, -3, 32768, -40000, 1, 0];
    const model = parseModel({
      format: 'verilay.model.v2',
      input: { shape: [2, 8], dtype: 'int16' },
      layers: [
        { op: 'rmsnorm', dim: 8, weight, eps: 7, dtype: 'int16' },
        { op: 'rmsnorm', dim: 8, weight: weight.map((w) => -w - 1), eps: 65536, dtype: 'int8' },
      ],
    });
    const sums = (s: number) => {
      const x = randomInput(model, s);
      return [0, 8].map((o) => x.slice(o, o + 8).reduce((a, v) => a + v * v, 0));
    };
    // The random inputs (seeds 0, 1) do pass the former bound: Σx² > 2^31 on some row.
    expect(Math.max(...sums(0), ...sums(1))).toBeGreaterThan(2 ** 31);
    await crossCheck(model, 'rms53', 2);
  }, 300_000);

  it('computes the layernorm steps of a random transformer (int16 and int8 inputs, dim 12: D² no power of two)', async () => {
    const model = randomTransformer(7, { blocks: 1, maxPositions: 4, layerNorm: true });
    const norms = model.layers.flatMap((l, i) => (l.op === 'layernorm' ? [model.tensors[i].dtype] : []));
    expect(norms.sort()).toEqual(['int16', 'int8']);
    await crossCheck(model, 'ln7', 2, (op) => op === 'layernorm');
  }, 300_000);
});
