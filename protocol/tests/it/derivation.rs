//! Derivation returns exactly the blocks the sequencer built: blocks are
//! built with the STF (valid and invalid transfers, deposits at L1 origin
//! changes), batched into channels under every compression, decoded, derived
//! back into block inputs and re-executed from genesis.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B128, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use proptest::prelude::*;
use rollup_protocol::{
    BlockInputs, Derivation, DerivedFrom, L1Origin, L1View, MemoryState, PostedBatch, RollupConfig,
    UserDeposit,
    batch::{BatchBlock, Compression, encode_batch_data, encode_channel, split_channel},
    execute_block, genesis_header, l2_genesis_state, next_base_fee,
};
use std::collections::BTreeMap;

use crate::{keys, origin};

#[derive(Clone, Debug)]
struct TxPlan {
    from: usize,
    to: usize,
    amount: u64,
    nonce_offset: i64,
}

#[derive(Clone, Debug)]
struct BlockPlan {
    advance_origin: bool,
    deposits: Vec<(usize, u64)>,
    txs: Vec<TxPlan>,
}

fn plan() -> impl Strategy<Value = Vec<BlockPlan>> {
    let tx = (
        0..4usize,
        0..5usize,
        0..2_000u64,
        prop_oneof![8 => Just(0i64), 1 => Just(1i64), 1 => Just(-1i64)],
    )
        .prop_map(|(from, to, amount, nonce_offset)| TxPlan { from, to, amount, nonce_offset });
    let block = (
        any::<bool>(),
        prop::collection::vec((0..5usize, 1..1_000_000u64), 0..3),
        prop::collection::vec(tx, 0..6),
    )
        .prop_map(|(advance_origin, deposits, txs)| BlockPlan {
            advance_origin,
            deposits,
            txs,
        });
    prop::collection::vec(block, 1..10)
}

fn genesis(config: &RollupConfig) -> (MemoryState, alloy_consensus::Header) {
    let mut state = l2_genesis_state(config);
    let header = genesis_header(config, &mut state, &config.genesis_l1_origin).unwrap();
    (state, header)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn derivation_reproduces_the_sequencer_chain(
        blocks in plan(),
        compression in prop::sample::select(Compression::ALL.to_vec()),
        per_batch in 1..4usize,
    ) {
        let config = RollupConfig { genesis_l1_origin: origin(0), genesis_timestamp: origin(0).timestamp, ..Default::default() };
        let keys = keys();
        let recipients: Vec<Address> = keys.iter().map(|k| k.address()).chain([Address::repeat_byte(0x77)]).collect();

        // The sequencer.
        let (mut state, mut parent) = genesis(&config);
        let mut built = Vec::new();
        let mut deposits_by_origin: BTreeMap<u64, Vec<UserDeposit>> = BTreeMap::new();
        let mut deposit_index = 0u64;
        let mut origin_number = 0u64;
        let mut sequencer_headers = Vec::new();
        for plan in &blocks {
            let mut deposits = Vec::new();
            if plan.advance_origin {
                origin_number += 1;
                for (to, amount) in &plan.deposits {
                    deposits.push(UserDeposit {
                        from: recipients[*to],
                        to: recipients[*to],
                        index: deposit_index,
                        mint: U256::from(*amount) * U256::from(1_000_000_000_000u64),
                        value: U256::ZERO,
                        gas_limit: 100_000,
                        data: Bytes::new(),
                    });
                    deposit_index += 1;
                }
                deposits_by_origin.insert(origin_number, deposits.clone());
            }
            let base_fee = next_base_fee(&parent);
            let mut next_nonce: BTreeMap<usize, u64> = BTreeMap::new();
            let transactions: Vec<Bytes> = plan.txs.iter().map(|t| {
                let n = next_nonce.entry(t.from).or_insert_with(|| state.nonce(&keys[t.from].address()));
                let nonce = n.saturating_add_signed(t.nonce_offset);
                if t.nonce_offset == 0 { *n += 1; }
                let tx = TxEip1559 {
                    chain_id: config.l2_chain_id,
                    nonce,
                    gas_limit: 21_000,
                    max_fee_per_gas: u128::from(base_fee) * 2,
                    max_priority_fee_per_gas: 1,
                    to: TxKind::Call(recipients[t.to]),
                    value: U256::from(t.amount),
                    access_list: Default::default(),
                    input: Bytes::new(),
                };
                let sig = keys[t.from].sign_hash_sync(&tx.signature_hash()).unwrap();
                TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
            }).collect();
            let o = origin(origin_number);
            let timestamp = parent.timestamp.max(o.timestamp);
            let inputs = BlockInputs { timestamp, l1_origin: o, deposits, transactions };
            let executed = execute_block(&config, &mut state, &parent, &inputs).unwrap();
            built.push(BatchBlock {
                number: executed.header.number,
                timestamp,
                l1_origin_number: o.number,
                l1_origin_hash: o.hash,
                transactions: executed.user_transactions(),
            });
            parent = executed.header.clone();
            sequencer_headers.push(executed.header);
        }
        let sequencer_root = state.compute_state_root();

        // Posted: batches of `per_batch` blocks, one channel each.
        let posted: Vec<Bytes> = built.chunks(per_batch).enumerate().map(|(i, chunk)| {
            let channel = encode_channel(chunk, compression);
            encode_batch_data(&split_channel(B128::with_last_byte(i as u8), &channel, 200))
        }).collect();

        // The verifier: the derivation pipeline over what was posted.
        let l1 = MapL1 { deposits: deposits_by_origin };
        let mut derivation = Derivation::new(config.clone(), genesis(&config).0);
        let mut derived = 0;
        let mut start = 1;
        for (i, data) in posted.iter().enumerate() {
            let claimed = built.chunks(per_batch).nth(i).unwrap().len() as u64;
            let batch = PostedBatch { index: i as u64, l1_block: origin_number + 1, l2_start: start, l2_end: start + claimed - 1, data: data.clone() };
            start += claimed;
            for (executed, from) in derivation.apply_batch(&batch, &l1) {
                prop_assert_eq!(&from, &DerivedFrom::Batch);
                prop_assert!(executed.skipped.is_empty(), "derivation re-executes only included transactions");
                prop_assert_eq!(&executed.header, &sequencer_headers[derived]);
                derived += 1;
            }
        }
        let vstate_root = derivation.head().state_root;
        prop_assert_eq!(derived, blocks.len());
        prop_assert_eq!(vstate_root, sequencer_root);
    }
}

