//! The L2's methods beyond `eth_`:
//! - `rollup_getBatchBlock(number)`: the block as the batcher carries it
//!   (timestamp, L1 origin, EIP-2718 user transactions), see
//!   [`rollup_protocol::batch::BatchBlock`];
//! - `optimism_outputAtBlock(number)`: the output root of a block and its
//!   preimage, as op-node serves it;
//! - `rollup_ethSupply()`: total L2 ETH in wei (sum of all balances), which the
//!   bridge's L1 balance must back.
//!
//! The L1 simulator's dev methods (`anvil_*`, `evm_*`, `hardhat_*`: state
//! cheats, impersonation, mining control) are refused here with
//! [`L2_DEV_METHOD_REFUSED`]: the L2 state must stay derivable from L1
//! (batches and deposits) alone, or the challenger and the EXECUTE proof would
//! disagree with the sequencer.

use alloy_primitives::U64;
use futures::{FutureExt, future::BoxFuture};
use rollup_node::{
    Node,
    rpc::{RpcError, RpcExtension, RpcResult, param},
};
use rollup_protocol::{L1Origin, OutputRootPreimage, batch::BatchBlock};
use serde_json::{Value, json};
use std::sync::Arc;

/// Why the L2 refuses the L1 simulator's dev methods.
pub const L2_DEV_METHOD_REFUSED: &str = "not available on L2: L2 state must stay derivable from L1 (batches and deposits), so the L2 takes no state cheats, impersonation or mining control; use the L1 (chain 900) for anvil-style dev methods";

#[derive(Debug)]
pub(crate) struct RollupMethods {
    node: Arc<Node>,
}

impl RollupMethods {
    pub(crate) const fn new(node: Arc<Node>) -> Self {
        Self { node }
    }

    fn handle(&self, method: &str, params: &Value) -> RpcResult {
        match method {
            "rollup_getBatchBlock" => {
                let number: U64 = param(params, 0)?;
                let Some(block) = self.node.chain().block(number.to()).cloned() else {
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
                serde_json::to_value(batch).map_err(RpcError::server)
            }
            "optimism_outputAtBlock" => {
                let number: U64 = param(params, 0)?;
                let Some(block) = self.node.chain().block(number.to()).cloned() else {
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
        let ours = method.starts_with("rollup_") || method.starts_with("optimism_");
        ours.then(|| {
            async move {
                // The supply is read from the head state (see `Node::state_view`).
                let _view = if method == "rollup_ethSupply" {
                    Some(self.node.state_view().await)
                } else {
                    None
                };
                self.handle(method, params)
            }
            .boxed()
        })
    }
}
