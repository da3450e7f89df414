//! Span batches: a columnar encoding of a run of L2 blocks (batch encoding 1).
//!
//! After the OP Stack Delta span batch spec ("Span Batch Format"), adapted to
//! [`BatchBlock`]: instead of one RLP batch per block, a channel of batch encoding 1 carries
//! one span batch whose block fields are stored as deltas and whose transactions are split
//! into columns (all nonces together, all signatures together, ...). Fields that are the same
//! in every transaction (the chain id, the RLP framing) are not stored at all, and the
//! remaining columns compress much better than interleaved RLP. The ECDSA signatures
//! (64 bytes each) are incompressible and dominate what is left.
//!
//! Differences from OP's span batches: every block keeps its own number and L1 origin (any
//! [`BatchBlock`] list round-trips, not only consecutive blocks whose origins advance by at
//! most one); the transactions are grouped by the shape of their calldata (see below) and
//! every column lists them in that order, so that each column holds like with like; each
//! distinct address (recipient or address argument) is stored once and then referenced by
//! index; max fees are stored as their excess over the priority fee, values and number
//! arguments in decimal (both repeat far more than the raw numbers); calldata of the ABI form
//! is split into its selector and arguments; the y parity is the top bit of `s` (EIP-2098),
//! which valid signatures leave free; transactions the columns cannot reproduce byte for byte
//! are carried verbatim ("opaque"); and there is no parent check or L1 origin check prefix
//! (derivation checks blocks itself).
//!
//! # ABI calldata
//!
//! Most calls carry a 4-byte selector followed by 32-byte words (the Solidity ABI with static
//! arguments). Such calldata is stored as its *shape*, the selector and the kind of each word
//! (each distinct shape once per span batch, then by index), and its words, argument by
//! argument, each in the column of its kind, which follows from the word's value alone:
//! zero (not stored at all), a number below 2^128 (decimal, as values), a zero-padded address
//! (a reference to the same table as recipients: an ERC-20 recipient or a swap's `to` costs
//! what a transfer's recipient does) or anything else (32 bytes). Other calldata, and the init
//! code of contract creations, is stored raw. Nothing is assumed about particular contracts.
//!
//! # How small: the floor
//!
//! What a channel has to carry per transaction, whatever the encoding, for the workloads of
//! `rollup bench fees` (EIP-1559 on chain 901 from 800 senders, recipients drawn from a Zipf
//! distribution, s = 1.1, over 2,000 addresses, 2,000 transactions per channel):
//! - the signature, 64 bytes: `r` (256 bits) and `s` (255 bits, as `s <= n / 2`, EIP-2) look
//!   uniformly random, and the y parity takes the last bit. Incompressible: 40% of a
//!   160-byte transaction;
//! - 20 bytes per distinct account address of the channel, hashes as incompressible as the
//!   signatures: 5.1 B per transaction for the ETH transfers (511 distinct recipients in
//!   2,000), 7.4 B for the mixed workload (740: the recipients, and the senders of the swaps,
//!   whose `to` argument is their own address, which the decoder cannot take from the
//!   signature: it recovers the sender from the hash of the very transaction it rebuilds);
//! - the random draws: a transfer of `k × 10^e` wei (k in 1..=9999, e in 10..=13, an amount
//!   as typed into a wallet) is log2(9999 × 4) = 15.3 bits = 1.9 B, an ERC-20 amount
//!   `k × 10^18` (k in 1..999) 10 bits, a swap amount 6.6 bits, the token 1 bit, the kind of
//!   a mixed transaction 1.5 bits;
//! - which known address is referenced again (the order-0 entropy of the reference stream,
//!   0.5 to 0.8 B) and the nonce (0.5 B);
//! - nothing for the gas limits, fees, types, contracts and selectors, given the kind.
//!
//! | bytes per transaction | raw | singular, brotli | span, brotli | floor |
//! |---|---|---|---|---|
//! | ETH transfers | 116.7 | 81.7 | 72.9 | 72.1 = 64 + 5.1 + 1.9 + 0.6 + 0.5 |
//! | ERC-20 transfers | 179.0 | 80.5 | 72.3 | 71.3 = 64 + 4.9 + 1.4 + 0.6 + 0.5 |
//! | swaps | 244.0 | 81.4 | 74.4 | 73.5 = 64 + 7.3 + 1.0 + 0.8 + 0.5 |
//! | mixed, 50/30/20 | 159.9 | 84.7 | 75.3 | 74.2 = 64 + 7.4 + 1.7 + 0.6 + 0.5 |
//!
//! (the test `benchmark_workloads_compress_close_to_their_floor` measures these and keeps the
//! span batches within 1.25 B of the floor). What is left above the floor is mostly brotli's:
//! it codes bytes with whole-bit prefix codes, each shared by several columns and paid for
//! with its code table, plus the block fields. The floor of the mixed workload is
//! 46% of its raw size: no lossless encoding of ECDSA-signed transactions gets to 35%
//! (56 B, less than the signature), only changing what is posted would (aggregate
//! signatures, validity proofs). Transfers among 100 accounts, whose recipients recur, come
//! to 74 B (`transfers_compress_close_to_the_ecdsa_floor`).
//!
//! The byte layout is documented on [`encode_span`].

use std::collections::{HashMap, HashSet};

use alloy_consensus::{Signed, TxEip1559, TxEip2930, TxEip7702, TxEnvelope, TxLegacy};
use alloy_eips::{
    eip2718::{Decodable2718, Encodable2718},
    eip2930::AccessList,
    eip7702::SignedAuthorization,
};
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256};
use alloy_rlp::{Decodable, Encodable};

use super::{BatchBlock, BatchError, MAX_CHANNEL_DECOMPRESSED_BYTES};

/// Maximum number of blocks in one span batch.
///
/// The most blocks a singular channel can carry: [`MAX_CHANNEL_DECOMPRESSED_BYTES`] divided
/// by 38 bytes, the RLP size of the smallest [`BatchBlock`]. A span batch therefore never
/// decodes into more blocks than a singular channel could (OP Delta bounds the span batch
/// element count the same way, "Span Batch Format": `MAX_SPAN_BATCH_ELEMENT_COUNT`).
pub const MAX_SPAN_BLOCKS: usize = MAX_CHANNEL_DECOMPRESSED_BYTES / 38;

/// Codes of the `tx_types` column: the EIP-2718 type bytes, plus [`HIGH_S`] for a signature
/// whose `s` is at least 2^255.
const TYPE_LEGACY: u8 = 0;
const TYPE_EIP2930: u8 = 1;
const TYPE_EIP1559: u8 = 2;
const TYPE_EIP4844: u8 = 3;
const TYPE_EIP7702: u8 = 4;
const HIGH_S: u8 = 0x80;

/// Fewest bytes one structured transaction occupies across the columns: calldata shape (1),
/// type (1), nonce (1), gas limit (1), one fee (1), value header (1), signature (64).
const MIN_STRUCTURED_TX_BYTES: usize = 70;

/// Largest decimal exponent of a value: `10^77 < 2^256 < 10^78`.
const MAX_VALUE_EXPONENT: u8 = 77;

/// Largest decimal exponent of a number word of ABI calldata: `10^38 < 2^128 < 10^39`.
const MAX_NUMBER_EXPONENT: u8 = 38;

