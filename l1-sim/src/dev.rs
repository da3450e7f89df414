//! anvil-style dev methods: `evm_mine`, `anvil_mine`, `evm_increaseTime`,
//! `evm_setNextBlockTimestamp`, `anvil_setBalance`, `anvil_setNonce`,
//! `anvil_setCode`, `anvil_setStorageAt`, `evm_snapshot` and `evm_revert`,
//! `anvil_impersonateAccount`, `anvil_stopImpersonatingAccount` and
//! `anvil_autoImpersonateAccount` (`eth_sendTransaction` from an
//! impersonated address is pooled without its key, see
//! [`rollup_node::rpc::DevAccounts`]), and anvil's reorgs:
//! `anvil_rollback(depth)` and `anvil_reorg(depth, txBlockPairs)`.
//!
//! # Reorgs
//!
//! As anvil's (foundry `crates/anvil/src/eth/api.rs`): `anvil_rollback`
//! removes the last `depth` blocks (default 1); `anvil_reorg` removes them
//! and mines `depth` new blocks in their place, block `i` (0-based) carrying
//! the transactions paired with `i` and nothing from the pool. A pair is
//! `[tx, i]` where `tx` is raw signed EIP-2718 bytes or a transaction
//! request from a dev or impersonated account (filled as
//! `eth_sendTransaction` would, its nonce counted on from the common
//! block's unless given). A transaction that does not execute is left out,
//! as anvil does. The new blocks' hashes always differ from the removed
//! ones (PREVRANDAO is derived from the hash of the block replaced).
//!
//! The transactions of removed blocks are not put back in the pool (anvil
//! does not either); their receipts, logs and blob sidecars (beacon API)
//! go with the blocks. Neither method removes a finalized block
//! ([`crate::L1Config::finality_depth`]): a depth reaching below
//! `finalized` is refused with "cannot reorg finalized blocks", and
//! `finalized` never moves back. Only `evm_revert`, a dev tool that undoes
//! anything, may go below it.

