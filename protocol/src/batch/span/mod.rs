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
//! What a channel must carry per transaction whatever the encoding, and how close span
//! batches with brotli come to it, is derived and measured in `docs/span-floor.md` (the test
//! `benchmark_workloads_compress_close_to_their_floor` keeps span batches within 1.25 B of
//! the floor).
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
use alloy_rlp::Encodable;

use super::{BatchBlock, BatchError, MAX_CHANNEL_DECOMPRESSED_BYTES};
use wire::{Reader, decimal, put_bits, put_uvarint, span_error};

#[cfg(test)]
mod tests;
mod wire;

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
