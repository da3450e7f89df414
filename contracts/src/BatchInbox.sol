// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

/// @title BatchInbox
/// @notice L1 inbox of the rollup's transaction batches. The batcher posts every L2 block
///         range exactly once, in order and without gaps, starting at L2 block 1 (block 0 is
///         the L2 genesis and is never batched). The batch data itself is only carried in the
///         transaction's calldata; the contract stores a commitment (`keccak256(data)`) and the
///         L1 block the batch landed in, which is what derivation and the OutputOracle rely on.
///         Blob batches (`appendBlobBatch`) carry the data in the EIP-4844 blobs of the
///         transaction instead: the contract commits to the blobs' versioned hashes with
///         `keccak256(abi.encodePacked(blobhash(0), ..., blobhash(n - 1)))`, marking the batch
///         `isBlob = true` (the hashes themselves are in the transaction, where derivation reads
///         them; storing them again would cost 20,000 gas per blob). Both kinds share one contiguous sequence of L2 block ranges.
contract BatchInbox {
    /// @notice One batch of L2 blocks `l2Start..=l2End`.
    struct Batch {
        // `keccak256(data)` for calldata batches; `keccak256(abi.encodePacked(versionedHashes))`
        // for blob batches.
        bytes32 commitment;
        // L1 block number the batch was appended in.
        uint64 l1Block;
        // First L2 block number of the range (inclusive).
        uint64 l2Start;
        // Last L2 block number of the range (inclusive).
        uint64 l2End;
        // Whether the data lives in blobs (false for `appendBatch`, true for `appendBlobBatch`).
        bool isBlob;
    }

    /// @notice Emitted for every appended batch.
    event BatchAppended(uint256 indexed batchIndex, uint64 l2Start, uint64 l2End, bytes32 commitment, bool isBlob);

    /// @notice The caller is not the batcher.
    error Unauthorized();
    /// @notice `l2Start` is not the next unbatched L2 block.
    error NonContiguousRange(uint64 expected, uint64 got);
    /// @notice `l2End < l2Start`.
    error InvalidRange();
    /// @notice The L2 block is not covered by any batch posted so far.
    error BlockNotBatched();
    /// @notice `blobCount` is not between 1 and `MAX_BLOBS_PER_BATCH`.
    error BadBlobCount(uint256 blobCount);
    /// @notice The transaction carries no blob at `index` (`index < blobCount`).
    error MissingBlob(uint256 index);
    /// @notice The transaction carries more blobs than `blobCount`.
    error ExtraBlob();

    /// @dev Most blobs a blob batch may span (the Cancun per-block maximum).
    uint256 internal constant MAX_BLOBS_PER_BATCH = 6;

    address internal immutable _batcher;

    /// @notice The first L2 block number not yet covered by a batch.
    uint64 public nextL2Block = 1;

    Batch[] internal _batches;

    /// @param batcher The account allowed to append batches.
    constructor(address batcher) {
        _batcher = batcher;
    }

    /// @notice Appends a calldata batch covering L2 blocks `l2Start..=l2End`.
    /// @param l2Start First L2 block of the batch; must equal `nextL2Block()`.
    /// @param l2End Last L2 block of the batch; must be `>= l2Start`.
    /// @param data The encoded batch; only its hash is stored.
    function appendBatch(uint64 l2Start, uint64 l2End, bytes calldata data) external {
        if (msg.sender != _batcher) revert Unauthorized();
        uint64 expected = nextL2Block;
        if (l2Start != expected) revert NonContiguousRange(expected, l2Start);
        if (l2End < l2Start) revert InvalidRange();

        bytes32 commitment = keccak256(data);
        uint256 index = _batches.length;
        _batches.push(
            Batch({commitment: commitment, l1Block: uint64(block.number), l2Start: l2Start, l2End: l2End, isBlob: false})
        );
        nextL2Block = l2End + 1;
        emit BatchAppended(index, l2Start, l2End, commitment, false);
    }

    /// @notice Appends a blob batch covering L2 blocks `l2Start..=l2End` whose data is in the
    ///         EIP-4844 blobs of this transaction. All of the transaction's blobs belong to the
    ///         batch, in order.
    /// @param l2Start First L2 block of the batch; must equal `nextL2Block()`.
    /// @param l2End Last L2 block of the batch; must be `>= l2Start`.
    /// @param blobCount Number of blobs the transaction carries, 1 to 6; `blobhash(i)` must be
    ///        nonzero for every `i < blobCount` and zero for `i == blobCount`.
    function appendBlobBatch(uint64 l2Start, uint64 l2End, uint256 blobCount) external {
        if (msg.sender != _batcher) revert Unauthorized();
        uint64 expected = nextL2Block;
        if (l2Start != expected) revert NonContiguousRange(expected, l2Start);
        if (l2End < l2Start) revert InvalidRange();
        if (blobCount == 0 || blobCount > MAX_BLOBS_PER_BATCH) revert BadBlobCount(blobCount);

        bytes32[] memory hashes = new bytes32[](blobCount);
        for (uint256 i = 0; i < blobCount; ++i) {
            bytes32 h = blobhash(i);
            if (h == bytes32(0)) revert MissingBlob(i);
            hashes[i] = h;
        }
        if (blobhash(blobCount) != bytes32(0)) revert ExtraBlob();

        bytes32 commitment = keccak256(abi.encodePacked(hashes));
        uint256 index = _batches.length;
        _batches.push(
            Batch({commitment: commitment, l1Block: uint64(block.number), l2Start: l2Start, l2End: l2End, isBlob: true})
        );
        nextL2Block = l2End + 1;
        emit BatchAppended(index, l2Start, l2End, commitment, true);
    }

    /// @notice The only account allowed to append batches.
    function batcher() external view returns (address) {
        return _batcher;
    }

    /// @notice Number of batches appended so far (also the next batch index).
    function batchCount() external view returns (uint256) {
        return _batches.length;
    }

    /// @notice The batch at `index` (reverts with a panic if out of range).
    function getBatch(uint256 index) external view returns (Batch memory) {
        return _batches[index];
    }

    /// @notice Index of the batch whose range contains `l2Block`.
    /// @dev Binary search; batches are contiguous and sorted by range.
    function batchOf(uint64 l2Block) external view returns (uint256 index) {
        if (l2Block == 0 || l2Block >= nextL2Block) revert BlockNotBatched();
        // Largest index with l2Start <= l2Block; exists because batch 0 starts at block 1.
        uint256 lo = 0;
        uint256 hi = _batches.length - 1;
        while (lo < hi) {
            uint256 mid = (lo + hi + 1) >> 1;
            if (_batches[mid].l2Start <= l2Block) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }
}
