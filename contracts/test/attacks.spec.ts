// The attacks of docs/security.md against VerilayClaims, each as a test on a real anvil with real
// Groth16 verifiers. Every test plays the attacker's best schedule and asserts what an honest
// party relies on.
import {
  claimTimeout,
  depositBond,
  executeWithdrawal,
  openDispute,
  postBatch,
  proveClaim,
  provideSignature,
  readClaimStatus,
  readDispute,
  requestWithdrawal,
  revealMidpoint,
  submitValidityProof,
  verilayClaimsAbi,
  verilayClaimsBytecode,
  type ChainClients,
  type OnChainClaimStatus,
} from '@verilay/chain';
import { BatchTree } from '@verilay/commitments';
import { releaseProverThreads } from '@verilay/zk';
import { playBisection } from './support/bisection-players';
import {
  advance,
  ETH,
  expectConserved,
  isolateEach,
  makeClaim,
  postClaims,
  startChainFixture,
  TEST_PARAMS,
  type ChainFixture,
  type MadeClaim,
} from './support/chain-fixture';
import { buildZkModels, proveWith, registerZkModels, type ZkModel } from './support/zk-models';

interface Posting {
  readonly batchIndex: bigint;
  readonly tree: BatchTree;
}

describe('VerilayClaims attacks', () => {
  let f: ChainFixture;
  let zk: { validity: ZkModel; bisection: ZkModel };

  beforeAll(async () => {
    zk = await buildZkModels();
    f = await startChainFixture();
    await registerZkModels(f, zk);
    // The attacker runs its own bonded sequencer ("stranger").
    await depositBond(f.clients.stranger, f.deployment, 5n * ETH);
  }, 600_000);
  afterAll(async () => {
    await f?.anvil.stop();
    await releaseProverThreads();
  });
  isolateEach(() => f);

  const clock = () => Number(f.params.clock);
  const status = (made: MadeClaim, p: Posting): Promise<OnChainClaimStatus> =>
    readClaimStatus(f.clients.stranger, f.deployment, p.batchIndex, made.leaf, p.tree.proof(made.leaf));
  const repost = async (by: ChainClients, made: MadeClaim): Promise<Posting> => {
    const tree = new BatchTree([made.leaf]);
    const posted = await postBatch(by, f.deployment, {
      root: tree.root,
      count: 1,
      dataHash: `0x${'cd'.repeat(32)}`,
    });
    return { batchIndex: posted.batchIndex, tree };
  };
  const open = (made: MadeClaim, p: Posting, by: 'challenger' | 'challenger2', signature = made.signature) =>
    openDispute(f.clients[by], f.deployment, {
      batchIndex: p.batchIndex,
      claim: made.claim,
      inclusionProof: p.tree.proof(made.leaf),
      signature,
      bond: f.params.challengerBond,
    });
  const credit = (who: `0x${string}`) =>
    f.clients.stranger.public.readContract({
      address: f.deployment.claims,
      abi: verilayClaimsAbi,
      functionName: 'credit',
      args: [who],
    });
  const account = (who: `0x${string}`) =>
    f.clients.stranger.public.readContract({
      address: f.deployment.claims,
      abi: verilayClaimsAbi,
      functionName: 'account',
      args: [who],
    });

  describe('finding 1: a second posting of a false leaf', () => {
    it('stalledDisputeThroughASecondPosting_honestPostingNeverBecomesFinal', async () => {
      const model = zk.bisection;
      const lie = await makeClaim(f, model.model, model.modelId, model.input(3), { lieFromStep: 0 });
      const honestBatch = await postClaims(f, [lie]);
      // The liar's friend reposts the signed false leaf under its own sequencer and disputes it
      // there first, without the signature, so that its friends own every move.
      const attackerBatch = await repost(f.clients.stranger, lie);
      const stalled = await open(lie, attackerBatch, 'challenger2', '0x');

      // The honest challenger tries through the honest posting whenever it can.
      const outcomes: string[] = [];
      const honestTry = async () => {
        try {
          const opened = await open(lie, honestBatch, 'challenger');
          const result = await playBisection(f, model, opened.disputeId, lie, { challenger: 'honest' });
          outcomes.push(result.challengerWon ? 'won' : 'lost');
        } catch (e) {
          outcomes.push((e as { errorName?: string }).errorName ?? String(e));
        }
      };
      await honestTry();
      // The stall: every move at the last second of its clock.
      await advance(f, clock() - 3);
      await provideSignature(f.clients.stranger, f.deployment, stalled.disputeId, lie.claim, lie.signature);
      await honestTry();
      await advance(f, clock() - 3);
      const d = await readDispute(f.clients.stranger, f.deployment, stalled.disputeId);
      if (d.phaseName === 'await-reveal') {
        const mid = Math.floor((d.lo + d.hi) / 2);
        await revealMidpoint(
          f.clients.stranger,
          f.deployment,
          stalled.disputeId,
          lie.trace[mid],
          lie.traceTree.proof(mid),
        );
        // The friend then loses on purpose: it lets its own clock run out.
        await advance(f, clock() + 2);
        await claimTimeout(f.clients.stranger, f.deployment, stalled.disputeId);
      }
      await honestTry();
      await advance(f, Number(f.params.challengeWindow) + 1);

      // The dispute through the honest posting runs beside the stalled one and slashes the leaf;
      // the friend's posting, reopened by its colluding loss, is slashed too.
      expect(outcomes).toEqual(['won', 'ClaimAlreadySlashed', 'ClaimAlreadySlashed']);
      expect(await status(lie, honestBatch)).toBe('slashed');
      expect(await status(lie, attackerBatch)).toBe('slashed');
      await expectConserved(f);
    });

    it('timeout_colludingChallengerLoses_postingReopensForAnHonestChallenger', async () => {
      const model = zk.bisection;
      const lie = await makeClaim(f, model.model, model.modelId, model.input(4), { lieFromStep: 0 });
      const posting = await postClaims(f, [lie]);
      const opened = await open(lie, posting, 'challenger2');
      const d = await readDispute(f.clients.stranger, f.deployment, opened.disputeId);
      const mid = Math.floor((d.lo + d.hi) / 2);
      await revealMidpoint(
        f.clients.stranger,
        f.deployment,
        opened.disputeId,
        lie.trace[mid],
        lie.traceTree.proof(mid),
      );
      await advance(f, clock() + 1);
      await claimTimeout(f.clients.challenger2, f.deployment, opened.disputeId);
      // The defender "won", which proves nothing: the posting is open to disputes for a new window.
      await advance(f, Number(f.params.challengeWindow) - 5);
      expect(await status(lie, posting)).toBe('challengeable');
      const honest = await open(lie, posting, 'challenger');
      expect(
        (await playBisection(f, model, honest.disputeId, lie, { challenger: 'honest' })).challengerWon,
      ).toBe(true);
      expect(await status(lie, posting)).toBe('slashed');
      await expectConserved(f);
    });

    it('parkedDisputeWonByProofLate_slashTimeIsNotMovedAndNoPostingTurnsFinal', async () => {
      // Review of the fix: the friend parks a dispute through its reposting Q, the watcher slashes
      // the leaf through A, the friend reposts again (P, read as slashed), waits for P's window to
      // end, then wins the parked dispute by proof.
      const model = zk.validity;
      const lie = await makeClaim(f, model.model, model.modelId, model.input(8), {
        lieFromStep: model.model.layers.length - 1,
      });
      const honestBatch = await postClaims(f, [lie]);
      const parked = await open(lie, await repost(f.clients.stranger, lie), 'challenger2');
      const honest = await open(lie, honestBatch, 'challenger');
      const { proof, output } = await proveWith(model.whole!, lie.input, lie.salt);
      await submitValidityProof(f.clients.challenger, f.deployment, honest.disputeId, output, proof);
      const late = await repost(f.clients.stranger, lie);
      expect(await status(lie, late)).toBe('slashed');
      await advance(f, Number(f.params.challengeWindow) + 1);
      await submitValidityProof(f.clients.challenger2, f.deployment, parked.disputeId, output, proof);
      // The leaf keeps its first slash time: P stays slashed.
      expect(await status(lie, late)).toBe('slashed');
      await expectConserved(f);
    });

    it('silentLiarTimedOutThroughOnePosting_everyOtherPostingIsSlashed', async () => {
      // Review of the fix: with timeouts slashing only their posting, a liar who never answers is
      // never slashed by a proof, so every reposting needs its own bond; free repostings outnumber
      // any watcher's budget. The watcher here can afford one dispute.
      const model = zk.bisection;
      const lie = await makeClaim(f, model.model, model.modelId, model.input(9), { lieFromStep: 0 });
      const honestBatch = await postClaims(f, [lie]);
      const other = await repost(f.clients.stranger, lie);
      const opened = await open(lie, honestBatch, 'challenger');
      await advance(f, clock() + 1);
      await claimTimeout(f.clients.challenger, f.deployment, opened.disputeId);
      expect(await status(lie, honestBatch)).toBe('slashed');
      await advance(f, Number(f.params.challengeWindow) + 1);
      // The operator signed the claim and let its clock run out: the leaf is slashed everywhere.
      expect(await status(lie, other)).toBe('slashed');
      await expectConserved(f);
    });

    it('constructor_winnerShareThatMakesLosingFree_reverts', async () => {
      const deploy = async (winnerShareBps: number) => {
        const hash = await f.clients.deployer.wallet.deployContract({
          abi: verilayClaimsAbi,
          bytecode: verilayClaimsBytecode,
          args: [{ ...TEST_PARAMS(f.treasury), registry: f.deployment.registry, winnerShareBps }],
          gas: 6_000_000n,
        });
        return (await f.clients.deployer.public.waitForTransactionReceipt({ hash })).status;
      };
      expect(await deploy(5000)).toBe('success');
      // A loser of a colluding dispute pays its friend the winner's share; the rest must go to
      // the treasury, or losing on purpose to stall a claim costs nothing.
      expect(await deploy(5001)).toBe('reverted');
      expect(await deploy(10_000)).toBe('reverted');
    });
  });

  describe('finding 3: pending withdrawals dodge the stake', () => {
    it('requestWithdrawal_afterSigningAndPosting_stakeIsStillTaken', async () => {
      const model = zk.validity;
      const lie = await makeClaim(f, model.model, model.modelId, model.input(5), {
        lieFromStep: model.model.layers.length - 1,
      });
      const posting = await postClaims(f, [lie]);
      // Operator and sequencer both start unbonding everything they can right after the posting.
      await requestWithdrawal(f.clients.operator, f.deployment, 5n * ETH);
      await requestWithdrawal(f.clients.sequencer, f.deployment, 5n * ETH);
      const opened = await open(lie, posting, 'challenger');
      const locked = await readDispute(f.clients.stranger, f.deployment, opened.disputeId);
      const { proof, output } = await proveWith(model.whole!, lie.input, lie.salt);
      await submitValidityProof(f.clients.challenger, f.deployment, opened.disputeId, output, proof);
      await advance(f, Number(f.params.withdrawalDelay) + 1);
      await executeWithdrawal(f.clients.operator, f.deployment);
      // The stake came out of the operator's pending withdrawal, which shrank by as much.
      expect(locked.stake).toBe(ETH);
      expect(await credit(f.accounts.challenger.address)).toBe(ETH + ETH / 2n);
      expect((await account(f.accounts.operator.address)).bond).toBe(0n);
      await expectConserved(f);
    });
  });

  describe('finding 3: the sequencer covers what repostings drained', () => {
    it('operatorDrainedThroughRepostings_honestSequencerLosesNothing', async () => {
      const model = zk.validity;
      const lie = await makeClaim(f, model.model, model.modelId, model.input(7), {
        lieFromStep: model.model.layers.length - 1,
      });
      // The honest sequencer posts a claim its operator's bond backs (5 stakes of 1 ETH)...
      const honestPosting = await postClaims(f, [lie]);
      // ...then the liar's friends repost it five times and dispute each posting, locking the
      // operator's whole bond, before the honest challenger disputes the honest posting.
      for (let i = 0; i < 5; i++) await open(lie, await repost(f.clients.stranger, lie), 'challenger2');
      const opened = await open(lie, honestPosting, 'challenger');
      const { proof, output } = await proveWith(model.whole!, lie.input, lie.salt);
      await submitValidityProof(f.clients.challenger, f.deployment, opened.disputeId, output, proof);
      // The liable operator alone answers: its stake here is what it had left (nothing).
      expect((await readDispute(f.clients.stranger, f.deployment, opened.disputeId)).stake).toBe(0n);
      expect((await account(f.accounts.sequencer.address)).bond).toBe(5n * ETH);
      await expectConserved(f);
    });
  });

  describe('finding 9: a third party reposts an honest claim', () => {
    it('unsignedDisputeThroughAGriefersPosting_honestClaimIsNotSlashed', async () => {
      const model = zk.validity;
      const honest = await makeClaim(f, model.model, model.modelId, model.input(6));
      const honestBatch = await postClaims(f, [honest]);
      const griefBatch = await repost(f.clients.stranger, honest);
      const opened = await open(honest, griefBatch, 'challenger2', '0x');
      // Nobody shows the signature in time; the griefer's own sequencer bond answers.
      await advance(f, clock() + 1);
      await claimTimeout(f.clients.challenger2, f.deployment, opened.disputeId);
      // Only the griefer's posting is slashed (its sequencer's fault); the honest one is not.
      expect(await status(honest, griefBatch)).toBe('slashed');
      expect(await status(honest, honestBatch)).toBe('challengeable');
      const { proof } = await proveWith(model.whole!, honest.input, honest.salt);
      const rescued = await proveClaim(f.clients.sequencer, f.deployment, honest.claim, proof).then(
        () => 'validated',
        (e: { errorName?: string }) => e.errorName,
      );
      expect(rescued).toBe('validated');
      expect(await status(honest, honestBatch)).toBe('final');
      await expectConserved(f);
    });
  });
});
