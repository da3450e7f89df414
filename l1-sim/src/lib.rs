//! # rollup-l1-sim
//!
//! The simulated L1: a revm chain (Prague rules) with real blocks, receipts,
//! logs and an EIP-1559 base fee that moves with demand; interval mining or
//! mining on every transaction; anvil-style dev methods; the Ethereum
//! JSON-RPC of `rollup-node`; and its chain persisted through sqlx so a
//! restart resumes it. The rollup's L1 contracts run on it as real bytecode.
//!
//! # Blobs (EIP-4844)
//!
//! `eth_sendRawTransaction` takes blob transactions in their network form
//! (`0x03 || rlp([tx_payload_body, blobs, commitments, proofs])`); the node
//! checks every commitment against its versioned hash and every blob's KZG
//! proof (c-kzg, Ethereum trusted setup) before pooling it. Blocks carry the
//! canonical transaction (no sidecar: hashes and roots are the canonical
//! ones), `blob_gas_used` and `excess_blob_gas` under the Prague schedule
//! (target 6, max 9, at most 6 per transaction) with the EIP-7918 reserve
//! price (see [`rollup_node::blob`]). Sidecars are persisted with their block
//! and served on the same address by the beacon API endpoint
//! `GET /eth/v1/beacon/blob_sidecars/{block_id}` ([`beacon`]).
//!
//! # Tracing past blocks
//!
//! `debug_traceTransaction`, `debug_traceBlock*`, `trace_transaction` and
//! `trace_block` re-execute the block as the builder built it: the header's
//! environment, the EIP-2935 system call, then its transactions with their
//! recorded senders, on the state its transactions ran on (the parent's
//! with the dev-method changes made before it); see `rollup_node::replay`.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod beacon;
mod builder;
mod dev;
mod execute;
mod replay;

pub use builder::{MiningMode, build_block};
pub use dev::MAX_TIMESTAMP;
pub use execute::l1_precompiles;

use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header};
use alloy_eips::{eip1559::BaseFeeParams, eip7685::EMPTY_REQUESTS_HASH};
use alloy_primitives::{Address, B256, U256};
use rollup_client::Supervisor;
use rollup_node::{ChainKind, ChainStore, Node, NodeConfig, db::DbError, rpc};
use rollup_protocol::{L1_CHAIN_ID, MemoryState};
use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// L1 block gas limit, in gas.
pub const L1_BLOCK_GAS_LIMIT: u64 = 60_000_000;
/// Largest transaction the L1 accepts, in bytes: 1 MiB. geth's pool takes
/// 128 KiB, but a dispute proof carries the disputed block's whole batch (up
/// to six blobs, ~786 KB, or a 120 KB calldata batch) plus its state witness
/// in one `proveBlock` call; fault-proof systems on Ethereum stage such data
/// through a preimage oracle over several transactions instead, which this
/// simulator spares the challenger. The block gas limit still bounds a
/// proof: 16 or 40 gas per calldata byte (EIP-7623) and EXECUTE's own gas.
pub const L1_MAX_TX_SIZE: usize = 1024 * 1024;
/// Base fee of the L1 genesis block: 1 gwei.
pub const L1_GENESIS_BASE_FEE: u64 = 1_000_000_000;
/// Lowest L1 base fee, in wei: 0.1 gwei. EIP-1559 has no floor; the
/// simulator keeps one so that an idle devnet keeps a realistic L1 price
/// instead of decaying to a few wei in a minute.
pub const L1_MIN_BASE_FEE: u64 = 100_000_000;
/// Priority fee suggested by `eth_maxPriorityFeePerGas`, in wei: 0.001 gwei
/// (geth's minimum suggestion; the simulated L1 has no competition for space).
pub const L1_SUGGESTED_TIP: u128 = 1_000_000;

