import {
  claimTimeout,
  depositBond,
  executeWithdrawal,
  finalizeBatch,
  openDispute,
  postBatch,
  provideSignature,
  readClaimStatus,
  readDispute,
  requestWithdrawal,
  submitValidityProof,
  transact,
  verilayClaimsAbi,
  verilayClaimsBytecode,
  withdraw,
} from '@verilay/chain';
import { reentrantWithdrawerAbi, reentrantWithdrawerBytecode } from './generated/test-contracts';
import {
  advance,
  ETH,
  expectConserved,
  makeClaim,
  TEST_PARAMS,
  type ChainFixture,
} from './support/chain-fixture';
import { expectRevert } from './support/expect-revert';
import { useClaimsSuite, type ClaimsSuite } from './support/claims-suite';
import { proveWith } from './support/zk-models';

describe('VerilayClaims', () => {
  const { suite, read, account, credit, postedPair, dispute } = useClaimsSuite();
  let f: ChainFixture;
  let zk: ClaimsSuite['zk'];
  beforeAll(() => ({ f, zk } = suite));
  const claims = () => f.deployment.claims;

  describe('constructor', () => {
    it('constructor_parametersOutOfBounds_reverts', async () => {
      const good = { ...TEST_PARAMS(f.treasury), registry: f.deployment.registry };
      const deploy = async (over: Partial<typeof good>) => {
        const hash = await f.clients.deployer.wallet.deployContract({
          abi: verilayClaimsAbi,
          bytecode: verilayClaimsBytecode,
          args: [{ ...good, ...over }],
          gas: 5_000_000n,
        });
        return (await f.clients.deployer.public.waitForTransactionReceipt({ hash })).status;
      };
      expect(await deploy({})).toBe('success');
      for (const over of [
        { challengeWindow: 1n },
        { challengeWindow: 31n * 86400n },
        { clock: 0n },
        { withdrawalDelay: 10n }, // shorter than the window: bonds could leave before disputes
        { challengerBond: 0n },
        { disputeStake: 0n },
        { sequencerBond: 0n },
        { winnerShareBps: 0 },
        { winnerShareBps: 10_001 },
        { treasury: '0x0000000000000000000000000000000000000000' as const },
        { registry: f.accounts.stranger.address },
      ])
        expect([over, await deploy(over)]).toEqual([over, 'reverted']);
    });
  });

  describe('bonds', () => {
    it('deposit_zero_reverts', async () => {
      await expectRevert(depositBond(f.clients.stranger, f.deployment, 0n), 'WrongBond');
    });

    it('withdrawal_afterDelay_paysTheBondBack', async () => {
      const before = await f.clients.operator.public.getBalance({ address: f.accounts.operator.address });
      const requested = await requestWithdrawal(f.clients.operator, f.deployment, 2n * ETH);
      await expectRevert(executeWithdrawal(f.clients.operator, f.deployment), 'WithdrawalNotReady');
      await advance(f, Number(f.params.withdrawalDelay));
      const executed = await executeWithdrawal(f.clients.operator, f.deployment);
      expect(await account(f.accounts.operator.address)).toMatchObject({
        bond: 3n * ETH,
        pendingWithdrawal: 0n,
      });
      const paid = await withdraw(f.clients.operator, f.deployment);
      const gas = [requested, executed, paid].reduce(
        (s, m) => s + m.gasUsed * m.receipt.effectiveGasPrice,
        0n,
      );
      expect(await f.clients.operator.public.getBalance({ address: f.accounts.operator.address })).toBe(
        before + 2n * ETH - gas,
      );
      await expectConserved(f);
    });

    it('requestWithdrawal_moreThanBond_reverts', async () => {
      await expectRevert(
        requestWithdrawal(f.clients.operator, f.deployment, 6n * ETH),
        'InsufficientFreeBond',
      );
      await expectRevert(requestWithdrawal(f.clients.stranger, f.deployment, 1n), 'InsufficientFreeBond');
    });

    it('executeWithdrawal_withoutRequest_reverts', async () => {
      await expectRevert(executeWithdrawal(f.clients.operator, f.deployment), 'NothingToWithdraw');
    });

    it('withdraw_withoutCredit_reverts', async () => {
      await expectRevert(withdraw(f.clients.stranger, f.deployment), 'NothingToWithdraw');
    });

    it('requestWithdrawal_pendingAmount_isStillAtStake', async () => {
      // Unbonding cannot be used to dodge a dispute over what was signed before: the stake takes
      // the free bond first, then the pending withdrawal, which shrinks by as much.
      const { lying, ...batch } = await postedPair();
      await requestWithdrawal(f.clients.operator, f.deployment, 4n * ETH + ETH / 2n);
      const opened = await dispute(lying, batch);
      expect(await readDispute(f.clients.stranger, f.deployment, opened.disputeId)).toMatchObject({
        stake: ETH,
      });
      expect(await account(f.accounts.operator.address)).toMatchObject({
        locked: ETH,
        pendingWithdrawal: 4n * ETH,
      });
      expect(await account(f.accounts.sequencer.address)).toMatchObject({ locked: 0n });
      const { proof, output } = await proveWith(zk.validity.whole!, lying.input, lying.salt);
      await submitValidityProof(f.clients.challenger, f.deployment, opened.disputeId, output, proof);
      expect(await account(f.accounts.operator.address)).toMatchObject({
        bond: 4n * ETH,
        locked: 0n,
      });
      expect(await account(f.accounts.sequencer.address)).toMatchObject({ bond: 5n * ETH, locked: 0n });
      expect(await credit(f.accounts.challenger.address)).toBe(ETH + ETH / 2n);
      await advance(f, Number(f.params.withdrawalDelay));
      await executeWithdrawal(f.clients.operator, f.deployment);
      expect(await credit(f.accounts.operator.address)).toBe(4n * ETH);
      await expectConserved(f);
    });

    it('requestWithdrawal_moreThanFreeBond_reverts', async () => {
      const { lying, ...batch } = await postedPair();
      await dispute(lying, batch); // locks 1 ETH of the operator's 5
      await expectRevert(
        requestWithdrawal(f.clients.operator, f.deployment, 4n * ETH + 1n),
        'InsufficientFreeBond',
      );
    });

    it('executeWithdrawal_sequencerBeforeItsLastWindowEnds_reverts', async () => {
      await requestWithdrawal(f.clients.sequencer, f.deployment, ETH);
      await advance(f, Number(f.params.withdrawalDelay) - 10);
      await postedPair(); // its window ends after the withdrawal delay
      await advance(f, 20);
      await expectRevert(executeWithdrawal(f.clients.sequencer, f.deployment), 'WithdrawalNotReady');
      await advance(f, Number(f.params.challengeWindow));
      await executeWithdrawal(f.clients.sequencer, f.deployment);
    });

    /** The test-only ReentrantWithdrawer contract, and a way to call it as the stranger. */
    async function deployWithdrawer() {
      const hash = await f.clients.stranger.wallet.deployContract({
        abi: reentrantWithdrawerAbi,
        bytecode: reentrantWithdrawerBytecode,
        args: [claims()],
      });
      const attacker = (await f.clients.stranger.public.waitForTransactionReceipt({ hash })).contractAddress!;
      const call = <N extends string>(functionName: N, args: unknown[] = [], value?: bigint) =>
        transact(
          f.clients.stranger,
          { address: attacker, abi: reentrantWithdrawerAbi, functionName, args } as never,
          { value },
        );
      return { attacker, call };
    }

    it('withdraw_reentrantReceiver_cannotWithdrawTwice', async () => {
      const { attacker, call } = await deployWithdrawer();
      await call('bondAndRequest', [ETH], ETH);
      await depositBond(f.clients.challenger, f.deployment, 3n * ETH); // funds a second withdrawal would steal
      await advance(f, Number(f.params.withdrawalDelay));
      await call('execute');
      await call('withdraw');
      const attempts = await f.clients.stranger.public.readContract({
        address: attacker,
        abi: reentrantWithdrawerAbi,
        functionName: 'reentryAttempts',
      });
      const succeeded = await f.clients.stranger.public.readContract({
        address: attacker,
        abi: reentrantWithdrawerAbi,
        functionName: 'reentrySucceeded',
      });
      expect([attempts, succeeded]).toEqual([1n, false]);
      expect(await f.clients.stranger.public.getBalance({ address: attacker })).toBe(ETH);
      expect(await f.clients.stranger.public.getBalance({ address: claims() })).toBe(13n * ETH);
    });

    it('withdraw_receiverRefusesEther_revertsAndKeepsTheCredit', async () => {
      const { attacker, call } = await deployWithdrawer();
      await call('bondAndRequest', [ETH], ETH);
      await advance(f, Number(f.params.withdrawalDelay));
      await call('execute');
      await call('setRefuseEther', [true]);
      await expectRevert(call('withdraw'), 'TransferFailed');
      expect(await credit(attacker)).toBe(ETH);
      await call('setRefuseEther', [false]);
      await call('withdraw');
      expect(await credit(attacker)).toBe(0n);
    });
  });

  describe('postBatch', () => {
    it('postBatch_bondedSequencer_opensTheWindow', async () => {
      const { posted, batchIndex, tree } = await postedPair();
      const block = await f.clients.stranger.public.getBlock({ blockNumber: posted.receipt.blockNumber });
      expect(posted.windowEnd).toBe(block.timestamp + f.params.challengeWindow);
      expect(await read('batch', [batchIndex])).toMatchObject({ root: tree.root, count: 2 });
    });

    it('postBatch_unbondedSequencer_reverts', async () => {
      await expectRevert(
        postBatch(f.clients.stranger, f.deployment, {
          root: `0x${'11'.repeat(32)}`,
          count: 1,
          dataHash: `0x${'00'.repeat(32)}`,
        }),
        'InsufficientFreeBond',
      );
    });

    it('postBatch_empty_reverts', async () => {
      await expectRevert(
        postBatch(f.clients.sequencer, f.deployment, {
          root: `0x${'11'.repeat(32)}`,
          count: 0,
          dataHash: `0x${'00'.repeat(32)}`,
        }),
        'EmptyBatch',
      );
      await expectRevert(
        postBatch(f.clients.sequencer, f.deployment, {
          root: `0x${'00'.repeat(32)}`,
          count: 1,
          dataHash: `0x${'00'.repeat(32)}`,
        }),
        'EmptyBatch',
      );
    });
  });

  describe('finality', () => {
    it('claimStatus_afterWindowUndisputed_isFinal', async () => {
      const { honest, tree, batchIndex } = await postedPair();
      const status = () =>
        readClaimStatus(f.clients.stranger, f.deployment, batchIndex, honest.leaf, tree.proof(honest.leaf));
      expect(await status()).toBe('challengeable');
      await expectRevert(finalizeBatch(f.clients.stranger, f.deployment, batchIndex), 'BatchNotSettled');
      await advance(f, Number(f.params.challengeWindow));
      expect(await status()).toBe('final');
      expect(await read('isFinal', [batchIndex, honest.leaf, tree.proof(honest.leaf)])).toBe(true);
      await finalizeBatch(f.clients.stranger, f.deployment, batchIndex);
      await expectRevert(
        finalizeBatch(f.clients.stranger, f.deployment, batchIndex),
        'BatchAlreadyFinalized',
      );
    });

    it('claimStatus_leafNotInBatch_isNotInBatch', async () => {
      const { honest, lying, tree, batchIndex } = await postedPair();
      expect(
        await readClaimStatus(
          f.clients.stranger,
          f.deployment,
          batchIndex,
          honest.leaf,
          tree.proof(lying.leaf),
        ),
      ).toBe('not-in-batch');
      expect(await readClaimStatus(f.clients.stranger, f.deployment, 99n, honest.leaf, [])).toBe(
        'not-in-batch',
      );
    });

    it('finalizeBatch_withOpenDispute_reverts', async () => {
      const { lying, ...batch } = await postedPair();
      await dispute(lying, batch);
      await advance(f, Number(f.params.challengeWindow));
      await expectRevert(
        finalizeBatch(f.clients.stranger, f.deployment, batch.batchIndex),
        'BatchNotSettled',
      );
    });

    it('finalizeBatch_unknownBatch_reverts', async () => {
      await expectRevert(finalizeBatch(f.clients.stranger, f.deployment, 7n), 'UnknownBatch');
    });
  });

  describe('openDispute', () => {
    it('openDispute_validSignature_locksTheOperatorsStake', async () => {
      const { lying, ...batch } = await postedPair();
      const opened = await dispute(lying, batch);
      expect(opened.liable).toBe(f.accounts.operator.address);
      expect(await account(f.accounts.operator.address)).toMatchObject({ locked: ETH });
      expect((await readDispute(f.clients.stranger, f.deployment, opened.disputeId)).phaseName).toBe(
        'await-validity-proof',
      );
      expect(
        await readClaimStatus(
          f.clients.stranger,
          f.deployment,
          batch.batchIndex,
          lying.leaf,
          batch.tree.proof(lying.leaf),
        ),
      ).toBe('disputed');
      await expectConserved(f);
    });

    it('openDispute_wrongBond_reverts', async () => {
      const { lying, ...batch } = await postedPair();
      await expectRevert(dispute(lying, batch, { bond: ETH - 1n }), 'WrongBond');
    });

    it('openDispute_unknownBatch_reverts', async () => {
      const { lying, ...batch } = await postedPair();
      await expectRevert(dispute(lying, { ...batch, batchIndex: 5n }), 'UnknownBatch');
    });

    it('openDispute_claimNotInBatch_reverts', async () => {
      const { lying, ...batch } = await postedPair();
      const other = await makeClaim(f, zk.validity.model, zk.validity.modelId, zk.validity.input(3));
      await expectRevert(
        openDispute(f.clients.challenger, f.deployment, {
          batchIndex: batch.batchIndex,
          claim: other.claim,
          inclusionProof: batch.tree.proof(lying.leaf),
          signature: other.signature,
          bond: ETH,
        }),
        'ClaimNotInBatch',
      );
    });

    it('openDispute_afterWindow_reverts', async () => {
      const { lying, ...batch } = await postedPair();
      await advance(f, Number(f.params.challengeWindow));
      await expectRevert(dispute(lying, batch), 'ChallengeWindowClosed');
    });

    it('openDispute_alreadyDisputed_revertsSoNoSecondBondIsWasted', async () => {
      const { lying, ...batch } = await postedPair();
      await dispute(lying, batch);
      await expectRevert(dispute(lying, batch, { by: 'challenger2' }), 'DisputeAlreadyOpen');
    });

    it('openDispute_badSignature_makesTheSequencerLiable', async () => {
      const { lying, ...batch } = await postedPair();
      const forged = await f.accounts.stranger.signTypedData({
        ...(await import('@verilay/protocol')).claimTypedData(lying.claim, f.domain),
      });
      const opened = await dispute(lying, batch, { signature: forged });
      expect(opened.liable).toBe(f.accounts.sequencer.address);
      expect((await readDispute(f.clients.stranger, f.deployment, opened.disputeId)).phaseName).toBe(
        'await-signature',
      );
      expect(await account(f.accounts.sequencer.address)).toMatchObject({ locked: ETH });
    });
  });

  describe('provideSignature', () => {
    it('provideSignature_valid_movesLiabilityToTheOperator', async () => {
      const { lying, ...batch } = await postedPair();
      const opened = await dispute(lying, batch, { signature: '0x' });
      await provideSignature(
        f.clients.sequencer,
        f.deployment,
        opened.disputeId,
        lying.claim,
        lying.signature,
      );
      const d = await readDispute(f.clients.stranger, f.deployment, opened.disputeId);
      expect([d.liable, d.phaseName]).toEqual([f.accounts.operator.address, 'await-validity-proof']);
      expect(await account(f.accounts.sequencer.address)).toMatchObject({ locked: 0n });
      expect(await account(f.accounts.operator.address)).toMatchObject({ locked: ETH });
      await expectConserved(f);
    });

    it('provideSignature_invalid_reverts', async () => {
      const { lying, honest, ...batch } = await postedPair();
      const opened = await dispute(lying, batch, { signature: '0x' });
      await expectRevert(
        provideSignature(f.clients.sequencer, f.deployment, opened.disputeId, lying.claim, honest.signature),
        'InvalidSignature',
      );
      await expectRevert(
        provideSignature(f.clients.sequencer, f.deployment, opened.disputeId, honest.claim, honest.signature),
        'InvalidSignature',
      );
    });

    it('provideSignature_wrongPhase_reverts', async () => {
      const { lying, ...batch } = await postedPair();
      const opened = await dispute(lying, batch);
      await expectRevert(
        provideSignature(f.clients.sequencer, f.deployment, opened.disputeId, lying.claim, lying.signature),
        'WrongPhase',
      );
    });

    it('timeout_noSignatureShown_slashesTheSequencer', async () => {
      const { honest, ...batch } = await postedPair();
      const opened = await dispute(honest, batch, { signature: '0x' });
      await advance(f, Number(f.params.clock) + 1);
      await claimTimeout(f.clients.challenger, f.deployment, opened.disputeId);
      expect(await account(f.accounts.sequencer.address)).toMatchObject({ bond: 4n * ETH, locked: 0n });
      expect(await credit(f.accounts.challenger.address)).toBe(ETH + ETH / 2n);
      expect(await credit(f.treasury)).toBe(ETH / 2n);
      await expectConserved(f);
    });
  });
});
