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

mod calldata;
mod columns;
#[cfg(test)]
mod tests;
mod tx;
mod wire;

use calldata::*;
use columns::*;
use tx::*;

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
