//! The command line: `rollup devnet` and one subcommand per role. Every flag
//! also reads an environment variable (`ROLLUP_...`); durations take units
//! (`250ms`, `30s`, `7d`).

use crate::{
    deploy::{DeployParams, RollupFile, deploy},
    devnet::{self, DevnetConfig, l1_genesis_alloc},
    roles::Batching,
};
use alloy_primitives::U256;
use clap::{Args, Parser, Subcommand, builder::TypedValueParser};
use eyre::Context;
use rollup_batcher::DataAvailability;
use rollup_client::dev::{DEV_ACCOUNTS, DEV_MNEMONIC, Role, dev_account, role_signer};
use rollup_db::sqlite_url;
use rollup_l1_sim::L1Config;
use rollup_node::rpc;
use rollup_protocol::{
    L1_CHAIN_ID,
    batch::{BatchEncoding, Compression},
};
use std::{net::IpAddr, path::PathBuf};

/// An optimistic rollup stack anchored to a simulated L1.
#[derive(Debug, Parser)]
#[command(name = "rollup", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Every role in one process: L1, sequencer, batcher/proposer, bridge API.
    Devnet(DevnetArgs),
    /// The L1 simulator alone (deploys the contracts on first start and writes
    /// `<data-dir>/rollup.json`).
    L1(L1Args),
    /// The L2 sequencer.
    Sequencer(SequencerArgs),
    /// The batcher and output proposer.
    Batcher(BatcherArgs),
    /// The bridge REST API.
    Bridge(BridgeArgs),
    /// The challenger: derives the L2 from L1 alone and disputes wrong outputs.
    Challenger(ChallengerArgs),
    /// A verifier node: derives the L2 from L1 alone and serves its JSON-RPC
    /// (follows the sequencer's unsafe blocks and forwards transactions to
    /// it when given `--sequencer-rpc-url`).
    Node(NodeArgs),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// `rollup bench ...`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The same signed workload on the L1 directly and through the rollup:
    /// cost per transaction, bytes posted, fee coverage.
    Fees(crate::bench::FeesArgs),
    /// The devnet for a compressed "week" under steady load: outputs against
    /// blocks, the proposer's balance (bonds reclaimed), batch cadence,
    /// memory over time, withdrawals finalized.
    Soak(crate::bench::soak::SoakArgs),
    /// Transactions included per second and their inclusion latency, from
    /// the client's side: an in-process devnet (or `--rpc`), optionally
    /// beside a peer node (`--peer-rpc`) on the identical load.
    Throughput(Box<crate::bench::throughput::ThroughputArgs>),
}

/// `rollup challenger`.
#[derive(Debug, Args)]
pub struct ChallengerArgs {
    #[command(flatten)]
    role: RoleArgs,
    #[command(flatten)]
    challenger_key: crate::keys::ChallengerKeyArgs,
    #[command(flatten)]
    defender_key: crate::keys::DefenderKeyArgs,
}

/// Where data lives.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Storage")]
pub struct StorageArgs {
    /// Directory of the SQLite databases and the rollup file.
    #[arg(long, env = "ROLLUP_DATA_DIR", default_value = ".rollup")]
    pub data_dir: PathBuf,
    /// A PostgreSQL URL (each role uses its own schema); SQLite files under
    /// `--data-dir` when absent.
    #[arg(long, env = "ROLLUP_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl StorageArgs {
    fn url(&self, file: &str) -> eyre::Result<String> {
        std::fs::create_dir_all(&self.data_dir)
            .wrap_err_with(|| format!("cannot create data dir {}", self.data_dir.display()))?;
        Ok(self.database_url.clone().unwrap_or_else(|| sqlite_url(&self.data_dir, file)))
    }
}

/// Where the process serves its Prometheus metrics.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Metrics")]
pub struct MetricsArgs {
    /// Serve Prometheus metrics at `http://<addr>/metrics` (off when absent;
    /// op-node's default port is 7300). See `rollup::metrics` for the list.
    #[arg(long, env = "ROLLUP_METRICS_ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,
}

/// How much state history a chain node keeps.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Storage")]
pub struct HistoryArgs {
    /// Keep the state of the last N blocks only (older blocks answer
    /// state methods with geth's `missing trie node`); every block when
    /// absent (an archive node, the default).
    #[arg(long, env = "ROLLUP_HISTORY_BLOCKS", value_parser = clap::value_parser!(u64).range(1..))]
    pub history_blocks: Option<u64>,
}

