//! The `eth_`, `net_` and `web3_` methods.

use super::{RpcError, RpcResult, json, opt_param, overrides::EvmOverrides, param};
use crate::{HistoricalState, Node, StoredBlock, blob};
use alloy_primitives::{Address, B256, Bytes, TxKind, U64, U256};
use alloy_rpc_types_eth::{
    BlockId, BlockNumberOrTag, Filter, FilterBlockOption, TransactionRequest,
};
use revm::{
    ExecuteEvm,
    context::TxEnv,
    context_interface::result::{EVMError, ExecutionResult},
    database::CacheDB,
};
use rollup_protocol::{BlockEnvInput, build_evm_with_precompiles};
use serde_json::{Value, json as j};
use std::sync::Arc;

/// Most blocks one `eth_getLogs` may scan, unless
/// [`RpcLimits::max_blocks_per_filter`](super::RpcLimits::max_blocks_per_filter) says otherwise.
pub const MAX_LOG_RANGE: u64 = super::limits::DEFAULT_MAX_BLOCKS_PER_FILTER;

fn q(n: impl Into<u128>) -> Value {
    Value::String(format!("{:#x}", n.into()))
}

/// The state after `block` (default `latest`) for the state methods
/// (`eth_getBalance`, `eth_getTransactionCount`, `eth_getCode`,
/// `eth_getStorageAt`, `eth_getProof`, `eth_call`, `eth_estimateGas`); it
/// waits out a block being produced ([`Node::state_at`]).
async fn state_at(node: &Arc<Node>, block: Option<BlockId>) -> Result<HistoricalState, RpcError> {
    node.state_at(block.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest)))
        .await
        .map_err(RpcError::server)
}

