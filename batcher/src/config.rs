//! The batcher's configuration: where it posts, how it fills and encodes
//! channels, and the defaults `rollup devnet` and `rollup batcher` share.

use crate::TxManagerConfig;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::Address;
use rollup_client::dev::{Role, role_signer};
use rollup_protocol::batch::{BatchEncoding, Compression};
use std::time::Duration;

/// Default maximum channel duration: a sealed L2 block is posted within 2 s
/// even when its channel is far from full (a devnet default; op-batcher
/// defaults to minutes on mainnet).
pub const DEFAULT_BATCH_INTERVAL: Duration = Duration::from_secs(2);
/// Default cap on L2 blocks per channel: 500 (two minutes of 250 ms blocks),
/// which bounds the work of one encode and of a derivation step.
pub const DEFAULT_MAX_BLOCKS_PER_BATCH: u64 = 500;
/// Default interval between two passes of the batcher's loop: 250 ms, one
/// L2 block time.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(250);
/// Default channel compression: brotli (the densest of the four).
pub const DEFAULT_COMPRESSION: Compression = Compression::Brotli;
/// Default batch encoding: span batches (columnar, OP Delta).
pub const DEFAULT_ENCODING: BatchEncoding = BatchEncoding::Span;
/// Default data availability: calldata.
pub const DEFAULT_DA: DataAvailability = DataAvailability::Calldata;
/// Default output interval: the output root of every 20th L2 block (5 s of
/// 250 ms blocks).
pub const DEFAULT_OUTPUT_INTERVAL: u64 = 20;
/// Default cap on the proposer's transactions in flight (sent, not yet
/// confirmed): 8. A proposer behind by several output intervals sends up to
/// this many proposals (and bond reclaims) at consecutive nonces without
/// waiting for a receipt; at one L1 block a second that is 8 outputs a
/// block, far more than the devnet's 250 ms blocks and interval of 20 need.
pub const DEFAULT_MAX_PENDING_PROPOSALS: usize = 8;

/// Configuration of the batcher and proposer.
#[derive(Clone, Debug)]
pub struct BatcherConfig {
    /// L1 JSON-RPC URL.
    pub l1_rpc_url: String,
    /// L2 JSON-RPC URL.
    pub l2_rpc_url: String,
    /// `BatchInbox` on L1.
    pub batch_inbox: Address,
    /// `OutputOracle` on L1.
    pub output_oracle: Address,
    /// Key authorised to append batches.
    pub batcher_key: PrivateKeySigner,
    /// Key authorised to propose outputs.
    pub proposer_key: PrivateKeySigner,
    /// Channel compression.
    pub compression: Compression,
    /// Batch encoding (span batches by default: columnar, densest).
    pub encoding: BatchEncoding,
    /// Where batches go: calldata, blobs, or whichever is cheaper now.
    pub da: DataAvailability,
    /// Propose the output of every `output_interval`-th L2 block.
    pub output_interval: u64,
    /// Most proposer transactions in flight (proposals first, bond reclaims
    /// in the slots left); 0 counts as 1. One while a dispute game is in
    /// progress.
    pub max_pending_proposals: usize,
    /// Maximum channel duration: an L2 block waits at most this long for its
    /// channel to fill before it is posted anyway.
    pub batch_interval: Duration,
    /// Most L2 blocks per channel.
    pub max_blocks_per_batch: u64,
    /// How often the batcher and the proposer (each on its own loop) look
    /// for work (new sealed blocks, confirmed batches, settled proposals,
    /// games to defend).
    pub poll_interval: Duration,
    /// Transaction manager settings.
    pub txmgr: TxManagerConfig,
    /// Database URL.
    pub database_url: String,
    /// `DisputeGameFactory` on L1: when set, the proposer defends its outputs.
    pub dispute_game_factory: Option<Address>,
}

impl Default for BatcherConfig {
    /// The devnet's batcher: L1 on `:8545`, L2 on `:9545`, the batcher and
    /// proposer role keys of the dev mnemonic, the `DEFAULT_*` batching and
    /// proposing parameters, unknown (zero) contract addresses, no dispute game
    /// factory, and a SQLite file `batcher.db` in the working directory.
    fn default() -> Self {
        Self {
            l1_rpc_url: "http://127.0.0.1:8545".into(),
            l2_rpc_url: "http://127.0.0.1:9545".into(),
            batch_inbox: Address::ZERO,
            output_oracle: Address::ZERO,
            batcher_key: role_signer(Role::Batcher),
            proposer_key: role_signer(Role::Proposer),
            compression: DEFAULT_COMPRESSION,
            encoding: DEFAULT_ENCODING,
            da: DEFAULT_DA,
            output_interval: DEFAULT_OUTPUT_INTERVAL,
            max_pending_proposals: DEFAULT_MAX_PENDING_PROPOSALS,
            batch_interval: DEFAULT_BATCH_INTERVAL,
            max_blocks_per_batch: DEFAULT_MAX_BLOCKS_PER_BATCH,
            poll_interval: DEFAULT_POLL_INTERVAL,
            txmgr: TxManagerConfig::default(),
            database_url: "sqlite://batcher.db?mode=rwc".into(),
            dispute_game_factory: None,
        }
    }
}

impl BatcherConfig {
    /// A configuration for tests: the given RPC URLs and database, the
    /// defaults otherwise. Set the contract addresses on the result.
    pub fn for_tests(
        l1_rpc_url: impl Into<String>,
        l2_rpc_url: impl Into<String>,
        database_url: impl Into<String>,
    ) -> Self {
        Self {
            l1_rpc_url: l1_rpc_url.into(),
            l2_rpc_url: l2_rpc_url.into(),
            database_url: database_url.into(),
            ..Self::default()
        }
    }
}

/// Data availability of batches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DataAvailability {
    /// Batch data in the calldata of `BatchInbox.appendBatch`.
    #[default]
    Calldata,
    /// One frame per EIP-4844 blob, with `BatchInbox.appendBlobBatch`.
    Blobs,
    /// Whichever costs less at the current L1 base fee and blob base fee
    /// (op-batcher's auto mode): calldata at the EIP-7623 floor of 40 gas per
    /// byte, or 131,072 blob gas per blob.
    Auto,
}

impl std::str::FromStr for DataAvailability {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "calldata" => Ok(Self::Calldata),
            "blobs" => Ok(Self::Blobs),
            "auto" => Ok(Self::Auto),
            other => Err(format!("unknown data availability {other:?}: calldata, blobs or auto")),
        }
    }
}

impl std::fmt::Display for DataAvailability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Calldata => "calldata",
            Self::Blobs => "blobs",
            Self::Auto => "auto",
        })
    }
}
