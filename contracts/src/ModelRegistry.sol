// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.24;

import { Ownable, Ownable2Step } from "@openzeppelin/contracts/access/Ownable2Step.sol";
import { IModelRegistry } from "./interfaces/IModelRegistry.sol";
import { Groth16, Groth16Proof } from "./libraries/Groth16.sol";

/// @title ModelRegistry
/// @notice Binds a modelId (keccak256 of the model's canonical bytes) to the Groth16 verifiers of
///         its circuits. The chain cannot check that a verifier's circuit is the model, so one
///         registrar (the owner, e.g. the network's multisig) registers; anyone can audit an entry
///         by rebuilding the circuit from the model file (docs/contracts.md). Entries never change:
///         a claim's meaning cannot be swapped under it.
contract ModelRegistry is IModelRegistry, Ownable2Step {
    /// @notice Most steps a trace may have; bounds registration and bisection depth (log2 = 8).
    uint256 public constant MAX_TRACE_LENGTH = 256;

    struct Entry {
        address wholeVerifier;
        uint32 traceLength;
    }

    mapping(bytes32 modelId => Entry) internal _entries;
    mapping(bytes32 modelId => address[]) internal _stepVerifiersOf;

    constructor(address _registrar) Ownable(_registrar) { }

    /// @notice Registers a model. Give its whole-inference verifier, or one verifier per trace step,
    ///         or both. Disputes over its claims use the whole verifier when there is one.
    function registerModel(
        bytes32 _modelId,
        address _wholeVerifier,
        address[] calldata _stepVerifiers,
        uint32 _traceLength
    )
        external
        onlyOwner
    {
        if (_entries[_modelId].traceLength != 0) revert ModelAlreadyRegistered(_modelId);
        if (_traceLength == 0 || _traceLength > MAX_TRACE_LENGTH) {
            revert InvalidTraceLength(_traceLength, MAX_TRACE_LENGTH);
        }
        if (_stepVerifiers.length != 0 && _stepVerifiers.length != _traceLength) {
            revert StepVerifierCount(_traceLength, _stepVerifiers.length);
        }
        if (_wholeVerifier == address(0) && _stepVerifiers.length == 0) revert NoVerifier(_modelId);
        if (_wholeVerifier != address(0) && _wholeVerifier.code.length == 0) {
            revert NotAContract(_wholeVerifier);
        }
        // INVARIANT: the loop is bounded by MAX_TRACE_LENGTH.
        for (uint256 i_ = 0; i_ < _stepVerifiers.length; ++i_) {
            if (_stepVerifiers[i_].code.length == 0) revert NotAContract(_stepVerifiers[i_]);
        }
        _entries[_modelId] = Entry({ wholeVerifier: _wholeVerifier, traceLength: _traceLength });
        _stepVerifiersOf[_modelId] = _stepVerifiers;
        emit ModelRegistered(_modelId, _wholeVerifier, _traceLength, _stepVerifiers.length);
    }

    /// @inheritdoc IModelRegistry
    function model(bytes32 _modelId)
        external
        view
        returns (address wholeVerifier_, uint32 traceLength_, uint256 stepVerifierCount_)
    {
        Entry storage entry_ = _entries[_modelId];
        return (entry_.wholeVerifier, entry_.traceLength, _stepVerifiersOf[_modelId].length);
    }

    /// @inheritdoc IModelRegistry
    function isRegistered(bytes32 _modelId) external view returns (bool registered_) {
        return _entries[_modelId].traceLength != 0;
    }

    /// @inheritdoc IModelRegistry
    function stepVerifier(bytes32 _modelId, uint256 _step) public view returns (address verifier_) {
        address[] storage verifiers_ = _stepVerifiersOf[_modelId];
        if (_step >= verifiers_.length) revert NoStepVerifier(_modelId, _step);
        return verifiers_[_step];
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
        Groth16.check(stepVerifier(_modelId, _step), _proof, _before, _after);
    }
}
