// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.24;

import { ECDSA } from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import { EIP712 } from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import { MerkleProof } from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import { ReentrancyGuard } from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import { IModelRegistry } from "./interfaces/IModelRegistry.sol";
import {
    Account,
    Batch,
    BatchSettlement,
    ClaimFields,
    ClaimRecord,
    ClaimsParams,
    LeafRecord,
    ClaimState,
    ClaimStatus,
    Dispute,
    DisputePhase,
    IVerilayClaims,
    Resolution
} from "./interfaces/IVerilayClaims.sol";
import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import { Groth16Proof } from "./libraries/Groth16.sol";

/// @title VerilayClaims
/// @notice Rollup-style claims about inference results. A sequencer posts batches (the Merkle root
///         of claim leaves); each batch opens a challenge window; a claim nobody disputes in time is
///         final. A dispute is settled by a Groth16 proof of the whole inference (small models) or
///         by bisection over the claim's execution trace under chess clocks, ending in a Groth16
///         proof of one step. Bonds are paid out pull-based; nothing is ever burned or stuck
///         (INVARIANT: balance == sum of bonds + sum of credits + challenger bonds of open disputes).
contract VerilayClaims is IVerilayClaims, EIP712, ReentrancyGuard {
    bytes32 public constant CLAIM_TYPEHASH = keccak256(
        "Claim(bytes32 modelId,bytes32 taskId,bytes32 inputCommitment,bytes32 outputCommitment,bytes32 traceRoot,address operator)"
    );
    uint256 public constant BPS = 10_000;
    uint256 public constant MAX_WINNER_SHARE_BPS = 5_000;

    uint64 public immutable CHALLENGE_WINDOW;
    uint64 public immutable CLOCK;
    uint64 public immutable WITHDRAWAL_DELAY;
    uint128 public immutable CHALLENGER_BOND;
    uint128 public immutable DISPUTE_STAKE;
    uint128 public immutable SEQUENCER_BOND;
    uint16 public immutable WINNER_SHARE_BPS;
    address public immutable TREASURY;
    IModelRegistry public immutable REGISTRY;

    uint256 public batchCount;
    uint256 public disputeCount;

    mapping(uint256 batchIndex => Batch) internal _batches;
    mapping(uint256 batchIndex => BatchSettlement) internal _settlements;
    /// @dev Keyed by keccak256(abi.encode(batchIndex, leaf)): a leaf reposted in another batch is
    ///      another posting, with its own window, its own dispute lock and its own reopenings, and
    ///      cannot undo this one's finality, nor keep honest challengers away from it.
    mapping(bytes32 posting => ClaimRecord) internal _claims;
    mapping(bytes32 leaf => LeafRecord) internal _leaves;
    mapping(uint256 disputeId => Dispute) internal _disputes;
    mapping(address account => Account) internal _accounts;
    mapping(address account => uint256) public credit;

    constructor(ClaimsParams memory _params) EIP712("verilay", "1") {
        _bound("challengeWindow", _params.challengeWindow, 10 seconds, 30 days);
        _bound("clock", _params.clock, 10 seconds, 7 days);
        _bound("withdrawalDelay", _params.withdrawalDelay, _params.challengeWindow, 60 days);
        _bound("challengerBond", _params.challengerBond, 1, type(uint96).max);
        _bound("disputeStake", _params.disputeStake, 1, type(uint96).max);
        _bound("sequencerBond", _params.sequencerBond, 1, type(uint96).max);
        // SAFETY: at most half of a loser's bond goes to the winner, so a challenger who loses to its
        // own friend on purpose (to stall a claim) pays at least half its bond to the treasury.
        _bound("winnerShareBps", _params.winnerShareBps, 1, MAX_WINNER_SHARE_BPS);
        if (_params.treasury == address(0)) revert ParameterOutOfBounds("treasury", 0);
        if (_params.registry.code.length == 0) revert ParameterOutOfBounds("registry", 0);
        CHALLENGE_WINDOW = _params.challengeWindow;
        CLOCK = _params.clock;
        WITHDRAWAL_DELAY = _params.withdrawalDelay;
        CHALLENGER_BOND = _params.challengerBond;
        DISPUTE_STAKE = _params.disputeStake;
        SEQUENCER_BOND = _params.sequencerBond;
        WINNER_SHARE_BPS = _params.winnerShareBps;
        TREASURY = _params.treasury;
        REGISTRY = IModelRegistry(_params.registry);
    }

    // ---------------------------------------------------------------- bonds

    /// @notice Adds the sent value to the caller's bond (operators, sequencers).
    function deposit() external payable {
        if (msg.value == 0) revert WrongBond(1, 0);
        Account storage account_ = _accounts[msg.sender];
        account_.bond += SafeCast.toUint128(msg.value);
        emit BondDeposited(msg.sender, msg.value, account_.bond);
    }

    /// @notice Starts the withdrawal delay for `_amount` of the caller's free bond (replacing any
    ///         earlier request). From now on that amount backs no new batch, but it stays at stake:
    ///         a dispute over a claim signed or posted before takes its stake from it when the free
    ///         bond falls short.
    function requestWithdrawal(uint128 _amount) external {
        Account storage account_ = _accounts[msg.sender];
        uint128 free_ = account_.bond - account_.locked;
        if (_amount == 0 || _amount > free_) revert InsufficientFreeBond(msg.sender, _amount, free_);
        account_.pendingWithdrawal = _amount;
        account_.withdrawableAt = uint64(block.timestamp) + WITHDRAWAL_DELAY;
        emit WithdrawalRequested(msg.sender, _amount, account_.withdrawableAt);
    }

    /// @notice After the delay, and after the windows of every batch the caller posted, moves the
    ///         requested amount from bond to credit.
    function executeWithdrawal() external {
        Account storage account_ = _accounts[msg.sender];
        if (account_.pendingWithdrawal == 0) revert NothingToWithdraw(msg.sender);
        uint64 readyAt_ = _max(account_.withdrawableAt, account_.lastWindowEnd);
        if (block.timestamp < readyAt_) revert WithdrawalNotReady(msg.sender, readyAt_);
        // INVARIANT: bond - locked >= pendingWithdrawal (a lock that takes from the pending amount
        // lowers it), so the pending amount is always there to pay.
        uint128 amount_ = account_.pendingWithdrawal;
        account_.bond -= amount_;
        account_.pendingWithdrawal = 0;
        credit[msg.sender] += amount_;
        emit WithdrawalExecuted(msg.sender, amount_);
    }

    /// @notice Pays the caller everything credited to it (withdrawn bonds, winnings).
    function withdraw() external nonReentrant {
        uint256 amount_ = credit[msg.sender];
        if (amount_ == 0) revert NothingToWithdraw(msg.sender);
        credit[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount_);
        (bool sent_,) = msg.sender.call{ value: amount_ }("");
        if (!sent_) revert TransferFailed(msg.sender, amount_);
    }

    // ---------------------------------------------------------------- batches

    /// @notice Posts a batch of claims: the root of their leaves' Merkle tree (OpenZeppelin
    ///         SimpleMerkleTree), how many, and a hash naming the batch data off chain. The caller
    ///         is the sequencer and answers for leaves its operators did not sign.
    function postBatch(bytes32 _root, uint32 _count, bytes32 _dataHash) external returns (uint256 batchIndex_) {
        if (_count == 0 || _root == bytes32(0)) revert EmptyBatch();
        uint256 free_ = _freeBond(msg.sender);
        if (free_ < SEQUENCER_BOND) revert InsufficientFreeBond(msg.sender, SEQUENCER_BOND, free_);
        batchIndex_ = batchCount++;
        uint64 windowEnd_ = uint64(block.timestamp) + CHALLENGE_WINDOW;
        _batches[batchIndex_] = Batch({ root: _root, sequencer: msg.sender, count: _count, windowEnd: windowEnd_ });
        // The sequencer answers for unsigned leaves until its batches' windows end.
        _accounts[msg.sender].lastWindowEnd = windowEnd_;
        emit BatchPosted(batchIndex_, _root, msg.sender, _count, _dataHash, windowEnd_);
    }

    /// @notice Records that a batch is settled: its window and every reopened claim window are
    ///         over and no dispute opened through it is still running. Anyone may call.
    function finalizeBatch(uint256 _batchIndex) external {
        if (!isBatchFinal(_batchIndex)) revert BatchNotSettled(_batchIndex);
        BatchSettlement storage settlement_ = _settlements[_batchIndex];
        if (settlement_.finalized) revert BatchAlreadyFinalized(_batchIndex);
        settlement_.finalized = true;
        emit BatchFinalized(_batchIndex);
    }

    // ---------------------------------------------------------------- disputes

    /// @notice Disputes a claim of a batch inside its challenge window, with `CHALLENGER_BOND`.
    ///         `_signature` is the operator's EIP-712 signature over the claim: when it checks out
    ///         the operator answers; otherwise the batch's sequencer answers, unless someone shows
    ///         a valid signature (`provideSignature`) in time.
    function openDispute(
        uint256 _batchIndex,
        ClaimFields calldata _claim,
        bytes32[] calldata _inclusionProof,
        bytes calldata _signature
    )
        external
        payable
        returns (uint256 disputeId_)
    {
        if (msg.value != CHALLENGER_BOND) revert WrongBond(CHALLENGER_BOND, msg.value);
        Batch storage batch_ = _batch(_batchIndex);
        bytes32 leaf_ = keccak256(abi.encode(_claim));
        if (!MerkleProof.verifyCalldata(_inclusionProof, batch_.root, leaf_)) revert ClaimNotInBatch(leaf_, _batchIndex);

        LeafRecord storage facts_ = _leaves[leaf_];
        if (facts_.state == ClaimState.Slashed) revert ClaimAlreadySlashed(leaf_);
        if (facts_.state == ClaimState.Validated) revert ClaimAlreadyValidated(leaf_);
        ClaimRecord storage record_ = _claims[_posting(_batchIndex, leaf_)];
        // INVARIANT: the lock is per posting. A dispute through another posting of the same leaf
        // (any sequencer can repost a signed leaf) never stops a dispute through this one, so no
        // stalled game elsewhere can run out this posting's window.
        if (record_.state == ClaimState.Disputed) revert DisputeAlreadyOpen(leaf_, record_.disputeId);
        if (record_.state == ClaimState.Slashed) revert ClaimAlreadySlashed(leaf_);
        uint64 deadline_ = _max(batch_.windowEnd, record_.reopenUntil);
        if (block.timestamp >= deadline_) revert ChallengeWindowClosed(leaf_, deadline_);

        (address wholeVerifier_, uint32 traceLength_, uint256 stepCount_) = REGISTRY.model(_claim.modelId);
        // An unregistered model gets a validity dispute nobody can answer: the claim cannot be
        // defended, so it is slashed when the clock runs out.
        bool bisection_ = wholeVerifier_ == address(0) && stepCount_ != 0;
        bool signed_ = _signedBy(_claim, _signature);

        disputeId_ = ++disputeCount;
        Dispute storage dispute_ = _disputes[disputeId_];
        dispute_.leaf = leaf_;
        dispute_.modelId = _claim.modelId;
        dispute_.traceRoot = _claim.traceRoot;
        dispute_.hLo = _claim.inputCommitment;
        dispute_.hHi = _claim.outputCommitment;
        dispute_.challenger = msg.sender;
        dispute_.turnStartedAt = uint64(block.timestamp);
        dispute_.bisection = bisection_;
        dispute_.hi = bisection_ ? traceLength_ : 1;
        dispute_.batchIndex = SafeCast.toUint32(_batchIndex);
        dispute_.operator = _claim.operator;
        dispute_.defenderClock = CLOCK;
        dispute_.challengerClock = CLOCK;
        dispute_.phase = signed_ ? _firstPhase(dispute_) : DisputePhase.AwaitSignature;
        _lockStake(dispute_, signed_ ? _claim.operator : batch_.sequencer);

        record_.state = ClaimState.Disputed;
        record_.disputeId = uint64(disputeId_);
        _settlements[_batchIndex].openDisputes += 1;
        emit DisputeOpened(disputeId_, leaf_, _batchIndex, msg.sender, dispute_.liable, bisection_, dispute_.stake);
    }

    /// @notice Shows the operator's signature over a disputed claim, moving the liability from the
    ///         sequencer to the operator. Anyone may call; it is the defender's move.
    function provideSignature(uint256 _disputeId, ClaimFields calldata _claim, bytes calldata _signature) external {
        Dispute storage dispute_ = _inPhase(_disputeId, DisputePhase.AwaitSignature);
        if (keccak256(abi.encode(_claim)) != dispute_.leaf) revert InvalidSignature(_disputeId);
        if (!_signedBy(_claim, _signature)) revert InvalidSignature(_disputeId);
        _spendClock(_disputeId, dispute_, false);
        _unlockStake(dispute_);
        _lockStake(dispute_, dispute_.operator);
        // SAFETY: the operator starts its defence with a full clock; a sequencer that shows the
        // signature at its last second must not hand the operator an empty one.
        dispute_.defenderClock = CLOCK;
        dispute_.phase = _firstPhase(dispute_);
        emit SignatureProvided(_disputeId, dispute_.operator);
    }

    /// @notice Settles a validity dispute with a Groth16 proof of the whole inference from the
    ///         claim's input commitment. A proof of the claimed output rejects the dispute (and
    ///         makes the claim final); a proof of any other output slashes the liable party.
    function submitValidityProof(uint256 _disputeId, uint256 _outputCommitment, Groth16Proof calldata _proof) external {
        Dispute storage dispute_ = _open(_disputeId);
        if (dispute_.bisection) revert NotValidityDispute(_disputeId);
        // SAFETY: while the dispute waits for the operator's signature the sequencer is liable only
        // provisionally; settling then would slash it for a claim the operator signed.
        if (dispute_.phase == DisputePhase.AwaitSignature) {
            revert WrongPhase(_disputeId, DisputePhase.AwaitValidityProof, DisputePhase.AwaitSignature);
        }
        REGISTRY.verifyInference(dispute_.modelId, uint256(dispute_.hLo), _outputCommitment, _proof);
        _settleByProof(_disputeId, dispute_, _outputCommitment, Resolution.ValidityProof);
    }

    /// @notice The defender's bisection move: reveals its trace commitment at the midpoint of the
    ///         disputed range, proven against the claim's trace root. Anyone may submit it.
    function revealMidpoint(uint256 _disputeId, bytes32 _commitment, bytes32[] calldata _traceProof) external {
        Dispute storage dispute_ = _inPhase(_disputeId, DisputePhase.AwaitReveal);
        uint32 mid_ = (dispute_.lo + dispute_.hi) / 2;
        bytes32 traceLeaf_ = keccak256(bytes.concat(keccak256(abi.encode(uint256(mid_), _commitment))));
        if (!MerkleProof.verifyCalldata(_traceProof, dispute_.traceRoot, traceLeaf_)) {
            revert InvalidTraceProof(_disputeId, mid_);
        }
        _spendClock(_disputeId, dispute_, false);
        dispute_.hMid = _commitment;
        dispute_.phase = DisputePhase.AwaitChoice;
        emit MidpointRevealed(_disputeId, mid_, _commitment);
    }

    /// @notice The challenger's bisection move: agree with the revealed midpoint (the first wrong
    ///         step lies after it) or not (it lies before).
    function chooseHalf(uint256 _disputeId, bool _agree) external {
        Dispute storage dispute_ = _inPhase(_disputeId, DisputePhase.AwaitChoice);
        if (msg.sender != dispute_.challenger) revert NotChallenger(_disputeId, msg.sender);
        _spendClock(_disputeId, dispute_, true);
        uint32 mid_ = (dispute_.lo + dispute_.hi) / 2;
        if (_agree) {
            dispute_.lo = mid_;
            dispute_.hLo = dispute_.hMid;
        } else {
            dispute_.hi = mid_;
            dispute_.hHi = dispute_.hMid;
        }
        dispute_.hMid = bytes32(0);
        dispute_.phase = dispute_.hi - dispute_.lo == 1 ? DisputePhase.AwaitStepProof : DisputePhase.AwaitReveal;
        emit HalfChosen(_disputeId, _agree, dispute_.lo, dispute_.hi);
    }

    /// @notice Ends a bisection with a Groth16 proof of step `lo` from the agreed commitment. A
    ///         proof reaching the defender's `h_hi` upholds the claim; a proof reaching any other
    ///         commitment shows `h_hi` is wrong (steps are deterministic) and slashes the liable party.
    function submitStepProof(uint256 _disputeId, uint256 _after, Groth16Proof calldata _proof) external {
        Dispute storage dispute_ = _inPhase(_disputeId, DisputePhase.AwaitStepProof);
        dispute_.turnStartedAt = _stepProofClockStart(_disputeId, dispute_);
        REGISTRY.verifyStep(dispute_.modelId, dispute_.lo, uint256(dispute_.hLo), _after, _proof);
        _settleByProof(_disputeId, dispute_, _after, Resolution.StepProof);
    }

    /// @notice Ends a dispute whose side on the move let its clock run out; the other side wins.
    ///         A dispute over a claim proven valid meanwhile (`proveClaim`) ends at once, upheld.
    ///         A dispute waiting for a step proof whose verifier the registrar has not set yet
    ///         cannot time out (`StepVerifierNotSet`): nobody can prove that step, so nobody loses it.
    function timeout(uint256 _disputeId) external {
        Dispute storage dispute_ = _open(_disputeId);
        if (_leaves[dispute_.leaf].state == ClaimState.Validated) {
            _resolve(_disputeId, dispute_, false, Resolution.ValidityProof);
            return;
        }
        bool challengerSide_ = dispute_.phase == DisputePhase.AwaitChoice;
        uint64 left_ = challengerSide_ ? dispute_.challengerClock : dispute_.defenderClock;
        uint64 started_ = dispute_.phase == DisputePhase.AwaitStepProof
            ? _stepProofClockStart(_disputeId, dispute_)
            : dispute_.turnStartedAt;
        uint64 elapsed_ = uint64(block.timestamp) - started_;
        if (elapsed_ <= left_) revert ClockNotExpired(_disputeId, left_ - elapsed_);
        _resolve(_disputeId, dispute_, !challengerSide_, Resolution.Timeout);
    }

    /// @notice Makes a claim final at once, in every posting, with a Groth16 proof of its whole
    ///         inference, whether or not it was batched or disputed. Disputes still open on it then
    ///         end upheld through `timeout`, whatever their clocks say.
    function proveClaim(ClaimFields calldata _claim, Groth16Proof calldata _proof) external {
        bytes32 leaf_ = keccak256(abi.encode(_claim));
        LeafRecord storage facts_ = _leaves[leaf_];
        if (facts_.state == ClaimState.Slashed) revert ClaimAlreadySlashed(leaf_);
        if (facts_.state == ClaimState.Validated) revert ClaimAlreadyValidated(leaf_);
        REGISTRY.verifyInference(
            _claim.modelId, uint256(_claim.inputCommitment), uint256(_claim.outputCommitment), _proof
        );
        _validate(leaf_);
    }

    // ---------------------------------------------------------------- views

    /// @notice Whether a claim of a batch is final: proven valid, or included, past its window(s),
    ///         never slashed and not under dispute.
    function isFinal(uint256 _batchIndex, bytes32 _leaf, bytes32[] calldata _proof) external view returns (bool final_) {
        return claimStatus(_batchIndex, _leaf, _proof) == ClaimStatus.Final;
    }

    /// @notice The status of a claim of a batch, for consuming contracts.
    function claimStatus(
        uint256 _batchIndex,
        bytes32 _leaf,
        bytes32[] calldata _proof
    )
        public
        view
        returns (ClaimStatus status_)
    {
        if (_batchIndex >= batchCount) return ClaimStatus.NotInBatch;
        Batch storage batch_ = _batches[_batchIndex];
        if (!MerkleProof.verifyCalldata(_proof, batch_.root, _leaf)) return ClaimStatus.NotInBatch;
        LeafRecord storage facts_ = _leaves[_leaf];
        if (facts_.state == ClaimState.Validated) return ClaimStatus.Final;
        ClaimRecord storage record_ = _claims[_posting(_batchIndex, _leaf)];
        if (record_.state == ClaimState.Slashed) return ClaimStatus.Slashed;
        if (record_.state == ClaimState.Disputed) return ClaimStatus.Disputed;
        uint64 deadline_ = _max(batch_.windowEnd, record_.reopenUntil);
        // INVARIANT: finality is monotonic: a slash through another posting of the same leaf counts
        // here only if it came before this posting was final.
        if (facts_.state == ClaimState.Slashed && facts_.at < deadline_) return ClaimStatus.Slashed;
        if (block.timestamp < deadline_) return ClaimStatus.Challengeable;
        return ClaimStatus.Final;
    }

    /// @notice Whether a batch's window (and every reopened window of its claims) is over and no
    ///         dispute opened through it is running. Slashed claims stay slashed inside a final batch.
    function isBatchFinal(uint256 _batchIndex) public view returns (bool final_) {
        Batch storage batch_ = _batch(_batchIndex);
        BatchSettlement storage settlement_ = _settlements[_batchIndex];
        return settlement_.openDisputes == 0 && block.timestamp >= _max(batch_.windowEnd, settlement_.settleAfter);
    }

    function batch(uint256 _batchIndex) external view returns (Batch memory batch_) {
        return _batch(_batchIndex);
    }

    function settlement(uint256 _batchIndex) external view returns (BatchSettlement memory settlement_) {
        return _settlements[_batchIndex];
    }

    /// @notice Like `claimStatus`, computing the leaf from the claim's fields (what a consuming
    ///         contract should do rather than trust a leaf it was handed).
    function claimStatusOf(
        uint256 _batchIndex,
        ClaimFields calldata _claim,
        bytes32[] calldata _proof
    )
        external
        view
        returns (ClaimStatus status_)
    {
        return claimStatus(_batchIndex, keccak256(abi.encode(_claim)), _proof);
    }

    /// @notice The end of a posting's current challenge window: its batch's window, or the window it
    ///         was reopened for after a defender won a dispute without a validity proof.
    function postingDeadline(uint256 _batchIndex, bytes32 _leaf) external view returns (uint64 deadline_) {
        return _max(_batch(_batchIndex).windowEnd, _claims[_posting(_batchIndex, _leaf)].reopenUntil);
    }

    function claimRecord(uint256 _batchIndex, bytes32 _leaf) external view returns (ClaimRecord memory record_) {
        return _claims[_posting(_batchIndex, _leaf)];
    }

    function leafRecord(bytes32 _leaf) external view returns (LeafRecord memory record_) {
        return _leaves[_leaf];
    }

    function dispute(uint256 _disputeId) external view returns (Dispute memory dispute_) {
        if (_disputeId == 0 || _disputeId > disputeCount) revert UnknownDispute(_disputeId);
        return _disputes[_disputeId];
    }

    function account(address _account) external view returns (Account memory account_) {
        return _accounts[_account];
    }

    function freeBond(address _account) external view returns (uint256 free_) {
        return _freeBond(_account);
    }

    /// @notice The EIP-712 digest an operator signs for `_claim`.
    function claimDigest(ClaimFields calldata _claim) external view returns (bytes32 digest_) {
        return _hashTypedDataV4(keccak256(abi.encode(CLAIM_TYPEHASH, _claim)));
    }

    // ---------------------------------------------------------------- internals

    function _settleByProof(uint256 _disputeId, Dispute storage _dispute, uint256 _proven, Resolution _how) internal {
        bool challengerWins_ = bytes32(_proven) != _dispute.hHi;
        if (!challengerWins_ && _dispute.phase != DisputePhase.AwaitSignature) {
            // The defender's proof is its move, so it must come in its time; a proof against the
            // claim is a fact and counts whenever it comes.
            _spendClock(_disputeId, _dispute, false);
        }
        _resolve(_disputeId, _dispute, challengerWins_, _how);
    }

    function _resolve(uint256 _disputeId, Dispute storage _dispute, bool _challengerWins, Resolution _how) internal {
        // The operator's signature was shown (by the challenger or later): it answers for the claim.
        bool signed_ = _dispute.phase != DisputePhase.AwaitSignature;
        _dispute.phase = DisputePhase.Resolved;
        _dispute.resolution = _how;
        _dispute.challengerWon = _challengerWins;
        uint128 stake_ = _dispute.stake;
        Account storage liable_ = _accounts[_dispute.liable];
        liable_.locked -= stake_;
        _settlements[_dispute.batchIndex].openDisputes -= 1;
        ClaimRecord storage record_ = _claims[_posting(_dispute.batchIndex, _dispute.leaf)];
        LeafRecord storage facts_ = _leaves[_dispute.leaf];
        // INVARIANT: every wei taken from a loser is credited to the winner or the treasury.
        if (_challengerWins) {
            liable_.bond -= stake_;
            uint256 taken_ = stake_;
            uint256 reward_ = taken_ * WINNER_SHARE_BPS / BPS;
            credit[_dispute.challenger] += CHALLENGER_BOND + reward_;
            credit[TREASURY] += taken_ - reward_;
            record_.state = ClaimState.Slashed;
            // SAFETY: a proof shows the claim false wherever it is posted, and so does an operator
            // that signed it and then let its clock run out: a liar that never answers must not be
            // slashed one posting (one challenger bond) at a time while free repostings outnumber
            // the watchers' bonds. A timeout while the signature was never shown proves nothing
            // about the claim (a griefer's unsigned dispute of a reposting): it slashes only this
            // posting, whose sequencer answers.
            // INVARIANT: the leaf's slash time is the first one; a later slash (a dispute parked
            // through another posting and won late) must not move it past postings already slashed.
            if ((_how != Resolution.Timeout || signed_) && facts_.state != ClaimState.Slashed) {
                facts_.state = ClaimState.Slashed;
                facts_.at = uint64(block.timestamp);
            }
            emit ClaimSlashed(_dispute.leaf, _dispute.liable, taken_);
        } else {
            uint256 reward_ = uint256(CHALLENGER_BOND) * WINNER_SHARE_BPS / BPS;
            credit[_dispute.liable] += reward_;
            credit[TREASURY] += CHALLENGER_BOND - reward_;
            if (_how == Resolution.ValidityProof) {
                record_.state = ClaimState.Validated;
                if (facts_.state != ClaimState.Validated) _validate(_dispute.leaf);
            } else {
                // SAFETY: a bisection or timeout win shows only that this challenger failed, not that
                // the claim is true (a colluding challenger can lose on purpose), so the claim is
                // open to disputes for one more window.
                record_.state = ClaimState.Upheld;
                record_.reopenUntil = uint64(block.timestamp) + CHALLENGE_WINDOW;
                BatchSettlement storage settlement_ = _settlements[_dispute.batchIndex];
                settlement_.settleAfter = _max(settlement_.settleAfter, record_.reopenUntil);
                // The sequencer answers for its unsigned leaves while the reopened window runs.
                Account storage sequencer_ = _accounts[_batches[_dispute.batchIndex].sequencer];
                sequencer_.lastWindowEnd = _max(sequencer_.lastWindowEnd, record_.reopenUntil);
            }
        }
        emit DisputeResolved(_disputeId, _dispute.leaf, _challengerWins, _how);
    }

    function _lockStake(Dispute storage _dispute, address _liable) internal {
        uint128 stake_ = _lock(_liable, DISPUTE_STAKE);
        _dispute.liable = _liable;
        _dispute.stake = stake_;
        // SAFETY: the liable party alone answers. The sequencer does not cover an operator's
        // shortfall: repostings of the same leaf by anyone can lock the operator's bond through
        // other disputes first, which would make an honest sequencer pay for a lie it posted
        // backed. A claim whose liable party has no free bond is slashed all the same; only the
        // challenger's reward is smaller (the verifier posts only backed claims).
    }

    /// @dev Locks up to `_wanted` of the account's bond: free bond first, then its pending
    ///      withdrawal (SAFETY: requesting a withdrawal after signing or posting must not take the
    ///      bond out of reach of disputes over what was signed or posted).
    function _lock(address _account, uint128 _wanted) internal returns (uint128 locked_) {
        Account storage account_ = _accounts[_account];
        uint128 unlocked_ = account_.bond - account_.locked;
        locked_ = unlocked_ < _wanted ? unlocked_ : _wanted;
        uint128 free_ = unlocked_ - account_.pendingWithdrawal;
        if (locked_ > free_) {
            account_.pendingWithdrawal -= locked_ - free_;
            emit WithdrawalReduced(_account, account_.pendingWithdrawal);
        }
        account_.locked += locked_;
    }

    function _validate(bytes32 _leaf) internal {
        LeafRecord storage facts_ = _leaves[_leaf];
        facts_.state = ClaimState.Validated;
        facts_.at = uint64(block.timestamp);
        emit ClaimValidated(_leaf);
    }

    function _unlockStake(Dispute storage _dispute) internal {
        _accounts[_dispute.liable].locked -= _dispute.stake;
        _dispute.stake = 0;
    }

    function _posting(uint256 _batchIndex, bytes32 _leaf) internal pure returns (bytes32 posting_) {
        return keccak256(abi.encode(_batchIndex, _leaf));
    }

    function _spendClock(uint256 _disputeId, Dispute storage _dispute, bool _challengerSide) internal {
        uint64 elapsed_ = uint64(block.timestamp) - _dispute.turnStartedAt;
        uint64 left_ = _challengerSide ? _dispute.challengerClock : _dispute.defenderClock;
        if (elapsed_ > left_) revert ClockExpired(_disputeId, _challengerSide);
        if (_challengerSide) _dispute.challengerClock = left_ - elapsed_;
        else _dispute.defenderClock = left_ - elapsed_;
        _dispute.turnStartedAt = uint64(block.timestamp);
    }

    /// @dev When the defender's clock for the step proof starts: its turn, or the moment the step's
    ///      verifier was set if later. SAFETY: a step registered lazily has no verifier until the
    ///      registrar sets it; until then no proof of it exists, so no clock runs (a missing verifier
    ///      must not let a liar win by default, nor slash an honest defender). Registrar liveness
    ///      decides how long the dispute waits (docs/security.md).
    function _stepProofClockStart(uint256 _disputeId, Dispute storage _dispute) internal view returns (uint64 start_) {
        (address verifier_, uint64 setAt_) =
            REGISTRY.circuitVerifier(_dispute.modelId, REGISTRY.stepCircuit(_dispute.modelId, _dispute.lo));
        if (verifier_ == address(0)) revert StepVerifierNotSet(_disputeId, _dispute.lo);
        return _max(_dispute.turnStartedAt, setAt_);
    }

    function _firstPhase(Dispute storage _dispute) internal view returns (DisputePhase phase_) {
        if (!_dispute.bisection) return DisputePhase.AwaitValidityProof;
        return _dispute.hi - _dispute.lo == 1 ? DisputePhase.AwaitStepProof : DisputePhase.AwaitReveal;
    }

    function _open(uint256 _disputeId) internal view returns (Dispute storage dispute_) {
        dispute_ = _disputes[_disputeId];
        if (dispute_.phase == DisputePhase.None) revert UnknownDispute(_disputeId);
        if (dispute_.phase == DisputePhase.Resolved) {
            revert WrongPhase(_disputeId, DisputePhase.None, DisputePhase.Resolved);
        }
    }

    function _inPhase(uint256 _disputeId, DisputePhase _phase) internal view returns (Dispute storage dispute_) {
        dispute_ = _disputes[_disputeId];
        if (dispute_.phase == DisputePhase.None) revert UnknownDispute(_disputeId);
        if (dispute_.phase != _phase) revert WrongPhase(_disputeId, _phase, dispute_.phase);
    }

    function _batch(uint256 _batchIndex) internal view returns (Batch storage batch_) {
        if (_batchIndex >= batchCount) revert UnknownBatch(_batchIndex);
        return _batches[_batchIndex];
    }

    function _signedBy(ClaimFields calldata _claim, bytes calldata _signature) internal view returns (bool signed_) {
        bytes32 digest_ = _hashTypedDataV4(keccak256(abi.encode(CLAIM_TYPEHASH, _claim)));
        (address signer_, ECDSA.RecoverError error_,) = ECDSA.tryRecover(digest_, _signature);
        return error_ == ECDSA.RecoverError.NoError && signer_ == _claim.operator;
    }

    /// @dev Bond that can back a new dispute or batch: not locked, not on its way out.
    function _freeBond(address _account) internal view returns (uint256 free_) {
        Account storage account_ = _accounts[_account];
        return account_.bond - account_.locked - account_.pendingWithdrawal;
    }

    function _bound(string memory _name, uint256 _value, uint256 _lower, uint256 _upper) internal pure {
        if (_value < _lower || _value > _upper) revert ParameterOutOfBounds(_name, _value);
    }

    function _max(uint64 _a, uint64 _b) internal pure returns (uint64) {
        return _a > _b ? _a : _b;
    }
}