/// Encodes blocks as a span batch, uncompressed (the payload of a channel of batch encoding
/// 1, "Span Batch Format" of the OP Stack Delta spec, adapted as described below).
///
/// # Layout
///
/// All integers are unsigned LEB128 varints (`uvarint`, as Go's `binary.PutUvarint`, which
/// OP uses) in their minimal form; "bits" are bitfields of `ceil(n / 8)` bytes, bit `i` in
/// byte `i / 8` at position `i % 8` (least significant first), unused high bits zero. `n` is
/// the block count and `t` the total transaction count.
///
/// | field | size | content |
/// |---|---|---|
/// | `block_count` | uvarint | `n`, at most [`MAX_SPAN_BLOCKS`]; nothing follows if 0 but the (empty) transaction section |
/// | `first_number` | uvarint | number of the first block |
/// | `first_timestamp` | uvarint | timestamp of the first block, in unix seconds |
/// | `first_origin_number` | uvarint | L1 origin number of the first block |
/// | `first_origin_hash` | 32 bytes | L1 origin hash of the first block |
/// | `number_deltas` | `n - 1` uvarints | `number[i] - number[i-1] - 1` (wrapping `u64`), 0 for consecutive blocks |
/// | `timestamp_deltas` | `n - 1` uvarints | `timestamp[i] - timestamp[i-1]` (wrapping `u64`), in seconds |
/// | `origin_bits` | `n - 1` bits | bit `i - 1` set iff block `i`'s L1 origin (number or hash) differs from block `i - 1`'s |
/// | `origin_number_deltas` | one uvarint per set bit | `origin_number[i] - origin_number[i-1]` (wrapping `u64`) |
/// | `origin_hashes` | 32 bytes per set bit | the new L1 origin hash; with `first_origin_hash`, the hash of every L1 origin in order, the last one last |
/// | `tx_counts` | `n` uvarints | transactions per block |
/// | `opaque_bits` | `t` bits | set iff the transaction is stored verbatim |
/// | `opaque_lengths`, `opaque_txs` | uvarint + bytes per opaque tx | the raw EIP-2718 bytes |
///
/// followed by the columns of the `m` other ("structured") transactions. The first lists
/// them in block order, all the others in *grouped order*: sorted by calldata shape, raw
/// calldata first, then shape 1, shape 2, ..., in block order within each group (the decoder
/// derives the permutation from `calldata_shapes`). `w` is a 32-byte word of ABI calldata
/// read as a big-endian integer.
///
/// | column | size | content |
/// |---|---|---|
/// | `calldata_shapes` | `m` uvarints, block order | 0: raw calldata; `k >= 1`: ABI calldata of the `k`-th entry of `shapes`, where `k` is at most one more than the number of entries introduced before it, and that introduces the next entry. A call (not a contract creation) has ABI calldata iff its calldata is 4 bytes followed by a multiple of 32 |
/// | `shapes` | per entry: 4 bytes, uvarint, one byte per word | selector, word count, and kind of each word, from `w`: 0 zero (`w = 0`), 1 number (`0 < w < 2^128`), 2 address (`2^128 <= w < 2^160`), 3 raw (`w >= 2^160`); entries distinct |
/// | `tx_types` | `m` bytes | EIP-2718 type: 0 legacy, 1 EIP-2930, 2 EIP-1559, 4 EIP-7702 (never 3: EIP-4844 transactions cannot be in L2 batches), plus 128 iff the signature's `s` is at least 2^255 (never for valid signatures, `s <= n / 2` since EIP-2) |
/// | `protected_bits` | one bit per legacy tx | set iff EIP-155 protected (`v = 35 + 2 * chain_id + y_parity`), else `v = 27 + y_parity` |
/// | `contract_creation_bits` | `m` bits | set iff the tx creates a contract (no `to`); never set for EIP-7702 or ABI calldata |
/// | `to_refs` | uvarint per call | recipient: 0 for the next address of `addresses`, `k >= 1` for its `k`-th address, introduced by an earlier reference |
/// | `nonce_lows` | `m` bytes | `nonce % 128`, plus 128 iff `nonce >= 128` |
/// | `nonce_highs` | uvarint per nonce `>= 128` | `nonce >> 7` (so at least 1) |
/// | `gas_limits` | `m` uvarints | gas limits, in gas |
/// | `gas_prices` | uvarint per legacy / EIP-2930 tx | gas price, in wei per gas |
/// | `max_priority_fees` | uvarint per EIP-1559 / EIP-7702 tx | max priority fee, in wei per gas |
/// | `max_fee_excesses` | uvarint per EIP-1559 / EIP-7702 tx | `max_fee - max_priority_fee` (wrapping `u128`), in wei per gas; wallets set `max_fee = 2 * base_fee + tip`, so this repeats within a block |
/// | `value_headers` | `m` uvarints | `33 * e + len` for the value in wei `mantissa * 10^e`, `e` maximal (the mantissa is not a multiple of 10; `e = 0` for 0) and at most 77, `len` the length of the mantissa in bytes, big-endian without leading zeros (0 for 0) |
/// | `value_leads` | 1 byte per non-zero value | the first byte of the mantissa (non-zero) |
/// | `value_tails` | `len - 1` bytes per non-zero value | the other bytes of the mantissa |
/// | `calldata_lengths`, `calldata` | uvarint per tx with raw calldata, then the bytes | raw calldata |
/// | `word_refs` | uvarint per address word | as `to_refs`, numbering on from them: the address `w` |
/// | `number_headers`, `number_leads`, `number_tails` | as the value columns, per number word | `w` in decimal, as values, with `e` at most 38 |
/// | `raw_words` | 32 bytes per raw word | `w` |
/// | `access_lists` | RLP per typed tx | EIP-2930 access list (`0xc0` when empty) |
/// | `authorization_lists` | RLP per EIP-7702 tx | signed authorization list |
/// | `addresses` | 20 bytes per reference 0 | the distinct addresses, in order of first reference (`to_refs`, then `word_refs`) |
/// | `high_s_parity_bits` | one bit per tx of type `>= 128` | signature y parity |
/// | `signatures` | 64 bytes per tx | `r`, then `s`, 32 bytes big-endian each, with the y parity in the top bit of `s` (EIP-2098 `yParityAndS`) unless the type is `>= 128` |
///
/// The words of ABI calldata (`word_refs`, number and raw word columns; zero words are not
/// stored) are listed group by group, argument by argument (the first word of every
/// transaction of the group, then the second, ...), transaction by transaction.
///
/// Nothing may follow the last column. Sender addresses are never stored: they are
/// recovered from the signatures, as for singular batches.
///
/// # Chain id and opaque transactions
///
/// `chain_id` is the L2 chain id (901, [`L2_CHAIN_ID`](crate::L2_CHAIN_ID), in the channel
/// functions without a `chain_id` argument). Typed and EIP-155 legacy transactions of that
/// chain are stored without it and [`decode_span`] puts back the chain id it is given, so
/// both must agree. Transactions of any other chain, and anything that is not a canonically
/// encoded, signed legacy / EIP-2930 / EIP-1559 / EIP-7702 transaction (garbage, unknown
/// types, EIP-4844 transactions, which cannot be in L2 batches and never get a column), are
/// stored verbatim. The
/// encoder rebuilds every structured transaction from its columns and checks that it
/// re-encodes to exactly the input bytes, storing it verbatim otherwise, so a span batch
/// always decodes to exactly the blocks it was built from.
///
/// # Limits
///
/// The caller (batcher) must keep the result within [`MAX_CHANNEL_DECOMPRESSED_BYTES`],
/// `blocks` within [`MAX_SPAN_BLOCKS`] and their ABI calldata within
/// [`MAX_CHANNEL_DECOMPRESSED_BYTES`] bytes in total (as the singular encoding of the same
/// blocks would be), or [`decode_span`] rejects it.
pub fn encode_span(blocks: &[BatchBlock], chain_id: u64) -> Vec<u8> {
    let mut out = Vec::new();
    put_uvarint(&mut out, blocks.len() as u64);
    if let Some(first) = blocks.first() {
        put_uvarint(&mut out, first.number);
        put_uvarint(&mut out, first.timestamp);
        put_uvarint(&mut out, first.l1_origin_number);
        out.extend_from_slice(first.l1_origin_hash.as_slice());
        for pair in blocks.windows(2) {
            put_uvarint(&mut out, pair[1].number.wrapping_sub(pair[0].number).wrapping_sub(1));
        }
        for pair in blocks.windows(2) {
            put_uvarint(&mut out, pair[1].timestamp.wrapping_sub(pair[0].timestamp));
        }
        let changed = |pair: &[BatchBlock]| {
            pair[1].l1_origin_number != pair[0].l1_origin_number
                || pair[1].l1_origin_hash != pair[0].l1_origin_hash
        };
        put_bits(&mut out, blocks.windows(2).map(changed));
        for pair in blocks.windows(2).filter(|p| changed(p)) {
            put_uvarint(&mut out, pair[1].l1_origin_number.wrapping_sub(pair[0].l1_origin_number));
        }
        for pair in blocks.windows(2).filter(|p| changed(p)) {
            out.extend_from_slice(pair[1].l1_origin_hash.as_slice());
        }
        for block in blocks {
            put_uvarint(&mut out, block.transactions.len() as u64);
        }
    }
    let txs: Vec<&Bytes> = blocks.iter().flat_map(|b| &b.transactions).collect();
    encode_txs(&txs, chain_id, &mut out);
    out
}

