//! Never-panic properties over input a caller controls: EXECUTE's ABI input
//! (anyone can call the precompile on L1) and derivation's headers, batch
//! records and batch data (anyone can post to L1). Run in the debug profile,
//! where an arithmetic overflow panics, so an unchecked `+ 1` on a number
//! from the input fails these tests.

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rlp::Encodable;
use alloy_sol_types::SolValue;
use proptest::prelude::*;
use rollup_protocol::{
    BatchRecord, ExecuteDeposit, ExecuteError, L1BlockData, L1Origin, L1View, PostedBatch,
    RollupConfig, UserDeposit,
    batch::{
        BatchBlock, BatchEncoding, Compression, encode_batch_data, encode_channel_with,
        split_channel,
    },
    block_inputs, decode_batch, derive_block_inputs, encode_execute_input, execute_precompile,
    executeCall,
};

/// A u64 that is often at an edge (0, 1, `u64::MAX - 1`, `u64::MAX`).
fn edge_u64() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0), Just(1), Just(u64::MAX - 1), Just(u64::MAX), any::<u64>(), 0..64u64]
}

fn edge_u256() -> impl Strategy<Value = U256> {
    prop_oneof![Just(U256::ZERO), Just(U256::MAX), edge_u64().prop_map(U256::from)]
}

/// An L2 header whose fields (number, timestamp, L1 origin, gas, fees) are
/// arbitrary, with or without a well-formed L1 origin.
fn l2_header() -> impl Strategy<Value = Header> {
    (
        (edge_u64(), edge_u64(), edge_u64(), any::<bool>()),
        (edge_u64(), edge_u64(), edge_u64(), any::<[u8; 32]>()),
    )
        .prop_map(
            |((number, timestamp, origin, with_origin), (gas_limit, gas_used, base_fee, hash))| {
                Header {
                    number,
                    timestamp,
                    gas_limit,
                    gas_used,
                    base_fee_per_gas: Some(base_fee),
                    extra_data: if with_origin {
                        origin.to_be_bytes().into()
                    } else {
                        Bytes::new()
                    },
                    parent_beacon_block_root: with_origin.then_some(B256::from(hash)),
                    mix_hash: B256::from(hash),
                    withdrawals_root: Some(B256::from(hash)),
                    ..Default::default()
                }
            },
        )
}

/// Blocks of a batch with arbitrary numbers, timestamps and origins.
fn batch_blocks() -> impl Strategy<Value = Vec<BatchBlock>> {
    prop::collection::vec(
        (
            edge_u64(),
            edge_u64(),
            edge_u64(),
            any::<[u8; 32]>(),
            prop::collection::vec(any::<u8>(), 0..40),
        ),
        0..4,
    )
    .prop_map(|blocks| {
        blocks
            .into_iter()
            .map(|(number, timestamp, l1_origin_number, hash, tx)| BatchBlock {
                number,
                timestamp,
                l1_origin_number,
                l1_origin_hash: B256::from(hash),
                transactions: if tx.is_empty() { vec![] } else { vec![tx.into()] },
            })
            .collect()
    })
}

/// Batch data: garbage, or a well-formed channel of arbitrary blocks.
fn batch_data() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200).prop_map(Bytes::from),
        (batch_blocks(), any::<bool>()).prop_map(|(blocks, span)| {
            let encoding = if span { BatchEncoding::Span } else { BatchEncoding::Singular };
            let channel = encode_channel_with(&blocks, Compression::None, encoding);
            encode_batch_data(&split_channel(Default::default(), &channel, 100_000))
        }),
    ]
}

fn posted_batch() -> impl Strategy<Value = PostedBatch> {
    (edge_u64(), edge_u64(), edge_u64(), batch_data()).prop_map(
        |(l1_block, l2_start, l2_end, data)| PostedBatch {
            index: 0,
            l1_block,
            l2_start,
            l2_end,
            data,
        },
    )
}

/// An L1 that has every block below `below`, with edge timestamps and fees,
/// and one deposit with edge amounts and gas in each.
#[derive(Debug)]
struct EdgeL1 {
    below: u64,
    timestamp: u64,
    deposit: UserDeposit,
}

impl L1View for EdgeL1 {
    fn origin(&self, number: u64) -> Option<L1Origin> {
        (number < self.below).then(|| L1Origin {
            number,
            hash: B256::from(U256::from(number)),
            timestamp: self.timestamp,
            base_fee: u64::MAX,
            blob_base_fee: u128::MAX,
        })
    }

    fn deposits(&self, _: u64) -> Vec<UserDeposit> {
        vec![self.deposit.clone()]
    }
}

fn edge_l1() -> impl Strategy<Value = EdgeL1> {
    (edge_u64(), edge_u64(), edge_u64(), edge_u256(), edge_u256()).prop_map(
        |(below, timestamp, gas_limit, mint, value)| EdgeL1 {
            below,
            timestamp,
            deposit: UserDeposit {
                from: Address::repeat_byte(1),
                to: Address::repeat_byte(2),
                index: 0,
                mint,
                value,
                gas_limit,
                data: Bytes::new(),
            },
        },
    )
}

fn rollup_config() -> impl Strategy<Value = RollupConfig> {
    (edge_u64(), edge_u64(), edge_u64()).prop_map(|(drift, window, gas)| RollupConfig {
        max_sequencer_drift: drift,
        sequencing_window: window,
        l2_block_gas_limit: gas.min(60_000_000),
        ..RollupConfig::default()
    })
}

