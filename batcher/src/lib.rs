//! # rollup-batcher
//!
//! The batcher and proposer (op-batcher and op-proposer in one process, two
//! keys). The batcher reads sealed L2 blocks over the L2 JSON-RPC, encodes a
//! run of them as a channel (`version || compress(rlp(blocks))`), splits it
//! into frames and posts them as the calldata of `BatchInbox.appendBatch`,
//! one channel per L1 transaction. The proposer then posts, with its bond,
//! the output root of every `output_interval`-th L2 block once the batch
//! holding it is confirmed on L1.
//!
//! Resuming is driven by the L1: `BatchInbox.nextL2Block()` is the first L2
//! block not yet batched and `OutputOracle.latestBlockNumber()` the last one
//! proposed, so a restart neither posts a block twice nor skips one (the
//! contracts enforce both as well).
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod defense;
mod store;

pub use rollup_node::txmgr::{Confirmed, TxError, TxManager, TxManagerConfig};
pub use store::{BatchRecord, BatcherStore, OutputRecord};

use alloy::eips::eip4844::Blob;
use alloy::{
    providers::{Provider, RootProvider},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use alloy_primitives::{Address, B128, B256, U64, U256, keccak256};
use rollup_contracts::{BatchInbox, OutputOracle};
use rollup_node::{client::http_provider, db::DbError};
use rollup_protocol::batch::{
    BLOB_SIZE, BatchBlock, BatchEncoding, Compression, MAX_BLOB_FRAME_DATA, channel_to_blobs,
    encode_batch_data, encode_channel_with, split_channel,
};
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Largest batch data per L1 transaction, in bytes (under geth's 128 KiB
/// transaction size limit with room for the ABI envelope).
pub const MAX_BATCH_DATA_BYTES: usize = 120_000;

/// Configuration of the batcher and proposer.
#[derive(Clone, Debug)]
pub struct BatcherConfig {
    /// L1 JSON-RPC URL.
    pub l1_rpc_url: String,
    /// L2 JSON-RPC URL.
    pub l2_rpc_url: String,
    /// `BatchInbox` on L1.
    pub batch_inbox: Address,
    /// `OutputOracle` on L1.
    pub output_oracle: Address,
    /// Key authorised to append batches.
    pub batcher_key: PrivateKeySigner,
    /// Key authorised to propose outputs.
    pub proposer_key: PrivateKeySigner,
    /// Channel compression.
    pub compression: Compression,
    /// Batch encoding (span batches by default: columnar, densest).
    pub encoding: BatchEncoding,
    /// Where batches go: calldata, blobs, or whichever is cheaper now.
    pub da: DataAvailability,
    /// Propose the output of every `output_interval`-th L2 block.
    pub output_interval: u64,
    /// Post a batch at least this often when there are new L2 blocks.
    pub batch_interval: Duration,
    /// Most L2 blocks per channel.
    pub max_blocks_per_batch: u64,
    /// Transaction manager settings.
    pub txmgr: TxManagerConfig,
    /// Database URL.
    pub database_url: String,
    /// `DisputeGameFactory` on L1: when set, the proposer defends its outputs.
    pub dispute_game_factory: Option<Address>,
}

/// Errors of the batcher.
#[derive(Debug, thiserror::Error)]
pub enum BatcherError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// An RPC URL is invalid.
    #[error(transparent)]
    Client(#[from] rollup_node::client::ClientError),
    /// An RPC call failed (temporary).
    #[error("RPC: {0}")]
    Rpc(#[from] alloy::transports::TransportError),
    /// A transaction failed.
    #[error(transparent)]
    Tx(#[from] TxError),
    /// A contract call returned undecodable data.
    #[error("contract call: {0}")]
    Contract(String),
    /// An L1 transaction reverted.
    #[error("L1 transaction {0} reverted")]
    Reverted(B256),
}

/// Data availability of batches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DataAvailability {
    /// Batch data in the calldata of `BatchInbox.appendBatch`.
    #[default]
    Calldata,
    /// One frame per EIP-4844 blob, with `BatchInbox.appendBlobBatch`.
    Blobs,
    /// Whichever costs less at the current L1 base fee and blob base fee
    /// (op-batcher's auto mode): calldata at the EIP-7623 floor of 40 gas per
    /// byte, or 131,072 blob gas per blob.
    Auto,
}

impl std::str::FromStr for DataAvailability {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "calldata" => Ok(Self::Calldata),
            "blobs" => Ok(Self::Blobs),
            "auto" => Ok(Self::Auto),
            other => Err(format!("unknown data availability {other:?}: calldata, blobs or auto")),
        }
    }
}

impl std::fmt::Display for DataAvailability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Calldata => "calldata",
            Self::Blobs => "blobs",
            Self::Auto => "auto",
        })
    }
}

/// Fault switches of the proposer (devnet fault injection).
#[derive(Debug, Default)]
pub struct ProposerFaults {
    /// Propose a wrong output root next (once).
    pub invalid_output_root: AtomicBool,
    /// Stop defending outputs in dispute games (the proposer's clock runs out).
    pub stop_defending: AtomicBool,
}

