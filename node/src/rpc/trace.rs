//! Tracing through revm-inspectors (the library reth and anvil use):
//! geth's `debug_traceCall`, `debug_traceTransaction`,
//! `debug_traceBlockByNumber`, `debug_traceBlockByHash` with the struct
//! logger (no `tracer`), `callTracer`, `prestateTracer` (with `diffMode`),
//! `4byteTracer` and `noopTracer`; parity's `trace_call`,
//! `trace_transaction` and `trace_block`.
//!
//! A call is traced on the state after the block it names (any retained
//! block, [`Node::state_at`], with geth's overrides). A past transaction is
//! traced as geth does: its block is re-executed on the state its
//! transactions ran on ([`Node::state_before`]: the parent's), with the
//! block's own environment, the transactions before it without a tracer,
//! then it under the tracer. A block trace gives each transaction its own
//! tracer and result, in block order: `debug_traceBlock*` answers
//! `[{"txHash", "result"}]` (`error` in place of `result` for one that
//! could not be traced), `trace_block` the parity traces of every
//! transaction, flattened. How a block is re-executed is the chain's
//! ([`crate::BlockReplayer`]): on the L1 the block builder's (its EIP-2935
//! system call first), on an L2 the STF itself
//! (`rollup_protocol::execute_traced`), so deposits are traced as
//! transactions and a user transaction's state changes include the L1 data
//! fee taken from its sender and the fee vaults' credits, as op-geth shows
//! them. A block whose parent state is pruned (`--history-blocks`) answers
//! geth's `historical state not available`.

use super::{
    RpcError, RpcResult,
    eth::{CallEvm, call_with, evm_error},
    opt_param,
    overrides::EvmOverrides,
    param,
};
use crate::{
    Node, StateError, StoredBlock,
    replay::{PreState, ReplayError, ReplayTracer, ReplayedTx, TxInspector, idle_inspector},
};
use alloy_consensus::transaction::TransactionInfo;
use alloy_primitives::{B256, map::HashSet};
use alloy_rpc_types_eth::{BlockNumberOrTag, TransactionRequest};
use alloy_rpc_types_trace::{
    geth::{
        GethDebugBuiltInTracerType as Builtin, GethDebugTracerType, GethDebugTracingCallOptions,
        GethDebugTracingOptions, GethTrace, NoopFrame,
    },
    parity::TraceType,
};
use revm::{
    DatabaseRef, InspectEvm,
    context::{TxEnv, either::Either},
    context_interface::{ContextTr, result::ResultAndState},
};
use revm_inspectors::tracing::{FourByteInspector, TracingInspector, TracingInspectorConfig};
use serde_json::{Value, json};
use std::sync::Arc;

