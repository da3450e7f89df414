//! BatchInbox: batcher-only, contiguous ranges, keccak commitment, batch lookup; blob batches
//! (EIP-4844 versioned hashes read with `BLOBHASH`) sharing the range sequence.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use rollup_contracts::BatchInbox;

use crate::l1::L1;

fn append(
    l1: &mut L1,
    from: alloy_primitives::Address,
    start: u64,
    end: u64,
    data: &[u8],
) -> crate::evm::Receipt {
    l1.chain.call(
        from,
        l1.inbox,
        U256::ZERO,
        BatchInbox::appendBatchCall {
            l2Start: start,
            l2End: end,
            data: Bytes::copy_from_slice(data),
        },
    )
}

#[test]
fn initial_state() {
    let mut l1 = L1::deploy();
    assert_eq!(l1.chain.view(l1.inbox, BatchInbox::batcherCall {}), l1.batcher);
    assert_eq!(l1.chain.view(l1.inbox, BatchInbox::nextL2BlockCall {}), 1);
    assert_eq!(l1.chain.view(l1.inbox, BatchInbox::batchCountCall {}), U256::ZERO);
    l1.chain
        .try_view(l1.inbox, BatchInbox::batchOfCall { l2Block: 1 })
        .reverted_with::<BatchInbox::BlockNotBatched>();
}

#[test]
fn only_the_batcher_appends() {
    let mut l1 = L1::deploy();
    let user = l1.user;
    append(&mut l1, user, 1, 3, b"x").reverted_with::<BatchInbox::Unauthorized>();
    let proposer = l1.proposer;
    append(&mut l1, proposer, 1, 3, b"x").reverted_with::<BatchInbox::Unauthorized>();
    let batcher = l1.batcher;
    append(&mut l1, batcher, 1, 3, b"x").success();
}

#[test]
fn ranges_must_be_contiguous_and_ordered() {
    let mut l1 = L1::deploy();
    let batcher = l1.batcher;
    // Block 0 is the genesis and never batched.
    let err =
        append(&mut l1, batcher, 0, 3, b"x").reverted_with::<BatchInbox::NonContiguousRange>();
    assert_eq!((err.expected, err.got), (1, 0));
    let err =
        append(&mut l1, batcher, 2, 3, b"x").reverted_with::<BatchInbox::NonContiguousRange>();
    assert_eq!((err.expected, err.got), (1, 2));
    append(&mut l1, batcher, 1, 0, b"x").reverted_with::<BatchInbox::InvalidRange>();

    append(&mut l1, batcher, 1, 1, b"a").success();
    let err =
        append(&mut l1, batcher, 1, 4, b"x").reverted_with::<BatchInbox::NonContiguousRange>();
    assert_eq!((err.expected, err.got), (2, 1));
    let err =
        append(&mut l1, batcher, 3, 4, b"x").reverted_with::<BatchInbox::NonContiguousRange>();
    assert_eq!((err.expected, err.got), (2, 3));
    append(&mut l1, batcher, 2, 4, b"b").success();
    assert_eq!(l1.chain.view(l1.inbox, BatchInbox::nextL2BlockCall {}), 5);
}

