//! `rollup devnet`: every role in one process, talking over their public
//! interfaces (L1 JSON-RPC, L2 JSON-RPC, REST), with the contracts deployed
//! on first start and everything resumed from `--data-dir` afterwards.

use crate::{
    deploy::{DeployParams, RollupFile, deploy},
    roles::Batching,
};
use alloy_primitives::{Address, U256};
use eyre::Context;
use futures::future::BoxFuture;
use rollup_batcher::ProposerFaults;
use rollup_batcher::{BatcherHandle, DataAvailability};
pub use rollup_bridge::FaultKind;
use rollup_bridge::{BridgeHandle, DevnetControl};
use rollup_challenger::{ChallengerClient, ChallengerHandle};
use rollup_client::dev::{Role, dev_addresses, role_signer};
use rollup_db::{is_postgres, sqlite_url};
use rollup_l1_sim::{L1Config, L1Handle};
use rollup_protocol::{
    L1_CHAIN_ID,
    batch::{BatchEncoding, Compression},
};
use rollup_sequencer::SequencerFaults;
use rollup_sequencer::SequencerHandle;
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// ETH given to every dev and role account in the L1 genesis: 10,000 ETH.
pub const GENESIS_BALANCE_WEI: U256 = U256::from_limbs([0x19e0_c9ba_b240_0000, 0x21e, 0, 0]);

/// Everything `rollup devnet` can be told.
#[derive(Clone, Debug)]
pub struct DevnetConfig {
    /// Where the chains and the rollup file live.
    pub data_dir: PathBuf,
    /// L1 JSON-RPC address.
    pub l1_addr: SocketAddr,
    /// L2 JSON-RPC address.
    pub l2_addr: SocketAddr,
    /// REST API address.
    pub api_addr: SocketAddr,
    /// L1 block interval.
    pub l1_block_time: Duration,
    /// L1 finality depth, in blocks ([`rollup_l1_sim::L1Config::finality_depth`]).
    pub l1_finality_depth: u64,
    /// Blocks of history whose state both chains keep (`None`: every block).
    pub history_blocks: Option<u64>,
    /// L2 block interval.
    pub l2_block_time: Duration,
    /// Challenge window (used at deployment).
    pub challenge_window: Duration,
    /// Output interval, L2 blocks (used at deployment).
    pub output_interval: u64,
    /// Batch interval.
    pub batch_interval: Duration,
    /// Most proposer transactions in flight.
    pub max_pending_proposals: usize,
    /// Channel compression.
    pub compression: Compression,
    /// Batch encoding.
    pub encoding: BatchEncoding,
    /// Data availability of batches.
    pub da: DataAvailability,
    /// L1 data fee scalars (used at deployment); `None`: those for `da`
    /// ([`crate::deploy::l1_fee_for`]).
    pub l1_fee: Option<rollup_protocol::L1FeeScalars>,
    /// PostgreSQL URL; SQLite files under `data_dir` when `None`.
    pub database_url: Option<String>,
    /// Proposer bond, wei.
    pub bond_wei: U256,
    /// Challenger bond, wei.
    pub challenger_bond_wei: U256,
    /// Chess clock per side of a dispute game (used at deployment).
    pub game_clock: Duration,
    /// Bounds on the work one JSON-RPC request may cost, on L1 and L2.
    pub rpc_limits: rollup_node::rpc::RpcLimits,
    /// Browser origins allowed to call the L1 and L2 JSON-RPC.
    pub rpc_cors: rollup_node::rpc::CorsOrigins,
    /// The REST API's body limit, CORS origins and token.
    pub api_server: rollup_bridge::ApiServerConfig,
    /// Benchmark accounts in the L2 genesis (used at deployment;
    /// [`rollup_protocol::RollupConfig::genesis_prefill`]).
    pub genesis_prefill: u64,
}