/// Protocol parameters fixed at deployment.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Protocol")]
pub struct ProtocolArgs {
    /// Seconds an output stays challengeable before withdrawals against it can finalize.
    #[arg(long, env = "ROLLUP_CHALLENGE_WINDOW", default_value_t = crate::deploy::DEFAULT_CHALLENGE_WINDOW.into())]
    pub challenge_window: humantime::Duration,
    /// Propose the output root of every N-th L2 block.
    #[arg(long, env = "ROLLUP_OUTPUT_INTERVAL", default_value_t = rollup_batcher::DEFAULT_OUTPUT_INTERVAL)]
    pub output_interval: u64,
    /// Proposer bond, in wei (default 0.1 ETH).
    #[arg(long, env = "ROLLUP_BOND_WEI", default_value_t = U256::from(crate::deploy::DEFAULT_BOND_WEI))]
    pub bond_wei: U256,
    /// Challenger bond, in wei (default 0.1 ETH).
    #[arg(long, env = "ROLLUP_CHALLENGER_BOND_WEI", default_value_t = U256::from(crate::deploy::DEFAULT_BOND_WEI))]
    pub challenger_bond_wei: U256,
    /// Chess clock of each side of a dispute game.
    #[arg(long, env = "ROLLUP_GAME_CLOCK", default_value_t = crate::deploy::DEFAULT_GAME_CLOCK.into())]
    pub game_clock: humantime::Duration,
    /// L1 data fee scalar of the L1 base fee, in millionths (OP Ecotone
    /// `baseFeeScalar`). Default: 2000000 for calldata batches, 8000 for
    /// blobs (`rollup devnet --da`; `rollup l1` assumes calldata).
    #[arg(long, env = "ROLLUP_L1_BASE_FEE_SCALAR")]
    pub l1_base_fee_scalar: Option<u64>,
    /// L1 data fee scalar of the L1 blob base fee, in millionths (OP Ecotone
    /// `blobBaseFeeScalar`). Default: 0 for calldata batches, 1000000 for blobs.
    #[arg(long, env = "ROLLUP_L1_BLOB_BASE_FEE_SCALAR")]
    pub l1_blob_base_fee_scalar: Option<u64>,
}

impl ProtocolArgs {
    /// The L1 fee scalars: those for `da`, overridden by the flags given.
    fn l1_fee(&self, da: DataAvailability) -> rollup_protocol::L1FeeScalars {
        let defaults = crate::deploy::l1_fee_for(da);
        rollup_protocol::L1FeeScalars {
            base_fee_scalar: self.l1_base_fee_scalar.unwrap_or(defaults.base_fee_scalar),
            blob_base_fee_scalar: self
                .l1_blob_base_fee_scalar
                .unwrap_or(defaults.blob_base_fee_scalar),
        }
    }

    fn deploy_params(&self) -> DeployParams {
        DeployParams {
            l1_chain_id: L1_CHAIN_ID,
            challenge_window_secs: self.challenge_window.as_secs(),
            output_interval: self.output_interval,
            bond_wei: self.bond_wei,
            challenger_bond_wei: self.challenger_bond_wei,
            game_clock_secs: self.game_clock.as_secs(),
            l1_fee: self.l1_fee(DataAvailability::Calldata),
            genesis_prefill: 0,
        }
    }
}

/// Bounds on the work one JSON-RPC request may cost (geth's and reth's
/// defaults; see `rollup_node::rpc::RpcLimits`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "JSON-RPC limits")]
pub struct RpcLimitArgs {
    /// Largest request body, in bytes (geth: 5 MiB).
    #[arg(long = "rpc.max-request-size", env = "ROLLUP_RPC_MAX_REQUEST_SIZE", default_value_t = rpc::DEFAULT_MAX_REQUEST_BODY_SIZE, value_parser = clap::value_parser!(u32).range(1..).map(|v| v as usize))]
    pub max_request_size: usize,
    /// Most requests in one batch (geth: 1000).
    #[arg(long = "rpc.batch-request-limit", env = "ROLLUP_RPC_BATCH_REQUEST_LIMIT", default_value_t = rpc::DEFAULT_MAX_BATCH_SIZE, value_parser = clap::value_parser!(u32).range(1..).map(|v| v as usize))]
    pub batch_request_limit: usize,
    /// Most bytes of the responses of one batch (geth: 25000000).
    #[arg(long = "rpc.batch-response-max-size", env = "ROLLUP_RPC_BATCH_RESPONSE_MAX_SIZE", default_value_t = rpc::DEFAULT_MAX_BATCH_RESPONSE_SIZE, value_parser = clap::value_parser!(u32).range(1..).map(|v| v as usize))]
    pub batch_response_max_size: usize,
    /// Most blocks one `eth_feeHistory` reports (geth: 1024).
    #[arg(long = "rpc.feehistory-max-blocks", env = "ROLLUP_RPC_FEEHISTORY_MAX_BLOCKS", default_value_t = rpc::DEFAULT_MAX_FEE_HISTORY_BLOCKS, value_parser = clap::value_parser!(u64).range(1..))]
    pub feehistory_max_blocks: u64,
    /// Most reward percentiles one `eth_feeHistory` takes (geth: 100).
    #[arg(long = "rpc.feehistory-max-percentiles", env = "ROLLUP_RPC_FEEHISTORY_MAX_PERCENTILES", default_value_t = rpc::DEFAULT_MAX_FEE_HISTORY_PERCENTILES, value_parser = clap::value_parser!(u32).range(1..).map(|v| v as usize))]
    pub feehistory_max_percentiles: usize,
    /// Most blocks one `eth_getLogs` scans.
    #[arg(long = "rpc.max-blocks-per-filter", env = "ROLLUP_RPC_MAX_BLOCKS_PER_FILTER", default_value_t = rpc::DEFAULT_MAX_BLOCKS_PER_FILTER, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_blocks_per_filter: u64,
    /// Most logs one `eth_getLogs` over several blocks returns (reth: 20000).
    #[arg(long = "rpc.max-logs-per-response", env = "ROLLUP_RPC_MAX_LOGS_PER_RESPONSE", default_value_t = rpc::DEFAULT_MAX_LOGS_PER_RESPONSE, value_parser = clap::value_parser!(u32).range(1..).map(|v| v as usize))]
    pub max_logs_per_response: usize,
    /// Most storage keys one `eth_getProof` proves (geth: 1024).
    #[arg(long = "rpc.max-proof-keys", env = "ROLLUP_RPC_MAX_PROOF_KEYS", default_value_t = rpc::DEFAULT_MAX_PROOF_KEYS, value_parser = clap::value_parser!(u32).range(1..).map(|v| v as usize))]
    pub max_proof_keys: usize,
    /// Browser origins allowed to call the JSON-RPC: `*` (anvil's default),
    /// `none`, or a comma-separated list such as `http://localhost:5173`.
    #[arg(long = "rpc-cors-origins", env = "ROLLUP_RPC_CORS_ORIGINS", default_value = "*")]
    pub rpc_cors_origins: rpc::CorsOrigins,
}

