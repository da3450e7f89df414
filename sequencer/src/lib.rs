//! # rollup-sequencer
//!
//! The L2 sequencer: it serves the L2 JSON-RPC (chain id 901), keeps a
//! mempool with per-sender nonce order and tip priority, follows the L1 for
//! its L1 origin and the bridge's deposits, and seals an L2 block every
//! `block_time` (250 ms by default) with the protocol's state transition
//! function. A block is persisted (sqlx) before anything in it is served.
//!
//! Data flow: users -> `eth_sendRawTransaction` -> mempool -> block ->
//! receipt; L1 `Bridge` deposits -> deposit transactions at the head of the
//! first L2 block whose L1 origin is their L1 block (after the block's
//! L1-attributes deposit, which the state transition function adds to every
//! block); sealed blocks -> the
//! batcher through `rollup_getBatchBlock` and `optimism_outputAtBlock`.
//!
//! The sequencer links `rollup-node` (it is a chain) and reads the L1 through
//! `rollup_client::L1Provider`, so its choice of L1 origin and deposits is
//! unit-tested against an in-memory L1. [`SequencerConfig`] has a `Default`
//! from [`DEFAULT_BLOCK_TIME`] and [`DEFAULT_SUGGESTED_TIP`] and a
//! `for_tests()`.
//!
//! Past blocks are traced (`debug_traceTransaction`, `debug_traceBlock*`,
//! `trace_transaction`, `trace_block`) by replaying them through the STF
//! itself (`rollup_protocol::execute_traced`), with the block's L1 origin
//! and deposits read back from the L1: deposits are traced like
//! transactions and the L1 data fee shows as the L1 fee vault's balance
//! change, as in op-geth.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod follow;
mod producer;
mod replay;
mod rpc;
mod verifier;

pub use follow::{REORGS_KEPT, Reorg, SharedSync, SyncState};
pub use producer::SequencerFaults;
pub use rpc::{L2_DEV_METHOD_REFUSED, NO_SEQUENCER};

use alloy_primitives::Address;
use rollup_client::{L1Client, Supervisor};
use rollup_node::{ChainKind, ChainStore, Node, NodeConfig, db::DbError};
use rollup_protocol::{L2_BASE_FEE_PARAMS, L2_MIN_BASE_FEE, RollupConfig, genesis_header};
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Configuration of the sequencer.
#[derive(Clone, Debug)]
pub struct SequencerConfig {
    /// The rollup's protocol parameters.
    pub rollup: RollupConfig,
    /// Address the L2 JSON-RPC server binds.
    pub rpc_addr: SocketAddr,
    /// L1 JSON-RPC URL.
    pub l1_rpc_url: String,
    /// The L1 `Bridge` contract.
    pub bridge: Address,
    /// The L1 `BatchInbox`, whose batches the sequencer derives its safe
    /// chain from.
    pub batch_inbox: Address,
    /// How often derivation reads the L1 for new batches.
    pub derivation_interval: Duration,
    /// Interval between L2 blocks.
    pub block_time: Duration,
    /// Tip suggested by `eth_maxPriorityFeePerGas`, in wei.
    pub suggested_tip: u128,
    /// Database URL.
    pub database_url: String,
    /// Bounds on the work one L2 JSON-RPC request may cost.
    pub rpc_limits: rollup_node::rpc::RpcLimits,
    /// Browser origins allowed to call the L2 JSON-RPC (anvil's default: any).
    pub rpc_cors: rollup_node::rpc::CorsOrigins,
    /// Blocks of history whose state is kept (`--history-blocks`; `None`:
    /// every block, an archive node). See [`Node::set_history_blocks`].
    pub history_blocks: Option<u64>,
}

/// Default L2 block interval: 250 ms (OP chains use 2 s; a shorter block
/// makes soft confirmations quick on the devnet).
pub const DEFAULT_BLOCK_TIME: Duration = Duration::from_millis(250);

/// Default L2 JSON-RPC port of a verifier node (`rollup node`): the
/// sequencer's plus one.
pub const DEFAULT_VERIFIER_PORT: u16 = 9546;

/// Default interval between two reads of the L1 by derivation: 250 ms.
pub const DEFAULT_DERIVATION_INTERVAL: Duration = Duration::from_millis(250);

