//! The indexer: every tick it scans the L1 and L2 blocks it has not seen with
//! `eth_getLogs` and stores what the API serves:
//!
//! - L1 `Bridge.TransactionDeposited` (deposits), `Bridge.WithdrawalFinalized`,
//!   `BatchInbox.BatchAppended` (batches), `OutputOracle.OutputProposed` and
//!   `OutputsDeleted` (outputs);
//! - L2 `L2ToL1MessagePasser.MessagePassed` (withdrawals).
//!
//! The events of a block range and the cursor past it are written in one
//! database transaction, so after a restart the scan resumes where it
//! stopped without gaps or duplicates. (The devnet L1 does not reorg; a
//! reorg-aware cursor would also keep block hashes.)

use crate::{
    chain::Chains,
    config::BridgeConfig,
    store::{
        BatchRow, Chain, DepositRow, FinalizationRow, L1Event, OutputRow, Store, WithdrawalRow,
    },
};
use alloy::{
    providers::Provider,
    rpc::types::{Filter, Log},
    sol_types::SolEvent,
};
use alloy_primitives::{Address, B256};
use rollup_contracts::{
    BatchInbox, Bridge, L2_TO_L1_MESSAGE_PASSER, L2ToL1MessagePasser, OutputOracle,
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
    Db(#[from] rollup_node::db::DbError),
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
}

fn position(log: &Log, chain: &'static str) -> Result<(B256, u64, u64), IndexError> {
    match (log.transaction_hash, log.block_number, log.log_index) {
        (Some(tx), Some(block), Some(index)) => Ok((tx, block, index)),
        _ => Err(IndexError::BadLog(chain, "log without tx hash, block or index".into())),
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
        let from = self.status.l1_next.load(Ordering::Acquire);
        if from > head {
            return Ok(());
        }
        let to = head.min(from + MAX_RANGE - 1);
        let c = &self.config;
        let filter = Filter::new()
            .address(vec![c.bridge, c.batch_inbox, c.output_oracle])
            .event_signature(vec![
                Bridge::TransactionDeposited::SIGNATURE_HASH,
                Bridge::WithdrawalFinalized::SIGNATURE_HASH,
                BatchInbox::BatchAppended::SIGNATURE_HASH,
                OutputOracle::OutputProposed::SIGNATURE_HASH,
                OutputOracle::OutputsDeleted::SIGNATURE_HASH,
            ])
            .from_block(from)
            .to_block(to);
        let logs = self.chains.provider(Chain::L1).get_logs(&filter).await.map_err(rpc)?;
        let mut events = Vec::with_capacity(logs.len());
        for log in &logs {
            if let Some(event) = self.l1_event(log).await? {
                events.push(event);
            }
        }
        self.store.apply_l1(&events, to + 1).await?;
        self.status.l1_next.store(to + 1, Ordering::Release);
        if !events.is_empty() {
            tracing::debug!(target: "bridge::indexer", from, to, events = events.len(), "indexed L1 blocks");
        }
        Ok(())
    }

    async fn l1_event(&self, log: &Log) -> Result<Option<L1Event>, IndexError> {
        let c = &self.config;
        let Some(topic) = log.topic0().copied() else { return Ok(None) };
        let (l1_tx_hash, l1_block, log_index) = position(log, "L1")?;
        let address = log.address();
        let event = if address == c.bridge && topic == Bridge::TransactionDeposited::SIGNATURE_HASH
        {
            L1Event::Deposit(deposit_from_log(log)?)
        } else if address == c.bridge && topic == Bridge::WithdrawalFinalized::SIGNATURE_HASH {
            let e = Bridge::WithdrawalFinalized::decode_log(&log.inner).map_err(bad("L1"))?;
            L1Event::Finalized(FinalizationRow {
                withdrawal_hash: e.withdrawalHash,
                l1_tx_hash,
                l1_block,
                success: e.success,
            })
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
            L1Event::Batch(BatchRow {
                index: e.batchIndex.saturating_to(),
                l1_block,
                log_index,
                l1_tx_hash,
                l1_timestamp,
                l2_start: e.l2Start,
                l2_end: e.l2End,
                commitment: e.commitment,
                is_blob: e.isBlob,
            })
        } else if address == c.output_oracle
            && topic == OutputOracle::OutputProposed::SIGNATURE_HASH
        {
            let e = OutputOracle::OutputProposed::decode_log(&log.inner).map_err(bad("L1"))?;
            L1Event::Output(OutputRow {
                index: e.outputIndex.saturating_to(),
                l1_block,
                log_index,
                l1_tx_hash,
                l2_block: e.l2BlockNumber.saturating_to(),
                output_root: e.outputRoot,
                timestamp: e.timestamp.saturating_to(),
                deleted: false,
            })
        } else if address == c.output_oracle
            && topic == OutputOracle::OutputsDeleted::SIGNATURE_HASH
        {
            let e = OutputOracle::OutputsDeleted::decode_log(&log.inner).map_err(bad("L1"))?;
            L1Event::OutputsDeleted(e.fromIndex.saturating_to())
        } else {
            return Ok(None);
        };
        Ok(Some(event))
    }

    async fn index_l2(&self) -> Result<(), IndexError> {
        let rpc = |e| IndexError::Rpc("L2", e);
        let head = self.chains.head(Chain::L2).await.map_err(rpc)?;
        let from = self.status.l2_next.load(Ordering::Acquire);
        if from > head {
            return Ok(());
        }
        let to = head.min(from + MAX_RANGE - 1);
        let filter = Filter::new()
            .address(L2_TO_L1_MESSAGE_PASSER)
            .event_signature(L2ToL1MessagePasser::MessagePassed::SIGNATURE_HASH)
            .from_block(from)
            .to_block(to);
        let logs = self.chains.provider(Chain::L2).get_logs(&filter).await.map_err(rpc)?;
        let withdrawals = logs.iter().map(withdrawal_from_log).collect::<Result<Vec<_>, _>>()?;
        self.store.apply_l2(&withdrawals, to + 1).await?;
        self.status.l2_next.store(to + 1, Ordering::Release);
        if !withdrawals.is_empty() {
            tracing::debug!(target: "bridge::indexer", from, to, withdrawals = withdrawals.len(), "indexed L2 blocks");
        }
        Ok(())
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
