import { createTensorCommitter, toHex32 } from '@verilay/commitments';
import { randomInput, randomModel } from '@verilay/inference';
import { executeTask } from '@verilay/protocol';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildCircuit, type CircuitArtifacts } from './build-circuit';
import { snarkjsCli } from './paths';
import {
  explainInferenceProof,
  Prover,
  releaseProverThreads,
  verifyInferenceProof,
  type InferenceProof,
} from './prover';
import { ProverPool } from './prover-pool';

describe(Prover.name, () => {
  const model = randomModel({ seed: 31, kind: 'mlp', sizes: [16, 8, 4], argmax: true });
  let cacheDir: string;
  let artifacts: CircuitArtifacts;
  let sut: Prover;
  let proof: InferenceProof;

  beforeAll(async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'verilay-build-'));
    artifacts = await buildCircuit(model, { cacheDir });
    sut = await Prover.load(model, artifacts);
    proof = await sut.prove(randomInput(model, 1), 777n);
  }, 180_000);

  afterAll(async () => {
    await releaseProverThreads();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('ProverPool keeps one warm prover per model and step', async () => {
    const pool = new ProverPool({ cacheDir, size: 2 });
    const first = await pool.get(model);
    expect(await pool.get(model)).toBe(first);
    expect(first.artifacts.circuitHash).toBe(artifacts.circuitHash);
    const other = randomModel({ seed: 32, kind: 'mlp', sizes: [4, 2] });
    await expect(pool.get(other, 9)).rejects.toThrow(/step 9 is not a layer/); // a failed build is not kept
    expect(await pool.get(model)).toBe(first);
  });

  it('builds once, then hits the cache', async () => {
    expect(artifacts.cacheHit).toBe(false);
    expect(artifacts.constraints).toBeGreaterThan(0);
    const again = await buildCircuit(model, { cacheDir });
    expect(again).toMatchObject({
      cacheHit: true,
      circuitHash: artifacts.circuitHash,
      zkeyPath: artifacts.zkeyPath,
    });
  });

  it('proves an inference whose public signals are the runtime commitments', async () => {
    const committer = await createTensorCommitter();
    const task = executeTask(model, randomInput(model, 1), committer, 777n);
    expect(proof.inputCommitment).toBe(task.inputCommitment);
    expect(proof.outputCommitment).toBe(task.outputCommitment);
    expect(proof.output).toEqual(Array.from(task.output.data));
    expect(await sut.verify(proof)).toBe(true);
  });

  it('verifies with the snarkjs CLI alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verilay-cli-'));
    writeFileSync(join(dir, 'proof.json'), JSON.stringify(proof.proof));
    writeFileSync(join(dir, 'public.json'), JSON.stringify(proof.publicSignals));
    const cli = snarkjsCli();
    const { stdout } = await promisify(execFile)(process.execPath, [
      cli,
      'groth16',
      'verify',
      artifacts.vkeyPath,
      join(dir, 'public.json'),
      join(dir, 'proof.json'),
    ]);
    expect(stdout).toMatch(/OK!/);
    // And the CLI rejects a changed public signal.
    writeFileSync(
      join(dir, 'public.json'),
      JSON.stringify([proof.publicSignals[0], (BigInt(proof.publicSignals[1]) + 1n).toString()]),
    );
    const bad = await promisify(execFile)(process.execPath, [
      cli,
      'groth16',
      'verify',
      artifacts.vkeyPath,
      join(dir, 'public.json'),
      join(dir, 'proof.json'),
    ]).catch((e: { stdout: string }) => e);
    expect(bad.stdout).toMatch(/Invalid proof/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a proof whose output commitment or input commitment was changed', async () => {
    const other = toHex32(BigInt(proof.outputCommitment) ^ 1n);
    expect(
      await verifyInferenceProof(sut.vkey, {
        ...proof,
        outputCommitment: other,
        publicSignals: [proof.publicSignals[0], BigInt(other).toString()],
      }),
    ).toBe(false);
    const otherIn = toHex32(BigInt(proof.inputCommitment) + 1n);
    expect(
      await verifyInferenceProof(sut.vkey, {
        ...proof,
        inputCommitment: otherIn,
        publicSignals: [BigInt(otherIn).toString(), proof.publicSignals[1]],
      }),
    ).toBe(false);
    // Signals that disagree with the named commitments are refused before any pairing.
    expect(await verifyInferenceProof(sut.vkey, { ...proof, outputCommitment: other })).toBe(false);
  });

  it('rejects a tampered proof', async () => {
    const tampered = {
      ...proof,
      proof: { ...proof.proof, pi_a: [proof.proof.pi_c[0], proof.proof.pi_c[1], '1'] },
    };
    expect(await verifyInferenceProof(sut.vkey, tampered)).toBe(false);
    const garbage = { ...proof, proof: { ...proof.proof, pi_c: ['1', '2', '1'] } };
    expect(await verifyInferenceProof(sut.vkey, garbage)).toBe(false);
  });

  describe(explainInferenceProof.name, () => {
    it('says nothing of a valid proof, and which check fails for each kind of invalid one', async () => {
      expect(await explainInferenceProof(sut.vkey, proof)).toBeUndefined();
      const other = toHex32(BigInt(proof.outputCommitment) ^ 1n);
      expect(await explainInferenceProof(sut.vkey, { ...proof, outputCommitment: other })).toBe(
        `public signal 1 (${proof.publicSignals[1]}) is not the output commitment the proof names (${other})`,
      );
      expect(
        await explainInferenceProof(sut.vkey, { ...proof, publicSignals: [proof.publicSignals[0]] as never }),
      ).toMatch(/^the proof has 1 public signals; an inference proof has 2/);
      expect(await explainInferenceProof({ ...sut.vkey, nPublic: 3 }, proof)).toMatch(
        /^the verification key is for 3 public inputs/,
      );
      // Signals and commitments agree, but were not proven: only the pairing can tell.
      expect(
        await explainInferenceProof(sut.vkey, {
          ...proof,
          outputCommitment: other,
          publicSignals: [proof.publicSignals[0], BigInt(other).toString()],
        }),
      ).toMatch(/^the pairing check fails/);
      expect(
        await explainInferenceProof(sut.vkey, { ...proof, proof: { ...proof.proof, pi_c: ['1', '3', '1'] } }),
      ).toBe("the proof's points are not on the curve (or not in its subgroup)");
    });
  });

  it('cannot prove an input outside the model input dtype', async () => {
    const input = Array.from(randomInput(model, 2));
    input[3] = 200;
    await expect(sut.prove(input)).rejects.toThrow();
  });
});
