// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.24;

import { VerilayClaims } from "../src/VerilayClaims.sol";

/// @notice Test-only attacker: bonds, withdraws, and from its receive hook tries to withdraw again.
contract ReentrantWithdrawer {
    VerilayClaims public immutable CLAIMS;
    uint256 public reentryAttempts;
    bool public reentrySucceeded;
    bool public refuseEther;

    constructor(VerilayClaims _claims) {
        CLAIMS = _claims;
    }

    function bondAndRequest(uint128 _amount) external payable {
        CLAIMS.deposit{ value: msg.value }();
        CLAIMS.requestWithdrawal(_amount);
    }

    function execute() external {
        CLAIMS.executeWithdrawal();
    }

    function withdraw() external {
        CLAIMS.withdraw();
    }

    function setRefuseEther(bool _refuse) external {
        refuseEther = _refuse;
    }

    receive() external payable {
        if (refuseEther) revert("no ether");
        if (reentryAttempts == 0) {
            reentryAttempts = 1;
            try CLAIMS.withdraw() {
                reentrySucceeded = true;
            } catch { }
        }
    }
}
