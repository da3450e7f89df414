//! Tracing through revm-inspectors (the library reth and anvil use):
//! geth's `debug_traceCall`, `debug_traceTransaction`,
//! `debug_traceBlockByNumber`, `debug_traceBlockByHash` with the struct
//! logger (no `tracer`), `callTracer`, `prestateTracer` (with `diffMode`),
//! `4byteTracer` and `noopTracer`; parity's `trace_call`,
//! `trace_transaction` and `trace_block`.
//!
//! A call is traced on the state after the block it names (any retained
//! block, [`Node::state_at`], with geth's overrides). A past transaction is
//! traced by re-executing its block's earlier transactions on the state of
//! the block's parent. The parent state exists ([`Node::state_at`]), but
//! the replay of a block under an
//! inspector (on the L2 through the STF, with its deposits and L1 data fee)
//! is not built yet, so every past transaction and block answers geth's
//! `historical state not available`; `debug_traceCall` and `trace_call`
//! work fully.

use super::{
    RpcError, RpcResult,
    eth::{CallEvm, call_with, evm_error},
    opt_param,
    overrides::EvmOverrides,
    param,
};
use crate::Node;
use alloy_primitives::{B256, map::HashSet};
use alloy_rpc_types_eth::{BlockNumberOrTag, TransactionRequest};
use alloy_rpc_types_trace::{
    geth::{
        GethDebugBuiltInTracerType as Builtin, GethDebugTracerType, GethDebugTracingCallOptions,
        GethDebugTracingOptions, GethTrace, NoopFrame,
    },
    parity::TraceType,
};
use revm::{InspectEvm, context::TxEnv, context_interface::ContextTr};
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
        "debug_traceTransaction" | "trace_transaction" => (|| {
            let hash: B256 = param(params, 0)?;
            let Some(loc) = node.chain().tx_location(&hash) else {
                return Err(RpcError::server(format!("transaction {hash} not found")));
            };
            if node.chain().block(loc.block).is_none() {
                return Err(RpcError::server("block not found"));
            }
            Err(RpcError::server(HISTORICAL_STATE_UNAVAILABLE))
        })(),
        "debug_traceBlockByNumber" | "debug_traceBlockByHash" | "trace_block" => (|| {
            let block = if method == "debug_traceBlockByHash" {
                let hash: B256 = param(params, 0)?;
                node.chain().block_by_hash(&hash).cloned()
            } else {
                let tag: BlockNumberOrTag = param(params, 0)?;
                super::eth::resolve_number(node, tag).and_then(|n| node.chain().block(n).cloned())
            };
            let block = block.ok_or_else(|| RpcError::server("block not found"))?;
            if block.transactions.is_empty() {
                return Ok(json!([]));
            }
            Err(RpcError::server(HISTORICAL_STATE_UNAVAILABLE))
        })(),
        _ => Err(RpcError::method_not_found(method)),
    })
}

/// geth's error for a block whose state the node does not have.
pub const HISTORICAL_STATE_UNAVAILABLE: &str = "historical state not available";

/// Runs `tx` under the tracer `opts` names and returns its geth-shaped result.
pub(super) fn geth_trace(evm: CallEvm<'_>, tx: TxEnv, opts: &GethDebugTracingOptions) -> RpcResult {
    let from = tx.caller;
    let config_error =
        |e: serde_json::Error| RpcError::invalid_params(format!("invalid tracer config: {e}"));
    let trace = match &opts.tracer {
        None => {
            let config = opts.config;
            let inspector =
                TracingInspector::new(TracingInspectorConfig::from_geth_config(&config));
            let mut evm = evm.with_inspector(inspector);
            let out = evm.inspect_tx(tx).map_err(|e| evm_error(e, from))?;
            let output = out.result.output().cloned().unwrap_or_default();
            GethTrace::Default(evm.inspector.geth_builder().geth_traces(
                out.result.tx_gas_used(),
                output,
                config,
            ))
        }
        Some(GethDebugTracerType::BuiltInTracer(Builtin::CallTracer)) => {
            let config = opts.tracer_config.clone().into_call_config().map_err(config_error)?;
            let inspector =
                TracingInspector::new(TracingInspectorConfig::from_geth_call_config(&config));
            let mut evm = evm.with_inspector(inspector);
            let out = evm.inspect_tx(tx).map_err(|e| evm_error(e, from))?;
            GethTrace::CallTracer(
                evm.inspector.geth_builder().geth_call_traces(config, out.result.tx_gas_used()),
            )
        }
        Some(GethDebugTracerType::BuiltInTracer(Builtin::PreStateTracer)) => {
            let config =
                opts.tracer_config.clone().into_pre_state_config().map_err(config_error)?;
            let inspector =
                TracingInspector::new(TracingInspectorConfig::from_geth_prestate_config(&config));
            let mut evm = evm.with_inspector(inspector);
            let out = evm.inspect_tx(tx).map_err(|e| evm_error(e, from))?;
            // The cache under revm holds the state before the call (nothing
            // is committed to it), which the pre-state is read from.
            let frame = evm
                .inspector
                .geth_builder()
                .geth_prestate_traces(&out, &config, evm.ctx.db_ref())
                .map_err(|e| RpcError::server(e.to_string()))?;
            GethTrace::PreStateTracer(frame)
        }
        Some(GethDebugTracerType::BuiltInTracer(Builtin::FourByteTracer)) => {
            let mut evm = evm.with_inspector(FourByteInspector::default());
            evm.inspect_tx(tx).map_err(|e| evm_error(e, from))?;
            GethTrace::FourByteTracer((&evm.inspector).into())
        }
        Some(GethDebugTracerType::BuiltInTracer(Builtin::NoopTracer)) => {
            let mut evm = evm;
            revm::ExecuteEvm::transact(&mut evm, tx).map_err(|e| evm_error(e, from))?;
            GethTrace::NoopTracer(NoopFrame::default())
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
    serde_json::to_value(trace).map_err(RpcError::server)
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
