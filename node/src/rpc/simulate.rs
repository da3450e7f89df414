//! geth's `eth_simulateV1` (execution-apis `eth_simulateV1`,
//! `internal/ethapi/simulate.go`): a chain of simulated blocks on top of a
//! block of the chain, each with its `blockOverrides`, `stateOverrides` and
//! `calls`, state carried from call to call and block to block, nothing
//! kept.
//!
//! - Blocks: numbered from the base block's plus one and timestamped 12 s
//!   apart unless overridden; numbers and timestamps must increase (-38020
//!   `block numbers must be in order: n <= prev`, -38021 `block timestamps
//!   must be in order: t <= prev`); a skipped number is filled with an
//!   empty block, returned too; at most [`MAX_SIMULATE_BLOCKS`] blocks past
//!   the base (geth's 256) and [`MAX_SIMULATE_CALLS`] calls per request
//!   (-38026 `too many blocks` / `too many calls`).
//! - `validation: false` (default), as geth: no nonce check, a base fee of 0
//!   unless overridden, so a call without fee fields pays no gas;
//!   `validation: true`: nonces, the EIP-1559 base fee of each block (from
//!   its parent's), fee caps and balances are checked, an invalid call fails
//!   the request with geth's code (-38010 nonce too low, -38011 nonce too
//!   high, -38012 fee cap below the base fee, -38013 intrinsic gas, -38014
//!   insufficient funds, -38015 block gas limit reached, -38024 sender not
//!   an EOA, -38025 init code too large).
//! - Each call's result: `returnData`, `logs` (positioned in the simulated
//!   block), `gasUsed`, `status`, and `error` when it failed (-32000
//!   `execution reverted` with the revert data, as geth; -32015 for another
//!   VM error). `traceTransfers: true` adds an ERC-7528 `Transfer` log
//!   (address `0xEeee…EEeE`) for every ETH transfer, in execution order.
//! - Each block as `eth_getBlockByNumber` shapes it (`returnFullTransactions`:
//!   transaction objects with their `from`) plus `calls`. A simulated call is
//!   an unsigned transaction (zero signature). The state root is not
//!   computed (zero): the simulation runs on a copy-on-write view, without
//!   the tries.
//!
//! Calls run like `eth_call`s (on an L2 without the L1 data fee, as
//! op-geth's calls).

use super::{
    RpcError, RpcResult, json, opt_param,
    overrides::{apply_block, apply_state},
    param,
};
use crate::{HistoricalState, Node, StoredBlock, blob};
use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header, Signed, TxEip1559, TxEnvelope, TxLegacy};
use alloy_primitives::{
    Address, B256, Bytes, Log, LogData, Signature, TxKind, U256, address, b256,
};
use alloy_rpc_types_eth::{
    BlockId, BlockNumberOrTag, TransactionRequest,
    simulate::{SimBlock, SimulatePayload},
};
use revm::{
    DatabaseCommit, ExecuteEvm, InspectEvm, Inspector,
    context::{ContextTr, TxEnv},
    context_interface::result::{EVMError, ExecutionResult, InvalidTransaction},
    database::CacheDB,
    interpreter::{CallInputs, CallOutcome, CreateInputs, CreateOutcome},
};
use rollup_protocol::{BlockEnvInput, ExecutedTx, RollupReceipt, build_evm_with_precompiles};
use serde_json::{Value, json as j};
use std::sync::Arc;

/// Most simulated blocks one request may span past its base block (geth's
/// `maxSimulateBlocks`).
pub const MAX_SIMULATE_BLOCKS: u64 = 256;
/// Most calls one request may make over all its blocks. geth bounds a
/// request by its RPC gas cap instead; a count keeps the cost of the
/// request (and of its response) bounded whatever the calls' gas.
pub const MAX_SIMULATE_CALLS: usize = 1_000;
/// Seconds between simulated blocks without a `time` override (geth's
/// `timestampIncrement`).
pub const SIMULATE_TIMESTAMP_INCREMENT: u64 = 12;

