//! # rollup-challenger
//!
//! The challenger trusts nobody: it reads only the L1 (the `BatchInbox`
//! batches and their calldata, the `Bridge` deposit events, L1 block headers),
//! derives the L2 chain with the protocol's derivation rules and the same STF
//! the sequencer runs ([`rollup_protocol::Derivation`]), recomputes the output
//! root of every block, and compares it with every output the proposer posts
//! to the `OutputOracle`. A mismatch within the challenge window is a fraud.
//!
//! Persistence: the L1 is the challenger's database. Its games live in the
//! `DisputeGameFactory` (ranges, pending claims, clocks, moves) and every
//! input it needs is on L1, so a restarted challenger re-derives the chain,
//! reads the games back and carries on where it stopped (tested in
//! `tests/tests/it/disputes.rs`); it keeps no state that a crash could lose.
//!
//! Layout: `l1.rs` caches what derivation reads from the L1 (through
//! `rollup_client::L1Provider`), `decide.rs` holds the decisions (which
//! output to dispute, and per game: move, prove, claim a timeout, wait) as
//! functions of what was read, unit-tested without an L1, and `games.rs`
//! carries them out on the `DisputeGameFactory` with the transaction manager.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod decide;
mod games;
mod l1;

use alloy::signers::local::PrivateKeySigner;
use alloy::{providers::Provider, rpc::types::TransactionRequest, sol_types::SolCall};
use alloy_primitives::{Address, B256, U256};
use decide::Verdict;
use l1::L1Cache;
use rollup_client::{
    ClientError, L1Client,
    txmgr::{TxManager, TxManagerConfig},
};
use rollup_contracts::OutputOracle;
use rollup_protocol::{Derivation, DerivedFrom, RollupConfig, l2_genesis_state};
use serde::Serialize;
use std::{sync::Arc, time::Duration};
use tokio::{
    sync::{RwLock, broadcast, mpsc, oneshot},
    task::JoinHandle,
};
use tokio_util::sync::CancellationToken;

/// Configuration of the challenger.
#[derive(Clone, Debug)]
pub struct ChallengerConfig {
    /// The rollup's protocol parameters (genesis L1 origin included).
    pub rollup: RollupConfig,
    /// L1 JSON-RPC URL.
    pub l1_rpc_url: String,
    /// `Bridge` on L1.
    pub bridge: Address,
    /// `BatchInbox` on L1.
    pub batch_inbox: Address,
    /// `OutputOracle` on L1.
    pub output_oracle: Address,
    /// How often to poll the L1.
    pub poll_interval: Duration,
    /// `DisputeGameFactory` on L1; without it the challenger only reports.
    pub dispute_game_factory: Option<Address>,
    /// Key that opens games and plays the challenger side.
    pub attacker_key: PrivateKeySigner,
    /// Registered defender key that plays the proposer side of games against
    /// correct outputs.
    pub defender_key: Option<PrivateKeySigner>,
    /// Transaction manager settings.
    pub txmgr: TxManagerConfig,
}

/// Default interval between two passes over the L1: 250 ms.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(250);

impl Default for ChallengerConfig {
    /// The devnet's challenger: L1 on `127.0.0.1:8545`, the default rollup
    /// parameters, [`DEFAULT_POLL_INTERVAL`], the challenger and defender
    /// role keys of the dev mnemonic, unknown (zero) contract addresses and
    /// no dispute game factory (it only reports).
    fn default() -> Self {
        use rollup_client::dev::{Role, role_signer};
        Self {
            rollup: RollupConfig::default(),
            l1_rpc_url: "http://127.0.0.1:8545".into(),
            bridge: Address::ZERO,
            batch_inbox: Address::ZERO,
            output_oracle: Address::ZERO,
            poll_interval: DEFAULT_POLL_INTERVAL,
            dispute_game_factory: None,
            attacker_key: role_signer(Role::Challenger),
            defender_key: Some(role_signer(Role::Defender)),
            txmgr: TxManagerConfig::default(),
        }
    }
}