/// Decodes a span batch produced by [`encode_span`] with the same `chain_id`.
///
/// Every count and length is checked against the remaining input before anything is
/// allocated for it, so memory stays proportional to `data.len()`, which may be at most
/// [`MAX_CHANNEL_DECOMPRESSED_BYTES`], except for the ABI calldata it rebuilds (zero words
/// take no input), which is checked to be at most [`MAX_CHANNEL_DECOMPRESSED_BYTES`] bytes in
/// total first. The encoding is canonical: varints must be minimal, bitfield padding zero,
/// decimal exponents maximal, every word in the column of its kind, shapes and addresses
/// stored once and calldata of the ABI form never raw, the input consumed exactly.
///
/// # Errors
///
/// [`BatchError::ChannelTooLarge`] if `data` exceeds [`MAX_CHANNEL_DECOMPRESSED_BYTES`],
/// [`BatchError::Truncated`] if a column ends early, [`BatchError::TrailingBytes`] if bytes
/// follow the last column, [`BatchError::Span`] for any other malformation (too many blocks
/// or transactions, non-minimal or overflowing varints, non-zero padding bits, an unknown or
/// EIP-4844 transaction type, a contract-creating EIP-7702 transaction, an invalid access
/// or authorization list, a value overflowing 256 bits, a reference to an unknown shape or
/// address, a shape or address stored twice, an unknown word kind, a word not of its kind,
/// ABI calldata stored raw or decoding to too many bytes, a high `s` flag on a low `s`).
pub fn decode_span(data: &[u8], chain_id: u64) -> Result<Vec<BatchBlock>, BatchError> {
    if data.len() > MAX_CHANNEL_DECOMPRESSED_BYTES {
        return Err(BatchError::ChannelTooLarge { limit: MAX_CHANNEL_DECOMPRESSED_BYTES });
    }
    let mut r = Reader { buf: data };
    let count = r.uvarint("block_count")?;
    // Each block takes at least one byte (its transaction count).
    let count = r.count(count, 1, "block_count")?;
    if count > MAX_SPAN_BLOCKS {
        return Err(span_error(format!("{count} blocks, more than {MAX_SPAN_BLOCKS}")));
    }
    let mut blocks = Vec::with_capacity(count);
    if count > 0 {
        let number = r.uvarint("first_number")?;
        let timestamp = r.uvarint("first_timestamp")?;
        let l1_origin_number = r.uvarint("first_origin_number")?;
        let l1_origin_hash = B256::from(r.array::<32>("first_origin_hash")?);
        blocks.push(BatchBlock {
            number,
            timestamp,
            l1_origin_number,
            l1_origin_hash,
            transactions: Vec::new(),
        });
        for _ in 1..count {
            let delta = r.uvarint("number_deltas")?;
            let prev = blocks.last().map_or(0, |b| b.number);
            blocks.push(BatchBlock {
                number: prev.wrapping_add(delta).wrapping_add(1),
                timestamp: 0,
                l1_origin_number: 0,
                l1_origin_hash: B256::ZERO,
                transactions: Vec::new(),
            });
        }
        for i in 1..count {
            let delta = r.uvarint("timestamp_deltas")?;
            blocks[i].timestamp = blocks[i - 1].timestamp.wrapping_add(delta);
        }
        let changed = r.bits(count - 1, "origin_bits")?;
        let changes = changed.iter().filter(|c| **c).count();
        let mut deltas = Vec::with_capacity(changes);
        for _ in 0..changes {
            deltas.push(r.uvarint("origin_number_deltas")?);
        }
        let mut deltas = deltas.into_iter();
        for i in 1..count {
            let prev = &blocks[i - 1];
            let (mut number, mut hash) = (prev.l1_origin_number, prev.l1_origin_hash);
            if changed[i - 1] {
                let delta = deltas.next().unwrap_or_default();
                let new_hash = B256::from(r.array::<32>("origin_hashes")?);
                if delta == 0 && new_hash == hash {
                    return Err(span_error(format!("origin bit of block {i} set, no change")));
                }
                (number, hash) = (number.wrapping_add(delta), new_hash);
            }
            blocks[i].l1_origin_number = number;
            blocks[i].l1_origin_hash = hash;
        }
    }
    let mut counts = Vec::with_capacity(count);
    let mut total: u64 = 0;
    for _ in 0..count {
        let n = r.uvarint("tx_counts")?;
        total = total.checked_add(n).ok_or_else(|| span_error("tx_counts: overflow"))?;
        counts.push(n);
    }
    // Each transaction takes at least one byte (its type or its opaque length).
    let total = r.count(total, 1, "tx_counts")?;
    let mut txs = decode_txs(&mut r, total, chain_id)?.into_iter();
    if !r.buf.is_empty() {
        return Err(BatchError::TrailingBytes { after: "span batch", count: r.buf.len() });
    }
    for (block, n) in blocks.iter_mut().zip(counts) {
        // `n <= total`, which fits in a `usize`.
        block.transactions = txs.by_ref().take(n as usize).collect();
    }
    Ok(blocks)
}

/// A transaction in columnar form: every field of its EIP-2718 encoding but the chain id.
#[derive(Debug, Clone)]
struct SpanTx {
    ty: u8,
    /// Legacy only: EIP-155 protected.
    protected: bool,
    nonce: u64,
    gas_limit: u64,
    /// Legacy and EIP-2930: gas price; EIP-1559 and EIP-7702: max fee per gas.
    gas_price: u128,
    /// EIP-1559 and EIP-7702 only.
    max_priority_fee: u128,
    to: TxKind,
    value: U256,
    input: Bytes,
    access_list: AccessList,
    authorization_list: Vec<SignedAuthorization>,
    signature: Signature,
}