/// ERC-7528's address for ETH in token-transfer logs.
const ETH_TRANSFER_ADDRESS: Address = address!("EeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE");
/// `keccak256("Transfer(address,address,uint256)")`.
const TRANSFER_TOPIC: B256 =
    b256!("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");

const ERR_REVERTED: i64 = -32000;
const ERR_VM: i64 = -32015;
const ERR_BLOCK_NUMBER: i64 = -38020;
const ERR_BLOCK_TIMESTAMP: i64 = -38021;
const ERR_BLOCK_GAS_LIMIT: i64 = -38015;
const ERR_CLIENT_LIMIT: i64 = -38026;

fn coded(code: i64, message: impl Into<String>) -> RpcError {
    RpcError { code, message: message.into(), data: None }
}

/// `eth_simulateV1(payload, block)`.
pub(super) async fn simulate_v1(node: &Arc<Node>, params: &Value) -> RpcResult {
    let payload: SimulatePayload = param(params, 0)?;
    let block: Option<BlockId> = opt_param(params, 1)?;
    let state = node
        .state_at(block.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest)))
        .await
        .map_err(RpcError::server)?;
    simulate(node, &state, &payload)
}

/// One block of the simulated chain: its number, time and what it runs
/// (`None`: a gap filled with an empty block).
struct Planned<'a> {
    number: u64,
    time: u64,
    block: Option<&'a SimBlock>,
}

/// geth's `sanitizeChain`: numbers and timestamps of every block, gaps
/// filled, bounds checked.
fn plan<'a>(base: &Header, blocks: &'a [SimBlock]) -> Result<Vec<Planned<'a>>, RpcError> {
    let (mut number, mut time) = (base.number, base.timestamp);
    let mut planned = Vec::new();
    for block in blocks {
        let overrides = block.block_overrides.as_ref();
        let next = match overrides.and_then(|o| o.number) {
            Some(n) => {
                let n = u64::try_from(n).map_err(|_| {
                    coded(ERR_BLOCK_NUMBER, format!("block number out of range: {n}"))
                })?;
                if n <= number {
                    return Err(coded(
                        ERR_BLOCK_NUMBER,
                        format!("block numbers must be in order: {n} <= {number}"),
                    ));
                }
                n
            }
            None => number + 1,
        };
        if next - base.number > MAX_SIMULATE_BLOCKS {
            return Err(coded(ERR_CLIENT_LIMIT, "too many blocks"));
        }
        for gap in number + 1..next {
            time += SIMULATE_TIMESTAMP_INCREMENT;
            planned.push(Planned { number: gap, time, block: None });
        }
        let next_time = match overrides.and_then(|o| o.time) {
            Some(t) if t <= time => {
                return Err(coded(
                    ERR_BLOCK_TIMESTAMP,
                    format!("block timestamps must be in order: {t} <= {time}"),
                ));
            }
            Some(t) => t,
            None => time + SIMULATE_TIMESTAMP_INCREMENT,
        };
        planned.push(Planned { number: next, time: next_time, block: Some(block) });
        (number, time) = (next, next_time);
    }
    Ok(planned)
}

/// geth's code for a transaction a validating simulation refuses.
fn invalid_tx_code(e: &InvalidTransaction) -> i64 {
    use InvalidTransaction as E;
    match e {
        E::NonceTooLow { .. } => -38010,
        E::NonceTooHigh { .. } => -38011,
        E::GasPriceLessThanBasefee => -38012,
        E::CallGasCostMoreThanGasLimit { .. } | E::GasFloorMoreThanGasLimit { .. } => -38013,
        E::LackOfFundForMaxFee { .. } => -38014,
        E::CallerGasLimitMoreThanBlock => ERR_BLOCK_GAS_LIMIT,
        E::RejectCallerWithCode => -38024,
        E::CreateInitCodeSizeLimit => -38025,
        _ => -32602,
    }
}

