// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

/// @title L2ToL1MessagePasser
/// @notice L2 predeploy at 0x4200000000000000000000000000000000000016 through which withdrawals
///         to L1 are initiated. Every withdrawal hash is appended to an append-only Merkle tree
///         (rs_merkle layout: keccak256(left || right), odd last node promoted) whose root,
///         `withdrawalsRoot`, is committed to in every L2 output root; the L1 Bridge finalizes
///         withdrawals with inclusion proofs against it. The withdrawn ETH is burned on L2.
/// @dev Placed in the L2 genesis as RUNTIME bytecode: no constructor, no immutables; every
///      state variable starts at zero.
///
///      Storage layout (normative, the rollup's state transition reads slot 0 directly):
///        slot 0: bytes32 withdrawalsRoot                  root over the first withdrawalCount hashes (0 when empty)
///        slot 1: uint256 withdrawalCount                  number of withdrawals = the next nonce
///        slot 2: mapping(uint256 => bytes32) peaks        root of the complete subtree of height h (binary-counter peaks)
///        slot 3: mapping(bytes32 => bool) sentMessages    withdrawal hash => initiated (`_sentMessages`, read via sentMessages())
contract L2ToL1MessagePasser {
    /// @notice Root of the withdrawal tree over all withdrawals so far (slot 0).
    bytes32 public withdrawalsRoot;
    /// @notice Number of withdrawals so far, also the nonce of the next one (slot 1).
    uint256 public withdrawalCount;
    /// @dev Peak (complete subtree root) at each height; only heights whose bit is set in
    ///      `withdrawalCount` are live, the others are stale and ignored (slot 2).
    mapping(uint256 => bytes32) internal peaks;
    /// @dev Withdrawal hashes initiated so far (slot 3); read through `sentMessages`.
    mapping(bytes32 => bool) internal _sentMessages;

    /// @notice Emitted for every withdrawal; `withdrawalHash` is
    ///         `keccak256(abi.encode(nonce, sender, target, value, gasLimit, data))`.
    event MessagePassed(
        uint256 indexed nonce,
        address indexed sender,
        address indexed target,
        uint256 value,
        uint256 gasLimit,
        bytes data,
        bytes32 withdrawalHash
    );

    /// @notice Plain ETH transfers withdraw the value to the sender's own address on L1:
    ///         `initiateWithdrawal(msg.sender, 100_000, "")`.
    receive() external payable {
        _initiateWithdrawal(msg.sender, 100_000, "");
    }

    /// @notice Initiates a withdrawal of `msg.value` wei that calls `target` on L1 with
    ///         `gasLimit` gas and `data` once finalized through the Bridge.
    function initiateWithdrawal(address target, uint256 gasLimit, bytes calldata data) external payable {
        _initiateWithdrawal(target, gasLimit, data);
    }

    /// @notice Whether a withdrawal with this hash was initiated here (storage slot 3).
    function sentMessages(bytes32 withdrawalHash) external view returns (bool) {
        return _sentMessages[withdrawalHash];
    }

    function _initiateWithdrawal(address target, uint256 gasLimit, bytes memory data) internal {
        uint256 nonce = withdrawalCount;
        bytes32 h = keccak256(abi.encode(nonce, msg.sender, target, msg.value, gasLimit, data));
        _sentMessages[h] = true;

        // Append h: merge it with the peaks of the trailing set bits of `nonce`, like
        // incrementing a binary counter. The result is the peak at height ctz(nonce + 1).
        bytes32 node = h;
        uint256 height = 0;
        uint256 n = nonce;
        while (n & 1 == 1) {
            node = _hashPair(peaks[height], node);
            n >>= 1;
            ++height;
        }
        peaks[height] = node;
        uint256 count = nonce + 1;

        // Root = fold of the live peaks from the lowest height upward:
        // acc = lowest; acc = H(peak, acc) for every higher set bit. With odd-node promotion
        // this is exactly rs_merkle's root over `count` leaves.
        bytes32 acc = node;
        uint256 rest = count >> (height + 1);
        uint256 hgt = height + 1;
        while (rest != 0) {
            if (rest & 1 == 1) {
                acc = _hashPair(peaks[hgt], acc);
            }
            rest >>= 1;
            ++hgt;
        }

        withdrawalsRoot = acc;
        withdrawalCount = count;
        emit MessagePassed(nonce, msg.sender, target, msg.value, gasLimit, data, h);

        // Burn the ETH (OP Stack Burn.eth): EIP-6780 still destroys the balance of a
        // contract that selfdestructs in the transaction that created it.
        if (msg.value > 0) {
            new Burner{value: msg.value}();
        }
    }

    function _hashPair(bytes32 left, bytes32 right) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            h := keccak256(0x00, 0x40)
        }
    }
}

/// @title Burner
/// @notice Destroys the ETH it is created with (selfdestruct to itself in its constructor).
contract Burner {
    /// @notice Burns `msg.value`.
    constructor() payable {
        selfdestruct(payable(address(this)));
    }
}
