// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.24;

/// @notice Immutable data stored as the code of a contract of its own ("SSTORE2"): writing costs
///         200 gas a byte (code deposit) instead of 20,000 a word, reading costs one EXTCODECOPY.
///         The code starts with STOP, so the data contract does nothing when called.
library DataContract {
    /// @notice Most bytes one data contract holds (EIP-170 allows 24,576 bytes of code, less the STOP).
    uint256 internal constant MAX_BYTES = 24_575;

    error DataTooLarge(uint256 length);
    error DataWriteFailed();

    /// @notice Deploys `_data` as the code of a new contract; returns its address.
    function write(bytes calldata _data) internal returns (address pointer_) {
        if (_data.length > MAX_BYTES) revert DataTooLarge(_data.length);
        // Init code: PUSH2 size, DUP1, PUSH1 12, PUSH1 0, CODECOPY, PUSH1 0, RETURN (12 bytes),
        // then the runtime: STOP and the data. It copies the runtime to memory and returns it.
        bytes memory init_ = abi.encodePacked(hex"61", uint16(_data.length + 1), hex"80600c6000396000f300", _data);
        assembly ("memory-safe") {
            pointer_ := create(0, add(init_, 0x20), mload(init_))
        }
        if (pointer_ == address(0)) revert DataWriteFailed();
    }

    /// @notice The `_width`-byte big-endian unsigned integer at byte `_offset` of the data in `_pointer`
    ///         (1 ≤ `_width` ≤ 32; bytes past the end read as zero).
    function readUint(address _pointer, uint256 _offset, uint256 _width) internal view returns (uint256 value_) {
        assembly ("memory-safe") {
            // Scratch space (0x00-0x3f) is free for a word's use.
            extcodecopy(_pointer, 0, add(_offset, 1), 32)
            value_ := shr(sub(256, mul(8, _width)), mload(0))
        }
    }
}
