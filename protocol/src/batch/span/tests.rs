use alloy_consensus::{SignableTransaction, TxEip4844};
use alloy_eips::{eip2930::AccessListItem, eip7702::Authorization};
use alloy_primitives::keccak256;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;

use super::*;
use crate::{
    L2_CHAIN_ID,
    batch::{BatchEncoding, Compression, decode_channel, encode_channel_with},
};

/// splitmix64: a small deterministic PRNG for reproducible test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn b256(&mut self) -> B256 {
        let mut b = [0u8; 32];
        for chunk in b.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        B256::from(b)
    }
}

fn key(seed: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&keccak256([seed])).unwrap()
}

fn sign<T>(tx: T, key: &PrivateKeySigner) -> Bytes
where
    T: SignableTransaction<Signature>,
    TxEnvelope: From<Signed<T>>,
{
    let signature = key.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(signature)).encoded_2718().into()
}

fn block(number: u64, transactions: Vec<Bytes>) -> BatchBlock {
    BatchBlock {
        number,
        timestamp: 1_700_000_000 + 2 * number,
        l1_origin_number: 10 + number / 3,
        l1_origin_hash: keccak256((number / 3).to_be_bytes()),
        transactions,
    }
}

/// `count` EIP-1559 ETH transfers on chain 901 in blocks of 50. Each transfer goes from a
/// random account to another random account of a pool of `accounts` (or, with
/// `fresh_recipients`, to a fresh random address). Realistic fields: nonces continuing
/// from a random 0..300 per account; gas limit 21000; `max fee = 2 * base fee + tip` as
/// wallets (and this repository's transaction manager) compute it, from the base fee of
/// the block or of the one before, with the L2 base fee drifting just above its
/// 0.001 gwei floor and the tip one of 0, 1000 wei, 0.001 gwei, 0.1 gwei, 1 gwei; values
/// of 1 to 4 significant digits from 0.0001 to 999.9 ETH.
fn transfers(count: usize, accounts: usize, fresh_recipients: bool) -> Vec<BatchBlock> {
    let mut rng = Rng(7);
    let keys: Vec<PrivateKeySigner> =
        (0..accounts).map(|_| PrivateKeySigner::from_bytes(&rng.b256()).unwrap()).collect();
    let mut nonces: Vec<u64> = (0..accounts).map(|_| rng.below(300)).collect();
    let tips: [u128; 5] = [0, 1_000, 1_000_000, 100_000_000, 1_000_000_000];
    let mut base_fee: u128 = 1_000_000;
    let mut blocks = Vec::new();
    for number in 0..count.div_ceil(50) as u64 {
        let prev_base_fee = base_fee;
        base_fee = (base_fee * u128::from(990 + rng.below(30)) / 1000).max(1_000_000);
        let txs = (0..50.min(count - 50 * number as usize))
            .map(|_| {
                let from = rng.below(accounts as u64) as usize;
                let to = if fresh_recipients {
                    Address::from_slice(&rng.b256()[..20])
                } else {
                    let to = rng.below(accounts as u64 - 1) as usize;
                    keys[to + usize::from(to >= from)].address()
                };
                let value = U256::from(1 + rng.below(9999))
                    * U256::from(10).pow(U256::from(14 + rng.below(4)));
                let seen_base_fee = if rng.below(2) == 0 { base_fee } else { prev_base_fee };
                let tip = tips[rng.below(5) as usize];
                let tx = TxEip1559 {
                    chain_id: L2_CHAIN_ID,
                    nonce: nonces[from],
                    gas_limit: 21_000,
                    max_fee_per_gas: 2 * seen_base_fee + tip,
                    max_priority_fee_per_gas: tip,
                    to: TxKind::Call(to),
                    value,
                    access_list: AccessList::default(),
                    input: Bytes::new(),
                };
                nonces[from] += 1;
                sign(tx, &keys[from])
            })
            .collect();
        blocks.push(block(1_000 + number, txs));
    }
    blocks
}

/// Bytes per transfer of `blocks` in a channel with `encoding` and `compression`.
fn per_tx(blocks: &[BatchBlock], c: Compression, encoding: BatchEncoding) -> f64 {
    let channel = encode_channel_with(blocks, c, encoding);
    assert_eq!(decode_channel(&channel).unwrap(), blocks, "{c} {encoding}");
    let txs: usize = blocks.iter().map(|b| b.transactions.len()).sum();
    channel.len() as f64 / txs as f64
}

/// The workloads of `rollup bench fees` (`bin/rollup/src/bench/workload.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Workload {
    /// ETH transfers of `k × 10^e` wei (`k` in 1..=9999, `e` in 10..=13, amounts as typed
    /// into a wallet) to a Zipf-distributed recipient.
    Transfer,
    /// ERC-20 `transfer(to, k * 10^18)` (k in 1..1000) on one of two tokens, `to` Zipf.
    Erc20,
    /// `swapExactIn(tokenIn, k * 10^18, 0, sender)` (k in 1..100) on a pool.
    Swap,
    /// 50% transfers, 30% ERC-20 transfers, 20% swaps.
    Mixed,
}