struct MapL1 {
    deposits: BTreeMap<u64, Vec<UserDeposit>>,
}

impl L1View for MapL1 {
    fn origin(&self, number: u64) -> Option<L1Origin> {
        (number < 1_000).then(|| origin(number))
    }

    fn deposits(&self, number: u64) -> Vec<UserDeposit> {
        self.deposits.get(&number).cloned().unwrap_or_default()
    }
}

fn garbage() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300).prop_map(Bytes::from),
        // a valid frame header with an unknown channel version
        Just(Bytes::from(
            encode_batch_data(&split_channel(B128::ZERO, &[0x77, 1, 2, 3], 100)).to_vec()
        )),
        // a brotli channel that would inflate to 64 MiB of zeros
        Just({
            let zeros = vec![0u8; 64 << 20];
            let mut channel = vec![0x02];
            channel.extend(Compression::Brotli.compress(&zeros));
            encode_batch_data(&split_channel(B128::ZERO, &channel, 200_000))
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Garbage batches (random bytes, unknown versions, bombs, truncations)
    /// become deposit-only blocks; deposits still land; nothing panics.
    #[test]
    fn garbage_in_the_inbox_yields_deposit_only_blocks(
        junk in prop::collection::vec((garbage(), 1..4u64, any::<u16>()), 1..5),
    ) {
        let config = RollupConfig { genesis_l1_origin: origin(0), genesis_timestamp: origin(0).timestamp, ..Default::default() };
        let key = keys()[0].address();
        let mut deposits = BTreeMap::new();
        let mut minted = U256::ZERO;
        for n in 1..40u64 {
            let mint = U256::from(n) * U256::from(1_000_000_000u64);
            deposits.insert(n, vec![UserDeposit { from: key, to: key, index: n - 1, mint, value: U256::ZERO, gas_limit: 50_000, data: Bytes::new() }]);
            minted += mint;
        }
        let l1 = MapL1 { deposits };
        let mut derivation = Derivation::new(config.clone(), genesis(&config).0);
        let mut start = 1;
        let mut l1_block = 2;
        for (i, (data, len, cut)) in junk.iter().enumerate() {
            // truncate some of them at a random point
            let data = if cut % 3 == 0 { data.slice(..(*cut as usize % (data.len() + 1))) } else { data.clone() };
            let batch = PostedBatch { index: i as u64, l1_block, l2_start: start, l2_end: start + len - 1, data };
            let derived = derivation.apply_batch(&batch, &l1);
            prop_assert_eq!(derived.len() as u64, *len);
            for (executed, from) in &derived {
                prop_assert!(matches!(from, DerivedFrom::DepositOnly(_)));
                prop_assert!(executed.transactions.iter().all(|t| t.tx.is_deposit()));
            }
            start += len;
            l1_block += 3;
        }
        prop_assert_eq!(derivation.head().number, start - 1);
        // The origin advanced once per block while the L1 had blocks before each batch:
        // every deposit of those L1 blocks is on L2.
        let origin_reached = L1Origin::of_header(derivation.head()).unwrap().0;
        let expected: U256 = (1..=origin_reached).map(|n| U256::from(n) * U256::from(1_000_000_000u64)).sum();
        prop_assert_eq!(derivation.state().balance(&key), expected);
        prop_assert!(expected <= minted);
    }
}
