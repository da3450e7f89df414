//! The L2's methods beyond `eth_`:
//! - `rollup_getBatchBlock(number)`: the block as the batcher carries it
//!   (timestamp, L1 origin, EIP-2718 user transactions; not the deposits, the
//!   L1-attributes one included, which derivation regenerates), see
//!   [`rollup_protocol::batch::BatchBlock`], plus its `hash`;
//! - `optimism_outputAtBlock(number)`: the output root of a block and its
//!   preimage, as op-node serves it;
//! - `rollup_ethSupply()`: total L2 ETH in wei (sum of all balances), which the
//!   bridge's L1 balance must back;
//! - `optimism_syncStatus()`: the L1 blocks derivation has read and the L2's
//!   `unsafe`, `safe` and `finalized` heads, in op-node's shape
//!   (`eth.SyncStatus`: `current_l1`, `head_l1`, `safe_l1`, `finalized_l1`
//!   as L1 block refs `{hash, number, parentHash, timestamp}`; `unsafe_l2`,
//!   `safe_l2`, `finalized_l2`, `pending_safe_l2`, `local_safe_l2`,
//!   `cross_unsafe_l2` as L2 block refs `{hash, number, parentHash,
//!   timestamp, l1origin: {hash, number}, sequenceNumber}`);
//! - `optimism_rollupConfig()`: the rollup's parameters in op-node's
//!   `rollup.Config` field names (`block_time` in whole seconds rounded up,
//!   with the exact `block_time_ms` beside it);
//! - `rollup_reorgs()`: the newest L2 reorgs (at most
//!   [`crate::REORGS_KEPT`]), oldest first: `{id, firstBlock, depth,
//!   oldHead, newHead, cause, repooled, timestamp}`.
//!
//! The L1 simulator's dev methods (`anvil_*`, `evm_*`, `hardhat_*`: state
//! cheats, impersonation, mining control) are refused here with
//! [`L2_DEV_METHOD_REFUSED`]: the L2 state must stay derivable from L1
//! (batches and deposits) alone, or the challenger and the EXECUTE proof would
//! disagree with the sequencer.

use crate::{SequencerConfig, SharedSync};
use alloy::{eips::BlockNumberOrTag, providers::Provider};
use alloy_primitives::{Address, U64};
use futures::{FutureExt, future::BoxFuture};
use rollup_node::{
    Node,
    rpc::{RpcError, RpcExtension, RpcResult, param},
};
use rollup_protocol::{L1Origin, OutputRootPreimage, RollupConfig, batch::BatchBlock};
use serde_json::{Value, json};
use std::{sync::Arc, time::Duration};

/// Why the L2 refuses the L1 simulator's dev methods.
pub const L2_DEV_METHOD_REFUSED: &str = "not available on L2: L2 state must stay derivable from L1 (batches and deposits), so the L2 takes no state cheats, impersonation or mining control; use the L1 (chain 900) for anvil-style dev methods";

/// Blocks `optimism_syncStatus` reads back at a time to count a block's
/// sequence number (blocks since its L1 origin changed).
const SEQUENCE_SCAN_CHUNK: u64 = 64;

#[derive(Debug)]
pub(crate) struct RollupMethods {
    node: Arc<Node>,
    sync: SharedSync,
    l1: Option<alloy::providers::RootProvider>,
    rollup: RollupConfig,
    block_time: Duration,
    batch_inbox: Address,
    bridge: Address,
    /// On a verifier node: the sequencer transactions are forwarded to
    /// (`Some(None)`: none, transactions are refused).
    forward: Option<Option<alloy::providers::RootProvider>>,
}

/// Why a verifier node without a sequencer refuses a transaction.
pub const NO_SEQUENCER: &str = "this verifier node has no sequencer to forward transactions to (start it with --sequencer-rpc-url)";

impl RollupMethods {
    pub(crate) fn new(
        node: Arc<Node>,
        sync: SharedSync,
        config: &SequencerConfig,
        forward: Option<Option<alloy::providers::RootProvider>>,
    ) -> Self {
        Self {
            forward,
            node,
            sync,
            l1: rollup_client::http_provider(&config.l1_rpc_url).ok(),
            rollup: config.rollup.clone(),
            block_time: config.block_time,
            batch_inbox: config.batch_inbox,
            bridge: config.bridge,
        }
    }

