//! The slice of the beacon-node API that rollup derivation reads: blob
//! sidecars, `GET /eth/v1/beacon/blob_sidecars/{block_id}[?indices=0,1]`,
//! served on the same address as the JSON-RPC.
//!
//! The simulator has no consensus layer, so the mapping is this:
//! - a slot is an execution block number (one block per slot, no missed
//!   slots), and `block_id` is a block number, `head`, `genesis`,
//!   `finalized`/`justified` (the head: the simulator never reorgs) or a
//!   `0x` block hash, which here is the execution block hash (not a beacon
//!   block root);
//! - `signed_block_header` is a minimal stand-in: `slot` is the block
//!   number, `proposer_index` 0, `parent_root` the execution parent hash,
//!   `state_root` the execution state root, `body_root` the execution block
//!   hash, and the signature is 96 zero bytes;
//! - `kzg_commitment_inclusion_proof` is empty (there is no beacon block body
//!   to prove the commitment against).
//!
//! Everything a derivation pipeline checks still holds: `index` is the blob's
//! position among the block's blobs (transactions in block order, blobs in
//! transaction order), and each blob comes with its KZG commitment and proof,
//! so a reader verifies `0x01 || sha256(commitment)[1..]` against the
//! transaction's versioned hash and the proof against the blob. Errors are
//! the beacon API's JSON: `{"code":404,"message":"..."}`.

use alloy_primitives::B256;
use axum::{
    Json, Router,
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use rollup_node::{Node, StoredBlock};
use serde_json::{Value, json};
use std::sync::Arc;

/// The path of the blob sidecars endpoint, `{block_id}` included.
pub const BLOB_SIDECARS_PATH: &str = "/eth/v1/beacon/blob_sidecars/{block_id}";

/// The beacon API router.
pub(crate) fn router(node: Arc<Node>) -> Router {
    Router::new()
        .route(BLOB_SIDECARS_PATH, get(blob_sidecars))
        .with_state(node)
        .layer(tower_http::cors::CorsLayer::permissive())
}

/// A beacon API error: `{"code": <status>, "message": ...}`.
#[derive(Debug)]
struct ApiError {
    code: StatusCode,
    message: String,
}

impl ApiError {
    fn new(code: StatusCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "code": self.code.as_u16(), "message": self.message });
        (self.code, Json(body)).into_response()
    }
}

/// The block `block_id` names, `Err` with the response to send.
async fn resolve(node: &Node, block_id: &str) -> Result<Arc<StoredBlock>, ApiError> {
    let unavailable = |e: rollup_node::db::DbError| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    };
    let block = match block_id {
        "head" | "finalized" | "justified" => Some(node.chain().head().clone()),
        "genesis" => node.block(0).await.map_err(unavailable)?,
        id if id.starts_with("0x") => {
            let hash: B256 = id.parse().map_err(|_| {
                ApiError::new(StatusCode::BAD_REQUEST, format!("Invalid block ID: {block_id}"))
            })?;
            node.block_by_hash(&hash).await.map_err(unavailable)?
        }
        id => {
            let number: u64 = id.parse().map_err(|_| {
                ApiError::new(StatusCode::BAD_REQUEST, format!("Invalid block ID: {block_id}"))
            })?;
            node.block(number).await.map_err(unavailable)?
        }
    };
    block
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("Block not found: {block_id}")))
}

/// The `indices` of the query (`?indices=0,1` or `?indices=0&indices=1`),
/// `None` when absent.
fn indices(query: Option<&str>) -> Result<Option<Vec<u64>>, ApiError> {
    let Some(query) = query else { return Ok(None) };
    let mut out: Option<Vec<u64>> = None;
    for pair in query.split('&') {
        let Some(values) = pair.strip_prefix("indices=") else { continue };
        let list = out.get_or_insert_with(Vec::new);
        for value in values.replace("%2C", ",").replace("%2c", ",").split(',') {
            if value.is_empty() {
                continue;
            }
            list.push(value.parse().map_err(|_| {
                ApiError::new(StatusCode::BAD_REQUEST, format!("Invalid indices: {values}"))
            })?);
        }
    }
    Ok(out)
}

async fn blob_sidecars(
    State(node): State<Arc<Node>>,
    Path(block_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let block = resolve(&node, &block_id).await?;
    let wanted = indices(query.as_deref())?;
    let blobs = node
        .store()
        .blobs(block.number())
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let header = json!({
        "message": {
            "slot": block.number().to_string(),
            "proposer_index": "0",
            "parent_root": block.header.parent_hash,
            "state_root": block.header.state_root,
            "body_root": block.hash,
        },
        "signature": alloy_primitives::hex::encode_prefixed([0u8; 96]),
    });
    let data: Vec<Value> = blobs
        .iter()
        .filter(|b| wanted.as_ref().is_none_or(|w| w.contains(&b.index)))
        .map(|b| {
            json!({
                "index": b.index.to_string(),
                "blob": b.blob,
                "kzg_commitment": b.commitment,
                "kzg_proof": b.proof,
                "signed_block_header": header,
                "kzg_commitment_inclusion_proof": [],
            })
        })
        .collect();
    Ok(Json(json!({ "execution_optimistic": false, "finalized": false, "data": data })))
}

#[cfg(test)]
mod tests {
    use super::indices;

    #[test]
    fn parses_indices_in_both_styles() {
        assert_eq!(indices(None).unwrap(), None);
        assert_eq!(indices(Some("indices=0,2")).unwrap(), Some(vec![0, 2]));
        assert_eq!(indices(Some("indices=1&indices=3")).unwrap(), Some(vec![1, 3]));
        assert_eq!(indices(Some("indices=1%2C4&x=y")).unwrap(), Some(vec![1, 4]));
        assert!(indices(Some("indices=zero")).is_err());
    }
}
