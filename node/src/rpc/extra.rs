//! Less-used `eth_` methods that tooling reaches for: `eth_getAccount`,
//! `eth_getRawTransactionByHash`, `eth_getTransactionBySenderAndNonce` and
//! `eth_sendRawTransactionSync` (EIP-7966).

use super::{RpcError, RpcResult, json as shapes, opt_param, param};
use crate::Node;
use alloy_consensus::Transaction;
use alloy_primitives::{Address, B256, Bytes, U64};
use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag};
use serde_json::{Value, json};
use std::time::Duration;

/// Most blocks `eth_getTransactionBySenderAndNonce` scans back from the head.
pub const MAX_SENDER_NONCE_SCAN: u64 = 10_000;

/// `eth_sendRawTransactionSync`'s default and largest wait for the receipt
/// (EIP-7966 leaves both to the node), in milliseconds.
pub const SEND_SYNC_DEFAULT_TIMEOUT_MS: u64 = 2_000;
/// See [`SEND_SYNC_DEFAULT_TIMEOUT_MS`].
pub const SEND_SYNC_MAX_TIMEOUT_MS: u64 = 60_000;

/// Handles these methods; `None` for any other method.
pub(super) async fn dispatch(node: &Node, method: &str, params: &Value) -> Option<RpcResult> {
    Some(match method {
        "eth_getAccount" => {
            let _view = node.state_view().await;
            get_account(node, params)
        }
        "eth_getRawTransactionByHash" => {
            async {
                let hash: B256 = param(params, 0)?;
                if let Some((loc, block)) = node.transaction(&hash).await? {
                    let raw =
                        block.transactions.get(loc.index).map(|t| Bytes::from(t.tx.encoded_2718()));
                    return Ok(json!(raw));
                }
                Ok(json!(node.pool().get(&hash).map(|t| t.raw.clone())))
            }
            .await
        }
        "eth_getTransactionBySenderAndNonce" => {
            async {
                let sender: Address = param(params, 0)?;
                let nonce: U64 = param(params, 1)?;
                let nonce = nonce.to::<u64>();
                let pooled =
                    node.pool().by_sender_nonce(&sender, nonce).map(shapes::pending_tx_json);
                if let Some(tx) = pooled {
                    return Ok(tx);
                }
                let head = {
                    let chain = node.chain();
                    if nonce >= chain.state.nonce(&sender) {
                        return Ok(Value::Null);
                    }
                    chain.head_number()
                };
                // Newest first, a chunk of blocks at a time.
                let floor = head.saturating_sub(MAX_SENDER_NONCE_SCAN);
                let mut to = head;
                loop {
                    let from = to.saturating_sub(255).max(floor);
                    for block in node.blocks(from, to).await?.iter().rev() {
                        if let Some(i) = block.transactions.iter().position(|t| {
                            t.sender == sender
                                && t.tx.as_eth().is_some_and(|tx| tx.nonce() == nonce)
                        }) {
                            return Ok(shapes::tx_json(block, i));
                        }
                    }
                    if from == floor {
                        return Ok(Value::Null);
                    }
                    to = from - 1;
                }
            }
            .await
        }
        "eth_sendRawTransactionSync" => send_sync(node, params).await,
        _ => return None,
    })
}

fn get_account(node: &Node, params: &Value) -> RpcResult {
    let address: Address = param(params, 0)?;
    let block: Option<BlockId> = opt_param(params, 1)?;
    let head = node.chain().head().clone();
    let at_head = match block {
        None | Some(BlockId::Number(BlockNumberOrTag::Latest | BlockNumberOrTag::Pending)) => true,
        Some(BlockId::Number(BlockNumberOrTag::Number(n))) => n == head.number(),
        Some(BlockId::Hash(h)) => h.block_hash == head.hash,
        Some(_) => false,
    };
    if !at_head {
        return Err(RpcError::server(super::HISTORICAL_STATE_UNAVAILABLE));
    }
    let proof = node.chain_mut().state.proof(address, &[]);
    Ok(json!({
        "codeHash": proof.code_hash,
        "storageRoot": proof.storage_hash,
        "balance": proof.balance,
        "nonce": format!("{:#x}", proof.nonce),
    }))
}

/// EIP-7966: submits like `eth_sendRawTransaction`, then waits for the
/// receipt up to the timeout (milliseconds, second parameter); past it,
/// error code 4 with the hash as data.
async fn send_sync(node: &Node, params: &Value) -> RpcResult {
    let raw: Bytes = param(params, 0)?;
    let timeout: Option<U64> = opt_param(params, 1)?;
    let timeout = timeout
        .map(|t| t.to::<u64>())
        .unwrap_or(SEND_SYNC_DEFAULT_TIMEOUT_MS)
        .min(SEND_SYNC_MAX_TIMEOUT_MS);
    let mut heads = node.subscribe_head();
    let hash = node.submit_raw(&raw).map_err(RpcError::server)?;
    let wait = async {
        loop {
            if let Ok(Some((loc, block))) = node.transaction(&hash).await {
                return Some(shapes::receipt_json(&block, loc.index));
            }
            if heads.changed().await.is_err() {
                return None;
            }
        }
    };
    match tokio::time::timeout(Duration::from_millis(timeout), wait).await {
        Ok(Some(receipt)) => Ok(receipt),
        _ => Err(RpcError {
            code: 4,
            message: format!(
                "the transaction was added to the transaction pool but wasn't processed in {timeout}ms"
            ),
            data: Some(json!(hash)),
        }),
    }
}
