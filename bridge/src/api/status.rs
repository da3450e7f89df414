//! `GET /v1/status` (the chains' heads and the L2 pool, for the dashboard)
//! and the details of a posted batch read back from its L1 transaction
//! (bytes, DA, channel compression and encoding, transactions, L1 cost).

use super::{
    Shared,
    schema::{Hash32, Wei},
};
use crate::{chain::RpcHeader, store::BatchRow, store::Chain};
use alloy::{eips::BlockNumberOrTag, providers::Provider};
use alloy_primitives::{B256, U64, U256};
use alloy_sol_types::SolCall;
use axum::{Json, extract::State};
use rollup_contracts::BatchInbox;
use rollup_protocol::batch::{
    BLOB_SIZE, ChannelVersion, batch_data_from_blobs, decode_batch_data,
    decode_channel_from_batch_data,
};
use serde::{Deserialize, Serialize};
use std::{collections::HashMap, sync::Mutex, sync::atomic::Ordering, time::Duration};
use utoipa::ToSchema;

/// How long `/v1/status` waits for each chain.
const STATUS_TIMEOUT: Duration = Duration::from_secs(3);
/// Batch details kept (they never change once posted).
const DETAILS_CACHE: usize = 4_096;

/// One block of a chain.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct HeadJson {
    /// Block number.
    pub(crate) number: u64,
    /// Block hash.
    #[schema(value_type = Hash32)]
    pub(crate) hash: String,
    /// Block timestamp, unix seconds.
    pub(crate) timestamp: u64,
}

/// The heads of a chain, as its JSON-RPC block tags name them.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct ChainHeads {
    /// `latest` (on L2: the sequencer's unsafe head).
    pub(crate) latest: HeadJson,
    /// `safe` (on L2: derived from batches included on L1), `null` when the
    /// chain does not answer the tag.
    #[schema(required = true)]
    pub(crate) safe: Option<HeadJson>,
    /// `finalized`, `null` when the chain does not answer the tag.
    #[schema(required = true)]
    pub(crate) finalized: Option<HeadJson>,
}

/// The L2 transaction pool (geth's `txpool_status`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct PoolJson {
    /// Transactions ready to be included.
    pub(crate) pending: u64,
    /// Transactions waiting for a nonce gap to close.
    pub(crate) queued: u64,
}

/// `GET /v1/status`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct StatusResponse {
    /// L1 heads, `null` when the L1 does not answer.
    #[schema(required = true)]
    pub(crate) l1: Option<ChainHeads>,
    /// L2 heads, `null` when the L2 does not answer.
    #[schema(required = true)]
    pub(crate) l2: Option<ChainHeads>,
    /// The L2 pool, `null` when the L2 does not serve `txpool_status`.
    #[schema(required = true)]
    pub(crate) l2_pool: Option<PoolJson>,
    /// Last L1 block the indexer has scanned (`null` before the first).
    #[schema(required = true)]
    pub(crate) l1_indexed_block: Option<u64>,
    /// Last L2 block the indexer has scanned (`null` before the first).
    #[schema(required = true)]
    pub(crate) l2_indexed_block: Option<u64>,
}

async fn head(s: &Shared, chain: Chain, tag: BlockNumberOrTag) -> Option<HeadJson> {
    let call = s
        .chains
        .provider(chain)
        .raw_request::<_, Option<RpcHeaderNumber>>("eth_getBlockByNumber".into(), (tag, false));
    let block = tokio::time::timeout(STATUS_TIMEOUT, call).await.ok()?.ok()??;
    Some(HeadJson {
        number: block.number.to(),
        hash: block.header.hash.to_string(),
        timestamp: block.header.timestamp.to(),
    })
}

/// A header with its number.
#[derive(Debug, Deserialize)]
struct RpcHeaderNumber {
    number: U64,
    #[serde(flatten)]
    header: RpcHeader,
}

async fn heads(s: &Shared, chain: Chain) -> Option<ChainHeads> {
    let (latest, safe, finalized) = tokio::join!(
        head(s, chain, BlockNumberOrTag::Latest),
        head(s, chain, BlockNumberOrTag::Safe),
        head(s, chain, BlockNumberOrTag::Finalized),
    );
    Some(ChainHeads { latest: latest?, safe, finalized })
}

async fn pool(s: &Shared) -> Option<PoolJson> {
    #[derive(Debug, Deserialize)]
    struct Status {
        pending: U64,
        queued: U64,
    }
    let call = s.chains.provider(Chain::L2).raw_request::<_, Status>("txpool_status".into(), ());
    let status = tokio::time::timeout(STATUS_TIMEOUT, call).await.ok()?.ok()?;
    Some(PoolJson { pending: status.pending.to(), queued: status.queued.to() })
}