impl DevnetConfig {
    /// Ports 0 and short intervals, for tests.
    pub fn for_tests(data_dir: PathBuf) -> Self {
        let any: SocketAddr = ([127, 0, 0, 1], 0).into();
        Self {
            data_dir,
            l1_addr: any,
            l2_addr: any,
            api_addr: any,
            l1_block_time: Duration::from_millis(500),
            l1_finality_depth: rollup_l1_sim::DEFAULT_L1_FINALITY_DEPTH,
            history_blocks: None,
            l2_block_time: Duration::from_millis(100),
            challenge_window: Duration::from_secs(10),
            output_interval: 4,
            batch_interval: Duration::from_millis(500),
            max_pending_proposals: rollup_batcher::DEFAULT_MAX_PENDING_PROPOSALS,
            compression: Compression::Brotli,
            encoding: BatchEncoding::Span,
            da: DataAvailability::Calldata,
            l1_fee: None,
            database_url: None,
            bond_wei: U256::from(100_000_000_000_000_000u128),
            challenger_bond_wei: U256::from(100_000_000_000_000_000u128),
            game_clock: Duration::from_secs(60),
            rpc_limits: Default::default(),
            rpc_cors: Default::default(),
            api_server: Default::default(),
            genesis_prefill: 0,
        }
    }

    fn db(&self, file: &str) -> String {
        self.database_url.clone().unwrap_or_else(|| sqlite_url(&self.data_dir, file))
    }
}

/// A running devnet.
#[derive(Debug)]
pub struct Devnet {
    /// The rollup file (contracts, parameters).
    pub rollup: RollupFile,
    /// The L1.
    pub l1: L1Handle,
    /// The sequencer.
    pub sequencer: SequencerHandle,
    /// The batcher and proposer.
    pub batcher: BatcherHandle,
    /// The REST API.
    pub bridge: BridgeHandle,
    /// The challenger.
    pub challenger: ChallengerHandle,
    controls: Arc<Controls>,
}

/// The genesis allocation of the L1: dev accounts 0-9 and the role keys.
pub fn l1_genesis_alloc() -> Vec<(Address, U256)> {
    let roles = [
        Role::Deployer,
        Role::Batcher,
        Role::Proposer,
        Role::Challenger,
        Role::Relayer,
        Role::Defender,
    ];
    dev_addresses()
        .into_iter()
        .chain(roles.into_iter().map(|r| role_signer(r).address()))
        .map(|a| (a, GENESIS_BALANCE_WEI))
        .collect()
}