/// Handles the tracing methods; `None` for any other method.
pub(super) async fn dispatch(node: &Arc<Node>, method: &str, params: &Value) -> Option<RpcResult> {
    if !(method.starts_with("debug_trace") || method.starts_with("trace_")) {
        return None;
    }
    // A traced call runs on the state after the block it names (default
    // `latest`); the state waits out a block being produced.
    let block_param = match method {
        "debug_traceCall" => 1,
        "trace_call" => 2,
        _ => usize::MAX,
    };
    let state = if block_param == usize::MAX {
        None
    } else {
        let block: Option<alloy_rpc_types_eth::BlockId> = match opt_param(params, block_param) {
            Ok(block) => block,
            Err(e) => return Some(Err(e)),
        };
        let block = block.unwrap_or(alloy_rpc_types_eth::BlockId::Number(BlockNumberOrTag::Latest));
        match node.state_at(block).await {
            Ok(state) => Some(state),
            Err(e) => return Some(Err(RpcError::server(e))),
        }
    };
    Some(match method {
        "debug_traceCall" => (|| {
            let request: TransactionRequest = param(params, 0)?;
            let state = state.as_ref().ok_or_else(|| RpcError::server("no state"))?;
            let options: GethDebugTracingCallOptions = opt_param(params, 2)?.unwrap_or_default();
            let overrides = EvmOverrides {
                state: options.state_overrides,
                block: options.block_overrides.map(Box::new),
            };
            let tracing = options.tracing_options;
            call_with(node, state, &request, None, &overrides, |evm, tx| {
                geth_trace(evm, tx, &tracing)
            })
        })(),
        "trace_call" => (|| {
            let request: TransactionRequest = param(params, 0)?;
            let types: HashSet<TraceType> = opt_param(params, 1)?.unwrap_or_default();
            let state = state.as_ref().ok_or_else(|| RpcError::server("no state"))?;
            call_with(node, state, &request, None, &EvmOverrides::default(), |evm, tx| {
                parity_trace(evm, tx, &types)
            })
        })(),
        "debug_traceTransaction" | "trace_transaction" => {
            let style = if method == "trace_transaction" {
                Ok(Style::Parity)
            } else {
                opt_param(params, 1).map(|o: Option<_>| Style::Geth(o.unwrap_or_default()))
            };
            match (param::<B256>(params, 0), style) {
                (Ok(hash), Ok(style)) => trace_transaction(node, hash, style).await,
                (Err(e), _) | (_, Err(e)) => Err(e),
            }
        }
        "debug_traceBlockByNumber" | "debug_traceBlockByHash" | "trace_block" => {
            let block = async {
                Ok::<_, RpcError>(if method == "debug_traceBlockByHash" {
                    let hash: B256 = param(params, 0)?;
                    node.block_by_hash(&hash).await?
                } else {
                    let tag: BlockNumberOrTag = param(params, 0)?;
                    match super::eth::resolve_number(node, tag) {
                        Some(n) => node.block(n).await?,
                        None => None,
                    }
                })
            }
            .await;
            let style = if method == "trace_block" {
                Ok(Style::Parity)
            } else {
                opt_param(params, 1).map(|o: Option<_>| Style::Geth(o.unwrap_or_default()))
            };
            match (block, style) {
                (Ok(Some(block)), Ok(style)) => trace_block(node, &block, style).await,
                (Ok(None), _) => Err(RpcError::server("block not found")),
                (Err(e), _) | (_, Err(e)) => Err(e),
            }
        }
        _ => Err(RpcError::method_not_found(method)),
    })
}

/// geth's error for a block whose state the node does not have.
pub const HISTORICAL_STATE_UNAVAILABLE: &str = "historical state not available";

/// geth's tracers or parity's traces.
enum Style {
    Geth(GethDebugTracingOptions),
    Parity,
}

impl Style {
    /// A fresh inspector for one transaction (the options were checked by
    /// [`Style::check`]).
    fn inspector(&self) -> Result<TxInspector, RpcError> {
        match self {
            Self::Geth(opts) => geth_inspector(opts),
            Self::Parity => {
                Ok(Either::Left(TracingInspector::new(TracingInspectorConfig::default_parity())))
            }
        }
    }
}

/// The result of each traced transaction of a replay, in block order.
struct Collector<'a> {
    style: &'a Style,
    block: &'a StoredBlock,
    /// Only this transaction (`debug_traceTransaction`, `trace_transaction`).
    only: Option<usize>,
    results: Vec<(usize, RpcResult)>,
}

impl ReplayTracer for Collector<'_> {
    fn inspector(&mut self, index: usize) -> Option<TxInspector> {
        if self.only.is_some_and(|only| only != index) {
            return None;
        }
        // Checked before the replay: cannot fail here.
        self.style.inspector().ok()
    }

    fn traced(&mut self, inspector: TxInspector, tx: ReplayedTx<'_>) {
        let result = match tx.result {
            None => Err(RpcError::server("deposit refused by the EVM: nothing was executed")),
            Some(out) => match self.style {
                Style::Geth(opts) => {
                    geth_result(inspector, opts, out, PreState { pre: tx.pre, minted: tx.minted })
                }
                Style::Parity => match inspector {
                    Either::Left(inspector) => {
                        let info = TransactionInfo {
                            hash: self.block.transactions.get(tx.index).map(|t| t.tx.tx_hash()),
                            index: Some(tx.index as u64),
                            block_hash: Some(self.block.hash),
                            block_number: Some(self.block.number()),
                            base_fee: self.block.header.base_fee_per_gas,
                            block_timestamp: Some(self.block.header.timestamp),
                        };
                        serde_json::to_value(
                            inspector.into_parity_builder().into_localized_transaction_traces(info),
                        )
                        .map_err(RpcError::server)
                    }
                    Either::Right(_) => Err(RpcError::server("no parity trace")),
                },
            },
        };
        self.results.push((tx.index, result));
    }
}