/// Who may call the REST API's endpoints that change state.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "REST API access")]
pub struct ApiAccessArgs {
    /// Browser origins allowed to call the state-changing endpoints (POST,
    /// DELETE), as anvil's `--allow-origin`: `none` (default), `*`, or a
    /// comma-separated list. Reads (GET) are open to every origin.
    #[arg(long, env = "ROLLUP_CORS_ORIGINS", default_value = "none")]
    pub cors_origins: rpc::CorsOrigins,
    /// Bearer token required by the endpoints that spend the operator's
    /// funds or arm faults (challenges, faults, dev-signer deposits and
    /// withdrawals, relayed finalizations); none by default.
    #[arg(long, env = "ROLLUP_API_TOKEN", hide_env_values = true)]
    pub api_token: Option<String>,
}

impl ApiAccessArgs {
    /// The REST API server configuration these flags give.
    pub fn server(&self) -> rollup_bridge::ApiServerConfig {
        rollup_bridge::ApiServerConfig {
            cors_origins: self.cors_origins.clone(),
            api_token: self.api_token.clone().filter(|t| !t.is_empty()),
            ..Default::default()
        }
    }
}

impl RpcLimitArgs {
    /// The limits these flags give.
    pub const fn limits(&self) -> rpc::RpcLimits {
        rpc::RpcLimits {
            max_request_body_size: self.max_request_size,
            max_batch_size: self.batch_request_limit,
            max_batch_response_size: self.batch_response_max_size,
            max_fee_history_blocks: self.feehistory_max_blocks,
            max_fee_history_percentiles: self.feehistory_max_percentiles,
            max_blocks_per_filter: self.max_blocks_per_filter,
            max_logs_per_response: self.max_logs_per_response,
            max_proof_keys: self.max_proof_keys,
        }
    }
}

/// `rollup devnet`.
#[derive(Debug, Args)]
pub struct DevnetArgs {
    #[command(flatten)]
    storage: StorageArgs,
    #[command(flatten)]
    protocol: ProtocolArgs,
    #[command(flatten)]
    rpc_limits: RpcLimitArgs,
    #[command(flatten)]
    api_access: ApiAccessArgs,
    /// Interface to bind.
    #[arg(long, env = "ROLLUP_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// L1 JSON-RPC port.
    #[arg(long, env = "ROLLUP_L1_PORT", default_value_t = 8545)]
    l1_port: u16,
    /// L2 JSON-RPC port.
    #[arg(long, env = "ROLLUP_L2_PORT", default_value_t = 9545)]
    l2_port: u16,
    /// REST API port.
    #[arg(long, env = "ROLLUP_API_PORT", default_value_t = 8080)]
    api_port: u16,
    /// L1 block interval.
    #[arg(long, env = "ROLLUP_L1_BLOCK_TIME", default_value_t = rollup_l1_sim::DEFAULT_BLOCK_TIME.into())]
    l1_block_time: humantime::Duration,
    /// L1 finality depth, in blocks: `finalized` names the block this far
    /// behind the L1 head, `safe` the one half as far (64: two Ethereum
    /// epochs); `anvil_reorg`/`anvil_rollback` never go deeper.
    #[arg(long, env = "ROLLUP_L1_FINALITY_DEPTH", default_value_t = rollup_l1_sim::DEFAULT_L1_FINALITY_DEPTH, value_parser = clap::value_parser!(u64).range(1..))]
    l1_finality_depth: u64,
    #[command(flatten)]
    history: HistoryArgs,
    /// L2 block interval.
    #[arg(long, env = "ROLLUP_L2_BLOCK_TIME", default_value_t = rollup_sequencer::DEFAULT_BLOCK_TIME.into())]
    l2_block_time: humantime::Duration,
    #[command(flatten)]
    batching: BatchingArgs,
    /// Delete the data dir first and start new chains.
    #[arg(long, env = "ROLLUP_FRESH")]
    fresh: bool,
    #[command(flatten)]
    metrics: MetricsArgs,
}

