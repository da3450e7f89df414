//! JSON-RPC over WebSocket on the HTTP port (`GET /` with an upgrade), as
//! geth and anvil serve it: every HTTP method (single and batch requests)
//! plus `eth_subscribe` and `eth_unsubscribe`.
//!
//! Subscriptions (geth's `eth/filters/api.go`):
//! - `newHeads`: every new block's header, in order;
//! - `logs` with an optional `{address, topics}` filter: every matching log
//!   of each new block;
//! - `newPendingTransactions`: hashes of transactions entering the pool, or
//!   whole transactions with `true` as second parameter.
//!
//! Back-pressure: each connection has one outgoing queue of at most
//! [`WS_QUEUE`] messages. Producers (block production, the pool) never wait
//! on it: the feeds they write are a `watch` of the head and a bounded
//! broadcast of pending hashes, and a connection whose queue is full when a
//! notification is due is closed, as geth drops a subscriber that does not
//! keep up. A connection holds at most [`MAX_SUBSCRIPTIONS`] subscriptions.

use super::{RpcError, RpcState, error_response, eth, handle_caught, json as shapes};
use crate::Node;
use alloy_primitives::B256;
use alloy_rpc_types_eth::Filter;
use axum::{
    extract::{
        State,
        ws::{Message, WebSocket, WebSocketUpgrade},
    },
    response::Response,
};
use futures::{SinkExt, StreamExt};
use parking_lot::Mutex;
use serde_json::{Value, json};
use std::{collections::HashMap, sync::Arc};
use tokio::sync::{broadcast::error::RecvError, mpsc};
use tokio_util::sync::CancellationToken;

/// Most messages waiting to be written to one connection; a connection that
/// falls further behind is closed.
pub const WS_QUEUE: usize = 1024;

/// Most live subscriptions on one connection.
pub const MAX_SUBSCRIPTIONS: usize = 128;

/// Largest incoming message, in bytes (the HTTP body limit).
const MAX_MESSAGE: usize = super::MAX_BODY_SIZE;

pub(super) async fn handle_ws(State(state): State<RpcState>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(MAX_MESSAGE).on_upgrade(move |socket| serve(state, socket))
}

/// A connection's outgoing queue: sending never waits.
#[derive(Clone, Debug)]
pub(crate) struct Outbox {
    tx: mpsc::Sender<String>,
    closed: CancellationToken,
}

impl Outbox {
    /// A queue of `capacity` messages and its receiving end.
    pub(crate) fn new(capacity: usize) -> (Self, mpsc::Receiver<String>) {
        let (tx, rx) = mpsc::channel(capacity);
        (Self { tx, closed: CancellationToken::new() }, rx)
    }

    /// Queues `message`; a full queue closes the connection (the message and
    /// everything after it are dropped). Whether it was queued.
    pub(crate) fn push(&self, message: String) -> bool {
        if self.closed.is_cancelled() {
            return false;
        }
        match self.tx.try_send(message) {
            Ok(()) => true,
            Err(_) => {
                tracing::debug!(target: "rpc", "websocket client too slow: closing the connection");
                self.closed.cancel();
                false
            }
        }
    }
}

struct Connection {
    state: RpcState,
    out: Outbox,
    subs: Mutex<HashMap<u128, CancellationToken>>,
    next_sub: Mutex<u128>,
}