/// Replays `block` with `collector`, through the chain's [`BlockReplayer`].
async fn replay(
    node: &Arc<Node>,
    block: &StoredBlock,
    collector: &mut Collector<'_>,
) -> Result<(), RpcError> {
    let Some(replayer) = node.replayer() else {
        return Err(RpcError::server(HISTORICAL_STATE_UNAVAILABLE));
    };
    replayer.replay(node, block, collector).await.map_err(|e| match e {
        ReplayError::State(StateError::Pruned(_) | StateError::UnknownBlock) => {
            RpcError::server(HISTORICAL_STATE_UNAVAILABLE)
        }
        e => RpcError::server(e),
    })
}

/// `debug_traceTransaction` and `trace_transaction`: the transaction's
/// block replayed on its parent's state up to it, it under the tracer.
async fn trace_transaction(node: &Arc<Node>, hash: B256, style: Style) -> RpcResult {
    let Some((loc, block)) = node.transaction(&hash).await? else {
        return Err(RpcError::server(format!("transaction {hash} not found")));
    };
    style.inspector()?;
    let mut collector =
        Collector { style: &style, block: &block, only: Some(loc.index), results: Vec::new() };
    replay(node, &block, &mut collector).await?;
    collector
        .results
        .pop()
        .map(|(_, result)| result)
        .unwrap_or_else(|| Err(RpcError::server(format!("transaction {hash} not found"))))
}

/// `debug_traceBlockByNumber`/`ByHash` (`[{txHash, result}]`, an `error`
/// in place of `result` for a transaction that could not be traced) and
/// `trace_block` (every transaction's traces, flattened).
async fn trace_block(node: &Arc<Node>, block: &StoredBlock, style: Style) -> RpcResult {
    style.inspector()?;
    let mut collector = Collector { style: &style, block, only: None, results: Vec::new() };
    if !block.transactions.is_empty() {
        replay(node, block, &mut collector).await?;
    }
    let results = collector.results;
    match style {
        Style::Geth(_) => Ok(Value::Array(
            results
                .into_iter()
                .map(|(index, result)| {
                    let tx_hash = block.transactions.get(index).map(|t| t.tx.tx_hash());
                    match result {
                        Ok(result) => json!({ "txHash": tx_hash, "result": result }),
                        Err(e) => json!({ "txHash": tx_hash, "error": e.message }),
                    }
                })
                .collect(),
        )),
        Style::Parity => {
            let mut all = Vec::new();
            for (_, result) in results {
                match result? {
                    Value::Array(traces) => all.extend(traces),
                    other => all.push(other),
                }
            }
            Ok(Value::Array(all))
        }
    }
}

/// The inspector the tracer `opts` names; an error for a tracer or
/// configuration not supported.
fn geth_inspector(opts: &GethDebugTracingOptions) -> Result<TxInspector, RpcError> {
    let config_error =
        |e: serde_json::Error| RpcError::invalid_params(format!("invalid tracer config: {e}"));
    let config = match &opts.tracer {
        None => TracingInspectorConfig::from_geth_config(&opts.config),
        Some(GethDebugTracerType::BuiltInTracer(Builtin::CallTracer)) => {
            let config = opts.tracer_config.clone().into_call_config().map_err(config_error)?;
            TracingInspectorConfig::from_geth_call_config(&config)
        }
        Some(GethDebugTracerType::BuiltInTracer(Builtin::PreStateTracer)) => {
            let config =
                opts.tracer_config.clone().into_pre_state_config().map_err(config_error)?;
            TracingInspectorConfig::from_geth_prestate_config(&config)
        }
        Some(GethDebugTracerType::BuiltInTracer(Builtin::FourByteTracer)) => {
            return Ok(Either::Right(FourByteInspector::default()));
        }
        Some(GethDebugTracerType::BuiltInTracer(Builtin::NoopTracer)) => {
            TracingInspectorConfig::none()
        }
        Some(GethDebugTracerType::BuiltInTracer(other)) => {
            return Err(RpcError::invalid_params(format!(
                "tracer {} is not supported: use callTracer, prestateTracer, 4byteTracer, noopTracer or the struct logger",
                serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            )));
        }
        Some(GethDebugTracerType::JsTracer(_)) => {
            return Err(RpcError::invalid_params("JavaScript tracers are not supported"));
        }
    };
    Ok(Either::Left(TracingInspector::new(config)))
}