#[test]
fn batches_store_commitment_and_l1_block() {
    let mut l1 = L1::deploy();
    let batcher = l1.batcher;
    let data = b"compressed channel bytes".to_vec();
    let l1_block = l1.chain.block_number();
    let receipt = append(&mut l1, batcher, 1, 5, &data);
    let event = receipt.event::<BatchInbox::BatchAppended>(l1.inbox);
    assert_eq!(event.batchIndex, U256::ZERO);
    assert_eq!((event.l2Start, event.l2End), (1, 5));
    assert_eq!(event.commitment, keccak256(&data));
    assert!(!event.isBlob);

    let batch = l1.chain.view(l1.inbox, BatchInbox::getBatchCall { index: U256::ZERO });
    assert_eq!(batch.commitment, keccak256(&data));
    assert_eq!(batch.l1Block, l1_block);
    assert_eq!((batch.l2Start, batch.l2End, batch.isBlob), (1, 5, false));
    assert_eq!(l1.chain.view(l1.inbox, BatchInbox::nextL2BlockCall {}), 6);
    assert_eq!(l1.chain.view(l1.inbox, BatchInbox::batchCountCall {}), U256::from(1));

    l1.chain.advance(12);
    let receipt = append(&mut l1, batcher, 6, 6, b"");
    let event = receipt.event::<BatchInbox::BatchAppended>(l1.inbox);
    assert_eq!(event.batchIndex, U256::from(1));
    assert_eq!(event.commitment, keccak256([]));
    let batch = l1.chain.view(l1.inbox, BatchInbox::getBatchCall { index: U256::from(1) });
    assert_eq!(batch.l1Block, l1_block + 1);
    let out_of_range =
        l1.chain.try_view(l1.inbox, BatchInbox::getBatchCall { index: U256::from(2) });
    assert!(!out_of_range.result.is_success(), "getBatch out of range must revert");
}

#[test]
fn batch_of_finds_the_covering_batch() {
    let mut l1 = L1::deploy();
    let batcher = l1.batcher;
    // Ranges of varied lengths: [1,1] [2,4] [5,5] [6,13] [14,14] [15,20] [21,21]
    let ranges = [(1, 1), (2, 4), (5, 5), (6, 13), (14, 14), (15, 20), (21, 21)];
    for (start, end) in ranges {
        append(&mut l1, batcher, start, end, &start.to_be_bytes()).success();
        l1.chain.advance(12);
    }
    for (index, (start, end)) in ranges.iter().enumerate() {
        for block in *start..=*end {
            assert_eq!(
                l1.chain.view(l1.inbox, BatchInbox::batchOfCall { l2Block: block }),
                U256::from(index),
                "block {block}"
            );
        }
    }
    for block in [0, 22, 1_000, u64::MAX] {
        l1.chain
            .try_view(l1.inbox, BatchInbox::batchOfCall { l2Block: block })
            .reverted_with::<BatchInbox::BlockNotBatched>();
    }
}

/// A versioned hash as revm accepts it: version byte `0x01`, then `n` repeated.
fn versioned_hash(n: u8) -> B256 {
    let mut hash = B256::repeat_byte(n);
    hash[0] = 0x01;
    hash
}

/// `appendBlobBatch(start, end, blob_count)` in a blob transaction carrying `blobs`.
fn append_blobs(
    l1: &mut L1,
    from: Address,
    start: u64,
    end: u64,
    blob_count: u64,
    blobs: &[B256],
) -> crate::evm::Receipt {
    l1.chain.call_with_blobs(
        from,
        l1.inbox,
        BatchInbox::appendBlobBatchCall {
            l2Start: start,
            l2End: end,
            blobCount: U256::from(blob_count),
        },
        blobs.to_vec(),
    )
}

