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
use decide::{DisputePlan, Finality, JudgedOutput, OpenGame, Verdict};
use l1::L1Cache;
use rollup_client::{
    ClientError, ErrorKind, L1Client,
    txmgr::{TxManager, TxManagerConfig},
};
use rollup_contracts::OutputOracle;
use rollup_protocol::{Derivation, DerivedFrom, L1View, RollupConfig, l2_genesis_state};
use serde::Serialize;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
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
    /// The L1 reorged under what the challenger had read: it dropped the
    /// batches of the dropped L1 blocks and re-derived the chain.
    L1Reorg {
        /// The last L1 block kept (`None`: none of the blocks read).
        fork_point: Option<u64>,
        /// Batches dropped with the dropped L1 blocks.
        batches_dropped: u64,
        /// The derived L2 head after re-deriving.
        derived_head: u64,
    },
}

/// What the challenger knows now.
///
/// Bond capital: the challenger disputes only the earliest wrong output of
/// the `OutputOracle` (a win deletes it and every later output), so one
/// fault puts at most one `DisputeGameFactory.challengerBond()` at risk, and
/// it never bonds twice against the same output. When an output it disputes
/// is deleted by another game (about an earlier output), the factory
/// cancels its game and credits the whole bond back, which the challenger
/// withdraws with `claimCredit` on its next pass; what it cannot recover
/// then is the gas of its moves and any share of the deleted outputs'
/// proposer bonds (only the winner of the game about the first deleted
/// output is paid one; the others stay forfeited in the `OutputOracle`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ChallengerStatus {
    /// Derived L2 head.
    pub derived_head: u64,
    /// Outputs checked so far.
    pub outputs_checked: u64,
    /// Outputs found invalid (index, L2 block).
    pub invalid_outputs: Vec<(u64, u64)>,
    /// The output the challenger disputes (or waits on): the earliest wrong
    /// live output; `None` when every output checked is right.
    pub disputed_output: Option<u64>,
    /// Ids of the games in progress this challenger opened (its attacker
    /// key is their CHALLENGER side).
    pub open_games: Vec<u64>,
    /// Wei bonded in those games: `challengerBond` per game, lost if the
    /// game is lost, refunded (with the proposer's bond on a win) otherwise.
    pub bonds_at_risk_wei: U256,
    /// L1 reorgs followed (each a re-derivation).
    pub l1_reorgs: u64,
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

    /// A cloneable client for on-demand challenges and the status.
    pub fn client(&self) -> ChallengerClient {
        ChallengerClient { requests: self.requests.clone(), status: self.status.clone() }
    }

    /// Stops and waits.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
    }
}

/// Asks a running challenger to dispute an output now, and reads its status.
#[derive(Clone, Debug)]
pub struct ChallengerClient {
    requests: mpsc::UnboundedSender<ChallengeRequest>,
    status: Arc<RwLock<ChallengerStatus>>,
}

impl ChallengerClient {
    /// The current status (see [`ChallengerHandle::status`]).
    pub async fn status(&self) -> ChallengerStatus {
        self.status.read().await.clone()
    }

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
    // Off the async workers: a large genesis (a benchmark's) takes seconds
    // to build and would stall every other task of the process meanwhile.
    let rollup = config.rollup.clone();
    let derivation = rollup_client::off_runtime(move || {
        Derivation::new(rollup.clone(), l2_genesis_state(&rollup))
    })
    .await;
    let worker = Worker {
        derivation,
        cache: L1Cache::default(),
        l1,
        events: events.clone(),
        status: status.clone(),
        scanned_to: config.rollup.genesis_l1_origin.number,
        outputs: Vec::new(),
        players,
        batches: Vec::new(),
        first_open_game: 0,
        open_games: Vec::new(),
        lost: Vec::new(),
        challenge_window: None,
        challenger_bond: None,
        retry_after: Vec::new(),
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
    /// The live outputs judged so far, by index (its length is the next
    /// output index to check).
    outputs: Vec<JudgedOutput>,
    /// Keys and factory, when disputing is enabled.
    players: Option<games::Players>,
    /// Every batch posted so far (to rebuild a block for a proof, and to
    /// re-derive after an L1 reorg).
    batches: Vec<rollup_protocol::PostedBatch>,
    /// Games below this id are over.
    first_open_game: u64,
    /// The games in progress at the last pass over the factory.
    open_games: Vec<OpenGame>,
    /// Outputs (index, root) this challenger lost a game about.
    lost: Vec<(u64, B256)>,
    /// `OutputOracle.challengeWindow()`, seconds (immutable: read once).
    challenge_window: Option<u64>,
    /// `DisputeGameFactory.challengerBond()`, wei (immutable: read once).
    challenger_bond: Option<U256>,
    /// Transactions that failed, by target (`Target`), not resent before
    /// the instant: a transaction the L1 refuses is not retried every pass.
    retry_after: Vec<(Target, Instant)>,
}

/// What a transaction acts on, for [`Worker::retry_after`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// Opening a game about an output index.
    Output(u64),
    /// An action in a game.
    Game(u64),
}