pub(super) async fn dispatch(node: &Arc<Node>, method: &str, params: &Value) -> RpcResult {
    match method {
        "eth_chainId" => Ok(q(node.config().chain_id)),
        "net_version" => Ok(Value::String(node.config().chain_id.to_string())),
        "net_listening" => Ok(Value::Bool(true)),
        "net_peerCount" => Ok(q(0u64)),
        "web3_clientVersion" => Ok(Value::String(node.config().client_version.clone())),
        "web3_sha3" => {
            let data: Bytes = param(params, 0)?;
            Ok(j!(alloy_primitives::keccak256(&data)))
        }
        "eth_syncing" => Ok(Value::Bool(false)),
        "eth_mining" => Ok(Value::Bool(true)),
        "eth_blockNumber" => Ok(q(node.chain().head_number())),
        "eth_gasPrice" => Ok(q(u128::from(node.next_base_fee()) + node.config().suggested_tip)),
        "eth_maxPriorityFeePerGas" => Ok(q(node.config().suggested_tip)),
        "eth_blobBaseFee" => Ok(q(node.next_blob_base_fee())),
        "eth_feeHistory" => fee_history(node, params).await,
        "eth_getBlockByNumber" | "eth_getBlockByHash" => {
            let full: bool = opt_param(params, 1)?.unwrap_or(false);
            let block = block_from_param(node, params, method == "eth_getBlockByHash").await?;
            Ok(block.map(|b| json::block_json(&b, full)).unwrap_or(Value::Null))
        }
        "eth_getBlockTransactionCountByNumber" | "eth_getBlockTransactionCountByHash" => {
            let block = block_from_param(node, params, method.ends_with("Hash")).await?;
            Ok(block.map(|b| q(b.transactions.len() as u64)).unwrap_or(Value::Null))
        }
        "eth_getTransactionByBlockNumberAndIndex" | "eth_getTransactionByBlockHashAndIndex" => {
            let block = block_from_param(node, params, method.contains("Hash")).await?;
            let index: U64 = param(params, 1)?;
            Ok(block
                .and_then(|b| {
                    let i = usize::try_from(index.to::<u64>()).ok()?;
                    b.transactions.get(i).map(|_| json::tx_json(&b, i))
                })
                .unwrap_or(Value::Null))
        }
        "txpool_status" | "txpool_content" | "txpool_inspect" => Ok(txpool(node, method)),
        "eth_getUncleCountByBlockNumber" | "eth_getUncleCountByBlockHash" => Ok(q(0u64)),
        "eth_getBalance" => {
            let address: Address = param(params, 0)?;
            let state = state_at(node, opt_param(params, 1)?).await?;
            Ok(j!(state.balance(&address)))
        }
        "eth_getTransactionCount" => {
            let address: Address = param(params, 0)?;
            let block: Option<BlockId> = opt_param(params, 1)?;
            let pending = matches!(block, Some(BlockId::Number(BlockNumberOrTag::Pending)));
            let nonce = state_at(node, block).await?.nonce(&address);
            let nonce = if pending { node.pool().pending_nonce(&address, nonce) } else { nonce };
            Ok(q(nonce))
        }
        "eth_getCode" => {
            let address: Address = param(params, 0)?;
            let state = state_at(node, opt_param(params, 1)?).await?;
            Ok(j!(state.code(&address)))
        }
        "eth_getStorageAt" => {
            let address: Address = param(params, 0)?;
            let slot: U256 = param(params, 1)?;
            let state = state_at(node, opt_param(params, 2)?).await?;
            Ok(j!(B256::from(state.storage(&address, slot))))
        }
        "eth_getProof" => {
            let address: Address = param(params, 0)?;
            // geth's bound and message, checked before the keys are parsed.
            let max = node.config().rpc_limits.max_proof_keys;
            if let Some(keys) = params.get(1).and_then(Value::as_array)
                && keys.len() > max
            {
                return Err(RpcError::invalid_params(format!(
                    "too many storage keys requested (max {max}, got {})",
                    keys.len()
                )));
            }
            let slots: Vec<B256> = param(params, 1)?;
            let state = state_at(node, opt_param(params, 2)?).await?;
            let proof = state.proof(address, &slots);
            Ok(j!({
                "address": proof.address,
                "balance": proof.balance,
                "nonce": q(proof.nonce),
                "codeHash": proof.code_hash,
                "storageHash": proof.storage_hash,
                "accountProof": proof.account_proof,
                "storageProof": proof.storage_proof.iter().map(|(key, value, nodes)| j!({
                    "key": key, "value": value, "proof": nodes
                })).collect::<Vec<_>>(),
            }))
        }
        "eth_call" => {
            let request: TransactionRequest = param(params, 0)?;
            let state = state_at(node, opt_param(params, 1)?).await?;
            let overrides = EvmOverrides {
                state: opt_param(params, 2)?,
                block: opt_param(params, 3)?.map(Box::new),
            };
            match call(node, &state, &request, None, &overrides)? {
                ExecutionResult::Success { output, .. } => Ok(j!(output.into_data())),
                ExecutionResult::Revert { output, .. } => Err(RpcError::reverted(&output)),
                ExecutionResult::Halt { reason, .. } => {
                    Err(RpcError::server(super::errors::halt(&reason)))
                }
            }
        }
        "eth_estimateGas" => {
            let request: TransactionRequest = param(params, 0)?;
            let state = state_at(node, opt_param(params, 1)?).await?;
            let overrides = EvmOverrides {
                state: opt_param(params, 2)?,
                block: opt_param(params, 3)?.map(Box::new),
            };
            estimate_gas(node, &state, &request, &overrides).map(q)
        }
        "eth_simulateV1" => super::simulate::simulate_v1(node, params).await,
        "eth_createAccessList" => {
            let request: TransactionRequest = param(params, 0)?;
            let state = state_at(node, opt_param(params, 1)?).await?;
            let overrides = EvmOverrides { state: opt_param(params, 2)?, block: None };
            create_access_list(node, &state, &request, &overrides)
        }
        "eth_sendRawTransaction" => {
            let raw: Bytes = param(params, 0)?;
            node.submit_raw(&raw).map(|h| j!(h)).map_err(RpcError::server)
        }
        "eth_getTransactionByHash" => {
            let hash: B256 = param(params, 0)?;
            // The pool first: a block is pushed onto the chain before its
            // transactions leave the pool, so a transaction not in the pool
            // any more is already visible in the chain. Asking the chain
            // first would answer null for one mined in between.
            if let Some(pending) = node.pool().get(&hash).map(json::pending_tx_json) {
                return Ok(pending);
            }
            Ok(node
                .transaction(&hash)
                .await?
                .map(|(loc, block)| json::tx_json(&block, loc.index))
                .unwrap_or(Value::Null))
        }
        "eth_getTransactionReceipt" => {
            let hash: B256 = param(params, 0)?;
            Ok(node
                .transaction(&hash)
                .await?
                .map(|(loc, block)| json::receipt_json(&block, loc.index))
                .unwrap_or(Value::Null))
        }
        "eth_getBlockReceipts" => {
            let id: BlockId = param(params, 0)?;
            let block = match id {
                BlockId::Hash(h) => node.block_by_hash(&h.block_hash).await?,
                BlockId::Number(tag) => match resolve_number(node, tag) {
                    Some(n) => node.block(n).await?,
                    None => None,
                },
            };
            Ok(block
                .map(|b| {
                    Value::Array(
                        (0..b.transactions.len()).map(|i| json::receipt_json(&b, i)).collect(),
                    )
                })
                .unwrap_or(Value::Null))
        }
        "eth_getLogs" => {
            let filter: Filter = param(params, 0)?;
            get_logs(node, &filter).await
        }
        _ => Err(RpcError::method_not_found(method)),
    }
}

