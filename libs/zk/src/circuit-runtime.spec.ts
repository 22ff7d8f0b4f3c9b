import { createTensorCommitter, type TensorCommitter } from '@verilay/commitments';
import { randomArchitecture, randomInput, randomModel, run, type Model } from '@verilay/inference';
import { executeTask } from '@verilay/protocol';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { circuitInput } from './circuit-input';
import { compileCircuit } from './compile-circuit';
import { generateModelCircuit } from './generate-circuit';
import { firstUnsatisfied, parseR1cs, parseSym } from './r1cs';
import { WitnessCalculator } from './witness-calculator';

const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const field = (v: number) => (BigInt(v) + P) % P;

describe('generated circuits against the runtime', () => {
  let dir: string;
  let committer: TensorCommitter;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-zk-'));
    committer = await createTensorCommitter();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Compiles the model's circuit, computes a witness, and checks it signal by signal. */
  async function crossCheck(model: Model, name: string, inputs: number, step?: number) {
    const circuit = generateModelCircuit(model, { step });
    const compiled = await compileCircuit(circuit.source, name, join(dir, name));
    const r1cs = parseR1cs(readFileSync(compiled.r1csPath));
    const sym = parseSym(readFileSync(compiled.symPath, 'utf8'));
    const calculator = await WitnessCalculator.load(compiled.wasmPath);
    for (let s = 0; s < inputs; s++) {
      const input = randomInput(model, s);
      const salt = step === undefined || step === 0 ? BigInt(1000 + s) : 0n;
      const task = executeTask(model, input, committer, salt);
      const trace = run(model, input).trace;
      const values = trace[circuit.inputIndex].data;
      const witness = await calculator.witness(circuitInput(values, salt));
      // Public outputs are wires 1 and 2: the commitments the runtime computes.
      expect(witness[1]).toBe(BigInt(task.traceCommitments[circuit.inputIndex]));
      expect(witness[2]).toBe(BigInt(task.traceCommitments[circuit.outputIndex]));
      // Every intermediate tensor the circuit keeps equals the runtime's trace, bit for bit.
      for (let t = circuit.inputIndex + 1; t <= circuit.outputIndex; t++)
        trace[t].data.forEach((v, j) => {
          const wire = sym.get(`main.t${t}[${j}]`);
          if (wire !== undefined && wire >= 0) expect(witness[wire]).toBe(field(v));
        });
      // An independent check of the compiled constraints (not circom's own).
      expect(firstUnsatisfied(r1cs, witness)).toBe(-1);
      // A different output cannot be claimed: neither its commitment nor its values fit.
      const forged = [...witness];
      forged[2] = (forged[2] + 1n) % P;
      expect(firstUnsatisfied(r1cs, forged)).not.toBe(-1);
      const last = sym.get(`main.t${circuit.outputIndex}[0]`);
      if (last !== undefined && last >= 0) {
        const forgedValue = [...witness];
        forgedValue[last] = (forgedValue[last] + 1n) % P;
        expect(firstUnsatisfied(r1cs, forgedValue)).not.toBe(-1);
      }
    }
    return { r1cs, compiled };
  }

  it('computes the runtime trace and commitments for random architectures', async () => {
    for (let seed = 1; seed <= 8; seed++)
      await crossCheck(randomArchitecture(seed, { maxWidth: 8 }), `arch${seed}`, 3);
  }, 240_000);

  it('computes one step of a trace (layer-slice circuits)', async () => {
    const model = randomModel({ seed: 4, kind: 'cnn', sizes: [1, 6, 6, 2, 3], argmax: true });
    for (let step = 0; step < model.layers.length; step++) await crossCheck(model, `step${step}`, 2, step);
  }, 240_000);

  it('does not depend on the model name (free text from registration)', () => {
    const model = randomModel({ seed: 6, kind: 'mlp', sizes: [4, 3, 2] });
    const hostile = { ...model, name: 'x\n} component main = Evil();\n//' };
    expect(generateModelCircuit(hostile).source).toBe(generateModelCircuit(model).source);
  });

  it('has no witness for an input outside its dtype', async () => {
    const model = randomModel({ seed: 5, kind: 'mlp', sizes: [4, 3, 2] });
    const compiled = await compileCircuit(generateModelCircuit(model).source, 'range', join(dir, 'range'));
    const calculator = await WitnessCalculator.load(compiled.wasmPath);
    await expect(calculator.witness(circuitInput([1, 2, 3, 128]))).rejects.toThrow(/No witness/);
    await expect(calculator.witness(circuitInput([1, 2, 3, 127]))).resolves.toBeDefined();
  }, 60_000);
});
