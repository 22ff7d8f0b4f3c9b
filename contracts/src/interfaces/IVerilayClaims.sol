// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.24;

import { Groth16Proof } from "../libraries/Groth16.sol";

/// @notice A claim as its operator signs it (EIP-712 type `Claim`, same field order). Its leaf is
///         keccak256(abi.encode(claim)) (docs/commitments.md).
struct ClaimFields {
    bytes32 modelId;
    bytes32 taskId;
    bytes32 inputCommitment;
    bytes32 outputCommitment;
    bytes32 traceRoot;
    address operator;
}

/// @notice Deploy-time parameters, each checked against bounds in the constructor.
struct ClaimsParams {
    uint64 challengeWindow;
    uint64 clock;
    uint64 withdrawalDelay;
    uint128 challengerBond;
    uint128 disputeStake;
    uint128 sequencerBond;
    uint16 winnerShareBps;
    address treasury;
    address registry;
}

/// @notice Where a claim stands: per (batch, leaf) for windows and disputes; per leaf for facts
///         that hold wherever it is posted (Validated by a proof; Slashed, with the time).
enum ClaimState {
    None,
    Disputed,
    Upheld,
    Slashed,
    Validated
}

/// @notice What a consuming contract reads (`claimStatus`).
enum ClaimStatus {
    NotInBatch,
    Challengeable,
    Disputed,
    Final,
    Slashed
}

/// @notice The step a dispute waits for; the side that owes it is on the clock.
enum DisputePhase {
    None,
    AwaitSignature,
    AwaitValidityProof,
    AwaitReveal,
    AwaitChoice,
    AwaitStepProof,
    Resolved
}

/// @notice How a dispute ended.
enum Resolution {
    None,
    ValidityProof,
    StepProof,
    Timeout
}

struct Batch {
    bytes32 root;
    address sequencer;
    uint32 count;
    uint64 windowEnd;
}

struct BatchSettlement {
    uint32 openDisputes;
    uint64 settleAfter;
    bool finalized;
}

/// @dev `pendingWithdrawal` is unbonding: still slashable through existing locks, never free
///      for new ones. `lastWindowEnd`: the latest window of the batches this account posted.
struct Account {
    uint128 bond;
    uint128 locked;
    uint128 pendingWithdrawal;
    uint64 withdrawableAt;
    uint64 lastWindowEnd;
}

/// @notice A claim as posted in one batch.
struct ClaimRecord {
    ClaimState state;
    uint64 reopenUntil;
    uint64 disputeId;
}

/// @notice Facts about a leaf wherever it is posted, each shown by a proof: valid, or false
///         (Slashed, and when). Disputes and their locks belong to postings (`ClaimRecord`).
struct LeafRecord {
    ClaimState state;
    uint64 at;
}

struct Dispute {
    bytes32 leaf;
    bytes32 modelId;
    bytes32 traceRoot;
    /// @dev Agreed commitment h_lo (h_0 = the claim's input commitment).
    bytes32 hLo;
    /// @dev Disputed commitment h_hi (h_L = the claim's output commitment).
    bytes32 hHi;
    /// @dev The defender's revealed h_mid while the challenger chooses.
    bytes32 hMid;
    address challenger;
    uint64 turnStartedAt;
    DisputePhase phase;
    bool bisection;
    address liable;
    uint32 lo;
    uint32 hi;
    uint32 batchIndex;
    address operator;
    uint64 defenderClock;
    uint64 challengerClock;
    uint128 stake;
    Resolution resolution;
    bool challengerWon;
}