async fn block_from_param(
    node: &Node,
    params: &Value,
    by_hash: bool,
) -> Result<Option<Arc<StoredBlock>>, RpcError> {
    Ok(if by_hash {
        let hash: B256 = param(params, 0)?;
        node.block_by_hash(&hash).await?
    } else {
        let tag: BlockNumberOrTag = param(params, 0)?;
        match resolve_number(node, tag) {
            Some(n) => node.block(n).await?,
            None => None,
        }
    })
}

/// The block number a tag names ([`Node::tag_number`]).
pub(super) fn resolve_number(node: &Node, tag: BlockNumberOrTag) -> Option<u64> {
    node.tag_number(tag)
}

fn call_env(
    node: &Node,
    request: &TransactionRequest,
    gas: Option<u64>,
    state: &HistoricalState,
) -> TxEnv {
    let from = request.from.unwrap_or_default();
    let max_fee = request.max_fee_per_gas.or(request.gas_price).unwrap_or(0);
    let blob_hashes = request.blob_versioned_hashes.clone().unwrap_or_default();
    let tx_type = if !blob_hashes.is_empty() {
        3
    } else if request.max_fee_per_gas.is_some() {
        2
    } else {
        0
    };
    TxEnv {
        tx_type,
        caller: from,
        gas_limit: gas
            .or(request.gas)
            .unwrap_or(node.config().block_gas_limit)
            .min(node.config().block_gas_limit),
        gas_price: max_fee,
        gas_priority_fee: request.max_priority_fee_per_gas,
        kind: request.to.unwrap_or(TxKind::Create),
        value: request.value.unwrap_or_default(),
        data: request.input.input().cloned().unwrap_or_default(),
        // geth ignores the request's nonce in calls and estimates
        // (`SkipNonceChecks`): a client estimating its next transaction
        // before the previous one is mined must not fail.
        nonce: state.nonce(&from),
        chain_id: Some(node.config().chain_id),
        access_list: request.access_list.clone().unwrap_or_default(),
        blob_hashes,
        max_fee_per_blob_gas: request.max_fee_per_blob_gas.unwrap_or_default(),
        ..Default::default()
    }
}

/// revm over a block's state behind a copy-on-write cache, as calls run it.
pub(super) type CallEvm<'a> = rollup_protocol::RollupEvm<CacheDB<&'a HistoricalState>>;

/// geth's message for an EVM error of a call from `from`.
pub(super) fn evm_error<E: std::fmt::Display>(e: EVMError<E>, from: Address) -> RpcError {
    match e {
        EVMError::Transaction(e) => RpcError::server(super::errors::invalid_tx(&e, from)),
        e => RpcError::server(e.to_string()),
    }
}

