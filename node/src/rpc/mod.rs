//! Ethereum JSON-RPC 2.0 over HTTP (single and batch requests), served with
//! axum, with the standard error codes: -32700 parse error, -32600 invalid
//! request, -32601 method not found, -32602 invalid params, -32000 server
//! errors with geth's messages, 3 for `execution reverted` with its data.

mod errors;
mod eth;
mod extra;
mod filters;
mod json;
mod limits;
mod overrides;
mod services;
mod signer;
mod simulate;
mod trace;
mod ws;

pub use eth::MAX_LOG_RANGE;
pub use extra::{MAX_SENDER_NONCE_SCAN, SEND_SYNC_DEFAULT_TIMEOUT_MS, SEND_SYNC_MAX_TIMEOUT_MS};
pub use filters::{FILTER_TIMEOUT, Filters, MAX_FILTERS};
pub use json::{block_json, log_json, pending_tx_json, receipt_json, tx_json};
pub use limits::*;
pub use overrides::EvmOverrides;
pub use rollup_http::cors::{CorsOrigins, foreign_origin, refuse_foreign_origins};
pub use services::{NodeServices, PENDING_FEED_CAPACITY};
pub use signer::{DevAccounts, UNKNOWN_ACCOUNT, dev_transaction};
pub use simulate::{MAX_SIMULATE_BLOCKS, MAX_SIMULATE_CALLS, SIMULATE_TIMESTAMP_INCREMENT};
pub use trace::HISTORICAL_STATE_UNAVAILABLE;
pub use ws::{MAX_SUBSCRIPTIONS, WS_QUEUE};

use crate::Node;
use axum::{
    Router,
    extract::{Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::{fmt, sync::Arc};

/// A JSON-RPC error object.
#[derive(Clone, Debug, PartialEq)]
pub struct RpcError {
    /// Error code.
    pub code: i64,
    /// Message.
    pub message: String,
    /// Optional data (revert data).
    pub data: Option<Value>,
}

impl RpcError {
    /// -32602 invalid params.
    pub fn invalid_params(message: impl fmt::Display) -> Self {
        Self { code: -32602, message: message.to_string(), data: None }
    }

    /// -32000 server error (geth's code for txpool and state errors).
    pub fn server(message: impl fmt::Display) -> Self {
        Self { code: -32000, message: message.to_string(), data: None }
    }

    /// -32601 method not found.
    pub fn method_not_found(method: &str) -> Self {
        Self {
            code: -32601,
            message: format!("the method {method} does not exist/is not available"),
            data: None,
        }
    }

    /// 3: execution reverted, with the revert data.
    pub fn reverted(output: &[u8]) -> Self {
        let reason = alloy_sol_types::decode_revert_reason(output);
        Self {
            code: 3,
            // geth: no colon without a reason (empty revert data).
            message: match reason {
                Some(r) if !r.is_empty() => format!("execution reverted: {r}"),
                _ => "execution reverted".to_string(),
            },
            data: Some(Value::String(alloy_primitives::hex::encode_prefixed(output))),
        }
    }

    fn to_json(&self) -> Value {
        let mut v = json!({ "code": self.code, "message": self.message });
        if let Some(data) = &self.data {
            v["data"] = data.clone();
        }
        v
    }
}

/// A store failure while answering (geth answers its database errors with
/// -32000 and the error's text).
impl From<crate::db::DbError> for RpcError {
    fn from(error: crate::db::DbError) -> Self {
        Self::server(error)
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for RpcError {}

/// Result of one method call.
pub type RpcResult = Result<Value, RpcError>;

/// Extra methods a role serves next to the `eth_` namespace (the L1's dev
/// methods, the L2's `rollup_` methods).
pub trait RpcExtension: Send + Sync + fmt::Debug + 'static {
    /// Handles `method`, or returns `None` to fall through to the `eth_` methods.
    fn call<'a>(&'a self, method: &'a str, params: &'a Value) -> Option<BoxFuture<'a, RpcResult>>;
}

/// No extra methods.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoExtension;

impl RpcExtension for NoExtension {
    fn call<'a>(&'a self, _: &'a str, _: &'a Value) -> Option<BoxFuture<'a, RpcResult>> {
        None
    }
}