/// Records the logs of a call in execution order, with an ERC-7528
/// `Transfer` log for every ETH transfer (`traceTransfers`); a frame that
/// fails drops what it recorded (geth's simulation tracer).
#[derive(Debug, Default)]
struct TransferLogs {
    logs: Vec<Log>,
    /// Per open frame: where its logs start, and a create's value (its
    /// transfer log goes at that position once the address is known).
    frames: Vec<(usize, U256)>,
}

fn transfer_log(from: Address, to: Address, value: U256) -> Log {
    Log {
        address: ETH_TRANSFER_ADDRESS,
        data: LogData::new_unchecked(
            vec![TRANSFER_TOPIC, from.into_word(), to.into_word()],
            Bytes::copy_from_slice(&value.to_be_bytes::<32>()),
        ),
    }
}

impl<CTX: ContextTr> Inspector<CTX> for TransferLogs {
    fn log(&mut self, _: &mut CTX, log: Log) {
        self.logs.push(log);
    }

    fn call(&mut self, _: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        self.frames.push((self.logs.len(), U256::ZERO));
        if let Some(value) = inputs.transfer_value()
            && !value.is_zero()
        {
            self.logs.push(transfer_log(inputs.caller, inputs.target_address, value));
        }
        None
    }

    fn call_end(&mut self, _: &mut CTX, _: &CallInputs, outcome: &mut CallOutcome) {
        if let Some((start, _)) = self.frames.pop()
            && !outcome.result.is_ok()
        {
            self.logs.truncate(start);
        }
    }

    fn create(&mut self, _: &mut CTX, inputs: &mut CreateInputs) -> Option<CreateOutcome> {
        self.frames.push((self.logs.len(), inputs.value()));
        None
    }

    fn create_end(&mut self, _: &mut CTX, inputs: &CreateInputs, outcome: &mut CreateOutcome) {
        let Some((start, value)) = self.frames.pop() else { return };
        if !outcome.result.is_ok() {
            self.logs.truncate(start);
        } else if let Some(address) = outcome.address
            && !value.is_zero()
        {
            self.logs.insert(start, transfer_log(inputs.caller(), address, value));
        }
    }

    fn selfdestruct(&mut self, contract: Address, target: Address, value: U256) {
        if !value.is_zero() {
            self.logs.push(transfer_log(contract, target, value));
        }
    }
}

/// The unsigned transaction a simulated call stands for (zero signature).
fn call_tx(request: &TransactionRequest, env: &TxEnv) -> TxEnvelope {
    let signature = Signature::new(U256::ZERO, U256::ZERO, false);
    if request.gas_price.is_some() && request.max_fee_per_gas.is_none() {
        let tx = TxLegacy {
            chain_id: env.chain_id,
            nonce: env.nonce,
            gas_price: env.gas_price,
            gas_limit: env.gas_limit,
            to: env.kind,
            value: env.value,
            input: env.data.clone(),
        };
        return TxEnvelope::Legacy(Signed::new_unhashed(tx, signature));
    }
    let tx = TxEip1559 {
        chain_id: env.chain_id.unwrap_or_default(),
        nonce: env.nonce,
        gas_limit: env.gas_limit,
        max_fee_per_gas: env.gas_price,
        max_priority_fee_per_gas: env.gas_priority_fee.unwrap_or_default(),
        to: env.kind,
        value: env.value,
        access_list: env.access_list.clone(),
        input: env.data.clone(),
    };
    TxEnvelope::Eip1559(Signed::new_unhashed(tx, signature))
}

/// One call's outcome, before its block is sealed.
struct CallOutcomeJson {
    return_data: Bytes,
    gas_used: u64,
    status: bool,
    error: Option<Value>,
}