/// Configuration of the L1 simulator.
#[derive(Clone, Debug)]
pub struct L1Config {
    /// Chain id (900 on the devnet).
    pub chain_id: u64,
    /// Address the JSON-RPC server binds (port 0: any free port).
    pub rpc_addr: SocketAddr,
    /// Block interval; `None` mines a block for every transaction (automine).
    pub block_time: Option<Duration>,
    /// Database URL (`sqlite://...` or `postgres://...`).
    pub database_url: String,
    /// Genesis balances, in wei.
    pub genesis_alloc: Vec<(Address, U256)>,
    /// Bounds on the work one JSON-RPC request may cost.
    pub rpc_limits: rpc::RpcLimits,
    /// Browser origins allowed to call the JSON-RPC (anvil's default: any).
    pub rpc_cors: rpc::CorsOrigins,
    /// Blocks behind the head that are final: the `finalized` tag names the
    /// block this far behind the head and `safe` the one half as far
    /// ([`Node::set_finality_depth`]); `anvil_reorg` and `anvil_rollback`
    /// never remove a finalized block. At least 1 (0 is taken as 1: the
    /// parent of the head is final, the head is `safe`).
    pub finality_depth: u64,
    /// Blocks of history whose state is kept (`--history-blocks`; `None`:
    /// every block, an archive node). See [`Node::set_history_blocks`].
    pub history_blocks: Option<u64>,
}

/// Default L1 finality depth, in blocks: 64, two Ethereum epochs of 32
/// slots (Casper FFG finalizes a checkpoint two epochs after it is
/// proposed; the justified, `safe`, checkpoint is one epoch back).
pub const DEFAULT_L1_FINALITY_DEPTH: u64 = 64;

/// Default L1 block interval: 1 s (Ethereum's is 12 s; the devnet is quicker).
pub const DEFAULT_BLOCK_TIME: Duration = Duration::from_secs(1);

impl Default for L1Config {
    /// The devnet's L1: chain id 900 on `127.0.0.1:8545`, a block every
    /// [`DEFAULT_BLOCK_TIME`], a SQLite file `l1.db` in the working directory,
    /// an empty genesis allocation and [`DEFAULT_L1_FINALITY_DEPTH`].
    fn default() -> Self {
        Self {
            chain_id: L1_CHAIN_ID,
            rpc_addr: ([127, 0, 0, 1], 8545).into(),
            block_time: Some(DEFAULT_BLOCK_TIME),
            database_url: "sqlite://l1.db?mode=rwc".into(),
            genesis_alloc: Vec::new(),
            rpc_limits: rpc::RpcLimits::default(),
            rpc_cors: rpc::CorsOrigins::default(),
            finality_depth: DEFAULT_L1_FINALITY_DEPTH,
            history_blocks: None,
        }
    }
}

impl L1Config {
    /// A configuration for tests: port 0, 1-second blocks, the given
    /// database, [`DEFAULT_L1_FINALITY_DEPTH`].
    pub fn for_tests(database_url: String, genesis_alloc: Vec<(Address, U256)>) -> Self {
        Self {
            chain_id: L1_CHAIN_ID,
            rpc_addr: ([127, 0, 0, 1], 0).into(),
            block_time: Some(DEFAULT_BLOCK_TIME),
            database_url,
            genesis_alloc,
            rpc_limits: rpc::RpcLimits::default(),
            rpc_cors: rpc::CorsOrigins::default(),
            finality_depth: DEFAULT_L1_FINALITY_DEPTH,
            history_blocks: None,
        }
    }
}

/// Errors starting the L1.
#[derive(Debug, thiserror::Error)]
pub enum L1Error {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The RPC port could not be bound.
    #[error("cannot bind L1 RPC on {addr}: {source}")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
}

/// A running L1.
#[derive(Debug)]
pub struct L1Handle {
    /// The node (chain, pool, store).
    pub node: Arc<Node>,
    /// The bound JSON-RPC address.
    pub rpc_addr: SocketAddr,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    supervisor: Supervisor,
    dev: Arc<dev::DevMethods>,
}

impl L1Handle {
    /// Switches how the L1 mines, as `anvil_setAutomine` and
    /// `anvil_setIntervalMining` do (the devnet mines its contract
    /// deployment at once, then mines on its interval).
    pub fn set_mining_mode(&self, mode: MiningMode) {
        self.dev.set_mining_mode(mode);
    }

    /// How the L1 mines now.
    pub fn mining_mode(&self) -> MiningMode {
        self.dev.mining_mode()
    }

