//! The `eth_`, `net_` and `web3_` methods.

use super::{RpcError, RpcResult, json, opt_param, param};
use crate::{Node, StoredBlock, blob};
use alloy_primitives::{Address, B256, Bytes, TxKind, U64, U256};
use alloy_rpc_types_eth::{
    BlockId, BlockNumberOrTag, Filter, FilterBlockOption, TransactionRequest,
};
use revm::{
    ExecuteEvm,
    context::TxEnv,
    context_interface::result::{EVMError, ExecutionResult, InvalidTransaction},
    database::CacheDB,
};
use rollup_protocol::{BlockEnvInput, MemoryState, build_evm_with_precompiles};
use serde_json::{Value, json as j};
use std::sync::Arc;

/// Most blocks one `eth_getLogs` may scan.
pub const MAX_LOG_RANGE: u64 = 10_000;

fn q(n: impl Into<u128>) -> Value {
    Value::String(format!("{:#x}", n.into()))
}

/// Methods that read the head state: they wait out a block being produced
/// ([`Node::state_view`]).
const STATE_METHODS: [&str; 7] = [
    "eth_getBalance",
    "eth_getTransactionCount",
    "eth_getCode",
    "eth_getStorageAt",
    "eth_getProof",
    "eth_call",
    "eth_estimateGas",
];