fn simulate(node: &Node, state: &HistoricalState, payload: &SimulatePayload) -> RpcResult {
    let blocks = &payload.block_state_calls;
    if blocks.len() as u64 > MAX_SIMULATE_BLOCKS {
        return Err(coded(ERR_CLIENT_LIMIT, "too many blocks"));
    }
    let calls: usize = blocks.iter().map(|b| b.calls.len()).sum();
    if calls > MAX_SIMULATE_CALLS {
        return Err(coded(
            ERR_CLIENT_LIMIT,
            format!("too many calls: {calls} (at most {MAX_SIMULATE_CALLS})"),
        ));
    }
    let planned = plan(&state.block().header, blocks)?;
    let validate = payload.validation;
    let chain_id = node.config().chain_id;
    let mut db = CacheDB::new(state);
    let mut parent = state.block().header.clone();
    let mut parent_hash = state.block().hash;
    let mut out = Vec::with_capacity(planned.len());
    for Planned { number, time, block } in planned {
        if let Some(overrides) = block.and_then(|b| b.state_overrides.as_ref()) {
            apply_state(&mut db, overrides)?;
        }
        let gas_limit = parent.gas_limit;
        let env = BlockEnvInput {
            number,
            timestamp: time,
            beneficiary: parent.beneficiary,
            gas_limit,
            base_fee: if validate { node.next_base_fee_after(&parent) } else { 0 },
            prevrandao: B256::ZERO,
        };
        let mut evm =
            build_evm_with_precompiles(&mut db, chain_id, &env, node.config().kind.precompiles())
                .with_inspector(TransferLogs::default());
        evm.ctx.cfg.disable_nonce_check = !validate;
        evm.ctx.cfg.disable_base_fee = !validate;
        let excess_blob_gas = blob::next_excess_blob_gas_after(&parent);
        let ctx = &mut evm.ctx;
        node.set_blob_env(&mut ctx.cfg, &mut ctx.block, excess_blob_gas);
        if let Some(overrides) = block.and_then(|b| b.block_overrides.as_ref()) {
            // Number and time are the plan's; the rest applies as in eth_call.
            let mut rest = overrides.clone();
            rest.number = None;
            rest.time = None;
            apply_block(&mut evm.ctx.block, &rest)?;
        }
        let block_env = evm.ctx.block.clone();
        let base_fee = block_env.basefee;
        let gas_limit = block_env.gas_limit;
        let mut cumulative = 0u64;
        let mut txs = Vec::new();
        let mut results = Vec::new();
        for request in block.map(|b| b.calls.as_slice()).unwrap_or_default() {
            let from = request.from.unwrap_or_default();
            let left = gas_limit.saturating_sub(cumulative);
            if let Some(gas) = request.gas
                && gas > left
            {
                return Err(coded(
                    ERR_BLOCK_GAS_LIMIT,
                    format!("block gas limit reached: {} >= {gas_limit}", cumulative + gas),
                ));
            }
            let state_nonce = revm::Database::basic(evm.ctx.db_mut(), from)
                .map_err(RpcError::server)?
                .map(|a| a.nonce)
                .unwrap_or_default();
            let nonce = match request.nonce {
                Some(n) if validate => n,
                _ => state_nonce,
            };
            let priced = request.max_fee_per_gas.is_some() || request.gas_price.is_some();
            let tx_env = TxEnv {
                tx_type: if request.max_fee_per_gas.is_some() || !priced { 2 } else { 0 },
                caller: from,
                gas_limit: request.gas.unwrap_or(left),
                gas_price: request.max_fee_per_gas.or(request.gas_price).unwrap_or(0),
                gas_priority_fee: request
                    .max_priority_fee_per_gas
                    .or((!priced || request.max_fee_per_gas.is_some()).then_some(0)),
                kind: request.to.unwrap_or(TxKind::Create),
                value: request.value.unwrap_or_default(),
                data: request.input.input().cloned().unwrap_or_default(),
                nonce,
                chain_id: Some(chain_id),
                access_list: request.access_list.clone().unwrap_or_default(),
                ..Default::default()
            };
            let tx = call_tx(request, &tx_env);
            let result =
                if payload.trace_transfers { evm.inspect_tx(tx_env) } else { evm.transact(tx_env) };
            let result = match result {
                Ok(result) => result,
                Err(EVMError::Transaction(e)) => {
                    return Err(coded(invalid_tx_code(&e), super::errors::invalid_tx(&e, from)));
                }
                Err(e) => return Err(RpcError::server(e)),
            };
            let recorded = std::mem::take(&mut evm.inspector);
            let gas_used = result.result.tx_gas_used();
            cumulative += gas_used;
            let (status, return_data, error, logs, created) = match result.result {
                ExecutionResult::Success { output, logs, .. } => {
                    let created = output.address().copied();
                    (true, output.into_data(), None, logs, created)
                }
                ExecutionResult::Revert { output, .. } => {
                    let e = RpcError::reverted(&output);
                    let error = j!({ "code": ERR_REVERTED, "message": e.message, "data": output });
                    (false, output, Some(error), Vec::new(), None)
                }
                ExecutionResult::Halt { reason, .. } => {
                    let error = j!({ "code": ERR_VM, "message": super::errors::halt(&reason) });
                    (false, Bytes::new(), Some(error), Vec::new(), None)
                }
            };
            let logs = if payload.trace_transfers && status { recorded.logs } else { logs };
            evm.ctx.db_mut().commit(result.state);
            txs.push(ExecutedTx {
                sender: from,
                receipt: RollupReceipt {
                    tx_type: tx.tx_type() as u8,
                    status,
                    cumulative_gas_used: cumulative,
                    gas_used,
                    effective_gas_price: alloy_consensus::Transaction::effective_gas_price(
                        &tx,
                        Some(base_fee),
                    ),
                    logs,
                    contract_address: created,
                    l1_fee: None,
                    l1_base_fee: None,
                    l1_blob_base_fee: None,
                    l1_fee_scalars: None,
                    l1_gas_used: None,
                    deposit_nonce: None,
                },
                tx: tx.into(),
            });
            results.push(CallOutcomeJson { return_data, gas_used, status, error });
        }
        drop(evm);
        let commitments = rollup_protocol::BlockCommitments::of(&txs);
        let header = Header {
            parent_hash,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: block_env.beneficiary,
            state_root: B256::ZERO,
            transactions_root: commitments.transactions_root,
            receipts_root: commitments.receipts_root,
            logs_bloom: commitments.logs_bloom,
            difficulty: U256::ZERO,
            number,
            gas_limit,
            gas_used: cumulative,
            timestamp: block_env.timestamp.saturating_to(),
            extra_data: Bytes::new(),
            mix_hash: block_env.prevrandao.unwrap_or_default(),
            base_fee_per_gas: Some(base_fee),
            withdrawals_root: Some(alloy_consensus::constants::EMPTY_ROOT_HASH),
            blob_gas_used: Some(0),
            excess_blob_gas: Some(excess_blob_gas),
            parent_beacon_block_root: Some(B256::ZERO),
            ..Default::default()
        };
        let sealed = StoredBlock { hash: header.hash_slow(), header, transactions: txs };
        let mut value = json::block_json(&sealed, payload.return_full_transactions);
        let mut log_index = 0u64;
        let calls: Vec<Value> = results
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let logs: Vec<Value> = sealed.transactions[i]
                    .receipt
                    .logs
                    .iter()
                    .map(|log| {
                        let v = json::log_json(&sealed, i, log_index, log);
                        log_index += 1;
                        v
                    })
                    .collect();
                let mut call = j!({
                    "returnData": r.return_data,
                    "logs": logs,
                    "gasUsed": format!("{:#x}", r.gas_used),
                    "status": if r.status { "0x1" } else { "0x0" },
                });
                if let Some(error) = r.error {
                    call["error"] = error;
                }
                call
            })
            .collect();
        value["calls"] = Value::Array(calls);
        out.push(value);
        parent_hash = sealed.hash;
        parent = sealed.header;
    }
    Ok(Value::Array(out))
}