async fn serve(state: RpcState, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (out, mut rx) = Outbox::new(WS_QUEUE);
    let conn = Arc::new(Connection {
        state,
        out: out.clone(),
        subs: Mutex::new(HashMap::new()),
        next_sub: Mutex::new(0),
    });
    let closed = out.closed.clone();
    let writer = tokio::spawn({
        let closed = closed.clone();
        async move {
            loop {
                tokio::select! {
                    _ = closed.cancelled() => break,
                    message = rx.recv() => {
                        let Some(message) = message else { break };
                        if sink.send(Message::Text(message.into())).await.is_err() {
                            break;
                        }
                    }
                }
            }
            closed.cancel();
            let _ = sink.close().await;
        }
    });
    loop {
        let message = tokio::select! {
            _ = closed.cancelled() => break,
            m = stream.next() => m,
        };
        let text = match message {
            Some(Ok(Message::Text(text))) => text.to_string(),
            Some(Ok(Message::Binary(bytes))) => String::from_utf8_lossy(&bytes).into_owned(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_)) | Err(_)) | None => break,
        };
        let response = conn.handle_text(&text).await;
        if let Some(response) = response
            && !conn.out.push(response.to_string())
        {
            break;
        }
    }
    closed.cancel();
    for (_, token) in conn.subs.lock().drain() {
        token.cancel();
    }
    let _ = writer.await;
}

impl Connection {
    async fn handle_text(self: &Arc<Self>, text: &str) -> Option<Value> {
        Some(match serde_json::from_str::<Value>(text) {
            Err(e) => error_response(
                Value::Null,
                &RpcError { code: -32700, message: format!("parse error: {e}"), data: None },
            ),
            Ok(Value::Array(requests))
                if requests.is_empty() || requests.len() > super::MAX_BATCH =>
            {
                error_response(
                    Value::Null,
                    &RpcError { code: -32600, message: "invalid batch size".into(), data: None },
                )
            }
            Ok(Value::Array(requests)) => {
                let mut out = Vec::with_capacity(requests.len());
                for request in requests {
                    out.push(self.handle_request(request).await);
                }
                Value::Array(out)
            }
            Ok(request) => self.handle_request(request).await,
        })
    }

    async fn handle_request(self: &Arc<Self>, request: Value) -> Value {
        let method = request.get("method").and_then(Value::as_str).unwrap_or_default();
        if !matches!(method, "eth_subscribe" | "eth_unsubscribe") {
            return handle_caught(&self.state, request).await;
        }
        let id = request.get("id").cloned().unwrap_or(Value::Null);
        let params = request.get("params").cloned().unwrap_or(Value::Array(vec![]));
        let result = if method == "eth_subscribe" {
            self.subscribe(&params)
        } else {
            self.unsubscribe(&params)
        };
        match result {
            Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
            Err(e) => error_response(id, &e),
        }
    }

    fn unsubscribe(&self, params: &Value) -> Result<Value, RpcError> {
        let id: alloy_primitives::U256 = super::param(params, 0)?;
        let Ok(id) = u128::try_from(id) else { return Ok(Value::Bool(false)) };
        Ok(Value::Bool(match self.subs.lock().remove(&id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }))
    }

    fn subscribe(self: &Arc<Self>, params: &Value) -> Result<Value, RpcError> {
        let kind: String = super::param(params, 0)?;
        let node = self.state.node.clone();
        let token = self.out.closed.child_token();
        let id = {
            let mut subs = self.subs.lock();
            if subs.len() >= MAX_SUBSCRIPTIONS {
                return Err(RpcError::server(format!(
                    "too many subscriptions: at most {MAX_SUBSCRIPTIONS} per connection"
                )));
            }
            let mut next = self.next_sub.lock();
            *next += 1;
            let id = next.wrapping_mul(0x2545_f491_4f6c_dd1d_9e37_79b9_7f4a_7c15) | 1;
            subs.insert(id, token.clone());
            id
        };
        let sub_id = format!("{id:#x}");
        let out = self.out.clone();
        let notify = {
            let sub_id = sub_id.clone();
            move |result: Value| {
                out.push(
                    json!({
                        "jsonrpc": "2.0",
                        "method": "eth_subscription",
                        "params": { "subscription": sub_id, "result": result },
                    })
                    .to_string(),
                )
            }
        };
        match kind.as_str() {
            "newHeads" => {
                tokio::spawn(new_heads(node, token, notify));
            }
            "logs" => {
                let filter: Filter = super::opt_param(params, 1)?.unwrap_or_default();
                tokio::spawn(logs(node, filter, token, notify));
            }
            "newPendingTransactions" => {
                let full: bool = super::opt_param(params, 1)?.unwrap_or(false);
                tokio::spawn(pending(node, full, token, notify));
            }
            other => {
                self.subs.lock().remove(&id);
                return Err(RpcError::invalid_params(format!(
                    "unsupported subscription type {other}: expected newHeads, logs or newPendingTransactions"
                )));
            }
        }
        Ok(Value::String(sub_id))
    }
}

