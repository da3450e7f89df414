//! Readers of the L1 JSON-RPC shared by the roles (alloy over HTTP): the L1
//! origin of a block and the bridge's deposit events; and a reader of blob
//! sidecars from the beacon API ([`BeaconClient`]). Roles talk to the L1
//! only through these public interfaces, in one process or across machines.

use alloy::{
    providers::{Provider, RootProvider},
    rpc::types::{BlockNumberOrTag, Filter},
    sol_types::SolEvent,
};
use alloy_eips::eip4844::{Blob, BlobTransactionSidecar, Bytes48, kzg_to_versioned_hash};
use alloy_primitives::{Address, B256};
use rollup_contracts::{BatchInbox, Bridge};
use rollup_protocol::{L1Origin, PostedBatch, UserDeposit};

/// Errors reading the L1.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL does not parse.
    #[error("invalid RPC url {0:?}")]
    Url(String),
    /// The RPC call failed (temporary: retry).
    #[error("L1 RPC: {0}")]
    Transport(#[from] alloy::transports::TransportError),
    /// The L1 answered something impossible.
    #[error("L1 RPC returned bad data: {0}")]
    BadData(String),
    /// The beacon API failed or answered something that does not verify.
    #[error("beacon API: {0}")]
    Beacon(String),
}

impl ClientError {
    /// How a caller reacts: a bad URL is critical, anything read is retried.
    pub const fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Url(_) => crate::ErrorKind::Critical,
            Self::Transport(_) | Self::BadData(_) | Self::Beacon(_) => crate::ErrorKind::Temporary,
        }
    }
}

/// An HTTP JSON-RPC provider for `url`.
pub fn http_provider(url: &str) -> Result<RootProvider, ClientError> {
    Ok(RootProvider::new_http(url.parse().map_err(|_| ClientError::Url(url.to_string()))?))
}

/// Reads L1 blocks and deposits.
#[derive(Clone, Debug)]
pub struct L1Client {
    provider: RootProvider,
    bridge: Address,
    beacon: BeaconClient,
}

impl L1Client {
    /// A client of the L1 at `url` whose bridge is `bridge`; blob sidecars
    /// are read from the beacon API at the same address (as the simulator
    /// serves them).
    pub fn new(url: &str, bridge: Address) -> Result<Self, ClientError> {
        Ok(Self { provider: http_provider(url)?, bridge, beacon: BeaconClient::new(url) })
    }

    /// The provider.
    pub const fn provider(&self) -> &RootProvider {
        &self.provider
    }

    /// The L1 head block number.
    pub async fn head(&self) -> Result<u64, ClientError> {
        Ok(self.provider.get_block_number().await?)
    }

    /// The L1 block `number` as an L1 origin, `None` if not yet mined.
    pub async fn origin(&self, number: u64) -> Result<Option<L1Origin>, ClientError> {
        let Some(block) =
            self.provider.get_block_by_number(BlockNumberOrTag::Number(number)).await?
        else {
            return Ok(None);
        };
        Ok(Some(L1Origin::from_l1_header(&block.header.inner, block.header.hash)))
    }

    /// The RLP encoding of L1 block `number`'s header (whose keccak256 is
    /// the block hash), `None` if not yet mined.
    pub async fn header_rlp(
        &self,
        number: u64,
    ) -> Result<Option<alloy_primitives::Bytes>, ClientError> {
        let Some(block) =
            self.provider.get_block_by_number(BlockNumberOrTag::Number(number)).await?
        else {
            return Ok(None);
        };
        let hash = block.header.hash;
        let rlp = alloy_rlp::encode(&block.header.inner);
        if alloy_primitives::keccak256(&rlp) != hash {
            return Err(ClientError::BadData(format!(
                "L1 block {number}: header does not hash to its hash"
            )));
        }
        Ok(Some(rlp.into()))
    }

    /// The deposits made in L1 block `number`, in deposit-index order.
    pub async fn deposits(&self, number: u64) -> Result<Vec<UserDeposit>, ClientError> {
        Ok(self.deposits_in_range(number, number).await?.into_iter().map(|(_, d)| d).collect())
    }

    /// The deposits made in L1 blocks `from..=to` with their L1 block, in
    /// deposit-index order.
    pub async fn deposits_in_range(
        &self,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, UserDeposit)>, ClientError> {
        let filter = Filter::new()
            .address(self.bridge)
            .event_signature(Bridge::TransactionDeposited::SIGNATURE_HASH)
            .from_block(from)
            .to_block(to);
        let mut deposits = Vec::new();
        for log in self.provider.get_logs(&filter).await? {
            let event = Bridge::TransactionDeposited::decode_log(&log.inner)
                .map_err(|e| ClientError::BadData(e.to_string()))?;
            let block =
                log.block_number.ok_or_else(|| ClientError::BadData("log without block".into()))?;
            deposits.push((block, UserDeposit::from(&event.data)));
        }
        deposits.sort_by_key(|(_, d)| d.index);
        Ok(deposits)
    }

