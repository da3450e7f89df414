//! Playing dispute games on `DisputeGameFactory`: opening a game against a
//! wrong output, answering every bisection move from the derived chain before
//! the chess clock runs out, proving the last block with the EXECUTE
//! precompile, claiming timeouts, and collecting the bonds won.
//!
//! The challenger plays with two keys: its attacker key opens games and plays
//! the CHALLENGER side; its defender key (registered with the factory) plays
//! the PROPOSER side of any game against an output the derived chain agrees
//! with. Both sides play honestly: a midpoint is agreed with exactly when it
//! equals the derived output root at that block.

use crate::{
    ChallengerEvent, RETRY_BACKOFF, Target, Worker,
    decide::{Action, GameView, OpenGame, game_action},
};
use alloy::{
    providers::Provider,
    rpc::types::TransactionRequest,
    sol_types::{SolCall, SolValue},
};
use alloy_primitives::{Address, B256, Bytes, U256};
use rollup_client::{ClientError, ErrorKind, txmgr::TxManager};
use rollup_contracts::{DisputeGameFactory, GameStatus, OutputOracle, Side};
use rollup_protocol::{
    BisectionMove, Derivation, ExecuteDeposit, L1BlockData, L1View, OutputRootPreimage,
    build_witness_with_ancestors, l2_genesis_state,
};
use tokio_util::sync::CancellationToken;

/// The challenger's keys and the factory it plays on.
#[derive(Debug)]
pub(crate) struct Players {
    pub(crate) factory: Address,
    pub(crate) attacker: TxManager,
    pub(crate) defender: Option<TxManager>,
}

