//! anvil-style dev methods: `evm_mine`, `anvil_mine`, `evm_increaseTime`,
//! `evm_setNextBlockTimestamp`, `anvil_setBalance`, `anvil_setNonce`,
//! `anvil_setCode`, `anvil_setStorageAt`, `evm_snapshot` and `evm_revert`.

use crate::{build_block, now};
use alloy_primitives::{Address, B256, Bytes, U64, U256};
use futures::{FutureExt, future::BoxFuture};
use parking_lot::Mutex;
use rollup_node::{
    ChangesetMark, Node,
    rpc::{RpcError, RpcExtension, RpcResult, opt_param, param},
};
use serde_json::{Value, json};
use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
};

/// The L1 clock: wall time plus the offset of `evm_increaseTime`, or a
/// one-shot timestamp from `evm_setNextBlockTimestamp`.
#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
    next: Mutex<Option<u64>>,
}

impl Clock {
    /// Timestamp of the next block: strictly above the parent's.
    pub fn next_timestamp(&self, parent: u64) -> u64 {
        if let Some(ts) = self.next.lock().take() {
            return ts.max(parent + 1);
        }
        let t = now() as i64 + self.offset.load(Ordering::Relaxed);
        (t.max(0) as u64).max(parent + 1)
    }
}

#[derive(Debug)]
pub(crate) struct DevMethods {
    node: Arc<Node>,
    clock: Arc<Clock>,
    snapshots: Mutex<BTreeMap<u64, (u64, ChangesetMark)>>,
}

impl DevMethods {
    pub(crate) fn new(node: Arc<Node>, clock: Arc<Clock>) -> Self {
        Self { node, clock, snapshots: Mutex::new(BTreeMap::new()) }
    }

    async fn persist_state(&self) -> RpcResult {
        let changes = self.node.chain_mut().state.take_changes();
        self.node.store().write_state(&changes).await.map_err(RpcError::server)?;
        Ok(Value::Bool(true))
    }

    async fn handle(&self, method: &str, params: &Value) -> RpcResult {
        match method {
            "evm_mine" => {
                let ts: Option<U64> = opt_param(params, 0)?;
                build_block(&self.node, &self.clock, ts.map(|t| t.to()))
                    .await
                    .map_err(RpcError::server)?;
                Ok(json!("0x0"))
            }
            "anvil_mine" | "hardhat_mine" => {
                let n: Option<U64> = opt_param(params, 0)?;
                let n = n.map(|n| n.to::<u64>()).unwrap_or(1).min(10_000);
                for _ in 0..n {
                    build_block(&self.node, &self.clock, None).await.map_err(RpcError::server)?;
                }
                Ok(Value::Null)
            }
            "evm_increaseTime" | "anvil_increaseTime" => {
                let secs: U256 = param(params, 0)?;
                let secs = i64::try_from(secs)
                    .map_err(|_| RpcError::invalid_params("seconds out of range"))?;
                let total = self.clock.offset.fetch_add(secs, Ordering::Relaxed) + secs;
                Ok(json!(format!("{total:#x}")))
            }
            "evm_setNextBlockTimestamp" | "anvil_setNextBlockTimestamp" => {
                let ts: U64 = param(params, 0)?;
                let ts = ts.to::<u64>();
                let head = self.node.chain().head().header.timestamp;
                if ts <= head {
                    return Err(RpcError::server(format!(
                        "timestamp {ts} is lower than or equal to previous block's timestamp {head}"
                    )));
                }
                *self.clock.next.lock() = Some(ts);
                Ok(Value::Null)
            }
            "anvil_setBalance" | "hardhat_setBalance" => {
                let address: Address = param(params, 0)?;
                let balance: U256 = param(params, 1)?;
                let _producer = self.node.producer_lock().await;
                {
                    let mut chain = self.node.chain_mut();
                    let nonce = chain.state.nonce(&address);
                    chain.state.set_account(address, balance, nonce, None);
                }
                self.persist_state().await.map(|_| Value::Null)
            }
            "anvil_setNonce" | "hardhat_setNonce" => {
                let address: Address = param(params, 0)?;
                let nonce: U64 = param(params, 1)?;
                let _producer = self.node.producer_lock().await;
                {
                    let mut chain = self.node.chain_mut();
                    let balance = chain.state.balance(&address);
                    chain.state.set_account(address, balance, nonce.to(), None);
                }
                self.persist_state().await.map(|_| Value::Null)
            }
            "anvil_setCode" | "hardhat_setCode" => {
                let address: Address = param(params, 0)?;
                let code: Bytes = param(params, 1)?;
                let _producer = self.node.producer_lock().await;
                {
                    let mut chain = self.node.chain_mut();
                    let (balance, nonce) =
                        (chain.state.balance(&address), chain.state.nonce(&address));
                    chain.state.set_account(address, balance, nonce, Some(code));
                }
                self.persist_state().await.map(|_| Value::Null)
            }
            "anvil_setStorageAt" | "hardhat_setStorageAt" => {
                let address: Address = param(params, 0)?;
                let slot: U256 = param(params, 1)?;
                let value: B256 = param(params, 2)?;
                let _producer = self.node.producer_lock().await;
                self.node.chain_mut().state.set_storage(address, slot, value.into());
                self.persist_state().await
            }
            "evm_snapshot" | "anvil_snapshot" => {
                // A snapshot is the head and the end of the changesets:
                // reverting undoes every block and dev change after it.
                let _producer = self.node.producer_lock().await;
                self.persist_state().await?;
                let head = self.node.chain().head_number();
                let mark = self.node.store().changeset_mark().await.map_err(RpcError::server)?;
                let mut snapshots = self.snapshots.lock();
                let id = snapshots.last_key_value().map(|(k, _)| k + 1).unwrap_or(1);
                snapshots.insert(id, (head, mark));
                Ok(json!(format!("{id:#x}")))
            }
            "evm_revert" | "anvil_revert" => {
                let id: U256 = param(params, 0)?;
                let id = u64::try_from(id).unwrap_or(u64::MAX);
                let _producer = self.node.producer_lock().await;
                let Some((head, mark)) = ({
                    let mut snapshots = self.snapshots.lock();
                    let found = snapshots.get(&id).cloned();
                    // Reverting consumes the snapshot and every later one (ganache/anvil).
                    snapshots.retain(|k, _| *k < id);
                    found
                }) else {
                    return Ok(Value::Bool(false));
                };
                // Node::revert_to_mark: state, tries, blocks, receipts and
                // indices back in one database transaction (an unwind).
                self.node.revert_to_mark(head, mark).await.map_err(RpcError::server)?;
                Ok(Value::Bool(true))
            }
            _ => Err(RpcError::method_not_found(method)),
        }
    }
}

impl RpcExtension for DevMethods {
    fn call<'a>(&'a self, method: &'a str, params: &'a Value) -> Option<BoxFuture<'a, RpcResult>> {
        let ours = method.starts_with("evm_")
            || method.starts_with("anvil_")
            || method.starts_with("hardhat_");
        ours.then(|| self.handle(method, params).boxed())
    }
}
