import {
  chooseHalf,
  claimTimeout,
  submitValidityProof,
  finalizeBatch,
  openDispute,
  readClaimStatus,
  readDispute,
  revealMidpoint,
  submitStepProof,
  toSolidityProof,
  verilayClaimsAbi,
} from '@verilay/chain';
import { releaseProverThreads } from '@verilay/zk';
import fc from 'fast-check';
import {
  advance,
  ETH,
  expectConserved,
  isolateEach,
  makeClaim,
  postClaims,
  startChainFixture,
  type ChainFixture,
} from './support/chain-fixture';
import { maxMoves, playBisection, type ChallengerStrategy } from './support/bisection-players';
import { expectRevert } from './support/expect-revert';
import { buildZkModels, registerZkModels, type ZkModel } from './support/zk-models';

describe('VerilayClaims bisection', () => {
  let f: ChainFixture;
  let zk: { validity: ZkModel; bisection: ZkModel };
  let model: ZkModel;

  beforeAll(async () => {
    zk = await buildZkModels();
    model = zk.bisection;
    f = await startChainFixture();
    await registerZkModels(f, zk);
  }, 600_000);
  afterAll(async () => {
    await f?.anvil.stop();
    await releaseProverThreads();
  });

  const credit = (who: `0x${string}`) =>
    f.clients.stranger.public.readContract({
      address: f.deployment.claims,
      abi: verilayClaimsAbi,
      functionName: 'credit',
      args: [who],
    });

  async function disputed(options: { lieFromStep?: number; seed?: number } = {}) {
    const made = await makeClaim(f, model.model, model.modelId, model.input(options.seed ?? 1), {
      lieFromStep: options.lieFromStep,
    });
    const batch = await postClaims(f, [made]);
    const opened = await openDispute(f.clients.challenger, f.deployment, {
      batchIndex: batch.batchIndex,
      claim: made.claim,
      inclusionProof: batch.tree.proof(made.leaf),
      signature: made.signature,
      bond: f.params.challengerBond,
    });
    return { made, batch, disputeId: opened.disputeId, opened };
  }

  describe('games', () => {
    isolateEach(() => f);

    it('openDispute_stepVerifiersOnly_startsABisection', async () => {
      const { opened, disputeId } = await disputed();
      expect(opened.bisection).toBe(true);
      const d = await readDispute(f.clients.stranger, f.deployment, disputeId);
      expect([d.phaseName, d.lo, d.hi]).toEqual(['await-reveal', 0, model.model.layers.length]);
    });

    it('bisection_honestDefenderContrarianChallenger_defenderWins', async () => {
      const { made, disputeId } = await disputed();
      const result = await playBisection(f, model, disputeId, made, { challenger: 'contrarian' });
      expect(result).toMatchObject({ challengerWon: false, resolution: 2 });
      expect(await credit(f.accounts.operator.address)).toBe(ETH / 2n);
      await expectConserved(f);
    });

    it('bisection_lyingDefenderHonestChallenger_challengerWinsWithAStepProof', async () => {
      const { made, disputeId } = await disputed({ lieFromStep: 2 });
      const result = await playBisection(f, model, disputeId, made, { challenger: 'honest' });
      expect(result).toMatchObject({ challengerWon: true, resolution: 2 });
      expect(await credit(f.accounts.challenger.address)).toBe(ETH + ETH / 2n);
      await expectConserved(f);
    });

    it('bisection_challengerStopsAnswering_defenderWinsOnTime', async () => {
      const { made, disputeId } = await disputed({ lieFromStep: 0 });
      // Even a lying operator wins against a challenger who walks away.
      const result = await playBisection(f, model, disputeId, made, {
        challenger: 'honest',
        challengerSilentAt: 1,
      });
      expect(result).toMatchObject({ challengerWon: false, resolution: 3 });
      await expectConserved(f);
    });

    it('bisection_defenderStopsAnswering_challengerWinsOnTime', async () => {
      const { made, disputeId } = await disputed();
      const result = await playBisection(f, model, disputeId, made, {
        challenger: 'honest',
        defenderSilentAt: 1,
      });
      expect(result).toMatchObject({ challengerWon: true, resolution: 3 });
      await expectConserved(f);
    });

    it('bisection_defenderWins_claimReopensForOneMoreWindow', async () => {
      // A challenger that loses (perhaps on purpose) does not make a claim final: anyone may
      // dispute it again for one more window.
      const { made, batch, disputeId } = await disputed({ lieFromStep: 3 });
      // The colluding challenger walks away: the defender wins on time.
      await playBisection(f, model, disputeId, made, { challenger: 'honest', challengerSilentAt: 0 });
      expect((await readDispute(f.clients.stranger, f.deployment, disputeId)).challengerWon).toBe(false);
      await advance(f, Number(f.params.challengeWindow) - 5); // past the batch's own window
      const status = () =>
        readClaimStatus(
          f.clients.stranger,
          f.deployment,
          batch.batchIndex,
          made.leaf,
          batch.tree.proof(made.leaf),
        );
      expect(await status()).toBe('challengeable');
      await expectRevert(
        finalizeBatch(f.clients.stranger, f.deployment, batch.batchIndex),
        'BatchNotSettled',
      );
      const again = await openDispute(f.clients.challenger2, f.deployment, {
        batchIndex: batch.batchIndex,
        claim: made.claim,
        inclusionProof: batch.tree.proof(made.leaf),
        signature: made.signature,
        bond: f.params.challengerBond,
      });
      const honest = await playBisection(f, model, again.disputeId, made, {
        challenger: 'honest',
        challengerActor: 'challenger2',
      });
      expect(honest.challengerWon).toBe(true);
      expect(await status()).toBe('slashed');
      await expectConserved(f);
    });

    it('revealMidpoint_commitmentNotInTrace_reverts', async () => {
      const { made, disputeId } = await disputed();
      const mid = Math.floor(model.model.layers.length / 2);
      await expectRevert(
        revealMidpoint(
          f.clients.sequencer,
          f.deployment,
          disputeId,
          made.trace[mid + 1],
          made.traceTree.proof(mid),
        ),
        'InvalidTraceProof',
      );
    });

    it('submitValidityProof_onABisectionDispute_reverts', async () => {
      const { made, disputeId } = await disputed();
      const p = await model.steps[0].prove(made.input, made.salt);
      await expectRevert(
        submitValidityProof(
          f.clients.challenger,
          f.deployment,
          disputeId,
          p.outputCommitment,
          toSolidityProof(p.proof),
        ),
        'NotValidityDispute',
      );
    });

    it('revealMidpoint_whileAwaitingTheChoice_reverts', async () => {
      const { made, disputeId } = await disputed();
      const mid = Math.floor(model.model.layers.length / 2);
      await revealMidpoint(
        f.clients.sequencer,
        f.deployment,
        disputeId,
        made.trace[mid],
        made.traceTree.proof(mid),
      );
      await expectRevert(
        revealMidpoint(
          f.clients.sequencer,
          f.deployment,
          disputeId,
          made.trace[mid],
          made.traceTree.proof(mid),
        ),
        'WrongPhase',
      );
    });

    it('timeout_resolvedDispute_reverts', async () => {
      const { made, disputeId } = await disputed();
      await playBisection(f, model, disputeId, made, { challenger: 'honest', defenderSilentAt: 0 });
      await expectRevert(claimTimeout(f.clients.challenger, f.deployment, disputeId), 'WrongPhase');
      await expectRevert(claimTimeout(f.clients.challenger, f.deployment, 999n), 'UnknownDispute');
    });

    it('chooseHalf_byStranger_reverts', async () => {
      const { made, disputeId } = await disputed();
      const mid = Math.floor(model.model.layers.length / 2);
      await revealMidpoint(
        f.clients.sequencer,
        f.deployment,
        disputeId,
        made.trace[mid],
        made.traceTree.proof(mid),
      );
      await expectRevert(chooseHalf(f.clients.stranger, f.deployment, disputeId, true), 'NotChallenger');
    });

    it('chooseHalf_beforeReveal_reverts', async () => {
      const { disputeId } = await disputed();
      await expectRevert(chooseHalf(f.clients.challenger, f.deployment, disputeId, true), 'WrongPhase');
    });

    it('chooseHalf_afterItsClock_reverts', async () => {
      const { made, disputeId } = await disputed();
      const mid = Math.floor(model.model.layers.length / 2);
      await revealMidpoint(
        f.clients.sequencer,
        f.deployment,
        disputeId,
        made.trace[mid],
        made.traceTree.proof(mid),
      );
      await advance(f, Number(f.params.clock) + 1);
      await expectRevert(chooseHalf(f.clients.challenger, f.deployment, disputeId, true), 'ClockExpired');
    });

    it('submitStepProof_beforeTheLastStep_reverts', async () => {
      const { made, disputeId } = await disputed();
      const p = await model.steps[0].prove(made.input, made.salt);
      await expectRevert(
        submitStepProof(
          f.clients.sequencer,
          f.deployment,
          disputeId,
          p.outputCommitment,
          toSolidityProof(p.proof),
        ),
        'WrongPhase',
      );
    });

    it('submitStepProof_proofOfAnotherStep_reverts', async () => {
      const { made, disputeId } = await disputed();
      // Bisect down to [0, 1] by disagreeing with everything.
      for (;;) {
        const d = await readDispute(f.clients.stranger, f.deployment, disputeId);
        if (d.phaseName === 'await-step-proof') break;
        const mid = Math.floor((d.lo + d.hi) / 2);
        if (d.phaseName === 'await-reveal')
          await revealMidpoint(
            f.clients.sequencer,
            f.deployment,
            disputeId,
            made.trace[mid],
            made.traceTree.proof(mid),
          );
        else await chooseHalf(f.clients.challenger, f.deployment, disputeId, false);
      }
      const wrongStep = await model.steps[1].prove(made.input, made.salt);
      await expectRevert(
        submitStepProof(
          f.clients.sequencer,
          f.deployment,
          disputeId,
          wrongStep.outputCommitment,
          toSolidityProof(wrongStep.proof),
        ),
        'InvalidProof',
      );
    });
  });

  describe('properties', () => {
    const strategy: fc.Arbitrary<ChallengerStrategy> = fc.oneof(
      fc.constantFrom<ChallengerStrategy>('honest', 'contrarian', 'agreeable'),
      fc.integer({ min: 0, max: 255 }).map((random) => ({ random })),
    );
    const silence = fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined });

    it('an honest party always wins, every game ends within its bound, and bonds are conserved', async () => {
      const L = model.model.layers.length;
      await fc.assert(
        fc.asyncProperty(
          fc.option(fc.integer({ min: 0, max: L - 1 }), { nil: undefined }),
          strategy,
          silence,
          silence,
          fc.integer({ min: 1, max: 50 }),
          async (lieFromStep, challenger, defenderSilentAt, challengerSilentAt, seed) => {
            const snapshot = await f.testClient.snapshot();
            try {
              const { made, disputeId } = await disputed({ lieFromStep, seed });
              const result = await playBisection(f, model, disputeId, made, {
                challenger,
                defenderSilentAt,
                challengerSilentAt,
              });
              expect(result.moves).toBeLessThanOrEqual(maxMoves(L));
              const operatorHonest =
                lieFromStep === undefined || made.trace.every((h, i) => h === made.truth[i]);
              if (operatorHonest && defenderSilentAt === undefined) expect(result.challengerWon).toBe(false);
              if (!operatorHonest && challenger === 'honest' && challengerSilentAt === undefined)
                expect(result.challengerWon).toBe(true);
              await expectConserved(f);
            } finally {
              await f.testClient.revert({ id: snapshot });
            }
          },
        ),
        { numRuns: 100, seed: 20261122 },
      );
    }, 600_000);

    type Action =
      | { kind: 'reveal'; honestProof: boolean; by: 'sequencer' | 'stranger' }
      | { kind: 'choose'; agree: boolean; by: 'challenger' | 'stranger' }
      | { kind: 'stepProof'; step: number; by: 'sequencer' | 'challenger' }
      | { kind: 'timeout' }
      | { kind: 'wait'; seconds: number }
      | { kind: 'withdraw'; by: 'operator' | 'challenger' | 'sequencer' };
    const action: fc.Arbitrary<Action> = fc.oneof(
      fc.record({
        kind: fc.constant('reveal' as const),
        honestProof: fc.boolean(),
        by: fc.constantFrom('sequencer' as const, 'stranger' as const),
      }),
      fc.record({
        kind: fc.constant('choose' as const),
        agree: fc.boolean(),
        by: fc.constantFrom('challenger' as const, 'stranger' as const),
      }),
      fc.record({
        kind: fc.constant('stepProof' as const),
        step: fc.integer({ min: 0, max: 5 }),
        by: fc.constantFrom('sequencer' as const, 'challenger' as const),
      }),
      fc.constant({ kind: 'timeout' as const }),
      fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 40 }) }),
      fc.record({
        kind: fc.constant('withdraw' as const),
        by: fc.constantFrom('operator' as const, 'challenger' as const, 'sequencer' as const),
      }),
    );

    it('no sequence of transactions leaves a dispute unresolvable, and no wei is created or lost', async () => {
      const { requestWithdrawal, executeWithdrawal, withdraw, claimTimeout } = await import('@verilay/chain');
      await fc.assert(
        fc.asyncProperty(
          fc.boolean(),
          fc.array(action, { minLength: 1, maxLength: 12 }),
          async (lies, actions) => {
            const snapshot = await f.testClient.snapshot();
            try {
              const { made, disputeId } = await disputed({ lieFromStep: lies ? 2 : undefined });
              for (const a of actions) {
                const d = await readDispute(f.clients.stranger, f.deployment, disputeId);
                const mid = Math.floor((d.lo + d.hi) / 2);
                const attempt = async () => {
                  if (a.kind === 'reveal')
                    await revealMidpoint(
                      f.clients[a.by],
                      f.deployment,
                      disputeId,
                      made.trace[mid],
                      made.traceTree.proof(a.honestProof ? mid : (mid + 1) % made.trace.length),
                    );
                  else if (a.kind === 'choose')
                    await chooseHalf(f.clients[a.by], f.deployment, disputeId, a.agree);
                  else if (a.kind === 'stepProof') {
                    const p = await model.steps[a.step].prove(made.input, made.salt);
                    await submitStepProof(
                      f.clients[a.by],
                      f.deployment,
                      disputeId,
                      p.outputCommitment,
                      toSolidityProof(p.proof),
                    );
                  } else if (a.kind === 'timeout')
                    await claimTimeout(f.clients.stranger, f.deployment, disputeId);
                  else if (a.kind === 'wait') await advance(f, a.seconds);
                  else {
                    await requestWithdrawal(f.clients[a.by], f.deployment, ETH).catch(() => undefined);
                    await executeWithdrawal(f.clients[a.by], f.deployment).catch(() => undefined);
                    await withdraw(f.clients[a.by], f.deployment);
                  }
                };
                await attempt().catch(() => undefined); // reverts are allowed; they must change nothing
                await expectConserved(f);
              }
              // Whatever happened, one clock's length later the dispute can be ended.
              const before = await readDispute(f.clients.stranger, f.deployment, disputeId);
              if (before.phaseName !== 'resolved') {
                await advance(f, Number(f.params.clock) + 1);
                await claimTimeout(f.clients.stranger, f.deployment, disputeId);
              }
              expect((await readDispute(f.clients.stranger, f.deployment, disputeId)).phaseName).toBe(
                'resolved',
              );
              await expectConserved(f);
            } finally {
              await f.testClient.revert({ id: snapshot });
            }
          },
        ),
        { numRuns: 40, seed: 7 },
      );
    }, 600_000);
  });
});
