//! JSON shapes of blocks, transactions, receipts and logs, as geth and reth
//! serve them, plus the OP Stack fields of deposits and L2 receipts.

use crate::{StoredBlock, blob, mempool::PoolTx};
use alloy_consensus::{Transaction, transaction::Recovered};
use alloy_primitives::Log;
use rollup_protocol::RollupTxEnvelope;
use serde_json::{Value, json};

fn q(n: impl Into<u128>) -> Value {
    Value::String(format!("{:#x}", n.into()))
}

/// A block; `full` selects transaction objects instead of hashes.
pub fn block_json(block: &StoredBlock, full: bool) -> Value {
    let mut v = serde_json::to_value(&block.header).unwrap_or_default();
    let size = alloy_rlp::Encodable::length(&block.header)
        + block.transactions.iter().map(|t| t.tx.encoded_2718().len()).sum::<usize>();
    v["hash"] = json!(block.hash);
    v["size"] = q(size as u64);
    v["totalDifficulty"] = q(0u64);
    v["uncles"] = json!([]);
    v["withdrawals"] = json!([]);
    v["transactions"] = if full {
        Value::Array((0..block.transactions.len()).map(|i| tx_json(block, i)).collect())
    } else {
        Value::Array(block.transactions.iter().map(|t| json!(t.tx.tx_hash())).collect())
    };
    v
}

/// Transaction `index` of `block`.
pub fn tx_json(block: &StoredBlock, index: usize) -> Value {
    let executed = &block.transactions[index];
    match &executed.tx {
        RollupTxEnvelope::Eth(tx) => {
            let rpc = alloy_rpc_types_eth::Transaction {
                inner: Recovered::new_unchecked(tx.clone(), executed.sender),
                block_hash: Some(block.hash),
                block_number: Some(block.number()),
                transaction_index: Some(index as u64),
                effective_gas_price: Some(executed.receipt.effective_gas_price),
                block_timestamp: Some(block.header.timestamp),
            };
            serde_json::to_value(rpc).unwrap_or_default()
        }
        RollupTxEnvelope::Deposit(tx) => {
            let mut v = deposit_json(block, index, executed, tx);
            // op-geth includes `isSystemTx` only when true (a JSON boolean);
            // clients that read it as a quantity (op-alloy, so foundry's
            // cast) refuse `false`.
            if tx.is_system_transaction {
                v["isSystemTx"] = Value::Bool(true);
            }
            v
        }
    }
}

/// A deposit in op-geth's shape (`RPCTransaction` of a `DepositTx`).
fn deposit_json(
    block: &StoredBlock,
    index: usize,
    executed: &rollup_protocol::ExecutedTx,
    tx: &rollup_protocol::TxDeposit,
) -> Value {
    json!({
            "type": "0x7e",
            "hash": executed.tx.tx_hash(),
            "sourceHash": tx.source_hash,
            "from": tx.from,
            "to": tx.to.to(),
            "mint": q(tx.mint),
            "value": tx.value,
            "gas": q(tx.gas_limit),
            "gasPrice": q(0u64),
            "input": tx.input,
            "nonce": q(executed.receipt.deposit_nonce.unwrap_or_default()),
            "v": "0x0", "r": "0x0", "s": "0x0", "yParity": "0x0",
            "depositReceiptVersion": "0x1",
            "blockTimestamp": q(block.header.timestamp),
            "blockHash": block.hash,
            "blockNumber": q(block.number()),
            "transactionIndex": q(index as u64),
    })
}

/// A pooled (pending) transaction.
pub fn pending_tx_json(tx: &PoolTx) -> Value {
    let rpc = alloy_rpc_types_eth::Transaction {
        inner: Recovered::new_unchecked(tx.tx.clone(), tx.sender),
        block_hash: None,
        block_number: None,
        transaction_index: None,
        effective_gas_price: None,
        block_timestamp: None,
    };
    serde_json::to_value(rpc).unwrap_or_default()
}

/// A log with its position.
pub fn log_json(block: &StoredBlock, tx_index: usize, log_index: u64, log: &Log) -> Value {
    json!({
        "address": log.address,
        "topics": log.topics(),
        "data": log.data.data,
        "blockHash": block.hash,
        "blockNumber": q(block.number()),
        "blockTimestamp": q(block.header.timestamp),
        "transactionHash": block.transactions[tx_index].tx.tx_hash(),
        "transactionIndex": q(tx_index as u64),
        "logIndex": q(log_index),
        "removed": false,
    })
}

/// The receipt of transaction `index` of `block`.
pub fn receipt_json(block: &StoredBlock, index: usize) -> Value {
    let executed = &block.transactions[index];
    let r = &executed.receipt;
    let first_log: u64 =
        block.transactions[..index].iter().map(|t| t.receipt.logs.len() as u64).sum();
    let logs: Vec<Value> = r
        .logs
        .iter()
        .enumerate()
        .map(|(i, log)| log_json(block, index, first_log + i as u64, log))
        .collect();
    let mut v = json!({
        "type": q(u64::from(r.tx_type)),
        "status": q(u64::from(r.status)),
        "transactionHash": executed.tx.tx_hash(),
        "transactionIndex": q(index as u64),
        "blockHash": block.hash,
        "blockNumber": q(block.number()),
        "from": executed.sender,
        "to": executed.tx.kind().to(),
        "cumulativeGasUsed": q(r.cumulative_gas_used),
        "gasUsed": q(r.gas_used),
        "effectiveGasPrice": q(r.effective_gas_price),
        "contractAddress": r.contract_address,
        "logs": logs,
        "logsBloom": r.bloom(),
    });
    if let Some(hashes) = executed.tx.as_eth().and_then(|tx| tx.blob_versioned_hashes()) {
        // EIP-4844 receipt fields: blob gas and the block's blob base fee.
        v["blobGasUsed"] = q(blob::blob_gas(hashes.len()));
        v["blobGasPrice"] = q(blob::header_blob_base_fee(&block.header));
    }
    if let Some(fee) = r.l1_fee {
        v["l1Fee"] = q(fee);
        v["l1GasPrice"] = q(r.l1_base_fee.unwrap_or_default());
        v["l1GasUsed"] = q(r.l1_gas_used.unwrap_or_default());
        v["l1BlobBaseFee"] = q(r.l1_blob_base_fee.unwrap_or_default());
        let scalars = r.l1_fee_scalars.unwrap_or_default();
        v["l1BaseFeeScalar"] = q(scalars.base_fee_scalar);
        v["l1BlobBaseFeeScalar"] = q(scalars.blob_base_fee_scalar);
    }
    if let Some(nonce) = r.deposit_nonce {
        // Canyon receipts (OP spec "Deposit Receipt"): the nonce and version 1.
        v["depositNonce"] = q(nonce);
        v["depositReceiptVersion"] = q(1u64);
    }
    v
}
