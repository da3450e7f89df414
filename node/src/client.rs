//! Readers of the L1 JSON-RPC shared by the roles (alloy over HTTP): the L1
//! origin of a block and the bridge's deposit events. Roles talk to the L1
//! only through this public interface, in one process or across machines.

use alloy::{
    providers::{Provider, RootProvider},
    rpc::types::{BlockNumberOrTag, Filter},
    sol_types::SolEvent,
};
use alloy_primitives::Address;
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
}

impl L1Client {
    /// A client of the L1 at `url` whose bridge is `bridge`.
    pub fn new(url: &str, bridge: Address) -> Result<Self, ClientError> {
        Ok(Self { provider: http_provider(url)?, bridge })
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
        Ok(Some(L1Origin {
            number: block.header.number,
            hash: block.header.hash,
            timestamp: block.header.timestamp,
            base_fee: block.header.base_fee_per_gas.unwrap_or_default(),
        }))
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
            let event = BatchInbox::BatchAppended::decode_log(&log.inner)
                .map_err(|e| ClientError::BadData(e.to_string()))?;
            let hash = log
                .transaction_hash
                .ok_or_else(|| ClientError::BadData("log without tx".into()))?;
            let tx = self.provider.get_transaction_by_hash(hash).await?.ok_or_else(|| {
                ClientError::BadData(format!("batch transaction {hash} not found"))
            })?;
            // A call that is not a direct appendBatch (e.g. through a contract)
            // carries no data we can read: it derives as an invalid batch.
            let data = BatchInbox::appendBatchCall::abi_decode(tx.inner.inner().input())
                .map(|c| c.data)
                .unwrap_or_default();
            batches.push(PostedBatch {
                index: event.batchIndex.saturating_to(),
                l1_block: log.block_number.unwrap_or_default(),
                l2_start: event.l2Start,
                l2_end: event.l2End,
                data,
            });
        }
        batches.sort_by_key(|b| b.index);
        Ok(batches)
    }
}