/// Order-0 empirical entropy of `symbols`, in bits (all of them, not per symbol).
fn entropy<T: std::hash::Hash + Eq>(symbols: impl IntoIterator<Item = T>) -> f64 {
    let mut counts: HashMap<T, f64> = HashMap::new();
    for symbol in symbols {
        *counts.entry(symbol).or_default() += 1.0;
    }
    let total: f64 = counts.values().sum();
    counts.values().map(|c| c * (total / c).log2()).sum()
}

/// `count` transactions of `workload` from `senders` accounts, in blocks of 100, as the
/// benchmark signs them: EIP-1559 on chain 901, max fee 1 gwei, tip 0.001 gwei, recipients
/// drawn from a Zipf distribution (s = 1.1) over 2,000 addresses. The channel is taken
/// from the middle of a longer run: `skip` transactions were sent before (nonces continue
/// from there, after the two approvals of the setup for the contract workloads).
///
/// Also returns the information floor in bytes per transaction: what any codec must store
/// even knowing the generator's distributions, only not its random draws. Per transaction:
/// the signature (512 bits: 256 of `r`, 255 of a low `s`, the y parity); the random
/// choices (the kind of a mixed workload, the token, the value: log2 of the number of
/// equally likely outcomes); 160 bits per distinct account address (recipients and swap
/// `to`, keccak hashes), plus the order-0 entropy of the account stream in which every
/// first use is one "new" symbol; the order-0 entropy of the nonces. Gas limits, fees,
/// types, contract addresses and selectors follow from the kind and cost nothing.
fn workload(kind: Workload, count: usize, senders: usize, skip: usize) -> (Vec<BatchBlock>, f64) {
    let mut rng = Rng(11 + kind as u64);
    let keys: Vec<PrivateKeySigner> =
        (0..senders).map(|_| PrivateKeySigner::from_bytes(&rng.b256()).unwrap()).collect();
    let senders: Vec<Address> = keys.iter().map(PrivateKeySigner::address).collect();
    let setup = if kind == Workload::Transfer { 0 } else { 2 };
    let mut nonces = vec![setup; keys.len()];
    for _ in 0..skip {
        nonces[rng.below(keys.len() as u64) as usize] += 1;
    }
    let zipf: Vec<f64> = (1..=2_000)
        .scan(0.0, |sum, k: i32| {
            *sum += f64::from(k).powf(-1.1);
            Some(*sum)
        })
        .collect();
    let deployer = Address::from_word(keccak256(b"deployer"));
    let (token_a, token_b, pool) = (deployer.create(0), deployer.create(1), deployer.create(2));
    let selector = |signature: &str| keccak256(signature)[..4].to_vec();
    let transfer = selector("transfer(address,uint256)");
    let swap = selector("swapExactIn(address,uint256,uint256,address)");
    let word = |value: U256| value.to_be_bytes::<32>();
    let address = |a: Address| B256::left_padding_from(a.as_slice()).0;
    let ether = U256::from(10).pow(U256::from(18));
    let mut choice_bits = 0.0;
    let mut accounts = Vec::new();
    let mut used_nonces = Vec::new();
    let txs: Vec<Bytes> = (0..count)
        .map(|_| {
            let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64 * zipf[1_999];
            let rank = zipf.partition_point(|c| *c < u) as u64 + 1;
            let recipient = Address::from_word(keccak256(rank.to_be_bytes()));
            let from = rng.below(keys.len() as u64) as usize;
            let which = match kind {
                Workload::Mixed => {
                    let (which, p) = match rng.below(10) {
                        0..5 => (Workload::Transfer, 0.5),
                        5..8 => (Workload::Erc20, 0.3),
                        _ => (Workload::Swap, 0.2),
                    };
                    choice_bits -= f64::log2(p);
                    which
                }
                other => other,
            };
            let token = if rng.below(2) == 0 { token_a } else { token_b };
            let (to, value, input, gas_limit) = match which {
                Workload::Erc20 => {
                    choice_bits += 1.0 + 999f64.log2();
                    accounts.push(recipient);
                    let amount = U256::from(1 + rng.below(999)) * ether;
                    let input = [transfer.clone(), address(recipient).into(), word(amount).into()];
                    (token, U256::ZERO, input.concat(), 60_000)
                }
                Workload::Swap => {
                    choice_bits += 1.0 + 99f64.log2();
                    accounts.push(senders[from]);
                    let amount = U256::from(1 + rng.below(99)) * ether;
                    let input = [
                        swap.clone(),
                        address(token).into(),
                        word(amount).into(),
                        word(U256::ZERO).into(),
                        address(senders[from]).into(),
                    ];
                    (pool, U256::ZERO, input.concat(), 130_000)
                }
                _ => {
                    choice_bits += (9_999f64 * 4.0).log2();
                    accounts.push(recipient);
                    let value = U256::from(1 + rng.below(9_999))
                        * U256::from(10).pow(U256::from(10 + rng.below(4)));
                    (recipient, value, Vec::new(), 21_000)
                }
            };
            let tx = TxEip1559 {
                chain_id: L2_CHAIN_ID,
                nonce: nonces[from],
                gas_limit,
                max_fee_per_gas: 1_000_000_000,
                max_priority_fee_per_gas: 1_000_000,
                to: TxKind::Call(to),
                value,
                access_list: AccessList::default(),
                input: input.into(),
            };
            used_nonces.push(nonces[from]);
            nonces[from] += 1;
            sign(tx, &keys[from])
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    let stream: Vec<Option<Address>> =
        accounts.iter().map(|a| (!seen.insert(*a)).then_some(*a)).collect();
    let bits = 512.0 * count as f64
        + choice_bits
        + 160.0 * seen.len() as f64
        + entropy(stream)
        + entropy(used_nonces);
    let blocks =
        txs.chunks(100).zip(1_000..).map(|(txs, number)| block(number, txs.to_vec())).collect();
    (blocks, bits / 8.0 / count as f64)
}

/// Marginal cost of every column of the transaction section of `blocks` under brotli, in
/// bytes per transaction: how much smaller the compressed section is without it.
fn column_costs(blocks: &[BatchBlock]) -> String {
    let txs: Vec<&Bytes> = blocks.iter().flat_map(|b| &b.transactions).collect();
    let columns = tx_columns(&txs, L2_CHAIN_ID);
    let size = |skip: Option<usize>| {
        let data: Vec<u8> = columns
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != skip)
            .flat_map(|(_, (_, c))| c.iter().copied())
            .collect();
        Compression::Brotli.compress(&data).len() as f64 / txs.len() as f64
    };
    let full = size(None);
    let mut line = format!("columns {full:.2} B:");
    for (i, (name, column)) in columns.iter().enumerate() {
        if !column.is_empty() {
            line += &format!(" {name} {:.2}", full - size(Some(i)));
        }
    }
    line
}

/// The workloads of `rollup bench fees`, 2,000 transactions from 800 senders in one
/// channel, against their information floor (see [`workload`]). With `--nocapture`:
/// the figures under every encoding and compression and the cost of every column.
#[test]
fn benchmark_workloads_compress_close_to_their_floor() {
    // Span + brotli bytes per transaction at most (floor: 72.10, 71.34, 73.51, 74.17).
    let bounds = [
        (Workload::Transfer, 73.2),
        (Workload::Erc20, 72.6),
        (Workload::Swap, 74.7),
        (Workload::Mixed, 75.6),
    ];
    for (kind, bound) in bounds {
        let (blocks, floor) = workload(kind, 2_000, 800, 8_000);
        let txs: usize = blocks.iter().map(|b| b.transactions.len()).sum();
        let raw: usize = blocks.iter().flat_map(|b| &b.transactions).map(|t| t.len()).sum();
        let raw = raw as f64 / txs as f64;
        println!("{kind:?}: raw {raw:.1} B, floor {floor:.2} B");
        for c in Compression::ALL {
            let singular = per_tx(&blocks, *c, BatchEncoding::Singular);
            let span = per_tx(&blocks, *c, BatchEncoding::Span);
            println!(
                "  {c:<6} singular {singular:6.2} B, span {span:6.2} B ({:.1}% of raw)",
                100.0 * span / raw
            );
            assert!(span < singular, "{kind:?} {c}: span {span:.2} B, singular {singular:.2} B");
        }
        println!("  {}", column_costs(&blocks));
        let span = per_tx(&blocks, Compression::Brotli, BatchEncoding::Span);
        assert!(span <= bound, "{kind:?}: {span:.2} B per transaction, more than {bound}");
        assert!(span - floor <= 1.25, "{kind:?}: {span:.2} B, floor {floor:.2} B");
    }
}

#[test]
fn transfers_compress_close_to_the_ecdsa_floor() {
    // Transfers among 100 accounts: recipients recur, as on a real chain.
    let blocks = transfers(500, 100, false);
    assert_eq!(blocks.len(), 10);
    for c in Compression::ALL {
        let singular = per_tx(&blocks, *c, BatchEncoding::Singular);
        let span = per_tx(&blocks, *c, BatchEncoding::Span);
        assert!(span < singular, "{c}: span {span:.1} B vs singular {singular:.1} B");
    }
    let span = per_tx(&blocks, Compression::Brotli, BatchEncoding::Span);
    println!("transfers among 100 accounts: span + brotli {span:.2} B");
    println!("  {}", column_costs(&blocks));
    assert!(span <= 75.0, "span + brotli: {span:.1} B per transfer");

    // Every transfer to a fresh random address: the 20-byte recipients are
    // incompressible too, so the floor is 64 (r, s) + 20 (to) + 1/8 (y parity) bytes.
    let blocks = transfers(500, 100, true);
    let singular = per_tx(&blocks, Compression::Brotli, BatchEncoding::Singular);
    let span = per_tx(&blocks, Compression::Brotli, BatchEncoding::Span);
    assert!(span < singular, "span {span:.1} B vs singular {singular:.1} B");
    assert!(span <= 1.08 * (64.0 + 20.0 + 0.125), "span + brotli: {span:.1} B per transfer");
}

/// One transaction of every kind the columns store, and some they must leave opaque.
fn zoo() -> Vec<(Bytes, bool)> {
    let k = key(1);
    let to = Address::repeat_byte(0x42);
    let access_list = AccessList(vec![AccessListItem {
        address: Address::repeat_byte(7),
        storage_keys: vec![B256::repeat_byte(1), B256::repeat_byte(2)],
    }]);
    let legacy = |chain_id, to| TxLegacy {
        chain_id,
        nonce: 3,
        gas_price: 1_000_000_007,
        gas_limit: 21_000,
        to,
        value: U256::from(123_456_789u64),
        input: Bytes::from_static(&[1, 2, 3]),
    };
    let eip1559 = |chain_id, to| TxEip1559 {
        chain_id,
        nonce: u64::MAX,
        gas_limit: 1_000_000,
        max_fee_per_gas: u128::MAX,
        max_priority_fee_per_gas: 2,
        to,
        value: U256::MAX,
        access_list: access_list.clone(),
        input: Bytes::from(vec![0xab; 300]),
    };
    let auth = Authorization { chain_id: U256::from(L2_CHAIN_ID), address: to, nonce: 9 };
    let auth_sig = k.sign_hash_sync(&auth.signature_hash()).unwrap();
    let eip7702 = TxEip7702 {
        chain_id: L2_CHAIN_ID,
        nonce: 1,
        gas_limit: 100_000,
        max_fee_per_gas: 5,
        max_priority_fee_per_gas: 7,
        to,
        value: U256::ZERO,
        access_list: AccessList::default(),
        authorization_list: vec![auth.into_signed(auth_sig)],
        input: Bytes::new(),
    };
    let eip4844 = TxEip4844 {
        chain_id: L2_CHAIN_ID,
        to,
        blob_versioned_hashes: vec![B256::repeat_byte(1)],
        max_fee_per_blob_gas: 1,
        ..Default::default()
    };
    // A signature with a high `s` (invalid since EIP-2, still stored in columns).
    let high_s = {
        let tx = eip1559(L2_CHAIN_ID, TxKind::Create);
        let signature = Signature::new(U256::from(7), U256::MAX - U256::from(7), true);
        Bytes::from(TxEnvelope::from(tx.into_signed(signature)).encoded_2718())
    };
    let mut trailing = sign(eip1559(L2_CHAIN_ID, TxKind::Call(to)), &k).to_vec();
    trailing.push(0);
    vec![
        (sign(legacy(None, TxKind::Call(to)), &k), true),
        (sign(legacy(Some(L2_CHAIN_ID), TxKind::Create), &k), true),
        (sign(legacy(Some(1), TxKind::Call(to)), &k), false),
        (
            sign(
                TxEip2930 {
                    chain_id: L2_CHAIN_ID,
                    nonce: 0,
                    gas_price: 0,
                    gas_limit: 0,
                    to: TxKind::Call(to),
                    value: U256::from(10).pow(U256::from(77)),
                    access_list: access_list.clone(),
                    input: Bytes::new(),
                },
                &k,
            ),
            true,
        ),
        (sign(eip1559(L2_CHAIN_ID, TxKind::Call(to)), &k), true),
        (sign(eip1559(L2_CHAIN_ID, TxKind::Create), &key(2)), true),
        (sign(eip1559(1, TxKind::Call(to)), &k), false),
        (sign(eip7702, &k), true),
        (high_s, true),
        (sign(eip4844, &k), false),
        (trailing.into(), false),
        (Bytes::new(), false),
        (Bytes::from_static(&[0x02]), false),
        (Bytes::from_static(&[0x7e, 0xc0]), false),
        (Bytes::from(vec![0xff; 70]), false),
    ]
}

#[test]
fn every_transaction_kind_round_trips() {
    let zoo = zoo();
    for (raw, structured) in &zoo {
        assert_eq!(SpanTx::from_raw(raw, L2_CHAIN_ID).is_some(), *structured, "{raw}");
    }
    let txs: Vec<Bytes> = zoo.into_iter().map(|(raw, _)| raw).collect();
    let blocks = vec![
        block(5, txs[..7].to_vec()),
        block(6, vec![]),
        block(7, txs[7..].to_vec()),
        block(8, txs.iter().rev().cloned().collect()),
    ];
    let span = encode_span(&blocks, L2_CHAIN_ID);
    assert_eq!(decode_span(&span, L2_CHAIN_ID).unwrap(), blocks);
    for c in Compression::ALL {
        let channel = encode_channel_with(&blocks, *c, BatchEncoding::Span);
        assert_eq!(channel[0], 0x10 | c.nibble());
        assert_eq!(decode_channel(&channel).unwrap(), blocks);
    }

    // The chain id of typed transactions is not stored: decoding for another chain
    // rebuilds them for that chain (whose signatures then recover other senders).
    let other = decode_span(&span, 902).unwrap();
    assert_ne!(other, blocks);
    assert_eq!(other[1], blocks[1]);
    // Encoding for another chain leaves chain-901 transactions opaque.
    assert_eq!(decode_span(&encode_span(&blocks, 902), 902).unwrap(), blocks);
}

#[test]
fn any_block_fields_round_trip() {
    let h = |b: u8| B256::repeat_byte(b);
    let b = |number, timestamp, l1_origin_number, l1_origin_hash| BatchBlock {
        number,
        timestamp,
        l1_origin_number,
        l1_origin_hash,
        transactions: vec![Bytes::from_static(b"x")],
    };
    let cases = vec![
        vec![],
        vec![b(0, 0, 0, h(0))],
        vec![b(u64::MAX, u64::MAX, u64::MAX, h(0xff)), b(0, 0, 0, h(0))],
        vec![
            b(10, 100, 5, h(1)),
            b(11, 102, 5, h(1)),
            b(11, 101, 5, h(2)),      // same number, time going back, new hash
            b(9, 101, 7, h(2)),       // number going back, origin jump, same hash
            b(12, u64::MAX, 3, h(3)), // origin going back
            b(12, 0, 3, h(3)),
        ],
    ];
    for blocks in cases {
        let span = encode_span(&blocks, L2_CHAIN_ID);
        assert_eq!(decode_span(&span, L2_CHAIN_ID).unwrap(), blocks);
    }
    assert_eq!(encode_span(&[], L2_CHAIN_ID), [0]);
}

/// A signed EIP-1559 call (or creation) with `input`, `nonce` distinguishing equal ones.
fn call(to: TxKind, input: Vec<u8>, nonce: u64) -> Bytes {
    let tx = TxEip1559 {
        chain_id: L2_CHAIN_ID,
        nonce,
        gas_limit: 100_000,
        max_fee_per_gas: 1_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to,
        value: U256::ZERO,
        access_list: AccessList::default(),
        input: input.into(),
    };
    sign(tx, &key(5))
}

/// ABI calldata: `selector` followed by `words`.
fn abi(selector: u32, words: &[U256]) -> Vec<u8> {
    let words = words.iter().flat_map(|w| w.to_be_bytes::<32>());
    selector.to_be_bytes().into_iter().chain(words).collect()
}

/// The span batch of `blocks` with its transaction columns edited by `edit`.
fn edited(blocks: &[BatchBlock], edit: impl FnOnce(&mut Columns)) -> Vec<u8> {
    let span = encode_span(blocks, L2_CHAIN_ID);
    let txs: Vec<&Bytes> = blocks.iter().flat_map(|b| &b.transactions).collect();
    let mut columns = Columns(tx_columns(&txs, L2_CHAIN_ID));
    let tx_bytes: usize = columns.0.iter().map(|(_, c)| c.len()).sum();
    let mut out = span[..span.len() - tx_bytes].to_vec();
    edit(&mut columns);
    out.extend(columns.0.into_iter().flat_map(|(_, c)| c));
    out
}

struct Columns(Vec<(&'static str, Vec<u8>)>);

impl Columns {
    fn get(&mut self, name: &str) -> &mut Vec<u8> {
        &mut self.0.iter_mut().find(|(n, _)| *n == name).unwrap().1
    }
}

#[test]
fn abi_calldata_round_trips() {
    let word = |hex: &str| U256::from_str_radix(hex, 16).unwrap();
    let pow2 = |bits| U256::from(1) << bits;
    let boundaries = [
        U256::ZERO,
        U256::from(1),
        pow2(128) - U256::from(1),
        pow2(128),
        pow2(160) - U256::from(1),
        pow2(160),
        U256::MAX,
        word("ab00000000000000000000000000000000000000"),
        word("00000000ab000000000000000000000000000001"),
        U256::from(5) * U256::from(10).pow(U256::from(37)),
    ];
    assert_eq!(
        Shape::of(&abi(7, &boundaries)).kinds,
        [
            WORD_ZERO,
            WORD_NUMBER,
            WORD_NUMBER,
            WORD_ADDRESS,
            WORD_ADDRESS,
            WORD_RAW,
            WORD_RAW,
            WORD_ADDRESS,
            WORD_NUMBER,
            WORD_NUMBER
        ]
    );
    let token = TxKind::Call(Address::repeat_byte(0x70));
    let recipient = word("1234567890123456789012345678901234567890");
    let transfer = |to, amount: u64, nonce| {
        call(to, abi(0xa905_9cbb, &[recipient, U256::from(amount)]), nonce)
    };
    let txs = vec![
        transfer(token, 5_000, 0),
        call(token, vec![1, 2, 3, 4, 5], 1),
        call(token, abi(7, &boundaries), 2),
        transfer(TxKind::Call(Address::repeat_byte(0x71)), 0, 3),
        call(TxKind::Create, abi(1, &[U256::from(1)]), 4),
        call(token, abi(0xdead_beef, &[]), 5),
        call(token, Vec::new(), 6),
        call(token, abi(0xa905_9cbb, &[recipient]), 7),
        transfer(token, 1, 8),
        call(token, abi(7, &boundaries[1..]), 9),
    ];
    let blocks = vec![block(1, txs[..4].to_vec()), block(2, vec![]), block(3, txs[4..].to_vec())];
    let span = encode_span(&blocks, L2_CHAIN_ID);
    assert_eq!(decode_span(&span, L2_CHAIN_ID).unwrap(), blocks);

    let raw_txs: Vec<&Bytes> = txs.iter().collect();
    let mut columns = Columns(tx_columns(&raw_txs, L2_CHAIN_ID));
    // Shapes: transfer(address, uint256), the boundaries, transfer(address, 0), the
    // selector alone, transfer(address), the boundaries without the first word; the
    // creation's init code is raw calldata.
    assert_eq!(*columns.get("calldata_shapes"), [1, 0, 2, 3, 0, 4, 0, 5, 1, 6]);
    // Grouped order: raw calldata first, then shape by shape, in block order within each.
    assert_eq!(*columns.get("calldata_lengths"), [5, 36, 0]);
    // The recipients (the creation has none): the token, 0x71...; then the address
    // words: the transfers' recipient (twice), three boundaries, the recipient again
    // (transfer of 0, transfer(address)), the boundaries again.
    assert_eq!(*columns.get("to_refs"), [0, 1, 1, 1, 1, 0, 1, 1, 1]);
    assert_eq!(*columns.get("word_refs"), [0, 3, 0, 0, 0, 3, 3, 4, 5, 6]);
    assert_eq!(columns.get("addresses").len(), 20 * 6);
    let raw_words = [pow2(160), U256::MAX, pow2(160), U256::MAX];
    assert_eq!(*columns.get("raw_words"), raw_words.map(|w| w.to_be_bytes::<32>()).concat());
}

#[test]
fn rejects_non_canonical_columns() {
    let token = TxKind::Call(Address::repeat_byte(0x70));
    let recipient = U256::from_be_slice(&[0x12; 20]);
    let transfer =
        |amount: u64, nonce| call(token, abi(0xa905_9cbb, &[recipient, U256::from(amount)]), nonce);
    let one = vec![block(1, vec![transfer(5, 0)])];
    let span_err = |data: Vec<u8>, expected: &str| match decode_span(&data, L2_CHAIN_ID) {
        Err(BatchError::Span(reason)) => assert!(reason.contains(expected), "{reason}"),
        other => panic!("expected a span error {expected:?}, got {other:?}"),
    };
    assert_eq!(decode_span(&edited(&one, |_| {}), L2_CHAIN_ID).unwrap(), one);

    // ABI calldata stored raw (words and the recipient's address removed).
    let input = abi(0xa905_9cbb, &[recipient, U256::from(5)]);
    let raw = edited(&one, |c| {
        *c.get("calldata_shapes") = vec![0];
        c.get("shapes").clear();
        *c.get("calldata_lengths") = vec![68];
        *c.get("calldata") = input;
        for column in ["word_refs", "number_headers", "number_leads"] {
            c.get(column).clear();
        }
        c.get("addresses").truncate(20);
    });
    span_err(raw, "calldata_lengths: ABI calldata stored raw");
    // The same shape twice in the table.
    let two = vec![block(1, vec![transfer(5, 0), transfer(7, 1)])];
    let twice = edited(&two, |c| {
        *c.get("calldata_shapes") = vec![1, 2];
        let shapes = c.get("shapes");
        shapes.extend_from_slice(&shapes.clone());
    });
    span_err(twice, "shapes: duplicate shape");
    span_err(edited(&one, |c| c.get("shapes")[6] = 4), "shapes: unknown word kind");
    // A contract creation with an ABI shape.
    let create = vec![block(1, vec![call(TxKind::Create, abi(1, &[U256::from(1)]), 0)])];
    let create = edited(&create, |c| {
        *c.get("calldata_shapes") = vec![1];
        *c.get("shapes") = vec![0, 0, 0, 1, 1, WORD_NUMBER];
    });
    span_err(create, "contract creation with an ABI shape");
    // Number words must be in 1..2^128: 0, then 4 * 10^38 (header 38 * 33 + 1 = 1255).
    let zero = edited(&one, |c| {
        *c.get("number_headers") = vec![0];
        c.get("number_leads").clear();
    });
    span_err(zero, "number word not in 1..2^128");
    let big = edited(&one, |c| {
        *c.get("number_headers") = vec![0xe7, 0x09];
        *c.get("number_leads") = vec![4];
    });
    span_err(big, "number word not in 1..2^128");
    // Address words must be in 2^128..2^160, raw words at least 2^160.
    let low = edited(&one, |c| c.get("addresses")[20..24].fill(0));
    span_err(low, "word_refs: address word below 2^128");
    let max = vec![block(1, vec![call(token, abi(1, &[U256::MAX]), 0)])];
    let low = edited(&max, |c| c.get("raw_words")[..12].fill(0));
    span_err(low, "raw_words: word below 2^160");
    // Each address stored once, referenced after it is stored.
    let twice = edited(&one, |c| {
        let addresses = c.get("addresses");
        let first = addresses[..20].to_vec();
        addresses[20..].copy_from_slice(&first);
    });
    span_err(twice, "stored twice");
    span_err(edited(&one, |c| c.get("word_refs")[0] = 2), "word_refs: reference 2 to an");
    // A nonce flagged as 128 or more must have a non-zero high part.
    let nonce = edited(&one, |c| {
        c.get("nonce_lows")[0] |= 0x80;
        *c.get("nonce_highs") = vec![0];
    });
    span_err(nonce, "nonce_highs: 0 out of range");
    // The high `s` flag on a signature whose `s` is below 2^255.
    let low = edited(&one, |c| {
        c.get("tx_types")[0] |= HIGH_S;
        *c.get("high_s_parity_bits") = vec![0];
        c.get("signatures")[32] &= 0x7f;
    });
    span_err(low, "tx_types: high s flag on an s below 2^255");
    // ABI calldata decoding to more than the channel limit: four transactions whose
    // shape has 100,000 zero words (3.2 MB each).
    let four: Vec<Bytes> = (0..4).map(|n| call(token, abi(1, &[U256::ZERO]), n)).collect();
    let bomb = edited(&[block(1, four)], |c| {
        let shapes = c.get("shapes");
        shapes.truncate(4);
        put_uvarint(shapes, 100_000u64);
        shapes.resize(shapes.len() + 100_000, WORD_ZERO);
    });
    span_err(bomb, "12800016 bytes of ABI calldata, more than 10000000");
}

fn reader(buf: &[u8]) -> Reader<'_> {
    Reader { buf }
}

#[test]
fn varints_and_values_are_canonical() {
    for v in [0u128, 1, 127, 128, 300, u64::MAX.into(), u128::MAX] {
        let mut out = Vec::new();
        put_uvarint(&mut out, v);
        assert_eq!(reader(&out).uvarint::<u128>("v").unwrap(), v);
        assert_eq!(reader(&out).uvarint::<u64>("v").ok(), u64::try_from(v).ok());
    }
    // Non-minimal, overflowing and truncated varints.
    let bad: [&[u8]; 5] = [
        &[0x80, 0x00],
        &[0xff; 10],
        &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
        &[0x80],
        &[],
    ];
    for bytes in bad {
        assert!(reader(bytes).uvarint::<u64>("v").is_err(), "{bytes:?}");
    }

    let values = [
        U256::ZERO,
        U256::from(1),
        U256::from(10),
        U256::from(1_234_500u64),
        U256::from(999_999_999_999_999u64),
        U256::from(10).pow(U256::from(77)),
        U256::MAX,
    ];
    let mut decimals = Decimals::default();
    for value in values {
        decimals.push(value);
    }
    let Decimals { headers, leads, tails } = decimals;
    // Headers `33 * exponent + length`: 0 for 0; 1 (10^0, 1 byte) for 1; 34 (10^1, 1
    // byte) for 10; 2 * 33 + 2 for 12345 * 10^2; ...
    assert_eq!(headers[..4], [0, 1, 34, 68]);
    assert_eq!(leads[..4], [1, 1, 0x30, 0x03]);
    assert_eq!(tails[..3], [0x39, 0x8d, 0x7e]);
    let columns = [headers.as_slice(), &leads, &tails].concat();
    let names = ["h", "l", "t"];
    let decoded = reader(&columns).decimals(values.len(), MAX_VALUE_EXPONENT, names).unwrap();
    assert_eq!(decoded, values);
    assert_eq!(decimal(U256::from(1_234_500u64)), (2, U256::from(12_345)));

    // One number: header, then lead and tail bytes.
    let one = |bytes: &[u8], max| reader(bytes).decimals(1, max, names).map(|v| v[0]);
    assert_eq!(one(&[3 * 33 + 1, 7], 77).unwrap(), U256::from(7_000));
    assert!(one(&[3 * 33 + 1, 7], 2).is_err(), "exponent above the maximum");
    assert!(one(&[33], 77).is_err(), "zero with an exponent");
    assert!(one(&[1, 10], 77).is_err(), "exponent not maximal");
    assert!(one(&[2, 0, 7], 77).is_err(), "leading zero byte");
    assert!(one(&[2, 7], 77).is_err(), "truncated tail");
    // 77 * 33 + 1 = 2542: the varint 0xee 0x13.
    assert_eq!(one(&[0xee, 0x13, 1], 77).unwrap(), U256::from(10).pow(U256::from(77)));
    assert!(one(&[0xee, 0x13, 2], 77).is_err(), "over 256 bits");
    let max = [[32].as_slice(), &[0xff; 32]].concat();
    assert!(one(&[[0xa0, 0].as_slice(), &max[1..]].concat(), 77).is_err(), "non-minimal");
    assert_eq!(one(&max, 77).unwrap(), U256::MAX);
}

#[test]
fn rejects_malformed_span_batches() {
    let k = key(3);
    let tx = |ty: u8| match ty {
        TYPE_EIP7702 => sign(
            TxEip7702 { chain_id: L2_CHAIN_ID, to: Address::repeat_byte(1), ..Default::default() },
            &k,
        ),
        _ => sign(
            TxEip1559 {
                chain_id: L2_CHAIN_ID,
                to: TxKind::Call(Address::repeat_byte(1)),
                ..Default::default()
            },
            &k,
        ),
    };
    let one = |ty| encode_span(&[block(0, vec![tx(ty)])], L2_CHAIN_ID);
    // Layout of one block 0 with one transaction: block count, number, timestamp (5
    // bytes), origin number, origin hash, tx count, opaque bits, calldata shape (raw),
    // then the other columns, from the transaction types.
    let valid = one(TYPE_EIP1559);
    assert_eq!(decode_span(&valid, L2_CHAIN_ID).unwrap(), vec![block(0, vec![tx(2)])]);
    const TYPES: usize = 1 + 1 + 5 + 1 + 32 + 1 + 1 + 1;
    assert_eq!(valid[TYPES - 1], 0);
    assert_eq!(valid[TYPES], TYPE_EIP1559);

    for len in 0..valid.len() {
        assert!(decode_span(&valid[..len], L2_CHAIN_ID).is_err(), "prefix {len}");
    }
    let mut trailing = valid.clone();
    trailing.push(0);
    assert_eq!(
        decode_span(&trailing, L2_CHAIN_ID),
        Err(BatchError::TrailingBytes { after: "span batch", count: 1 })
    );
    let span_err = |data: &[u8], expected: &str| match decode_span(data, L2_CHAIN_ID) {
        Err(BatchError::Span(reason)) => assert!(reason.contains(expected), "{reason}"),
        other => panic!("expected a span error {expected:?}, got {other:?}"),
    };
    for (ty, expected) in [
        (TYPE_EIP4844, "EIP-4844 transaction"),
        (5, "unknown transaction type 5"),
        (0x7e, "unknown transaction type 126"),
    ] {
        let mut bad = valid.clone();
        bad[TYPES] = ty;
        span_err(&bad, expected);
    }
    // A shape that is neither raw (0) nor the next new one (1).
    let mut bad = valid.clone();
    bad[TYPES - 1] = 2;
    span_err(&bad, "calldata_shapes: reference 2 to an unknown shape");
    // Padding of the contract creation bitfield.
    let mut bad = valid.clone();
    bad[TYPES + 1] |= 0x80;
    span_err(&bad, "contract_creation_bits: non-zero padding bits");
    // A reference to a recipient not seen yet.
    let mut bad = valid.clone();
    assert_eq!(bad[TYPES + 2], 0);
    bad[TYPES + 2] = 1;
    span_err(&bad, "to_refs: reference 1 to an unknown address");
    // A contract-creating EIP-7702 transaction.
    let mut bad = one(TYPE_EIP7702);
    assert_eq!(bad[TYPES], TYPE_EIP7702);
    bad[TYPES + 1] = 1;
    span_err(&bad, "contract-creating EIP-7702");
    // Counts larger than the input could hold, non-minimal varints.
    span_err(&[0xff, 0xff, 0x03], "block_count: 65535 elements cannot fit");
    let mut many_txs = valid;
    many_txs[TYPES - 3] = 0x7f;
    span_err(&many_txs, "tx_counts: 127 elements cannot fit");
    span_err(&[0x80, 0x00], "block_count: non-minimal varint");
    // An origin bit set although the origin did not change.
    let mut same_origin = vec![2, 0, 0, 0];
    same_origin.extend_from_slice(&[0; 32]);
    same_origin.extend_from_slice(&[0, 0, 0x01, 0]);
    same_origin.extend_from_slice(&[0; 32]);
    same_origin.extend_from_slice(&[0, 0]);
    span_err(&same_origin, "origin bit of block 1 set, no change");
    same_origin[4 + 32 + 3] = 1; // origin number delta 1
    assert!(decode_span(&same_origin, L2_CHAIN_ID).is_ok());
    // Oversized input.
    assert_eq!(
        decode_span(&vec![0; MAX_CHANNEL_DECOMPRESSED_BYTES + 1], L2_CHAIN_ID),
        Err(BatchError::ChannelTooLarge { limit: MAX_CHANNEL_DECOMPRESSED_BYTES })
    );
}