/// Parameter `index` of `params` (a JSON array), required.
pub fn param<T: DeserializeOwned>(params: &Value, index: usize) -> Result<T, RpcError> {
    let value = params.as_array().and_then(|a| a.get(index)).cloned().unwrap_or(Value::Null);
    if value.is_null() {
        return Err(RpcError::invalid_params(format!(
            "missing value for required argument {index}"
        )));
    }
    serde_json::from_value(value)
        .map_err(|e| RpcError::invalid_params(format!("invalid argument {index}: {e}")))
}

/// Parameter `index` of `params`, optional.
pub fn opt_param<T: DeserializeOwned>(params: &Value, index: usize) -> Result<Option<T>, RpcError> {
    match params.as_array().and_then(|a| a.get(index)) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| RpcError::invalid_params(format!("invalid argument {index}: {e}"))),
    }
}

#[derive(Clone, Debug)]
struct RpcState {
    node: Arc<Node>,
    ext: Arc<dyn RpcExtension>,
}

/// Largest request body, in bytes, unless [`RpcLimits`] says otherwise.
pub const MAX_BODY_SIZE: usize = limits::DEFAULT_MAX_REQUEST_BODY_SIZE;

/// The JSON-RPC router: `POST /` (HTTP, bounded by the node's
/// [`NodeConfig::rpc_limits`](crate::NodeConfig::rpc_limits)) and `GET /`
/// upgraded to a WebSocket ([`ws`]: the same methods plus `eth_subscribe`).
/// It answers no browser of another origin until [`with_cors`] says which
/// may call it.
pub fn router(node: Arc<Node>, ext: Arc<dyn RpcExtension>) -> Router {
    Router::new()
        .route("/", post(handle_http).get(ws::handle_ws))
        .with_state(RpcState { node, ext })
}

/// `router` callable from the browser origins `origins` (CORS headers and
/// preflights), and refusing requests from other origins before they run
/// ([`refuse_foreign_origins`]).
pub fn with_cors(router: Router, origins: &CorsOrigins) -> Router {
    router
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(origins.clone()),
            refuse_foreign_origins,
        ))
        .layer(origins.layer())
}

/// Most requests in one batch, unless [`RpcLimits`] says otherwise.
pub const MAX_BATCH: usize = limits::DEFAULT_MAX_BATCH_SIZE;

/// A response of the JSON-RPC server: `application/json`.
fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// One HTTP request: a single call or a batch. The body is read up to
/// [`RpcLimits::max_request_body_size`] bytes (larger: HTTP 413 with a
/// JSON-RPC error, geth's message); a batch's responses are counted as they
/// are serialized, and once they pass [`RpcLimits::max_batch_response_size`]
/// that item and every later one is answered `-32003 response too large`
/// (geth answers the rest so; this server also refuses the item that crosses
/// the limit, so no batch response exceeds it).
async fn handle_http(State(state): State<RpcState>, request: Request) -> Response {
    let limits = state.node.config().rpc_limits;
    let max_body = limits.max_request_body_size;
    let too_large = |length: String| {
        let error = RpcError {
            code: -32600,
            message: format!("content length too large ({length}>{max_body})"),
            data: None,
        };
        json_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            error_response(Value::Null, &error).to_string(),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(length) = declared.filter(|l| *l > max_body as u64) {
        return too_large(length.to_string());
    }
    let body = match axum::body::to_bytes(request.into_body(), max_body).await {
        Ok(body) => body,
        Err(e) if e.to_string().contains("length limit exceeded") => {
            return too_large("chunked".into());
        }
        Err(e) => {
            let error = RpcError {
                code: -32700,
                message: format!("parse error: cannot read the request body: {e}"),
                data: None,
            };
            return json_response(
                StatusCode::BAD_REQUEST,
                error_response(Value::Null, &error).to_string(),
            );
        }
    };
    let invalid = |message: &str| {
        error_response(Value::Null, &RpcError { code: -32600, message: message.into(), data: None })
            .to_string()
    };
    let response = match serde_json::from_slice::<Value>(&body) {
        Err(e) => error_response(
            Value::Null,
            &RpcError { code: -32700, message: format!("parse error: {e}"), data: None },
        )
        .to_string(),
        // geth's messages for both.
        Ok(Value::Array(requests)) if requests.is_empty() => invalid("empty batch"),
        Ok(Value::Array(requests)) if requests.len() > limits.max_batch_size => {
            invalid("batch too large")
        }
        Ok(Value::Array(requests)) => {
            let mut out = String::from("[");
            let mut over = false;
            for (i, request) in requests.into_iter().enumerate() {
                let id = request.get("id").cloned().unwrap_or(Value::Null);
                let mut item = if over {
                    String::new()
                } else {
                    handle_caught(&state, request).await.to_string()
                };
                // Bytes so far: the items, their commas and the brackets.
                if !over && out.len() + item.len() + 2 > limits.max_batch_response_size {
                    over = true;
                    tracing::debug!(target: "rpc", item = i, limit = limits.max_batch_response_size, "batch response too large");
                }
                if over {
                    item = error_response(
                        id,
                        &RpcError {
                            code: limits::RESPONSE_TOO_LARGE_CODE,
                            message: "response too large".into(),
                            data: None,
                        },
                    )
                    .to_string();
                }
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&item);
            }
            out.push(']');
            out
        }
        Ok(request) => handle_caught(&state, request).await.to_string(),
    };
    json_response(StatusCode::OK, response)
}