/// Prepares `request` as a call on `state` (in a block on top of its
/// block), with `overrides` applied, and hands revm and the transaction to
/// `run`, which executes it (plainly or under an inspector). Nothing is
/// committed (geth semantics: without a gas price no fee is charged and the
/// base fee is not enforced; the nonce is not checked).
pub(super) fn call_with<R>(
    node: &Node,
    state: &HistoricalState,
    request: &TransactionRequest,
    gas: Option<u64>,
    overrides: &EvmOverrides,
    run: impl FnOnce(CallEvm<'_>, TxEnv) -> Result<R, RpcError>,
) -> Result<R, RpcError> {
    let head = &state.block().header;
    let priced = request.max_fee_per_gas.is_some() || request.gas_price.is_some();
    let env = BlockEnvInput {
        number: head.number + 1,
        timestamp: head.timestamp + 1,
        beneficiary: head.beneficiary,
        gas_limit: node.config().block_gas_limit,
        base_fee: if priced { node.next_base_fee_after(head) } else { 0 },
        prevrandao: head.mix_hash,
    };
    let tx = call_env(node, request, gas, state);
    let mut db = CacheDB::new(state);
    if let Some(state) = &overrides.state {
        super::overrides::apply_state(&mut db, state)?;
    }
    let mut evm = build_evm_with_precompiles(
        db,
        node.config().chain_id,
        &env,
        node.config().kind.precompiles(),
    );
    evm.ctx.cfg.disable_base_fee = !priced;
    evm.ctx.cfg.disable_block_gas_limit = true;
    // geth's `SkipNonceChecks`.
    evm.ctx.cfg.disable_nonce_check = true;
    let ctx = &mut evm.ctx;
    node.set_blob_env(&mut ctx.cfg, &mut ctx.block, blob::next_excess_blob_gas_after(head));
    if request.max_fee_per_blob_gas.is_none()
        && let Some(blob) = &mut evm.ctx.block.blob_excess_gas_and_price
    {
        // geth: without a blob fee cap the call pays no blob fee (BLOBBASEFEE reads 0).
        blob.blob_gasprice = 0;
    }
    if let Some(block) = &overrides.block {
        super::overrides::apply_block(&mut evm.ctx.block, block)?;
    }
    run(evm, tx)
}

/// Executes `request` on `state` without committing.
fn call(
    node: &Node,
    state: &HistoricalState,
    request: &TransactionRequest,
    gas: Option<u64>,
    overrides: &EvmOverrides,
) -> Result<ExecutionResult, RpcError> {
    let from = request.from.unwrap_or_default();
    call_with(node, state, request, gas, overrides, |mut evm, tx| {
        evm.transact(tx).map(|out| out.result).map_err(|e| evm_error(e, from))
    })
}

/// `eth_createAccessList` (geth's `AccessList`): runs the call under
/// revm-inspectors' `AccessListInspector` until the list it records is the
/// one the call ran with (at most 10 rounds), and returns it with the gas
/// used; a reverting call still returns its list, with `error`.
fn create_access_list(
    node: &Node,
    state: &HistoricalState,
    request: &TransactionRequest,
    overrides: &EvmOverrides,
) -> RpcResult {
    use revm::InspectEvm;
    use revm_inspectors::access_list::AccessListInspector;
    let from = request.from.unwrap_or_default();
    let mut list = request.access_list.clone().unwrap_or_default();
    let mut request = request.clone();
    for _ in 0..10 {
        request.access_list = Some(list.clone());
        let (result, found) = call_with(node, state, &request, None, overrides, |evm, tx| {
            let mut evm = evm.with_inspector(AccessListInspector::new(list.clone()));
            let out = evm.inspect_tx(tx).map_err(|e| evm_error(e, from))?;
            Ok((out.result, evm.inspector.access_list()))
        })?;
        if found == list {
            let mut out = j!({ "accessList": found, "gasUsed": q(result.tx_gas_used()) });
            match result {
                ExecutionResult::Success { .. } => {}
                ExecutionResult::Revert { output, .. } => {
                    out["error"] = j!(RpcError::reverted(&output).message)
                }
                ExecutionResult::Halt { reason, .. } => {
                    out["error"] = j!(super::errors::halt(&reason))
                }
            }
            return Ok(out);
        }
        list = found;
    }
    Err(RpcError::server("access list did not converge"))
}

/// Binary search for the lowest gas limit that succeeds (geth's algorithm).
pub(super) fn estimate_gas(
    node: &Node,
    state: &HistoricalState,
    request: &TransactionRequest,
    overrides: &EvmOverrides,
) -> Result<u64, RpcError> {
    let cap =
        request.gas.unwrap_or(node.config().block_gas_limit).min(node.config().block_gas_limit);
    let used = match call(node, state, request, Some(cap), overrides)? {
        ExecutionResult::Success { gas, .. } => gas.tx_gas_used(),
        ExecutionResult::Revert { output, .. } => return Err(RpcError::reverted(&output)),
        ExecutionResult::Halt { reason, .. } => {
            // geth: out of gas at the cap is "gas required exceeds
            // allowance"; any other halt is returned as the VM's error.
            return Err(RpcError::server(match reason {
                revm::context_interface::result::HaltReason::OutOfGas(_) => {
                    format!("gas required exceeds allowance ({cap})")
                }
                other => super::errors::halt(&other),
            }));
        }
    };
    let (mut lo, mut hi) = (used.saturating_sub(1), cap);
    // Most transactions succeed with what they used plus the 63/64 reserve.
    let optimistic = (used + 2300) * 64 / 63;
    if optimistic < hi
        && matches!(
            call(node, state, request, Some(optimistic), overrides),
            Ok(ExecutionResult::Success { .. })
        )
    {
        hi = optimistic;
    }
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        match call(node, state, request, Some(mid), overrides) {
            Ok(ExecutionResult::Success { .. }) => hi = mid,
            _ => lo = mid,
        }
    }
    Ok(hi)
}

