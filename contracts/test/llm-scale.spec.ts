// The registry and the bisection game at LLM scale: thousands of steps that share a few circuits,
// step circuits registered lazily, and a real Groth16 step verifier (a ReLU over a tensor that
// is already non-negative: an idempotent step, so a 4,096-step trace of one circuit is true).
import {
  compileGroth16Verifier,
  deployBytecode,
  modelRegistryAbi,
  readDispute,
  registerModel,
  setStepVerifier,
  transact,
  chooseHalf,
  claimTimeout,
  openDispute,
  revealMidpoint,
  submitStepProof,
  toSolidityProof,
} from '@verilay/chain';
import { claimLeaf, TraceTree, type Hex32 } from '@verilay/commitments';
import { buildModel, randomInput, randomModel, type Model } from '@verilay/inference';
import { claimTypedData, executeTask, type ClaimFields } from '@verilay/protocol';
import { buildCircuit, Prover, releaseProverThreads } from '@verilay/zk';
import { readFileSync } from 'node:fs';
import { keccak256, toHex } from 'viem';
import {
  advance,
  ETH,
  expectConserved,
  isolateEach,
  postClaims,
  startChainFixture,
  type ChainFixture,
  type MadeClaim,
} from './support/chain-fixture';
import { maxMoves, playBisection } from './support/bisection-players';
import { expectRevert } from './support/expect-revert';
import { TEST_CACHE_DIR, type ZkModel } from './support/zk-models';

const L = 4096;
const ZERO = '0x0000000000000000000000000000000000000000';