    /// op-node's `L2BlockRef` of block `number` (`null` when absent).
    async fn l2_ref(&self, number: u64) -> Result<Value, RpcError> {
        let Some(block) = self.node.block(number).await? else { return Ok(Value::Null) };
        let origin = L1Origin::of_header(&block.header).unwrap_or_default();
        // Blocks since the L1 origin last changed (op-node's sequence
        // number), read back a chunk at a time.
        let mut sequence_number = 0u64;
        let mut to = number;
        'walk: while to > 0 {
            let from = to.saturating_sub(SEQUENCE_SCAN_CHUNK).max(1);
            for parent in self.node.blocks(from - 1, to - 1).await?.iter().rev() {
                if L1Origin::of_header(&parent.header) != Some(origin) {
                    break 'walk;
                }
                sequence_number += 1;
            }
            to = from - 1;
        }
        Ok(json!({
            "hash": block.hash,
            "number": block.number(),
            "parentHash": block.header.parent_hash,
            "timestamp": block.header.timestamp,
            "l1origin": { "hash": origin.1, "number": origin.0 },
            "sequenceNumber": sequence_number,
        }))
    }

    /// op-node's `L1BlockRef` of L1 block `tag`, read from the L1.
    async fn l1_ref(&self, tag: BlockNumberOrTag) -> Value {
        let Some(l1) = &self.l1 else { return Value::Null };
        match l1.get_block_by_number(tag).await {
            Ok(Some(b)) => json!({
                "hash": b.header.hash,
                "number": b.header.number,
                "parentHash": b.header.parent_hash,
                "timestamp": b.header.timestamp,
            }),
            _ => Value::Null,
        }
    }

    async fn sync_status(&self) -> RpcResult {
        let sync = self.sync.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let current = sync.current_l1.map_or(0, |o| o.number);
        let (current_l1, head_l1, safe_l1, finalized_l1) = futures::join!(
            self.l1_ref(BlockNumberOrTag::Number(current)),
            self.l1_ref(BlockNumberOrTag::Latest),
            self.l1_ref(BlockNumberOrTag::Safe),
            self.l1_ref(BlockNumberOrTag::Finalized),
        );
        let head = self.node.chain().head_number();
        let (safe, finalized) = (self.node.safe_number(), self.node.finalized_number());
        Ok(json!({
            "current_l1": current_l1,
            "current_l1_finalized": finalized_l1,
            "head_l1": head_l1,
            "safe_l1": safe_l1,
            "finalized_l1": finalized_l1,
            "unsafe_l2": self.l2_ref(head).await?,
            "safe_l2": self.l2_ref(safe).await?,
            "finalized_l2": self.l2_ref(finalized).await?,
            "pending_safe_l2": self.l2_ref(safe).await?,
            "local_safe_l2": self.l2_ref(safe).await?,
            "cross_unsafe_l2": self.l2_ref(head).await?,
        }))
    }

    async fn rollup_config(&self) -> Result<Value, RpcError> {
        let r = &self.rollup;
        let genesis = self.node.block(0).await?.map(|b| (b.hash, b.header.timestamp));
        let (l2_hash, l2_time) = genesis.unwrap_or_default();
        let ms = self.block_time.as_millis() as u64;
        Ok(json!({
            "genesis": {
                "l1": { "hash": r.genesis_l1_origin.hash, "number": r.genesis_l1_origin.number },
                "l2": { "hash": l2_hash, "number": 0 },
                "l2_time": l2_time,
            },
            "block_time": ms.div_ceil(1000),
            "block_time_ms": ms,
            "max_sequencer_drift": r.max_sequencer_drift,
            "seq_window_size": r.sequencing_window,
            "l1_chain_id": r.l1_chain_id,
            "l2_chain_id": r.l2_chain_id,
            "batch_inbox_address": self.batch_inbox,
            "deposit_contract_address": self.bridge,
            "l2_block_gas_limit": r.l2_block_gas_limit,
        }))
    }

    async fn handle(&self, method: &str, params: &Value) -> RpcResult {
        match method {
            "rollup_getBatchBlock" => {
                let number: U64 = param(params, 0)?;
                let Some(block) = self.node.block(number.to()).await? else {
                    return Ok(Value::Null);
                };
                let (l1_origin_number, l1_origin_hash) =
                    L1Origin::of_header(&block.header).unwrap_or_default();
                let batch = BatchBlock {
                    number: block.number(),
                    timestamp: block.header.timestamp,
                    l1_origin_number,
                    l1_origin_hash,
                    transactions: block
                        .transactions
                        .iter()
                        .filter(|t| !t.tx.is_deposit())
                        .map(|t| t.tx.encoded_2718().into())
                        .collect(),
                };
                serde_json::to_value(rollup_client::SealedBatchBlock {
                    block: batch,
                    hash: block.hash,
                })
                .map_err(RpcError::server)
            }
            "optimism_outputAtBlock" => {
                let number: U64 = param(params, 0)?;
                let Some(block) = self.node.block(number.to()).await? else {
                    return Err(RpcError::server(format!("block {number} not found")));
                };
                let preimage = OutputRootPreimage {
                    state_root: block.header.state_root,
                    withdrawals_root: block.header.withdrawals_root.unwrap_or_default(),
                    block_hash: block.hash,
                };
                let (l1_number, l1_hash) = L1Origin::of_header(&block.header).unwrap_or_default();
                Ok(json!({
                    "version": alloy_primitives::B256::ZERO,
                    "outputRoot": preimage.output_root(),
                    "stateRoot": preimage.state_root,
                    "withdrawalStorageRoot": preimage.withdrawals_root,
                    "blockRef": {
                        "hash": block.hash,
                        "number": block.number(),
                        "timestamp": block.header.timestamp,
                        "l1origin": { "number": l1_number, "hash": l1_hash },
                    },
                }))
            }
            "rollup_ethSupply" => Ok(json!(self.node.chain().state.total_balance())),
            "optimism_rollupConfig" => self.rollup_config().await,
            "rollup_reorgs" => {
                let sync = self.sync.lock().unwrap_or_else(|p| p.into_inner());
                serde_json::to_value(&sync.reorgs).map_err(RpcError::server)
            }
            _ => Err(RpcError::method_not_found(method)),
        }
    }
}

