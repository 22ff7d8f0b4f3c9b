// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.24;

import { Ownable, Ownable2Step } from "@openzeppelin/contracts/access/Ownable2Step.sol";
import { IModelRegistry } from "./interfaces/IModelRegistry.sol";
import { DataContract } from "./libraries/DataContract.sol";
import { Groth16, Groth16Proof } from "./libraries/Groth16.sol";

/// @title ModelRegistry
/// @notice Binds a modelId (keccak256 of the model's canonical bytes) to the Groth16 verifiers of
///         its circuits. The chain cannot check that a verifier's circuit is the model, so one
///         registrar (the owner, e.g. the network's multisig) registers; anyone can audit an entry
///         by rebuilding the circuit from the model file (docs/contracts.md). Entries never change:
///         a claim's meaning cannot be swapped under it. The one exception is append-only: a step
///         circuit registered without a verifier (built lazily, when a dispute needs it) gets its
///         verifier once, and never another.
/// @dev    A model settled by bisection has a list of distinct step circuits and a step -> circuit
///         table (one or two bytes a step, big-endian), kept as contract code (`DataContract`), so
///         registering L steps costs about 200 gas a table byte plus one storage word per distinct
///         circuit, not one word per step.
contract ModelRegistry is IModelRegistry, Ownable2Step {
    /// @notice Most steps a trace may have (2^16): bisection takes at most 16 rounds.
    uint256 public constant MAX_TRACE_LENGTH = 65_536;
    /// @notice Bytes of the step table kept in one data contract (2^14, under EIP-170's limit).
    uint256 public constant TABLE_CHUNK_BYTES = 16_384;

    struct Entry {
        address wholeVerifier;
        uint32 traceLength;
        /// @dev How many distinct step circuits (0: no step verifiers).
        uint32 circuitCount;
        /// @dev Bytes per step in the table: 1 or 2 (0 without step circuits).
        uint8 tableWidth;
    }

    struct StepCircuit {
        /// @dev Zero while the circuit's verifier is not set (registered lazily).
        address verifier;
        /// @dev When the verifier was set (a dispute's step-proof clock starts no earlier).
        uint64 setAt;
    }

    mapping(bytes32 modelId => Entry) internal _entries;
    mapping(bytes32 modelId => address[]) internal _tableChunks;
    mapping(bytes32 modelId => mapping(uint256 circuitIndex => StepCircuit)) internal _circuits;

    constructor(address _registrar) Ownable(_registrar) { }

    /// @notice Registers a model. Give its whole-inference verifier, or its step circuits, or both.
    ///         Step circuits: `_stepCircuitVerifiers` lists one verifier per *distinct* circuit
    ///         (zero: set later with `setStepVerifier`), and `_stepTable` names each step's circuit
    ///         by its index in that list, one byte per step (at most 256 circuits) or two
    ///         (big-endian). Disputes over the model's claims use the whole verifier when there is one.
    function registerModel(
        bytes32 _modelId,
        address _wholeVerifier,
        address[] calldata _stepCircuitVerifiers,
        bytes calldata _stepTable,
        uint32 _traceLength
    )
        external
        onlyOwner
    {
        if (_entries[_modelId].traceLength != 0) revert ModelAlreadyRegistered(_modelId);
        if (_traceLength == 0 || _traceLength > MAX_TRACE_LENGTH) {
            revert InvalidTraceLength(_traceLength, MAX_TRACE_LENGTH);
        }
        uint256 count_ = _stepCircuitVerifiers.length;
        if (count_ > _traceLength) revert StepCircuitCount(_traceLength, count_);
        uint256 width_ = count_ == 0 ? 0 : _stepTable.length / _traceLength;
        if (
            count_ == 0 ? _stepTable.length != 0 : (width_ != 1 && width_ != 2) || _stepTable.length % _traceLength != 0
        ) {
            revert StepTableLength(_traceLength, _stepTable.length);
        }
        if (_wholeVerifier == address(0) && count_ == 0) revert NoVerifier(_modelId);
        if (_wholeVerifier != address(0) && _wholeVerifier.code.length == 0) {
            revert NotAContract(_wholeVerifier);
        }
        // INVARIANT: both loops are bounded by MAX_TRACE_LENGTH (count_ <= _traceLength).
        for (uint256 i_ = 0; i_ < count_; ++i_) {
            address verifier_ = _stepCircuitVerifiers[i_];
            if (verifier_ == address(0)) continue; // lazy: set once, later
            if (verifier_.code.length == 0) revert NotAContract(verifier_);
            _circuits[_modelId][i_] = StepCircuit({ verifier: verifier_, setAt: uint64(block.timestamp) });
        }
        if (count_ != 0) {
            _checkTable(_stepTable, width_, count_);
            for (uint256 at_ = 0; at_ < _stepTable.length; at_ += TABLE_CHUNK_BYTES) {
                uint256 end_ = at_ + TABLE_CHUNK_BYTES < _stepTable.length ? at_ + TABLE_CHUNK_BYTES : _stepTable.length;
                _tableChunks[_modelId].push(DataContract.write(_stepTable[at_:end_]));
            }
        }
        _entries[_modelId] = Entry({
            wholeVerifier: _wholeVerifier,
            traceLength: _traceLength,
            circuitCount: uint32(count_),
            tableWidth: uint8(width_)
        });
        emit ModelRegistered(_modelId, _wholeVerifier, _traceLength, count_);
    }

    /// @notice Sets the verifier of a step circuit registered without one. Once: a set verifier
    ///         never changes (a claim's meaning cannot be swapped under it).
    function setStepVerifier(bytes32 _modelId, uint256 _circuitIndex, address _verifier) external onlyOwner {
        Entry storage entry_ = _entries[_modelId];
        if (entry_.traceLength == 0) revert ModelNotRegistered(_modelId);
        if (_circuitIndex >= entry_.circuitCount) {
            revert CircuitIndexOutOfRange(_modelId, _circuitIndex, entry_.circuitCount);
        }
        StepCircuit storage circuit_ = _circuits[_modelId][_circuitIndex];
        if (circuit_.verifier != address(0)) revert StepVerifierAlreadySet(_modelId, _circuitIndex, circuit_.verifier);
        if (_verifier.code.length == 0) revert NotAContract(_verifier);
        circuit_.verifier = _verifier;
        circuit_.setAt = uint64(block.timestamp);
        emit StepVerifierSet(_modelId, _circuitIndex, _verifier);
    }

    /// @inheritdoc IModelRegistry
    function model(bytes32 _modelId)
        external
        view
        returns (address wholeVerifier_, uint32 traceLength_, uint256 stepCircuitCount_)
    {
        Entry storage entry_ = _entries[_modelId];
        return (entry_.wholeVerifier, entry_.traceLength, entry_.circuitCount);
    }

    /// @inheritdoc IModelRegistry
    function isRegistered(bytes32 _modelId) external view returns (bool registered_) {
        return _entries[_modelId].traceLength != 0;
    }

    /// @inheritdoc IModelRegistry
    function stepCircuit(bytes32 _modelId, uint256 _step) public view returns (uint256 circuitIndex_) {
        Entry storage entry_ = _entries[_modelId];
        if (entry_.circuitCount == 0 || _step >= entry_.traceLength) revert NoStepVerifier(_modelId, _step);
        uint256 at_ = _step * entry_.tableWidth;
        return DataContract.readUint(
            _tableChunks[_modelId][at_ / TABLE_CHUNK_BYTES], at_ % TABLE_CHUNK_BYTES, entry_.tableWidth
        );
    }

    /// @inheritdoc IModelRegistry
    function circuitVerifier(
        bytes32 _modelId,
        uint256 _circuitIndex
    )
        external
        view
        returns (address verifier_, uint64 setAt_)
    {
        StepCircuit storage circuit_ = _circuits[_modelId][_circuitIndex];
        return (circuit_.verifier, circuit_.setAt);
    }

    /// @inheritdoc IModelRegistry
    function stepVerifier(bytes32 _modelId, uint256 _step) external view returns (address verifier_) {
        return _circuits[_modelId][stepCircuit(_modelId, _step)].verifier;
    }

    /// @inheritdoc IModelRegistry
    function verifyInference(
        bytes32 _modelId,
        uint256 _inputCommitment,
        uint256 _outputCommitment,
        Groth16Proof calldata _proof
    )
        external
        view
        returns (uint256 outputCommitment_)
    {
        Entry storage entry_ = _entries[_modelId];
        if (entry_.traceLength == 0) revert ModelNotRegistered(_modelId);
        if (entry_.wholeVerifier == address(0)) revert NoWholeVerifier(_modelId);
        Groth16.check(entry_.wholeVerifier, _proof, _inputCommitment, _outputCommitment);
        return _outputCommitment;
    }

    /// @inheritdoc IModelRegistry
    function verifyStep(
        bytes32 _modelId,
        uint256 _step,
        uint256 _before,
        uint256 _after,
        Groth16Proof calldata _proof
    )
        external
        view
    {
        uint256 circuit_ = stepCircuit(_modelId, _step);
        address verifier_ = _circuits[_modelId][circuit_].verifier;
        if (verifier_ == address(0)) revert StepVerifierMissing(_modelId, _step, circuit_);
        Groth16.check(verifier_, _proof, _before, _after);
    }

    /// @dev Reverts unless every `_width`-byte entry of `_table` names one of `_count` circuits.
    function _checkTable(bytes calldata _table, uint256 _width, uint256 _count) internal pure {
        uint256 steps_ = _table.length / _width;
        uint256 shift_ = 256 - 8 * _width;
        for (uint256 step_ = 0; step_ < steps_; ++step_) {
            uint256 index_;
            assembly ("memory-safe") {
                index_ := shr(shift_, calldataload(add(_table.offset, mul(step_, _width))))
            }
            if (index_ >= _count) revert StepCircuitOutOfRange(step_, index_, _count);
        }
    }
}