use crate::{
    MiningMode, build_block,
    builder::{BlockTxs, build_block_locked},
    now,
};
use alloy_consensus::{TxEnvelope, transaction::SignerRecoverable};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, B256, Bytes, U64, U256};
use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag, TransactionRequest};
use futures::{FutureExt, future::BoxFuture};
use parking_lot::Mutex;
use rollup_node::{
    ChangesetMark, Node,
    mempool::PoolTx,
    rpc::{RpcError, RpcExtension, RpcResult, dev_transaction, opt_param, param},
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
///
/// It bounds what the dev methods may ask for, never mining: every block's
/// timestamp must exceed its parent's (geth's `verifyHeader`: "timestamp
/// older than parent"), so once a block is at the cap the next ones take
/// `parent + 1` (past the cap, one second per block; 2^64 is 2^63 blocks
/// away) and the L1 keeps mining. A call asking for a timestamp at or below
/// the head's is refused with anvil's message instead.
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

    /// Timestamp of the next block: the one-shot timestamp or the clock,
    /// but always strictly above the parent's, even past [`MAX_TIMESTAMP`]
    /// (the L1 never stops mining; saturating at `u64::MAX`, which the dev
    /// methods cannot get near).
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

/// One transaction of `anvil_reorg`: a request or raw signed bytes (anvil's
/// untagged `TransactionData`).
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
enum ReorgTx {
    Request(Box<TransactionRequest>),
    Raw(Bytes),
}

/// A block count given as a JSON number or a hex quantity.
fn depth_of(value: &Value, what: &str) -> Result<u64, RpcError> {
    if let Some(n) = value.as_u64() {
        return Ok(n);
    }
    serde_json::from_value::<U64>(value.clone())
        .map(|n| n.to::<u64>())
        .map_err(|e| RpcError::invalid_params(format!("invalid {what}: {e}")))
}

/// anvil_reorg's parameters, `[depth, [[tx, blockIndex], ...]]` (anvil's
/// `ReorgOptions`; the pairs may be left out).
fn reorg_params(params: &Value) -> Result<(u64, Vec<(ReorgTx, u64)>), RpcError> {
    let items = params.as_array().map(Vec::as_slice).unwrap_or_default();
    let (depth, pairs) = (items.first(), items.get(1));
    let depth = match depth {
        Some(v) if !v.is_null() => depth_of(v, "depth")?,
        _ => return Err(RpcError::invalid_params("missing value for required argument 0")),
    };
    let pairs = match pairs {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(pairs)) => pairs
            .iter()
            .enumerate()
            .map(|(i, pair)| {
                let bad = |e: String| {
                    RpcError::invalid_params(format!("invalid transaction/block pair {i}: {e}"))
                };
                let [tx, block] = pair.as_array().map(Vec::as_slice).unwrap_or_default() else {
                    return Err(bad("expected [transaction, blockIndex]".into()));
                };
                let tx: ReorgTx =
                    serde_json::from_value(tx.clone()).map_err(|e| bad(e.to_string()))?;
                Ok((tx, depth_of(block, "block index").map_err(|e| bad(e.message))?))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(RpcError::invalid_params(
                "invalid argument 1: expected an array of [transaction, blockIndex] pairs",
            ));
        }
    };
    Ok((depth, pairs))
}

/// A raw signed transaction of `anvil_reorg`, ready for the block builder.
fn raw_reorg_tx(raw: &Bytes) -> Result<PoolTx, RpcError> {
    let tx = TxEnvelope::decode_2718_exact(raw).map_err(|e| {
        RpcError::invalid_params(format!("failed to decode signed transaction: {e}"))
    })?;
    if tx.is_eip4844() {
        return Err(RpcError::invalid_params(
            "blob transactions cannot be reorged in: send them with eth_sendRawTransaction",
        ));
    }
    let sender = tx
        .recover_signer()
        .map_err(|_| RpcError::invalid_params("invalid sender of a reorg transaction"))?;
    Ok(PoolTx { hash: *tx.tx_hash(), raw: raw.clone(), sidecar: None, sender, tx })
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

    /// Switches how the L1 mines (what `anvil_setAutomine` and
    /// `anvil_setIntervalMining` do).
    pub(crate) fn set_mining_mode(&self, mode: MiningMode) {
        self.mode.send_replace(mode);
    }

    /// How the L1 mines now.
    pub(crate) fn mining_mode(&self) -> MiningMode {
        *self.mode.borrow()
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

    /// The error for a reorg or rollback of `depth` blocks from `head` that
    /// would remove a finalized block, if it would.
    fn check_not_finalized(&self, head: u64, depth: u64) -> Result<(), RpcError> {
        let finalized = self.node.finalized_number();
        if head - depth < finalized {
            return Err(RpcError::invalid_params(format!(
                "cannot reorg finalized blocks: depth {depth} from head {head} would remove block \
                 {finalized}, which is finalized (L1 finality depth)"
            )));
        }
        Ok(())
    }

    /// Unwinds to `common` under the producer lock the caller holds, and
    /// forgets the snapshots taken above it.
    async fn rollback_locked(&self, common: u64) -> Result<(), RpcError> {
        self.node.unwind_to_locked(common).await.map_err(RpcError::server)?;
        self.snapshots.lock().retain(|_, (head, _)| *head <= common);
        Ok(())
    }

    /// `anvil_rollback(depth)`: removes the last `depth` blocks (default 1).
    async fn rollback(&self, params: &Value) -> RpcResult {
        let depth = match params.as_array().and_then(|a| a.first()) {
            None | Some(Value::Null) => 1,
            Some(v) => depth_of(v, "depth")?,
        };
        let _producer = self.node.producer_lock().await;
        let head = self.node.chain().head_number();
        let Some(common) = head.checked_sub(depth) else {
            return Err(RpcError::invalid_params(format!(
                "Rollback depth must not exceed current chain height: current height {head}, depth {depth}"
            )));
        };
        self.check_not_finalized(head, depth)?;
        self.rollback_locked(common).await?;
        tracing::info!(target: "l1", depth, head = common, "anvil_rollback");
        Ok(Value::Null)
    }

    /// `anvil_reorg(depth, txBlockPairs)`: replaces the last `depth` blocks
    /// with `depth` new ones carrying the given transactions.
    async fn reorg(&self, params: &Value) -> RpcResult {
        let (depth, mut pairs) = reorg_params(params)?;
        if let Some((_, n)) = pairs.iter().find(|(_, n)| *n >= depth) {
            return Err(RpcError::invalid_params(format!(
                "Block number for reorg tx will exceed the reorged chain height. Block number {n} must not exceed (depth-1) {}",
                depth.saturating_sub(1)
            )));
        }
        pairs.sort_by_key(|(_, n)| *n);
        // Requests are filled against the common block's state, read before
        // the producer lock is taken; if a block was mined in between, again.
        for _ in 0..3 {
            let head = self.node.chain().head_number();
            let Some(common) = head.checked_sub(depth) else {
                return Err(RpcError::invalid_params(format!(
                    "Reorg depth must not exceed current chain height: current height {head}, depth {depth}"
                )));
            };
            self.check_not_finalized(head, depth)?;
            let mut blocks: Vec<Vec<PoolTx>> = (0..depth).map(|_| Vec::new()).collect();
            if !pairs.is_empty() {
                let state = self
                    .node
                    .state_at(BlockId::Number(BlockNumberOrTag::Number(common)))
                    .await
                    .map_err(RpcError::server)?;
                let mut nonces: BTreeMap<Address, u64> = BTreeMap::new();
                for (tx, n) in &pairs {
                    let pooled = match tx {
                        ReorgTx::Raw(raw) => raw_reorg_tx(raw)?,
                        ReorgTx::Request(request) => {
                            let mut request = (**request).clone();
                            let from = request.from.unwrap_or_default();
                            let nonce = nonces.entry(from).or_insert_with(|| state.nonce(&from));
                            let nonce = *request.nonce.get_or_insert(*nonce);
                            nonces.insert(from, nonce + 1);
                            let (tx, raw, sender) = dev_transaction(&self.node, &state, request)?;
                            PoolTx { hash: *tx.tx_hash(), raw, sidecar: None, sender, tx }
                        }
                    };
                    blocks[*n as usize].push(pooled);
                }
            }
            let _producer = self.node.producer_lock().await;
            if self.node.chain().head_number() != head {
                continue;
            }
            let replaced: Vec<B256> = {
                let chain = self.node.chain();
                (common + 1..=head).map(|n| chain.hash(n).unwrap_or_default()).collect()
            };
            self.rollback_locked(common).await?;
            for (txs, old) in blocks.into_iter().zip(replaced) {
                build_block_locked(
                    &self.node,
                    &self.clock,
                    None,
                    BlockTxs::Given { txs, replaces: Some(old) },
                )
                .await
                .map_err(RpcError::server)?;
            }
            tracing::info!(target: "l1", depth, common, txs = pairs.len(), "anvil_reorg");
            return Ok(Value::Null);
        }
        Err(RpcError::server("anvil_reorg: the chain kept moving; try again"))
    }

    async fn handle(&self, method: &str, params: &Value) -> RpcResult {
        match method {
            "anvil_rollback" => self.rollback(params).await,
            "anvil_reorg" => self.reorg(params).await,
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
