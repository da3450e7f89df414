//! `GET /`: the dashboard, a single page whose assets are compiled into the
//! binary (`bridge/assets/dashboard/`), and `GET /v1/bench`: the headline
//! figures of the last fee benchmark report, which the page shows.
//!
//! The page needs no build step and loads nothing from elsewhere: it follows
//! `GET /v1/events` (Server-Sent Events, reconnecting after a restart) and
//! polls the REST endpoints (`/v1/status`, `/v1/batches`, `/v1/outputs`,
//! `/v1/challenges`, `/v1/fees`, `/v1/faults`).

use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::{
    Json,
    http::header,
    response::{Html, IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use utoipa::ToSchema;

const INDEX_HTML: &str = include_str!("../../assets/dashboard/index.html");
const APP_JS: &str = include_str!("../../assets/dashboard/app.js");
const APP_CSS: &str = include_str!("../../assets/dashboard/app.css");

/// Where `GET /v1/bench` reads the report: `$ROLLUP_BENCH_REPORT`, else
/// `bench-out/report.json` in the working directory (where the README's
/// `rollup bench fees --out bench-out` writes it).
const BENCH_REPORT_ENV: &str = "ROLLUP_BENCH_REPORT";
const BENCH_REPORT_DEFAULT: &str = "bench-out/report.json";

/// The dashboard: heads, batches, outputs, deposits, withdrawals, fees and
/// the dispute games drawn live (HTML; its script and style sheet are at
/// `/dashboard/app.js` and `/dashboard/app.css`).
#[utoipa::path(
    get,
    path = "/",
    operation_id = "dashboard",
    tag = "meta",
    responses((status = 200, description = "HTML page", content_type = "text/html", body = String))
)]
pub(crate) async fn index() -> Html<&'static str> {
    Html(INDEX_HTML)
}

/// The dashboard's script.
pub(crate) async fn app_js() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], APP_JS).into_response()
}

/// The dashboard's style sheet.
pub(crate) async fn app_css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], APP_CSS).into_response()
}

/// The headline figures of one fee benchmark run (`rollup bench fees`),
/// per workload transaction.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct BenchSummary {
    /// `transfer`, `erc20`, `swap` or `mixed`.
    pub(crate) workload: String,
    /// Where the batches went: `calldata` or `blobs`.
    pub(crate) da_used: String,
    /// Channel compression.
    pub(crate) compression: String,
    /// Channel encoding.
    pub(crate) encoding: String,
    /// Transactions in the run.
    pub(crate) txs: u64,
    /// Bytes posted to L1 per transaction.
    pub(crate) bytes_per_tx: f64,
    /// Bytes posted / raw signed RLP bytes.
    pub(crate) bytes_ratio: f64,
    /// L1 cost directly / the rollup's L1 spend, per transaction.
    pub(crate) l1_cost_ratio: f64,
    /// What a user pays on L1 directly / on the rollup.
    pub(crate) savings_ratio: f64,
    /// L1 data fees collected / the rollup's L1 spend.
    pub(crate) fee_coverage: f64,
}

/// The last run of the fee benchmark report (`rollup bench fees --out
/// bench-out` writes `bench-out/report.json`; `ROLLUP_BENCH_REPORT` names
/// another file).
#[utoipa::path(
    get,
    path = "/v1/bench",
    operation_id = "getBench",
    tag = "meta",
    responses(
        (status = 200, body = BenchSummary),
        (status = 404, description = "`no-bench-report`: no readable report", body = ErrorBody),
    )
)]
pub(crate) async fn bench() -> ApiResult<Json<BenchSummary>> {
    let path = std::env::var_os(BENCH_REPORT_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(BENCH_REPORT_DEFAULT));
    let missing =
        |why: String| ApiError::new(axum::http::StatusCode::NOT_FOUND, "no-bench-report", why);
    let text = tokio::fs::read_to_string(&path)
        .await
        .map_err(|e| missing(format!("no fee benchmark report at {}: {e}", path.display())))?;
    let runs: Vec<BenchSummary> = serde_json::from_str(&text)
        .map_err(|e| missing(format!("{} is not a fee benchmark report: {e}", path.display())))?;
    runs.into_iter()
        .last()
        .map(Json)
        .ok_or_else(|| missing(format!("{} holds no run", path.display())))
}
