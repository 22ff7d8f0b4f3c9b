import {
  compileGroth16Verifier,
  deployBytecode,
  modelRegistryAbi,
  iGroth16VerifierAbi,
  registerModel,
} from '@verilay/chain';
import { decodeFunctionResult, encodeFunctionData, getAddress } from 'viem';
import { releaseProverThreads } from '@verilay/zk';
import { readFileSync } from 'node:fs';
import { isolateEach, startChainFixture, type ChainFixture } from './support/chain-fixture';
import { expectRevert } from './support/expect-revert';
import { buildZkModels, proveWith, type ZkModel } from './support/zk-models';

const ZERO = '0x0000000000000000000000000000000000000000';

describe('ModelRegistry', () => {
  let f: ChainFixture;
  let zk: { validity: ZkModel; bisection: ZkModel };
  let verifier: `0x${string}`;
  let valid: Awaited<ReturnType<typeof proveWith>>;
  const input = () => zk.validity.input(1);

  beforeAll(async () => {
    zk = await buildZkModels();
    f = await startChainFixture();
    const bytecode = compileGroth16Verifier(
      readFileSync(zk.validity.whole!.artifacts.verifierSolPath, 'utf8'),
    );
    verifier = (await deployBytecode(f.clients.deployer, 'Groth16Verifier', bytecode)).address;
    valid = await proveWith(zk.validity.whole!, input(), 99n);
  }, 600_000);
  afterAll(async () => {
    await f?.anvil.stop();
    await releaseProverThreads();
  });
  isolateEach(() => f);

  const register = (by = f.clients.deployer, over: Partial<Parameters<typeof registerModel>[2]> = {}) =>
    registerModel(by, f.deployment, {
      modelId: zk.validity.modelId,
      wholeVerifier: verifier,
      traceLength: zk.validity.model.layers.length,
      ...over,
    });
  const read = <N extends 'model' | 'isRegistered' | 'verifyInference' | 'stepVerifier'>(
    functionName: N,
    args: unknown[],
  ) =>
    f.clients.stranger.public.readContract({
      address: f.deployment.registry,
      abi: modelRegistryAbi,
      functionName,
      args,
    } as never) as Promise<unknown>;

  describe('registerModel', () => {
    it('registerModel_byRegistrar_succeeds', async () => {
      await register();
      expect(await read('isRegistered', [zk.validity.modelId])).toBe(true);
      expect(await read('model', [zk.validity.modelId])).toEqual([
        getAddress(verifier),
        zk.validity.model.layers.length,
        0n,
      ]);
    });

    it('registerModel_byStranger_reverts', async () => {
      await expectRevert(register(f.clients.stranger), 'OwnableUnauthorizedAccount');
    });

    it('registerModel_twice_reverts', async () => {
      await register();
      await expectRevert(register(), 'ModelAlreadyRegistered');
    });

    it('registerModel_withoutVerifier_reverts', async () => {
      await expectRevert(register(undefined, { wholeVerifier: undefined }), 'NoVerifier');
    });

    it('registerModel_stepCountNotTraceLength_reverts', async () => {
      await expectRevert(register(undefined, { stepVerifiers: [verifier] }), 'StepTableLength');
    });

    it('registerModel_verifierWithoutCode_reverts', async () => {
      await expectRevert(register(undefined, { wholeVerifier: f.accounts.stranger.address }), 'NotAContract');
      await expectRevert(
        register(undefined, {
          wholeVerifier: undefined,
          traceLength: 2,
          stepVerifiers: [verifier, f.accounts.stranger.address],
        }),
        'NotAContract',
      );
    });

    it('registerModel_traceLengthOutOfBounds_reverts', async () => {
      await expectRevert(register(undefined, { traceLength: 0 }), 'InvalidTraceLength');
      await expectRevert(register(undefined, { traceLength: 65_537 }), 'InvalidTraceLength');
    });

    it('stepVerifier_outOfRange_reverts', async () => {
      await register();
      await expect(read('stepVerifier', [zk.validity.modelId, 0n])).rejects.toThrow(/NoStepVerifier/);
    });
  });

  describe('verifyInference', () => {
    const publicSignals = (output: `0x${string}`) => [BigInt(output)];
    it('verifyInference_validProof_returnsOutputCommitment', async () => {
      await register();
      const out = await read('verifyInference', [
        zk.validity.modelId,
        BigInt((await zk.validity.whole!.prove(input(), 99n)).inputCommitment),
        ...publicSignals(valid.output),
        valid.proof,
      ]);
      expect(out).toBe(BigInt(valid.output));
    });

    it('verifyInference_otherOutput_reverts', async () => {
      await register();
      const inputCommitment = BigInt((await zk.validity.whole!.prove(input(), 99n)).inputCommitment);
      await expect(
        read('verifyInference', [
          zk.validity.modelId,
          inputCommitment,
          BigInt(valid.output) + 1n,
          valid.proof,
        ]),
      ).rejects.toThrow(/InvalidProof/);
    });

    it('verifyInference_tamperedProof_reverts', async () => {
      await register();
      const inputCommitment = BigInt((await zk.validity.whole!.prove(input(), 99n)).inputCommitment);
      const tampered = { ...valid.proof, a: [valid.proof.a[0], valid.proof.a[1] + 1n] as const };
      await expect(
        read('verifyInference', [zk.validity.modelId, inputCommitment, BigInt(valid.output), tampered]),
      ).rejects.toThrow(/InvalidProof/);
    });

    it('verifyInference_unregisteredModel_reverts', async () => {
      await expect(read('verifyInference', [ZERO.padEnd(66, '0'), 1n, 2n, valid.proof])).rejects.toThrow(
        /ModelNotRegistered/,
      );
    });

    it('verifyInference_starvedOfGas_revertsWhereTheRawVerifierSaysFalse', async () => {
      // The generated verifier answers false when the pairing precompile runs out of gas; the
      // wrapper turns that into a revert, so a starved call can never be read as a verdict.
      await register();
      const inputCommitment = BigInt((await zk.validity.whole!.prove(input(), 99n)).inputCommitment);
      const signals = [inputCommitment, BigInt(valid.output)] as const;
      const raw = (gas: bigint) =>
        f.clients.stranger.public
          .call({
            to: verifier,
            gas,
            data: encodeFunctionData({
              abi: iGroth16VerifierAbi,
              functionName: 'verifyProof',
              args: [valid.proof.a, valid.proof.b, valid.proof.c, signals],
            }),
          })
          .then(({ data }) =>
            decodeFunctionResult({ abi: iGroth16VerifierAbi, functionName: 'verifyProof', data: data! }),
          );
      expect(await raw(1_000_000n)).toBe(true);
      expect(await raw(150_000n)).toBe(false); // the trap: a valid proof, "invalid" for lack of gas
      const wrapped = (gas: bigint) =>
        f.clients.stranger.public.call({
          to: f.deployment.registry,
          gas,
          data: encodeFunctionData({
            abi: modelRegistryAbi,
            functionName: 'verifyInference',
            args: [zk.validity.modelId, ...signals, valid.proof],
          }),
        });
      await expect(wrapped(1_000_000n)).resolves.toBeDefined();
      await expect(wrapped(150_000n)).rejects.toThrow(/revert/i);
    });
  });
});
