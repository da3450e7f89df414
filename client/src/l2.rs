//! What the roles read from the L2 beyond the standard JSON-RPC, and
//! [`L2Client`], the reader of the sequencer the batcher and the proposer
//! use ([`crate::L2Provider`] over JSON-RPC).

use alloy::{
    primitives::U64,
    providers::{Provider, RootProvider},
};
use alloy_primitives::B256;
use rollup_protocol::batch::BatchBlock;
use serde::{Deserialize, Serialize};

/// The answer of the L2's `rollup_getBatchBlock(number)`: the block as a
/// batch carries it (timestamp, L1 origin, EIP-2718 user transactions; no
/// deposit, neither the L1-attributes deposit nor user deposits, which
/// derivation regenerates from L1) and
/// its hash, by which a reader notices that an L2 reorg replaced it. The
/// sequencer serves it; the batcher and verifier nodes read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedBatchBlock {
    /// The block's batch fields.
    #[serde(flatten)]
    pub block: BatchBlock,
    /// `keccak256(rlp(header))` of the L2 block.
    pub hash: B256,
}

/// Errors reading the L2.
#[derive(Debug, thiserror::Error)]
pub enum L2Error {
    /// The URL does not parse.
    #[error("invalid L2 RPC url {0:?}")]
    Url(String),
    /// The RPC call failed (temporary: retry).
    #[error("L2 RPC: {0}")]
    Transport(#[from] alloy::transports::TransportError),
    /// A method answered something that is not its documented shape.
    #[error("L2 {method}: {source}")]
    BadResponse {
        /// The JSON-RPC method.
        method: &'static str,
        /// Why it does not parse.
        source: serde_json::Error,
    },
}

impl L2Error {
    /// How a caller reacts: a bad URL is critical, anything read is retried.
    pub const fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Url(_) => crate::ErrorKind::Critical,
            Self::Transport(_) | Self::BadResponse { .. } => crate::ErrorKind::Temporary,
        }
    }
}

/// Reads the sequencer's L2: sealed blocks as batches carry them, the safe
/// head and output roots (the rollup methods of API.md).
#[derive(Clone, Debug)]
pub struct L2Client {
    provider: RootProvider,
}

impl L2Client {
    /// A client of the L2 JSON-RPC at `url`.
    pub fn new(url: &str) -> Result<Self, L2Error> {
        let url = url.parse().map_err(|_| L2Error::Url(url.to_string()))?;
        Ok(Self { provider: RootProvider::new_http(url) })
    }

    /// The provider, for the standard methods.
    pub const fn provider(&self) -> &RootProvider {
        &self.provider
    }
}

impl crate::L2Provider for L2Client {
    type Error = L2Error;

    async fn head(&self) -> Result<u64, L2Error> {
        Ok(self.provider.get_block_number().await?)
    }

    async fn batch_block(&self, number: u64) -> Result<Option<SealedBatchBlock>, L2Error> {
        Ok(self.provider.raw_request("rollup_getBatchBlock".into(), (U64::from(number),)).await?)
    }

    async fn safe_head(&self) -> Result<u64, L2Error> {
        let status: serde_json::Value =
            self.provider.raw_request("optimism_syncStatus".into(), ()).await?;
        serde_json::from_value(status["safe_l2"]["number"].clone())
            .map_err(|source| L2Error::BadResponse { method: "optimism_syncStatus", source })
    }

    async fn output_root(&self, block: u64) -> Result<B256, L2Error> {
        let output: serde_json::Value =
            self.provider.raw_request("optimism_outputAtBlock".into(), (U64::from(block),)).await?;
        serde_json::from_value(output["outputRoot"].clone())
            .map_err(|source| L2Error::BadResponse { method: "optimism_outputAtBlock", source })
    }
}