pub(super) async fn dispatch(node: &Arc<Node>, method: &str, params: &Value) -> RpcResult {
    let _view = if STATE_METHODS.contains(&method) { Some(node.state_view().await) } else { None };
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
        "eth_accounts" => Ok(j!([])),
        "eth_blockNumber" => Ok(q(node.chain().head_number())),
        "eth_gasPrice" => Ok(q(u128::from(node.next_base_fee()) + node.config().suggested_tip)),
        "eth_maxPriorityFeePerGas" => Ok(q(node.config().suggested_tip)),
        "eth_blobBaseFee" => Ok(q(node.next_blob_base_fee())),
        "eth_feeHistory" => fee_history(node, params),
        "eth_getBlockByNumber" | "eth_getBlockByHash" => {
            let full: bool = opt_param(params, 1)?.unwrap_or(false);
            let block = if method == "eth_getBlockByHash" {
                let hash: B256 = param(params, 0)?;
                node.chain().block_by_hash(&hash).cloned()
            } else {
                let tag: BlockNumberOrTag = param(params, 0)?;
                resolve_number(node, tag).and_then(|n| node.chain().block(n).cloned())
            };
            Ok(block.map(|b| json::block_json(&b, full)).unwrap_or(Value::Null))
        }
        "eth_getBlockTransactionCountByNumber" | "eth_getBlockTransactionCountByHash" => {
            let block = block_from_param(node, params, method.ends_with("Hash"))?;
            Ok(block.map(|b| q(b.transactions.len() as u64)).unwrap_or(Value::Null))
        }
        "eth_getTransactionByBlockNumberAndIndex" | "eth_getTransactionByBlockHashAndIndex" => {
            let block = block_from_param(node, params, method.contains("Hash"))?;
            let index: U64 = param(params, 1)?;
            Ok(block
                .and_then(|b| {
                    let i = usize::try_from(index.to::<u64>()).ok()?;
                    b.transactions.get(i).map(|_| json::tx_json(&b, i))
                })
                .unwrap_or(Value::Null))
        }
        "eth_getUncleCountByBlockNumber" | "eth_getUncleCountByBlockHash" => Ok(q(0u64)),
        "eth_getBalance" => {
            let address: Address = param(params, 0)?;
            check_state_block(node, opt_param(params, 1)?)?;
            Ok(j!(node.chain().state.balance(&address)))
        }
        "eth_getTransactionCount" => {
            let address: Address = param(params, 0)?;
            let block: Option<BlockId> = opt_param(params, 1)?;
            let pending = matches!(block, Some(BlockId::Number(BlockNumberOrTag::Pending)));
            check_state_block(node, block)?;
            let nonce = node.chain().state.nonce(&address);
            let nonce = if pending { node.pool().pending_nonce(&address, nonce) } else { nonce };
            Ok(q(nonce))
        }
        "eth_getCode" => {
            let address: Address = param(params, 0)?;
            check_state_block(node, opt_param(params, 1)?)?;
            Ok(j!(node.chain().state.code(&address)))
        }
        "eth_getStorageAt" => {
            let address: Address = param(params, 0)?;
            let slot: U256 = param(params, 1)?;
            check_state_block(node, opt_param(params, 2)?)?;
            Ok(j!(B256::from(node.chain().state.storage(&address, slot))))
        }
        "eth_getProof" => {
            let address: Address = param(params, 0)?;
            let slots: Vec<B256> = param(params, 1)?;
            check_state_block(node, opt_param(params, 2)?)?;
            let proof = node.chain_mut().state.proof(address, &slots);
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
            check_state_block(node, opt_param(params, 1)?)?;
            match call(node, &request, None)? {
                ExecutionResult::Success { output, .. } => Ok(j!(output.into_data())),
                ExecutionResult::Revert { output, .. } => Err(RpcError::reverted(&output)),
                ExecutionResult::Halt { reason, .. } => {
                    Err(RpcError::server(format!("execution halted: {reason:?}")))
                }
            }
        }
        "eth_estimateGas" => {
            let request: TransactionRequest = param(params, 0)?;
            check_state_block(node, opt_param(params, 1)?)?;
            estimate_gas(node, &request).map(q)
        }
        "eth_sendRawTransaction" => {
            let raw: Bytes = param(params, 0)?;
            node.submit_raw(&raw).map(|h| j!(h)).map_err(RpcError::server)
        }
        "eth_sendTransaction" => Err(RpcError::server(
            "unknown account: this node holds no keys; sign and use eth_sendRawTransaction",
        )),
        "eth_getTransactionByHash" => {
            let hash: B256 = param(params, 0)?;
            let chain = node.chain();
            if let Some(loc) = chain.tx_location(&hash) {
                let block = chain.block(loc.block).cloned();
                drop(chain);
                return Ok(block.map(|b| json::tx_json(&b, loc.index)).unwrap_or(Value::Null));
            }
            drop(chain);
            Ok(node.pool().get(&hash).map(json::pending_tx_json).unwrap_or(Value::Null))
        }
        "eth_getTransactionReceipt" => {
            let hash: B256 = param(params, 0)?;
            let chain = node.chain();
            let Some(loc) = chain.tx_location(&hash) else { return Ok(Value::Null) };
            let block = chain.block(loc.block).cloned();
            drop(chain);
            Ok(block.map(|b| json::receipt_json(&b, loc.index)).unwrap_or(Value::Null))
        }
        "eth_getBlockReceipts" => {
            let id: BlockId = param(params, 0)?;
            let block = match id {
                BlockId::Hash(h) => node.chain().block_by_hash(&h.block_hash).cloned(),
                BlockId::Number(tag) => {
                    resolve_number(node, tag).and_then(|n| node.chain().block(n).cloned())
                }
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
            get_logs(node, &filter)
        }
        _ => Err(RpcError::method_not_found(method)),
    }
}

fn block_from_param(
    node: &Node,
    params: &Value,
    by_hash: bool,
) -> Result<Option<Arc<StoredBlock>>, RpcError> {
    Ok(if by_hash {
        let hash: B256 = param(params, 0)?;
        node.chain().block_by_hash(&hash).cloned()
    } else {
        let tag: BlockNumberOrTag = param(params, 0)?;
        resolve_number(node, tag).and_then(|n| node.chain().block(n).cloned())
    })
}

