import {
  createJsTensorCommitter,
  createTensorCommitter,
  InvalidFieldElementError,
  traceRoot,
} from '@verilay/commitments';
import {
  buildModel,
  InvalidInputError,
  NativeModelRunner,
  randomArchitecture,
  randomInput,
  randomTransformer,
  run,
  splitmix32,
  parseModel,
} from '@verilay/inference';
import { buildPoseidonReference } from 'circomlibjs';
import { nativeAddon } from '@verilay/native';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { executeTask } from './execute-task';

// Where the native core is built, executeTask runs and commits a task in one crossing (native
// kernels, Poseidon and keccak trace root); it must give what the reference path gives: the
// reference runtime, circomlibjs' Poseidon and libs/commitments' traceRoot.
const withNative = nativeAddon() ? describe : describe.skip;

withNative(executeTask.name, () => {
  it('equals the reference path on random models, inputs and salts', async () => {
    const sut = await createTensorCommitter();
    const reference = await createJsTensorCommitter();
    expect(sut.native).toBe(true);
    const oneCrossing = jest.spyOn(NativeModelRunner.prototype, 'runAndCommit');
    const rand = splitmix32(12);
    for (let seed = 1; seed <= 60; seed++) {
      const model = randomArchitecture(seed);
      const input = randomInput(model, seed);
      const salt = seed % 3 === 0 ? 0n : BigInt(Math.floor(rand() * 2 ** 32)) * 2n ** 200n + BigInt(seed);
      const { output, trace } = run(model, input);
      const commitments = trace.map((t, i) => reference.commitTensor(t, i === 0 ? salt : 0n));
      // A plain array and an Int32Array cross differently.
      for (const given of [input, Array.from(input)]) {
        const task = executeTask(model, given, sut, salt);
        expect(Array.from(task.output.data)).toEqual(Array.from(output.data));
        expect(task.output.dtype).toBe(output.dtype);
        expect(task.traceCommitments).toEqual(commitments);
        expect(task.traceRoot).toBe(traceRoot(commitments));
        expect(task.inputCommitment).toBe(commitments[0]);
        expect(task.outputCommitment).toBe(commitments[commitments.length - 1]);
      }
    }
    expect(oneCrossing).toHaveBeenCalledTimes(120);
    oneCrossing.mockRestore();
  });

  it('equals the reference path on the MNIST models', async () => {
    const sut = await createTensorCommitter();
    const reference = await createJsTensorCommitter();
    for (const name of ['mnist-mlp', 'mnist-cnn']) {
      const model = parseModel(
        readFileSync(join(__dirname, `../../../models/mnist/${name}.model.json`), 'utf8'),
      );
      const input = randomInput(model, 3);
      const commitments = run(model, input).trace.map((t, i) => reference.commitTensor(t, i === 0 ? 9n : 0n));
      expect(executeTask(model, input, sut, 9n).traceRoot).toBe(traceRoot(commitments));
    }
  });

  it("gives the reference path's errors for a bad input or salt", async () => {
    const sut = await createTensorCommitter();
    const model = randomArchitecture(5);
    const input = Array.from(randomInput(model, 5));
    expect(() => executeTask(model, [...input.slice(1), 1.5], sut)).toThrow(InvalidInputError);
    expect(() => executeTask(model, input.slice(1), sut)).toThrow(InvalidInputError);
    expect(() => executeTask(model, input, sut, -1n)).toThrow(InvalidFieldElementError);
    expect(() => executeTask(model, input, sut, 2n ** 254n)).toThrow(InvalidFieldElementError);
  });
});

describe(`${executeTask.name} (state commitments, the JavaScript path)`, () => {
  it('commits a trace with live slots as Poseidon(tag + k, c_i, c_j..), and as c_i where none is live', async () => {
    const reference = await buildPoseidonReference();
    const poseidon = (xs: bigint[]) =>
      `0x${reference.F.toObject(reference(xs)).toString(16).padStart(64, '0')}`;
    const committer = await createJsTensorCommitter();
    // t0 input; store 4 (t1 = t0, slot 4 holds t0); relu (t2); store 9 (t3 = t2, slot 9 holds t2);
    // requantize (t4); add 9 (t5); add 4 (t6).
    const model = buildModel({
      format: 'verilay.model.v2',
      input: { shape: [3], dtype: 'int8' },
      layers: [
        { op: 'store', slot: 4 },
        { op: 'relu' },
        { op: 'store', slot: 9 },
        { op: 'requantize', multiplier: 1, shift: 1, zeroPoint: 0, dtype: 'int8' },
        { op: 'add', slot: 9 },
        { op: 'add', slot: 4 },
      ],
    });
    const input = [-5, 0, 7];
    const salt = 77n;
    const trace = run(model, input).trace;
    expect(trace.map((t) => Array.from(t.data))).toEqual([
      [-5, 0, 7],
      [-5, 0, 7],
      [0, 0, 7],
      [0, 0, 7],
      [0, 0, 4], // ⌊(7 + 1) / 2⌋
      [0, 0, 11],
      [-5, 0, 18],
    ]);
    const c = trace.map((t, i) => BigInt(committer.commitTensor(t, i === 0 ? salt : 0n)));
    const tag = (k: bigint) => 0x7673746174650000n + k;
    const sut = executeTask(model, input, committer, salt);
    expect(sut.traceCommitments).toEqual([
      toHex(c[0]),
      poseidon([tag(1n), c[1], c[0]]), // the slot holds the input: its salted commitment
      poseidon([tag(1n), c[2], c[0]]),
      poseidon([tag(2n), c[3], c[0], c[2]]), // ascending slot order: 4, then 9
      poseidon([tag(2n), c[4], c[0], c[2]]),
      poseidon([tag(1n), c[5], c[0]]),
      toHex(c[6]),
    ]);
    expect(sut.inputCommitment).toBe(toHex(c[0]));
    expect(sut.outputCommitment).toBe(toHex(c[6]));
    expect(sut.traceRoot).toBe(traceRoot(sut.traceCommitments));
  });

  it('leaves every v1 trace commitment the tensor commitment (states without live slots)', async () => {
    const committer = await createJsTensorCommitter();
    for (let seed = 1; seed <= 10; seed++) {
      const model = randomArchitecture(seed);
      const input = randomInput(model, seed);
      const commitments = run(model, input).trace.map((t, i) => committer.commitTensor(t, i === 0 ? 5n : 0n));
      expect(executeTask(model, input, committer, 5n).traceCommitments).toEqual(commitments);
    }
  });

  it('gives the same commitments with the native committer as with the JavaScript one on random transformers', async () => {
    const js = await createJsTensorCommitter();
    const sut = await createTensorCommitter();
    for (let seed = 1; seed <= 8; seed++) {
      const model = randomTransformer(seed);
      const input = randomInput(model, seed);
      const expected = executeTask(model, input, js, BigInt(seed));
      expect(model.states.some((live) => live.length > 0)).toBe(true);
      expect(executeTask(model, input, sut, BigInt(seed))).toEqual(expected);
    }
  });
});

const toHex = (v: bigint) => `0x${v.toString(16).padStart(64, '0')}`;
