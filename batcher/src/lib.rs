//! # rollup-batcher
//!
//! The batcher and proposer (op-batcher and op-proposer in one process: two
//! tasks of the `batcher` role, `batcher` and `proposer`, each with its own
//! key, transaction manager and loop, each supervised: either ending or
//! panicking stops the process with the reason). The batcher reads sealed
//! L2 blocks over the L2 JSON-RPC, encodes a run of them as a channel
//! (`version || compress(batches)`), splits it into frames and posts it in
//! one L1 transaction: the calldata of `BatchInbox.appendBatch`, or one
//! frame per blob with `BatchInbox.appendBlobBatch`. The proposer posts,
//! with its bond (`OutputOracle.bond()`, wei), the output root of every
//! `output_interval`-th L2 block once that block is safe (derived from the
//! batches on L1), reclaims the bond of every final output, and defends its
//! outputs in dispute games; it never holds up the batcher, which keeps
//! posting on its own cadence.
//!
//! # Proposing
//!
//! The proposer keeps up with a short output interval by keeping several
//! transactions in flight (`proposer.rs`, `inflight.rs`): when behind by
//! several intervals it sends the next due outputs at consecutive nonces
//! (assigned by the transaction manager, `rollup_client::txmgr`) without
//! waiting for each receipt, at most `max_pending_proposals`
//! ([`DEFAULT_MAX_PENDING_PROPOSALS`], 8) in flight, and takes their
//! receipts in the order sent. The `OutputOracle` takes outputs in strictly
//! increasing L2 block order and only of batched blocks; the proposer
//! proposes each multiple of the interval after the newest output, on the
//! oracle or in flight, so none twice and none skipped. A proposal that
//! reverts or is dropped past the transaction manager's timeout stops
//! proposing until everything sent after it has settled; it then resumes
//! from `OutputOracle.latestBlockNumber()`, re-read (a restart does the
//! same). While a dispute game is in progress it keeps one transaction in
//! flight: a lost game deletes outputs, and proposals built on them would
//! skip the deleted blocks. Bond reclaims (`OutputOracle.reclaimBond`,
//! oldest final output first) use the slots the proposals leave; dispute
//! moves wait for their receipt.
//!
//! # Channel filling
//!
//! An L1 transaction costs its 21,000 base gas and the inbox call however
//! little it carries, and a blob costs 131,072 blob gas full or not, so the
//! batcher fills channels before posting them, as op-batcher does:
//!
//! - **Capacity** of a channel: what one L1 transaction carries. Calldata: one
//!   frame of at most [`MAX_BATCH_DATA_BYTES`] of batch data
//!   ([`CALLDATA_CHANNEL_CAPACITY`]). Blobs: [`MAX_BLOBS_PER_TX`] (6) blobs
//!   of one frame each ([`BLOB_CHANNEL_CAPACITY`]). `auto` aims at whichever
//!   of the two full transactions costs less per byte at the current L1 base
//!   fee and blob base fee, and decides where the channel goes when posting
//!   it (the cheaper for its actual size; blobs if it is over the calldata
//!   capacity).
//! - The batcher keeps the sealed blocks not yet batched (contiguous from
//!   `BatchInbox.nextL2Block()`) and closes a channel when (see
//!   [`fill::FillPolicy`]): the pending blocks are **estimated to fill** the
//!   capacity; or `max_blocks_per_batch` blocks are pending; or the oldest
//!   pending block has waited `batch_interval` (the **maximum channel
//!   duration**; a quiet chain still gets its blocks on L1 that soon).
//! - The estimate is cheap: the blocks' raw size (their signed
//!   transactions) times the compression ratio measured on the last channel
//!   encoded, starting at 1.0 ([`fill::CompressionEstimate`]). An estimate that was too pessimistic
//!   is caught when encoding: if every pending block fits in less than 97%
//!   of the capacity, nothing is posted, the ratio is updated, and the
//!   batcher keeps filling.
//! - Encoding: the longest prefix of the pending blocks whose channel fits
//!   the capacity ([`fill::fit_prefix`]: proportional guesses on raw bytes
//!   within a bracket, a few compressions), off the async runtime. The rest
//!   waits for the next channel.
//!
//! Resuming is driven by the L1: `BatchInbox.nextL2Block()` is the first L2
//! block not yet batched and `OutputOracle.latestBlockNumber()` the last one
//! proposed, so a restart neither posts a block twice nor skips one (the
//! contracts enforce both as well). Blocks already older than the maximum
//! channel duration when a restarted batcher first sees them (by their L2
//! timestamp) are posted at once.
//!
//! # Layout
//!
//! `config.rs` ([`BatcherConfig`], its `DEFAULT_*` constants, `Default` and
//! `for_tests()`), `pending.rs` (the channel being filled), `fill.rs` (when
//! to close a channel and how much fits), `pricing.rs` (DA pricing: channel
//! capacities and the cost of a byte in calldata or blobs), `store.rs` (what
//! was posted), `proposer.rs` (the proposer's loop: proposals, bond
//! reclaims, runway), `inflight.rs` (which outputs are due, the queue of
//! transactions in flight), `defense.rs` (the proposer's side of dispute
//! games), and this file: [`spawn`] and the batcher's loop. Both talk to
//! the chains through `rollup-client` only.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod config;
mod defense;
pub mod fill;
mod inflight;
mod pending;
mod pricing;
mod proposer;
mod store;

