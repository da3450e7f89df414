//! anvil-style dev methods: `evm_mine`, `anvil_mine`, `evm_increaseTime`,
//! `evm_setNextBlockTimestamp`, `anvil_setBalance`, `anvil_setNonce`,
//! `anvil_setCode`, `anvil_setStorageAt`, `evm_snapshot` and `evm_revert`,
//! `anvil_impersonateAccount`, `anvil_stopImpersonatingAccount` and
//! `anvil_autoImpersonateAccount` (`eth_sendTransaction` from an
//! impersonated address is pooled without its key, see
//! [`rollup_node::rpc::DevAccounts`]).

use crate::{MiningMode, build_block, now};
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

/// Largest L1 block timestamp the dev methods let the clock reach, in
/// seconds: 2^53 - 1, the largest integer a JavaScript client (viem, ethers)
/// reads exactly. It leaves the chain room to carry on: every later block
/// needs a larger timestamp, and the contracts add challenge windows and
/// chess clocks to `uint64(block.timestamp)`, which must not overflow.
/// `evm_increaseTime`, `evm_setNextBlockTimestamp` and `evm_mine` refuse
/// values beyond it.
pub const MAX_TIMESTAMP: u64 = (1 << 53) - 1;

/// The L1 clock: wall time plus the offset of `evm_increaseTime`, or a
/// one-shot timestamp from `evm_setNextBlockTimestamp`.
#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
    next: Mutex<Option<u64>>,
    next_base_fee: Mutex<Option<u64>>,
}

impl Clock {
    /// The base fee `anvil_setNextBlockBaseFeePerGas` set for the next
    /// block, in wei (one-shot).
    pub fn take_next_base_fee(&self) -> Option<u64> {
        self.next_base_fee.lock().take()
    }

    /// Timestamp of the next block: strictly above the parent's (saturating:
    /// the dev methods keep the clock at most [`MAX_TIMESTAMP`]).
    pub fn next_timestamp(&self, parent: u64) -> u64 {
        let after_parent = parent.saturating_add(1);
        if let Some(ts) = self.next.lock().take() {
            return ts.max(after_parent);
        }
        self.time_with(self.offset.load(Ordering::Relaxed)).max(after_parent)
    }

    /// Wall time plus `offset` seconds, within `0..=MAX_TIMESTAMP`.
    fn time_with(&self, offset: i64) -> u64 {
        (i128::from(now()) + i128::from(offset)).clamp(0, i128::from(MAX_TIMESTAMP)) as u64
    }
}

/// The error of a timestamp the chain could not carry on with.
fn beyond_max(what: &str, ts: impl std::fmt::Display) -> RpcError {
    RpcError::invalid_params(format!(
        "{what} {ts} is beyond the largest timestamp this chain allows ({MAX_TIMESTAMP})"
    ))
}

#[derive(Debug)]
pub(crate) struct DevMethods {
    node: Arc<Node>,
    clock: Arc<Clock>,
    snapshots: Mutex<BTreeMap<u64, (u64, ChangesetMark)>>,
    mode: tokio::sync::watch::Sender<MiningMode>,
}

impl DevMethods {
    pub(crate) fn new(
        node: Arc<Node>,
        clock: Arc<Clock>,
        mode: tokio::sync::watch::Sender<MiningMode>,
    ) -> Self {
        Self { node, clock, snapshots: Mutex::new(BTreeMap::new()), mode }
    }

    /// anvil's `SerializableState` JSON of the head state: every account's
    /// nonce, balance, code and storage.
    fn dump_state(&self) -> Value {
        let chain = self.node.chain();
        let head = chain.head();
        let accounts: serde_json::Map<String, Value> = chain
            .state
            .accounts()
            .map(|(address, account)| {
                let storage: serde_json::Map<String, Value> = account
                    .storage
                    .iter()
                    .map(|(k, v)| (format!("{:#x}", B256::from(*k)), json!(B256::from(*v))))
                    .collect();
                let code = chain.state.code(address);
                (
                    address.to_string(),
                    json!({
                        "nonce": account.nonce,
                        "balance": account.balance,
                        "code": code,
                        "storage": storage,
                    }),
                )
            })
            .collect();
        json!({
            "block": { "number": format!("{:#x}", head.number()), "timestamp": format!("{:#x}", head.header.timestamp) },
            "accounts": accounts,
        })
    }

    async fn persist_state(&self) -> RpcResult {
        let changes = self.node.chain_mut().state.take_changes();
        self.node.store().write_state(&changes).await.map_err(RpcError::server)?;
        Ok(Value::Bool(true))
    }

    /// `ts` may be the next block's timestamp: above the head's (anvil's
    /// message) and at most [`MAX_TIMESTAMP`].
    fn check_next_timestamp(&self, ts: u64) -> Result<(), RpcError> {
        let head = self.node.chain().head().header.timestamp;
        if ts <= head {
            return Err(RpcError::server(format!(
                "timestamp {ts} is lower than or equal to previous block's timestamp {head}"
            )));
        }
        if ts > MAX_TIMESTAMP {
            return Err(beyond_max("timestamp", ts));
        }
        Ok(())
    }

