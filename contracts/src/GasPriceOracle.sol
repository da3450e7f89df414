// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {L1Block} from "./L1Block.sol";

/// @title GasPriceOracle
/// @notice L2 predeploy at 0x420000000000000000000000000000000000000F (the OP Stack's address and
///         ABI, Ecotone version): the L1 data fee of a transaction, computed from the `L1Block`
///         predeploy's values exactly as the rollup's state transition charges it:
///
///           l1Gas = 16 * nonzeroBytes(tx) + 4 * zeroBytes(tx)                 (EIP-2028)
///           fee   = min(l1Gas * (16 * l1BaseFee * baseFeeScalar + blobBaseFee * blobBaseFeeScalar)
///                       / (16 * 10**6), 2**128 - 1)                            (wei)
///
///         The state transition charges it on the signed transaction's EIP-2718 bytes. So:
///         - `getL1Fee(signedTx)` / `getL1GasUsed(signedTx)` are exactly the receipt's `l1Fee` /
///           `l1GasUsed` of that transaction in a block with the same L1 origin;
///         - for any other `data` (an unsigned transaction, as viem's and ethers' op-stack
///           `estimateL1Fee` pass, or arbitrary bytes) `l1Gas` gets OP's 68 * 16 gas of signature
///           padding, as OP's Ecotone oracle does. A signature adds 67 bytes to a typed
///           transaction (yParity 1, r 33, s 33), 1,072 gas when r and s have no zero byte, so
///           the estimate of an unsigned EIP-1559 transaction is never below what the same
///           transaction signed is charged, and above it by the fee of 1,088 minus the
///           signature's gas: 16 gas typically (0 when the signature lengthens the RLP list
///           header, 12 more per zero byte of r or s, 16 more for a leading one); for a legacy
///           EIP-155 transaction, whose unsigned form already holds `chainId, 0, 0`, 64 gas
///           typically.
///         `data` is a signed transaction when it is exactly one well-formed RLP list (after a
///         type byte 0x01, 0x02, 0x03 or 0x04; none for legacy) with the signed field count of
///         its type (legacy 9, EIP-2930 11, EIP-1559 12, EIP-4844 14, EIP-7702 13) and non-empty
///         last two fields (`r`, `s`).
/// @dev Stateless runtime bytecode in the L2 genesis (no constructor, no storage).
contract GasPriceOracle {
    /// @notice Decimals of the scalars (they are in millionths).
    uint256 public constant DECIMALS = 6;
    /// @notice The L1Block predeploy.
    address public constant L1_BLOCK_ATTRIBUTES = 0x4200000000000000000000000000000000000015;
    /// @notice The Ecotone fee formula is active (OP's version flag).
    bool public constant isEcotone = true;
    /// @notice Fjord's FastLZ-based formula is not used (OP's version flag).
    bool public constant isFjord = false;
    /// @notice Isthmus' operator fee is not used (OP's version flag).
    bool public constant isIsthmus = false;

    /// @notice Semantic version (OP's Ecotone GasPriceOracle interface).
    function version() external pure returns (string memory) {
        return "1.3.0";
    }

    /// @notice The L1 data fee of `_data`, in wei (see the contract docs).
    function getL1Fee(bytes calldata _data) external view returns (uint256) {
        uint256 scaled = uint256(baseFeeScalar()) * 16 * l1BaseFee() + uint256(blobBaseFeeScalar()) * blobBaseFee();
        uint256 fee = getL1GasUsed(_data) * scaled / (16 * 10 ** DECIMALS);
        return fee > type(uint128).max ? type(uint128).max : fee;
    }

    /// @notice The L1 gas of `_data` the fee is computed on (see the contract docs).
    function getL1GasUsed(bytes calldata _data) public pure returns (uint256) {
        uint256 total = _calldataGas(_data);
        return _isSigned(_data) ? total : total + 68 * 16;
    }

    /// @notice The operator fee (OP Isthmus); this rollup charges none.
    function getOperatorFee(uint256 _gasUsed) external pure returns (uint256) {
        _gasUsed;
        return 0;
    }

    /// @notice The current L2 base fee, wei per gas.
    function gasPrice() external view returns (uint256) {
        return block.basefee;
    }

    /// @notice The current L2 base fee, wei per gas.
    function baseFee() external view returns (uint256) {
        return block.basefee;
    }

    /// @notice The L1 origin's base fee, wei per gas.
    function l1BaseFee() public view returns (uint256) {
        return L1Block(L1_BLOCK_ATTRIBUTES).basefee();
    }

    /// @notice The L1 origin's blob base fee, wei per blob gas.
    function blobBaseFee() public view returns (uint256) {
        return L1Block(L1_BLOCK_ATTRIBUTES).blobBaseFee();
    }

    /// @notice Weight of the L1 base fee, in millionths.
    function baseFeeScalar() public view returns (uint32) {
        return L1Block(L1_BLOCK_ATTRIBUTES).baseFeeScalar();
    }

    /// @notice Weight of the L1 blob base fee, in millionths.
    function blobBaseFeeScalar() public view returns (uint32) {
        return L1Block(L1_BLOCK_ATTRIBUTES).blobBaseFeeScalar();
    }

    /// @notice Decimals of the scalars.
    function decimals() external pure returns (uint256) {
        return DECIMALS;
    }

    /// @dev EIP-2028 calldata gas: 16 per nonzero byte, 4 per zero byte.
    function _calldataGas(bytes calldata _data) internal pure returns (uint256 total) {
        assembly {
            let end := add(_data.offset, _data.length)
            for { let i := _data.offset } lt(i, end) { i := add(i, 1) } {
                total := add(total, add(4, mul(12, iszero(iszero(byte(0, calldataload(i)))))))
            }
        }
    }

    /// @dev Whether `_data` is a signed transaction (see the contract docs).
    function _isSigned(bytes calldata _data) internal pure returns (bool) {
        if (_data.length == 0) return false;
        uint256 kind = uint8(_data[0]);
        uint256 fields;
        uint256 pos;
        if (kind >= 0xc0) {
            fields = 9;
        } else if (kind == 1) {
            fields = 11;
            pos = 1;
        } else if (kind == 2) {
            fields = 12;
            pos = 1;
        } else if (kind == 3) {
            fields = 14;
            pos = 1;
        } else if (kind == 4) {
            fields = 13;
            pos = 1;
        } else {
            return false;
        }
        (bool ok, bool list, uint256 start, uint256 len) = _rlpItem(_data, pos);
        if (!ok || !list || start + len != _data.length) return false;
        uint256 end = start + len;
        uint256 count;
        uint256 lastLen;
        uint256 prevLen;
        while (start < end) {
            uint256 itemLen;
            (ok, list, pos, itemLen) = _rlpItem(_data, start);
            if (!ok || pos + itemLen > end) return false;
            prevLen = lastLen;
            lastLen = itemLen;
            start = pos + itemLen;
            count++;
        }
        return count == fields && prevLen > 0 && lastLen > 0;
    }

    /// @dev The RLP item at `_pos`: whether its header is in bounds, whether it is a list, and
    ///      its payload's offset and length (the payload itself may be out of bounds).
    function _rlpItem(bytes calldata _data, uint256 _pos)
        internal
        pure
        returns (bool ok, bool list, uint256 start, uint256 len)
    {
        if (_pos >= _data.length) return (false, false, 0, 0);
        uint256 b = uint8(_data[_pos]);
        if (b < 0x80) return (true, false, _pos, 1);
        if (b < 0xb8) return (true, false, _pos + 1, b - 0x80);
        if (b >= 0xc0 && b < 0xf8) return (true, true, _pos + 1, b - 0xc0);
        list = b >= 0xf8;
        uint256 lenOfLen = list ? b - 0xf7 : b - 0xb7;
        if (_pos + 1 + lenOfLen > _data.length) return (false, false, 0, 0);
        for (uint256 i = 0; i < lenOfLen; i++) {
            len = (len << 8) | uint8(_data[_pos + 1 + i]);
        }
        return (true, list, _pos + 1 + lenOfLen, len);
    }
}
