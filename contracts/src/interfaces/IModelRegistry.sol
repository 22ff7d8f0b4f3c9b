// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.24;

import { Groth16Proof } from "../libraries/Groth16.sol";

/// @notice modelId -> the Groth16 verifiers of its circuits. A model settled by bisection has a
///         list of distinct step circuits (each with one verifier) and a table naming each trace
///         step's circuit, so steps that share a circuit share one verifier.
interface IModelRegistry {
    event ModelRegistered(
        bytes32 indexed modelId, address wholeVerifier, uint32 traceLength, uint256 stepCircuitCount
    );
    /// @notice A step circuit registered without a verifier (built lazily) got its verifier.
    event StepVerifierSet(bytes32 indexed modelId, uint256 indexed circuitIndex, address verifier);

    error ModelAlreadyRegistered(bytes32 modelId);
    error ModelNotRegistered(bytes32 modelId);
    error InvalidTraceLength(uint256 traceLength, uint256 maxTraceLength);
    error StepCircuitCount(uint256 traceLength, uint256 circuitCount);
    error StepTableLength(uint256 traceLength, uint256 tableBytes);
    error StepCircuitOutOfRange(uint256 step, uint256 circuitIndex, uint256 circuitCount);
    error CircuitIndexOutOfRange(bytes32 modelId, uint256 circuitIndex, uint256 circuitCount);
    error StepVerifierAlreadySet(bytes32 modelId, uint256 circuitIndex, address verifier);
    error NoVerifier(bytes32 modelId);
    error NoWholeVerifier(bytes32 modelId);
    error NoStepVerifier(bytes32 modelId, uint256 step);
    /// @notice The step's circuit is registered, its verifier is not set yet (`setStepVerifier`).
    error StepVerifierMissing(bytes32 modelId, uint256 step, uint256 circuitIndex);
    error NotAContract(address account);

    /// @notice The whole-inference verifier (zero when the model is too big for one circuit), the
    ///         number of trace steps and how many distinct step circuits it has (0 when it has no
    ///         step verifiers).
    function model(bytes32 _modelId)
        external
        view
        returns (address wholeVerifier_, uint32 traceLength_, uint256 stepCircuitCount_);

    function isRegistered(bytes32 _modelId) external view returns (bool registered_);

    /// @notice The verifier of step `_step`'s circuit; zero while that circuit's verifier is not set.
    function stepVerifier(bytes32 _modelId, uint256 _step) external view returns (address verifier_);

    /// @notice The index (into the model's distinct step circuits) of step `_step`'s circuit.
    function stepCircuit(bytes32 _modelId, uint256 _step) external view returns (uint256 circuitIndex_);

    /// @notice A step circuit's verifier (zero while not set) and when it was set (registration or
    ///         `setStepVerifier`; zero while not set).
    function circuitVerifier(
        bytes32 _modelId,
        uint256 _circuitIndex
    )
        external
        view
        returns (address verifier_, uint64 setAt_);

    /// @notice Reverts unless `_proof` shows model `_modelId` maps the input committed by
    ///         `_inputCommitment` to the output committed by `_outputCommitment`.
    /// @return outputCommitment_ the proven output commitment.
    function verifyInference(
        bytes32 _modelId,
        uint256 _inputCommitment,
        uint256 _outputCommitment,
        Groth16Proof calldata _proof
    )
        external
        view
        returns (uint256 outputCommitment_);

    /// @notice Reverts unless `_proof` shows step `_step` of model `_modelId` maps trace commitment
    ///         `_before` to `_after` (`StepVerifierMissing` while the step's verifier is not set).
    function verifyStep(
        bytes32 _modelId,
        uint256 _step,
        uint256 _before,
        uint256 _after,
        Groth16Proof calldata _proof
    )
        external
        view;
}