/// The block number a tag names (`pending`, `safe` and `finalized` are the head).
pub(super) fn resolve_number(node: &Node, tag: BlockNumberOrTag) -> Option<u64> {
    let head = node.chain().head_number();
    match tag {
        BlockNumberOrTag::Number(n) if n <= head => Some(n),
        BlockNumberOrTag::Number(_) => None,
        BlockNumberOrTag::Earliest => Some(0),
        _ => Some(head),
    }
}

/// State is kept at the head only (this is not an archive node): other
/// blocks get an error rather than a wrong answer.
fn check_state_block(node: &Node, block: Option<BlockId>) -> Result<(), RpcError> {
    let head = node.chain().head().clone();
    let ok = match block {
        None
        | Some(BlockId::Number(
            BlockNumberOrTag::Latest
            | BlockNumberOrTag::Pending
            | BlockNumberOrTag::Safe
            | BlockNumberOrTag::Finalized,
        )) => true,
        Some(BlockId::Number(BlockNumberOrTag::Number(n))) => n == head.number(),
        Some(BlockId::Number(BlockNumberOrTag::Earliest)) => head.number() == 0,
        Some(BlockId::Hash(h)) => h.block_hash == head.hash,
    };
    if ok {
        Ok(())
    } else {
        Err(RpcError::server(format!(
            "historical state not available: this node keeps the state of the head block ({}) only",
            head.number()
        )))
    }
}

fn call_env(
    node: &Node,
    request: &TransactionRequest,
    gas: Option<u64>,
    state: &MemoryState,
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
        nonce: request.nonce.unwrap_or_else(|| state.nonce(&from)),
        chain_id: Some(node.config().chain_id),
        access_list: request.access_list.clone().unwrap_or_default(),
        blob_hashes,
        max_fee_per_blob_gas: request.max_fee_per_blob_gas.unwrap_or_default(),
        ..Default::default()
    }
}

/// Executes `request` on the head state without committing (geth semantics:
/// without a gas price no fee is charged and the base fee is not enforced).
fn call(
    node: &Node,
    request: &TransactionRequest,
    gas: Option<u64>,
) -> Result<ExecutionResult, RpcError> {
    let chain = node.chain();
    let head = &chain.head().header;
    let priced = request.max_fee_per_gas.is_some() || request.gas_price.is_some();
    let env = BlockEnvInput {
        number: head.number + 1,
        timestamp: head.timestamp + 1,
        beneficiary: head.beneficiary,
        gas_limit: node.config().block_gas_limit,
        base_fee: if priced { node.next_base_fee_after(head) } else { 0 },
        prevrandao: head.mix_hash,
    };
    let tx = call_env(node, request, gas, &chain.state);
    let mut evm = build_evm_with_precompiles(
        CacheDB::new(&chain.state),
        node.config().chain_id,
        &env,
        node.config().kind.precompiles(),
    );
    evm.ctx.cfg.disable_base_fee = !priced;
    evm.ctx.cfg.disable_block_gas_limit = true;
    let ctx = &mut evm.ctx;
    node.set_blob_env(&mut ctx.cfg, &mut ctx.block, blob::next_excess_blob_gas_after(head));
    if request.max_fee_per_blob_gas.is_none()
        && let Some(blob) = &mut evm.ctx.block.blob_excess_gas_and_price
    {
        // geth: without a blob fee cap the call pays no blob fee (BLOBBASEFEE reads 0).
        blob.blob_gasprice = 0;
    }
    match evm.transact(tx) {
        Ok(out) => Ok(out.result),
        Err(EVMError::Transaction(e)) => Err(RpcError::server(tx_error(&e))),
        Err(e) => Err(RpcError::server(e.to_string())),
    }
}

fn tx_error(e: &InvalidTransaction) -> String {
    match e {
        InvalidTransaction::LackOfFundForMaxFee { fee, balance } => {
            format!("insufficient funds for gas * price + value: have {balance} want {fee}")
        }
        InvalidTransaction::CallGasCostMoreThanGasLimit { initial_gas, gas_limit } => {
            format!("intrinsic gas too low: gas {gas_limit}, minimum needed {initial_gas}")
        }
        other => other.to_string(),
    }
}