async fn fee_history(node: &Node, params: &Value) -> RpcResult {
    let limits = node.config().rpc_limits;
    let count: U64 = param(params, 0)?;
    let newest: BlockNumberOrTag = param(params, 1)?;
    // geth's bound and message, checked before the percentiles are parsed.
    if let Some(p) = params.get(2).and_then(Value::as_array)
        && p.len() > limits.max_fee_history_percentiles
    {
        return Err(RpcError::invalid_params(format!(
            "invalid reward percentile: over the query limit {}",
            limits.max_fee_history_percentiles
        )));
    }
    let percentiles: Vec<f64> = opt_param(params, 2)?.unwrap_or_default();
    if percentiles.windows(2).any(|w| w[0] > w[1])
        || percentiles.iter().any(|p| !(0.0..=100.0).contains(p))
    {
        return Err(RpcError::invalid_params("invalid reward percentiles"));
    }
    // geth cuts a longer range to the newest blocks it serves.
    let count = count.to::<u64>().min(limits.max_fee_history_blocks);
    let newest =
        resolve_number(node, newest).ok_or_else(|| RpcError::invalid_params("block not found"))?;
    let oldest = newest.saturating_add(1).saturating_sub(count.max(1));
    let blocks = node.blocks(oldest, newest).await?;
    let (mut base_fees, mut ratios, mut rewards) = (Vec::new(), Vec::new(), Vec::new());
    let (mut blob_fees, mut blob_ratios) = (Vec::new(), Vec::new());
    let mut next_blob_fee = blob::blob_base_fee(0);
    for block in &blocks {
        let h = &block.header;
        base_fees.push(q(h.base_fee_per_gas.unwrap_or_default()));
        ratios.push(j!(h.gas_used as f64 / h.gas_limit.max(1) as f64));
        blob_fees.push(q(blob::header_blob_base_fee(h)));
        blob_ratios.push(j!(
            h.blob_gas_used.unwrap_or_default() as f64 / blob::MAX_BLOB_GAS_PER_BLOCK as f64
        ));
        next_blob_fee = blob::blob_base_fee(blob::next_excess_blob_gas_after(h));
        if !percentiles.is_empty() {
            let base = h.base_fee_per_gas.unwrap_or_default();
            let mut tips: Vec<(u128, u64)> = block
                .transactions
                .iter()
                .map(|t| {
                    (
                        t.receipt.effective_gas_price.saturating_sub(u128::from(base)),
                        t.receipt.gas_used,
                    )
                })
                .collect();
            tips.sort_unstable();
            let total: u64 = tips.iter().map(|t| t.1).sum();
            rewards.push(Value::Array(
                percentiles
                    .iter()
                    .map(|p| {
                        let threshold = (total as f64 * p / 100.0) as u64;
                        let mut acc = 0;
                        let tip = tips
                            .iter()
                            .find(|(_, g)| {
                                acc += g;
                                acc >= threshold
                            })
                            .map(|t| t.0);
                        q(tip.or(tips.last().map(|t| t.0)).unwrap_or(0))
                    })
                    .collect(),
            ));
        }
    }
    base_fees.push(q(node.next_base_fee()));
    // The entry after `newest` is the fee of its child, as for baseFeePerGas.
    blob_fees.push(q(next_blob_fee));
    let mut out = j!({
        "oldestBlock": q(oldest),
        "baseFeePerGas": base_fees,
        "gasUsedRatio": ratios,
        "baseFeePerBlobGas": blob_fees,
        "blobGasUsedRatio": blob_ratios,
    });
    if !percentiles.is_empty() {
        out["reward"] = Value::Array(rewards);
    }
    Ok(out)
}

/// Blocks of a log query read from the store at a time (the range may be
/// [`crate::rpc::RpcLimits::max_blocks_per_filter`] long: never held whole).
const LOG_SCAN_CHUNK: u64 = 256;

