//! The proposer task (op-proposer's role): proposes the output roots of
//! safe L2 blocks with its bond, reclaims the bond of each final output,
//! and defends its outputs in dispute games (`defense.rs`), with its own
//! key and transaction manager, on its own loop: the batcher's loop never
//! waits for it.
//!
//! Each pass (every `poll_interval`):
//! 1. takes the outcome of the transactions in flight that settled, in the
//!    order sent ([`InFlight::pop_settled`]): a confirmed proposal is
//!    recorded; a failed one (reverted, or not confirmed before the
//!    transaction manager's timeout) stops proposing until everything sent
//!    after it has settled, then the proposer resumes from
//!    `OutputOracle.latestBlockNumber()`, re-read;
//! 2. sends every due output without waiting for receipts
//!    ([`crate::inflight::due_outputs`]), up to `max_pending_proposals`
//!    transactions in flight (1 while a dispute game is in progress: a game
//!    the proposer loses deletes outputs, and proposals in flight then would
//!    skip the deleted blocks);
//! 3. sends the bond reclaims of final outputs in the slots left;
//! 4. answers the games against its outputs (moves wait for their receipt).
//!
//! Restarts: nothing is kept; the oracle's newest output is where proposing
//! resumes, and a proposal of the previous run still pooled makes the new
//! run's proposal of the same block revert, which resyncs as in 1.

use crate::inflight::{Action, InFlight, Settling, due_outputs, next_output};
use crate::{BatcherConfig, BatcherError, BatcherStore, OutputRecord, ProposerFaults, gwei, view};
use alloy::{providers::Provider, providers::RootProvider, sol_types::SolCall};
use alloy_primitives::{Address, U256, keccak256};
use rollup_client::{
    ErrorKind, L2Client, L2Provider,
    txmgr::{Confirmed, PendingTx, TxError, TxManager},
};
use rollup_contracts::{BatchInbox, OutputOracle};
use std::{collections::BTreeMap, sync::Arc, sync::atomic::Ordering};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Most outputs one pass of [`Proposer::reclaim_bonds`] reads.
const MAX_RECLAIM_SCAN: u64 = 64;

/// The confirmation of one transaction, run on its own task so that the
/// proposer's loop never waits for it; aborted when dropped.
#[derive(Debug)]
pub(crate) struct Confirming(Option<JoinHandle<Result<Confirmed, TxError>>>);

impl Confirming {
    fn spawn(pending: PendingTx, shutdown: CancellationToken) -> Self {
        Self(Some(tokio::spawn(async move { pending.confirm(&shutdown).await })))
    }

    /// The outcome; a panic of the confirmation goes on in the caller.
    async fn outcome(mut self) -> Result<Confirmed, TxError> {
        let Some(task) = self.0.take() else { return Err(TxError::Cancelled) };
        match task.await {
            Ok(outcome) => outcome,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(TxError::Cancelled),
        }
    }
}

impl Settling for Confirming {
    fn is_settled(&self) -> bool {
        self.0.as_ref().is_none_or(JoinHandle::is_finished)
    }
}

impl Drop for Confirming {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

/// The proposer.
#[derive(Debug)]
pub(crate) struct Proposer {
    pub(crate) config: BatcherConfig,
    pub(crate) l1: RootProvider,
    pub(crate) l2: L2Client,
    pub(crate) txmgr: TxManager,
    pub(crate) store: BatcherStore,
    pub(crate) faults: Arc<ProposerFaults>,
    /// The unsafe chain's roots behind a colluding output (fault injection).
    pub(crate) colluded: Option<crate::defense::Colluded>,
    /// Outputs below this index need no bond reclaim (reclaimed, being
    /// reclaimed, or not this proposer's).
    pub(crate) reclaim_from: u64,
    /// Dispute games in progress, as of the last pass.
    pub(crate) games_in_progress: u64,
    pub(crate) in_flight: InFlight<Confirming>,
}

impl Proposer {
    /// A proposer with nothing in flight.
    pub(crate) fn new(
        config: BatcherConfig,
        l1: RootProvider,
        l2: L2Client,
        store: BatcherStore,
        faults: Arc<ProposerFaults>,
    ) -> Self {
        Self {
            txmgr: TxManager::new(l1.clone(), config.proposer_key.clone(), config.txmgr.clone()),
            config,
            l1,
            l2,
            store,
            faults,
            colluded: None,
            reclaim_from: 0,
            games_in_progress: 0,
            in_flight: InFlight::default(),
        }
    }