/// Binary search for the lowest gas limit that succeeds (geth's algorithm).
fn estimate_gas(node: &Node, request: &TransactionRequest) -> Result<u64, RpcError> {
    let cap =
        request.gas.unwrap_or(node.config().block_gas_limit).min(node.config().block_gas_limit);
    let used = match call(node, request, Some(cap))? {
        ExecutionResult::Success { gas, .. } => gas.tx_gas_used(),
        ExecutionResult::Revert { output, .. } => return Err(RpcError::reverted(&output)),
        ExecutionResult::Halt { reason, .. } => {
            return Err(RpcError::server(format!(
                "gas required exceeds allowance ({cap}): {reason:?}"
            )));
        }
    };
    let (mut lo, mut hi) = (used.saturating_sub(1), cap);
    // Most transactions succeed with what they used plus the 63/64 reserve.
    let optimistic = (used + 2300) * 64 / 63;
    if optimistic < hi
        && matches!(call(node, request, Some(optimistic)), Ok(ExecutionResult::Success { .. }))
    {
        hi = optimistic;
    }
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        match call(node, request, Some(mid)) {
            Ok(ExecutionResult::Success { .. }) => hi = mid,
            _ => lo = mid,
        }
    }
    Ok(hi)
}

fn fee_history(node: &Node, params: &Value) -> RpcResult {
    let count: U64 = param(params, 0)?;
    let newest: BlockNumberOrTag = param(params, 1)?;
    let percentiles: Vec<f64> = opt_param(params, 2)?.unwrap_or_default();
    if percentiles.windows(2).any(|w| w[0] > w[1])
        || percentiles.iter().any(|p| !(0.0..=100.0).contains(p))
    {
        return Err(RpcError::invalid_params("invalid reward percentiles"));
    }
    let count = count.to::<u64>().min(1024);
    let newest =
        resolve_number(node, newest).ok_or_else(|| RpcError::invalid_params("block not found"))?;
    let oldest = newest.saturating_add(1).saturating_sub(count.max(1));
    let chain = node.chain();
    let (mut base_fees, mut ratios, mut rewards) = (Vec::new(), Vec::new(), Vec::new());
    let (mut blob_fees, mut blob_ratios) = (Vec::new(), Vec::new());
    let mut next_blob_fee = blob::blob_base_fee(0);
    for n in oldest..=newest {
        let Some(block) = chain.block(n) else { break };
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
    drop(chain);
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

fn get_logs(node: &Node, filter: &Filter) -> RpcResult {
    let chain = node.chain();
    let head = chain.head_number();
    let blocks: Vec<Arc<StoredBlock>> = match filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => {
            chain.block_by_hash(&hash).cloned().into_iter().collect()
        }
        FilterBlockOption::Range { from_block, to_block } => {
            let resolve = |t: Option<BlockNumberOrTag>| match t {
                None
                | Some(
                    BlockNumberOrTag::Latest
                    | BlockNumberOrTag::Pending
                    | BlockNumberOrTag::Safe
                    | BlockNumberOrTag::Finalized,
                ) => head,
                Some(BlockNumberOrTag::Earliest) => 0,
                Some(BlockNumberOrTag::Number(n)) => n.min(head),
            };
            let (from, to) = (resolve(from_block), resolve(to_block));
            if from > to {
                return Err(RpcError::invalid_params("invalid block range params"));
            }
            if to - from >= MAX_LOG_RANGE {
                return Err(RpcError::server(format!(
                    "query exceeds max block range {MAX_LOG_RANGE}"
                )));
            }
            (from..=to).filter_map(|n| chain.block(n).cloned()).collect()
        }
    };
    drop(chain);
    let mut out = Vec::new();
    for block in blocks {
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
    }
    Ok(Value::Array(out))
}
