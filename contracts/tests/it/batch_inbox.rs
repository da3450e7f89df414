//! BatchInbox: batcher-only, contiguous ranges, keccak commitment, batch lookup.

use alloy_primitives::{Bytes, U256, keccak256};
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
