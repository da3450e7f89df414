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
//! most one); each distinct recipient is stored once and then referenced by index; max fees
//! are stored as their excess over the priority fee and values as decimal mantissa and
//! exponent (both repeat far more than the raw numbers); transactions the columns cannot
//! reproduce byte for byte are carried verbatim ("opaque"); and there is no parent check or
//! L1 origin check prefix (derivation checks blocks itself).
//!
//! The byte layout is documented on [`encode_span`].

use std::collections::HashMap;

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

/// Codes of the `tx_types` column: the EIP-2718 type bytes.
const TYPE_LEGACY: u8 = 0;
const TYPE_EIP2930: u8 = 1;
const TYPE_EIP1559: u8 = 2;
const TYPE_EIP4844: u8 = 3;
const TYPE_EIP7702: u8 = 4;

/// Fewest bytes one structured transaction occupies across the columns: type (1), nonce (1),
/// gas limit (1), one fee (1), value (2), calldata length (1), signature (64).
const MIN_STRUCTURED_TX_BYTES: usize = 71;

/// Largest decimal exponent of a value: `10^77 < 2^256 < 10^78`.
const MAX_VALUE_EXPONENT: u8 = 77;

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
/// followed by the columns of the `m` other ("structured") transactions, in order:
///
/// | column | size | content |
/// |---|---|---|
/// | `tx_types` | `m` bytes | EIP-2718 type: 0 legacy, 1 EIP-2930, 2 EIP-1559, 4 EIP-7702 (never 3: EIP-4844 transactions cannot be in L2 batches) |
/// | `y_parity_bits` | `m` bits | signature y parity |
/// | `protected_bits` | one bit per legacy tx | set iff EIP-155 protected (`v = 35 + 2 * chain_id + y_parity`), else `v = 27 + y_parity` |
/// | `contract_creation_bits` | `m` bits | set iff the tx creates a contract (no `to`); never set for EIP-7702 |
/// | `to_refs` | uvarint per call | 0: the next address of `to`; `k >= 1`: the `k`-th distinct recipient so far |
/// | `to` | 20 bytes per distinct recipient | recipient addresses, in order of first use |
/// | `nonces` | `m` uvarints | sender nonces |
/// | `gas_limits` | `m` uvarints | gas limits, in gas |
/// | `gas_prices` | uvarint per legacy / EIP-2930 tx | gas price, in wei per gas |
/// | `max_priority_fees` | uvarint per EIP-1559 / EIP-7702 tx | max priority fee, in wei per gas |
/// | `max_fee_excesses` | uvarint per EIP-1559 / EIP-7702 tx | `max_fee - max_priority_fee` (wrapping `u128`), in wei per gas; wallets set `max_fee = 2 * base_fee + tip`, so this repeats within a block |
/// | `value_exponents` | `m` bytes | decimal exponent `e` of the value, at most 77 |
/// | `value_mantissas` | `m` uvarints (up to 256 bits) | value in wei = `mantissa * 10^e`, `e` maximal: mantissa not a multiple of 10 (`e = 0` for value 0) |
/// | `calldata_lengths`, `calldata` | uvarint per tx, then the bytes | input data |
/// | `access_lists` | RLP per typed tx | EIP-2930 access list (`0xc0` when empty) |
/// | `authorization_lists` | RLP per EIP-7702 tx | signed authorization list |
/// | `signatures` | 64 bytes per tx | `r` and `s`, 32 bytes big-endian each |
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
/// stored verbatim. The encoder rebuilds every structured transaction from its columns and
/// checks that it re-encodes to exactly the input bytes, storing it verbatim otherwise, so a
/// span batch always decodes to exactly the blocks it was built from.
///
/// # Limits
///
/// The caller (batcher) must keep the result within [`MAX_CHANNEL_DECOMPRESSED_BYTES`] and
/// `blocks` within [`MAX_SPAN_BLOCKS`], or [`decode_span`] rejects it.
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
/// [`MAX_CHANNEL_DECOMPRESSED_BYTES`]. Varints must be minimal, bitfield padding zero, the
/// input consumed exactly.
///
/// # Errors
///
/// [`BatchError::ChannelTooLarge`] if `data` exceeds [`MAX_CHANNEL_DECOMPRESSED_BYTES`],
/// [`BatchError::Truncated`] if a column ends early, [`BatchError::TrailingBytes`] if bytes
/// follow the last column, [`BatchError::Span`] for any other malformation (too many blocks
/// or transactions, non-minimal or overflowing varints, non-zero padding bits, an unknown or
/// EIP-4844 transaction type, a contract-creating EIP-7702 transaction, an invalid access
/// or authorization list, a value overflowing 256 bits).
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

    const fn has_access_list(&self) -> bool {
        self.ty != TYPE_LEGACY
    }
}

