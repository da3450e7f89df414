//! The indexer: every tick it scans the L1 and L2 blocks it has not seen with
//! `eth_getLogs` and stores what the API serves:
//!
//! - L1 `Bridge.TransactionDeposited` (deposits), `Bridge.WithdrawalFinalized`,
//!   `BatchInbox.BatchAppended` (batches), `OutputOracle.OutputProposed`,
//!   `OutputsDeleted`, `OutputChallenged` (outputs) and `BondSlashed`, and,
//!   when a `DisputeGameFactory` is configured, its `GameCreated`, `Moved`,
//!   `BlockProven`, `GameResolved` and `GameCancelled` (the results are
//!   stored; the games themselves are read from the factory's views);
//! - L2 `L2ToL1MessagePasser.MessagePassed` (withdrawals), and the receipts
//!   of the L2 deposit transactions of deposits not yet credited.
//!
//! The events of a block range, the hashes of its blocks and the cursor past
//! it are written in one database transaction, so after a restart the scan
//! resumes where it stopped without gaps or duplicates. Once written, they
//! are announced on the [`EventBus`] (`GET /v1/events`), so each is
//! announced once, and never again for blocks indexed before a restart.
//!
//! # Reorgs
//!
//! Both chains reorg: the L1 (`anvil_reorg`, `anvil_rollback`, `evm_revert`;
//! never below its finalized block) and the L2 (the sequencer unwinds to
//! what L1 derives). Before each scan the indexer compares the hash it
//! recorded for the last indexed block with the chain's block at that
//! height; when they differ it walks back through the recorded hashes (the
//! last 256 per chain; every block of a scan of fewer
//! than [`HASHED_RANGE`] blocks, else its last) to the highest one the chain
//! still has, forgets what it indexed from the later blocks
//! ([`Store::roll_back`]) and scans them again. Events already announced
//! for dropped blocks are not retracted on `/v1/events`.