    async fn handle(&self, method: &str, params: &Value) -> RpcResult {
        match method {
            "evm_mine" => {
                let ts: Option<U64> = opt_param(params, 0)?;
                let ts = ts.map(|t| t.to::<u64>());
                if let Some(ts) = ts {
                    self.check_next_timestamp(ts)?;
                }
                build_block(&self.node, &self.clock, ts).await.map_err(RpcError::server)?;
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
                let secs =
                    i64::try_from(secs).map_err(|_| beyond_max("a time increase of", secs))?;
                // The offset only moves if the clock stays within MAX_TIMESTAMP.
                let mut total = 0;
                self.clock
                    .offset
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |offset| {
                        total = offset.checked_add(secs)?;
                        let time = i128::from(now()) + i128::from(total);
                        (time <= i128::from(MAX_TIMESTAMP)).then_some(total)
                    })
                    .map_err(|offset| {
                        let time = i128::from(now()) + i128::from(offset) + i128::from(secs);
                        beyond_max("the L1 time would be", time)
                    })?;
                Ok(json!(format!("{total:#x}")))
            }
            "evm_setNextBlockTimestamp" | "anvil_setNextBlockTimestamp" => {
                let ts: U64 = param(params, 0)?;
                let ts = ts.to::<u64>();
                self.check_next_timestamp(ts)?;
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
            "anvil_setAutomine" | "evm_setAutomine" => {
                let on: bool = param(params, 0)?;
                self.mode.send_replace(if on { MiningMode::Auto } else { MiningMode::Manual });
                Ok(Value::Null)
            }
            "anvil_getAutomine" | "hardhat_getAutomine" => {
                Ok(Value::Bool(*self.mode.borrow() == MiningMode::Auto))
            }
            "anvil_setIntervalMining" | "evm_setIntervalMining" => {
                let secs: u64 = param::<U64>(params, 0)?.to();
                self.mode.send_replace(if secs == 0 {
                    MiningMode::Manual
                } else {
                    MiningMode::Interval(std::time::Duration::from_secs(secs))
                });
                Ok(Value::Null)
            }
            "anvil_getIntervalMining" => Ok(match *self.mode.borrow() {
                MiningMode::Interval(d) => json!(d.as_secs()),
                _ => Value::Null,
            }),
            "anvil_setNextBlockBaseFeePerGas" | "hardhat_setNextBlockBaseFeePerGas" => {
                let fee: U256 = param(params, 0)?;
                let fee = u64::try_from(fee)
                    .map_err(|_| RpcError::invalid_params("base fee out of range"))?;
                *self.clock.next_base_fee.lock() = Some(fee);
                Ok(Value::Null)
            }
            "anvil_nodeInfo" => {
                let chain = self.node.chain();
                let head = chain.head();
                let config = self.node.config();
                Ok(json!({
                    "currentBlockNumber": head.number(),
                    "currentBlockTimestamp": head.header.timestamp,
                    "currentBlockHash": head.hash,
                    "hardFork": "prague",
                    "transactionOrder": "fees",
                    "environment": {
                        "baseFee": u128::from(head.header.base_fee_per_gas.unwrap_or_default()),
                        "chainId": config.chain_id,
                        "gasLimit": config.block_gas_limit,
                        "gasPrice": u128::from(self.node.next_base_fee()) + config.suggested_tip,
                    },
                    "forkConfig": {},
                }))
            }
            "anvil_dumpState" | "hardhat_dumpState" => {
                let _view = self.node.state_view().await;
                let dump = self.dump_state();
                Ok(json!(Bytes::from(dump.to_string().into_bytes())))
            }
            "anvil_loadState" | "hardhat_loadState" => {
                let raw: Bytes = param(params, 0)?;
                let dump: Value = serde_json::from_slice(&raw).map_err(|e| {
                    RpcError::invalid_params(format!("invalid state (anvil_dumpState JSON): {e}"))
                })?;
                let accounts = dump
                    .get("accounts")
                    .and_then(Value::as_object)
                    .ok_or_else(|| RpcError::invalid_params("invalid state: no accounts"))?;
                #[derive(serde::Deserialize)]
                struct Account {
                    #[serde(default)]
                    nonce: u64,
                    #[serde(default)]
                    balance: U256,
                    #[serde(default)]
                    code: Bytes,
                    #[serde(default)]
                    storage: std::collections::BTreeMap<U256, U256>,
                }
                let mut parsed = Vec::with_capacity(accounts.len());
                for (address, account) in accounts {
                    let address: Address = address.parse().map_err(|e| {
                        RpcError::invalid_params(format!("invalid address {address}: {e}"))
                    })?;
                    let account: Account =
                        serde_json::from_value(account.clone()).map_err(|e| {
                            RpcError::invalid_params(format!("invalid account {address}: {e}"))
                        })?;
                    parsed.push((address, account));
                }
                let _producer = self.node.producer_lock().await;
                {
                    let mut chain = self.node.chain_mut();
                    for (address, account) in parsed {
                        let code = (!account.code.is_empty()).then_some(account.code);
                        chain.state.set_account(address, account.balance, account.nonce, code);
                        for (slot, value) in account.storage {
                            chain.state.set_storage(address, slot, value);
                        }
                    }
                }
                self.persist_state().await
            }
            "anvil_impersonateAccount" | "hardhat_impersonateAccount" => {
                let address: Address = param(params, 0)?;
                self.node.rpc().accounts().impersonate(address);
                Ok(Value::Null)
            }
            "anvil_stopImpersonatingAccount" | "hardhat_stopImpersonatingAccount" => {
                let address: Address = param(params, 0)?;
                self.node.rpc().accounts().stop_impersonating(&address);
                Ok(Value::Null)
            }
            "anvil_autoImpersonateAccount" => {
                let on: bool = param(params, 0)?;
                self.node.rpc().accounts().set_auto_impersonate(on);
                Ok(Value::Null)
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