/// [`handle_one`] with a handler panic answered `-32603 method handler
/// crashed` (geth's code and message) instead of taking the connection down;
/// the server keeps serving.
async fn handle_caught(state: &RpcState, request: Value) -> Value {
    use futures::FutureExt;
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let method = request.get("method").and_then(Value::as_str).unwrap_or_default().to_string();
    match std::panic::AssertUnwindSafe(handle_one(state, request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(target: "rpc", %method, %message, "method handler panicked");
            error_response(
                id,
                &RpcError { code: -32603, message: "method handler crashed".into(), data: None },
            )
        }
    }
}

fn error_response(id: Value, error: &RpcError) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": error.to_json() })
}

async fn handle_one(state: &RpcState, request: Value) -> Value {
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        return error_response(
            id,
            &RpcError { code: -32600, message: "invalid request".into(), data: None },
        );
    };
    if request.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return error_response(
            id,
            &RpcError {
                code: -32600,
                message: "invalid request: jsonrpc must be \"2.0\"".into(),
                data: None,
            },
        );
    }
    let params = request.get("params").cloned().unwrap_or(Value::Array(vec![]));
    if !params.is_array() && !params.is_null() {
        return error_response(id, &RpcError::invalid_params("params must be an array"));
    }
    let started = std::time::Instant::now();
    let result = dispatch(state, method, &params).await;
    record_rpc_metrics(state, method, &result, started.elapsed());
    match result {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(e) => {
            tracing::debug!(target: "rpc", method, code = e.code, message = %e.message, "rpc error");
            error_response(id, &e)
        }
    }
}

/// Counts a request and its latency by chain and method. Methods the node
/// does not serve are counted as `unknown`, so a client cannot grow the set
/// of label values.
fn record_rpc_metrics(
    state: &RpcState,
    method: &str,
    result: &RpcResult,
    elapsed: std::time::Duration,
) {
    let chain = state.node.config().kind.name();
    let method = if matches!(result, Err(e) if e.code == -32601) {
        "unknown".to_string()
    } else {
        method.to_string()
    };
    metrics::counter!("rollup_rpc_requests_total", "chain" => chain, "method" => method.clone())
        .increment(1);
    if result.is_err() {
        metrics::counter!("rollup_rpc_errors_total", "chain" => chain, "method" => method.clone())
            .increment(1);
    }
    metrics::histogram!("rollup_rpc_request_duration_seconds", "chain" => chain, "method" => method)
        .record(elapsed.as_secs_f64());
}

/// Routes one method call: the role's extension first (the L1's dev methods,
/// the L2's `rollup_`/`optimism_` methods), then node-side signing, filters,
/// tracing, the less-used `eth_` methods and the core `eth_` methods. HTTP
/// and WebSocket requests both come through here.
async fn dispatch(state: &RpcState, method: &str, params: &Value) -> RpcResult {
    if let Some(fut) = state.ext.call(method, params) {
        return fut.await;
    }
    let node = &state.node;
    if let Some(result) = signer::dispatch(node, method, params).await {
        return result;
    }
    if let Some(result) = filters::dispatch(node, method, params).await {
        return result;
    }
    if let Some(result) = trace::dispatch(node, method, params).await {
        return result;
    }
    if let Some(result) = extra::dispatch(node, method, params).await {
        return result;
    }
    eth::dispatch(node, method, params).await
}