#[test]
fn blob_batch_commits_to_the_versioned_hashes() {
    let mut l1 = L1::deploy();
    let batcher = l1.batcher;
    let blobs = [versioned_hash(0xaa), versioned_hash(0xbb)];
    let l1_block = l1.chain.block_number();
    let receipt = append_blobs(&mut l1, batcher, 1, 4, 2, &blobs);
    let commitment = keccak256([blobs[0].as_slice(), blobs[1].as_slice()].concat());
    let event = receipt.event::<BatchInbox::BatchAppended>(l1.inbox);
    assert_eq!(event.batchIndex, U256::ZERO);
    assert_eq!((event.l2Start, event.l2End), (1, 4));
    assert_eq!(event.commitment, commitment);
    assert!(event.isBlob);

    let batch = l1.chain.view(l1.inbox, BatchInbox::getBatchCall { index: U256::ZERO });
    assert_eq!(batch.commitment, commitment);
    assert_eq!(batch.l1Block, l1_block);
    assert_eq!((batch.l2Start, batch.l2End, batch.isBlob), (1, 4, true));
    assert_eq!(l1.chain.view(l1.inbox, BatchInbox::nextL2BlockCall {}), 5);
    assert_eq!(l1.chain.view(l1.inbox, BatchInbox::batchCountCall {}), U256::from(1));

    // One blob, and the maximum of six (order preserved).
    l1.chain.advance(12);
    let one = [versioned_hash(0x11)];
    let receipt = append_blobs(&mut l1, batcher, 5, 5, 1, &one);
    assert_eq!(receipt.event::<BatchInbox::BatchAppended>(l1.inbox).commitment, keccak256(one[0]));
    let six: Vec<B256> = (1..=6).map(versioned_hash).collect();
    let receipt = append_blobs(&mut l1, batcher, 6, 9, 6, &six);
    let event = receipt.event::<BatchInbox::BatchAppended>(l1.inbox);
    assert_eq!(event.batchIndex, U256::from(2));
    assert_eq!(event.commitment, keccak256(six.concat()));
    let first = l1.chain.view(l1.inbox, BatchInbox::getBatchCall { index: U256::ZERO });
    assert_eq!(first.commitment, commitment, "earlier batches are untouched");
    // Storing the hashes again would cost 20,000 gas per blob; only the commitment is stored.
    assert!(receipt.gas_used() < 21_000 + 80_000, "six-blob batch used {} gas", receipt.gas_used());
}

#[test]
fn blob_count_must_match_the_transaction_blobs() {
    let mut l1 = L1::deploy();
    let batcher = l1.batcher;
    let blobs = [versioned_hash(0xaa), versioned_hash(0xbb)];

    // More blobs claimed than the transaction carries: the first missing index.
    let err =
        append_blobs(&mut l1, batcher, 1, 2, 3, &blobs).reverted_with::<BatchInbox::MissingBlob>();
    assert_eq!(err.index, U256::from(2));
    let err = append_blobs(&mut l1, batcher, 1, 2, 6, &blobs[..1])
        .reverted_with::<BatchInbox::MissingBlob>();
    assert_eq!(err.index, U256::from(1));
    // Fewer: a blob of the transaction would not belong to the batch.
    append_blobs(&mut l1, batcher, 1, 2, 1, &blobs).reverted_with::<BatchInbox::ExtraBlob>();
    // Outside 1..=6, whatever the transaction carries.
    for count in [0, 7, u64::MAX] {
        let err = append_blobs(&mut l1, batcher, 1, 2, count, &blobs)
            .reverted_with::<BatchInbox::BadBlobCount>();
        assert_eq!(err.blobCount, U256::from(count));
    }
    let err = l1
        .chain
        .call(
            batcher,
            l1.inbox,
            U256::ZERO,
            BatchInbox::appendBlobBatchCall { l2Start: 1, l2End: 2, blobCount: U256::MAX },
        )
        .reverted_with::<BatchInbox::BadBlobCount>();
    assert_eq!(err.blobCount, U256::MAX);
    // Without any blob (a plain transaction).
    let err = l1
        .chain
        .call(
            batcher,
            l1.inbox,
            U256::ZERO,
            BatchInbox::appendBlobBatchCall { l2Start: 1, l2End: 2, blobCount: U256::from(1) },
        )
        .reverted_with::<BatchInbox::MissingBlob>();
    assert_eq!(err.index, U256::ZERO);

    assert_eq!(l1.chain.view(l1.inbox, BatchInbox::batchCountCall {}), U256::ZERO);
    assert_eq!(l1.chain.view(l1.inbox, BatchInbox::nextL2BlockCall {}), 1);
    append_blobs(&mut l1, batcher, 1, 2, 2, &blobs).success();
}

#[test]
fn only_the_batcher_appends_blob_batches() {
    let mut l1 = L1::deploy();
    let blobs = [versioned_hash(0xaa)];
    for who in [l1.user, l1.proposer, l1.deployer] {
        append_blobs(&mut l1, who, 1, 3, 1, &blobs).reverted_with::<BatchInbox::Unauthorized>();
    }
    let batcher = l1.batcher;
    append_blobs(&mut l1, batcher, 1, 3, 1, &blobs).success();
}