/// The geth-shaped result of a transaction run under `inspector` (from
/// [`geth_inspector`] for `opts`) with outcome `out`; `pre` reads the state
/// before it (the prestate tracer's).
fn geth_result<DB: DatabaseRef>(
    inspector: TxInspector,
    opts: &GethDebugTracingOptions,
    out: &ResultAndState,
    pre: DB,
) -> RpcResult
where
    DB::Error: std::fmt::Display,
{
    let gas_used = out.result.tx_gas_used();
    let trace = match (&opts.tracer, inspector) {
        (
            Some(GethDebugTracerType::BuiltInTracer(Builtin::FourByteTracer)),
            Either::Right(four),
        ) => GethTrace::FourByteTracer((&four).into()),
        (Some(GethDebugTracerType::BuiltInTracer(Builtin::NoopTracer)), _) => {
            GethTrace::NoopTracer(NoopFrame::default())
        }
        (
            Some(GethDebugTracerType::BuiltInTracer(Builtin::CallTracer)),
            Either::Left(inspector),
        ) => {
            let config = opts.tracer_config.clone().into_call_config().unwrap_or_default();
            GethTrace::CallTracer(inspector.geth_builder().geth_call_traces(config, gas_used))
        }
        (
            Some(GethDebugTracerType::BuiltInTracer(Builtin::PreStateTracer)),
            Either::Left(inspector),
        ) => {
            let config = opts.tracer_config.clone().into_pre_state_config().unwrap_or_default();
            let frame = inspector
                .geth_builder()
                .geth_prestate_traces(out, &config, pre)
                .map_err(|e| RpcError::server(e.to_string()))?;
            GethTrace::PreStateTracer(frame)
        }
        (None, Either::Left(inspector)) => {
            let output = out.result.output().cloned().unwrap_or_default();
            GethTrace::Default(inspector.geth_builder().geth_traces(gas_used, output, opts.config))
        }
        _ => return Err(RpcError::server("tracer and inspector do not match")),
    };
    serde_json::to_value(trace).map_err(RpcError::server)
}

/// Runs `tx` under the tracer `opts` names and returns its geth-shaped result.
pub(super) fn geth_trace(evm: CallEvm<'_>, tx: TxEnv, opts: &GethDebugTracingOptions) -> RpcResult {
    let from = tx.caller;
    let mut evm = evm.with_inspector(geth_inspector(opts)?);
    let out = evm.inspect_tx(tx).map_err(|e| evm_error(e, from))?;
    let inspector = std::mem::replace(&mut evm.inspector, idle_inspector());
    // The cache under revm holds the state before the call (nothing is
    // committed to it), which the pre-state is read from.
    geth_result(inspector, opts, &out, evm.ctx.db_ref())
}

/// Runs `tx` under parity's tracer for `types` (`trace`, `vmTrace`, `stateDiff`).
pub(super) fn parity_trace(evm: CallEvm<'_>, tx: TxEnv, types: &HashSet<TraceType>) -> RpcResult {
    let from = tx.caller;
    let inspector = TracingInspector::new(TracingInspectorConfig::from_parity_config(types));
    let mut evm = evm.with_inspector(inspector);
    let out = evm.inspect_tx(tx).map_err(|e| evm_error(e, from))?;
    let inspector = std::mem::replace(
        &mut evm.inspector,
        TracingInspector::new(TracingInspectorConfig::none()),
    );
    let results = inspector
        .into_parity_builder()
        .into_trace_results_with_state(&out, types, evm.ctx.db_ref())
        .map_err(|e| RpcError::server(e.to_string()))?;
    serde_json::to_value(results).map_err(RpcError::server)
}
