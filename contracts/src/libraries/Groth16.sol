// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.24;

import { IGroth16Verifier } from "../interfaces/IGroth16Verifier.sol";

/// @notice A Groth16 proof in the calldata layout of snarkjs' verifier (`b` with each Fp2
///         coordinate pair in (imaginary, real) order, as `snarkjs zkey export soliditycalldata`).
struct Groth16Proof {
    uint256[2] a;
    uint256[2][2] b;
    uint256[2] c;
}

/// @notice Calls a generated Groth16 verifier and reverts unless it accepts.
library Groth16 {
    error VerifierNotDeployed(address verifier);
    error InvalidProof(address verifier, uint256 inputCommitment, uint256 outputCommitment);

    /// @notice Reverts unless `_proof` proves the circuit of `_verifier` maps the tensor committed
    ///         by `_inputCommitment` to the tensor committed by `_outputCommitment`.
    function check(
        address _verifier,
        Groth16Proof calldata _proof,
        uint256 _inputCommitment,
        uint256 _outputCommitment
    )
        internal
        view
    {
        if (_verifier.code.length == 0) revert VerifierNotDeployed(_verifier);
        // SAFETY: snarkjs' verifier answers false when the pairing precompile runs out of gas, so
        // eth_estimateGas finds a limit at which it "works" by failing. Turning false into a revert
        // means an underfunded call fails the whole transaction instead of being read as a verdict.
        bool ok_ = IGroth16Verifier(_verifier).verifyProof(
            _proof.a, _proof.b, _proof.c, [_inputCommitment, _outputCommitment]
        );
        if (!ok_) revert InvalidProof(_verifier, _inputCommitment, _outputCommitment);
    }
}