/// How long a failed transaction is not retried: 5 s (a few L1 blocks; the
/// devnet's dispute clocks are minutes).
const RETRY_BACKOFF: Duration = Duration::from_secs(5);

impl Worker {
    /// Whether a transaction about `target` may be sent now.
    fn may_send(&mut self, target: Target) -> bool {
        let now = Instant::now();
        self.retry_after.retain(|(_, until)| *until > now);
        !self.retry_after.iter().any(|(t, _)| *t == target)
    }

    /// Records that a transaction about `target` failed.
    fn backoff(&mut self, target: Target) {
        self.retry_after.push((target, Instant::now() + RETRY_BACKOFF));
    }
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
                match e.kind() {
                    ErrorKind::Temporary => {
                        tracing::warn!(target: "challenger", %e, "dispute step failed; retrying")
                    }
                    ErrorKind::Reset => {
                        tracing::info!(target: "challenger", %e, "the game or the chain moved; reading them again")
                    }
                    ErrorKind::Critical => {
                        tracing::error!(target: "challenger", %e, "dispute step cannot succeed as configured")
                    }
                }
            }
        }
    }

    async fn step(&mut self, shutdown: &CancellationToken) -> Result<(), ClientError> {
        self.follow_l1_reorgs().await?;
        let head = self.l1.head().await?;
        if head > self.scanned_to {
            let to = head.min(self.scanned_to + 1_000);
            self.cache.fetch_to(&self.l1, to).await?;
            for batch in self.l1.batches(self.config.batch_inbox, self.scanned_to + 1, to).await? {
                let derived = self.derivation.apply_batch(&batch, &self.cache);
                let replaced: Vec<(u64, String)> = derived
                    .iter()
                    .filter_map(|(b, from)| match from {
                        DerivedFrom::DepositOnly(reason) => {
                            Some((b.header.number, reason.to_string()))
                        }
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

    /// Re-derives after an L1 reorg: when an L1 block read before has
    /// another hash now (or is gone), drops the batches of the dropped
    /// blocks, rebuilds the derivation from the L2 genesis over the batches
    /// kept, and judges again the outputs the reorg may have changed.
    ///
    /// Replaying from genesis is simple and obviously right, at the cost of
    /// re-executing every derived L2 block once per reorg (milliseconds per
    /// block: fine at devnet lengths; checkpoints of the derivation every N
    /// blocks would bound it on a long chain).
    async fn follow_l1_reorgs(&mut self) -> Result<(), ClientError> {
        let Some(fork) = self.cache.fork_point(&self.l1).await? else { return Ok(()) };
        let genesis = self.config.rollup.genesis_l1_origin.number;
        if fork.is_none_or(|f| f < genesis) {
            tracing::error!(target: "challenger", ?fork, genesis, "the L1 reorged below the rollup's genesis L1 origin: re-deriving from scratch");
        }
        // A batch references only L1 blocks before its own, so every block of
        // a kept batch derives exactly as before: the new derivation is a
        // prefix of the old one.
        let kept = |l1_block: u64| fork.is_some_and(|f| l1_block <= f);
        let before = self.batches.len();
        self.batches.retain(|b| kept(b.l1_block));
        let batches_dropped = (before - self.batches.len()) as u64;
        let fork_timestamp = fork.and_then(|f| self.cache.origin(f)).map_or(0, |o| o.timestamp);
        self.cache.rewind_to(fork);
        self.scanned_to = fork.map_or(genesis, |f| f.max(genesis));
        let mut derivation =
            Derivation::new(self.config.rollup.clone(), l2_genesis_state(&self.config.rollup));
        for batch in &self.batches {
            derivation.apply_batch(batch, &self.cache);
        }
        self.derivation = derivation;
        let derived_head = self.derivation.head().number;
        let from = decide::recheck_from(&self.outputs, fork_timestamp, derived_head + 1);
        self.outputs.truncate(from as usize);
        // Games opened in dropped blocks are gone; the next pass re-reads them.
        self.open_games.clear();
        {
            let mut status = self.status.write().await;
            status.derived_head = derived_head;
            status.outputs_checked = from;
            status.invalid_outputs.retain(|(index, _)| *index < from);
            status.l1_reorgs += 1;
        }
        tracing::warn!(
            target: "challenger", ?fork, batches_dropped, derived_head, recheck_from = from,
            "L1 reorg: re-derived from the batches kept"
        );
        let _ = self.events.send(ChallengerEvent::L1Reorg {
            fork_point: fork,
            batches_dropped,
            derived_head,
        });
        Ok(())
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
        self.open_game(index, counter, shutdown).await.map(|_| ()).map_err(|e| e.to_string())
    }

    async fn view<C: SolCall>(&self, call: C) -> Result<C::Return, ClientError> {
        let request = TransactionRequest::default()
            .to(self.config.output_oracle)
            .input(call.abi_encode().into());
        let out = self.l1.provider().call(request).await?;
        C::abi_decode_returns(&out).map_err(|e| ClientError::BadData(e.to_string()))
    }

    /// Forgets the judged outputs that are no longer on L1: outputs deleted
    /// by a dispute are re-proposed under the same indices (and an L1 reorg
    /// may replace them), so the last judged outputs are compared with the
    /// oracle's, newest first, until one is unchanged.
    async fn forget_replaced_outputs(&mut self, count: u64) -> Result<(), ClientError> {
        let before = self.outputs.len();
        self.outputs.truncate(usize::try_from(count).unwrap_or(usize::MAX));
        while let Some(last) = self.outputs.last().copied() {
            let index = self.outputs.len() as u64 - 1;
            let output =
                self.view(OutputOracle::getOutputCall { index: U256::from(index) }).await?;
            if output.outputRoot == last.root && output.timestamp == last.timestamp {
                break;
            }
            self.outputs.pop();
        }
        if self.outputs.len() < before {
            let kept = self.outputs.len() as u64;
            let mut status = self.status.write().await;
            status.outputs_checked = kept;
            status.invalid_outputs.retain(|(index, _)| *index < kept);
        }
        Ok(())
    }

    /// Compares every new output whose block is derived with the derived
    /// root, then disputes the earliest wrong one ([`decide::dispute_plan`]).
    async fn check_outputs(&mut self, shutdown: &CancellationToken) -> Result<(), ClientError> {
        let count: U256 = self.view(OutputOracle::outputCountCall {}).await?;
        let count: u64 = count.saturating_to();
        self.forget_replaced_outputs(count).await?;
        while (self.outputs.len() as u64) < count {
            let index = self.outputs.len() as u64;
            let output =
                self.view(OutputOracle::getOutputCall { index: U256::from(index) }).await?;
            let verdict = decide::judge_output(
                self.derivation.output_root(output.l2BlockNumber),
                output.outputRoot,
            );
            match verdict {
                Verdict::NotDerived => break,
                Verdict::Valid => {
                    let _ = self.events.send(ChallengerEvent::OutputValid {
                        output_index: index,
                        l2_block: output.l2BlockNumber,
                    });
                }
                Verdict::Invalid { derived } => {
                    tracing::warn!(
                        target: "challenger", output_index = index, l2_block = output.l2BlockNumber,
                        proposed = %output.outputRoot, %derived, "INVALID OUTPUT ROOT"
                    );
                    {
                        let mut status = self.status.write().await;
                        if !status.invalid_outputs.contains(&(index, output.l2BlockNumber)) {
                            status.invalid_outputs.push((index, output.l2BlockNumber));
                            metrics::counter!("rollup_challenger_invalid_outputs_total")
                                .increment(1);
                        }
                    }
                    let _ = self.events.send(ChallengerEvent::OutputInvalid {
                        output_index: index,
                        l2_block: output.l2BlockNumber,
                        proposed: output.outputRoot,
                        derived,
                    });
                }
            }
            self.outputs.push(JudgedOutput {
                l2_block: output.l2BlockNumber,
                root: output.outputRoot,
                timestamp: output.timestamp,
                verdict,
            });
            self.status.write().await.outputs_checked = self.outputs.len() as u64;
            metrics::gauge!("rollup_challenger_outputs_checked").set(self.outputs.len() as f64);
        }
        self.dispute(shutdown).await
    }

    /// Carries out [`decide::dispute_plan`]: opens a game against the
    /// earliest wrong output when no game disputes it yet.
    async fn dispute(&mut self, shutdown: &CancellationToken) -> Result<(), ClientError> {
        if !self.outputs.iter().any(|o| matches!(o.verdict, Verdict::Invalid { .. })) {
            self.status.write().await.disputed_output = None;
            return Ok(());
        }
        let challenge_window = match self.challenge_window {
            Some(w) => w,
            None => {
                let w: U256 = self.view(OutputOracle::challengeWindowCall {}).await?;
                *self.challenge_window.insert(w.saturating_to())
            }
        };
        let finality = Finality { now: self.l1_timestamp().await?, challenge_window };
        let plan = decide::dispute_plan(&self.outputs, &self.open_games, finality, &self.lost);
        let previous =
            std::mem::replace(&mut self.status.write().await.disputed_output, plan.target());
        if previous != plan.target() {
            tracing::info!(target: "challenger", ?plan, "dispute plan");
        }
        let DisputePlan::Open { index, counter } = plan else { return Ok(()) };
        if self.players.is_none() || !self.may_send(Target::Output(index)) {
            return Ok(());
        }
        match self.open_game(index, counter, shutdown).await {
            Ok(Some(game_id)) => {
                self.open_games.push(OpenGame { game_id, output_index: index, ours: true });
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(target: "challenger", %e, output_index = index, "cannot open a game; will retry");
                self.backoff(Target::Output(index));
            }
        }
        Ok(())
    }
}
