//! Prometheus metrics of the process (`--metrics-addr`, op-node's
//! `--metrics.addr`): one `GET /metrics` endpoint in the Prometheus text
//! format, through the `metrics` facade and `metrics-exporter-prometheus`.
//!
//! What each role records (every name is prefixed `rollup_`):
//!
//! | metric | type | labels | meaning |
//! |---|---|---|---|
//! | `rollup_head` | gauge | `chain` (`l1`, `l2`), `head` (`latest`, `safe`, `finalized`) | block number of each head |
//! | `rollup_blocks_total`, `rollup_transactions_total` | counter | `chain` | blocks and transactions committed (rate = blocks/s, tx/s) |
//! | `rollup_block_build_duration_seconds` | histogram | `chain` (`l2`) | the sequencer's time to build a block: pool selection, execution, state root and commit, seconds |
//! | `rollup_block_commit_duration_seconds` | histogram | `chain` (`l2`) | of which the commit: the block, its state changes and changeset written in one database transaction, then made the head, seconds |
//! | `rollup_pool_transactions` | gauge | `chain` | transactions in the pool after the last block |
//! | `rollup_rpc_requests_total`, `rollup_rpc_errors_total` | counter | `chain`, `method` | JSON-RPC calls and error answers; methods the node does not serve count as `unknown` |
//! | `rollup_rpc_request_duration_seconds` | histogram | `chain`, `method` | JSON-RPC latency, seconds |
//! | `rollup_batcher_batches_total`, `rollup_batcher_batch_bytes_total`, `rollup_batcher_l1_spend_gwei_total` | counter | `da` (`calldata`, `blobs`) | batches posted, their bytes, their L1 cost in gwei |
//! | `rollup_batcher_l2_blocks_total` | counter | | L2 blocks batched |
//! | `rollup_proposer_outputs_total` | counter | | outputs proposed |
//! | `rollup_proposer_bonds_reclaimed_total` | counter | | bonds of final outputs paid back to the proposer |
//! | `rollup_proposer_output_lag_blocks` | gauge | | safe L2 head minus the newest proposed block |
//! | `rollup_proposer_proposals_in_flight` | gauge | | output proposals sent and not yet confirmed |
//! | `rollup_proposer_balance_eth`, `rollup_proposer_runway_outputs` | gauge | | the proposer's L1 balance and how many more bonds it pays |
//! | `rollup_challenger_open_games`, `rollup_challenger_bonds_at_risk_eth` | gauge | | games the challenger plays and its bonds in them |
//! | `rollup_dispute_games_in_progress` | gauge | | every game in progress |
//! | `rollup_challenger_outputs_checked`, `rollup_challenger_invalid_outputs_total` | gauge, counter | | outputs judged, wrong ones found |
//!
//! Off unless `--metrics-addr` is given (as op-node's `--metrics.enabled`).

use axum::{http::header::CONTENT_TYPE, routing::get};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::{net::SocketAddr, sync::OnceLock, time::Duration};
use tokio_util::sync::CancellationToken;

/// Latency buckets of the `*_duration_seconds` histograms, seconds.
const DURATION_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// Installs the process-wide recorder (once) and returns its handle.
pub fn install() -> eyre::Result<PrometheusHandle> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), DURATION_BUCKETS)?
        .install_recorder()?;
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// Serves `GET /metrics` on `addr` until `shutdown`; returns the bound address.
pub async fn serve(addr: SocketAddr, shutdown: CancellationToken) -> eyre::Result<SocketAddr> {
    let handle = install()?;
    let upkeep = handle.clone();
    let stop = shutdown.clone();
    // Histograms are drained into their buckets by the upkeep.
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(Duration::from_secs(5)) => upkeep.run_upkeep(),
            }
        }
    });
    let router = axum::Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move { ([(CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()) }
        }),
    );
    let (bound, _task) = rollup_http::serve(addr, router, shutdown)
        .await
        .map_err(|e| eyre::eyre!("cannot bind metrics on {addr}: {e}"))?;
    Ok(bound)
}
