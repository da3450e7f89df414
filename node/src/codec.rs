//! The stored form of a block: one format byte, then RLP.
//!
//! ```text
//! body     = 0x01 || rlp([header, hash, [entry, ...]])
//! entry    = [tx, sender, receipt]          tx: the EIP-2718 bytes (0x7E deposits too)
//! receipt  = [tx_type, status, cumulative_gas_used, gas_used, effective_gas_price,
//!             logs, present, ...the optional fields present, in declaration order]
//! ```
//!
//! `present` is a bit set of the receipt's optional fields (bit 0
//! `contract_address`, 1 `l1_fee`, 2 `l1_base_fee`, 3 `l1_blob_base_fee`, 4
//! `l1_fee_scalars` (two integers), 5 `l1_gas_used`, 6 `deposit_nonce`): RLP
//! has no "absent", and zero is a value of every one of them. Logs are
//! Ethereum's `[address, topics, data]`.
//!
//! Bodies written before this format are JSON (first byte `{`); they still
//! decode, so a data directory of an earlier version opens unchanged.
//! Why RLP rather than a serde binary format: alloy's transaction types
//! serialize as internally tagged JSON objects, which the compact serde
//! formats cannot decode, and RLP is what Ethereum stores them as (reth's
//! static files hold the same EIP-2718 bytes).

use crate::StoredBlock;
use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, Log};
use alloy_rlp::{Decodable, Encodable};
use rollup_protocol::{ExecutedTx, L1FeeScalars, RollupReceipt, RollupTxEnvelope};

/// The format byte of an RLP body.
const FORMAT_RLP: u8 = 0x01;

/// Why a stored body did not decode.
pub(crate) type CodecError = String;

/// Encodes `block` in the stored form.
pub(crate) fn encode_block(block: &StoredBlock) -> Vec<u8> {
    let mut entries = Vec::new();
    for tx in &block.transactions {
        let mut entry = Vec::new();
        Bytes::from(tx.tx.encoded_2718()).encode(&mut entry);
        tx.sender.encode(&mut entry);
        encode_receipt(&tx.receipt, &mut entry);
        list(&entry, &mut entries);
    }
    let mut payload = Vec::new();
    block.header.encode(&mut payload);
    block.hash.encode(&mut payload);
    list(&entries, &mut payload);
    let mut out = Vec::with_capacity(payload.len() + 10);
    out.push(FORMAT_RLP);
    list(&payload, &mut out);
    out
}

/// Decodes a stored body (the RLP form, or the JSON of earlier versions).
pub(crate) fn decode_block(bytes: &[u8]) -> Result<StoredBlock, CodecError> {
    match bytes.first() {
        Some(&FORMAT_RLP) => decode_rlp(&bytes[1..]).map_err(|e| e.to_string()),
        Some(b'{') => serde_json::from_slice(bytes).map_err(|e| e.to_string()),
        Some(other) => Err(format!("unknown block format {other:#04x}")),
        None => Err("empty block body".into()),
    }
}

fn decode_rlp(mut buf: &[u8]) -> Result<StoredBlock, alloy_rlp::Error> {
    let mut block = enter_list(&mut buf)?;
    if !buf.is_empty() {
        return Err(alloy_rlp::Error::Custom("trailing bytes after the block"));
    }
    let header = Header::decode(&mut block)?;
    let hash = B256::decode(&mut block)?;
    let mut entries = enter_list(&mut block)?;
    let mut transactions = Vec::new();
    while !entries.is_empty() {
        let mut entry = enter_list(&mut entries)?;
        let raw = Bytes::decode(&mut entry)?;
        let tx = RollupTxEnvelope::decode_2718_exact(&raw)
            .map_err(|_| alloy_rlp::Error::Custom("stored transaction does not decode"))?;
        let sender = Address::decode(&mut entry)?;
        let receipt = decode_receipt(&mut entry)?;
        transactions.push(ExecutedTx { tx, sender, receipt });
    }
    Ok(StoredBlock { header, hash, transactions })
}

const CONTRACT_ADDRESS: u8 = 1 << 0;
const L1_FEE: u8 = 1 << 1;
const L1_BASE_FEE: u8 = 1 << 2;
const L1_BLOB_BASE_FEE: u8 = 1 << 3;
const L1_FEE_SCALARS: u8 = 1 << 4;
const L1_GAS_USED: u8 = 1 << 5;
const DEPOSIT_NONCE: u8 = 1 << 6;