pub(super) async fn get_logs(node: &Node, filter: &Filter) -> RpcResult {
    let limits = node.config().rpc_limits;
    let (safe, finalized) = (node.safe_number(), node.finalized_number());
    let head = node.chain().head_number();
    let (from, to) = match filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => match node.block_by_hash(&hash).await? {
            Some(block) => (block.number(), block.number()),
            None => return Ok(Value::Array(vec![])),
        },
        FilterBlockOption::Range { from_block, to_block } => {
            let resolve = |t: Option<BlockNumberOrTag>| match t {
                None | Some(BlockNumberOrTag::Latest | BlockNumberOrTag::Pending) => head,
                Some(BlockNumberOrTag::Earliest) => 0,
                Some(BlockNumberOrTag::Number(n)) => n.min(head),
                Some(BlockNumberOrTag::Safe) => safe.min(head),
                Some(BlockNumberOrTag::Finalized) => finalized.min(head),
            };
            let (from, to) = (resolve(from_block), resolve(to_block));
            if from > to {
                return Err(RpcError::invalid_params("invalid block range params"));
            }
            // reth's bound and message.
            let max = limits.max_blocks_per_filter;
            if to - from >= max {
                return Err(RpcError::invalid_params(format!(
                    "query exceeds max block range {max}"
                )));
            }
            (from, to)
        }
    };
    let multi_block = to > from;
    let mut out = Vec::new();
    let mut chunk_from = from;
    while chunk_from <= to {
        let chunk_to = to.min(chunk_from.saturating_add(LOG_SCAN_CHUNK - 1));
        for block in node.blocks(chunk_from, chunk_to).await? {
            if !filter.matches_bloom(block.header.logs_bloom) {
                continue;
            }
            let mut log_index = 0u64;
            for (tx_index, tx) in block.transactions.iter().enumerate() {
                for log in &tx.receipt.logs {
                    if filter.matches(log) {
                        out.push(json::log_json(&block, tx_index, log_index, log));
                    }
                    log_index += 1;
                }
            }
            // reth's bound and message: the logs of one block are served
            // whole; over several blocks the error names the range that fits.
            if multi_block && out.len() > limits.max_logs_per_response {
                return Err(RpcError::invalid_params(format!(
                    "query exceeds max results {}, retry with the range {from}-{}",
                    limits.max_logs_per_response,
                    block.number().saturating_sub(1).max(from)
                )));
            }
        }
        chunk_from = chunk_to + 1;
    }
    Ok(Value::Array(out))
}

/// geth's `txpool_status` (`{pending, queued}` counts), `txpool_content`
/// (`{pending, queued}`: sender -> nonce -> transaction) and
/// `txpool_inspect` (the same with geth's one-line summaries,
/// `to: value wei + gas gas x price wei`).
fn txpool(node: &Node, method: &str) -> Value {
    let chain = node.chain();
    let pool = node.pool();
    let split = pool.split(|a| chain.state.nonce(a));
    let count = |side: &std::collections::BTreeMap<Address, std::collections::BTreeMap<u64, _>>| {
        side.values().map(std::collections::BTreeMap::len).sum::<usize>() as u64
    };
    if method == "txpool_status" {
        return j!({ "pending": q(count(&split.pending)), "queued": q(count(&split.queued)) });
    }
    let render = |side: &std::collections::BTreeMap<
        Address,
        std::collections::BTreeMap<u64, &crate::mempool::PoolTx>,
    >| {
        let mut out = serde_json::Map::new();
        for (sender, txs) in side {
            let mut by_nonce = serde_json::Map::new();
            for (nonce, tx) in txs {
                let value = if method == "txpool_content" {
                    json::pending_tx_json(tx)
                } else {
                    use alloy_consensus::Transaction;
                    let to = match tx.tx.kind() {
                        TxKind::Call(to) => to.to_string(),
                        TxKind::Create => "contract creation".to_string(),
                    };
                    Value::String(format!(
                        "{to}: {} wei + {} gas × {} wei",
                        tx.tx.value(),
                        tx.tx.gas_limit(),
                        tx.tx.max_fee_per_gas()
                    ))
                };
                by_nonce.insert(nonce.to_string(), value);
            }
            out.insert(sender.to_string(), Value::Object(by_nonce));
        }
        Value::Object(out)
    };
    j!({ "pending": render(&split.pending), "queued": render(&split.queued) })
}
