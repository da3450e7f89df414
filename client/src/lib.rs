//! # rollup-client
//!
//! What a role needs to talk to the chains, without the chains themselves:
//! readers of the L1 JSON-RPC and of the beacon API's blob sidecars
//! ([`L1Client`], [`BeaconClient`], [`http_provider`] for either chain), a
//! reader of the sequencer's rollup methods ([`L2Client`]), the
//! transaction manager that signs, sends and resubmits L1 transactions
//! ([`txmgr`], op-batcher's `txmgr`), and the devnet keys ([`dev`]).
//!
//! The roles read the chains through small traits, [`L1Provider`] and
//! [`BatchProvider`] for the L1 (kona's provider traits), which
//! [`L1Client`] implements, and [`L2Provider`] for the sequencer's L2,
//! which [`L2Client`] implements; in-memory implementations for unit tests
//! are in `test_utils` (feature `test-utils`). Contract reads (the output
//! oracle, the dispute games) stay typed `eth_call`s of the `sol!`
//! bindings; what a role decides from them is a pure function tested on its
//! own (`challenger/src/decide.rs`, `batcher/src/fill.rs`).
//!
//! The batcher, the challenger and the bridge link this crate, not
//! `rollup-node`: an RPC client needs neither the mempool nor revm nor an
//! HTTP server (reth keeps its RPC client crates apart from its node crates
//! the same way). Their databases open through `rollup-db`.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod dev;
mod error;
mod l1;
mod l2;
pub mod pipeline;
mod supervise;
#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;
mod traits;
pub mod txmgr;

pub use error::ErrorKind;
pub use l1::{BeaconClient, BlobSidecar, ClientError, L1Client, http_provider};
pub use l2::{L2Client, L2Error, SealedBatchBlock};
pub use supervise::{Supervisor, TaskExit, off_runtime};
pub use traits::{BatchProvider, L1Provider, L2Provider};