/// `rollup l1`.
#[derive(Debug, Args)]
pub struct L1Args {
    #[command(flatten)]
    storage: StorageArgs,
    #[command(flatten)]
    protocol: ProtocolArgs,
    #[command(flatten)]
    rpc_limits: RpcLimitArgs,
    /// Interface to bind.
    #[arg(long, env = "ROLLUP_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// JSON-RPC port.
    #[arg(long, env = "ROLLUP_L1_PORT", default_value_t = 8545)]
    port: u16,
    /// Block interval; `0s` mines one block per transaction.
    #[arg(long, env = "ROLLUP_L1_BLOCK_TIME", default_value_t = rollup_l1_sim::DEFAULT_BLOCK_TIME.into())]
    block_time: humantime::Duration,
    /// L1 finality depth, in blocks: `finalized` names the block this far
    /// behind the L1 head, `safe` the one half as far (64: two Ethereum
    /// epochs); `anvil_reorg`/`anvil_rollback` never go deeper.
    #[arg(long, env = "ROLLUP_L1_FINALITY_DEPTH", default_value_t = rollup_l1_sim::DEFAULT_L1_FINALITY_DEPTH, value_parser = clap::value_parser!(u64).range(1..))]
    l1_finality_depth: u64,
    #[command(flatten)]
    history: HistoryArgs,
    #[command(flatten)]
    deployer_key: crate::keys::DeployerKeyArgs,
    #[command(flatten)]
    role_addresses: crate::keys::RoleAddressArgs,
    /// A development deployment: deploy with the public test mnemonic's
    /// role keys and accounts unless others are given.
    #[arg(long, env = "ROLLUP_DEV")]
    dev: bool,
    #[command(flatten)]
    metrics: MetricsArgs,
}

/// Flags shared by the roles that follow a deployment.
#[derive(Debug, Args)]
pub struct RoleArgs {
    #[command(flatten)]
    storage: StorageArgs,
    /// The rollup file written by `rollup l1` (default `<data-dir>/rollup.json`).
    #[arg(long, env = "ROLLUP_CONFIG")]
    rollup_config: Option<PathBuf>,
    /// L1 JSON-RPC URL.
    #[arg(long, env = "ROLLUP_L1_RPC_URL", default_value = "http://127.0.0.1:8545")]
    l1_rpc_url: String,
    /// Interface to bind.
    #[arg(long, env = "ROLLUP_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// A development deployment: accept the public test mnemonic's keys,
    /// and take the devnet's role key for every key not given.
    #[arg(long, env = "ROLLUP_DEV")]
    dev: bool,
    #[command(flatten)]
    metrics: MetricsArgs,
}

impl RoleArgs {
    fn rollup(&self) -> eyre::Result<RollupFile> {
        let path =
            self.rollup_config.clone().unwrap_or_else(|| self.storage.data_dir.join("rollup.json"));
        RollupFile::load(&path)
    }
}

/// `rollup sequencer`.
#[derive(Debug, Args)]
pub struct SequencerArgs {
    #[command(flatten)]
    role: RoleArgs,
    #[command(flatten)]
    rpc_limits: RpcLimitArgs,
    /// L2 JSON-RPC port.
    #[arg(long, env = "ROLLUP_L2_PORT", default_value_t = 9545)]
    port: u16,
    /// L2 block interval.
    #[arg(long, env = "ROLLUP_L2_BLOCK_TIME", default_value_t = rollup_sequencer::DEFAULT_BLOCK_TIME.into())]
    block_time: humantime::Duration,
    #[command(flatten)]
    history: HistoryArgs,
}

/// `rollup node`.
#[derive(Debug, Args)]
pub struct NodeArgs {
    #[command(flatten)]
    role: RoleArgs,
    #[command(flatten)]
    rpc_limits: RpcLimitArgs,
    /// L2 JSON-RPC port of this node.
    #[arg(long, env = "ROLLUP_NODE_PORT", default_value_t = rollup_sequencer::DEFAULT_VERIFIER_PORT)]
    port: u16,
    /// The sequencer's L2 JSON-RPC: its unsafe blocks are followed and
    /// transactions forwarded to it (without it: the safe chain only, and
    /// transactions are refused).
    #[arg(long, env = "ROLLUP_SEQUENCER_RPC_URL")]
    sequencer_rpc_url: Option<String>,
    /// How often the sequencer is polled for new blocks.
    #[arg(long, env = "ROLLUP_NODE_POLL_INTERVAL", default_value_t = rollup_sequencer::DEFAULT_BLOCK_TIME.into())]
    poll_interval: humantime::Duration,
    #[command(flatten)]
    history: HistoryArgs,
}

/// `rollup batcher`.
#[derive(Debug, Args)]
pub struct BatcherArgs {
    #[command(flatten)]
    role: RoleArgs,
    /// L2 JSON-RPC URL.
    #[arg(long, env = "ROLLUP_L2_RPC_URL", default_value = "http://127.0.0.1:9545")]
    l2_rpc_url: String,
    #[command(flatten)]
    batching: BatchingArgs,
    #[command(flatten)]
    batcher_key: crate::keys::BatcherKeyArgs,
    #[command(flatten)]
    proposer_key: crate::keys::ProposerKeyArgs,
}