/// Default tip suggested by `eth_maxPriorityFeePerGas`: 0.001 gwei (OP
/// chains' usual minimum suggestion; blocks are rarely full).
pub const DEFAULT_SUGGESTED_TIP: u128 = 1_000_000;

impl Default for SequencerConfig {
    /// The devnet's sequencer: L2 JSON-RPC on `127.0.0.1:9545`, L1 on
    /// `:8545`, [`DEFAULT_BLOCK_TIME`], [`DEFAULT_SUGGESTED_TIP`], the default
    /// rollup parameters, an unknown (zero) bridge address and a SQLite file
    /// `l2.db` in the working directory.
    fn default() -> Self {
        Self {
            rollup: RollupConfig::default(),
            rpc_addr: ([127, 0, 0, 1], 9545).into(),
            l1_rpc_url: "http://127.0.0.1:8545".into(),
            bridge: Address::ZERO,
            batch_inbox: Address::ZERO,
            derivation_interval: DEFAULT_DERIVATION_INTERVAL,
            block_time: DEFAULT_BLOCK_TIME,
            suggested_tip: DEFAULT_SUGGESTED_TIP,
            database_url: "sqlite://l2.db?mode=rwc".into(),
            rpc_limits: rollup_node::rpc::RpcLimits::default(),
            rpc_cors: rollup_node::rpc::CorsOrigins::default(),
            history_blocks: None,
        }
    }
}

impl SequencerConfig {
    /// A configuration for tests: port 0, the given L1, bridge, inbox and
    /// database, the defaults otherwise.
    pub fn for_tests(
        rollup: RollupConfig,
        l1_rpc_url: impl Into<String>,
        bridge: Address,
        batch_inbox: Address,
        database_url: impl Into<String>,
    ) -> Self {
        Self {
            rollup,
            rpc_addr: ([127, 0, 0, 1], 0).into(),
            l1_rpc_url: l1_rpc_url.into(),
            bridge,
            batch_inbox,
            database_url: database_url.into(),
            ..Self::default()
        }
    }
}

/// Configuration of a verifier node (`rollup node`): the sequencer's
/// settings for what they share (rollup, L1, contracts, RPC, database;
/// `block_time` is how often the sequencer is polled for unsafe blocks),
/// and the sequencer to follow, if any.
#[derive(Clone, Debug)]
pub struct VerifierConfig {
    /// Shared settings.
    pub node: SequencerConfig,
    /// The sequencer's L2 JSON-RPC: its unsafe blocks are followed and
    /// transactions are forwarded to it. Without it the node serves the
    /// safe chain only and refuses transactions.
    pub sequencer_rpc_url: Option<String>,
}

/// Errors starting the sequencer.
#[derive(Debug, thiserror::Error)]
pub enum SequencerError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The L1 client could not be built.
    #[error(transparent)]
    Client(#[from] rollup_client::ClientError),
    /// The RPC port could not be bound.
    #[error("cannot bind L2 RPC on {addr}: {source}")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
}

/// A running sequencer.
#[derive(Debug)]
pub struct SequencerHandle {
    /// The L2 node (chain, pool, store).
    pub node: Arc<Node>,
    /// The bound JSON-RPC address.
    pub rpc_addr: SocketAddr,
    /// Fault switches (devnet): make the sequencer misbehave on purpose.
    pub faults: Arc<SequencerFaults>,
    /// Its place on the L1, its heads and its reorgs.
    pub sync: SharedSync,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    supervisor: Supervisor,
}

impl SequencerHandle {
    /// The supervisor of its tasks: [`Supervisor::failed`] resolves when one
    /// ends while the role runs.
    pub const fn supervisor(&self) -> &Supervisor {
        &self.supervisor
    }

    /// `http://ip:port` of the L2 JSON-RPC.
    pub fn rpc_url(&self) -> String {
        format!("http://{}", self.rpc_addr)
    }

