//! # rollup-http
//!
//! What the rollup's HTTP servers share: [`serve`] (a router on an address
//! until a cancellation token fires) and [`cors`], the browser-origin
//! policy (anvil's `--allow-origin`, geth's `--http.corsdomain`) of the
//! chains' JSON-RPC servers (`rollup-node`) and the bridge's REST API
//! (`rollup-bridge`). Roles that only call servers (batcher, challenger) do
//! not link it.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod cors;

pub use cors::{CorsOrigins, foreign_origin, refuse_foreign_origins};

use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;

/// Serves `router` on `addr` until `shutdown` is cancelled; returns the bound
/// address (port 0 picks a free port) and the server task.
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
            tracing::error!(target: "http", %e, "server stopped");
        }
    });
    Ok((local, handle))
}