/// How batches are posted (`rollup devnet` and `rollup batcher`); defaults
/// are the batcher's `DEFAULT_*` constants.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Batching")]
pub struct BatchingArgs {
    /// Maximum channel duration: pending L2 blocks are posted at least this
    /// often; a channel is closed earlier when it fills one L1 transaction
    /// (calldata) or six blobs.
    #[arg(long, env = "ROLLUP_BATCH_INTERVAL", default_value_t = rollup_batcher::DEFAULT_BATCH_INTERVAL.into())]
    batch_interval: humantime::Duration,
    /// Data availability of batches: calldata, blobs (EIP-4844), or auto
    /// (whichever is cheaper at the current L1 fees).
    #[arg(long, env = "ROLLUP_DA", default_value_t = rollup_batcher::DEFAULT_DA)]
    da: DataAvailability,
    /// Channel compression.
    #[arg(long, env = "ROLLUP_COMPRESSION", default_value_t = rollup_batcher::DEFAULT_COMPRESSION)]
    compression: Compression,
    /// Batch encoding: span (columnar, OP Delta span batches) or singular (RLP).
    #[arg(long, env = "ROLLUP_ENCODING", default_value_t = rollup_batcher::DEFAULT_ENCODING)]
    encoding: BatchEncoding,
    /// Proposer: most of its transactions in flight (sent, not yet
    /// confirmed). When behind by several output intervals it sends that
    /// many proposals (bond reclaims in the slots left) without waiting for
    /// each receipt; one at a time while a dispute game is in progress.
    #[arg(long, env = "ROLLUP_MAX_PENDING_PROPOSALS", default_value_t = rollup_batcher::DEFAULT_MAX_PENDING_PROPOSALS, value_parser = clap::value_parser!(u16).range(1..).map(usize::from))]
    max_pending_proposals: usize,
}

impl BatchingArgs {
    /// The batching configuration these flags give.
    pub fn into_config(self) -> Batching {
        Batching {
            compression: self.compression,
            encoding: self.encoding,
            da: self.da,
            interval: self.batch_interval.into(),
            max_pending_proposals: self.max_pending_proposals,
        }
    }
}

/// `rollup bridge`.
#[derive(Debug, Args)]
pub struct BridgeArgs {
    #[command(flatten)]
    role: RoleArgs,
    /// L2 JSON-RPC URL.
    #[arg(long, env = "ROLLUP_L2_RPC_URL", default_value = "http://127.0.0.1:9545")]
    l2_rpc_url: String,
    /// REST API port.
    #[arg(long, env = "ROLLUP_API_PORT", default_value_t = 8080)]
    port: u16,
    /// Sign deposits and withdrawals for dev accounts 0-9 (with `--dev`
    /// only: their keys are public).
    #[arg(long, env = "ROLLUP_DEV_SIGNERS", requires = "dev")]
    dev_signers: bool,
    #[command(flatten)]
    api_access: ApiAccessArgs,
    #[command(flatten)]
    relayer_key: crate::keys::RelayerKeyArgs,
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("shutting down");
}

/// Waits for Ctrl-C or for a task of the role to end; the latter is an
/// error naming the task and why (the process exits non-zero with it).
async fn run_role(supervisor: &rollup_client::Supervisor) -> eyre::Result<()> {
    tokio::select! {
        () = wait_for_shutdown() => Ok(()),
        exit = supervisor.failed() => Err(eyre::eyre!("stopped: {exit}")),
    }
}

impl Command {
    /// `--metrics-addr` of the command, if it has one.
    fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        match self {
            Self::Devnet(args) => args.metrics.metrics_addr,
            Self::L1(args) => args.metrics.metrics_addr,
            Self::Sequencer(args) => args.role.metrics.metrics_addr,
            Self::Node(args) => args.role.metrics.metrics_addr,
            Self::Batcher(args) => args.role.metrics.metrics_addr,
            Self::Bridge(args) => args.role.metrics.metrics_addr,
            Self::Challenger(args) => args.role.metrics.metrics_addr,
            Self::Bench(_) => None,
        }
    }
}

