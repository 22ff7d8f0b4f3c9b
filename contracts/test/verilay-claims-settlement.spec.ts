import {
  claimTimeout,
  createChainClients,
  executeWithdrawal,
  proveClaim,
  provideSignature,
  readClaimStatus,
  readDispute,
  requestWithdrawal,
  submitValidityProof,
  verilayClaimsAbi,
  withdraw,
} from '@verilay/chain';
import { parseEventLogs } from 'viem';
import {
  advance,
  ETH,
  expectConserved,
  makeClaim,
  postClaims,
  type ChainFixture,
} from './support/chain-fixture';
import { expectRevert } from './support/expect-revert';
import { useClaimsSuite, type ClaimsSuite } from './support/claims-suite';
import { proveWith } from './support/zk-models';

describe('VerilayClaims settlement', () => {
  const { suite, account, credit, postedPair, dispute } = useClaimsSuite();
  let f: ChainFixture;
  let zk: ClaimsSuite['zk'];
  beforeAll(() => ({ f, zk } = suite));
  const claims = () => f.deployment.claims;

  describe('validity disputes', () => {
    it('submitValidityProof_claimedOutput_rejectsTheDisputeAndFinalizesTheClaim', async () => {
      const { honest, ...batch } = await postedPair();
      const opened = await dispute(honest, batch);
      const { proof, output } = await proveWith(zk.validity.whole!, honest.input, honest.salt);
      await submitValidityProof(f.clients.sequencer, f.deployment, opened.disputeId, output, proof);
      const d = await readDispute(f.clients.stranger, f.deployment, opened.disputeId);
      expect([d.phaseName, d.challengerWon]).toEqual(['resolved', false]);
      expect(await credit(f.accounts.operator.address)).toBe(ETH / 2n);
      expect(await credit(f.treasury)).toBe(ETH / 2n);
      expect(await account(f.accounts.operator.address)).toMatchObject({ bond: 5n * ETH, locked: 0n });
      // Proven valid: final at once, inside the window, and closed to further disputes.
      expect(
        await readClaimStatus(
          f.clients.stranger,
          f.deployment,
          batch.batchIndex,
          honest.leaf,
          batch.tree.proof(honest.leaf),
        ),
      ).toBe('final');
      await expectRevert(dispute(honest, batch, { by: 'challenger2' }), 'ClaimAlreadyValidated');
      await expectConserved(f);
    });

    it('submitValidityProof_otherOutput_slashesTheOperatorAtOnce', async () => {
      const { lying, ...batch } = await postedPair();
      const opened = await dispute(lying, batch);
      const { proof, output } = await proveWith(zk.validity.whole!, lying.input, lying.salt);
      expect(output).not.toBe(lying.claim.outputCommitment);
      const mined = await submitValidityProof(
        f.clients.challenger,
        f.deployment,
        opened.disputeId,
        output,
        proof,
      );
      expect(
        parseEventLogs({ abi: verilayClaimsAbi, logs: mined.receipt.logs, eventName: 'ClaimSlashed' }),
      ).toHaveLength(1);
      expect(await account(f.accounts.operator.address)).toMatchObject({ bond: 4n * ETH, locked: 0n });
      expect(await credit(f.accounts.challenger.address)).toBe(ETH + ETH / 2n);
      expect(
        await readClaimStatus(
          f.clients.stranger,
          f.deployment,
          batch.batchIndex,
          lying.leaf,
          batch.tree.proof(lying.leaf),
        ),
      ).toBe('slashed');
      await advance(f, Number(f.params.challengeWindow));
      expect(
        await readClaimStatus(
          f.clients.stranger,
          f.deployment,
          batch.batchIndex,
          lying.leaf,
          batch.tree.proof(lying.leaf),
        ),
      ).toBe('slashed');
      await withdraw(f.clients.challenger, f.deployment);
      await expectConserved(f);
    });

    it('submitValidityProof_invalidProof_reverts', async () => {
      const { lying, ...batch } = await postedPair();
      const opened = await dispute(lying, batch);
      const { proof, output } = await proveWith(zk.validity.whole!, lying.input, lying.salt + 1n); // other input commitment
      await expectRevert(
        submitValidityProof(f.clients.challenger, f.deployment, opened.disputeId, output, proof),
        'InvalidProof',
      );
    });

    it('submitValidityProof_resolvedDispute_reverts', async () => {
      const { lying, ...batch } = await postedPair();
      const opened = await dispute(lying, batch);
      const { proof, output } = await proveWith(zk.validity.whole!, lying.input, lying.salt);
      await submitValidityProof(f.clients.challenger, f.deployment, opened.disputeId, output, proof);
      await expectRevert(
        submitValidityProof(f.clients.challenger, f.deployment, opened.disputeId, output, proof),
        'WrongPhase',
      );
      await expectRevert(
        submitValidityProof(f.clients.challenger, f.deployment, 42n, output, proof),
        'UnknownDispute',
      );
    });

    it('submitValidityProof_defenderAfterItsClock_reverts', async () => {
      const { honest, ...batch } = await postedPair();
      const opened = await dispute(honest, batch);
      const { proof, output } = await proveWith(zk.validity.whole!, honest.input, honest.salt);
      await advance(f, Number(f.params.clock) + 1);
      await expectRevert(
        submitValidityProof(f.clients.sequencer, f.deployment, opened.disputeId, output, proof),
        'ClockExpired',
      );
    });

    it('timeout_defenderSilent_slashesTheOperator', async () => {
      const { lying, ...batch } = await postedPair();
      const opened = await dispute(lying, batch);
      await expectRevert(
        claimTimeout(f.clients.challenger, f.deployment, opened.disputeId),
        'ClockNotExpired',
      );
      await advance(f, Number(f.params.clock) + 1);
      await claimTimeout(f.clients.stranger, f.deployment, opened.disputeId);
      const d = await readDispute(f.clients.stranger, f.deployment, opened.disputeId);
      expect([d.challengerWon, d.resolution]).toEqual([true, 3]);
      await expectConserved(f);
    });
  });

  describe('proveClaim', () => {
    it('proveClaim_validProof_makesTheClaimFinalWithoutAWindow', async () => {
      const { honest, tree, batchIndex } = await postedPair();
      const { proof } = await proveWith(zk.validity.whole!, honest.input, honest.salt);
      await proveClaim(f.clients.stranger, f.deployment, honest.claim, proof);
      expect(
        await readClaimStatus(
          f.clients.stranger,
          f.deployment,
          batchIndex,
          honest.leaf,
          tree.proof(honest.leaf),
        ),
      ).toBe('final');
      await expectRevert(
        proveClaim(f.clients.stranger, f.deployment, honest.claim, proof),
        'ClaimAlreadyValidated',
      );
    });

    it('proveClaim_wrongOutput_reverts', async () => {
      const { lying } = await postedPair();
      const { proof } = await proveWith(zk.validity.whole!, lying.input, lying.salt);
      await expectRevert(proveClaim(f.clients.stranger, f.deployment, lying.claim, proof), 'InvalidProof');
    });

    it('proveClaim_disputedClaim_theDisputeEndsUpheldAtOnce', async () => {
      const { honest, ...batch } = await postedPair();
      const opened = await dispute(honest, batch);
      const { proof } = await proveWith(zk.validity.whole!, honest.input, honest.salt);
      await proveClaim(f.clients.stranger, f.deployment, honest.claim, proof);
      // A proof of the claim is a fact: the open dispute ends whatever its clocks say.
      await claimTimeout(f.clients.stranger, f.deployment, opened.disputeId);
      const d = await readDispute(f.clients.stranger, f.deployment, opened.disputeId);
      expect([d.phaseName, d.challengerWon]).toEqual(['resolved', false]);
      await expectConserved(f);
    });

    it('proveClaim_slashedClaim_reverts', async () => {
      const { lying, ...batch } = await postedPair();
      const opened = await dispute(lying, batch);
      const { proof, output } = await proveWith(zk.validity.whole!, lying.input, lying.salt);
      await submitValidityProof(f.clients.challenger, f.deployment, opened.disputeId, output, proof);
      await expectRevert(
        proveClaim(f.clients.stranger, f.deployment, lying.claim, proof),
        'ClaimAlreadySlashed',
      );
    });

    it('proveClaim_postingSlashedOnAnUnsignedTimeout_stillValidatesTheClaim', async () => {
      // A timeout before the signature is shown slashes the sequencer's posting only; a proof of the
      // claim still counts.
      const { honest, ...batch } = await postedPair();
      const opened = await dispute(honest, batch, { signature: '0x' });
      await advance(f, Number(f.params.clock) + 1);
      await claimTimeout(f.clients.challenger, f.deployment, opened.disputeId);
      const status = () =>
        readClaimStatus(
          f.clients.stranger,
          f.deployment,
          batch.batchIndex,
          honest.leaf,
          batch.tree.proof(honest.leaf),
        );
      expect(await status()).toBe('slashed');
      await expectRevert(dispute(honest, batch, { by: 'challenger2' }), 'ClaimAlreadySlashed');
      const { proof } = await proveWith(zk.validity.whole!, honest.input, honest.salt);
      await proveClaim(f.clients.stranger, f.deployment, honest.claim, proof);
      expect(await status()).toBe('final');
    });

    it('unregisteredModel_disputeCannotBeDefended', async () => {
      const orphan = await makeClaim(f, zk.validity.model, `0x${'77'.repeat(32)}`, zk.validity.input(4));
      const batch = await postClaims(f, [orphan]);
      const opened = await dispute(orphan, batch);
      const { proof, output } = await proveWith(zk.validity.whole!, orphan.input, orphan.salt);
      await expectRevert(
        submitValidityProof(f.clients.sequencer, f.deployment, opened.disputeId, output, proof),
        'ModelNotRegistered',
      );
      await advance(f, Number(f.params.clock) + 1);
      await claimTimeout(f.clients.challenger, f.deployment, opened.disputeId);
      expect((await readDispute(f.clients.stranger, f.deployment, opened.disputeId)).challengerWon).toBe(
        true,
      );
    });
  });

  it('underBondedOperator_claimIsSlashedAndTheSequencerPaysNothing', async () => {
    // An operator that withdrew everything before signing cannot make its lie undisputable: it is
    // slashed all the same. The sequencer does not cover it (repostings could drain the operator
    // first and make an honest sequencer pay; docs/security.md): the challenger gets its bond back.
    const poor = createChainClients(
      { rpcUrl: f.anvil.rpcUrl, chainId: f.anvil.chainId },
      f.accounts.operator,
    );
    await requestWithdrawal(poor, f.deployment, 5n * ETH);
    await advance(f, Number(f.params.withdrawalDelay));
    await executeWithdrawal(poor, f.deployment);
    const { lying, ...batch } = await postedPair();
    const opened = await dispute(lying, batch);
    expect(await readDispute(f.clients.stranger, f.deployment, opened.disputeId)).toMatchObject({
      stake: 0n,
    });
    const { proof, output } = await proveWith(zk.validity.whole!, lying.input, lying.salt);
    await submitValidityProof(f.clients.challenger, f.deployment, opened.disputeId, output, proof);
    expect(
      await readClaimStatus(
        f.clients.stranger,
        f.deployment,
        batch.batchIndex,
        lying.leaf,
        batch.tree.proof(lying.leaf),
      ),
    ).toBe('slashed');
    expect(await credit(f.accounts.challenger.address)).toBe(ETH);
    expect(await account(f.accounts.sequencer.address)).toMatchObject({ bond: 5n * ETH, locked: 0n });
    await expectConserved(f);
  });

  describe('security', () => {
    it('submitValidityProof_whileAwaitingTheSignature_reverts', async () => {
      // Otherwise a challenger could slash the sequencer for a claim the operator did sign.
      const { lying, ...batch } = await postedPair();
      const opened = await dispute(lying, batch, { signature: '0x' });
      const { proof, output } = await proveWith(zk.validity.whole!, lying.input, lying.salt);
      await expectRevert(
        submitValidityProof(f.clients.challenger, f.deployment, opened.disputeId, output, proof),
        'WrongPhase',
      );
      await provideSignature(
        f.clients.stranger,
        f.deployment,
        opened.disputeId,
        lying.claim,
        lying.signature,
      );
      await submitValidityProof(f.clients.challenger, f.deployment, opened.disputeId, output, proof);
      expect(await account(f.accounts.operator.address)).toMatchObject({ bond: 4n * ETH });
      expect(await account(f.accounts.sequencer.address)).toMatchObject({ bond: 5n * ETH });
    });

    it('provideSignature_atTheLastSecond_givesTheOperatorAFullClock', async () => {
      const { honest, ...batch } = await postedPair();
      const opened = await dispute(honest, batch, { signature: '0x' });
      await f.testClient.setNextBlockTimestamp({
        timestamp:
          (await readDispute(f.clients.stranger, f.deployment, opened.disputeId)).turnStartedAt +
          f.params.clock,
      });
      await provideSignature(
        f.clients.sequencer,
        f.deployment,
        opened.disputeId,
        honest.claim,
        honest.signature,
      );
      await advance(f, 2);
      await expectRevert(
        claimTimeout(f.clients.challenger, f.deployment, opened.disputeId),
        'ClockNotExpired',
      );
      const { proof, output } = await proveWith(zk.validity.whole!, honest.input, honest.salt);
      await submitValidityProof(f.clients.operator, f.deployment, opened.disputeId, output, proof);
      expect((await readDispute(f.clients.stranger, f.deployment, opened.disputeId)).challengerWon).toBe(
        false,
      );
    });

    it('repostedLeaf_disputeInALaterBatch_doesNotUndoFinality', async () => {
      const { lying, ...first } = await postedPair();
      await advance(f, Number(f.params.challengeWindow));
      const status = (b: { batchIndex: bigint; tree: { proof(l: `0x${string}`): `0x${string}`[] } }) =>
        readClaimStatus(f.clients.stranger, f.deployment, b.batchIndex, lying.leaf, b.tree.proof(lying.leaf));
      expect(await status(first)).toBe('final');
      // Anyone bonded can repost a signed leaf. Its new posting can be disputed (the operator did
      // sign a false claim), but what was final in the first batch stays final.
      const again = await postClaims(f, [lying]);
      const opened = await dispute(lying, again);
      expect(await status(first)).toBe('final');
      const { proof, output } = await proveWith(zk.validity.whole!, lying.input, lying.salt);
      await submitValidityProof(f.clients.challenger, f.deployment, opened.disputeId, output, proof);
      expect(await status(again)).toBe('slashed');
      expect(await status(first)).toBe('final');
      // Slashed once for one signature: no further dispute on that leaf anywhere.
      await expectRevert(
        dispute(lying, await postClaims(f, [lying]), { by: 'challenger2' }),
        'ClaimAlreadySlashed',
      );
      await expectConserved(f);
    });

    it('repostedLeaf_slashedBeforeAnotherPostingIsFinal_isSlashedThereToo', async () => {
      const { lying, ...first } = await postedPair();
      const again = await postClaims(f, [lying]);
      const opened = await dispute(lying, again);
      await expectRevert(dispute(lying, again, { by: 'challenger2' }), 'DisputeAlreadyOpen');
      const { proof, output } = await proveWith(zk.validity.whole!, lying.input, lying.salt);
      await submitValidityProof(f.clients.challenger, f.deployment, opened.disputeId, output, proof);
      expect(
        await readClaimStatus(
          f.clients.stranger,
          f.deployment,
          first.batchIndex,
          lying.leaf,
          first.tree.proof(lying.leaf),
        ),
      ).toBe('slashed');
    });

    it('openDispute_disputeOpenThroughAnotherPosting_succeeds', async () => {
      // Locks are per posting: a stalled dispute through a reposting never keeps honest
      // challengers away from the first posting while its window runs out.
      const { lying, ...first } = await postedPair();
      const again = await postClaims(f, [lying]);
      await dispute(lying, again, { by: 'challenger2' });
      const opened = await dispute(lying, first);
      const { proof, output } = await proveWith(zk.validity.whole!, lying.input, lying.salt);
      await submitValidityProof(f.clients.challenger, f.deployment, opened.disputeId, output, proof);
      await expectConserved(f);
    });

    it('claimStatusOf_computesTheLeafFromTheClaimFields', async () => {
      const { honest, tree, batchIndex } = await postedPair();
      const read = (claim: typeof honest.claim) =>
        f.clients.stranger.public.readContract({
          address: claims(),
          abi: verilayClaimsAbi,
          functionName: 'claimStatusOf',
          args: [batchIndex, claim, tree.proof(honest.leaf)],
        });
      expect(await read(honest.claim)).toBe(1); // challengeable
      expect(await read({ ...honest.claim, outputCommitment: honest.claim.inputCommitment })).toBe(0); // not in batch
    });
  });
});
