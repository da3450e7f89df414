//! Ethereum JSON-RPC 2.0 over HTTP (single and batch requests), served with
//! axum, with the standard error codes: -32700 parse error, -32600 invalid
//! request, -32601 method not found, -32602 invalid params, -32000 server
//! errors with geth's messages, 3 for `execution reverted` with its data.

mod errors;
mod eth;
mod extra;
mod filters;
mod json;
mod overrides;
mod services;
mod signer;
mod trace;
mod ws;

pub use eth::MAX_LOG_RANGE;
pub use extra::{MAX_SENDER_NONCE_SCAN, SEND_SYNC_DEFAULT_TIMEOUT_MS, SEND_SYNC_MAX_TIMEOUT_MS};
pub use filters::{FILTER_TIMEOUT, Filters, MAX_FILTERS};
pub use json::{block_json, log_json, pending_tx_json, receipt_json, tx_json};
pub use overrides::EvmOverrides;
pub use services::{NodeServices, PENDING_FEED_CAPACITY};
pub use signer::{DevAccounts, UNKNOWN_ACCOUNT};
pub use trace::HISTORICAL_STATE_UNAVAILABLE;
pub use ws::{MAX_SUBSCRIPTIONS, WS_QUEUE};

use crate::Node;
use axum::{Router, extract::State, http::StatusCode, response::IntoResponse, routing::post};
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
            message: match reason {
                Some(r) => format!("execution reverted: {r}"),
                None => "execution reverted".to_string(),
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

/// Largest request body, in bytes (geth's 5 MiB: a blob transaction with
/// six blobs is 1.5 MiB of hex).
pub const MAX_BODY_SIZE: usize = 5 * 1024 * 1024;

/// The JSON-RPC router: `POST /` (HTTP) and `GET /` upgraded to a
/// WebSocket ([`ws`]: the same methods plus `eth_subscribe`).
pub fn router(node: Arc<Node>, ext: Arc<dyn RpcExtension>) -> Router {
    Router::new()
        .route("/", post(handle_http).get(ws::handle_ws))
        .with_state(RpcState { node, ext })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_SIZE))
        .layer(tower_http::cors::CorsLayer::permissive())
}

/// Most requests in one batch.
pub const MAX_BATCH: usize = 1000;

async fn handle_http(State(state): State<RpcState>, body: axum::body::Bytes) -> impl IntoResponse {
    let response = match serde_json::from_slice::<Value>(&body) {
        Err(e) => error_response(
            Value::Null,
            &RpcError { code: -32700, message: format!("parse error: {e}"), data: None },
        ),
        Ok(Value::Array(requests)) if requests.is_empty() || requests.len() > MAX_BATCH => {
            error_response(
                Value::Null,
                &RpcError { code: -32600, message: "invalid batch size".into(), data: None },
            )
        }
        Ok(Value::Array(requests)) => {
            let mut out = Vec::with_capacity(requests.len());
            for request in requests {
                out.push(handle_one(&state, request).await);
            }
            Value::Array(out)
        }
        Ok(request) => handle_one(&state, request).await,
    };
    (StatusCode::OK, [("content-type", "application/json")], response.to_string())
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
    let result = dispatch(state, method, &params).await;
    match result {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(e) => {
            tracing::debug!(target: "rpc", method, code = e.code, message = %e.message, "rpc error");
            error_response(id, &e)
        }
    }
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
    if let Some(result) = filters::dispatch(node, method, params) {
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
