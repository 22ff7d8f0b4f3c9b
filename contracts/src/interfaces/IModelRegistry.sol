// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.24;

import { Groth16Proof } from "../libraries/Groth16.sol";

/// @notice modelId -> the Groth16 verifiers of its circuits.
interface IModelRegistry {
    event ModelRegistered(
        bytes32 indexed modelId, address wholeVerifier, uint32 traceLength, uint256 stepVerifierCount
    );

    error ModelAlreadyRegistered(bytes32 modelId);
    error ModelNotRegistered(bytes32 modelId);
    error InvalidTraceLength(uint256 traceLength, uint256 maxTraceLength);
    error StepVerifierCount(uint256 expected, uint256 actual);
    error NoVerifier(bytes32 modelId);
    error NoWholeVerifier(bytes32 modelId);
    error NoStepVerifier(bytes32 modelId, uint256 step);
    error NotAContract(address account);

    /// @notice The whole-inference verifier (zero when the model is too big for one circuit), the
    ///         number of trace steps and how many step verifiers it has (0 or `traceLength_`).
    function model(bytes32 _modelId)
        external
        view
        returns (address wholeVerifier_, uint32 traceLength_, uint256 stepVerifierCount_);

    function isRegistered(bytes32 _modelId) external view returns (bool registered_);

    function stepVerifier(bytes32 _modelId, uint256 _step) external view returns (address verifier_);

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
    ///         `_before` to `_after`.
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