/// Starts every role; deploys the contracts on first start.
pub async fn spawn(config: DevnetConfig) -> eyre::Result<Devnet> {
    std::fs::create_dir_all(&config.data_dir)
        .wrap_err_with(|| format!("cannot create data dir {}", config.data_dir.display()))?;
    if let Some(url) = &config.database_url
        && !is_postgres(url)
    {
        eyre::bail!("--database-url must be a postgres:// URL (SQLite files are the default)");
    }
    let l1 = rollup_l1_sim::spawn(L1Config {
        chain_id: L1_CHAIN_ID,
        rpc_addr: config.l1_addr,
        block_time: Some(config.l1_block_time),
        database_url: config.db("l1.db"),
        genesis_alloc: l1_genesis_alloc(),
        rpc_limits: config.rpc_limits,
        rpc_cors: config.rpc_cors.clone(),
        finality_depth: config.l1_finality_depth,
        history_blocks: config.history_blocks,
    })
    .await?;
    // The devnet signs for its ten dev accounts (eth_accounts, eth_sendTransaction).
    l1.node.rpc().accounts().set_signers(dev_signers());
    let rollup_path = config.data_dir.join("rollup.json");
    let rollup = if rollup_path.exists() {
        RollupFile::load(&rollup_path)?
    } else {
        // Mine each deployment transaction as it arrives (anvil's automine)
        // rather than waiting for interval blocks: the devnet serves in
        // about a second from a fresh data directory.
        let mining = l1.mining_mode();
        l1.set_mining_mode(rollup_l1_sim::MiningMode::Auto);
        let file = deploy(
            &l1.rpc_url(),
            DeployParams {
                l1_chain_id: L1_CHAIN_ID,
                challenge_window_secs: config.challenge_window.as_secs(),
                output_interval: config.output_interval,
                bond_wei: config.bond_wei,
                challenger_bond_wei: config.challenger_bond_wei,
                game_clock_secs: config.game_clock.as_secs(),
                l1_fee: config.l1_fee.unwrap_or(crate::deploy::l1_fee_for(config.da)),
                genesis_prefill: config.genesis_prefill,
            },
            crate::keys::DeployKeys::dev(),
        )
        .await
        .wrap_err("deploying the L1 contracts")?;
        l1.set_mining_mode(mining);
        file.save(&rollup_path)?;
        tracing::info!(target: "devnet", bridge = %file.contracts.bridge, "deployed the L1 contracts");
        file
    };
    let mut sequencer_config = rollup.sequencer_config(
        config.l2_addr,
        &l1.rpc_url(),
        config.l2_block_time,
        config.db("l2.db"),
    );
    sequencer_config.rpc_limits = config.rpc_limits;
    sequencer_config.history_blocks = config.history_blocks;
    sequencer_config.rpc_cors = config.rpc_cors.clone();
    let sequencer = rollup_sequencer::spawn(sequencer_config).await?;
    sequencer.node.rpc().accounts().set_signers(dev_signers());
    // The batcher and the challenger open their databases side by side.
    let batcher = rollup_batcher::spawn(rollup.batcher_config(
        &l1.rpc_url(),
        &sequencer.rpc_url(),
        Batching {
            compression: config.compression,
            encoding: config.encoding,
            da: config.da,
            interval: config.batch_interval,
            max_pending_proposals: config.max_pending_proposals,
        },
        config.db("batcher.db"),
    ));
    let challenger = rollup_challenger::spawn(rollup.challenger_config(&l1.rpc_url()));
    let (batcher, challenger) =
        tokio::try_join!(async { batcher.await.map_err(eyre::Report::from) }, async {
            challenger.await.map_err(eyre::Report::from)
        })?;
    let mut bridge_config = rollup.bridge_config(
        config.api_addr,
        &l1.rpc_url(),
        &sequencer.rpc_url(),
        config.db("bridge.db"),
        true,
    );
    bridge_config.server = config.api_server.clone();
    bridge_config.roles = vec![
        l1.supervisor().clone(),
        sequencer.supervisor().clone(),
        batcher.supervisor().clone(),
        challenger.supervisor().clone(),
    ];
    let controls = Arc::new(Controls {
        sequencer: sequencer.faults.clone(),
        proposer: batcher.faults.clone(),
        challenger: challenger.client(),
    });
    bridge_config.devnet = Some(controls.clone());
    let bridge = rollup_bridge::spawn(bridge_config).await?;
    Ok(Devnet { rollup, l1, sequencer, batcher, bridge, challenger, controls })
}

impl Devnet {
    /// The supervisors of every role's tasks, L1 first.
    pub fn supervisors(&self) -> [&rollup_client::Supervisor; 5] {
        [
            self.l1.supervisor(),
            self.sequencer.supervisor(),
            self.batcher.supervisor(),
            self.challenger.supervisor(),
            self.bridge.supervisor(),
        ]
    }

    /// Arms or lifts a fault as `POST /v1/faults` and `DELETE
    /// /v1/faults/{kind}` do.
    pub fn set_fault(&self, kind: FaultKind, armed: bool) {
        let _ = self.controls.set_fault(kind, armed);
    }

    /// Resolves with the first role task that ends while the devnet runs
    /// (each role's supervisor has logged it); never, if none does.
    pub async fn failed(&self) -> rollup_client::TaskExit {
        let waits = self.supervisors().map(|s| Box::pin(s.failed()));
        futures::future::select_all(waits).await.0
    }

    /// Runs until `stop` resolves (Ctrl-C) or a role task ends: then stops
    /// every role; an ended task is an error naming the role, the task and
    /// why (the process exits non-zero with it).
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()>) -> eyre::Result<()> {
        let failed = tokio::select! {
            () = stop => None,
            exit = self.failed() => Some(exit),
        };
        self.shutdown().await;
        match failed {
            None => Ok(()),
            Some(exit) => Err(eyre::eyre!("the devnet stopped: {exit}")),
        }
    }

    /// Stops every role, newest first.
    pub async fn shutdown(self) {
        self.challenger.shutdown().await;
        self.bridge.shutdown().await;
        self.batcher.shutdown().await;
        self.sequencer.shutdown().await;
        self.l1.shutdown().await;
    }
}