    /// Stops block production and the server, and waits for them.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// The node configuration of the L2 of `config`.
pub fn node_config(config: &SequencerConfig) -> NodeConfig {
    let rollup = &config.rollup;
    NodeConfig {
        chain_id: rollup.l2_chain_id,
        client_version: format!("rollup-sequencer/{}", env!("CARGO_PKG_VERSION")),
        block_gas_limit: rollup.l2_block_gas_limit,
        base_fee_params: L2_BASE_FEE_PARAMS,
        min_base_fee: L2_MIN_BASE_FEE,
        suggested_tip: config.suggested_tip,
        kind: ChainKind::L2 { l1_fee: rollup.l1_fee },
        max_tx_size: rollup_node::mempool::MAX_TX_SIZE,
        rpc_limits: config.rpc_limits,
    }
}

/// Starts a verifier node: derivation from L1, the sequencer's unsafe
/// blocks when given, the L2 JSON-RPC; no block production.
pub async fn spawn_verifier(config: VerifierConfig) -> Result<SequencerHandle, SequencerError> {
    let forward = match &config.sequencer_rpc_url {
        Some(url) => Some(rollup_client::http_provider(url)?),
        None => None,
    };
    start(config.node, Role::Verifier { sequencer: forward }).await
}

/// Starts the sequencer.
pub async fn spawn(config: SequencerConfig) -> Result<SequencerHandle, SequencerError> {
    start(config, Role::Sequencer).await
}

/// What a node does besides deriving and serving.
enum Role {
    /// Builds blocks.
    Sequencer,
    /// Follows (and forwards to) a sequencer, if any.
    Verifier { sequencer: Option<alloy::providers::RootProvider> },
}

async fn start(config: SequencerConfig, role: Role) -> Result<SequencerHandle, SequencerError> {
    let store = ChainStore::open(&config.database_url, "l2").await?;
    let rollup = config.rollup.clone();
    let node = Node::open(node_config(&config), store, || {
        let mut state = rollup_protocol::l2_genesis_state(&rollup);
        let header = genesis_header(&rollup, &mut state, &rollup.genesis_l1_origin)
            .unwrap_or_else(|never| match never {});
        (state, header)
    })
    .await?;
    node.set_history_blocks(config.history_blocks);
    node.set_l1_fees(&rollup.genesis_l1_origin);
    let l1 = L1Client::new(&config.l1_rpc_url, config.bridge)?;
    node.set_replayer(Arc::new(replay::L2Replayer { l1: l1.clone(), rollup: rollup.clone() }));
    let shutdown = CancellationToken::new();
    let faults = Arc::new(SequencerFaults::default());
    let sync = SharedSync::default();
    let forward = match &role {
        Role::Verifier { sequencer } => Some(sequencer.clone()),
        Role::Sequencer => None,
    };
    let methods = rpc::RollupMethods::new(node.clone(), sync.clone(), &config, forward);
    let router = rollup_node::rpc::with_cors(
        rollup_node::rpc::router(node.clone(), Arc::new(methods)),
        &config.rpc_cors,
    );
    let (rpc_addr, server) = rollup_node::serve(config.rpc_addr, router, shutdown.clone())
        .await
        .map_err(|source| SequencerError::Bind { addr: config.rpc_addr, source })?;
    let supervisor = Supervisor::new("sequencer", shutdown.clone());
    let server = supervisor.watch("rpc", server);
    // Built off the async workers: its pipeline starts from the genesis
    // state, which takes seconds for a large genesis (a benchmark's).
    let follower = {
        let (node, l1, rollup, inbox, sync, faults) = (
            node.clone(),
            L1Client::new(&config.l1_rpc_url, config.bridge)?,
            config.rollup.clone(),
            config.batch_inbox,
            sync.clone(),
            faults.clone(),
        );
        rollup_client::off_runtime(move || {
            follow::Follower::new(node, l1, rollup, inbox, sync, faults)
        })
        .await
    };
    let follower =
        supervisor.spawn("derivation", follower.run(config.derivation_interval, shutdown.clone()));
    let worker = match role {
        Role::Sequencer => supervisor.spawn(
            "producer",
            producer::run(
                node.clone(),
                l1,
                config.rollup.clone(),
                config.block_time,
                faults.clone(),
                shutdown.clone(),
            ),
        ),
        Role::Verifier { sequencer: Some(sequencer) } => supervisor.spawn(
            "unsafe-sync",
            verifier::follow_unsafe(
                node.clone(),
                l1,
                sequencer,
                config.rollup.clone(),
                config.block_time,
                shutdown.clone(),
            ),
        ),
        Role::Verifier { sequencer: None } => tokio::spawn(async {}),
    };
    tracing::info!(target: "sequencer", %rpc_addr, head = node.chain().head_number(), "sequencer running");
    Ok(SequencerHandle {
        node,
        rpc_addr,
        faults,
        sync,
        shutdown,
        tasks: vec![server, worker, follower],
        supervisor,
    })
}