/// A running batcher.
#[derive(Debug)]
pub struct BatcherHandle {
    /// Its store (posted batches and outputs with their L1 costs).
    pub store: BatcherStore,
    /// Fault switches.
    pub faults: Arc<ProposerFaults>,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

impl BatcherHandle {
    /// Stops and waits.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
    }
}

/// Starts the batcher and proposer.
pub async fn spawn(config: BatcherConfig) -> Result<BatcherHandle, BatcherError> {
    let store = BatcherStore::open(&config.database_url).await?;
    let l1 = http_provider(&config.l1_rpc_url)?;
    let l2 = http_provider(&config.l2_rpc_url)?;
    let shutdown = CancellationToken::new();
    let faults = Arc::new(ProposerFaults::default());
    let batcher = Batcher {
        batcher: TxManager::new(l1.clone(), config.batcher_key.clone(), config.txmgr.clone()),
        proposer: TxManager::new(l1.clone(), config.proposer_key.clone(), config.txmgr.clone()),
        l1,
        l2,
        store: store.clone(),
        faults: faults.clone(),
        config,
    };
    let task = tokio::spawn(batcher.run(shutdown.clone()));
    Ok(BatcherHandle { store, faults, shutdown, task })
}

#[derive(Debug)]
struct Batcher {
    config: BatcherConfig,
    l1: RootProvider,
    l2: RootProvider,
    batcher: TxManager,
    proposer: TxManager,
    store: BatcherStore,
    faults: Arc<ProposerFaults>,
}