interface IVerilayClaims {
    event BondDeposited(address indexed account, uint256 amount, uint256 bond);
    event WithdrawalRequested(address indexed account, uint256 amount, uint64 withdrawableAt);
    event WithdrawalExecuted(address indexed account, uint256 amount);
    /// @notice A dispute's stake was taken from the account's pending withdrawal, which is now lower.
    event WithdrawalReduced(address indexed account, uint256 pendingWithdrawal);
    event Withdrawn(address indexed account, uint256 amount);
    event BatchPosted(
        uint256 indexed batchIndex,
        bytes32 indexed root,
        address indexed sequencer,
        uint32 count,
        bytes32 dataHash,
        uint64 windowEnd
    );
    event BatchFinalized(uint256 indexed batchIndex);
    event DisputeOpened(
        uint256 indexed disputeId,
        bytes32 indexed leaf,
        uint256 indexed batchIndex,
        address challenger,
        address liable,
        bool bisection,
        uint256 stake
    );
    event SignatureProvided(uint256 indexed disputeId, address operator);
    event MidpointRevealed(uint256 indexed disputeId, uint32 step, bytes32 commitment);
    event HalfChosen(uint256 indexed disputeId, bool agree, uint32 lo, uint32 hi);
    event DisputeResolved(
        uint256 indexed disputeId, bytes32 indexed leaf, bool challengerWon, Resolution resolution
    );
    event ClaimValidated(bytes32 indexed leaf);
    event ClaimSlashed(bytes32 indexed leaf, address indexed liable, uint256 amount);

    error ParameterOutOfBounds(string name, uint256 value);
    error WrongBond(uint256 expected, uint256 actual);
    error InsufficientFreeBond(address account, uint256 required, uint256 free);
    error NothingToWithdraw(address account);
    error WithdrawalNotReady(address account, uint64 withdrawableAt);
    error TransferFailed(address account, uint256 amount);
    error EmptyBatch();
    error UnknownBatch(uint256 batchIndex);
    error ClaimNotInBatch(bytes32 leaf, uint256 batchIndex);
    error ChallengeWindowClosed(bytes32 leaf, uint64 deadline);
    error DisputeAlreadyOpen(bytes32 leaf, uint256 disputeId);
    error ClaimAlreadySlashed(bytes32 leaf);
    error ClaimAlreadyValidated(bytes32 leaf);
    error UnknownDispute(uint256 disputeId);
    error WrongPhase(uint256 disputeId, DisputePhase expected, DisputePhase actual);
    error NotChallenger(uint256 disputeId, address caller);
    error InvalidSignature(uint256 disputeId);
    error InvalidTraceProof(uint256 disputeId, uint32 step);
    error ClockExpired(uint256 disputeId, bool challengerSide);
    error ClockNotExpired(uint256 disputeId, uint64 remaining);
    /// @notice The disputed step's circuit has no verifier yet: the registrar must set it first.
    error StepVerifierNotSet(uint256 disputeId, uint32 step);
    error NotValidityDispute(uint256 disputeId);
    error BatchNotSettled(uint256 batchIndex);
    error BatchAlreadyFinalized(uint256 batchIndex);

    function deposit() external payable;
    function requestWithdrawal(uint128 _amount) external;
    function executeWithdrawal() external;
    function withdraw() external;

    function postBatch(bytes32 _root, uint32 _count, bytes32 _dataHash) external returns (uint256 batchIndex_);
    function finalizeBatch(uint256 _batchIndex) external;

    function openDispute(
        uint256 _batchIndex,
        ClaimFields calldata _claim,
        bytes32[] calldata _inclusionProof,
        bytes calldata _signature
    )
        external
        payable
        returns (uint256 disputeId_);
    function provideSignature(uint256 _disputeId, ClaimFields calldata _claim, bytes calldata _signature) external;
    function submitValidityProof(uint256 _disputeId, uint256 _outputCommitment, Groth16Proof calldata _proof)
        external;
    function revealMidpoint(uint256 _disputeId, bytes32 _commitment, bytes32[] calldata _traceProof) external;
    function chooseHalf(uint256 _disputeId, bool _agree) external;
    function submitStepProof(uint256 _disputeId, uint256 _after, Groth16Proof calldata _proof) external;
    function timeout(uint256 _disputeId) external;
    function proveClaim(ClaimFields calldata _claim, Groth16Proof calldata _proof) external;

    function isFinal(uint256 _batchIndex, bytes32 _leaf, bytes32[] calldata _proof) external view returns (bool final_);
    function claimStatus(uint256 _batchIndex, bytes32 _leaf, bytes32[] calldata _proof)
        external
        view
        returns (ClaimStatus status_);
    function isBatchFinal(uint256 _batchIndex) external view returns (bool final_);
    function postingDeadline(uint256 _batchIndex, bytes32 _leaf) external view returns (uint64 deadline_);
}
