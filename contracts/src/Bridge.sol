// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

import {OutputOracle} from "./OutputOracle.sol";

/// @title Bridge
/// @notice L1 end of the rollup bridge (the OP Stack's OptimismPortal, simplified).
///
///         Deposits (L1 -> L2): `depositTransaction` locks `msg.value` here and emits
///         `TransactionDeposited`; the sequencer turns every event into an L2 deposit
///         transaction that mints `mint` wei to `from` and then calls `to` with `value`,
///         `gasLimit` and `data`. The deposits are chained in a running hash
///         (`depositHashes`) so L2 can commit to exactly which deposits it included, and the
///         L1 block of every deposit is recorded (`depositBlock`) so a dispute game can check
///         that a block was given exactly the deposits of its L1 origin.
///
///         Withdrawals (L2 -> L1): the L2ToL1MessagePasser predeploy appends every withdrawal
///         hash to a Merkle tree whose root is part of the L2 output root. Once an output is
///         final in the OutputOracle, anyone can `finalizeWithdrawal` with a Merkle proof of
///         the withdrawal against that output's withdrawals root; the withdrawal is then
///         marked finalized and `target` is called with `value` wei (paid out of the deposits
///         locked here), `gasLimit` gas and `data`.
contract Bridge {
    /// @notice A withdrawal initiated on L2 through the L2ToL1MessagePasser.
    struct Withdrawal {
        // The message passer's withdrawal counter at initiation.
        uint256 nonce;
        // The L2 account that initiated it.
        address sender;
        // The L1 account to call.
        address target;
        // Wei to send to `target`.
        uint256 value;
        // Gas to give the call to `target`.
        uint256 gasLimit;
        // Calldata for `target`.
        bytes data;
    }

    /// @notice The preimage of an output root (version 0).
    struct OutputRootProof {
        // The L2 state root.
        bytes32 stateRoot;
        // The L2ToL1MessagePasser's `withdrawalsRoot` (storage slot 0) at that block.
        bytes32 withdrawalsRoot;
        // The L2 block hash.
        bytes32 blockHash;
    }

    /// @notice Emitted for every deposit; `depositIndex` is 0-based.
    event TransactionDeposited(
        address indexed from,
        address indexed to,
        uint256 indexed depositIndex,
        uint256 mint,
        uint256 value,
        uint64 gasLimit,
        bytes data
    );
    /// @notice Emitted when a withdrawal is finalized; `success` is the outcome of the call.
    event WithdrawalFinalized(bytes32 indexed withdrawalHash, bool success);

    /// @notice The deposit gas limit is below `MIN_GAS_LIMIT`.
    error GasLimitTooLow();
    /// @notice The deposit gas limit is above `MAX_GAS_LIMIT`.
    error GasLimitTooHigh();
    /// @notice The deposit data is longer than `MAX_DATA_SIZE` bytes.
    error DataTooLarge();
    /// @notice The output at that index is missing or still in its challenge window.
    error OutputNotFinal();
    /// @notice The output root proof does not hash to the output root.
    error InvalidOutputRootProof();
    /// @notice The withdrawal was already finalized.
    error AlreadyFinalized();
    /// @notice The Merkle proof does not prove the withdrawal against the withdrawals root.
    error InvalidMerkleProof();
    /// @notice Withdrawals may not call the Bridge itself.
    error InvalidTarget();
    /// @notice Not enough gas left to give the withdrawal call its full `gasLimit`.
    error InsufficientGas();
    /// @notice ETH can only enter through `depositETH` / `depositTransaction`.
    error DirectTransferNotAllowed();

    /// @notice Smallest allowed deposit gas limit.
    uint64 public constant MIN_GAS_LIMIT = 21_000;
    /// @notice Largest allowed deposit gas limit.
    uint64 public constant MAX_GAS_LIMIT = 10_000_000;
    /// @notice Largest allowed deposit data length in bytes.
    uint256 public constant MAX_DATA_SIZE = 120_000;
    /// @notice Gas limit of `depositETH` deposits.
    uint64 public constant DEPOSIT_ETH_GAS_LIMIT = 100_000;

    /// @dev OP Stack AddressAliasHelper offset.
    uint160 internal constant ALIAS_OFFSET = uint160(0x1111000000000000000000000000000000001111);
    /// @dev Gas kept back for the bookkeeping after the withdrawal call.
    uint256 internal constant RESERVED_GAS = 40_000;

    OutputOracle internal immutable _outputOracle;

    bytes32[] internal _depositHashes;
    mapping(bytes32 => bool) internal _finalized;
    /// @dev L1 block number of each deposit, parallel to `_depositHashes`.
    uint64[] internal _depositBlocks;

    /// @param outputOracle The OutputOracle withdrawals are proven against.
    constructor(address outputOracle) {
        _outputOracle = OutputOracle(outputOracle);
    }

    /// @notice The OutputOracle withdrawals are proven against.
    function outputOracle() external view returns (address) {
        return address(_outputOracle);
    }

    /// @notice Rejects plain ETH transfers.
    receive() external payable {
        revert DirectTransferNotAllowed();
    }

    /// @notice Deposits `msg.value` to `to` on L2: `depositTransaction(to, msg.value, 100_000, "")`.
    function depositETH(address to) external payable {
        _deposit(to, msg.value, DEPOSIT_ETH_GAS_LIMIT, "");
    }

    /// @notice Deposits a transaction to L2 that mints `msg.value` to the (aliased) sender
    ///         and calls `to` with `value`, `gasLimit` and `data`.
    function depositTransaction(address to, uint256 value, uint64 gasLimit, bytes calldata data) external payable {
        _deposit(to, value, gasLimit, data);
    }

    /// @notice Number of deposits so far (the index of the next one).
    function depositCount() external view returns (uint256) {
        return _depositHashes.length;
    }

    /// @notice The running deposit hash after deposit `index`:
    ///         `keccak256(abi.encodePacked(index == 0 ? bytes32(0) : depositHashes(index - 1), d))`
    ///         with `d = keccak256(abi.encode(from, to, index, mint, value, gasLimit, data))`.
    ///         Reverts with a panic if `index >= depositCount()`.
    function depositHashes(uint256 index) external view returns (bytes32) {
        return _depositHashes[index];
    }

    /// @notice The L1 block number deposit `index` was made in (non-decreasing in `index`).
    ///         Reverts with a panic if `index >= depositCount()`.
    function depositBlock(uint256 index) external view returns (uint64) {
        return _depositBlocks[index];
    }

    /// @notice Whether the withdrawal with this hash was finalized.
    function finalized(bytes32 withdrawalHash) external view returns (bool) {
        return _finalized[withdrawalHash];
    }

    /// @notice Finalizes a withdrawal proven against the final output at `outputIndex`.
    /// @param w The withdrawal, exactly as emitted by the L2ToL1MessagePasser.
    /// @param outputIndex Index of a final output in the OutputOracle.
    /// @param rootProof The preimage of that output root.
    /// @param leafIndex Position of the withdrawal in the withdrawal tree (its nonce).
    /// @param leafCount Number of leaves of the tree (`withdrawalCount` at that block).
    /// @param proof Sibling hashes, bottom-up (rs_merkle `proof_hashes()`).
    function finalizeWithdrawal(
        Withdrawal calldata w,
        uint256 outputIndex,
        OutputRootProof calldata rootProof,
        uint256 leafIndex,
        uint256 leafCount,
        bytes32[] calldata proof
    ) external {
        if (w.target == address(this)) revert InvalidTarget();
        if (!_outputOracle.isFinal(outputIndex)) revert OutputNotFinal();
        bytes32 outputRoot = _outputOracle.getOutput(outputIndex).outputRoot;
        bytes32 proofRoot =
            keccak256(abi.encode(bytes32(0), rootProof.stateRoot, rootProof.withdrawalsRoot, rootProof.blockHash));
        if (proofRoot != outputRoot) revert InvalidOutputRootProof();

        bytes32 h = hashWithdrawal(w);
        if (_finalized[h]) revert AlreadyFinalized();
        if (!verifyMerkleProof(rootProof.withdrawalsRoot, h, leafIndex, leafCount, proof)) {
            revert InvalidMerkleProof();
        }

        // Effects before the interaction: a reentrant finalize of `h` hits AlreadyFinalized.
        _finalized[h] = true;

        bool success = _callWithMinGas(w.target, w.gasLimit, w.value, w.data);
        emit WithdrawalFinalized(h, success);
    }

    /// @notice The withdrawal hash: `keccak256(abi.encode(nonce, sender, target, value, gasLimit, data))`.
    function hashWithdrawal(Withdrawal calldata w) public pure returns (bytes32) {
        return keccak256(abi.encode(w.nonce, w.sender, w.target, w.value, w.gasLimit, w.data));
    }

    /// @notice Verifies an rs_merkle (keccak256, odd last node promoted) inclusion proof of
    ///         `leaf` at `leafIndex` in a tree of `leafCount` leaves with root `root`.
    function verifyMerkleProof(
        bytes32 root,
        bytes32 leaf,
        uint256 leafIndex,
        uint256 leafCount,
        bytes32[] calldata proof
    ) public pure returns (bool) {
        if (leafIndex >= leafCount) return false;
        bytes32 computed = leaf;
        uint256 idx = leafIndex;
        uint256 n = leafCount;
        uint256 p = 0;
        while (n > 1) {
            if (idx & 1 == 1) {
                if (p >= proof.length) return false;
                computed = _hashPair(proof[p], computed);
                ++p;
            } else if (idx + 1 < n) {
                if (p >= proof.length) return false;
                computed = _hashPair(computed, proof[p]);
                ++p;
            }
            // else: odd last node, promoted unchanged.
            idx >>= 1;
            n = (n >> 1) + (n & 1); // ceil(n / 2) without overflow
        }
        return p == proof.length && computed == root;
    }

    function _deposit(address to, uint256 value, uint64 gasLimit, bytes memory data) internal {
        if (gasLimit < MIN_GAS_LIMIT) revert GasLimitTooLow();
        if (gasLimit > MAX_GAS_LIMIT) revert GasLimitTooHigh();
        if (data.length > MAX_DATA_SIZE) revert DataTooLarge();

        address from = msg.sender;
        if (msg.sender != tx.origin) {
            unchecked {
                from = address(uint160(msg.sender) + ALIAS_OFFSET);
            }
        }

        uint256 depositIndex = _depositHashes.length;
        bytes32 prev = depositIndex == 0 ? bytes32(0) : _depositHashes[depositIndex - 1];
        bytes32 d = keccak256(abi.encode(from, to, depositIndex, msg.value, value, gasLimit, data));
        _depositHashes.push(keccak256(abi.encodePacked(prev, d)));
        _depositBlocks.push(uint64(block.number));

        emit TransactionDeposited(from, to, depositIndex, msg.value, value, gasLimit, data);
    }

    /// @dev Calls `target` with exactly `gasLimit` gas (reverting InsufficientGas if the caller
    ///      did not supply enough for that, so a relayer cannot make a withdrawal fail on
    ///      purpose), without copying return data.
    function _callWithMinGas(address target, uint256 gasLimit, uint256 value, bytes memory data)
        internal
        returns (bool success)
    {
        // 63/64 rule (EIP-150): the callee gets at most 63/64 of what is left; also keep
        // RESERVED_GAS for the rest of this transaction.
        uint256 available = gasleft();
        if (gasLimit >= available || available * 63 < gasLimit * 64 + RESERVED_GAS * 63) {
            revert InsufficientGas();
        }
        assembly ("memory-safe") {
            success := call(gasLimit, target, value, add(data, 0x20), mload(data), 0, 0)
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
