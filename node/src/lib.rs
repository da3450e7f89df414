//! # rollup-node
//!
//! The EVM node core shared by the L1 simulator and the L2 sequencer: the
//! in-memory chain (blocks, receipts, world state), its durable store
//! (sqlx: SQLite or PostgreSQL), the mempool with geth's admission rules, and
//! the Ethereum JSON-RPC server. Each role adds its own block producer and
//! extra RPC methods on top.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod blob;
mod chain;
pub mod client;
pub mod db;
pub mod dev;
pub mod mempool;
mod node;
pub mod rpc;
mod store;
pub mod txmgr;

pub use chain::{Chain, StoredBlock, TxLocation};
pub use node::{HistoricalState, Node, NodeConfig, StateError};
pub use store::{ChainStore, ChangesetMark};

use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;

/// Serves `router` on `addr` until `shutdown` is cancelled; returns the bound
/// address (port 0 picks a free port).
pub async fn serve(
    addr: SocketAddr,
    router: axum::Router,
    shutdown: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let handle = tokio::spawn(async move {
        let result = axum::serve(listener, router)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(e) = result {
            tracing::error!(target: "rpc", %e, "server stopped");
        }
    });
    Ok((local, handle))
}