impl Batcher {
    async fn run(self, shutdown: CancellationToken) {
        let mut last_post = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            }
            match self.step(&mut last_post, &shutdown).await {
                Ok(()) => {}
                Err(BatcherError::Tx(TxError::Cancelled)) => return,
                Err(BatcherError::Db(e)) => {
                    tracing::error!(target: "batcher", %e, "database failed; stopping");
                    return;
                }
                Err(e) => tracing::warn!(target: "batcher", %e, "step failed; retrying"),
            }
        }
    }

    async fn step(
        &self,
        last_post: &mut tokio::time::Instant,
        shutdown: &CancellationToken,
    ) -> Result<(), BatcherError> {
        let next: u64 = self.view(self.config.batch_inbox, BatchInbox::nextL2BlockCall {}).await?;
        let l2_head = self.l2.get_block_number().await?;
        if l2_head >= next {
            let pending = l2_head - next + 1;
            if pending >= self.config.max_blocks_per_batch
                || last_post.elapsed() >= self.config.batch_interval
            {
                self.post_batch(
                    next,
                    l2_head.min(next + self.config.max_blocks_per_batch - 1),
                    shutdown,
                )
                .await?;
                *last_post = tokio::time::Instant::now();
            }
        }
        self.propose(shutdown).await?;
        self.defend(shutdown).await
    }

    async fn view<C: SolCall>(&self, to: Address, call: C) -> Result<C::Return, BatcherError> {
        let request =
            alloy::rpc::types::TransactionRequest::default().to(to).input(call.abi_encode().into());
        let out = self.l1.call(request).await?;
        C::abi_decode_returns(&out).map_err(|e| BatcherError::Contract(e.to_string()))
    }

    /// Whether `blobs` blobs cost less than `calldata_len` bytes of calldata
    /// now (the transaction base and the inbox call cost the same either way).
    async fn blobs_are_cheaper(
        &self,
        calldata_len: usize,
        blobs: usize,
    ) -> Result<bool, BatcherError> {
        let base_fee = self
            .l1
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await?
            .and_then(|b| b.header.base_fee_per_gas)
            .unwrap_or(1) as u128;
        let blob_base_fee: U256 = self.l1.raw_request("eth_blobBaseFee".into(), ()).await?;
        let calldata = 40 * calldata_len as u128 * base_fee;
        let blob = blobs as u128 * BLOB_SIZE as u128 * blob_base_fee.saturating_to::<u128>();
        Ok(blob < calldata)
    }

    async fn batch_block(&self, number: u64) -> Result<BatchBlock, BatcherError> {
        let block: Option<BatchBlock> =
            self.l2.raw_request("rollup_getBatchBlock".into(), (U64::from(number),)).await?;
        block.ok_or_else(|| BatcherError::Contract(format!("L2 block {number} not found")))
    }

    /// Encodes blocks `start..=end` (fewer if the channel would be too big)
    /// and posts them.
    async fn post_batch(
        &self,
        start: u64,
        end: u64,
        shutdown: &CancellationToken,
    ) -> Result<(), BatcherError> {
        let mut blocks = Vec::with_capacity((end - start + 1) as usize);
        for n in start..=end {
            blocks.push(self.batch_block(n).await?);
        }
        let id = B128::from_slice(
            &keccak256([self.batcher.address().as_slice(), &start.to_be_bytes()].concat())[..16],
        );
        // Encode, halving the run of blocks until the channel fits one L1
        // transaction (calldata size, or six blobs).
        let (channel, raw_bytes) = loop {
            let channel =
                encode_channel_with(&blocks, self.config.compression, self.config.encoding);
            let fits = channel.len() <= MAX_BATCH_DATA_BYTES - 64
                || (self.config.da != DataAvailability::Calldata
                    && channel.len() <= 6 * MAX_BLOB_FRAME_DATA);
            if fits || blocks.len() == 1 {
                let raw: usize = blocks.iter().flat_map(|b| &b.transactions).map(|t| t.len()).sum();
                break (channel, raw);
            }
            blocks.truncate(blocks.len().div_ceil(2));
        };
        let end = start + blocks.len() as u64 - 1;
        let calldata = encode_batch_data(&split_channel(id, &channel, MAX_BATCH_DATA_BYTES));
        let blobs = channel_to_blobs(id, &channel);
        let use_blobs = match self.config.da {
            DataAvailability::Calldata => false,
            DataAvailability::Blobs => true,
            DataAvailability::Auto => {
                calldata.len() > MAX_BATCH_DATA_BYTES + 64
                    || self.blobs_are_cheaper(calldata.len(), blobs.len()).await?
            }
        };
        let (confirmed, data_bytes) = if use_blobs && blobs.len() <= 6 {
            let blobs = blobs
                .iter()
                .map(|b| Blob::try_from(b.as_slice()).expect("encode_blob makes whole blobs"))
                .collect();
            let sidecar =
                rollup_node::blob::sidecar_from_blobs(blobs).map_err(BatcherError::Contract)?;
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
            (confirmed, (count * BLOB_SIZE) as u64)
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
        let blob_fee = U256::from(receipt.blob_gas_used.unwrap_or_default())
            * U256::from(receipt.blob_gas_price.unwrap_or_default());
        let record = BatchRecord {
            l2_start: start,
            l2_end: end,
            l1_tx_hash: receipt.transaction_hash,
            l1_block: receipt.block_number.unwrap_or_default(),
            compression: self.config.compression,
            data_bytes,
            raw_tx_bytes: raw_bytes as u64,
            l1_gas_used: receipt.gas_used,
            l1_fee_wei: U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price)
                + blob_fee,
            blobs: if use_blobs { blobs.len() as u64 } else { 0 },
        };
        self.store.insert_batch(&record).await?;
        tracing::info!(
            target: "batcher",
            l2_start = start, l2_end = end, bytes = data_bytes, blobs = record.blobs, raw_tx_bytes = raw_bytes,
            l1_tx = %receipt.transaction_hash, l1_block = record.l1_block, attempts = confirmed.attempts,
            "posted batch"
        );
        Ok(())
    }

    /// Proposes every due output whose block is batched on L1.
    async fn propose(&self, shutdown: &CancellationToken) -> Result<(), BatcherError> {
        let interval = self.config.output_interval.max(1);
        let next_unbatched: u64 =
            self.view(self.config.batch_inbox, BatchInbox::nextL2BlockCall {}).await?;
        loop {
            let latest: U256 = self
                .view(self.config.output_oracle, OutputOracle::latestBlockNumberCall {})
                .await?;
            let latest: u64 = latest.saturating_to();
            let target = (latest / interval + 1) * interval;
            if target >= next_unbatched {
                return Ok(());
            }
            let output: serde_json::Value =
                self.l2.raw_request("optimism_outputAtBlock".into(), (U64::from(target),)).await?;
            let mut root: B256 = serde_json::from_value(output["outputRoot"].clone())
                .map_err(|e| BatcherError::Contract(e.to_string()))?;
            if self.faults.invalid_output_root.swap(false, Ordering::Relaxed) {
                root = keccak256(root);
                tracing::warn!(target: "proposer", l2_block = target, "FAULT: proposing a wrong output root");
            }
            let bond: U256 =
                self.view(self.config.output_oracle, OutputOracle::bondCall {}).await?;
            let call =
                OutputOracle::proposeCall { l2BlockNumber: U256::from(target), outputRoot: root };
            let confirmed = self
                .proposer
                .send(self.config.output_oracle, call.abi_encode().into(), bond, shutdown)
                .await?;
            let receipt = checked(confirmed.receipt)?;
            self.store
                .insert_output(&OutputRecord {
                    l2_block: target,
                    output_root: root,
                    l1_tx_hash: receipt.transaction_hash,
                    l1_block: receipt.block_number.unwrap_or_default(),
                    l1_gas_used: receipt.gas_used,
                    l1_fee_wei: U256::from(receipt.gas_used)
                        * U256::from(receipt.effective_gas_price),
                })
                .await?;
            tracing::info!(target: "proposer", l2_block = target, %root, l1_tx = %receipt.transaction_hash, "proposed output");
        }
    }
}

fn checked(receipt: TransactionReceipt) -> Result<TransactionReceipt, BatcherError> {
    if receipt.status() {
        Ok(receipt)
    } else {
        Err(BatcherError::Reverted(receipt.transaction_hash))
    }
}