/// Errors while playing.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GameError {
    #[error(transparent)]
    L1(#[from] ClientError),
    #[error("transaction: {0}")]
    Tx(#[from] rollup_client::txmgr::TxError),
    #[error("transaction {0} reverted")]
    Reverted(B256),
    #[error("cannot build the proof: {0}")]
    Proof(#[from] ProofError),
}

impl GameError {
    /// How the challenger reacts (kona's classification, as the batcher's
    /// errors): a network or L1 hiccup is retried, a move someone else made
    /// first or a proof whose batch moved is a reset (the next pass reads the
    /// game and the chain again), a proof that cannot be built is critical
    /// (retrying the same game cannot help; it is logged as an error).
    pub(crate) fn kind(&self) -> ErrorKind {
        match self {
            Self::L1(e) => e.kind(),
            Self::Tx(e) => e.kind(),
            Self::Reverted(_) => ErrorKind::Reset,
            Self::Proof(e) => e.kind(),
        }
    }
}

/// Why the challenger cannot build the one-step proof of a game's block.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProofError {
    /// EXECUTE would run under other protocol parameters than the ones this
    /// challenger derives with.
    #[error("the DisputeGameFactory's rollupConfig differs from this challenger's rollup config")]
    RulesDiffer,
    /// No batch derived so far holds the block (the L1 reorged it away, or
    /// derivation has not reached it).
    #[error("no batch holds block {0}")]
    NoBatch(u64),
    /// The block's parent is not in the derived chain.
    #[error("parent of block {0} not derived")]
    ParentNotDerived(u64),
    /// The derived chain has no inputs for the block.
    #[error("no derived inputs for block {0}")]
    NoInputs(u64),
    /// The stateless witness could not be built.
    #[error("witness: {0}")]
    Witness(#[from] rollup_protocol::WitnessError),
}

impl ProofError {
    const fn kind(&self) -> ErrorKind {
        match self {
            Self::RulesDiffer | Self::Witness(_) => ErrorKind::Critical,
            Self::NoBatch(_) | Self::ParentNotDerived(_) | Self::NoInputs(_) => ErrorKind::Reset,
        }
    }
}

impl Worker {
    async fn factory_view<C: SolCall>(&self, call: C) -> Result<C::Return, ClientError> {
        let factory = self.players.as_ref().map(|p| p.factory).unwrap_or_default();
        let request = TransactionRequest::default().to(factory).input(call.abi_encode().into());
        let out = self.l1.provider().call(request).await?;
        C::abi_decode_returns(&out).map_err(|e| ClientError::BadData(e.to_string()))
    }

    async fn send(
        &self,
        txmgr: &TxManager,
        input: Vec<u8>,
        value: U256,
        shutdown: &CancellationToken,
    ) -> Result<(), GameError> {
        let factory = self.players.as_ref().map(|p| p.factory).unwrap_or_default();
        let confirmed = txmgr.send(factory, input.into(), value, shutdown).await?;
        if !confirmed.receipt.status() {
            return Err(GameError::Reverted(confirmed.receipt.transaction_hash));
        }
        Ok(())
    }

    /// Opens a game against output `index` with the derived root as
    /// counter-claim; returns its id, or `None` when a game about that output
    /// is in progress already (nothing is bonded then) or disputing is off.
    pub(crate) async fn open_game(
        &mut self,
        index: u64,
        counter_root: B256,
        shutdown: &CancellationToken,
    ) -> Result<Option<u64>, GameError> {
        if self.players.is_none() {
            return Ok(None);
        }
        let active = self
            .factory_view(DisputeGameFactory::activeGameCall { outputIndex: U256::from(index) })
            .await?;
        if active.active {
            return Ok(None);
        }
        let bond = self.challenger_bond().await?;
        let call = DisputeGameFactory::challengeCall {
            outputIndex: U256::from(index),
            counterRoot: counter_root,
        };
        let Some(players) = &self.players else { return Ok(None) };
        self.send(&players.attacker, call.abi_encode(), bond, shutdown).await?;
        let active = self
            .factory_view(DisputeGameFactory::activeGameCall { outputIndex: U256::from(index) })
            .await?;
        tracing::info!(target: "challenger", output_index = index, %counter_root, game = %active.gameId, %bond, "opened a dispute game");
        Ok(active.active.then(|| active.gameId.saturating_to()))
    }

    /// `DisputeGameFactory.challengerBond()`, wei (immutable: read once).
    async fn challenger_bond(&mut self) -> Result<U256, ClientError> {
        if let Some(bond) = self.challenger_bond {
            return Ok(bond);
        }
        let bond: U256 = self.factory_view(DisputeGameFactory::challengerBondCall {}).await?;
        Ok(*self.challenger_bond.insert(bond))
    }

    /// One pass over every game in progress: reads them (the games open,
    /// the bond at risk, how ours ended), then moves, proves, or claims a
    /// timeout where [`game_action`] says so, and collects credited bonds.
    pub(crate) async fn play(&mut self, shutdown: &CancellationToken) -> Result<(), GameError> {
        let Some(players) = &self.players else { return Ok(()) };
        let attacker = players.attacker.address();
        let has_defender = players.defender.is_some();
        let count: u64 =
            self.factory_view(DisputeGameFactory::gameCountCall {}).await?.saturating_to();
        // An L1 reorg may drop games: ids are reused.
        self.first_open_game = self.first_open_game.min(count);
        let now = self.l1_timestamp().await?;
        let clock: u64 = self.factory_view(DisputeGameFactory::clockSecondsCall {}).await?;
        let mut in_progress = Vec::new();
        let mut open_games = Vec::new();
        for id in self.first_open_game..count {
            let g = self
                .factory_view(DisputeGameFactory::getGameCall { gameId: U256::from(id) })
                .await?;
            let ours = g.challenger == attacker;
            let output_index: u64 = g.outputIndex.saturating_to();
            if GameStatus::try_from(g.status) == Ok(GameStatus::InProgress) {
                open_games.push(OpenGame { game_id: id, output_index, ours });
                in_progress.push((id, g));
                continue;
            }
            if id == self.first_open_game {
                self.first_open_game += 1;
            }
            if ours && self.open_games.iter().any(|o| o.game_id == id) {
                self.game_over(id, output_index, g.status);
            }
        }
        self.open_games = open_games;
        let bond = self.challenger_bond().await?;
        {
            let ours: Vec<u64> =
                self.open_games.iter().filter(|g| g.ours).map(|g| g.game_id).collect();
            let at_risk = bond.saturating_mul(U256::from(ours.len()));
            metrics::gauge!("rollup_challenger_open_games").set(ours.len() as f64);
            metrics::gauge!("rollup_challenger_bonds_at_risk_eth")
                .set((at_risk / U256::from(1_000_000_000u64)).saturating_to::<u64>() as f64 / 1e9);
            metrics::gauge!("rollup_dispute_games_in_progress").set(self.open_games.len() as f64);
            let mut status = self.status.write().await;
            status.bonds_at_risk_wei = at_risk;
            status.open_games = ours;
        }
        for (id, g) in in_progress {
            if !self.may_send(Target::Game(id)) {
                continue;
            }
            if let Err(e) = self.act(id, &g, attacker, has_defender, now, clock, shutdown).await {
                if e.kind() == ErrorKind::Reset {
                    // Typically the proposer answered the same turn first.
                    tracing::info!(target: "challenger", game = id, %e, "the game moved under this move; reading it again in {RETRY_BACKOFF:?}");
                } else {
                    tracing::warn!(target: "challenger", game = id, %e, "dispute step failed; retrying in {RETRY_BACKOFF:?}");
                }
                self.backoff(Target::Game(id));
            }
        }
        let Some(players) = &self.players else { return Ok(()) };
        for txmgr in std::iter::once(&players.attacker).chain(players.defender.as_ref()) {
            let credit: U256 = self
                .factory_view(DisputeGameFactory::creditCall { account: txmgr.address() })
                .await?;
            if credit > U256::ZERO {
                self.send(
                    txmgr,
                    DisputeGameFactory::claimCreditCall {}.abi_encode(),
                    U256::ZERO,
                    shutdown,
                )
                .await?;
                tracing::info!(target: "challenger", %credit, account = %txmgr.address(), "collected bonds");
            }
        }
        Ok(())
    }

    /// Notes how a game this challenger opened ended.
    fn game_over(&mut self, id: u64, output_index: u64, status: u8) {
        match GameStatus::try_from(status) {
            Ok(GameStatus::ChallengerWon) => {
                tracing::info!(target: "challenger", game = id, output_index, "won: the output and every later one are deleted; bond back plus the proposer's");
            }
            Ok(GameStatus::ProposerWon) => {
                // Never bond again against this output (see `DisputePlan::GaveUp`).
                if let Some(o) = self.outputs.get(output_index as usize) {
                    self.lost.push((output_index, o.root));
                }
                tracing::warn!(target: "challenger", game = id, output_index, "lost: the bond went to the proposer");
            }
            Ok(GameStatus::Cancelled) => {
                tracing::info!(target: "challenger", game = id, output_index, "the output was deleted by the game about an earlier one: game cancelled, bond credited back (claimCredit)");
            }
            _ => {}
        }
    }

    /// Carries out [`game_action`] in game `id`.
    #[allow(clippy::too_many_arguments)]
    async fn act(
        &self,
        id: u64,
        g: &DisputeGameFactory::Game,
        attacker: Address,
        has_defender: bool,
        now: u64,
        clock: u64,
        shutdown: &CancellationToken,
    ) -> Result<(), GameError> {
        let Some(players) = &self.players else { return Ok(()) };
        let output = self.view(OutputOracle::getOutputCall { index: g.outputIndex }).await?;
        let Some(derived) = self.derivation.output_root(output.l2BlockNumber) else {
            return Ok(());
        };
        let view = GameView {
            game: g,
            output_root: output.outputRoot,
            derived_output_root: derived,
            attacker,
            has_defender,
            now,
            clock,
            derived_head: self.derivation.head().number,
        };
        match game_action(view, |b| self.derivation.output_root(b)) {
            Action::Wait => {}
            Action::Prove => self.prove(id, g, shutdown).await?,
            Action::Move { side, mv: BisectionMove { agree, lo, hi, mid_root } } => {
                let txmgr = match (side, &players.defender) {
                    (Side::Challenger, _) => &players.attacker,
                    (_, Some(defender)) => defender,
                    (_, None) => return Ok(()), // `game_action` moves the proposer side only with a defender
                };
                let call = DisputeGameFactory::moveCall {
                    gameId: U256::from(id),
                    agreeWithPendingMid: agree,
                    midRoot: mid_root,
                };
                self.send(txmgr, call.abi_encode(), U256::ZERO, shutdown).await?;
                tracing::info!(
                    target: "challenger", game = id,
                    side = if side == Side::Challenger { "challenger" } else { "defender" },
                    agree, lo, hi, mid = (lo + hi) / 2, %mid_root, "move"
                );
                let _ = self.events.send(ChallengerEvent::Moved {
                    game_id: id,
                    lo,
                    hi,
                    agreed: agree,
                    mid_root,
                });
            }
            Action::ClaimTimeout => {
                let call = DisputeGameFactory::timeoutCall { gameId: U256::from(id) };
                self.send(&players.attacker, call.abi_encode(), U256::ZERO, shutdown).await?;
                tracing::info!(target: "challenger", game = id, "opponent's clock ran out: claimed the game");
            }
        }
        Ok(())
    }

    /// The L1 head's timestamp, unix seconds.
    pub(crate) async fn l1_timestamp(&self) -> Result<u64, ClientError> {
        let head = self.l1.head().await?;
        Ok(self.l1.origin(head).await?.map(|o| o.timestamp).unwrap_or_default())
    }

    /// Proves block `g.hi` with EXECUTE.
    async fn prove(
        &self,
        id: u64,
        g: &DisputeGameFactory::Game,
        shutdown: &CancellationToken,
    ) -> Result<(), GameError> {
        let Some(players) = &self.players else { return Ok(()) };
        // EXECUTE runs under the factory's protocol parameters: a proof under
        // other rules than ours would prove nothing we derived.
        let theirs = self.factory_view(DisputeGameFactory::rollupConfigCall {}).await?;
        if theirs.as_ref() != self.derivation.config().protocol_params_abi().as_slice() {
            return Err(ProofError::RulesDiffer.into());
        }
        let block = g.hi;
        let batch = self
            .batches
            .iter()
            .find(|b| b.l2_start <= block && block <= b.l2_end)
            .cloned()
            .ok_or(ProofError::NoBatch(block))?;
        // The state at the parent, re-derived from L1 data.
        let mut replay = Derivation::new(
            self.derivation.config().clone(),
            l2_genesis_state(self.derivation.config()),
        );
        for b in self.batches.iter().filter(|b| b.l2_start <= g.lo) {
            replay.apply_batch_up_to(b, &self.cache, g.lo);
        }
        let parent = replay.header(g.lo).cloned().ok_or(ProofError::ParentNotDerived(block))?;
        let inputs =
            replay.inputs_of(block, &batch, &self.cache).ok_or(ProofError::NoInputs(block))?;
        // The headers BLOCKHASH may reach (the last 256), to prove old hashes.
        let ancestors: Vec<_> =
            (g.lo.saturating_sub(256)..g.lo).filter_map(|n| replay.header(n).cloned()).collect();
        let witness = build_witness_with_ancestors(
            replay.state(),
            replay.config(),
            &parent,
            &inputs,
            &ancestors,
        )
        .map_err(ProofError::from)?;
        let parent_origin = replay.origin(g.lo).unwrap_or_default();
        let mut numbers =
            vec![parent_origin.number, parent_origin.number + 1, inputs.l1_origin.number];
        numbers.sort_unstable();
        numbers.dedup();
        let mut l1_blocks = Vec::new();
        for n in numbers.into_iter().filter(|n| *n < batch.l1_block) {
            let Some(header) = self.l1.header_rlp(n).await? else { continue };
            let deposits: Vec<ExecuteDeposit> = self
                .cache
                .deposits(n)
                .into_iter()
                .map(|d| ExecuteDeposit {
                    from: d.from,
                    to: d.to,
                    index: U256::from(d.index),
                    mint: d.mint,
                    value: d.value,
                    gasLimit: d.gas_limit,
                    data: d.data,
                })
                .collect();
            l1_blocks.push(L1BlockData { number: n, header, deposits: deposits_encoded(deposits) });
        }
        // A blob batch is proven with its blobs (the precompile checks their
        // KZG commitments against the batch's); a calldata batch with its data.
        let batch_data = match self
            .l1
            .batch_blobs(self.config.batch_inbox, batch.index, batch.l1_block)
            .await?
        {
            Some(blobs) => {
                Bytes::from(blobs.iter().flat_map(|b| b.iter().copied()).collect::<Vec<u8>>())
            }
            None => batch.data.clone(),
        };
        let preimage = OutputRootPreimage {
            state_root: parent.state_root,
            withdrawals_root: parent.withdrawals_root.unwrap_or_default(),
            block_hash: parent.hash_slow(),
        };
        let call = DisputeGameFactory::proveBlockCall {
            gameId: U256::from(id),
            preimage: (preimage.state_root, preimage.withdrawals_root, preimage.block_hash)
                .abi_encode_params()
                .into(),
            parentHeader: alloy_rlp::encode(&parent).into(),
            batchIndex: U256::from(batch.index),
            batchData: batch_data,
            l1Blocks: l1_blocks.abi_encode().into(),
            witness: Bytes::from(witness.encode()),
        };
        self.send(&players.attacker, call.abi_encode(), U256::ZERO, shutdown).await?;
        tracing::info!(target: "challenger", game = id, block, "proved the disputed block with EXECUTE");
        let _ = self.events.send(ChallengerEvent::Proved { game_id: id, l2_block: block });
        Ok(())
    }
}

fn deposits_encoded(deposits: Vec<ExecuteDeposit>) -> Bytes {
    deposits.abi_encode().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_how_the_challenger_reacts() {
        // Someone else's move landed first: read the game again.
        assert_eq!(GameError::Reverted(B256::ZERO).kind(), ErrorKind::Reset);
        // The batch or the parent of the proven block moved with the L1.
        for e in [ProofError::NoBatch(7), ProofError::ParentNotDerived(7), ProofError::NoInputs(7)]
        {
            assert_eq!(GameError::from(e).kind(), ErrorKind::Reset);
        }
        // Proving under other rules cannot succeed, however often retried.
        assert_eq!(GameError::from(ProofError::RulesDiffer).kind(), ErrorKind::Critical);
        assert_eq!(
            GameError::from(rollup_client::txmgr::TxError::Timeout(B256::ZERO)).kind(),
            ErrorKind::Temporary
        );
        assert_eq!(ProofError::NoBatch(7).to_string(), "no batch holds block 7");
    }
}