impl Cli {
    /// Runs the chosen command until Ctrl-C or a failed task.
    pub async fn run(self) -> eyre::Result<()> {
        let metrics_shutdown = tokio_util::sync::CancellationToken::new();
        let _stop_metrics = metrics_shutdown.clone().drop_guard();
        if let Some(addr) = self.command.metrics_addr() {
            let bound = crate::metrics::serve(addr, metrics_shutdown.clone()).await?;
            println!("Metrics      http://{bound}/metrics");
        }
        match self.command {
            Command::Devnet(args) => run_devnet(args).await,
            Command::Bench(BenchCommand::Fees(args)) => crate::bench::run_fees(args).await,
            Command::Bench(BenchCommand::Soak(args)) => crate::bench::soak::run_soak(args).await,
            Command::Bench(BenchCommand::Throughput(args)) => {
                crate::bench::throughput::run_throughput(*args).await
            }
            Command::L1(args) => run_l1(args).await,
            Command::Sequencer(args) => {
                let rollup = args.role.rollup()?;
                let mut config = rollup.sequencer_config(
                    (args.role.host, args.port).into(),
                    &args.role.l1_rpc_url,
                    args.block_time.into(),
                    args.role.storage.url("l2.db")?,
                );
                config.rpc_limits = args.rpc_limits.limits();
                config.rpc_cors = args.rpc_limits.rpc_cors_origins.clone();
                config.history_blocks = args.history.history_blocks;
                let handle = rollup_sequencer::spawn(config).await?;
                println!(
                    "L2 JSON-RPC  {} (chain id {})",
                    handle.rpc_url(),
                    rollup.rollup.l2_chain_id
                );
                let result = run_role(handle.supervisor()).await;
                handle.shutdown().await;
                result
            }
            Command::Node(args) => {
                let rollup = args.role.rollup()?;
                let mut node = rollup.sequencer_config(
                    (args.role.host, args.port).into(),
                    &args.role.l1_rpc_url,
                    args.poll_interval.into(),
                    args.role.storage.url("node.db")?,
                );
                node.rpc_limits = args.rpc_limits.limits();
                node.rpc_cors = args.rpc_limits.rpc_cors_origins.clone();
                node.history_blocks = args.history.history_blocks;
                let config = rollup_sequencer::VerifierConfig {
                    node,
                    sequencer_rpc_url: args.sequencer_rpc_url.clone(),
                };
                let handle = rollup_sequencer::spawn_verifier(config).await?;
                println!(
                    "L2 JSON-RPC  {} (chain id {}, verifier{})",
                    handle.rpc_url(),
                    rollup.rollup.l2_chain_id,
                    args.sequencer_rpc_url
                        .as_deref()
                        .map(|u| format!(" following {u}"))
                        .unwrap_or_default()
                );
                let result = run_role(handle.supervisor()).await;
                handle.shutdown().await;
                result
            }
            Command::Batcher(args) => {
                let dev = args.role.dev;
                let batcher_key = args.batcher_key.source().signer(Role::Batcher, dev)?;
                let proposer_key = args.proposer_key.source().signer(Role::Proposer, dev)?;
                let rollup = args.role.rollup()?;
                let mut config = rollup.batcher_config(
                    &args.role.l1_rpc_url,
                    &args.l2_rpc_url,
                    args.batching.into_config(),
                    args.role.storage.url("batcher.db")?,
                );
                tracing::info!(batcher = %batcher_key.address(), proposer = %proposer_key.address(), "keys");
                config.batcher_key = batcher_key;
                config.proposer_key = proposer_key;
                let handle = rollup_batcher::spawn(config).await?;
                let result = run_role(handle.supervisor()).await;
                handle.shutdown().await;
                result
            }
            Command::Challenger(args) => {
                let dev = args.role.dev;
                let attacker = args.challenger_key.source().signer(Role::Challenger, dev)?;
                let defender = args.defender_key.source().optional_signer(Role::Defender, dev)?;
                let rollup = args.role.rollup()?;
                let mut config = rollup.challenger_config(&args.role.l1_rpc_url);
                tracing::info!(challenger = %attacker.address(), defender = ?defender.as_ref().map(|d| d.address()), "keys");
                config.attacker_key = attacker;
                config.defender_key = defender;
                let handle = rollup_challenger::spawn(config).await?;
                let result = run_role(handle.supervisor()).await;
                handle.shutdown().await;
                result
            }
            Command::Bridge(args) => {
                let relayer =
                    args.relayer_key.source().optional_signer(Role::Relayer, args.role.dev)?;
                let rollup = args.role.rollup()?;
                let mut config = rollup.bridge_config(
                    (args.role.host, args.port).into(),
                    &args.role.l1_rpc_url,
                    &args.l2_rpc_url,
                    args.role.storage.url("bridge.db")?,
                    args.dev_signers,
                );
                config.relayer = relayer;
                config.server = args.api_access.server();
                let handle = rollup_bridge::spawn(config).await?;
                println!("REST API     {}", handle.url());
                let result = run_role(handle.supervisor()).await;
                handle.shutdown().await;
                result
            }
        }
    }
}

async fn run_l1(args: L1Args) -> eyre::Result<()> {
    let path = args.storage.data_dir.join("rollup.json");
    if !path.exists() {
        // Refuse bad keys before anything starts.
        args.role_addresses.deploy_keys(&args.deployer_key.source(), args.dev)?;
    }
    let handle = rollup_l1_sim::spawn(L1Config {
        chain_id: L1_CHAIN_ID,
        rpc_addr: (args.host, args.port).into(),
        block_time: (!args.block_time.is_zero()).then_some(args.block_time.into()),
        database_url: args.storage.url("l1.db")?,
        genesis_alloc: l1_genesis_alloc(),
        rpc_limits: args.rpc_limits.limits(),
        rpc_cors: args.rpc_limits.rpc_cors_origins.clone(),
        finality_depth: args.l1_finality_depth,
        history_blocks: args.history.history_blocks,
    })
    .await?;
    let rollup = if path.exists() {
        RollupFile::load(&path)?
    } else {
        let keys = args.role_addresses.deploy_keys(&args.deployer_key.source(), args.dev)?;
        let file = deploy(&handle.rpc_url(), args.protocol.deploy_params(), keys).await?;
        file.save(&path)?;
        file
    };
    println!("L1 JSON-RPC  {} (chain id {L1_CHAIN_ID})", handle.rpc_url());
    println!("rollup file  {}", path.display());
    print_contracts(&rollup);
    let result = run_role(handle.supervisor()).await;
    handle.shutdown().await;
    result
}