use crate::{
    chain::Chains,
    config::BridgeConfig,
    events::{
        BatchEvent, BondSlashedEvent, BridgeEvent, ChallengeCancelledEvent, ChallengeMoveEvent,
        ChallengeOpenedEvent, ChallengeProvenEvent, ChallengeResolvedEvent, DepositEvent, EventBus,
        OutputChallengedEvent, OutputEvent, OutputsDeletedEvent, RangeJson, WithdrawalEvent,
        WithdrawalFinalizedEvent, side_name,
    },
    store::{
        BatchRow, Chain, DepositRow, FinalizationRow, GameResultRow, L1Event, OutputRow, Store,
        WithdrawalRow,
    },
};
use alloy::{
    providers::Provider,
    rpc::types::{Filter, Log},
    sol_types::SolEvent,
};
use alloy_primitives::{Address, B256};
use rollup_contracts::{
    BatchInbox, Bridge, DisputeGameFactory, L2_TO_L1_MESSAGE_PASSER, L2ToL1MessagePasser,
    OutputOracle,
};
use rollup_protocol::{UserDeposit, WithdrawalMessage};
use std::{
    sync::{
        Arc, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};
use tokio_util::sync::CancellationToken;

/// Interval between two scans.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// Most blocks per `eth_getLogs` query.
const MAX_RANGE: u64 = 1_000;
/// Most uncredited deposits whose L2 receipt is looked up per scan.
const MAX_CREDIT_CHECKS: u64 = 64;
/// Scans of fewer blocks record every block's hash (one header request
/// each); longer ones (catching up) only their last block's.
pub(crate) const HASHED_RANGE: u64 = 32;

/// Progress of the indexer, shared with the API.
#[derive(Debug, Default)]
pub(crate) struct IndexerStatus {
    /// Next L1 block to scan (every block below is indexed).
    pub(crate) l1_next: AtomicU64,
    /// Next L2 block to scan.
    pub(crate) l2_next: AtomicU64,
    /// Timestamp of the latest L1 head seen, unix seconds (0: unknown).
    pub(crate) l1_head_timestamp: AtomicU64,
    /// `OutputOracle.challengeWindow()`, once read.
    pub(crate) challenge_window: OnceLock<u64>,
    /// `OutputOracle.proposer()`, once read.
    pub(crate) proposer: OnceLock<Address>,
}

impl IndexerStatus {
    /// Whether every L2 block up to `number` is indexed.
    pub(crate) fn l2_indexed_through(&self, number: u64) -> bool {
        self.l2_next.load(Ordering::Acquire) > number
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum IndexError {
    #[error("{0} RPC: {1}")]
    Rpc(&'static str, alloy::transports::TransportError),
    #[error(transparent)]
    Db(#[from] rollup_db::DbError),
    #[error("bad log from {0}: {1}")]
    BadLog(&'static str, String),
}

/// The indexer task.
#[derive(Debug)]
pub(crate) struct Indexer {
    pub(crate) config: BridgeConfig,
    pub(crate) chains: Arc<Chains>,
    pub(crate) store: Store,
    pub(crate) status: Arc<IndexerStatus>,
    pub(crate) events: EventBus,
}

fn position(log: &Log, chain: &'static str) -> Result<(B256, u64, u64), IndexError> {
    match (log.transaction_hash, log.block_number, log.log_index) {
        (Some(tx), Some(block), Some(index)) => Ok((tx, block, index)),
        _ => Err(IndexError::BadLog(chain, "log without tx hash, block or index".into())),
    }
}

const fn label(chain: Chain) -> &'static str {
    match chain {
        Chain::L1 => "L1",
        Chain::L2 => "L2",
    }
}

fn bad(chain: &'static str) -> impl Fn(alloy_sol_types::Error) -> IndexError {
    move |e| IndexError::BadLog(chain, e.to_string())
}

impl Indexer {
    /// Runs until `shutdown`.
    pub(crate) async fn run(self, shutdown: CancellationToken) {
        let mut ticker = tokio::time::interval(POLL_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_error: [Option<String>; 2] = [None, None];
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = ticker.tick() => {}
            }
            for (i, chain) in [Chain::L1, Chain::L2].into_iter().enumerate() {
                let result = match chain {
                    Chain::L1 => self.index_l1().await,
                    Chain::L2 => self.index_l2().await,
                };
                match result {
                    Ok(()) => {
                        if last_error[i].take().is_some() {
                            tracing::info!(target: "bridge::indexer", chain = chain.name(), "indexing resumed");
                        }
                    }
                    Err(e) => {
                        let message = e.to_string();
                        if last_error[i].as_deref() != Some(message.as_str()) {
                            tracing::warn!(target: "bridge::indexer", chain = chain.name(), error = %message, "indexing failed; retrying");
                            last_error[i] = Some(message);
                        }
                    }
                }
            }
        }
    }

    async fn oracle_params(&self) {
        if self.status.challenge_window.get().is_none() {
            let call = OutputOracle::challengeWindowCall {};
            if let Ok(window) = self.chains.call(Chain::L1, self.config.output_oracle, &call).await
            {
                let window = window.saturating_to::<u64>();
                if window != self.config.challenge_window_secs {
                    tracing::warn!(target: "bridge::indexer", configured = self.config.challenge_window_secs, on_l1 = window, "challenge window differs from the OutputOracle's; using the L1 value");
                }
                let _ = self.status.challenge_window.set(window);
            }
        }
        if self.status.proposer.get().is_none() {
            let call = OutputOracle::proposerCall {};
            if let Ok(proposer) =
                self.chains.call(Chain::L1, self.config.output_oracle, &call).await
            {
                let _ = self.status.proposer.set(proposer);
            }
        }
    }

    async fn index_l1(&self) -> Result<(), IndexError> {
        let rpc = |e| IndexError::Rpc("L1", e);
        let head = self.chains.head(Chain::L1).await.map_err(rpc)?;
        if let Some(header) = self.chains.header(Chain::L1, head).await.map_err(rpc)? {
            self.status.l1_head_timestamp.fetch_max(header.timestamp.to(), Ordering::AcqRel);
        }
        self.oracle_params().await;
        if self.follow_reorg(Chain::L1).await? {
            return Ok(());
        }
        let from = self.status.l1_next.load(Ordering::Acquire);
        if from > head {
            return Ok(());
        }
        let to = head.min(from + MAX_RANGE - 1);
        let Some(hashes) = self.range_hashes(Chain::L1, from, to).await? else {
            return Ok(());
        };
        let c = &self.config;
        let mut addresses = vec![c.bridge, c.batch_inbox, c.output_oracle];
        let mut signatures = vec![
            Bridge::TransactionDeposited::SIGNATURE_HASH,
            Bridge::WithdrawalFinalized::SIGNATURE_HASH,
            BatchInbox::BatchAppended::SIGNATURE_HASH,
            OutputOracle::OutputProposed::SIGNATURE_HASH,
            OutputOracle::OutputsDeleted::SIGNATURE_HASH,
            OutputOracle::OutputChallenged::SIGNATURE_HASH,
            OutputOracle::BondSlashed::SIGNATURE_HASH,
        ];
        if let Some(factory) = c.dispute_game_factory {
            addresses.push(factory);
            signatures.extend([
                DisputeGameFactory::GameCreated::SIGNATURE_HASH,
                DisputeGameFactory::Moved::SIGNATURE_HASH,
                DisputeGameFactory::BlockProven::SIGNATURE_HASH,
                DisputeGameFactory::GameResolved::SIGNATURE_HASH,
                DisputeGameFactory::GameCancelled::SIGNATURE_HASH,
            ]);
        }
        let filter = Filter::new()
            .address(addresses)
            .event_signature(signatures)
            .from_block(from)
            .to_block(to);
        let logs = self.chains.provider(Chain::L1).get_logs(&filter).await.map_err(rpc)?;
        if !self.unmoved(Chain::L1, &hashes, &logs).await? {
            return Ok(());
        }
        let mut rows = Vec::with_capacity(logs.len());
        let mut announced = Vec::with_capacity(logs.len());
        for log in &logs {
            let (row, event) = self.l1_event(log).await?;
            rows.extend(row);
            announced.extend(event);
        }
        self.store.apply_l1(&rows, &hashes, to + 1).await?;
        self.status.l1_next.store(to + 1, Ordering::Release);
        if !rows.is_empty() {
            tracing::debug!(target: "bridge::indexer", from, to, events = rows.len(), "indexed L1 blocks");
        }
        self.events.send_all(announced);
        Ok(())
    }

    /// What an L1 log means for the database and for `/v1/events`.
    async fn l1_event(
        &self,
        log: &Log,
    ) -> Result<(Option<L1Event>, Option<BridgeEvent>), IndexError> {
        let c = &self.config;
        let Some(topic) = log.topic0().copied() else { return Ok((None, None)) };
        let (l1_tx_hash, l1_block, log_index) = position(log, "L1")?;
        let tx = l1_tx_hash.to_string();
        let address = log.address();
        let factory = c.dispute_game_factory.filter(|f| *f == address);
        let found = if address == c.bridge && topic == Bridge::TransactionDeposited::SIGNATURE_HASH
        {
            let row = deposit_from_log(log)?;
            let event = BridgeEvent::DepositInitiated(deposit_event(&row));
            (Some(L1Event::Deposit(row)), Some(event))
        } else if address == c.bridge && topic == Bridge::WithdrawalFinalized::SIGNATURE_HASH {
            let e = Bridge::WithdrawalFinalized::decode_log(&log.inner).map_err(bad("L1"))?;
            let event = BridgeEvent::WithdrawalFinalized(WithdrawalFinalizedEvent {
                withdrawal_hash: e.withdrawalHash.to_string(),
                success: e.success,
                l1_block,
                l1_tx_hash: tx,
            });
            let row = FinalizationRow {
                withdrawal_hash: e.withdrawalHash,
                l1_tx_hash,
                l1_block,
                success: e.success,
            };
            (Some(L1Event::Finalized(row)), Some(event))
        } else if address == c.batch_inbox && topic == BatchInbox::BatchAppended::SIGNATURE_HASH {
            let e = BatchInbox::BatchAppended::decode_log(&log.inner).map_err(bad("L1"))?;
            let l1_timestamp = match log.block_timestamp {
                Some(ts) => ts,
                None => self
                    .chains
                    .header(Chain::L1, l1_block)
                    .await
                    .map_err(|e| IndexError::Rpc("L1", e))?
                    .map(|h| h.timestamp.to())
                    .unwrap_or_default(),
            };
            let row = BatchRow {
                index: e.batchIndex.saturating_to(),
                l1_block,
                log_index,
                l1_tx_hash,
                l1_timestamp,
                l2_start: e.l2Start,
                l2_end: e.l2End,
                commitment: e.commitment,
                is_blob: e.isBlob,
            };
            let event = BridgeEvent::BatchPosted(BatchEvent {
                index: row.index,
                l2_start: row.l2_start,
                l2_end: row.l2_end,
                commitment: row.commitment.to_string(),
                is_blob: row.is_blob,
                timestamp: l1_timestamp,
                l1_block,
                l1_tx_hash: tx,
            });
            (Some(L1Event::Batch(row)), Some(event))
        } else if address == c.output_oracle
            && topic == OutputOracle::OutputProposed::SIGNATURE_HASH
        {
            let e = OutputOracle::OutputProposed::decode_log(&log.inner).map_err(bad("L1"))?;
            let row = OutputRow {
                index: e.outputIndex.saturating_to(),
                l1_block,
                log_index,
                l1_tx_hash,
                l2_block: e.l2BlockNumber.saturating_to(),
                output_root: e.outputRoot,
                timestamp: e.timestamp.saturating_to(),
                deleted: false,
                challenged: false,
            };
            let event = BridgeEvent::OutputProposed(OutputEvent {
                index: row.index,
                l2_block: row.l2_block,
                output_root: row.output_root.to_string(),
                timestamp: row.timestamp,
                l1_block,
                l1_tx_hash: tx,
            });
            (Some(L1Event::Output(row)), Some(event))
        } else if address == c.output_oracle
            && topic == OutputOracle::OutputsDeleted::SIGNATURE_HASH
        {
            let e = OutputOracle::OutputsDeleted::decode_log(&log.inner).map_err(bad("L1"))?;
            let from_index = e.fromIndex.saturating_to();
            let event = BridgeEvent::OutputsDeleted(OutputsDeletedEvent {
                from_index,
                prev_next_index: e.prevNextIndex.saturating_to(),
                l1_block,
                l1_tx_hash: tx,
            });
            (Some(L1Event::OutputsDeleted(from_index, l1_block)), Some(event))
        } else if address == c.output_oracle
            && topic == OutputOracle::OutputChallenged::SIGNATURE_HASH
        {
            let e = OutputOracle::OutputChallenged::decode_log(&log.inner).map_err(bad("L1"))?;
            let index = e.outputIndex.saturating_to();
            let event = BridgeEvent::OutputChallenged(OutputChallengedEvent {
                output_index: index,
                challenged: e.challenged,
                l1_block,
                l1_tx_hash: tx,
            });
            (Some(L1Event::OutputChallenged(index, e.challenged, l1_block, log_index)), Some(event))
        } else if address == c.output_oracle && topic == OutputOracle::BondSlashed::SIGNATURE_HASH {
            let e = OutputOracle::BondSlashed::decode_log(&log.inner).map_err(bad("L1"))?;
            let event = BridgeEvent::BondSlashed(BondSlashedEvent {
                output_index: e.outputIndex.saturating_to(),
                to: e.to.to_string(),
                amount: e.amount.to_string(),
                l1_block,
                l1_tx_hash: tx,
            });
            (None, Some(event))
        } else if factory.is_some() && topic == DisputeGameFactory::GameCreated::SIGNATURE_HASH {
            let e = DisputeGameFactory::GameCreated::decode_log(&log.inner).map_err(bad("L1"))?;
            let event = BridgeEvent::ChallengeOpened(ChallengeOpenedEvent {
                game_id: e.gameId.saturating_to(),
                output_index: e.outputIndex.saturating_to(),
                challenger: e.challenger.to_string(),
                range: RangeJson { lo: e.lo, hi: e.hi },
                agreed_root: e.loRoot.to_string(),
                disputed_root: e.proposerRoot.to_string(),
                counter_root: e.counterRoot.to_string(),
                l1_block,
                l1_tx_hash: tx,
            });
            (None, Some(event))
        } else if factory.is_some() && topic == DisputeGameFactory::Moved::SIGNATURE_HASH {
            let e = DisputeGameFactory::Moved::decode_log(&log.inner).map_err(bad("L1"))?;
            let posted = e.midBlock != 0;
            let event = BridgeEvent::ChallengeMove(ChallengeMoveEvent {
                game_id: e.gameId.saturating_to(),
                side: side_name(e.side),
                agreed: e.agreed,
                range: RangeJson { lo: e.lo, hi: e.hi },
                mid_block: posted.then_some(e.midBlock),
                mid_root: posted.then(|| e.midRoot.to_string()),
                clock_used_secs: e.clockUsed,
                l1_block,
                l1_tx_hash: tx,
            });
            (None, Some(event))
        } else if factory.is_some() && topic == DisputeGameFactory::BlockProven::SIGNATURE_HASH {
            let e = DisputeGameFactory::BlockProven::decode_log(&log.inner).map_err(bad("L1"))?;
            let game_id = e.gameId.saturating_to();
            let event = BridgeEvent::ChallengeProven(ChallengeProvenEvent {
                game_id,
                l2_block: e.block,
                output_root: e.outputRoot.to_string(),
                l1_block,
                l1_tx_hash: tx,
            });
            let row = GameResultRow {
                game_id,
                proven: Some((e.block, e.outputRoot)),
                l1_block,
                l1_tx_hash,
                ..GameResultRow::default()
            };
            (Some(L1Event::GameProven(row)), Some(event))
        } else if factory.is_some() && topic == DisputeGameFactory::GameResolved::SIGNATURE_HASH {
            let e = DisputeGameFactory::GameResolved::decode_log(&log.inner).map_err(bad("L1"))?;
            let game_id = e.gameId.saturating_to();
            let event = BridgeEvent::ChallengeResolved(ChallengeResolvedEvent {
                game_id,
                winner: side_name(e.winner),
                reason: e.reason.clone(),
                l1_block,
                l1_tx_hash: tx,
            });
            let row = GameResultRow {
                game_id,
                winner: Some(e.winner),
                reason: Some(e.reason.clone()),
                l1_block,
                l1_tx_hash,
                ..GameResultRow::default()
            };
            (Some(L1Event::GameResolved(row)), Some(event))
        } else if factory.is_some() && topic == DisputeGameFactory::GameCancelled::SIGNATURE_HASH {
            let e = DisputeGameFactory::GameCancelled::decode_log(&log.inner).map_err(bad("L1"))?;
            let event = BridgeEvent::ChallengeCancelled(ChallengeCancelledEvent {
                game_id: e.gameId.saturating_to(),
                output_index: e.outputIndex.saturating_to(),
                l1_block,
                l1_tx_hash: tx,
            });
            (None, Some(event))
        } else {
            (None, None)
        };
        Ok(found)
    }

    /// The next block to scan on `chain`.
    fn next_block(&self, chain: Chain) -> &AtomicU64 {
        match chain {
            Chain::L1 => &self.status.l1_next,
            Chain::L2 => &self.status.l2_next,
        }
    }

    /// Whether `chain` reorged under what was indexed; if so, the index is
    /// rolled back to the fork point (the highest recorded block the chain
    /// still has; genesis if none) and the caller scans again next tick.
    async fn follow_reorg(&self, chain: Chain) -> Result<bool, IndexError> {
        let label = label(chain);
        let rpc = |e| IndexError::Rpc(label, e);
        let kept = self.store.block_hashes(chain).await?;
        let Some(&(top, top_hash)) = kept.first() else { return Ok(false) };
        let same = |header: Option<crate::chain::RpcHeader>, hash: B256| {
            header.is_some_and(|h| h.hash == hash)
        };
        if same(self.chains.header(chain, top).await.map_err(rpc)?, top_hash) {
            return Ok(false);
        }
        let mut next = 0;
        for &(number, hash) in &kept[1..] {
            if same(self.chains.header(chain, number).await.map_err(rpc)?, hash) {
                next = number + 1;
                break;
            }
        }
        let indexed_to = self.next_block(chain).load(Ordering::Acquire).saturating_sub(1);
        self.store.roll_back(chain, next).await?;
        self.next_block(chain).store(next, Ordering::Release);
        tracing::warn!(target: "bridge::indexer", chain = chain.name(), fork = next.saturating_sub(1), indexed_to, "reorg: forgot what was indexed from the dropped blocks; indexing them again");
        Ok(true)
    }

    /// The hashes of the blocks of `from..=to` to record (every block of a
    /// short range, the last of a long one), read before the range's logs;
    /// `None` if the chain no longer reaches `to`.
    async fn range_hashes(
        &self,
        chain: Chain,
        from: u64,
        to: u64,
    ) -> Result<Option<Vec<(u64, B256)>>, IndexError> {
        let numbers = if to - from < HASHED_RANGE { from } else { to };
        let mut hashes = Vec::new();
        for number in numbers..=to {
            let header = self
                .chains
                .header(chain, number)
                .await
                .map_err(|e| IndexError::Rpc(label(chain), e))?;
            let Some(header) = header else { return Ok(None) };
            hashes.push((number, header.hash));
        }
        Ok(Some(hashes))
    }

    /// Whether `logs` belong to the blocks whose `hashes` were read before
    /// them and the last of those blocks is still the chain's: otherwise a
    /// reorg came in between, and the range is scanned again next tick.
    async fn unmoved(
        &self,
        chain: Chain,
        hashes: &[(u64, B256)],
        logs: &[Log],
    ) -> Result<bool, IndexError> {
        let Some(&(to, to_hash)) = hashes.last() else { return Ok(true) };
        let consistent = logs.iter().all(|log| match (log.block_number, log.block_hash) {
            (Some(n), Some(h)) => hashes.iter().all(|(m, k)| *m != n || *k == h),
            _ => true,
        });
        let header =
            self.chains.header(chain, to).await.map_err(|e| IndexError::Rpc(label(chain), e))?;
        Ok(consistent && header.is_some_and(|h| h.hash == to_hash))
    }

    async fn index_l2(&self) -> Result<(), IndexError> {
        let rpc = |e| IndexError::Rpc("L2", e);
        let head = self.chains.head(Chain::L2).await.map_err(rpc)?;
        if self.follow_reorg(Chain::L2).await? {
            return Ok(());
        }
        let from = self.status.l2_next.load(Ordering::Acquire);
        if from > head {
            return Ok(());
        }
        let to = head.min(from + MAX_RANGE - 1);
        let Some(hashes) = self.range_hashes(Chain::L2, from, to).await? else {
            return Ok(());
        };
        let filter = Filter::new()
            .address(L2_TO_L1_MESSAGE_PASSER)
            .event_signature(L2ToL1MessagePasser::MessagePassed::SIGNATURE_HASH)
            .from_block(from)
            .to_block(to);
        let logs = self.chains.provider(Chain::L2).get_logs(&filter).await.map_err(rpc)?;
        if !self.unmoved(Chain::L2, &hashes, &logs).await? {
            return Ok(());
        }
        let withdrawals = logs.iter().map(withdrawal_from_log).collect::<Result<Vec<_>, _>>()?;
        // Deposits credited up to `to` (usually in `from..=to`; earlier if the
        // deposit was indexed on L1 after its L2 block was scanned).
        // Only deposits whose L1 block is indexed (`deposit-initiated` announced).
        let l1_next = self.status.l1_next.load(Ordering::Acquire);
        let mut credited = Vec::new();
        for mut deposit in self.store.uncredited_deposits(MAX_CREDIT_CHECKS).await? {
            if deposit.l1_block >= l1_next {
                continue;
            }
            let Some(receipt) =
                self.chains.receipt(Chain::L2, deposit.l2_tx_hash).await.map_err(rpc)?
            else {
                continue;
            };
            let l2_block: u64 = receipt.block_number.to();
            if l2_block <= to {
                deposit.l2_block = Some(l2_block);
                credited.push(deposit);
            }
        }
        let credits: Vec<_> =
            credited.iter().filter_map(|d| d.l2_block.map(|b| (d.deposit.index, b))).collect();
        self.store.apply_l2(&withdrawals, &credits, &hashes, to + 1).await?;
        self.status.l2_next.store(to + 1, Ordering::Release);
        if !withdrawals.is_empty() || !credits.is_empty() {
            tracing::debug!(target: "bridge::indexer", from, to, withdrawals = withdrawals.len(), deposits = credits.len(), "indexed L2 blocks");
        }
        // Per L2 block: its deposits come first.
        let mut announced: Vec<(u64, u8, u64, BridgeEvent)> = credited
            .iter()
            .map(|d| {
                let block = d.l2_block.unwrap_or_default();
                (block, 0, d.deposit.index, BridgeEvent::DepositCredited(deposit_event(d)))
            })
            .collect();
        announced.extend(withdrawals.iter().map(|w| {
            let nonce = w.message.nonce.saturating_to();
            let event = BridgeEvent::WithdrawalInitiated(WithdrawalEvent {
                withdrawal_hash: w.hash.to_string(),
                nonce,
                from: w.message.sender.to_string(),
                to: w.message.target.to_string(),
                amount: w.message.value.to_string(),
                l2_block: w.l2_block,
                l2_tx_hash: w.l2_tx_hash.to_string(),
            });
            (w.l2_block, 1, nonce, event)
        }));
        announced.sort_by_key(|(block, order, index, _)| (*block, *order, *index));
        self.events.send_all(announced.into_iter().map(|(.., e)| e).collect());
        Ok(())
    }
}

/// The event of a deposit (`deposit-credited` when its L2 block is known).
fn deposit_event(d: &DepositRow) -> DepositEvent {
    DepositEvent {
        deposit_index: d.deposit.index,
        from: d.deposit.from.to_string(),
        to: d.deposit.to.to_string(),
        amount: d.deposit.mint.to_string(),
        l1_block: d.l1_block,
        l1_tx_hash: d.l1_tx_hash.to_string(),
        l2_tx_hash: d.l2_tx_hash.to_string(),
        l2_block: d.l2_block,
    }
}

/// The withdrawal of a `MessagePassed` log of the L2 message passer.
pub(crate) fn withdrawal_from_log(log: &Log) -> Result<WithdrawalRow, IndexError> {
    let (l2_tx_hash, l2_block, _) = position(log, "L2")?;
    let e = L2ToL1MessagePasser::MessagePassed::decode_log(&log.inner).map_err(bad("L2"))?.data;
    let message = WithdrawalMessage {
        nonce: e.nonce,
        sender: e.sender,
        target: e.target,
        value: e.value,
        gas_limit: e.gasLimit,
        data: e.data.clone(),
    };
    if message.hash() != e.withdrawalHash {
        return Err(IndexError::BadLog(
            "L2",
            format!("MessagePassed hash {} does not match its fields", e.withdrawalHash),
        ));
    }
    Ok(WithdrawalRow { hash: e.withdrawalHash, message, l2_block, l2_tx_hash })
}

/// The deposit of a `TransactionDeposited` log of the L1 bridge.
pub(crate) fn deposit_from_log(log: &Log) -> Result<DepositRow, IndexError> {
    let (l1_tx_hash, l1_block, log_index) = position(log, "L1")?;
    let e = Bridge::TransactionDeposited::decode_log(&log.inner).map_err(bad("L1"))?;
    let deposit = UserDeposit::from(&e.data);
    Ok(DepositRow {
        l2_tx_hash: deposit.to_tx().tx_hash(),
        deposit,
        l1_tx_hash,
        l1_block,
        log_index,
        l2_block: None,
    })
}