impl SpanTx {
    /// The columnar form of `raw`, if the columns reproduce it byte for byte.
    fn from_raw(raw: &[u8], chain_id: u64) -> Option<Self> {
        let mut buf = raw;
        let envelope = TxEnvelope::decode_2718(&mut buf).ok()?;
        if !buf.is_empty() {
            return None;
        }
        let tx = Self::from_envelope(envelope, chain_id)?;
        (tx.clone().into_envelope(chain_id).encoded_2718() == raw).then_some(tx)
    }

    /// A transaction of type `ty` with every field zero or empty.
    fn empty(ty: u8, signature: Signature) -> Self {
        Self {
            ty,
            protected: false,
            nonce: 0,
            gas_limit: 0,
            gas_price: 0,
            max_priority_fee: 0,
            to: TxKind::Create,
            value: U256::ZERO,
            input: Bytes::new(),
            access_list: AccessList::default(),
            authorization_list: Vec::new(),
            signature,
        }
    }

    fn from_envelope(envelope: TxEnvelope, chain_id: u64) -> Option<Self> {
        let base = Self::empty;
        Some(match envelope {
            TxEnvelope::Legacy(signed) => {
                let (tx, signature, _) = signed.into_parts();
                if tx.chain_id.is_some_and(|id| id != chain_id) {
                    return None;
                }
                Self {
                    protected: tx.chain_id.is_some(),
                    nonce: tx.nonce,
                    gas_limit: tx.gas_limit,
                    gas_price: tx.gas_price,
                    to: tx.to,
                    value: tx.value,
                    input: tx.input,
                    ..base(TYPE_LEGACY, signature)
                }
            }
            TxEnvelope::Eip2930(signed) => {
                let (tx, signature, _) = signed.into_parts();
                if tx.chain_id != chain_id {
                    return None;
                }
                Self {
                    nonce: tx.nonce,
                    gas_limit: tx.gas_limit,
                    gas_price: tx.gas_price,
                    to: tx.to,
                    value: tx.value,
                    input: tx.input,
                    access_list: tx.access_list,
                    ..base(TYPE_EIP2930, signature)
                }
            }
            TxEnvelope::Eip1559(signed) => {
                let (tx, signature, _) = signed.into_parts();
                if tx.chain_id != chain_id {
                    return None;
                }
                Self {
                    nonce: tx.nonce,
                    gas_limit: tx.gas_limit,
                    gas_price: tx.max_fee_per_gas,
                    max_priority_fee: tx.max_priority_fee_per_gas,
                    to: tx.to,
                    value: tx.value,
                    input: tx.input,
                    access_list: tx.access_list,
                    ..base(TYPE_EIP1559, signature)
                }
            }
            TxEnvelope::Eip7702(signed) => {
                let (tx, signature, _) = signed.into_parts();
                if tx.chain_id != chain_id {
                    return None;
                }
                Self {
                    nonce: tx.nonce,
                    gas_limit: tx.gas_limit,
                    gas_price: tx.max_fee_per_gas,
                    max_priority_fee: tx.max_priority_fee_per_gas,
                    to: TxKind::Call(tx.to),
                    value: tx.value,
                    input: tx.input,
                    access_list: tx.access_list,
                    authorization_list: tx.authorization_list,
                    ..base(TYPE_EIP7702, signature)
                }
            }
            // EIP-4844 transactions cannot be in L2 batches: never stored in columns.
            TxEnvelope::Eip4844(_) => return None,
        })
    }

    /// Rebuilds the signed transaction. Decoding checked that `ty` is one of the four
    /// supported types and that EIP-7702 transactions have a recipient.
    fn into_envelope(self, chain_id: u64) -> TxEnvelope {
        let Self {
            ty,
            protected,
            nonce,
            gas_limit,
            gas_price,
            max_priority_fee,
            to,
            value,
            input,
            access_list,
            authorization_list,
            signature,
        } = self;
        match ty {
            TYPE_EIP2930 => TxEnvelope::Eip2930(Signed::new_unhashed(
                TxEip2930 { chain_id, nonce, gas_price, gas_limit, to, value, access_list, input },
                signature,
            )),
            TYPE_EIP1559 => TxEnvelope::Eip1559(Signed::new_unhashed(
                TxEip1559 {
                    chain_id,
                    nonce,
                    gas_limit,
                    max_fee_per_gas: gas_price,
                    max_priority_fee_per_gas: max_priority_fee,
                    to,
                    value,
                    access_list,
                    input,
                },
                signature,
            )),
            TYPE_EIP7702 => TxEnvelope::Eip7702(Signed::new_unhashed(
                TxEip7702 {
                    chain_id,
                    nonce,
                    gas_limit,
                    max_fee_per_gas: gas_price,
                    max_priority_fee_per_gas: max_priority_fee,
                    to: to.to().copied().unwrap_or(Address::ZERO),
                    value,
                    access_list,
                    authorization_list,
                    input,
                },
                signature,
            )),
            _ => TxEnvelope::Legacy(Signed::new_unhashed(
                TxLegacy {
                    chain_id: protected.then_some(chain_id),
                    nonce,
                    gas_price,
                    gas_limit,
                    to,
                    value,
                    input,
                },
                signature,
            )),
        }
    }

    const fn has_gas_price(&self) -> bool {
        matches!(self.ty, TYPE_LEGACY | TYPE_EIP2930)
    }

    /// Whether `s` is at least 2^255, which no valid signature's is (`s <= n / 2`, EIP-2):
    /// the top bit of `s` then cannot hold the y parity.
    fn high_s(&self) -> bool {
        self.signature.s().bit(255)
    }

    const fn has_access_list(&self) -> bool {
        self.ty != TYPE_LEGACY
    }
}

/// Kinds of the 32-byte words of ABI calldata, by the word's value `w` (see [`word_kind`]).
/// `w = 0`: nothing stored.
const WORD_ZERO: u8 = 0;
/// `0 < w < 2^128`: a number, stored in decimal as values are.
const WORD_NUMBER: u8 = 1;
/// `2^128 <= w < 2^160`: a zero-padded address, stored as a reference to the address table.
const WORD_ADDRESS: u8 = 2;
/// `w >= 2^160`: stored as is.
const WORD_RAW: u8 = 3;

/// The kind of a 32-byte ABI word.
fn word_kind(word: &[u8]) -> u8 {
    let nonzero = |bytes: &[u8]| bytes.iter().any(|b| *b != 0);
    if nonzero(&word[..12]) {
        WORD_RAW
    } else if nonzero(&word[12..16]) {
        WORD_ADDRESS
    } else if nonzero(&word[16..]) {
        WORD_NUMBER
    } else {
        WORD_ZERO
    }
}

/// Whether the calldata of a call (not a contract creation, whose input is init code) of
/// `input_len` bytes has the ABI form, a 4-byte selector followed by 32-byte words, and so is
/// stored as a [`Shape`] and words rather than raw.
const fn is_abi(create: bool, input_len: usize) -> bool {
    !create && input_len >= 4 && (input_len - 4).is_multiple_of(32)
}