impl ChallengerConfig {
    /// A configuration for tests: the given rollup and L1, the defaults
    /// otherwise. Set the contract addresses on the result.
    pub fn for_tests(rollup: RollupConfig, l1_rpc_url: impl Into<String>) -> Self {
        Self { rollup, l1_rpc_url: l1_rpc_url.into(), ..Self::default() }
    }
}

/// What the challenger found or did, streamed to watchers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ChallengerEvent {
    /// Blocks derived from a batch.
    Derived {
        /// Batch index.
        batch: u64,
        /// First block.
        l2_start: u64,
        /// Last block.
        l2_end: u64,
        /// Blocks replaced by deposit-only blocks, with the reason.
        replaced: Vec<(u64, String)>,
    },
    /// An output matches the derived chain.
    OutputValid {
        /// Output index.
        output_index: u64,
        /// L2 block.
        l2_block: u64,
    },
    /// A bisection move was made.
    Moved {
        /// Game id.
        game_id: u64,
        /// Range after answering the pending midpoint.
        lo: u64,
        /// Range after answering the pending midpoint.
        hi: u64,
        /// Whether the pending midpoint was agreed with.
        agreed: bool,
        /// Root posted at the new midpoint (zero when the bisection is over).
        mid_root: B256,
    },
    /// The last disputed block was proven with EXECUTE.
    Proved {
        /// Game id.
        game_id: u64,
        /// The block.
        l2_block: u64,
    },
    /// An output does not match the derived chain.
    OutputInvalid {
        /// Output index.
        output_index: u64,
        /// L2 block.
        l2_block: u64,
        /// Root proposed.
        proposed: B256,
        /// Root derived from L1.
        derived: B256,
    },
}

/// What the challenger knows now.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ChallengerStatus {
    /// Derived L2 head.
    pub derived_head: u64,
    /// Outputs checked so far.
    pub outputs_checked: u64,
    /// Outputs found invalid (index, L2 block).
    pub invalid_outputs: Vec<(u64, u64)>,
}

/// A running challenger.
#[derive(Debug)]
pub struct ChallengerHandle {
    requests: mpsc::UnboundedSender<ChallengeRequest>,
    events: broadcast::Sender<ChallengerEvent>,
    status: Arc<RwLock<ChallengerStatus>>,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
    supervisor: rollup_client::Supervisor,
}

impl ChallengerHandle {
    /// The supervisor of its task: [`rollup_client::Supervisor::failed`]
    /// resolves when it ends while the challenger runs.
    pub const fn supervisor(&self) -> &rollup_client::Supervisor {
        &self.supervisor
    }

    /// A stream of events.
    pub fn subscribe(&self) -> broadcast::Receiver<ChallengerEvent> {
        self.events.subscribe()
    }

    /// The current status.
    pub async fn status(&self) -> ChallengerStatus {
        self.status.read().await.clone()
    }

    /// Disputes output `output_index` now (see [`ChallengerClient::request_challenge`]).
    pub async fn request_challenge(&self, output_index: u64) -> Result<(), String> {
        self.client().request_challenge(output_index).await
    }

    /// A cloneable client for on-demand challenges.
    pub fn client(&self) -> ChallengerClient {
        ChallengerClient { requests: self.requests.clone() }
    }

    /// Stops and waits.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
    }
}

/// Asks a running challenger to dispute an output now.
#[derive(Clone, Debug)]
pub struct ChallengerClient {
    requests: mpsc::UnboundedSender<ChallengeRequest>,
}

impl ChallengerClient {
    /// Disputes output `output_index` now, whatever the derived chain says:
    /// with the derived root as counter-claim when the output is wrong, and
    /// with a wrong counter-claim when it is right (a challenge that the
    /// challenger's own defender key then wins for the proposer).
    pub async fn request_challenge(&self, output_index: u64) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(ChallengeRequest { output_index, reply })
            .map_err(|_| "the challenger has stopped".to_string())?;
        answer.await.map_err(|_| "the challenger has stopped".to_string())?
    }
}

