// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

/// @title L1Block
/// @notice L2 predeploy at 0x4200000000000000000000000000000000000015 (the OP Stack's address and
///         ABI, Ecotone version): the L1 origin of the current L2 block, so that L2 contracts can
///         read the L1 block number, timestamp, base fee, blob base fee and hash, and the
///         `GasPriceOracle` can price the L1 data fee exactly as the state transition charges it.
/// @dev Placed in the L2 genesis as RUNTIME bytecode (no constructor), its storage initialised
///      with the genesis L1 origin. The state transition function writes it at the start of every
///      L2 block with the L1-attributes deposit: a deposit transaction from `DEPOSITOR_ACCOUNT`
///      calling `setL1BlockValuesEcotone()` with OP's packed calldata (164 bytes):
///
///        bytes   0..4    selector 0x440a5e20
///        bytes   4..8    uint32  baseFeeScalar
///        bytes   8..12   uint32  blobBaseFeeScalar
///        bytes  12..20   uint64  sequenceNumber    L2 blocks since the first of this L1 origin
///        bytes  20..28   uint64  timestamp         of the L1 origin
///        bytes  28..36   uint64  number            of the L1 origin
///        bytes  36..68   uint256 basefee           of the L1 origin, wei per gas
///        bytes  68..100  uint256 blobBaseFee       of the L1 origin, wei per blob gas
///        bytes 100..132  bytes32 hash              of the L1 origin
///        bytes 132..164  bytes32 batcherHash       always zero on this rollup
///
///      Storage layout (normative, OP's; the state transition reads slot 3):
///        slot 0: uint64 number (bits 0..64), uint64 timestamp (bits 64..128)
///        slot 1: uint256 basefee
///        slot 2: bytes32 hash
///        slot 3: uint64 sequenceNumber (bits 0..64), uint32 blobBaseFeeScalar (bits 64..96),
///                uint32 baseFeeScalar (bits 96..128)
///        slot 4: bytes32 batcherHash
///        slot 5: uint256 l1FeeOverhead   (pre-Ecotone, always zero)
///        slot 6: uint256 l1FeeScalar     (pre-Ecotone, always zero)
///        slot 7: uint256 blobBaseFee
contract L1Block {
    /// @notice The special account the L1-attributes deposit is sent from.
    address public constant DEPOSITOR_ACCOUNT = 0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001;

    /// @notice Number of the L1 origin.
    uint64 public number;
    /// @notice Timestamp of the L1 origin, unix seconds.
    uint64 public timestamp;
    /// @notice Base fee of the L1 origin, wei per gas.
    uint256 public basefee;
    /// @notice Hash of the L1 origin.
    bytes32 public hash;
    /// @notice Number of L2 blocks before this one with the same L1 origin.
    uint64 public sequenceNumber;
    /// @notice Weight of the L1 blob base fee in the L1 data fee, in millionths.
    uint32 public blobBaseFeeScalar;
    /// @notice Weight of the L1 base fee in the L1 data fee, in millionths (per 16 gas).
    uint32 public baseFeeScalar;
    /// @notice OP's batcher commitment; zero here: the batcher is authorised on L1 by
    ///         `BatchInbox`, no L2 rule depends on it.
    bytes32 public batcherHash;
    /// @notice Pre-Ecotone fee parameter, unused (zero).
    uint256 public l1FeeOverhead;
    /// @notice Pre-Ecotone fee parameter, unused (zero).
    uint256 public l1FeeScalar;
    /// @notice Blob base fee of the L1 origin, wei per blob gas (EIP-4844).
    uint256 public blobBaseFee;

    /// @notice The caller is not `DEPOSITOR_ACCOUNT`.
    error NotDepositor();

    /// @notice Semantic version (OP's Ecotone L1Block interface).
    function version() external pure returns (string memory) {
        return "1.2.0";
    }

    /// @notice Sets the L1 origin's values from OP's packed Ecotone calldata (see the contract
    ///         docs); only `DEPOSITOR_ACCOUNT` may call it.
    function setL1BlockValuesEcotone() external {
        address depositor = DEPOSITOR_ACCOUNT;
        assembly {
            if xor(caller(), depositor) {
                mstore(0x00, 0x3cc50b45) // NotDepositor()
                revert(0x1c, 0x04)
            }
            // baseFeeScalar | blobBaseFeeScalar | sequenceNumber, into slot 3.
            sstore(sequenceNumber.slot, shr(128, calldataload(4)))
            // timestamp | number, into slot 0.
            sstore(number.slot, shr(128, calldataload(20)))
            sstore(basefee.slot, calldataload(36))
            sstore(blobBaseFee.slot, calldataload(68))
            sstore(hash.slot, calldataload(100))
            sstore(batcherHash.slot, calldataload(132))
        }
    }
}