/// The shape of ABI calldata: its selector and the kinds of its words.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Shape {
    selector: [u8; 4],
    kinds: Vec<u8>,
}

impl Shape {
    /// The shape of calldata of the ABI form.
    fn of(input: &[u8]) -> Self {
        let mut selector = [0; 4];
        selector.copy_from_slice(&input[..4]);
        Self { selector, kinds: input[4..].chunks(32).map(word_kind).collect() }
    }

    /// Length of the calldata, in bytes.
    fn len(&self) -> usize {
        self.kinds.len().saturating_mul(32).saturating_add(4)
    }

    /// Number of words of `kind`.
    fn count(&self, kind: u8) -> usize {
        self.kinds.iter().filter(|k| **k == kind).count()
    }
}

/// Distinct addresses (recipients and address words) in order of first reference.
#[derive(Default)]
struct AddressTable {
    index: HashMap<Address, u64>,
    /// The `addresses` column.
    new: Vec<u8>,
}

impl AddressTable {
    /// Appends the reference to `address` to `refs`: 0 for a new one, else its 1-based index.
    fn refer(&mut self, address: Address, refs: &mut Vec<u8>) {
        let next = self.index.len() as u64 + 1;
        let index = *self.index.entry(address).or_insert(next);
        if index == next {
            self.new.extend_from_slice(address.as_slice());
            put_uvarint(refs, 0u64);
        } else {
            put_uvarint(refs, index);
        }
    }
}

/// Numbers in decimal, in three columns: `headers`, `leads` and `tails` (see
/// [`encode_span`], `value_headers`).
#[derive(Default)]
struct Decimals {
    headers: Vec<u8>,
    leads: Vec<u8>,
    tails: Vec<u8>,
}

impl Decimals {
    fn push(&mut self, value: U256) {
        let (exponent, mantissa) = decimal(value);
        let bytes = mantissa.to_be_bytes_trimmed_vec();
        put_uvarint(&mut self.headers, 33 * u64::from(exponent) + bytes.len() as u64);
        if let Some((lead, tail)) = bytes.split_first() {
            self.leads.push(*lead);
            self.tails.extend_from_slice(tail);
        }
    }
}

fn encode_txs(txs: &[&Bytes], chain_id: u64, out: &mut Vec<u8>) {
    for (_, column) in tx_columns(txs, chain_id) {
        out.extend_from_slice(&column);
    }
}

/// The transaction section of a span batch, column by column, named as in the layout of
/// [`encode_span`].
fn tx_columns(txs: &[&Bytes], chain_id: u64) -> Vec<(&'static str, Vec<u8>)> {
    let parsed: Vec<Option<SpanTx>> =
        txs.iter().map(|raw| SpanTx::from_raw(raw, chain_id)).collect();
    let mut columns = Vec::new();
    let mut column = |name, bytes| columns.push((name, bytes));
    let mut bits = Vec::new();
    put_bits(&mut bits, parsed.iter().map(Option::is_none));
    column("opaque_bits", bits);
    let opaque = || txs.iter().zip(&parsed).filter(|(_, p)| p.is_none()).map(|(raw, _)| raw);
    let mut lengths = Vec::new();
    for raw in opaque() {
        put_uvarint(&mut lengths, raw.len() as u64);
    }
    column("opaque_lengths", lengths);
    column("opaque_txs", opaque().flat_map(|raw| raw.iter().copied()).collect());

    // Calldata shapes, in block order, then the transactions grouped by shape.
    let mut shapes: Vec<Shape> = Vec::new();
    let mut shape_index: HashMap<Shape, usize> = HashMap::new();
    let (mut shape_refs, mut shape_table) = (Vec::new(), Vec::new());
    let mut grouped: Vec<(usize, &SpanTx)> = Vec::new();
    for tx in parsed.iter().flatten() {
        let mut key = 0;
        if is_abi(tx.to.is_create(), tx.input.len()) {
            let shape = Shape::of(&tx.input);
            let next = shapes.len() + 1;
            key = *shape_index.entry(shape.clone()).or_insert(next);
            if key == next {
                shape_table.extend_from_slice(&shape.selector);
                put_uvarint(&mut shape_table, shape.kinds.len() as u64);
                shape_table.extend_from_slice(&shape.kinds);
                shapes.push(shape);
            }
        }
        put_uvarint(&mut shape_refs, key as u64);
        grouped.push((key, tx));
    }
    column("calldata_shapes", shape_refs);
    column("shapes", shape_table);
    // Stable: block order within each group.
    grouped.sort_by_key(|(key, _)| *key);
    let txs: Vec<&SpanTx> = grouped.iter().map(|(_, tx)| *tx).collect();

    column("tx_types", txs.iter().map(|tx| tx.ty | if tx.high_s() { HIGH_S } else { 0 }).collect());
    let mut bits = Vec::new();
    put_bits(&mut bits, txs.iter().filter(|tx| tx.ty == TYPE_LEGACY).map(|tx| tx.protected));
    column("protected_bits", bits);
    let mut bits = Vec::new();
    put_bits(&mut bits, txs.iter().map(|tx| tx.to.is_create()));
    column("contract_creation_bits", bits);
    let mut table = AddressTable::default();
    let mut to_refs = Vec::new();
    for to in txs.iter().filter_map(|tx| tx.to.to()) {
        table.refer(*to, &mut to_refs);
    }
    column("to_refs", to_refs);
    // Nonces: the low 7 bits, flagged if more follow, then the rest of the flagged ones.
    let (mut lows, mut highs, mut gas_limits) = (Vec::new(), Vec::new(), Vec::new());
    for tx in &txs {
        let high = tx.nonce >> 7;
        lows.push((tx.nonce & 0x7f) as u8 | if high > 0 { 0x80 } else { 0 });
        if high > 0 {
            put_uvarint(&mut highs, high);
        }
        put_uvarint(&mut gas_limits, tx.gas_limit);
    }
    column("nonce_lows", lows);
    column("nonce_highs", highs);
    column("gas_limits", gas_limits);
    let mut gas_prices = Vec::new();
    for tx in txs.iter().filter(|tx| tx.has_gas_price()) {
        put_uvarint(&mut gas_prices, tx.gas_price);
    }
    column("gas_prices", gas_prices);
    let (mut tips, mut excesses) = (Vec::new(), Vec::new());
    for tx in txs.iter().filter(|tx| !tx.has_gas_price()) {
        put_uvarint(&mut tips, tx.max_priority_fee);
        put_uvarint(&mut excesses, tx.gas_price.wrapping_sub(tx.max_priority_fee));
    }
    column("max_priority_fees", tips);
    column("max_fee_excesses", excesses);
    let mut values = Decimals::default();
    for tx in &txs {
        values.push(tx.value);
    }
    column("value_headers", values.headers);
    column("value_leads", values.leads);
    column("value_tails", values.tails);

    let (mut lengths, mut calldata) = (Vec::new(), Vec::new());
    for (_, tx) in grouped.iter().filter(|(key, _)| *key == 0) {
        put_uvarint(&mut lengths, tx.input.len() as u64);
        calldata.extend_from_slice(&tx.input);
    }
    column("calldata_lengths", lengths);
    column("calldata", calldata);
    // ABI words: group by group, argument by argument, transaction by transaction.
    let (mut word_refs, mut numbers, mut raw_words) = (Vec::new(), Decimals::default(), Vec::new());
    for group in grouped.chunk_by(|a, b| a.0 == b.0) {
        let Some(shape) = group[0].0.checked_sub(1).and_then(|i| shapes.get(i)) else {
            continue;
        };
        for (position, kind) in shape.kinds.iter().enumerate() {
            for (_, tx) in group {
                let word = &tx.input[4 + 32 * position..][..32];
                match *kind {
                    WORD_NUMBER => numbers.push(U256::from_be_slice(word)),
                    WORD_ADDRESS => table.refer(Address::from_slice(&word[12..]), &mut word_refs),
                    WORD_RAW => raw_words.extend_from_slice(word),
                    _ => {}
                }
            }
        }
    }
    column("word_refs", word_refs);
    column("number_headers", numbers.headers);
    column("number_leads", numbers.leads);
    column("number_tails", numbers.tails);
    column("raw_words", raw_words);
    let mut access_lists = Vec::new();
    for tx in txs.iter().filter(|tx| tx.has_access_list()) {
        tx.access_list.encode(&mut access_lists);
    }
    column("access_lists", access_lists);
    let mut authorization_lists = Vec::new();
    for tx in txs.iter().filter(|tx| tx.ty == TYPE_EIP7702) {
        tx.authorization_list.encode(&mut authorization_lists);
    }
    column("authorization_lists", authorization_lists);
    column("addresses", table.new);
    let mut bits = Vec::new();
    put_bits(&mut bits, txs.iter().filter(|tx| tx.high_s()).map(|tx| tx.signature.v()));
    column("high_s_parity_bits", bits);
    let mut signatures = Vec::with_capacity(64 * txs.len());
    for tx in &txs {
        signatures.extend_from_slice(&tx.signature.r().to_be_bytes::<32>());
        let mut s = tx.signature.s().to_be_bytes::<32>();
        if !tx.high_s() {
            // The top bit of `s` is free: it holds the y parity (EIP-2098).
            s[0] |= u8::from(tx.signature.v()) << 7;
        }
        signatures.extend_from_slice(&s);
    }
    column("signatures", signatures);
    columns
}