    /// The supervisor of its tasks: [`Supervisor::failed`] resolves when one
    /// ends while the role runs.
    pub const fn supervisor(&self) -> &Supervisor {
        &self.supervisor
    }

    /// `http://ip:port` of the JSON-RPC server.
    pub fn rpc_url(&self) -> String {
        format!("http://{}", self.rpc_addr)
    }

    /// Base URL of the beacon API (blob sidecars): the JSON-RPC address.
    pub fn beacon_url(&self) -> String {
        self.rpc_url()
    }

    /// Stops mining and the server, and waits for them.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// The L1 genesis: the configured balances and the tooling predeploys
/// (CREATE2 deployer, Multicall3, EIP-2935 history contract; see
/// [`rollup_protocol::predeploys()`]).
fn genesis(config: &L1Config) -> (MemoryState, Header) {
    let mut state = MemoryState::new();
    rollup_protocol::install_predeploys(&mut state);
    for (address, balance) in &config.genesis_alloc {
        state.set_account(*address, *balance, 0, None);
    }
    let header = Header {
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        state_root: state.compute_state_root(),
        transactions_root: alloy_trie_empty(),
        receipts_root: alloy_trie_empty(),
        gas_limit: L1_BLOCK_GAS_LIMIT,
        timestamp: now(),
        base_fee_per_gas: Some(L1_GENESIS_BASE_FEE),
        withdrawals_root: Some(alloy_trie_empty()),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::ZERO),
        requests_hash: Some(EMPTY_REQUESTS_HASH),
        ..Default::default()
    };
    (state, header)
}

const fn alloy_trie_empty() -> B256 {
    alloy_consensus::constants::EMPTY_ROOT_HASH
}

/// Starts the L1: opens (or creates) the chain, serves JSON-RPC and mines.
pub async fn spawn(config: L1Config) -> Result<L1Handle, L1Error> {
    let store = ChainStore::open(&config.database_url, "l1").await?;
    let node_config = NodeConfig {
        chain_id: config.chain_id,
        client_version: format!("rollup-l1-sim/{}", env!("CARGO_PKG_VERSION")),
        block_gas_limit: L1_BLOCK_GAS_LIMIT,
        base_fee_params: BaseFeeParams::ethereum(),
        min_base_fee: L1_MIN_BASE_FEE,
        suggested_tip: L1_SUGGESTED_TIP,
        kind: ChainKind::L1 { precompiles: execute::l1_precompiles() },
        max_tx_size: L1_MAX_TX_SIZE,
        rpc_limits: config.rpc_limits,
    };
    let node = Node::open(node_config, store, || genesis(&config)).await?;
    node.set_finality_depth(config.finality_depth.max(1));
    node.set_history_blocks(config.history_blocks);
    node.set_replayer(Arc::new(replay::L1Replayer));
    // Load the KZG trusted setup now rather than on the first blob transaction.
    drop(tokio::task::spawn_blocking(|| {
        rollup_protocol::l1_blob::kzg_settings();
    }));
    let shutdown = CancellationToken::new();
    let clock = Arc::new(dev::Clock::default());
    let mode = match config.block_time {
        Some(interval) => builder::MiningMode::Interval(interval),
        None => builder::MiningMode::Auto,
    };
    let (mode_tx, mode_rx) = tokio::sync::watch::channel(mode);
    let ext = Arc::new(dev::DevMethods::new(node.clone(), clock.clone(), mode_tx));
    let router = rpc::with_cors(rpc::router(node.clone(), ext.clone()), &config.rpc_cors)
        .merge(beacon::router(node.clone()));
    let (rpc_addr, server) = rollup_node::serve(config.rpc_addr, router, shutdown.clone())
        .await
        .map_err(|source| L1Error::Bind { addr: config.rpc_addr, source })?;
    let supervisor = Supervisor::new("l1", shutdown.clone());
    let server = supervisor.watch("rpc", server);
    let miner = supervisor
        .spawn("miner", builder::mine_loop(node.clone(), clock, mode_rx, shutdown.clone()));
    tracing::info!(target: "l1", %rpc_addr, head = node.chain().head_number(), "L1 simulator running");
    Ok(L1Handle { node, rpc_addr, shutdown, tasks: vec![server, miner], supervisor, dev: ext })
}