/// The devnet's fault switches and on-demand challenges, for `POST /v1/faults`
/// and `POST /v1/challenges`.
#[derive(Debug)]
struct Controls {
    sequencer: Arc<SequencerFaults>,
    proposer: Arc<ProposerFaults>,
    challenger: ChallengerClient,
}

impl Controls {
    /// The switch of fault `kind`.
    fn flag(&self, kind: FaultKind) -> &AtomicBool {
        match kind {
            FaultKind::InvalidOutputRoot => &self.proposer.invalid_output_root,
            FaultKind::InvalidStateTransition => &self.sequencer.invalid_state_transition,
            FaultKind::CensorDeposits => &self.sequencer.censor_deposits,
            FaultKind::StopDefending => &self.proposer.stop_defending,
        }
    }
}

impl Controls {
    /// `invalid-state-transition` models a colluding sequencer and
    /// proposer: the sequencer seals one block over a wrong state and keeps
    /// it instead of reorging to the derived chain, and the proposer
    /// proposes the next output at or after that block from the unsafe
    /// chain (an honest proposer only proposes safe blocks, so a wrong
    /// block alone never reaches the `OutputOracle`). Once that output is
    /// proposed (or the fault is lifted, or after ten minutes), the
    /// sequencer lets derivation reorg its chain; the challenger disputes
    /// the output and wins by a one-step proof.
    fn collude(&self) {
        let (sequencer, proposer) = (self.sequencer.clone(), self.proposer.clone());
        sequencer.hold_reorg.store(true, Ordering::Relaxed);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        runtime.spawn(async move {
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(600);
            let mut told = false;
            while tokio::time::Instant::now() < deadline
                && sequencer.hold_reorg.load(Ordering::Relaxed)
            {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                let fired = !sequencer.invalid_state_transition.load(Ordering::Relaxed);
                if fired && !told {
                    let block = sequencer.faulted_block.load(Ordering::Relaxed);
                    proposer.propose_unsafe_from.store(block.max(1), Ordering::Relaxed);
                    told = true;
                } else if told && proposer.propose_unsafe_from.load(Ordering::Relaxed) == 0 {
                    break;
                }
            }
            proposer.propose_unsafe_from.store(0, Ordering::Relaxed);
            sequencer.hold_reorg.store(false, Ordering::Relaxed);
        });
    }
}

impl DevnetControl for Controls {
    fn set_fault(&self, kind: FaultKind, armed: bool) -> Result<(), String> {
        self.flag(kind).store(armed, Ordering::Relaxed);
        if kind == FaultKind::InvalidStateTransition {
            if armed {
                self.collude();
            } else {
                self.sequencer.hold_reorg.store(false, Ordering::Relaxed);
                self.proposer.propose_unsafe_from.store(0, Ordering::Relaxed);
            }
        }
        if armed {
            tracing::warn!(target: "devnet", %kind, "fault armed");
        } else {
            tracing::warn!(target: "devnet", %kind, "fault lifted");
        }
        Ok(())
    }

    fn fault_armed(&self, kind: FaultKind) -> bool {
        self.flag(kind).load(Ordering::Relaxed)
    }

    fn request_challenge(&self, output_index: u64) -> BoxFuture<'static, Result<(), String>> {
        let client = self.challenger.clone();
        Box::pin(async move { client.request_challenge(output_index).await })
    }

    fn challenger_stake(&self) -> BoxFuture<'static, Option<rollup_bridge::ChallengerStake>> {
        let client = self.challenger.clone();
        Box::pin(async move {
            let status = client.status().await;
            Some(rollup_bridge::ChallengerStake {
                bonds_at_risk_wei: status.bonds_at_risk_wei,
                open_games: status.open_games,
                disputed_output: status.disputed_output,
            })
        })
    }
}

/// The user dev accounts' keys (m/44'/60'/0'/0/0..9), which both chains of
/// the devnet sign with.
fn dev_signers() -> Vec<alloy_signer_local::PrivateKeySigner> {
    (0..rollup_client::dev::DEV_ACCOUNTS).map(rollup_client::dev::dev_account).collect()
}