#[test]
fn blob_and_calldata_batches_share_the_range_sequence() {
    let mut l1 = L1::deploy();
    let batcher = l1.batcher;
    let blobs = [versioned_hash(0xaa), versioned_hash(0xbb)];

    let err = append_blobs(&mut l1, batcher, 0, 3, 2, &blobs)
        .reverted_with::<BatchInbox::NonContiguousRange>();
    assert_eq!((err.expected, err.got), (1, 0));
    let err = append_blobs(&mut l1, batcher, 2, 3, 2, &blobs)
        .reverted_with::<BatchInbox::NonContiguousRange>();
    assert_eq!((err.expected, err.got), (1, 2));
    append_blobs(&mut l1, batcher, 1, 0, 2, &blobs).reverted_with::<BatchInbox::InvalidRange>();

    // calldata [1,3], blob [4,4], calldata [5,8], blob [9,12], blob [13,13]
    append(&mut l1, batcher, 1, 3, b"a").success();
    let err = append_blobs(&mut l1, batcher, 3, 4, 2, &blobs)
        .reverted_with::<BatchInbox::NonContiguousRange>();
    assert_eq!((err.expected, err.got), (4, 3));
    append_blobs(&mut l1, batcher, 4, 4, 2, &blobs).success();
    assert_eq!(l1.chain.view(l1.inbox, BatchInbox::nextL2BlockCall {}), 5);
    // A calldata batch continues after the blob batch.
    let err =
        append(&mut l1, batcher, 4, 8, b"b").reverted_with::<BatchInbox::NonContiguousRange>();
    assert_eq!((err.expected, err.got), (5, 4));
    let receipt = append(&mut l1, batcher, 5, 8, b"b");
    let event = receipt.event::<BatchInbox::BatchAppended>(l1.inbox);
    assert_eq!((event.batchIndex, event.l2Start, event.l2End), (U256::from(2), 5, 8));
    assert!(!event.isBlob);
    assert_eq!(event.commitment, keccak256(b"b"));
    let third = [versioned_hash(0xcc)];
    append_blobs(&mut l1, batcher, 9, 12, 1, &third).success();
    append_blobs(&mut l1, batcher, 13, 13, 2, &blobs).success();
    assert_eq!(l1.chain.view(l1.inbox, BatchInbox::nextL2BlockCall {}), 14);
    assert_eq!(l1.chain.view(l1.inbox, BatchInbox::batchCountCall {}), U256::from(5));

    // Each batch keeps its kind and commitment: keccak256 of the data, or of the blob hashes.
    let kinds = [
        (false, keccak256(b"a")),
        (true, keccak256(blobs.concat())),
        (false, keccak256(b"b")),
        (true, keccak256(third.concat())),
        (true, keccak256(blobs.concat())),
    ];
    for (index, (is_blob, commitment)) in kinds.into_iter().enumerate() {
        let batch = l1.chain.view(l1.inbox, BatchInbox::getBatchCall { index: U256::from(index) });
        assert_eq!(batch.isBlob, is_blob, "batch {index}");
        assert_eq!(batch.commitment, commitment, "batch {index}");
    }

    // batchOf across both kinds.
    let ranges = [(1, 3), (4, 4), (5, 8), (9, 12), (13, 13)];
    for (index, (start, end)) in ranges.iter().enumerate() {
        for block in *start..=*end {
            assert_eq!(
                l1.chain.view(l1.inbox, BatchInbox::batchOfCall { l2Block: block }),
                U256::from(index),
                "block {block}"
            );
        }
    }
    for block in [0, 14, u64::MAX] {
        l1.chain
            .try_view(l1.inbox, BatchInbox::batchOfCall { l2Block: block })
            .reverted_with::<BatchInbox::BlockNotBatched>();
    }
}
