// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.24;

/// @notice The verifier snarkjs generates for a verilay circuit (two public signals: the input and
///         output tensor commitments). It returns false, and does not revert, on a bad proof and
///         also when the pairing precompile runs out of gas: call it only through `Groth16`.
interface IGroth16Verifier {
    function verifyProof(
        uint256[2] calldata _pA,
        uint256[2][2] calldata _pB,
        uint256[2] calldata _pC,
        uint256[2] calldata _pubSignals
    ) external view returns (bool);
}
