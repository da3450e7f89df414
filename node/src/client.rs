//! Readers of the L1 JSON-RPC shared by the roles (alloy over HTTP): the L1
//! origin of a block and the bridge's deposit events. Roles talk to the L1
//! only through this public interface, in one process or across machines.

use alloy::{
    providers::{Provider, RootProvider},
    rpc::types::{BlockNumberOrTag, Filter},
    sol_types::SolEvent,
};
use alloy_primitives::Address;
use rollup_contracts::Bridge;
use rollup_protocol::{L1Origin, UserDeposit};

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

    /// The deposits made in L1 block `number`, in deposit-index order.
    pub async fn deposits(&self, number: u64) -> Result<Vec<UserDeposit>, ClientError> {
        let filter = Filter::new()
            .address(self.bridge)
            .event_signature(Bridge::TransactionDeposited::SIGNATURE_HASH)
            .from_block(number)
            .to_block(number);
        let mut deposits = Vec::new();
        for log in self.provider.get_logs(&filter).await? {
            let event = Bridge::TransactionDeposited::decode_log(&log.inner)
                .map_err(|e| ClientError::BadData(e.to_string()))?;
            deposits.push(UserDeposit::from(&event.data));
        }
        deposits.sort_by_key(|d| d.index);
        Ok(deposits)
    }
}