/// An EXECUTE input whose every field is arbitrary but well-typed.
fn execute_input() -> impl Strategy<Value = Vec<u8>> {
    (
        (
            edge_u64(),
            l2_header(),
            any::<[u8; 32]>(),
            edge_u64(),
            edge_u64(),
            edge_u64(),
            any::<bool>(),
        ),
        (batch_data(), rollup_config(), prop::collection::vec(any::<u8>(), 0..64)),
        prop::collection::vec((edge_u64(), edge_u64(), edge_u64(), edge_u256(), edge_u256()), 0..3),
    )
        .prop_map(|(head, rest, l1)| {
            let (block_number, parent, commitment, l1_block, l2_start, l2_end, is_blob) = head;
            let (batch_data, config, witness) = rest;
            let l1_blocks: Vec<L1BlockData> = l1
                .into_iter()
                .map(|(number, header_number, timestamp, mint, index)| {
                    let header = Header {
                        number: header_number,
                        timestamp,
                        base_fee_per_gas: Some(timestamp),
                        excess_blob_gas: Some(timestamp),
                        ..Default::default()
                    };
                    let deposits = vec![ExecuteDeposit {
                        from: Address::repeat_byte(1),
                        to: Address::repeat_byte(2),
                        index,
                        mint,
                        value: mint,
                        gasLimit: timestamp,
                        data: Bytes::new(),
                    }];
                    L1BlockData {
                        number,
                        header: alloy_rlp::encode(&header).into(),
                        deposits: deposits.abi_encode().into(),
                    }
                })
                .collect();
            let mut parent_rlp = Vec::new();
            parent.encode(&mut parent_rlp);
            encode_execute_input(&executeCall {
                blockNumber: block_number,
                batch: BatchRecord {
                    commitment: B256::from(commitment),
                    l1Block: l1_block,
                    l2Start: l2_start,
                    l2End: l2_end,
                    isBlob: is_blob,
                },
                parentHeader: parent_rlp.into(),
                batchData: batch_data,
                l1Blocks: l1_blocks.abi_encode().into(),
                witness: witness.into(),
                rollupConfig: config.protocol_params_abi().into(),
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// EXECUTE over arbitrary bytes: an error, never a panic.
    #[test]
    fn execute_never_panics_on_arbitrary_bytes(input in prop::collection::vec(any::<u8>(), 0..2_000)) {
        let _ = execute_precompile(&input);
    }

    /// EXECUTE over arbitrary well-typed ABI input (edge numbers everywhere).
    #[test]
    fn execute_never_panics_on_arbitrary_abi_input(input in execute_input()) {
        let _ = execute_precompile(&input);
    }

    /// Derivation of one block over arbitrary parents, batch records, batch
    /// data, L1 blocks and protocol parameters.
    #[test]
    fn derivation_never_panics(
        config in rollup_config(),
        parent in l2_header(),
        parent_origin in edge_u64(),
        batch in posted_batch(),
        blocks in batch_blocks(),
        l1 in edge_l1(),
    ) {
        let _ = decode_batch(&batch);
        let origin = l1.origin(parent_origin).unwrap_or(L1Origin {
            number: parent_origin,
            hash: B256::ZERO,
            timestamp: u64::MAX,
            base_fee: 0,
            blob_base_fee: 0,
        });
        for block in blocks.iter().map(Some).chain([None]) {
            let _ = derive_block_inputs(&config, &parent, origin, &batch, block, &l1);
            if let Some(block) = block {
                let _ = block_inputs(&config, &parent, block, &origin, std::slice::from_ref(&l1.deposit), batch.l1_block);
            }
        }
    }
}

/// EXECUTE called directly with a parent numbered 2^64 - 1 is refused: its
/// child's number does not exist (a wrapping build would take block 0, and
/// the release build returned an output root for it).
#[test]
fn execute_refuses_a_parent_at_the_last_block_number() {
    let parent = Header {
        number: u64::MAX,
        extra_data: 0u64.to_be_bytes().into(),
        parent_beacon_block_root: Some(B256::ZERO),
        ..Default::default()
    };
    let mut parent_rlp = Vec::new();
    parent.encode(&mut parent_rlp);
    for block_number in [0, u64::MAX] {
        let input = encode_execute_input(&executeCall {
            blockNumber: block_number,
            batch: BatchRecord {
                commitment: B256::ZERO,
                l1Block: 1,
                l2Start: block_number,
                l2End: block_number,
                isBlob: false,
            },
            parentHeader: parent_rlp.clone().into(),
            batchData: Bytes::new(),
            l1Blocks: Vec::<L1BlockData>::new().abi_encode().into(),
            witness: Bytes::new(),
            rollupConfig: RollupConfig::default().protocol_params_abi().into(),
        });
        // alloy's header decoder already refuses such a number; either way
        // an error, never an output root.
        let result = execute_precompile(&input).map(|o| o.output_root);
        assert!(
            matches!(&result, Err(ExecuteError::WrongParent | ExecuteError::Input(_))),
            "{result:?}"
        );
    }
}

/// A batch record whose range ends before it starts, or ends at the last
/// block number, decodes to no blocks instead of overflowing.
#[test]
fn decode_batch_takes_reversed_and_maximal_ranges() {
    let blocks = vec![BatchBlock {
        number: u64::MAX,
        timestamp: 0,
        l1_origin_number: 0,
        l1_origin_hash: B256::ZERO,
        transactions: vec![],
    }];
    let channel = encode_channel_with(&blocks, Compression::None, BatchEncoding::Singular);
    let data = encode_batch_data(&split_channel(Default::default(), &channel, 100_000));
    let batch = |l2_start, l2_end| PostedBatch {
        index: 0,
        l1_block: 1,
        l2_start,
        l2_end,
        data: data.clone(),
    };
    assert!(decode_batch(&batch(5, 4)).is_empty());
    assert!(decode_batch(&batch(0, u64::MAX)).is_empty());
    assert_eq!(decode_batch(&batch(u64::MAX, u64::MAX)), blocks);
}
