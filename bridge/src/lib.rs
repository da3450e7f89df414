//! # rollup-bridge
//!
//! The bridge REST API of the rollup (axum, documented with OpenAPI): users
//! deposit ETH from L1 to L2, withdraw it back, and follow both, along with the
//! batches and outputs the rollup posts to L1.
//!
//! Data flow: an indexer task polls the L1 (`Bridge`, `BatchInbox`,
//! `OutputOracle` and, when configured, `DisputeGameFactory` events) and the
//! L2 (`L2ToL1MessagePasser.MessagePassed`, deposit receipts) with
//! `eth_getLogs` every 250 ms, stores what it finds in its own sqlx database
//! (schema `bridge`), so the API answers from its index and survives
//! restarts, and announces it on `GET /v1/events` (Server-Sent Events).
//! Dispute games are read from the factory's views. Requests that act (deposit, withdraw, finalize) sign
//! with the configured dev keys or relayer and send through the chains'
//! public JSON-RPC; withdrawal proofs are rebuilt from the indexed
//! withdrawals and checked against the L2 header and the L1 output root
//! before they are served.
//!
//! Endpoints (see `GET /openapi.json` for the shapes): `GET /health`,
//! `GET /v1/config`, `POST /v1/deposits`, `GET /v1/deposits/{l1_tx_hash}`,
//! `POST /v1/withdrawals`, `GET /v1/withdrawals/{withdrawal_hash}`,
//! `POST /v1/withdrawals/{withdrawal_hash}/finalize`, `GET /v1/batches`,
//! `GET /v1/outputs`, `GET /v1/challenges`, `GET /v1/challenges/{id}`,
//! `POST /v1/challenges`, `GET`/`POST /v1/faults`, `DELETE /v1/faults/{kind}`,
//! `GET /v1/events`, `GET /v1/fees`, `GET /v1/status`, `GET /v1/bench`,
//! `GET /openapi.json`, `GET /docs` (Swagger UI, embedded) and `GET /` (the
//! dashboard, embedded). The devnet-only ones (`POST /v1/challenges`, the
//! faults) act through [`BridgeConfig::devnet`] ([`DevnetControl`]).
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod api;
mod chain;
mod config;
mod error;
mod events;
mod faults;
mod indexer;
mod reorgs;
mod store;

pub use config::{
    ApiServerConfig, BridgeConfig, ChallengerStake, DEFAULT_API_MAX_BODY_SIZE, DevnetControl,
};
pub use error::{BridgeError, Result};
pub use faults::FaultKind;

use std::{collections::HashSet, net::SocketAddr, sync::Arc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A running bridge service (HTTP API and indexer).
#[derive(Debug)]
pub struct BridgeHandle {
    /// The bound API address.
    pub api_addr: SocketAddr,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    store: store::Store,
    supervisor: rollup_client::Supervisor,
}

impl BridgeHandle {
    /// The supervisor of its tasks: [`rollup_client::Supervisor::failed`]
    /// resolves when one ends while the bridge runs.
    pub const fn supervisor(&self) -> &rollup_client::Supervisor {
        &self.supervisor
    }

    /// `http://ip:port` of the API.
    pub fn url(&self) -> String {
        format!("http://{}", self.api_addr)
    }

    /// Stops the server and the indexer, waits for them and closes the
    /// database.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
        self.store.close().await;
    }
}

/// Starts the bridge: opens (and migrates) its database, serves the API on
/// `config.api_addr` and starts the indexer. The chains need not be up yet:
/// `/health` reports them, and the indexer retries.
pub async fn spawn(config: BridgeConfig) -> Result<BridgeHandle> {
    let store = store::Store::open(&config.database_url).await?;
    let chains = Arc::new(chain::Chains::new(
        &config.l1_rpc_url,
        &config.l2_rpc_url,
        &config.dev_signers,
        config.relayer.as_ref(),
    )?);
    let status = Arc::new(indexer::IndexerStatus::default());
    status
        .l1_next
        .store(store.cursor(store::Chain::L1).await?, std::sync::atomic::Ordering::Release);
    status
        .l2_next
        .store(store.cursor(store::Chain::L2).await?, std::sync::atomic::Ordering::Release);
    let events = events::EventBus::default();
    let shutdown = CancellationToken::new();
    let supervisor = rollup_client::Supervisor::new("bridge", shutdown.clone());
    let mut roles = config.roles.clone();
    roles.push(supervisor.clone());
    let state = Arc::new(api::AppState {
        roles,
        dev: config.dev_signers.iter().map(|s| s.address()).collect::<HashSet<_>>(),
        relayer: config.relayer.as_ref().map(|r| r.address()),
        config: config.clone(),
        chains: chains.clone(),
        store: store.clone(),
        indexer: status.clone(),
        events: events.clone(),
        shutdown: shutdown.clone(),
        fault_timers: Default::default(),
        batch_details: Default::default(),
    });
    let (api_addr, server) =
        rollup_http::serve(config.api_addr, api::router(state), shutdown.clone())
            .await
            .map_err(|source| BridgeError::Bind { addr: config.api_addr, source })?;
    let reorgs = supervisor
        .spawn("l2-reorgs", reorgs::watch(chains.clone(), events.clone(), shutdown.clone()));
    let indexer = indexer::Indexer { config, chains, store: store.clone(), status, events };
    let server = supervisor.watch("api", server);
    let indexer = supervisor.spawn("indexer", indexer.run(shutdown.clone()));
    tracing::info!(target: "bridge", %api_addr, "bridge API running");
    Ok(BridgeHandle { api_addr, shutdown, tasks: vec![server, indexer, reorgs], store, supervisor })
}
