//! `GET /v1/batches` and `GET /v1/outputs`: what the rollup posted to L1,
//! newest first, paginated with `?limit=` and an opaque `?cursor=`.

use super::{
    Shared,
    extract::ApiQuery,
    types::{BatchItem, BatchPage, ListQuery, OutputItem, OutputPage},
};
use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    store::LogPosition,
};
use axum::{Json, extract::State};
use std::{
    sync::atomic::Ordering,
    time::{SystemTime, UNIX_EPOCH},
};

/// Items per page unless `?limit=` says otherwise.
const DEFAULT_LIMIT: u64 = 20;
/// Most items per page.
const MAX_LIMIT: u64 = 100;

/// The page size of `?limit=`.
pub(crate) fn limit(limit: Option<&str>) -> ApiResult<u64> {
    match limit.map(str::trim) {
        None | Some("") => Ok(DEFAULT_LIMIT),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n > 0 => Ok(n.min(MAX_LIMIT)),
            _ => Err(ApiError::bad_request(
                "invalid-limit",
                format!("`limit` must be an integer from 1 to {MAX_LIMIT}, got {v:?}"),
            )),
        },
    }
}

/// The page size and the position to continue before.
fn page(q: &ListQuery) -> ApiResult<(u64, Option<LogPosition>)> {
    let limit = limit(q.limit.as_deref())?;
    let before = match q.cursor.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) => Some(LogPosition::parse(c).ok_or_else(|| {
            ApiError::bad_request(
                "invalid-cursor",
                format!("`cursor` {c:?} is not a cursor this API returned"),
            )
        })?),
    };
    Ok((limit, before))
}

/// Splits one extra row off `rows` into the next cursor.
fn split<T>(
    mut rows: Vec<T>,
    limit: u64,
    pos: impl Fn(&T) -> LogPosition,
) -> (Vec<T>, Option<String>) {
    if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        let next = rows.last().map(|r| pos(r).cursor());
        (rows, next)
    } else {
        (rows, None)
    }
}

/// Batches appended to the `BatchInbox`, newest first.
#[utoipa::path(
    get,
    path = "/v1/batches",
    operation_id = "listBatches",
    tag = "posted",
    params(ListQuery),
    responses(
        (status = 200, body = BatchPage),
        (status = 400, description = "Invalid `limit` or `cursor`", body = ErrorBody),
    )
)]
pub(crate) async fn batches(
    State(s): State<Shared>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<BatchPage>> {
    let (limit, before) = page(&q)?;
    let rows = s.store.batches(before, limit + 1).await?;
    let (rows, next_cursor) =
        split(rows, limit, |b| LogPosition { l1_block: b.l1_block, log_index: b.log_index });
    let details =
        futures::future::join_all(rows.iter().map(|b| super::status::batch_details(&s, b))).await;
    let items = rows
        .into_iter()
        .zip(details)
        .map(|(b, details)| BatchItem {
            index: b.index,
            l1_block: b.l1_block,
            l1_tx_hash: b.l1_tx_hash.to_string(),
            timestamp: b.l1_timestamp,
            l2_start: b.l2_start,
            l2_end: b.l2_end,
            commitment: b.commitment.to_string(),
            is_blob: b.is_blob,
            details,
        })
        .collect();
    Ok(Json(BatchPage { items, next_cursor }))
}

/// Outputs proposed to the `OutputOracle` (deleted ones included), newest first.
#[utoipa::path(
    get,
    path = "/v1/outputs",
    operation_id = "listOutputs",
    tag = "posted",
    params(ListQuery),
    responses(
        (status = 200, body = OutputPage),
        (status = 400, description = "Invalid `limit` or `cursor`", body = ErrorBody),
    )
)]
pub(crate) async fn outputs(
    State(s): State<Shared>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<OutputPage>> {
    let (limit, before) = page(&q)?;
    let rows = s.store.outputs(before, limit + 1).await?;
    let (rows, next_cursor) =
        split(rows, limit, |o| LogPosition { l1_block: o.l1_block, log_index: o.log_index });
    // "Now" on L1: the latest head the indexer saw (L1 time can run ahead of
    // the wall clock on a devnet), else the wall clock.
    let now = match s.indexer.l1_head_timestamp.load(Ordering::Acquire) {
        0 => SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default(),
        ts => ts,
    };
    let window = s.challenge_window();
    let proposer = s.proposer().to_string();
    // A challenged output holds back the finality of every later one.
    let first_challenged = s.store.first_challenged_output().await?;
    let items = rows
        .into_iter()
        .map(|o| {
            let finalizable_at = o.timestamp.saturating_add(window);
            let held_back = first_challenged.is_some_and(|first| o.index >= first);
            let status = if o.deleted {
                "deleted"
            } else if o.challenged {
                "challenged"
            } else if now >= finalizable_at && !held_back {
                "finalized"
            } else {
                "proposed"
            };
            OutputItem {
                index: o.index,
                l1_block: o.l1_block,
                l1_tx_hash: o.l1_tx_hash.to_string(),
                l2_block: o.l2_block,
                output_root: o.output_root.to_string(),
                proposer: proposer.clone(),
                timestamp: o.timestamp,
                finalizable_at,
                status: status.into(),
            }
        })
        .collect();
    Ok(Json(OutputPage { items, next_cursor }))
}