fn decode_txs(r: &mut Reader<'_>, total: usize, chain_id: u64) -> Result<Vec<Bytes>, BatchError> {
    let opaque = r.bits(total, "opaque_bits")?;
    let opaque_count = opaque.iter().filter(|o| **o).count();
    let mut lengths = Vec::with_capacity(opaque_count);
    let mut opaque_bytes: usize = 0;
    for _ in 0..opaque_count {
        let len = r.uvarint("opaque_lengths")?;
        let len = r.count(len, 1, "opaque_lengths")?;
        opaque_bytes = opaque_bytes.saturating_add(len);
        lengths.push(len);
    }
    r.check(opaque_bytes, "opaque_txs")?;
    let mut opaque_txs = Vec::with_capacity(opaque_count);
    for len in lengths {
        opaque_txs.push(Bytes::copy_from_slice(r.bytes(len, "opaque_txs")?));
    }

    let m = total - opaque_count;
    // Bound the columnar transactions by the input before allocating them.
    r.check(m.saturating_mul(MIN_STRUCTURED_TX_BYTES), "structured transactions")?;
    let mut keys = Vec::with_capacity(m);
    let mut shape_count = 0usize;
    for _ in 0..m {
        let key = r.uvarint::<u64>("calldata_shapes")?;
        if key > shape_count as u64 + 1 {
            return Err(span_error(format!(
                "calldata_shapes: reference {key} to an unknown shape"
            )));
        }
        shape_count += usize::from(key == shape_count as u64 + 1);
        // At most `m`.
        keys.push(key as usize);
    }
    // Each shape takes at least 5 bytes: its selector and word count.
    r.check(shape_count.saturating_mul(5), "shapes")?;
    let mut shapes = Vec::with_capacity(shape_count);
    let mut distinct = HashSet::with_capacity(shape_count);
    for _ in 0..shape_count {
        let selector = r.array::<4>("shapes")?;
        let words = r.uvarint("shapes")?;
        let words = r.count(words, 1, "shapes")?;
        let kinds = r.bytes(words, "shapes")?.to_vec();
        if kinds.iter().any(|k| *k > WORD_RAW) {
            return Err(span_error("shapes: unknown word kind"));
        }
        let shape = Shape { selector, kinds };
        if !distinct.insert(shape.clone()) {
            return Err(span_error("shapes: duplicate shape"));
        }
        shapes.push(shape);
    }
    drop(distinct);
    let shape_of = |key: usize| key.checked_sub(1).and_then(|i| shapes.get(i));
    // ABI calldata can be much larger than its columns (zero words take no bytes at all):
    // bound what it decodes to before allocating it.
    let abi_bytes = keys
        .iter()
        .filter_map(|key| shape_of(*key))
        .fold(0usize, |sum, shape| sum.saturating_add(shape.len()));
    if abi_bytes > MAX_CHANNEL_DECOMPRESSED_BYTES {
        return Err(span_error(format!(
            "calldata_shapes: {abi_bytes} bytes of ABI calldata, more than \
             {MAX_CHANNEL_DECOMPRESSED_BYTES}"
        )));
    }
    // Grouped order: `order[g]` is the block-order position of the `g`-th transaction of
    // the columns below (stable sort by shape).
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by_key(|i| keys[*i]);
    let keys: Vec<usize> = order.iter().map(|i| keys[*i]).collect();

    let types = r.bytes(m, "tx_types")?;
    let supported = [TYPE_LEGACY, TYPE_EIP2930, TYPE_EIP1559, TYPE_EIP7702];
    if let Some(bad) = types.iter().map(|t| t & !HIGH_S).find(|t| !supported.contains(t)) {
        return Err(span_error(match bad {
            TYPE_EIP4844 => "EIP-4844 transaction in an L2 batch".to_owned(),
            other => format!("unknown transaction type {other}"),
        }));
    }
    let high_s: Vec<bool> = types.iter().map(|t| t & HIGH_S != 0).collect();
    let no_signature = Signature::new(U256::ZERO, U256::ZERO, false);
    let mut txs: Vec<SpanTx> =
        types.iter().map(|&ty| SpanTx::empty(ty & !HIGH_S, no_signature)).collect();
    let types: Vec<u8> = txs.iter().map(|tx| tx.ty).collect();
    let legacy = types.iter().filter(|t| **t == TYPE_LEGACY).count();
    let mut protected = r.bits(legacy, "protected_bits")?.into_iter();
    for tx in txs.iter_mut().filter(|tx| tx.ty == TYPE_LEGACY) {
        tx.protected = protected.next().unwrap_or_default();
    }
    let creation = r.bits(m, "contract_creation_bits")?;
    let mut refs = Vec::with_capacity(m);
    for ((tx, create), key) in txs.iter().zip(&creation).zip(&keys) {
        if *create {
            if tx.ty == TYPE_EIP7702 {
                return Err(span_error("contract-creating EIP-7702 transaction"));
            }
            if *key != 0 {
                return Err(span_error("calldata_shapes: contract creation with an ABI shape"));
            }
        } else {
            refs.push(r.uvarint::<u64>("to_refs")?);
        }
    }
    let to_count = refs.len();
    let lows = r.bytes(m, "nonce_lows")?;
    for (tx, low) in txs.iter_mut().zip(lows) {
        tx.nonce = u64::from(low & 0x7f);
        if low & 0x80 != 0 {
            let high: u64 = r.uvarint("nonce_highs")?;
            if high == 0 || high > u64::MAX >> 7 {
                return Err(span_error(format!("nonce_highs: {high} out of range")));
            }
            tx.nonce |= high << 7;
        }
    }
    for tx in &mut txs {
        tx.gas_limit = r.uvarint("gas_limits")?;
    }
    for tx in txs.iter_mut().filter(|tx| tx.has_gas_price()) {
        tx.gas_price = r.uvarint("gas_prices")?;
    }
    for tx in txs.iter_mut().filter(|tx| !tx.has_gas_price()) {
        tx.max_priority_fee = r.uvarint("max_priority_fees")?;
    }
    for tx in txs.iter_mut().filter(|tx| !tx.has_gas_price()) {
        let excess: u128 = r.uvarint("max_fee_excesses")?;
        tx.gas_price = excess.wrapping_add(tx.max_priority_fee);
    }
    let values =
        r.decimals(m, MAX_VALUE_EXPONENT, ["value_headers", "value_leads", "value_tails"])?;
    for (tx, value) in txs.iter_mut().zip(values) {
        tx.value = value;
    }

    let raw = keys.iter().filter(|key| **key == 0).count();
    let mut input_lengths = Vec::with_capacity(raw);
    let mut input_bytes: usize = 0;
    // The raw calldata group comes first.
    for create in &creation[..raw] {
        let len = r.uvarint("calldata_lengths")?;
        let len = r.count(len, 1, "calldata_lengths")?;
        if is_abi(*create, len) {
            return Err(span_error("calldata_lengths: ABI calldata stored raw"));
        }
        input_bytes = input_bytes.saturating_add(len);
        input_lengths.push(len);
    }
    r.check(input_bytes, "calldata")?;
    for (tx, len) in txs.iter_mut().zip(input_lengths) {
        tx.input = Bytes::copy_from_slice(r.bytes(len, "calldata")?);
    }
    let words = |kind| keys.iter().filter_map(|key| shape_of(*key)).map(|s| s.count(kind)).sum();
    let address_words = r.count(words(WORD_ADDRESS) as u64, 1, "word_refs")?;
    refs.reserve_exact(address_words);
    for _ in 0..address_words {
        refs.push(r.uvarint::<u64>("word_refs")?);
    }
    let numbers = r.decimals(
        words(WORD_NUMBER),
        MAX_NUMBER_EXPONENT,
        ["number_headers", "number_leads", "number_tails"],
    )?;
    if numbers.iter().any(|n| n.is_zero() || n.bit_len() > 128) {
        return Err(span_error("number_headers: number word not in 1..2^128"));
    }
    let raw_words = r.bytes(words(WORD_RAW).saturating_mul(32), "raw_words")?;
    if raw_words.chunks(32).any(|w| word_kind(w) != WORD_RAW) {
        return Err(span_error("raw_words: word below 2^160"));
    }
    for tx in txs.iter_mut().filter(|tx| tx.has_access_list()) {
        tx.access_list = r.rlp("access_lists")?;
    }
    for tx in txs.iter_mut().filter(|tx| tx.ty == TYPE_EIP7702) {
        tx.authorization_list = r.rlp("authorization_lists")?;
    }

    // Address references, `to_refs` then `word_refs`: 0 introduces the next address.
    let mut known = 0usize;
    for (i, reference) in refs.iter_mut().enumerate() {
        if *reference == 0 {
            known += 1;
            *reference = known as u64;
        } else if *reference > known as u64 {
            let what = if i < to_count { "to_refs" } else { "word_refs" };
            return Err(span_error(format!("{what}: reference {reference} to an unknown address")));
        }
    }
    // At most one address per reference, each reference at least one byte.
    r.check(known.saturating_mul(20), "addresses")?;
    let mut table = Vec::with_capacity(known);
    let mut distinct = HashSet::with_capacity(known);
    for _ in 0..known {
        let address = Address::from(r.array::<20>("addresses")?);
        if !distinct.insert(address) {
            return Err(span_error(format!("addresses: {address} stored twice")));
        }
        table.push(address);
    }
    drop(distinct);
    // References are in 1..=known.
    let mut addresses = refs.into_iter().map(|i| table.get(i as usize - 1).copied());
    for (tx, create) in txs.iter_mut().zip(creation) {
        if !create {
            tx.to = TxKind::Call(addresses.next().flatten().unwrap_or_default());
        }
    }

    // ABI calldata: group by group, argument by argument, transaction by transaction.
    let (mut numbers, mut raw_words) = (numbers.into_iter(), raw_words.chunks(32));
    let mut start = raw;
    while start < m {
        let key = keys[start];
        let end = start + keys[start..].iter().take_while(|k| **k == key).count();
        let Some(shape) = shape_of(key) else { break };
        let mut inputs: Vec<Vec<u8>> = (start..end)
            .map(|_| {
                let mut input = vec![0; shape.len()];
                input[..4].copy_from_slice(&shape.selector);
                input
            })
            .collect();
        for (position, kind) in shape.kinds.iter().enumerate() {
            for input in &mut inputs {
                let word = &mut input[4 + 32 * position..][..32];
                match *kind {
                    WORD_NUMBER => word
                        .copy_from_slice(&numbers.next().unwrap_or_default().to_be_bytes::<32>()),
                    WORD_ADDRESS => {
                        let address = addresses.next().flatten().unwrap_or_default();
                        if address[..4] == [0; 4] {
                            return Err(span_error("word_refs: address word below 2^128"));
                        }
                        word[12..].copy_from_slice(address.as_slice());
                    }
                    WORD_RAW => word.copy_from_slice(raw_words.next().unwrap_or_default()),
                    _ => {}
                }
            }
        }
        for (tx, input) in txs[start..end].iter_mut().zip(inputs) {
            tx.input = input.into();
        }
        start = end;
    }

    let high_s_count = high_s.iter().filter(|h| **h).count();
    let mut high_s_parity = r.bits(high_s_count, "high_s_parity_bits")?.into_iter();
    r.check(m.saturating_mul(64), "signatures")?;
    for (tx, high) in txs.iter_mut().zip(high_s) {
        let r_bytes = r.array::<32>("signatures")?;
        let mut s = r.array::<32>("signatures")?;
        let parity = if high {
            if s[0] >> 7 == 0 {
                return Err(span_error("tx_types: high s flag on an s below 2^255"));
            }
            high_s_parity.next().unwrap_or_default()
        } else {
            let parity = s[0] >> 7 == 1;
            s[0] &= 0x7f;
            parity
        };
        tx.signature = Signature::new(U256::from_be_bytes(r_bytes), U256::from_be_bytes(s), parity);
    }

    // Back to block order.
    let mut structured = vec![Bytes::new(); m];
    for (tx, position) in txs.into_iter().zip(order) {
        structured[position] = tx.into_envelope(chain_id).encoded_2718().into();
    }
    let mut structured = structured.into_iter();
    let mut opaque_txs = opaque_txs.into_iter();
    Ok(opaque
        .into_iter()
        .map(|o| if o { opaque_txs.next() } else { structured.next() }.unwrap_or_default())
        .collect())
}