    /// The batches appended to `inbox` in L1 blocks `from..=to`, in order,
    /// with their data read from the calldata of the `appendBatch` calls.
    /// Only the inbox's own events count, so only its authorised batcher's
    /// data is read.
    pub async fn batches(
        &self,
        inbox: Address,
        from: u64,
        to: u64,
    ) -> Result<Vec<PostedBatch>, ClientError> {
        use alloy::{consensus::Transaction, sol_types::SolCall};
        let filter = Filter::new()
            .address(inbox)
            .event_signature(BatchInbox::BatchAppended::SIGNATURE_HASH)
            .from_block(from)
            .to_block(to);
        let mut batches = Vec::new();
        for log in self.provider.get_logs(&filter).await? {
            let (event, tx, block) = self.batch_transaction(&log).await?;
            let data = if event.isBlob {
                // The frames are in the transaction's blobs, read (and
                // KZG-verified) from the beacon API. An unreachable beacon is
                // an error to retry; blobs that do not decode make an invalid
                // batch, which derives by rule.
                let blobs = self.transaction_blobs(&tx, block).await?;
                rollup_protocol::blob_batch_data(
                    &blobs.iter().map(|b| b.as_slice()).collect::<Vec<_>>(),
                )
            } else {
                // A call that is not a direct appendBatch (e.g. through a
                // contract) carries no data we can read: an invalid batch.
                BatchInbox::appendBatchCall::abi_decode(tx.inner.inner().input())
                    .map(|c| c.data)
                    .unwrap_or_default()
            };
            batches.push(PostedBatch {
                index: event.batchIndex.saturating_to(),
                l1_block: block,
                l2_start: event.l2Start,
                l2_end: event.l2End,
                data,
            });
        }
        batches.sort_by_key(|b| b.index);
        Ok(batches)
    }

    /// The blobs of batch `index` of `inbox`, appended in L1 block
    /// `l1_block` (KZG-verified, in the transaction's order); `None` for a
    /// calldata batch. A dispute proof of a block in a blob batch carries
    /// them (`DisputeGameFactory.proveBlock`).
    pub async fn batch_blobs(
        &self,
        inbox: Address,
        index: u64,
        l1_block: u64,
    ) -> Result<Option<Vec<Box<Blob>>>, ClientError> {
        let filter = Filter::new()
            .address(inbox)
            .event_signature(BatchInbox::BatchAppended::SIGNATURE_HASH)
            .topic1(B256::from(alloy_primitives::U256::from(index)))
            .from_block(l1_block)
            .to_block(l1_block);
        let Some(log) = self.provider.get_logs(&filter).await?.into_iter().next() else {
            return Err(ClientError::BadData(format!("batch {index} not in L1 block {l1_block}")));
        };
        let (event, tx, block) = self.batch_transaction(&log).await?;
        if !event.isBlob {
            return Ok(None);
        }
        Ok(Some(self.transaction_blobs(&tx, block).await?))
    }

    /// The `BatchAppended` event of `log`, the transaction that emitted it
    /// and its L1 block number.
    async fn batch_transaction(
        &self,
        log: &alloy::rpc::types::Log,
    ) -> Result<(BatchInbox::BatchAppended, alloy::rpc::types::Transaction, u64), ClientError> {
        let event = BatchInbox::BatchAppended::decode_log(&log.inner)
            .map_err(|e| ClientError::BadData(e.to_string()))?
            .data;
        let hash =
            log.transaction_hash.ok_or_else(|| ClientError::BadData("log without tx".into()))?;
        let tx =
            self.provider.get_transaction_by_hash(hash).await?.ok_or_else(|| {
                ClientError::BadData(format!("batch transaction {hash} not found"))
            })?;
        Ok((event, tx, log.block_number.unwrap_or_default()))
    }

    /// The blobs of blob transaction `tx` of L1 block `block`, from the
    /// beacon API.
    async fn transaction_blobs(
        &self,
        tx: &alloy::rpc::types::Transaction,
        block: u64,
    ) -> Result<Vec<Box<Blob>>, ClientError> {
        use alloy::consensus::Transaction;
        let hashes = tx.inner.inner().blob_versioned_hashes().unwrap_or_default().to_vec();
        self.beacon.blobs(block, &hashes).await
    }
}

/// One blob sidecar as the beacon API serves it (the fields derivation uses).
#[derive(Clone, PartialEq, Eq)]
pub struct BlobSidecar {
    /// Position among the block's blobs.
    pub index: u64,
    /// The blob.
    pub blob: Box<Blob>,
    /// Its KZG commitment.
    pub kzg_commitment: Bytes48,
    /// Its KZG proof.
    pub kzg_proof: Bytes48,
}

impl std::fmt::Debug for BlobSidecar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobSidecar")
            .field("index", &self.index)
            .field("kzg_commitment", &self.kzg_commitment)
            .finish_non_exhaustive()
    }
}