/// The blocks produced after a subscription started, range by range, in
/// order; `None` once `token` is cancelled or the node is gone.
struct BlockFollower {
    heads: tokio::sync::watch::Receiver<u64>,
    next: u64,
}

impl BlockFollower {
    fn new(node: &Node) -> Self {
        let mut heads = node.subscribe_head();
        let next = *heads.borrow_and_update() + 1;
        Self { heads, next }
    }

    async fn next_range(&mut self, token: &CancellationToken) -> Option<(u64, u64)> {
        loop {
            tokio::select! {
                _ = token.cancelled() => return None,
                changed = self.heads.changed() => if changed.is_err() { return None },
            }
            let head = *self.heads.borrow_and_update();
            // A rewound chain (evm_revert, reorg) goes on from its new head.
            let from = self.next.min(head + 1);
            self.next = head + 1;
            if from <= head {
                return Some((from, head));
            }
        }
    }
}

async fn new_heads(node: Arc<Node>, token: CancellationToken, notify: impl Fn(Value) -> bool) {
    let mut follower = BlockFollower::new(&node);
    while let Some((from, to)) = follower.next_range(&token).await {
        for n in from..=to {
            let Ok(Some(block)) = node.block(n).await else { continue };
            let mut header = shapes::block_json(&block, false);
            if let Some(obj) = header.as_object_mut() {
                for key in ["transactions", "uncles", "withdrawals", "size", "totalDifficulty"] {
                    obj.remove(key);
                }
            }
            if !notify(header) {
                token.cancel();
                return;
            }
        }
    }
}

async fn logs(
    node: Arc<Node>,
    filter: Filter,
    token: CancellationToken,
    notify: impl Fn(Value) -> bool,
) {
    let mut follower = BlockFollower::new(&node);
    while let Some((from, to)) = follower.next_range(&token).await {
        let range = filter
            .clone()
            .from_block(from.max(to.saturating_sub(super::MAX_LOG_RANGE - 1)))
            .to_block(to);
        if let Ok(Value::Array(logs)) = eth::get_logs(&node, &range).await
            && !logs.into_iter().all(&notify)
        {
            token.cancel();
            return;
        }
    }
}

async fn pending(
    node: Arc<Node>,
    full: bool,
    token: CancellationToken,
    notify: impl Fn(Value) -> bool,
) {
    let mut rx = node.rpc().subscribe_pending();
    loop {
        let hash: B256 = tokio::select! {
            _ = token.cancelled() => return,
            received = rx.recv() => match received {
                Ok(hash) => hash,
                // Lagged: this subscriber missed some; go on with the newest.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            },
        };
        let value = if full {
            let pooled = node.pool().get(&hash).map(shapes::pending_tx_json);
            match pooled {
                Some(tx) => tx,
                None => {
                    // Already mined: serve it from its block.
                    let Ok(Some((loc, block))) = node.transaction(&hash).await else { continue };
                    shapes::tx_json(&block, loc.index)
                }
            }
        } else {
            json!(hash)
        };
        if !notify(value) {
            token.cancel();
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_closes_the_connection_without_waiting() {
        let (out, mut rx) = Outbox::new(2);
        assert!(out.push("a".into()));
        assert!(out.push("b".into()));
        // The third does not fit: no wait, the connection is marked closed.
        assert!(!out.push("c".into()));
        assert!(out.closed.is_cancelled());
        assert!(!out.push("d".into()), "nothing more after closing");
        assert_eq!(rx.try_recv().unwrap(), "a");
        assert_eq!(rx.try_recv().unwrap(), "b");
        assert!(rx.try_recv().is_err());
    }
}