fn print_contracts(rollup: &RollupFile) {
    println!("\nL1 contracts");
    println!("  Bridge               {}", rollup.contracts.bridge);
    println!("  BatchInbox           {}", rollup.contracts.batch_inbox);
    println!("  OutputOracle         {}", rollup.contracts.output_oracle);
    println!("  DisputeGameFactory   {}", rollup.contracts.dispute_game_factory);
    println!("L2 predeploys");
    println!("  L2ToL1MessagePasser  {}", rollup_protocol::L2_TO_L1_MESSAGE_PASSER);
}

async fn run_devnet(args: DevnetArgs) -> eyre::Result<()> {
    if args.fresh && args.storage.data_dir.exists() {
        std::fs::remove_dir_all(&args.storage.data_dir)
            .wrap_err_with(|| format!("cannot remove {}", args.storage.data_dir.display()))?;
    }
    let batching = args.batching.clone().into_config();
    let config = DevnetConfig {
        data_dir: args.storage.data_dir.clone(),
        l1_addr: (args.host, args.l1_port).into(),
        l2_addr: (args.host, args.l2_port).into(),
        api_addr: (args.host, args.api_port).into(),
        l1_block_time: args.l1_block_time.into(),
        l1_finality_depth: args.l1_finality_depth,
        history_blocks: args.history.history_blocks,
        l2_block_time: args.l2_block_time.into(),
        challenge_window: args.protocol.challenge_window.into(),
        output_interval: args.protocol.output_interval,
        batch_interval: batching.interval,
        max_pending_proposals: batching.max_pending_proposals,
        compression: batching.compression,
        encoding: batching.encoding,
        da: batching.da,
        l1_fee: Some(args.protocol.l1_fee(batching.da)),
        database_url: args.storage.database_url.clone(),
        bond_wei: args.protocol.bond_wei,
        challenger_bond_wei: args.protocol.challenger_bond_wei,
        game_clock: args.protocol.game_clock.into(),
        rpc_limits: args.rpc_limits.limits(),
        rpc_cors: args.rpc_limits.rpc_cors_origins.clone(),
        api_server: args.api_access.server(),
        genesis_prefill: 0,
    };
    let net = devnet::spawn(config).await?;
    println!(
        "\nrollup devnet is running (Ctrl-C to stop; data in {})\n",
        args.storage.data_dir.display()
    );
    println!("Endpoints");
    println!("  L1 JSON-RPC  {}  (chain id {})", net.l1.rpc_url(), net.rollup.rollup.l1_chain_id);
    println!(
        "  L2 JSON-RPC  {}  (chain id {})",
        net.sequencer.rpc_url(),
        net.rollup.rollup.l2_chain_id
    );
    println!("  REST API     {}  (docs: {}/docs)", net.bridge.url(), net.bridge.url());
    print_contracts(&net.rollup);
    println!("\nParameters");
    println!("  challenge window  {} s", net.rollup.challenge_window_secs);
    println!("  output interval   {} L2 blocks", net.rollup.output_interval);
    println!("  game clock        {} s per side", net.rollup.game_clock_secs);
    println!("\nDev accounts (10,000 ETH each on L1; mnemonic \"{DEV_MNEMONIC}\")");
    for i in 0..DEV_ACCOUNTS {
        let signer = dev_account(i);
        println!(
            "  ({i}) {}  0x{}",
            signer.address(),
            alloy_primitives::hex::encode(signer.to_bytes())
        );
    }
    println!("\nRole accounts (never use these for anything else)");
    for (name, role) in [
        ("deployer", Role::Deployer),
        ("batcher", Role::Batcher),
        ("proposer", Role::Proposer),
        ("challenger", Role::Challenger),
        ("relayer", Role::Relayer),
        ("defender", Role::Defender),
    ] {
        println!("  {name:<10} {}", role_signer(role).address());
    }
    println!();
    net.run_until(wait_for_shutdown()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollup_batcher::BatcherConfig;
    use rollup_bridge::BridgeConfig;
    use rollup_challenger::ChallengerConfig;
    use rollup_sequencer::SequencerConfig;

    /// `rollup <args>` parsed (no `ROLLUP_*` variables are set in tests).
    fn parse(args: &[&str]) -> Command {
        Cli::try_parse_from(std::iter::once("rollup").chain(args.iter().copied()))
            .expect("parses")
            .command
    }

    fn batching_of(config: &BatcherConfig) -> Batching {
        Batching {
            compression: config.compression,
            encoding: config.encoding,
            da: config.da,
            interval: config.batch_interval,
            max_pending_proposals: config.max_pending_proposals,
        }
    }

    #[test]
    fn history_blocks_reach_both_chains() {
        let Command::Devnet(args) = parse(&["devnet", "--history-blocks", "128"]) else {
            panic!("devnet")
        };
        assert_eq!(args.history.history_blocks, Some(128));
        let Command::Sequencer(args) = parse(&["sequencer", "--history-blocks", "7"]) else {
            panic!("sequencer")
        };
        assert_eq!(args.history.history_blocks, Some(7));
        assert!(
            Cli::try_parse_from(["rollup", "l1", "--history-blocks", "0"]).is_err(),
            "0 blocks of history is refused"
        );
    }

    #[test]
    fn no_flags_give_each_role_configs_default() {
        let l1 = L1Config::default();
        let sequencer = SequencerConfig::default();
        let batcher = BatcherConfig::default();
        let challenger = ChallengerConfig::default();
        let bridge = BridgeConfig::default();
        assert_eq!(Batching::default(), batching_of(&batcher));

        let Command::Devnet(args) = parse(&["devnet"]) else { panic!("devnet") };
        assert_eq!(args.batching.into_config(), batching_of(&batcher));
        assert_eq!(Some(*args.l1_block_time), l1.block_time);
        assert_eq!(args.l1_finality_depth, l1.finality_depth);
        assert_eq!(args.history.history_blocks, l1.history_blocks);
        assert_eq!(*args.l2_block_time, sequencer.block_time);
        assert_eq!(args.l1_port, l1.rpc_addr.port());
        assert_eq!(args.l2_port, sequencer.rpc_addr.port());
        assert_eq!(args.api_port, bridge.api_addr.port());
        assert_eq!(args.protocol.output_interval, batcher.output_interval);
        assert_eq!(args.protocol.output_interval, bridge.output_interval);
        assert_eq!(args.protocol.challenge_window.as_secs(), bridge.challenge_window_secs);
        assert_eq!(*args.protocol.challenge_window, crate::deploy::DEFAULT_CHALLENGE_WINDOW);
        assert_eq!(*args.protocol.game_clock, crate::deploy::DEFAULT_GAME_CLOCK);
        assert_eq!(args.protocol.bond_wei, U256::from(crate::deploy::DEFAULT_BOND_WEI));
        assert_eq!(args.protocol.challenger_bond_wei, args.protocol.bond_wei);

        let Command::L1(args) = parse(&["l1"]) else { panic!("l1") };
        assert_eq!(Some(*args.block_time), l1.block_time);
        assert_eq!(args.l1_finality_depth, l1.finality_depth);
        assert_eq!((args.host, args.port), (l1.rpc_addr.ip(), l1.rpc_addr.port()));

        let Command::Node(args) = parse(&["node"]) else { panic!("node") };
        assert_eq!(args.history.history_blocks, sequencer.history_blocks);
        assert_eq!(args.port, rollup_sequencer::DEFAULT_VERIFIER_PORT);
        assert_eq!(*args.poll_interval, sequencer.block_time);
        assert_eq!(args.sequencer_rpc_url, None);
        assert_eq!(args.role.l1_rpc_url, sequencer.l1_rpc_url);

        let Command::Sequencer(args) = parse(&["sequencer"]) else { panic!("sequencer") };
        assert_eq!(*args.block_time, sequencer.block_time);
        assert_eq!(
            (args.role.host, args.port),
            (sequencer.rpc_addr.ip(), sequencer.rpc_addr.port())
        );
        assert_eq!(args.role.l1_rpc_url, sequencer.l1_rpc_url);

        let Command::Batcher(args) = parse(&["batcher"]) else { panic!("batcher") };
        assert_eq!(args.batching.into_config(), batching_of(&batcher));
        assert_eq!(args.role.l1_rpc_url, batcher.l1_rpc_url);
        assert_eq!(args.l2_rpc_url, batcher.l2_rpc_url);

        let Command::Challenger(args) = parse(&["challenger"]) else { panic!("challenger") };
        assert_eq!(args.role.l1_rpc_url, challenger.l1_rpc_url);

        let Command::Bridge(args) = parse(&["bridge"]) else { panic!("bridge") };
        assert_eq!((args.role.host, args.port), (bridge.api_addr.ip(), bridge.api_addr.port()));
        assert_eq!(args.role.l1_rpc_url, bridge.l1_rpc_url);
        assert_eq!(args.l2_rpc_url, bridge.l2_rpc_url);
    }

    #[test]
    fn batching_flags_are_shared_by_devnet_and_batcher() {
        let flags = [
            "--da",
            "blobs",
            "--compression",
            "zstd",
            "--encoding",
            "singular",
            "--batch-interval",
            "90s",
            "--max-pending-proposals",
            "3",
        ];
        let want = Batching {
            compression: Compression::Zstd,
            encoding: BatchEncoding::Singular,
            da: DataAvailability::Blobs,
            interval: std::time::Duration::from_secs(90),
            max_pending_proposals: 3,
        };
        let Command::Devnet(args) = parse(&[&["devnet"][..], &flags].concat()) else { panic!() };
        assert_eq!(args.batching.into_config(), want);
        let Command::Batcher(args) = parse(&[&["batcher"][..], &flags].concat()) else { panic!() };
        assert_eq!(args.batching.into_config(), want);
    }
}