impl BlobSidecar {
    /// `0x01 || sha256(kzg_commitment)[1..]`.
    pub fn versioned_hash(&self) -> B256 {
        kzg_to_versioned_hash(self.kzg_commitment.as_slice())
    }
}

#[derive(serde::Deserialize)]
struct SidecarJson {
    index: String,
    blob: alloy_primitives::Bytes,
    kzg_commitment: Bytes48,
    kzg_proof: Bytes48,
}

/// Reads blob sidecars from a beacon node's API
/// (`GET /eth/v1/beacon/blob_sidecars/{block_id}`). The L1 simulator serves
/// it on its JSON-RPC address, with block numbers as slots.
#[derive(Clone, Debug)]
pub struct BeaconClient {
    http: reqwest::Client,
    url: String,
}

impl BeaconClient {
    /// A client of the beacon API at `url` (e.g. the L1 simulator's RPC URL).
    pub fn new(url: &str) -> Self {
        Self { http: reqwest::Client::new(), url: url.trim_end_matches('/').to_string() }
    }

    /// Every blob sidecar of block `block_id` (a number, `head`, or a `0x`
    /// hash), in index order; `None` if the block is unknown. Unverified:
    /// see [`Self::blobs`].
    pub async fn sidecars(&self, block_id: &str) -> Result<Option<Vec<BlobSidecar>>, ClientError> {
        let url = format!("{}/eth/v1/beacon/blob_sidecars/{block_id}", self.url);
        let response =
            self.http.get(&url).send().await.map_err(|e| ClientError::Beacon(e.to_string()))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !response.status().is_success() {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            return Err(ClientError::Beacon(format!("{url}: {status}: {body}")));
        }
        #[derive(serde::Deserialize)]
        struct Response {
            data: Vec<SidecarJson>,
        }
        let body: Response =
            response.json().await.map_err(|e| ClientError::Beacon(e.to_string()))?;
        body.data
            .into_iter()
            .map(|s| {
                let blob = Blob::try_from(s.blob.as_ref()).map_err(|_| {
                    ClientError::Beacon(format!("blob {} is not 131072 bytes", s.index))
                })?;
                Ok(BlobSidecar {
                    index: s
                        .index
                        .parse()
                        .map_err(|_| ClientError::Beacon(format!("bad index {:?}", s.index)))?,
                    blob: Box::new(blob),
                    kzg_commitment: s.kzg_commitment,
                    kzg_proof: s.kzg_proof,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// The blobs of L1 block `number` whose versioned hashes are
    /// `versioned_hashes` (a blob transaction's, in its order), each
    /// verified: its commitment hashes to the versioned hash and its KZG
    /// proof holds. A missing block, a missing blob or one that does not
    /// verify is an error (derivation must not go on without the data).
    pub async fn blobs(
        &self,
        number: u64,
        versioned_hashes: &[B256],
    ) -> Result<Vec<Box<Blob>>, ClientError> {
        let sidecars = self
            .sidecars(&number.to_string())
            .await?
            .ok_or_else(|| ClientError::Beacon(format!("block {number} not found")))?;
        let mut out = Vec::with_capacity(versioned_hashes.len());
        for hash in versioned_hashes {
            let sidecar = sidecars
                .iter()
                .find(|s| s.versioned_hash() == *hash)
                .ok_or_else(|| ClientError::Beacon(format!("block {number} has no blob {hash}")))?;
            let sidecar_check = BlobTransactionSidecar::new(
                vec![*sidecar.blob],
                vec![sidecar.kzg_commitment],
                vec![sidecar.kzg_proof],
            );
            let tx = alloy_consensus::TxEip4844 {
                blob_versioned_hashes: vec![*hash],
                ..Default::default()
            };
            rollup_protocol::l1_blob::validate_sidecar(&tx, &sidecar_check)
                .map_err(|e| ClientError::Beacon(format!("block {number}: {e}")))?;
            out.push(sidecar.blob.clone());
        }
        Ok(out)
    }
}

impl crate::L1Provider for L1Client {
    type Error = ClientError;

    async fn head(&self) -> Result<u64, ClientError> {
        Self::head(self).await
    }

    async fn origin(&self, number: u64) -> Result<Option<L1Origin>, ClientError> {
        Self::origin(self, number).await
    }

    async fn finalized(&self) -> Result<u64, ClientError> {
        let block = self.provider.get_block_by_number(BlockNumberOrTag::Finalized).await?;
        Ok(block.map_or(0, |b| b.header.number))
    }

    async fn deposits_in_range(
        &self,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, UserDeposit)>, ClientError> {
        Self::deposits_in_range(self, from, to).await
    }

    async fn deposits(&self, number: u64) -> Result<Vec<UserDeposit>, ClientError> {
        Self::deposits(self, number).await
    }
}

impl crate::BatchProvider for L1Client {
    type Error = ClientError;

    async fn batches(
        &self,
        inbox: Address,
        from: u64,
        to: u64,
    ) -> Result<Vec<PostedBatch>, ClientError> {
        Self::batches(self, inbox, from, to).await
    }
}