fn encode_receipt(receipt: &RollupReceipt, out: &mut Vec<u8>) {
    let mut payload = Vec::new();
    receipt.tx_type.encode(&mut payload);
    receipt.status.encode(&mut payload);
    receipt.cumulative_gas_used.encode(&mut payload);
    receipt.gas_used.encode(&mut payload);
    receipt.effective_gas_price.encode(&mut payload);
    receipt.logs.encode(&mut payload);
    let present = [
        (receipt.contract_address.is_some(), CONTRACT_ADDRESS),
        (receipt.l1_fee.is_some(), L1_FEE),
        (receipt.l1_base_fee.is_some(), L1_BASE_FEE),
        (receipt.l1_blob_base_fee.is_some(), L1_BLOB_BASE_FEE),
        (receipt.l1_fee_scalars.is_some(), L1_FEE_SCALARS),
        (receipt.l1_gas_used.is_some(), L1_GAS_USED),
        (receipt.deposit_nonce.is_some(), DEPOSIT_NONCE),
    ]
    .iter()
    .filter(|(set, _)| *set)
    .fold(0u8, |bits, (_, bit)| bits | bit);
    present.encode(&mut payload);
    if let Some(address) = receipt.contract_address {
        address.encode(&mut payload);
    }
    if let Some(fee) = receipt.l1_fee {
        fee.encode(&mut payload);
    }
    if let Some(fee) = receipt.l1_base_fee {
        fee.encode(&mut payload);
    }
    if let Some(fee) = receipt.l1_blob_base_fee {
        fee.encode(&mut payload);
    }
    if let Some(scalars) = receipt.l1_fee_scalars {
        scalars.base_fee_scalar.encode(&mut payload);
        scalars.blob_base_fee_scalar.encode(&mut payload);
    }
    if let Some(gas) = receipt.l1_gas_used {
        gas.encode(&mut payload);
    }
    if let Some(nonce) = receipt.deposit_nonce {
        nonce.encode(&mut payload);
    }
    list(&payload, out);
}

fn decode_receipt(buf: &mut &[u8]) -> Result<RollupReceipt, alloy_rlp::Error> {
    let mut r = enter_list(buf)?;
    let tx_type = u8::decode(&mut r)?;
    let status = bool::decode(&mut r)?;
    let cumulative_gas_used = u64::decode(&mut r)?;
    let gas_used = u64::decode(&mut r)?;
    let effective_gas_price = u128::decode(&mut r)?;
    let logs = Vec::<Log>::decode(&mut r)?;
    let present = u8::decode(&mut r)?;
    let has = |bit: u8| present & bit != 0;
    let contract_address =
        if has(CONTRACT_ADDRESS) { Some(Address::decode(&mut r)?) } else { None };
    let l1_fee = if has(L1_FEE) { Some(u128::decode(&mut r)?) } else { None };
    let l1_base_fee = if has(L1_BASE_FEE) { Some(u64::decode(&mut r)?) } else { None };
    let l1_blob_base_fee = if has(L1_BLOB_BASE_FEE) { Some(u128::decode(&mut r)?) } else { None };
    let l1_fee_scalars = if has(L1_FEE_SCALARS) {
        Some(L1FeeScalars {
            base_fee_scalar: u64::decode(&mut r)?,
            blob_base_fee_scalar: u64::decode(&mut r)?,
        })
    } else {
        None
    };
    let l1_gas_used = if has(L1_GAS_USED) { Some(u64::decode(&mut r)?) } else { None };
    let deposit_nonce = if has(DEPOSIT_NONCE) { Some(u64::decode(&mut r)?) } else { None };
    if !r.is_empty() {
        return Err(alloy_rlp::Error::Custom("trailing fields in a stored receipt"));
    }
    Ok(RollupReceipt {
        tx_type,
        status,
        cumulative_gas_used,
        gas_used,
        effective_gas_price,
        logs,
        contract_address,
        l1_fee,
        l1_base_fee,
        l1_blob_base_fee,
        l1_fee_scalars,
        l1_gas_used,
        deposit_nonce,
    })
}

/// Appends `payload` as an RLP list.
fn list(payload: &[u8], out: &mut Vec<u8>) {
    alloy_rlp::Header { list: true, payload_length: payload.len() }.encode(out);
    out.extend_from_slice(payload);
}