    /// The proposer's loop, until `shutdown` or a critical error.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(self.config.poll_interval) => {}
            }
            match self.step(&shutdown).await {
                Ok(()) => {}
                Err(BatcherError::Tx(TxError::Cancelled)) => return,
                Err(e) if e.kind() == ErrorKind::Critical => {
                    tracing::error!(target: "proposer", %e, "stopping");
                    return;
                }
                // A reset needs nothing more: every pass re-reads the oracle.
                Err(e) => {
                    tracing::warn!(target: "proposer", %e, kind = ?e.kind(), "step failed; retrying")
                }
            }
        }
    }

    async fn step(&mut self, shutdown: &CancellationToken) -> Result<(), BatcherError> {
        let settled = self.settle().await;
        let proposed = self.propose(shutdown).await;
        metrics::gauge!("rollup_proposer_proposals_in_flight")
            .set(self.in_flight.proposals() as f64);
        settled?;
        proposed?;
        self.reclaim_bonds(shutdown).await?;
        self.defend(shutdown).await
    }

    pub(crate) async fn view<C: SolCall>(
        &self,
        to: Address,
        call: C,
    ) -> Result<C::Return, BatcherError> {
        view(&self.l1, to, call).await
    }

    /// Takes the outcome of the settled transactions at the front of the
    /// queue, in the order sent.
    async fn settle(&mut self) -> Result<(), BatcherError> {
        let mut changed = false;
        for (action, confirming) in self.in_flight.pop_settled() {
            let outcome = confirming.outcome().await;
            if let Err(TxError::Cancelled) = outcome {
                return Err(TxError::Cancelled.into());
            }
            match action {
                Action::Propose { l2_block, root } => match outcome {
                    Ok(confirmed) if confirmed.receipt.status() => {
                        let receipt = confirmed.receipt;
                        self.store
                            .insert_output(&OutputRecord {
                                l2_block,
                                output_root: root,
                                l1_tx_hash: receipt.transaction_hash,
                                l1_block: receipt.block_number.unwrap_or_default(),
                                l1_gas_used: receipt.gas_used,
                                l1_fee_wei: U256::from(receipt.gas_used)
                                    * U256::from(receipt.effective_gas_price),
                            })
                            .await?;
                        tracing::info!(target: "proposer", l2_block, %root, l1_tx = %receipt.transaction_hash, attempts = confirmed.attempts, "proposed output");
                        metrics::counter!("rollup_proposer_outputs_total").increment(1);
                        changed = true;
                    }
                    Ok(confirmed) => {
                        tracing::warn!(target: "proposer", l2_block, l1_tx = %confirmed.receipt.transaction_hash, "output proposal reverted; resuming from the oracle once the proposals in flight settle");
                        self.in_flight.failed();
                    }
                    Err(e) => {
                        tracing::warn!(target: "proposer", l2_block, %e, "output proposal failed; resuming from the oracle once the proposals in flight settle");
                        self.in_flight.failed();
                    }
                },
                Action::Reclaim { index } => match outcome {
                    Ok(confirmed) if confirmed.receipt.status() => {
                        metrics::counter!("rollup_proposer_bonds_reclaimed_total").increment(1);
                        tracing::info!(target: "proposer", output_index = index, l1_tx = %confirmed.receipt.transaction_hash, "reclaimed the bond of a final output");
                        changed = true;
                    }
                    outcome => {
                        // Anyone may call reclaimBond (the bond goes to the
                        // proposer either way): most likely reclaimed by
                        // someone else first. The next scan reads it again.
                        tracing::debug!(target: "proposer", output_index = index, ok = outcome.is_ok(), "bond reclaim reverted or failed; checking the output again");
                        self.reclaim_from = self.reclaim_from.min(index);
                    }
                },
            }
        }
        if changed {
            self.record_runway().await?;
        }
        Ok(())
    }

    /// Sends the proposal of every due output whose block is safe: derived
    /// from L1 batches and agreed with by the L2 (op-proposer proposes
    /// from op-node's safe head the same way), so the root is the derived
    /// chain's, never the sequencer's unsafe view. Does not wait for
    /// receipts.
    async fn propose(&mut self, shutdown: &CancellationToken) -> Result<(), BatcherError> {
        let interval = self.config.output_interval.max(1);
        let oracle = self.config.output_oracle;
        let next_unbatched: u64 =
            self.view(self.config.batch_inbox, BatchInbox::nextL2BlockCall {}).await?;
        let safe = self.l2.safe_head().await?;
        let latest: U256 = self.view(oracle, OutputOracle::latestBlockNumberCall {}).await?;
        let latest: u64 = latest.saturating_to();
        metrics::gauge!("rollup_proposer_output_lag_blocks")
            .set(safe.saturating_sub(latest) as f64);
        let Some(after) = self.in_flight.resume_after(latest) else { return Ok(()) };
        let cap =
            if self.games_in_progress > 0 { 1 } else { self.config.max_pending_proposals.max(1) };
        let room = cap.saturating_sub(self.in_flight.len());
        if room == 0 {
            return Ok(());
        }
        let unsafe_from = self.faults.propose_unsafe_from.load(Ordering::Relaxed);
        let next = next_output(after, interval);
        let mut colluding_root = None;
        let targets = if unsafe_from != 0 && next >= unsafe_from && next < next_unbatched {
            // A colluding proposer: this output from the unsafe chain. Keep
            // that chain's roots over the output's range: the game against
            // it is defended with them once the sequencer has reorged them
            // away.
            let mut roots = BTreeMap::new();
            for block in after + 1..=next {
                roots.insert(block, self.l2.output_root(block).await?);
            }
            let root = roots[&next];
            colluding_root = Some(root);
            self.colluded = Some(crate::defense::Colluded { root, roots });
            self.faults.propose_unsafe_from.store(0, Ordering::Relaxed);
            tracing::warn!(target: "proposer", l2_block = next, "FAULT: proposing an output of the unsafe chain");
            vec![next]
        } else {
            due_outputs(after, interval, safe, next_unbatched, room)
        };
        if targets.is_empty() {
            return Ok(());
        }
        let bond: U256 = self.view(oracle, OutputOracle::bondCall {}).await?;
        for l2_block in targets {
            let mut root = match colluding_root.take() {
                Some(root) => root,
                None => self.l2.output_root(l2_block).await?,
            };
            if self.faults.invalid_output_root.swap(false, Ordering::Relaxed) {
                root = keccak256(root);
                tracing::warn!(target: "proposer", l2_block, "FAULT: proposing a wrong output root");
            }
            let call =
                OutputOracle::proposeCall { l2BlockNumber: U256::from(l2_block), outputRoot: root };
            let pending = self.txmgr.send_nowait(oracle, call.abi_encode().into(), bond).await?;
            tracing::debug!(target: "proposer", l2_block, %root, l1_tx = %pending.hash(), nonce = pending.nonce(), in_flight = self.in_flight.len() + 1, "sent an output proposal");
            self.in_flight.push(
                Action::Propose { l2_block, root },
                Confirming::spawn(pending, shutdown.clone()),
            );
        }
        Ok(())
    }

    /// Sends a bond reclaim (`OutputOracle.reclaimBond`) for every final
    /// output of this proposer, oldest first, in the slots of
    /// `max_pending_proposals` the proposals leave free (keeping one for the
    /// next proposal when there are several; none while the queue drains
    /// after a failed proposal), so that its balance stays flat: a bond is
    /// locked for one challenge window, not forever.
    /// Scans from the first output not known settled, at most
    /// [`MAX_RECLAIM_SCAN`] outputs a pass, and stops at the first output
    /// not final yet (outputs are final in index order: their windows end
    /// in proposal order, and one after a challenged output is not final).
    async fn reclaim_bonds(&mut self, shutdown: &CancellationToken) -> Result<(), BatcherError> {
        if self.in_flight.draining() {
            return Ok(());
        }
        let cap = self.config.max_pending_proposals.max(1);
        let mut room = cap.saturating_sub(1).max(1).saturating_sub(self.in_flight.len());
        let oracle = self.config.output_oracle;
        let count: u64 = self.view(oracle, OutputOracle::outputCountCall {}).await?.saturating_to();
        let mut index = self.reclaim_from.min(count);
        let end = count.min(index.saturating_add(MAX_RECLAIM_SCAN));
        while index < end && room > 0 {
            if !self.in_flight.reclaiming(index) {
                let output = self
                    .view(oracle, OutputOracle::getOutputCall { index: U256::from(index) })
                    .await?;
                if !output.bondReclaimed && output.proposer == self.txmgr.address() {
                    let is_final: bool = self
                        .view(oracle, OutputOracle::isFinalCall { index: U256::from(index) })
                        .await?;
                    if !is_final {
                        break;
                    }
                    let call = OutputOracle::reclaimBondCall { index: U256::from(index) };
                    match self.txmgr.send_nowait(oracle, call.abi_encode().into(), U256::ZERO).await
                    {
                        Ok(pending) => {
                            self.in_flight.push(
                                Action::Reclaim { index },
                                Confirming::spawn(pending, shutdown.clone()),
                            );
                            room -= 1;
                        }
                        // Estimation refused it: reclaimed by someone else meanwhile.
                        Err(TxError::WouldRevert(_)) => {
                            tracing::debug!(target: "proposer", output_index = index, "bond already reclaimed");
                        }
                        Err(e) => {
                            self.reclaim_from = index;
                            return Err(e.into());
                        }
                    }
                }
            }
            index += 1;
        }
        self.reclaim_from = index;
        Ok(())
    }

    /// The proposer's balance and how many more outputs it pays the bond of
    /// (its runway), logged and exposed as metrics; a warning below ten.
    async fn record_runway(&self) -> Result<(), BatcherError> {
        let bond: U256 = self.view(self.config.output_oracle, OutputOracle::bondCall {}).await?;
        let balance = self.l1.get_balance(self.txmgr.address()).await?;
        let runway: u64 = if bond.is_zero() { u64::MAX } else { (balance / bond).saturating_to() };
        let balance_eth = gwei(balance) as f64 / 1e9;
        metrics::gauge!("rollup_proposer_balance_eth").set(balance_eth);
        metrics::gauge!("rollup_proposer_runway_outputs").set(runway as f64);
        if runway < 10 {
            tracing::warn!(target: "proposer", balance_eth, runway_outputs = runway, "the proposer can bond few more outputs: fund it");
        } else {
            tracing::debug!(target: "proposer", balance_eth, runway_outputs = runway, "proposer runway");
        }
        Ok(())
    }
}