fn span_error(reason: impl Into<String>) -> BatchError {
    BatchError::Span(reason.into())
}

/// Appends `value` as a minimal unsigned LEB128 varint.
fn put_uvarint(out: &mut Vec<u8>, value: impl Into<u128>) {
    let mut value = value.into();
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Splits a value into `(exponent, mantissa)` with `value = mantissa * 10^exponent` and the
/// exponent as large as possible (0 for value 0).
fn decimal(value: U256) -> (u8, U256) {
    let ten = U256::from(10);
    let (mut mantissa, mut exponent) = (value, 0u8);
    while !mantissa.is_zero() {
        let (quotient, remainder) = mantissa.div_rem(ten);
        if !remainder.is_zero() {
            break;
        }
        mantissa = quotient;
        exponent += 1;
    }
    (exponent, mantissa)
}

/// Appends a bitfield: bit `i` in byte `i / 8`, least significant bit first.
fn put_bits(out: &mut Vec<u8>, bits: impl IntoIterator<Item = bool>) {
    let (mut byte, mut used) = (0u8, 0);
    for bit in bits {
        byte |= u8::from(bit) << used;
        used += 1;
        if used == 8 {
            out.push(byte);
            (byte, used) = (0, 0);
        }
    }
    if used > 0 {
        out.push(byte);
    }
}

/// A cursor over span batch bytes whose every read is bounds-checked.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Fails unless `needed` more bytes are available.
    fn check(&self, needed: usize, what: &'static str) -> Result<(), BatchError> {
        if needed > self.buf.len() {
            return Err(BatchError::Truncated { what, needed, available: self.buf.len() });
        }
        Ok(())
    }

    fn bytes(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], BatchError> {
        self.check(len, what)?;
        let (head, tail) = self.buf.split_at(len);
        self.buf = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], BatchError> {
        let mut array = [0; N];
        array.copy_from_slice(self.bytes(N, what)?);
        Ok(array)
    }

    /// Converts a decoded count of elements taking at least `min_bytes` bytes each into a
    /// `usize`, failing if the remaining input cannot hold that many.
    fn count(&self, count: u64, min_bytes: usize, what: &'static str) -> Result<usize, BatchError> {
        match usize::try_from(count) {
            Ok(count) if count.saturating_mul(min_bytes) <= self.buf.len() => Ok(count),
            _ => Err(span_error(format!(
                "{what}: {count} elements cannot fit in the remaining {} bytes",
                self.buf.len()
            ))),
        }
    }

    /// `n` bits, checking that the padding bits of the last byte are zero.
    fn bits(&mut self, n: usize, what: &'static str) -> Result<Vec<bool>, BatchError> {
        let bytes = self.bytes(n.div_ceil(8), what)?;
        if !n.is_multiple_of(8) && bytes.last().is_some_and(|last| last >> (n % 8) != 0) {
            return Err(span_error(format!("{what}: non-zero padding bits")));
        }
        Ok((0..n).map(|i| bytes[i / 8] >> (i % 8) & 1 == 1).collect())
    }

    /// A minimal LEB128 varint of at most `T::BITS` bits.
    fn uvarint<T: TryFrom<u128>>(&mut self, what: &'static str) -> Result<T, BatchError> {
        let bits = u32::try_from(size_of::<T>() * 8).unwrap_or(128).min(128);
        let mut value: u128 = 0;
        let mut shift = 0u32;
        loop {
            let [byte] = self.array::<1>(what)?;
            let low = u128::from(byte & 0x7f);
            if shift >= bits || (bits - shift < 7 && low >> (bits - shift) != 0) {
                return Err(span_error(format!("{what}: varint overflows {bits} bits")));
            }
            value |= low << shift;
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 {
                    return Err(span_error(format!("{what}: non-minimal varint")));
                }
                return T::try_from(value)
                    .map_err(|_| span_error(format!("{what}: varint overflows {bits} bits")));
            }
            shift += 7;
        }
    }

    /// `n` numbers stored in decimal (see [`Decimals`]) with exponents at most
    /// `max_exponent`, in canonical form; `what` names the header, lead and tail columns.
    fn decimals(
        &mut self,
        n: usize,
        max_exponent: u8,
        what: [&'static str; 3],
    ) -> Result<Vec<U256>, BatchError> {
        let [headers, leads, tails] = what;
        // Each header takes at least one byte.
        let n = self.count(n as u64, 1, headers)?;
        let mut shapes = Vec::with_capacity(n);
        let (mut lead_count, mut tail_bytes) = (0usize, 0usize);
        for _ in 0..n {
            let header: u64 = self.uvarint(headers)?;
            let (exponent, len) = (header / 33, (header % 33) as usize);
            if exponent > u64::from(max_exponent) {
                return Err(span_error(format!("{headers}: exponent {exponent} too large")));
            }
            if len == 0 && exponent != 0 {
                return Err(span_error(format!("{headers}: exponent not maximal")));
            }
            lead_count += usize::from(len > 0);
            tail_bytes += len.saturating_sub(1);
            // At most `max_exponent`.
            shapes.push((exponent as u8, len));
        }
        let leads = self.bytes(lead_count, leads)?;
        let mut tails = self.bytes(tail_bytes, tails)?;
        let mut leads = leads.iter();
        let mut numbers = Vec::with_capacity(n);
        for (exponent, len) in shapes {
            if len == 0 {
                numbers.push(U256::ZERO);
                continue;
            }
            let lead = leads.next().copied().unwrap_or_default();
            if lead == 0 {
                return Err(span_error(format!("{headers}: mantissa with a leading zero byte")));
            }
            let (tail, rest) = tails.split_at(len - 1);
            tails = rest;
            let mut bytes = [0u8; 32];
            bytes[32 - len] = lead;
            bytes[33 - len..].copy_from_slice(tail);
            let mantissa = U256::from_be_bytes(bytes);
            if (mantissa % U256::from(10)).is_zero() {
                return Err(span_error(format!("{headers}: exponent not maximal")));
            }
            let number = U256::from(10)
                .checked_pow(U256::from(exponent))
                .and_then(|scale| mantissa.checked_mul(scale))
                .ok_or_else(|| span_error(format!("{headers}: number overflows 256 bits")))?;
            numbers.push(number);
        }
        Ok(numbers)
    }

    /// One RLP item, without reading past the rest of the span batch.
    fn rlp<T: Decodable>(&mut self, what: &'static str) -> Result<T, BatchError> {
        let mut buf = self.buf;
        let item = T::decode(&mut buf).map_err(|e| span_error(format!("{what}: {e}")))?;
        self.buf = buf;
        Ok(item)
    }
}

#[cfg(test)]
mod tests {
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
    fn workload(
        kind: Workload,
        count: usize,
        senders: usize,
        skip: usize,
    ) -> (Vec<BatchBlock>, f64) {
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
                        let input =
                            [transfer.clone(), address(recipient).into(), word(amount).into()];
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
                assert!(
                    span < singular,
                    "{kind:?} {c}: span {span:.2} B, singular {singular:.2} B"
                );
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
                b(11, 101, 5, h(2)), // same number, time going back, new hash
                b(9, 101, 7, h(2)),  // number going back, origin jump, same hash
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
        let blocks =
            vec![block(1, txs[..4].to_vec()), block(2, vec![]), block(3, txs[4..].to_vec())];
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
        let transfer = |amount: u64, nonce| {
            call(token, abi(0xa905_9cbb, &[recipient, U256::from(amount)]), nonce)
        };
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
                TxEip7702 {
                    chain_id: L2_CHAIN_ID,
                    to: Address::repeat_byte(1),
                    ..Default::default()
                },
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
}