fn encode_txs(txs: &[&Bytes], chain_id: u64, out: &mut Vec<u8>) {
    let parsed: Vec<Option<SpanTx>> =
        txs.iter().map(|raw| SpanTx::from_raw(raw, chain_id)).collect();
    put_bits(out, parsed.iter().map(Option::is_none));
    let opaque = || txs.iter().zip(&parsed).filter(|(_, p)| p.is_none()).map(|(raw, _)| raw);
    for raw in opaque() {
        put_uvarint(out, raw.len() as u64);
    }
    for raw in opaque() {
        out.extend_from_slice(raw);
    }
    let txs: Vec<&SpanTx> = parsed.iter().flatten().collect();
    out.extend(txs.iter().map(|tx| tx.ty));
    put_bits(out, txs.iter().map(|tx| tx.signature.v()));
    put_bits(out, txs.iter().filter(|tx| tx.ty == TYPE_LEGACY).map(|tx| tx.protected));
    put_bits(out, txs.iter().map(|tx| tx.to.is_create()));
    let mut seen: HashMap<Address, u64> = HashMap::new();
    let mut new_addresses = Vec::new();
    for tx in &txs {
        if let TxKind::Call(to) = tx.to {
            let next = seen.len() as u64 + 1;
            let index = *seen.entry(to).or_insert(next);
            if index == next {
                new_addresses.push(to);
                put_uvarint(out, 0u64);
            } else {
                put_uvarint(out, index);
            }
        }
    }
    for to in new_addresses {
        out.extend_from_slice(to.as_slice());
    }
    for tx in &txs {
        put_uvarint(out, tx.nonce);
    }
    for tx in &txs {
        put_uvarint(out, tx.gas_limit);
    }
    for tx in txs.iter().filter(|tx| tx.has_gas_price()) {
        put_uvarint(out, tx.gas_price);
    }
    for tx in txs.iter().filter(|tx| !tx.has_gas_price()) {
        put_uvarint(out, tx.max_priority_fee);
    }
    for tx in txs.iter().filter(|tx| !tx.has_gas_price()) {
        put_uvarint(out, tx.gas_price.wrapping_sub(tx.max_priority_fee));
    }
    let values: Vec<(u8, U256)> = txs.iter().map(|tx| decimal(tx.value)).collect();
    out.extend(values.iter().map(|(exponent, _)| *exponent));
    for (_, mantissa) in values {
        put_uvarint_u256(out, mantissa);
    }
    for tx in &txs {
        put_uvarint(out, tx.input.len() as u64);
    }
    for tx in &txs {
        out.extend_from_slice(&tx.input);
    }
    for tx in txs.iter().filter(|tx| tx.has_access_list()) {
        tx.access_list.encode(out);
    }
    for tx in txs.iter().filter(|tx| tx.ty == TYPE_EIP7702) {
        tx.authorization_list.encode(out);
    }
    for tx in &txs {
        out.extend_from_slice(&tx.signature.r().to_be_bytes::<32>());
        out.extend_from_slice(&tx.signature.s().to_be_bytes::<32>());
    }
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
    let types = r.bytes(m, "tx_types")?;
    let supported = [TYPE_LEGACY, TYPE_EIP2930, TYPE_EIP1559, TYPE_EIP7702];
    if let Some(bad) = types.iter().find(|t| !supported.contains(t)) {
        return Err(span_error(match *bad {
            TYPE_EIP4844 => "EIP-4844 transaction in an L2 batch".to_owned(),
            other => format!("unknown transaction type {other}"),
        }));
    }
    let no_signature = Signature::new(U256::ZERO, U256::ZERO, false);
    let mut txs: Vec<SpanTx> = types.iter().map(|&ty| SpanTx::empty(ty, no_signature)).collect();
    let y_parity = r.bits(m, "y_parity_bits")?;
    let legacy = types.iter().filter(|t| **t == TYPE_LEGACY).count();
    let mut protected = r.bits(legacy, "protected_bits")?.into_iter();
    for tx in txs.iter_mut().filter(|tx| tx.ty == TYPE_LEGACY) {
        tx.protected = protected.next().unwrap_or_default();
    }
    let creation = r.bits(m, "contract_creation_bits")?;
    let mut to_refs = Vec::with_capacity(m);
    let mut new_addresses = 0usize;
    for (tx, create) in txs.iter().zip(&creation) {
        if *create {
            if tx.ty == TYPE_EIP7702 {
                return Err(span_error("contract-creating EIP-7702 transaction"));
            }
        } else {
            let to_ref: u64 = r.uvarint("to_refs")?;
            new_addresses += usize::from(to_ref == 0);
            if to_ref > new_addresses as u64 {
                return Err(span_error(format!(
                    "to_refs: reference {to_ref} to an unknown address"
                )));
            }
            to_refs.push(to_ref);
        }
    }
    let mut table = Vec::with_capacity(new_addresses.min(r.buf.len() / 20));
    let mut to_refs = to_refs.into_iter();
    for (tx, create) in txs.iter_mut().zip(creation) {
        if !create {
            let to = match to_refs.next().unwrap_or_default() {
                0 => {
                    let to = Address::from(r.array::<20>("to")?);
                    table.push(to);
                    to
                }
                // In range: checked against the number of new addresses before it above.
                index => usize::try_from(index - 1)
                    .ok()
                    .and_then(|i| table.get(i).copied())
                    .ok_or_else(|| span_error("to_refs: reference to an unknown address"))?,
            };
            tx.to = TxKind::Call(to);
        }
    }
    for tx in &mut txs {
        tx.nonce = r.uvarint("nonces")?;
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
    let exponents = r.bytes(m, "value_exponents")?;
    for (tx, &exponent) in txs.iter_mut().zip(exponents) {
        tx.value = r.value(exponent)?;
    }
    let mut input_lengths = Vec::with_capacity(m);
    let mut input_bytes: usize = 0;
    for _ in 0..m {
        let len = r.uvarint("calldata_lengths")?;
        let len = r.count(len, 1, "calldata_lengths")?;
        input_bytes = input_bytes.saturating_add(len);
        input_lengths.push(len);
    }
    r.check(input_bytes, "calldata")?;
    for (tx, len) in txs.iter_mut().zip(input_lengths) {
        tx.input = Bytes::copy_from_slice(r.bytes(len, "calldata")?);
    }
    for tx in txs.iter_mut().filter(|tx| tx.has_access_list()) {
        tx.access_list = r.rlp("access_lists")?;
    }
    for tx in txs.iter_mut().filter(|tx| tx.ty == TYPE_EIP7702) {
        tx.authorization_list = r.rlp("authorization_lists")?;
    }
    for (tx, parity) in txs.iter_mut().zip(y_parity) {
        let sig = r.bytes(64, "signatures")?;
        let (rr, ss) = sig.split_at(32);
        tx.signature = Signature::new(U256::from_be_slice(rr), U256::from_be_slice(ss), parity);
    }

    let mut structured =
        txs.into_iter().map(|tx| Bytes::from(tx.into_envelope(chain_id).encoded_2718()));
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

/// Appends a 256-bit value as a minimal unsigned LEB128 varint.
fn put_uvarint_u256(out: &mut Vec<u8>, mut value: U256) {
    while value >= U256::from(0x80) {
        out.push((value.as_limbs()[0] as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value.as_limbs()[0] as u8);
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

    /// A minimal LEB128 varint of at most 256 bits.
    fn uvarint_u256(&mut self, what: &'static str) -> Result<U256, BatchError> {
        let mut value = U256::ZERO;
        let mut shift = 0usize;
        loop {
            let [byte] = self.array::<1>(what)?;
            let low = byte & 0x7f;
            if shift >= 256 || (256 - shift < 7 && low >> (256 - shift) != 0) {
                return Err(span_error(format!("{what}: varint overflows 256 bits")));
            }
            value |= U256::from(low) << shift;
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 {
                    return Err(span_error(format!("{what}: non-minimal varint")));
                }
                return Ok(value);
            }
            shift += 7;
        }
    }

    /// The mantissa of a value with decimal `exponent` (see [`decimal`]), in canonical form.
    fn value(&mut self, exponent: u8) -> Result<U256, BatchError> {
        let mantissa = self.uvarint_u256("value_mantissas")?;
        // Canonical form: zero is `0 * 10^0`, any other mantissa is not a multiple of 10.
        let canonical =
            if mantissa.is_zero() { exponent == 0 } else { !(mantissa % U256::from(10)).is_zero() };
        if !canonical {
            return Err(span_error("value_exponents: exponent not maximal"));
        }
        if exponent > MAX_VALUE_EXPONENT {
            return Err(span_error("value_mantissas: value overflows 256 bits"));
        }
        U256::from(10)
            .checked_pow(U256::from(exponent))
            .and_then(|scale| mantissa.checked_mul(scale))
            .ok_or_else(|| span_error("value_mantissas: value overflows 256 bits"))
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
    fn per_transfer(blocks: &[BatchBlock], c: Compression, encoding: BatchEncoding) -> f64 {
        let channel = encode_channel_with(blocks, c, encoding);
        assert_eq!(decode_channel(&channel).unwrap(), blocks, "{c} {encoding}");
        let txs: usize = blocks.iter().map(|b| b.transactions.len()).sum();
        channel.len() as f64 / txs as f64
    }

    #[test]
    fn transfers_compress_close_to_the_ecdsa_floor() {
        // Transfers among 100 accounts: recipients recur, as on a real chain.
        let blocks = transfers(500, 100, false);
        assert_eq!(blocks.len(), 10);
        for c in Compression::ALL {
            let singular = per_transfer(&blocks, *c, BatchEncoding::Singular);
            let span = per_transfer(&blocks, *c, BatchEncoding::Span);
            assert!(span < singular, "{c}: span {span:.1} B vs singular {singular:.1} B");
        }
        let span = per_transfer(&blocks, Compression::Brotli, BatchEncoding::Span);
        assert!(span <= 75.0, "span + brotli: {span:.1} B per transfer");

        // Every transfer to a fresh random address: the 20-byte recipients are
        // incompressible too, so the floor is 64 (r, s) + 20 (to) + 1/8 (y parity) bytes.
        let blocks = transfers(500, 100, true);
        let singular = per_transfer(&blocks, Compression::Brotli, BatchEncoding::Singular);
        let span = per_transfer(&blocks, Compression::Brotli, BatchEncoding::Span);
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
            let mut wide = Vec::new();
            put_uvarint_u256(&mut wide, U256::from(v));
            assert_eq!(wide, out);
        }
        let mut out = Vec::new();
        put_uvarint_u256(&mut out, U256::MAX);
        assert_eq!(reader(&out).uvarint_u256("v").unwrap(), U256::MAX);
        assert_eq!(out.len(), 37);
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
        let mut over = vec![0xff; 36];
        over.push(0x10);
        assert!(reader(&over).uvarint_u256("v").is_err());

        for value in [
            U256::ZERO,
            U256::from(1),
            U256::from(10),
            U256::from(1_234_500u64),
            U256::from(10).pow(U256::from(77)),
            U256::MAX,
        ] {
            let (exponent, mantissa) = decimal(value);
            let mut out = Vec::new();
            put_uvarint_u256(&mut out, mantissa);
            assert_eq!(reader(&out).value(exponent).unwrap(), value);
        }
        assert_eq!(decimal(U256::from(1_234_500u64)), (2, U256::from(12_345)));
        // Not maximal exponents, and values over 256 bits.
        assert!(reader(&[10]).value(0).is_err());
        assert!(reader(&[0]).value(1).is_err());
        assert!(reader(&[2]).value(77).is_err());
        assert!(reader(&[1]).value(78).is_err());
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
        // bytes), origin number, origin hash, tx count, opaque bits, then the columns.
        let valid = one(TYPE_EIP1559);
        assert_eq!(decode_span(&valid, L2_CHAIN_ID).unwrap(), vec![block(0, vec![tx(2)])]);
        const TYPES: usize = 1 + 1 + 5 + 1 + 32 + 1 + 1;
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
        // Padding of the y parity bitfield, then of the contract creation bitfield.
        for (offset, column) in [(TYPES + 1, "y_parity"), (TYPES + 2, "contract_creation")] {
            let mut bad = valid.clone();
            bad[offset] |= 0x80;
            span_err(&bad, &format!("{column}_bits: non-zero padding bits"));
        }
        // A reference to a recipient not seen yet.
        let mut bad = valid.clone();
        assert_eq!(bad[TYPES + 3], 0);
        bad[TYPES + 3] = 1;
        span_err(&bad, "reference 1 to an unknown address");
        // A contract-creating EIP-7702 transaction.
        let mut bad = one(TYPE_EIP7702);
        assert_eq!(bad[TYPES], TYPE_EIP7702);
        bad[TYPES + 2] = 1;
        span_err(&bad, "contract-creating EIP-7702");
        // Counts larger than the input could hold, non-minimal varints.
        span_err(&[0xff, 0xff, 0x03], "block_count: 65535 elements cannot fit");
        let mut many_txs = valid;
        many_txs[TYPES - 2] = 0x7f;
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
