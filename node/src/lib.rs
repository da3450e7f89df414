//! # rollup-node
//!
//! The EVM node core shared by the L1 simulator and the L2 sequencer: the
//! in-memory chain (blocks, receipts, world state), its durable store
//! (sqlx: SQLite or PostgreSQL, through [`rollup_db`]), the mempool with
//! geth's admission rules, and the Ethereum JSON-RPC server. Each role adds
//! its own block producer and extra RPC methods on top; where the L1 and an
//! L2 differ (blobs, precompiles, the L1 data fee) is one value,
//! [`ChainKind`].
//!
//! Only the chains link this crate (`rollup-l1-sim`, `rollup-sequencer`).
//! Roles that talk to a chain (batcher, challenger, bridge) use
//! `rollup-client` instead, so they do not compile the mempool, revm or axum.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod blob;
mod chain;
mod kind;
pub mod mempool;
mod node;
pub mod rpc;
mod store;

/// The database helpers ([`rollup_db`]), under the path the node's modules use.
pub use rollup_db as db;

pub use chain::{Chain, StoredBlock, TxLocation};
pub use kind::ChainKind;
pub use node::{Node, NodeConfig};
pub use store::ChainStore;

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