/// Reads an RLP list header from `buf` and returns its payload (advancing
/// `buf` past it).
fn enter_list<'a>(buf: &mut &'a [u8]) -> Result<&'a [u8], alloy_rlp::Error> {
    let header = alloy_rlp::Header::decode(buf)?;
    if !header.list {
        return Err(alloy_rlp::Error::UnexpectedString);
    }
    if buf.len() < header.payload_length {
        return Err(alloy_rlp::Error::InputTooShort);
    }
    let (payload, rest) = buf.split_at(header.payload_length);
    *buf = rest;
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{SignableTransaction, TxEip1559, TxLegacy};
    use alloy_primitives::{LogData, TxKind, U256, address, b256};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;
    use rollup_protocol::TxDeposit;

    fn receipt(tx_type: u8, full: bool) -> RollupReceipt {
        RollupReceipt {
            tx_type,
            status: full,
            cumulative_gas_used: 42_000,
            gas_used: 21_000,
            effective_gas_price: if full { 0 } else { 1_000_000_007 },
            logs: vec![Log {
                address: address!("0x4200000000000000000000000000000000000016"),
                data: LogData::new_unchecked(
                    vec![B256::repeat_byte(7), B256::ZERO],
                    Bytes::from_static(&[0, 1, 2]),
                ),
            }],
            contract_address: full.then_some(Address::repeat_byte(9)),
            l1_fee: full.then_some(0),
            l1_base_fee: full.then_some(7),
            l1_blob_base_fee: full.then_some(u128::MAX),
            l1_fee_scalars: full
                .then_some(L1FeeScalars { base_fee_scalar: 0, blob_base_fee_scalar: 810_949 }),
            l1_gas_used: full.then_some(1_600),
            deposit_nonce: full.then_some(0),
        }
    }

    fn block() -> StoredBlock {
        let signer = PrivateKeySigner::random();
        let eip1559 = TxEip1559 {
            chain_id: 901,
            nonce: 3,
            gas_limit: 21_000,
            max_fee_per_gas: 2_000_000_000,
            max_priority_fee_per_gas: 1,
            to: TxKind::Call(Address::repeat_byte(1)),
            value: U256::from(5),
            ..Default::default()
        };
        let sig = signer.sign_hash_sync(&eip1559.signature_hash()).unwrap();
        let legacy = TxLegacy {
            chain_id: None,
            gas_price: 100,
            gas_limit: 100_000,
            to: TxKind::Create,
            input: Bytes::from_static(&[0x60, 0x00]),
            ..Default::default()
        };
        let legacy_sig = signer.sign_hash_sync(&legacy.signature_hash()).unwrap();
        let deposit = TxDeposit {
            source_hash: b256!(
                "0x0101010101010101010101010101010101010101010101010101010101010101"
            ),
            from: Address::repeat_byte(2),
            to: TxKind::Call(Address::repeat_byte(3)),
            mint: 10,
            value: U256::from(10),
            gas_limit: 1_000_000,
            is_system_transaction: false,
            input: Bytes::from_static(b"deposit"),
        };
        let header = Header { number: 12, gas_used: 42_000, ..Default::default() };
        StoredBlock {
            hash: header.hash_slow(),
            header,
            transactions: vec![
                ExecutedTx {
                    tx: RollupTxEnvelope::Deposit(deposit),
                    sender: Address::repeat_byte(2),
                    receipt: receipt(0x7e, true),
                },
                ExecutedTx {
                    tx: RollupTxEnvelope::Eth(eip1559.into_signed(sig).into()),
                    sender: signer.address(),
                    receipt: receipt(2, false),
                },
                ExecutedTx {
                    tx: RollupTxEnvelope::Eth(legacy.into_signed(legacy_sig).into()),
                    sender: signer.address(),
                    receipt: receipt(0, true),
                },
            ],
        }
    }

    #[test]
    fn a_block_round_trips_through_the_stored_form() {
        let block = block();
        let bytes = encode_block(&block);
        assert_eq!(bytes[0], FORMAT_RLP);
        assert_eq!(decode_block(&bytes).unwrap(), block);
        let empty = StoredBlock { transactions: vec![], ..block };
        assert_eq!(decode_block(&encode_block(&empty)).unwrap(), empty);
    }

    #[test]
    fn the_json_bodies_of_earlier_versions_still_decode() {
        let block = block();
        let json = serde_json::to_vec(&block).unwrap();
        assert_eq!(decode_block(&json).unwrap(), block);
        // And the binary form is the smaller.
        assert!(encode_block(&block).len() * 2 < json.len());
    }

    #[test]
    fn corrupt_bodies_are_errors_not_panics() {
        let bytes = encode_block(&block());
        assert!(decode_block(&[]).is_err());
        assert!(decode_block(&[0x02, 0xc0]).is_err());
        for cut in [1, 2, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode_block(&bytes[..cut]).is_err(), "truncated at {cut}");
        }
        let mut extra = bytes.clone();
        extra.push(0x80);
        assert!(decode_block(&extra).is_err());
        let mut flipped = bytes;
        let last = flipped.len() - 1;
        flipped[last] ^= 0xff;
        let _ = decode_block(&flipped);
    }
}