pub use config::{
    BatcherConfig, DEFAULT_BATCH_INTERVAL, DEFAULT_COMPRESSION, DEFAULT_DA, DEFAULT_ENCODING,
    DEFAULT_MAX_BLOCKS_PER_BATCH, DEFAULT_MAX_PENDING_PROPOSALS, DEFAULT_OUTPUT_INTERVAL,
    DEFAULT_POLL_INTERVAL, DataAvailability,
};
pub use pricing::{BLOB_CHANNEL_CAPACITY, CALLDATA_CHANNEL_CAPACITY, MAX_BATCH_DATA_BYTES};
pub use rollup_client::txmgr::{Confirmed, PendingTx, TxError, TxManager, TxManagerConfig};
pub use store::{BatchRecord, BatcherStore, OutputRecord};

use pending::Pending;
use pricing::{Target, blob_cost, calldata_cost, full_batch_cost_per_byte};

use alloy::eips::eip4844::Blob;
use alloy::{
    providers::{Provider, RootProvider},
    rpc::types::TransactionReceipt,
    sol_types::SolCall,
};
use alloy_primitives::{Address, B128, B256, U256, keccak256};
use fill::{FillPolicy, Trigger, fit_prefix, raw_block_size};
use proposer::Proposer;
use rollup_client::{ErrorKind, L2Client, L2Provider, http_provider};
use rollup_contracts::BatchInbox;
use rollup_db::DbError;
use rollup_protocol::batch::{
    BatchBlock, FRAME_OVERHEAD, channel_to_blobs, encode_batch_data, encode_channel_with,
    split_channel,
};
use rollup_protocol::l1_blob::MAX_BLOBS_PER_TX;
use std::sync::{Arc, atomic::AtomicBool};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Errors of the batcher.
#[derive(Debug, thiserror::Error)]
pub enum BatcherError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// An RPC URL is invalid.
    #[error(transparent)]
    Client(#[from] rollup_client::ClientError),
    /// An RPC call failed (temporary).
    #[error("RPC: {0}")]
    Rpc(#[from] alloy::transports::TransportError),
    /// A transaction failed.
    #[error(transparent)]
    Tx(#[from] TxError),
    /// A contract call returned data that does not decode as its ABI says.
    #[error("contract call {call}: {source}")]
    Decode {
        /// The Solidity signature called.
        call: &'static str,
        /// Why it does not decode.
        source: alloy::sol_types::Error,
    },
    /// Reading the L2 failed.
    #[error(transparent)]
    L2(#[from] rollup_client::L2Error),
    /// A sealed L2 block the batcher expected is not there (the L2 was
    /// unwound).
    #[error("L2 block {0} not found")]
    MissingL2Block(u64),
    /// The channel encoder task panicked or was cancelled.
    #[error("encoding task: {0}")]
    Encode(#[from] tokio::task::JoinError),
    /// The blobs of a channel have no KZG sidecar (a non-canonical blob).
    #[error("blob sidecar: {0}")]
    Kzg(#[from] rollup_protocol::l1_blob::KzgError),
    /// An L1 transaction reverted.
    #[error("L1 transaction {0} reverted")]
    Reverted(B256),
}

impl BatcherError {
    /// How the batcher reacts (kona's classification): a broken database
    /// and shutdown stop it; a missing L2 block or a reverted batch mean the
    /// chain moved under it (reset: the next pass resyncs from
    /// `BatchInbox.nextL2Block()`); everything else is retried.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Db(_) => ErrorKind::Critical,
            Self::Client(e) => e.kind(),
            Self::Tx(e) => e.kind(),
            Self::L2(e) => e.kind(),
            Self::MissingL2Block(_) | Self::Reverted(_) => ErrorKind::Reset,
            Self::Rpc(_) | Self::Decode { .. } | Self::Encode(_) | Self::Kzg(_) => {
                ErrorKind::Temporary
            }
        }
    }
}

impl From<std::convert::Infallible> for BatcherError {
    fn from(e: std::convert::Infallible) -> Self {
        match e {}
    }
}

/// Fault switches of the proposer (devnet fault injection).
#[derive(Debug, Default)]
pub struct ProposerFaults {
    /// Propose a wrong output root next (once).
    pub invalid_output_root: AtomicBool,
    /// Stop defending outputs in dispute games (the proposer's clock runs out).
    pub stop_defending: AtomicBool,
    /// A colluding proposer: when not 0, the next output at or after this
    /// L2 block is proposed from the L2's latest view without waiting for
    /// it to be safe (once; set back to 0 when proposed).
    pub propose_unsafe_from: std::sync::atomic::AtomicU64,
}

/// A running batcher and proposer: two tasks of the `batcher` role, each
/// supervised (`batcher` and `proposer`).
#[derive(Debug)]
pub struct BatcherHandle {
    /// Its store (posted batches and outputs with their L1 costs).
    pub store: BatcherStore,
    /// Fault switches of the proposer.
    pub faults: Arc<ProposerFaults>,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    supervisor: rollup_client::Supervisor,
}

impl BatcherHandle {
    /// The supervisor of its tasks: [`rollup_client::Supervisor::failed`]
    /// resolves when either ends while the role runs.
    pub const fn supervisor(&self) -> &rollup_client::Supervisor {
        &self.supervisor
    }

    /// Stops and waits.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Starts the batcher and the proposer, each on its own supervised task
/// with its own key and transaction manager.
pub async fn spawn(config: BatcherConfig) -> Result<BatcherHandle, BatcherError> {
    let store = BatcherStore::open(&config.database_url).await?;
    let l1 = http_provider(&config.l1_rpc_url)?;
    let l2 = L2Client::new(&config.l2_rpc_url)?;
    let shutdown = CancellationToken::new();
    let faults = Arc::new(ProposerFaults::default());
    let proposer =
        Proposer::new(config.clone(), l1.clone(), l2.clone(), store.clone(), faults.clone());
    let batcher = Batcher {
        batcher: TxManager::new(l1.clone(), config.batcher_key.clone(), config.txmgr.clone()),
        l1,
        l2,
        store: store.clone(),
        config,
    };
    let supervisor = rollup_client::Supervisor::new("batcher", shutdown.clone());
    let tasks = vec![
        supervisor.spawn("batcher", batcher.run(shutdown.clone())),
        // The proposer is a role of its own (op-proposer beside
        // op-batcher), run by the same process.
        supervisor.with_role("proposer").spawn("proposer", proposer.run(shutdown.clone())),
    ];
    Ok(BatcherHandle { store, faults, shutdown, tasks, supervisor })
}

#[derive(Debug)]
struct Batcher {
    config: BatcherConfig,
    l1: RootProvider,
    l2: L2Client,
    batcher: TxManager,
    store: BatcherStore,
}

/// `eth_call` of `call` on `to`, decoded.
pub(crate) async fn view<C: SolCall>(
    l1: &RootProvider,
    to: Address,
    call: C,
) -> Result<C::Return, BatcherError> {
    let request =
        alloy::rpc::types::TransactionRequest::default().to(to).input(call.abi_encode().into());
    let out = l1.call(request).await?;
    C::abi_decode_returns(&out)
        .map_err(|source| BatcherError::Decode { call: C::SIGNATURE, source })
}

impl Batcher {
    async fn run(self, shutdown: CancellationToken) {
        let mut pending = Pending::default();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(self.config.poll_interval) => {}
            }
            match self.step(&mut pending, &shutdown).await {
                Ok(()) => {}
                Err(BatcherError::Tx(TxError::Cancelled)) => return,
                Err(e) if e.kind() == ErrorKind::Critical => {
                    tracing::error!(target: "batcher", %e, "stopping");
                    return;
                }
                // A reset needs nothing more: every step resyncs from the inbox.
                Err(e) => {
                    tracing::warn!(target: "batcher", %e, kind = ?e.kind(), "step failed; retrying")
                }
            }
        }
    }

    async fn step(
        &self,
        pending: &mut Pending,
        shutdown: &CancellationToken,
    ) -> Result<(), BatcherError> {
        let next: u64 = self.view(self.config.batch_inbox, BatchInbox::nextL2BlockCall {}).await?;
        pending.resync(next);
        let l2_head = self.l2.head().await?;
        if l2_head >= next || !pending.blocks.is_empty() {
            let target = self.target().await?;
            let policy = FillPolicy {
                capacity: target.capacity(),
                max_duration: self.config.batch_interval,
                max_blocks: self.config.max_blocks_per_batch.max(1) as usize,
            };
            pending::refill(&self.l2, pending, next, l2_head, &policy).await?;
            let trigger = policy.trigger(
                pending.blocks.len(),
                pending.estimated_bytes(),
                pending.oldest_waited(),
            );
            if let Some(trigger) = trigger {
                self.close_channel(pending, &policy, trigger, shutdown).await?;
            }
        }
        Ok(())
    }

    async fn view<C: SolCall>(&self, to: Address, call: C) -> Result<C::Return, BatcherError> {
        view(&self.l1, to, call).await
    }

    /// The L1 base fee and blob base fee now, in wei.
    async fn l1_fees(&self) -> Result<(u128, u128), BatcherError> {
        let base_fee = self
            .l1
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await?
            .and_then(|b| b.header.base_fee_per_gas)
            .unwrap_or(1) as u128;
        let blob_base_fee: U256 = self.l1.raw_request("eth_blobBaseFee".into(), ()).await?;
        Ok((base_fee, blob_base_fee.saturating_to()))
    }

    /// What the channel being filled aims at: calldata or blobs as
    /// configured; under `auto`, whichever full batch costs less per byte now.
    async fn target(&self) -> Result<Target, BatcherError> {
        Ok(match self.config.da {
            DataAvailability::Calldata => Target::Calldata,
            DataAvailability::Blobs => Target::Blobs,
            DataAvailability::Auto => {
                let (base_fee, blob_base_fee) = self.l1_fees().await?;
                let (calldata, blobs) = full_batch_cost_per_byte(base_fee, blob_base_fee);
                if blobs <= calldata { Target::Blobs } else { Target::Calldata }
            }
        })
    }

    /// Whether `blobs` blobs cost less than `calldata_len` bytes of calldata
    /// now (the transaction base and the inbox call cost the same either way).
    async fn blobs_are_cheaper(
        &self,
        calldata_len: usize,
        blobs: usize,
    ) -> Result<bool, BatcherError> {
        let (base_fee, blob_base_fee) = self.l1_fees().await?;
        Ok(blob_cost(blobs, blob_base_fee) < calldata_cost(calldata_len, base_fee))
    }

    /// Encodes the longest prefix of the pending blocks that fits the
    /// policy's capacity and posts it, unless the channel turns out not to
    /// be full on a [`Trigger::Full`] (the estimate was pessimistic; the
    /// ratio is corrected and the batcher keeps filling).
    async fn close_channel(
        &self,
        pending: &mut Pending,
        policy: &FillPolicy,
        trigger: Trigger,
        shutdown: &CancellationToken,
    ) -> Result<(), BatcherError> {
        let candidates: Vec<BatchBlock> =
            pending.blocks.iter().take(policy.max_blocks).map(|p| p.block.clone()).collect();
        let raw: Vec<usize> =
            pending.blocks.iter().take(policy.max_blocks).map(|p| p.raw).collect();
        let (compression, encoding) = (self.config.compression, self.config.encoding);
        let (capacity, ratio) = (policy.capacity, pending.estimate.ratio());
        let (fit, candidates) = tokio::task::spawn_blocking(move || {
            let fit = fit_prefix(&raw, capacity, ratio, |n| {
                let channel = encode_channel_with(&candidates[..n], compression, encoding);
                let len = channel.len();
                (channel, len)
            });
            (fit, candidates)
        })
        .await?;
        pending.estimate.learn(fit.raw, fit.len);
        let fill = fit.len as f64 / capacity as f64;
        if trigger == Trigger::Full && fit.blocks == candidates.len() && !policy.is_full(fit.len) {
            tracing::debug!(
                target: "batcher", blocks = fit.blocks, bytes = fit.len, fill, ratio = pending.estimate.ratio(),
                "channel not full yet; ratio updated"
            );
            return Ok(());
        }
        tracing::debug!(
            target: "batcher", ?trigger, blocks = fit.blocks, of = candidates.len(), bytes = fit.len,
            fill, encodings = fit.encodings, "closing channel"
        );
        self.post_batch(&candidates[..fit.blocks], &fit.channel, shutdown).await?;
        pending.pop_front(fit.blocks);
        Ok(())
    }

    /// Posts `channel`, the encoding of `blocks` (consecutive, at least one).
    async fn post_batch(
        &self,
        blocks: &[BatchBlock],
        channel: &[u8],
        shutdown: &CancellationToken,
    ) -> Result<(), BatcherError> {
        let start = blocks[0].number;
        let end = start + blocks.len() as u64 - 1;
        let raw_bytes: usize = blocks.iter().map(raw_block_size).sum();
        let id = B128::from_slice(
            &keccak256([self.batcher.address().as_slice(), &start.to_be_bytes()].concat())[..16],
        );
        let calldata = encode_batch_data(&split_channel(id, channel, MAX_BATCH_DATA_BYTES));
        let blobs = channel_to_blobs(id, channel);
        let fits_blobs = blobs.len() <= MAX_BLOBS_PER_TX as usize;
        let use_blobs = match self.config.da {
            DataAvailability::Calldata => false,
            DataAvailability::Blobs => fits_blobs,
            DataAvailability::Auto => {
                fits_blobs
                    && (calldata.len() > MAX_BATCH_DATA_BYTES
                        || self.blobs_are_cheaper(calldata.len(), blobs.len()).await?)
            }
        };
        let (confirmed, data_bytes) = if use_blobs {
            // Batch data carried: every blob's version byte and frame.
            let data_bytes = channel.len() + blobs.len() * (1 + FRAME_OVERHEAD);
            let blobs = blobs
                .iter()
                .map(|b| Blob::try_from(b.as_slice()).expect("encode_blob makes whole blobs"))
                .collect();
            let sidecar = rollup_protocol::l1_blob::sidecar_from_blobs(blobs)?;
            let count = sidecar.blobs.len();
            let call = BatchInbox::appendBlobBatchCall {
                l2Start: start,
                l2End: end,
                blobCount: U256::from(count),
            };
            let confirmed = self
                .batcher
                .send_blobs(self.config.batch_inbox, call.abi_encode().into(), sidecar, shutdown)
                .await?;
            (confirmed, data_bytes as u64)
        } else {
            let call =
                BatchInbox::appendBatchCall { l2Start: start, l2End: end, data: calldata.clone() };
            let confirmed = self
                .batcher
                .send(self.config.batch_inbox, call.abi_encode().into(), U256::ZERO, shutdown)
                .await?;
            (confirmed, calldata.len() as u64)
        };
        let receipt = checked(confirmed.receipt)?;
        let l1_block = receipt.block_number.unwrap_or_default();
        let l1_base_fee = self
            .l1
            .get_block_by_number(l1_block.into())
            .await?
            .and_then(|b| b.header.base_fee_per_gas)
            .unwrap_or_default();
        let blob_gas_price = receipt.blob_gas_price.unwrap_or_default();
        let blob_fee =
            U256::from(receipt.blob_gas_used.unwrap_or_default()) * U256::from(blob_gas_price);
        let record = BatchRecord {
            l2_start: start,
            l2_end: end,
            l1_tx_hash: receipt.transaction_hash,
            l1_block,
            compression: self.config.compression,
            data_bytes,
            raw_tx_bytes: raw_bytes as u64,
            l1_gas_used: receipt.gas_used,
            l1_fee_wei: U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price)
                + blob_fee,
            blobs: if use_blobs { blobs.len() as u64 } else { 0 },
            l1_base_fee,
            blob_gas_price: if use_blobs { blob_gas_price } else { 0 },
        };
        self.store.insert_batch(&record).await?;
        let da = if use_blobs { "blobs" } else { "calldata" };
        metrics::counter!("rollup_batcher_batches_total", "da" => da).increment(1);
        metrics::counter!("rollup_batcher_batch_bytes_total", "da" => da).increment(data_bytes);
        metrics::counter!("rollup_batcher_l2_blocks_total").increment(end - start + 1);
        // Gwei: a u64 count of wei would wrap after 18 ETH.
        metrics::counter!("rollup_batcher_l1_spend_gwei_total", "da" => da)
            .increment(gwei(record.l1_fee_wei));
        tracing::info!(
            target: "batcher",
            l2_start = start, l2_end = end, bytes = data_bytes, blobs = record.blobs, raw_tx_bytes = raw_bytes,
            l1_tx = %receipt.transaction_hash, l1_block, attempts = confirmed.attempts,
            "posted batch"
        );
        Ok(())
    }
}

/// `wei` in whole gwei (saturating).
pub(crate) fn gwei(wei: U256) -> u64 {
    (wei / U256::from(1_000_000_000u64)).saturating_to()
}

fn checked(receipt: TransactionReceipt) -> Result<TransactionReceipt, BatcherError> {
    if receipt.status() {
        Ok(receipt)
    } else {
        Err(BatcherError::Reverted(receipt.transaction_hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    #[test]
    fn errors_say_how_the_batcher_reacts() {
        assert_eq!(BatcherError::Db(DbError::Corrupt("row".into())).kind(), ErrorKind::Critical);
        assert_eq!(BatcherError::Tx(TxError::Cancelled).kind(), ErrorKind::Critical);
        let url = rollup_client::ClientError::Url("x".into());
        assert_eq!(BatcherError::Client(url).kind(), ErrorKind::Critical);
        assert_eq!(BatcherError::MissingL2Block(7).kind(), ErrorKind::Reset);
        assert_eq!(BatcherError::Reverted(B256::ZERO).kind(), ErrorKind::Reset);
        assert_eq!(BatcherError::Tx(TxError::WouldRevert("x".into())).kind(), ErrorKind::Reset);
        assert_eq!(BatcherError::Tx(TxError::Timeout(B256::ZERO)).kind(), ErrorKind::Temporary);
    }

    fn block(number: u64, tx_bytes: usize) -> BatchBlock {
        BatchBlock {
            number,
            timestamp: SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs(),
            l1_origin_number: 1,
            l1_origin_hash: B256::ZERO,
            transactions: vec![vec![0x02; tx_bytes].into()],
        }
    }

    #[test]
    fn auto_aims_at_blobs_unless_blob_gas_is_dear() {
        let gwei = 1_000_000_000;
        let (calldata, blobs) = full_batch_cost_per_byte(gwei, 1);
        assert!(blobs < calldata / 100.0, "{blobs} vs {calldata}");
        // Calldata costs ~40 gas a byte: blob gas at 50x the base fee loses.
        let (calldata, blobs) = full_batch_cost_per_byte(gwei, 50 * gwei);
        assert!(calldata < blobs);
    }

    #[test]
    fn pending_blocks_follow_the_inbox() {
        let mut pending = Pending::default();
        assert_eq!(pending.next_number(5), 5);
        for n in 5..10 {
            pending.push(block(n, 100), B256::with_last_byte(n as u8));
        }
        assert_eq!((pending.raw, pending.next_number(5)), (500, 10));
        // Blocks 5..=7 were batched: they go, the rest stays.
        pending.resync(8);
        assert_eq!(pending.blocks.front().map(|b| b.block.number), Some(8));
        assert_eq!(pending.raw, 200);
        assert!(pending.oldest_waited() < Duration::from_secs(5));
        // The inbox is behind what is kept (an L1 reorg dropped a batch):
        // the blocks no longer start at the next one to batch, start over.
        pending.resync(3);
        assert!(pending.blocks.is_empty());
        assert_eq!((pending.raw, pending.next_number(3)), (0, 3));
    }
}