#[derive(Debug)]
struct ChallengeRequest {
    output_index: u64,
    reply: oneshot::Sender<Result<(), String>>,
}

/// Errors starting the challenger.
#[derive(Debug, thiserror::Error)]
pub enum ChallengerError {
    /// The L1 client could not be built.
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// Starts the challenger.
pub async fn spawn(config: ChallengerConfig) -> Result<ChallengerHandle, ChallengerError> {
    let l1 = L1Client::new(&config.l1_rpc_url, config.bridge)?;
    let players = config.dispute_game_factory.map(|factory| games::Players {
        factory,
        attacker: TxManager::new(
            l1.provider().clone(),
            config.attacker_key.clone(),
            config.txmgr.clone(),
        ),
        defender: config
            .defender_key
            .clone()
            .map(|key| TxManager::new(l1.provider().clone(), key, config.txmgr.clone())),
    });
    let (events, _) = broadcast::channel(1024);
    let (requests, incoming) = mpsc::unbounded_channel();
    let status = Arc::new(RwLock::new(ChallengerStatus::default()));
    let shutdown = CancellationToken::new();
    let worker = Worker {
        derivation: Derivation::new(config.rollup.clone(), l2_genesis_state()),
        cache: L1Cache::default(),
        l1,
        events: events.clone(),
        status: status.clone(),
        scanned_to: config.rollup.genesis_l1_origin.number,
        outputs_checked: 0,
        players,
        batches: Vec::new(),
        first_open_game: 0,
        config,
    };
    let supervisor = rollup_client::Supervisor::new("challenger", shutdown.clone());
    let task = supervisor.spawn("challenger", worker.run(incoming, shutdown.clone()));
    Ok(ChallengerHandle { requests, events, status, shutdown, task, supervisor })
}

#[derive(Debug)]
struct Worker {
    config: ChallengerConfig,
    l1: L1Client,
    derivation: Derivation,
    cache: L1Cache,
    events: broadcast::Sender<ChallengerEvent>,
    status: Arc<RwLock<ChallengerStatus>>,
    /// L1 blocks scanned for batches.
    scanned_to: u64,
    /// Next output index to check.
    outputs_checked: u64,
    /// Keys and factory, when disputing is enabled.
    players: Option<games::Players>,
    /// Every batch posted so far (to rebuild a block for a proof).
    batches: Vec<rollup_protocol::PostedBatch>,
    /// Games below this id are over.
    first_open_game: u64,
}

impl Worker {
    async fn run(
        mut self,
        mut requests: mpsc::UnboundedReceiver<ChallengeRequest>,
        shutdown: CancellationToken,
    ) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(self.config.poll_interval) => {}
                Some(request) = requests.recv() => {
                    let result = self.on_demand(request.output_index, &shutdown).await;
                    let _ = request.reply.send(result);
                    continue;
                }
            }
            if let Err(e) = self.step(&shutdown).await {
                tracing::warn!(target: "challenger", %e, "step failed; retrying");
            }
            if let Err(e) = self.play(&shutdown).await {
                tracing::warn!(target: "challenger", %e, "dispute step failed; retrying");
            }
        }
    }

    async fn step(&mut self, shutdown: &CancellationToken) -> Result<(), ClientError> {
        let head = self.l1.head().await?;
        if head > self.scanned_to {
            let to = head.min(self.scanned_to + 1_000);
            self.cache.fetch_to(&self.l1, to).await?;
            for batch in self.l1.batches(self.config.batch_inbox, self.scanned_to + 1, to).await? {
                let derived = self.derivation.apply_batch(&batch, &self.cache);
                let replaced: Vec<(u64, String)> = derived
                    .iter()
                    .filter_map(|(b, from)| match from {
                        DerivedFrom::DepositOnly(reason) => Some((b.header.number, reason.clone())),
                        DerivedFrom::Batch => None,
                    })
                    .collect();
                for (number, reason) in &replaced {
                    tracing::warn!(target: "challenger", number, %reason, "batched block invalid: derived a deposit-only block");
                }
                let _ = self.events.send(ChallengerEvent::Derived {
                    batch: batch.index,
                    l2_start: batch.l2_start,
                    l2_end: batch.l2_end,
                    replaced,
                });
                self.batches.push(batch);
            }
            self.scanned_to = to;
            self.status.write().await.derived_head = self.derivation.head().number;
        }
        self.check_outputs(shutdown).await
    }

    async fn on_demand(&mut self, index: u64, shutdown: &CancellationToken) -> Result<(), String> {
        let output = self
            .view(OutputOracle::getOutputCall { index: U256::from(index) })
            .await
            .map_err(|e| e.to_string())?;
        let derived = self
            .derivation
            .output_root(output.l2BlockNumber)
            .ok_or_else(|| format!("L2 block {} is not derived yet", output.l2BlockNumber))?;
        let counter = decide::counter_claim(derived, output.outputRoot);
        self.open_game(index, counter, shutdown).await.map_err(|e| e.to_string())
    }

    async fn view<C: SolCall>(&self, call: C) -> Result<C::Return, ClientError> {
        let request = TransactionRequest::default()
            .to(self.config.output_oracle)
            .input(call.abi_encode().into());
        let out = self.l1.provider().call(request).await?;
        C::abi_decode_returns(&out).map_err(|e| ClientError::BadData(e.to_string()))
    }

    /// Compares every new output whose block is derived with the derived root.
    async fn check_outputs(&mut self, shutdown: &CancellationToken) -> Result<(), ClientError> {
        let count: U256 = self.view(OutputOracle::outputCountCall {}).await?;
        // Outputs deleted by a dispute are re-proposed under the same indices.
        self.outputs_checked = self.outputs_checked.min(count.saturating_to());
        while U256::from(self.outputs_checked) < count {
            let index = self.outputs_checked;
            let output =
                self.view(OutputOracle::getOutputCall { index: U256::from(index) }).await?;
            let verdict = decide::judge_output(
                self.derivation.output_root(output.l2BlockNumber),
                output.outputRoot,
            );
            if let Verdict::Valid = verdict {
                let _ = self.events.send(ChallengerEvent::OutputValid {
                    output_index: index,
                    l2_block: output.l2BlockNumber,
                });
            } else if let Verdict::Invalid { derived } = verdict {
                tracing::warn!(
                    target: "challenger", output_index = index, l2_block = output.l2BlockNumber,
                    proposed = %output.outputRoot, %derived, "INVALID OUTPUT ROOT"
                );
                {
                    let mut status = self.status.write().await;
                    if !status.invalid_outputs.contains(&(index, output.l2BlockNumber)) {
                        status.invalid_outputs.push((index, output.l2BlockNumber));
                    }
                }
                let _ = self.events.send(ChallengerEvent::OutputInvalid {
                    output_index: index,
                    l2_block: output.l2BlockNumber,
                    proposed: output.outputRoot,
                    derived,
                });
                let is_final: bool =
                    self.view(OutputOracle::isFinalCall { index: U256::from(index) }).await?;
                if decide::should_dispute(verdict, is_final) {
                    // The earliest wrong output: later ones fall with it.
                    if let Err(e) = self.open_game(index, derived, shutdown).await {
                        tracing::warn!(target: "challenger", %e, output_index = index, "cannot open a game; will retry");
                        return Ok(());
                    }
                }
            } else {
                return Ok(()); // not derived yet
            }
            self.outputs_checked += 1;
            self.status.write().await.outputs_checked = self.outputs_checked;
        }
        Ok(())
    }
}