describe('ModelRegistry and bisection at LLM scale', () => {
  let f: ChainFixture;
  let relu: Prover;
  let small: Model;
  let reluVerifier: `0x${string}`;
  let otherVerifier: `0x${string}`;
  const input = () => Array.from(randomInput(small, 3));

  beforeAll(async () => {
    const base = randomModel({ seed: 7, kind: 'mlp', sizes: [6, 4, 3], name: 'relu-twice' });
    // dense, requantize, relu, relu: step 3 maps a non-negative tensor to itself.
    small = buildModel({
      name: 'relu-twice',
      input: base.input,
      layers: [...base.layers.slice(0, 3), { op: 'relu' }],
    });
    relu = await Prover.load(small, await buildCircuit(small, { cacheDir: TEST_CACHE_DIR, step: 3 }));
    f = await startChainFixture();
    const bytecode = compileGroth16Verifier(readFileSync(relu.artifacts.verifierSolPath, 'utf8'));
    reluVerifier = (await deployBytecode(f.clients.deployer, 'Groth16Verifier', bytecode)).address;
    otherVerifier = (await deployBytecode(f.clients.deployer, 'Groth16Verifier', bytecode)).address;
  }, 600_000);
  afterAll(async () => {
    await f?.anvil.stop();
    await releaseProverThreads();
  });
  isolateEach(() => f);

  const modelIdOf = (name: string) => keccak256(toHex(name));
  const read = <T>(functionName: string, args: unknown[]) =>
    f.clients.stranger.public.readContract({
      address: f.deployment.registry,
      abi: modelRegistryAbi,
      functionName,
      args,
    } as never) as Promise<T>;
  /** registerModel with raw arguments (what a hostile or buggy registrar could send). */
  const registerRaw = (
    modelId: `0x${string}`,
    circuits: `0x${string}`[],
    table: `0x${string}`,
    length: number,
  ) =>
    transact(f.clients.deployer, {
      address: f.deployment.registry,
      abi: modelRegistryAbi,
      functionName: 'registerModel',
      args: [modelId, ZERO, circuits, table, length],
    });

  describe('registerModel', () => {
    it('registerModel_stepsSharingCircuits_storesOneVerifierPerCircuit', async () => {
      const id = modelIdOf('shared');
      const table = Array.from({ length: L }, (_, i) => (i % 3 === 2 ? 1 : 0));
      const mined = await registerModel(f.clients.deployer, f.deployment, {
        modelId: id,
        stepCircuits: { verifiers: [reluVerifier, otherVerifier], table },
        traceLength: L,
      });
      expect(mined.gasUsed).toBeLessThan(3_000_000n);
      expect(await read('model', [id])).toEqual([ZERO, L, 2n]);
      for (const step of [0, 1, 2, 3, 2047, 4094, 4095]) {
        expect(await read('stepCircuit', [id, BigInt(step)])).toBe(BigInt(table[step]));
        expect((await read<string>('stepVerifier', [id, BigInt(step)])).toLowerCase()).toBe(
          [reluVerifier, otherVerifier][table[step]].toLowerCase(),
        );
      }
      await expect(read('stepVerifier', [id, BigInt(L)])).rejects.toThrow(/NoStepVerifier/);
    });

    it('registerModel_twoByteTableAcrossChunks_readsEveryStep', async () => {
      // 300 circuits need two bytes a step; 9,000 steps span two 16 KiB data contracts.
      const id = modelIdOf('wide');
      const verifiers = Array.from({ length: 300 }, (_, i) => (i % 2 ? reluVerifier : otherVerifier));
      const table = Array.from({ length: 9000 }, (_, i) => (i * 7919) % 300);
      await registerModel(f.clients.deployer, f.deployment, {
        modelId: id,
        stepCircuits: { verifiers, table },
        traceLength: table.length,
      });
      for (const step of [0, 8191, 8192, 8193, 8999])
        expect(await read('stepCircuit', [id, BigInt(step)])).toBe(BigInt(table[step]));
    }, 60_000);

    it('registerModel_tableShorterOrLongerThanTrace_reverts', async () => {
      const id = modelIdOf('short');
      await expectRevert(registerRaw(id, [reluVerifier], '0x0000', 3), 'StepTableLength');
      await expectRevert(registerRaw(id, [reluVerifier], '0x00000000', 3), 'StepTableLength');
      await expectRevert(registerRaw(id, [reluVerifier], '0x000000000000000000', 3), 'StepTableLength');
      await expectRevert(registerRaw(id, [], '0x00', 1), 'StepTableLength');
    });

    it('registerModel_circuitIndexOutOfRange_reverts', async () => {
      const id = modelIdOf('out-of-range');
      const error = await expectRevert(
        registerRaw(id, [reluVerifier, otherVerifier], '0x000102', 3),
        'StepCircuitOutOfRange',
      );
      expect(error.args).toEqual([2n, 2n, 2n]);
      await expectRevert(registerRaw(id, [reluVerifier], '0x00000001', 2), 'StepCircuitOutOfRange');
      expect(() =>
        registerModel(f.clients.deployer, f.deployment, {
          modelId: id,
          stepCircuits: { verifiers: [reluVerifier], table: [0, 1] },
          traceLength: 2,
        }),
      ).toThrow(RangeError);
    });

    it('registerModel_moreCircuitsThanSteps_reverts', async () => {
      await expectRevert(
        registerRaw(modelIdOf('many'), [reluVerifier, otherVerifier], '0x00', 1),
        'StepCircuitCount',
      );
    });

    it('registerModel_traceLengthBounds', async () => {
      await expectRevert(registerRaw(modelIdOf('long'), [reluVerifier], '0x', 65_537), 'InvalidTraceLength');
      expect(await read('MAX_TRACE_LENGTH', [])).toBe(65_536n);
    });
  });

  describe('setStepVerifier', () => {
    const lazy = modelIdOf('lazy');
    const registerLazy = () =>
      registerModel(f.clients.deployer, f.deployment, {
        modelId: lazy,
        stepCircuits: { verifiers: [reluVerifier, null], table: [0, 1, 1, 0] },
        traceLength: 4,
      });

    it('setStepVerifier_lazyCircuit_setsItOnceWithAnEvent', async () => {
      await registerLazy();
      expect(await read('stepVerifier', [lazy, 1n])).toBe(ZERO);
      expect(await read('circuitVerifier', [lazy, 1n])).toEqual([ZERO, 0n]);
      const mined = await setStepVerifier(f.clients.deployer, f.deployment, lazy, 1, otherVerifier);
      expect(mined.receipt.logs).toHaveLength(1);
      expect((await read<string>('stepVerifier', [lazy, 2n])).toLowerCase()).toBe(
        otherVerifier.toLowerCase(),
      );
      await expectRevert(
        setStepVerifier(f.clients.deployer, f.deployment, lazy, 1, reluVerifier),
        'StepVerifierAlreadySet',
      );
    });

    it('setStepVerifier_circuitSetAtRegistration_reverts', async () => {
      await registerLazy();
      await expectRevert(
        setStepVerifier(f.clients.deployer, f.deployment, lazy, 0, otherVerifier),
        'StepVerifierAlreadySet',
      );
    });

    it('setStepVerifier_byStranger_reverts', async () => {
      await registerLazy();
      await expectRevert(
        setStepVerifier(f.clients.stranger, f.deployment, lazy, 1, otherVerifier),
        'OwnableUnauthorizedAccount',
      );
    });

    it('setStepVerifier_badTargets_revert', async () => {
      await expectRevert(
        setStepVerifier(f.clients.deployer, f.deployment, lazy, 0, otherVerifier),
        'ModelNotRegistered',
      );
      await registerLazy();
      await expectRevert(
        setStepVerifier(f.clients.deployer, f.deployment, lazy, 2, otherVerifier),
        'CircuitIndexOutOfRange',
      );
      await expectRevert(
        setStepVerifier(f.clients.deployer, f.deployment, lazy, 1, f.accounts.stranger.address),
        'NotAContract',
      );
    });

    it('verifyStep_missingVerifier_reverts', async () => {
      await registerLazy();
      const p = await relu.prove(input());
      await expect(
        read('verifyStep', [
          lazy,
          1n,
          BigInt(p.inputCommitment),
          BigInt(p.outputCommitment),
          toSolidityProof(p.proof),
        ]),
      ).rejects.toThrow(/StepVerifierMissing/);
      await read('verifyStep', [
        lazy,
        0n,
        BigInt(p.inputCommitment),
        BigInt(p.outputCommitment),
        toSolidityProof(p.proof),
      ]);
    });
  });

  describe('a 4,096-step game', () => {
    /** A claim over L idempotent steps from X (the ReLU's input): true, or false from step `lieFrom` on. */
    async function longClaim(modelId: `0x${string}`, lieFrom?: number): Promise<MadeClaim> {
      const x = executeTask(small, input(), f.committer, 0n).traceCommitments[3];
      const truth = Array.from({ length: L + 1 }, () => x);
      const fake = `0x${'0'.repeat(62)}2a` as Hex32;
      const trace = truth.map((h, i) => (lieFrom !== undefined && i > lieFrom ? fake : h));
      const traceTree = new TraceTree(trace);
      const claim: ClaimFields = {
        modelId,
        taskId: keccak256(toHex(`long ${lieFrom}`)),
        inputCommitment: trace[0],
        outputCommitment: trace[L],
        traceRoot: traceTree.root,
        operator: f.accounts.operator.address,
      };
      const signature = await f.accounts.operator.signTypedData(claimTypedData(claim, f.domain));
      return { claim, leaf: claimLeaf(claim), signature, trace, traceTree, truth, input: input(), salt: 0n };
    }
    const zkOf = (): ZkModel =>
      ({ model: { layers: { length: L } }, steps: new Array(L).fill(relu) }) as unknown as ZkModel;
    async function disputed(made: MadeClaim) {
      const batch = await postClaims(f, [made]);
      return openDispute(f.clients.challenger, f.deployment, {
        batchIndex: batch.batchIndex,
        claim: made.claim,
        inclusionProof: batch.tree.proof(made.leaf),
        signature: made.signature,
        bond: f.params.challengerBond,
      });
    }
    /** Bisects (honest challenger) until one step is left; returns that step. */
    async function bisectToOneStep(disputeId: bigint, made: MadeClaim): Promise<number> {
      for (let round = 0; round < 2 * Math.log2(L) + 1; round++) {
        const d = await readDispute(f.clients.stranger, f.deployment, disputeId);
        if (d.phaseName === 'await-step-proof') return d.lo;
        const mid = Math.floor((d.lo + d.hi) / 2);
        if (d.phaseName === 'await-reveal')
          await revealMidpoint(
            f.clients.sequencer,
            f.deployment,
            disputeId,
            made.trace[mid],
            made.traceTree.proof(mid),
          );
        else await chooseHalf(f.clients.challenger, f.deployment, disputeId, d.hMid === made.truth[mid]);
      }
      throw new Error('no single step after log2(L) rounds');
    }

    it('bisection_4096StepsOneSharedVerifier_liarSlashedWithinTheMoveBound', async () => {
      const id = modelIdOf('one-circuit');
      await registerModel(f.clients.deployer, f.deployment, {
        modelId: id,
        stepCircuits: { verifiers: [reluVerifier], table: new Array(L).fill(0) },
        traceLength: L,
      });
      const lieFrom = 2718;
      const made = await longClaim(id, lieFrom);
      const { disputeId } = await disputed(made);
      const result = await playBisection(f, zkOf(), disputeId, made, { challenger: 'honest' });
      expect(result).toMatchObject({ challengerWon: true, resolution: 2 });
      expect(result.moves).toBeLessThanOrEqual(maxMoves(L)); // 2 * 12 + 3
      const d = await readDispute(f.clients.stranger, f.deployment, disputeId);
      expect([d.lo, d.hi]).toEqual([lieFrom, lieFrom + 1]);
      await expectConserved(f);
    }, 120_000);

    it('bisection_4096StepsHonestDefender_upheldByItsStepProof', async () => {
      const id = modelIdOf('one-circuit');
      await registerModel(f.clients.deployer, f.deployment, {
        modelId: id,
        stepCircuits: { verifiers: [reluVerifier], table: new Array(L).fill(0) },
        traceLength: L,
      });
      const made = await longClaim(id);
      const { disputeId } = await disputed(made);
      const result = await playBisection(f, zkOf(), disputeId, made, { challenger: { random: 0x5a5 } });
      expect(result).toMatchObject({ challengerWon: false, resolution: 2 });
      expect(result.moves).toBeLessThanOrEqual(maxMoves(L));
      await expectConserved(f);
    }, 120_000);

    it('timeout_stepVerifierMissing_revertsUntilTheRegistrarSetsIt_thenTheDefenderHasItsClock', async () => {
      // Every step lazy: an honest defender must not lose for the registrar's delay.
      const id = modelIdOf('lazy-game');
      await registerModel(f.clients.deployer, f.deployment, {
        modelId: id,
        stepCircuits: { verifiers: [null], table: new Array(L).fill(0) },
        traceLength: L,
      });
      const made = await longClaim(id);
      const { disputeId } = await disputed(made);
      await bisectToOneStep(disputeId, made);
      await advance(f, 10 * Number(f.params.clock));
      await expectRevert(claimTimeout(f.clients.challenger, f.deployment, disputeId), 'StepVerifierNotSet');
      const p = await relu.prove(made.input);
      await expectRevert(
        submitStepProof(
          f.clients.sequencer,
          f.deployment,
          disputeId,
          p.outputCommitment,
          toSolidityProof(p.proof),
        ),
        'StepVerifierNotSet',
      );
      await setStepVerifier(f.clients.deployer, f.deployment, id, 0, reluVerifier);
      // The defender's clock starts when the verifier is set, not when its turn began.
      await advance(f, Number(f.params.clock) - 20);
      await expectRevert(claimTimeout(f.clients.challenger, f.deployment, disputeId), 'ClockNotExpired');
      await submitStepProof(
        f.clients.sequencer,
        f.deployment,
        disputeId,
        p.outputCommitment,
        toSolidityProof(p.proof),
      );
      const d = await readDispute(f.clients.stranger, f.deployment, disputeId);
      expect([d.phaseName, d.challengerWon]).toEqual(['resolved', false]);
      await expectConserved(f);
    }, 120_000);

    it('timeout_stepVerifierSetLate_lyingDefenderStillLoses', async () => {
      // A liar gains nothing from a missing verifier: once it is set, its clock runs out.
      const id = modelIdOf('lazy-lie');
      await registerModel(f.clients.deployer, f.deployment, {
        modelId: id,
        stepCircuits: {
          verifiers: [reluVerifier, null],
          table: Array.from({ length: L }, (_, i) => (i >= 1000 ? 1 : 0)),
        },
        traceLength: L,
      });
      const made = await longClaim(id, 3000);
      const { disputeId } = await disputed(made);
      expect(await bisectToOneStep(disputeId, made)).toBe(3000);
      await advance(f, 10 * Number(f.params.clock));
      await expectRevert(claimTimeout(f.clients.challenger, f.deployment, disputeId), 'StepVerifierNotSet');
      await setStepVerifier(f.clients.deployer, f.deployment, id, 1, otherVerifier);
      await advance(f, Number(f.params.clock) + 1);
      await claimTimeout(f.clients.challenger, f.deployment, disputeId);
      const d = await readDispute(f.clients.stranger, f.deployment, disputeId);
      expect([d.phaseName, d.challengerWon]).toEqual(['resolved', true]);
      expect(
        await f.clients.stranger.public.readContract({
          address: f.deployment.claims,
          abi: (await import('@verilay/chain')).verilayClaimsAbi,
          functionName: 'credit',
          args: [f.accounts.challenger.address],
        }),
      ).toBe(ETH + ETH / 2n);
      await expectConserved(f);
    }, 120_000);
  });
});