impl RpcExtension for RollupMethods {
    fn call<'a>(&'a self, method: &'a str, params: &'a Value) -> Option<BoxFuture<'a, RpcResult>> {
        if method.starts_with("anvil_")
            || method.starts_with("evm_")
            || method.starts_with("hardhat_")
        {
            return Some(
                async move { Err(RpcError::server(format!("{method} {L2_DEV_METHOD_REFUSED}"))) }
                    .boxed(),
            );
        }
        let sends = matches!(
            method,
            "eth_sendRawTransaction" | "eth_sendRawTransactionSync" | "eth_sendTransaction"
        );
        if let Some(forward) = self.forward.as_ref().filter(|_| sends) {
            return Some(
                async move {
                    let Some(sequencer) = forward else {
                        return Err(RpcError::server(NO_SEQUENCER));
                    };
                    if method == "eth_sendTransaction" {
                        return Err(RpcError::server(
                            "a verifier node does not sign: sign locally and use eth_sendRawTransaction",
                        ));
                    }
                    let params = params.clone();
                    sequencer
                        .raw_request::<_, Value>(method.to_string().into(), params)
                        .await
                        .map_err(|e| match e.as_error_resp() {
                            Some(resp) => RpcError {
                                code: resp.code,
                                message: resp.message.to_string(),
                                data: resp
                                    .data
                                    .as_ref()
                                    .and_then(|d| serde_json::from_str(d.get()).ok()),
                            },
                            None => RpcError::server(format!("sequencer: {e}")),
                        })
                }
                .boxed(),
            );
        }
        let ours = method.starts_with("rollup_") || method.starts_with("optimism_");
        ours.then(|| {
            async move {
                // The supply is read from the head state (see `Node::state_view`).
                if method == "optimism_syncStatus" {
                    return self.sync_status().await;
                }
                let _view = if method == "rollup_ethSupply" {
                    Some(self.node.state_view().await)
                } else {
                    None
                };
                self.handle(method, params).await
            }
            .boxed()
        })
    }
}