/// The heads of both chains (`latest`, `safe`, `finalized`), the L2 pool and
/// how far the indexer got. Chains that do not answer are `null`: this is
/// what the dashboard polls, so it never fails.
#[utoipa::path(
    get,
    path = "/v1/status",
    operation_id = "getStatus",
    tag = "meta",
    responses((status = 200, body = StatusResponse))
)]
pub(crate) async fn status(State(s): State<Shared>) -> Json<StatusResponse> {
    let (l1, l2, l2_pool) = tokio::join!(heads(&s, Chain::L1), heads(&s, Chain::L2), pool(&s));
    let indexed = |next: u64| next.checked_sub(1);
    Json(StatusResponse {
        l1,
        l2,
        l2_pool,
        l1_indexed_block: indexed(s.indexer.l1_next.load(Ordering::Acquire)),
        l2_indexed_block: indexed(s.indexer.l2_next.load(Ordering::Acquire)),
    })
}

/// What a batch's L1 transaction shows about it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct BatchDetails {
    /// Bytes posted: the frames' calldata, or 131,072 per blob.
    pub(crate) bytes: u64,
    /// Blobs carrying it (0 for calldata).
    pub(crate) blobs: u64,
    /// Channel compression (`none`, `zlib`, `brotli`, `zstd`), `null` when
    /// the batch data cannot be read back (a blob no longer served).
    #[schema(required = true, example = "brotli")]
    pub(crate) compression: Option<String>,
    /// Channel encoding (`singular` or `span`), `null` when the batch data
    /// cannot be read back.
    #[schema(required = true, example = "span")]
    pub(crate) encoding: Option<String>,
    /// L2 user transactions in the batch, `null` when the batch data cannot
    /// be read back or does not decode.
    #[schema(required = true)]
    pub(crate) transactions: Option<u64>,
    /// L1 gas the transaction used.
    pub(crate) l1_gas_used: u64,
    /// What the L1 transaction cost: gas used x effective gas price + blob
    /// gas used x blob gas price.
    #[schema(value_type = Wei)]
    pub(crate) l1_fee_wei: String,
}

/// Details of posted batches, by L1 transaction.
#[derive(Debug, Default)]
pub(crate) struct BatchDetailsCache {
    inner: Mutex<HashMap<B256, BatchDetails>>,
}

impl BatchDetailsCache {
    fn get(&self, tx: B256) -> Option<BatchDetails> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).get(&tx).cloned()
    }

    fn put(&self, tx: B256, details: BatchDetails) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= DETAILS_CACHE {
            map.clear();
        }
        map.insert(tx, details);
    }
}

/// The details of batch `row`, `None` when the L1 does not answer or the
/// transaction is not (or no longer) there.
pub(crate) async fn batch_details(s: &Shared, row: &BatchRow) -> Option<BatchDetails> {
    if let Some(d) = s.batch_details.get(row.l1_tx_hash) {
        return Some(d);
    }
    let (tx, receipt) = tokio::join!(
        s.chains.transaction(Chain::L1, row.l1_tx_hash),
        s.chains.receipt(Chain::L1, row.l1_tx_hash)
    );
    let (tx, receipt) = (tx.ok()??, receipt.ok()??);
    let blobs = tx.blob_versioned_hashes.as_ref().map_or(0, Vec::len) as u64;
    let blob_fee = U256::from(receipt.blob_gas_used.unwrap_or_default())
        * receipt.blob_gas_price.unwrap_or_default();
    let fee = U256::from(receipt.gas_used) * receipt.effective_gas_price + blob_fee;
    let mut details = BatchDetails {
        bytes: blobs * BLOB_SIZE as u64,
        blobs,
        compression: None,
        encoding: None,
        transactions: None,
        l1_gas_used: receipt.gas_used.to(),
        l1_fee_wei: fee.to_string(),
    };
    // The batch data: the calldata's `data`, or the frames read back from the
    // blobs (the beacon API at the L1's URL, each blob KZG-verified).
    let data = if blobs == 0 {
        BatchInbox::appendBatchCall::abi_decode(&tx.input).ok().map(|call| {
            details.bytes = call.data.len() as u64;
            call.data
        })
    } else {
        let hashes = tx.blob_versioned_hashes.clone().unwrap_or_default();
        let beacon = rollup_client::BeaconClient::new(&s.config.l1_rpc_url);
        beacon.blobs(receipt.block_number.to(), &hashes).await.ok().and_then(|blobs| {
            let blobs: Vec<&[u8]> = blobs.iter().map(|b| b.as_slice()).collect();
            batch_data_from_blobs(&blobs).ok()
        })
    };
    if let Some(data) = data {
        let version = decode_batch_data(&data)
            .ok()
            .and_then(|frames| frames.first().and_then(|f| f.data.first().copied()))
            .and_then(|byte| ChannelVersion::from_byte(byte).ok());
        if let Some(version) = version {
            details.compression = Some(version.compression.name().into());
            details.encoding = Some(version.encoding.name().into());
        }
        details.transactions = decode_channel_from_batch_data(&data)
            .ok()
            .map(|blocks| blocks.iter().map(|b| b.transactions.len() as u64).sum());
    }
    s.batch_details.put(row.l1_tx_hash, details.clone());
    Some(details)
}
