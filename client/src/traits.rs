//! What the roles read from the L1 and the L2, as small async traits (kona's
//! `ChainProvider` and `DataAvailabilityProvider`,
//! `crates/protocol/derive/src/traits/`). [`crate::L1Client`] implements
//! them over JSON-RPC; [`crate::test_utils`] holds in-memory
//! implementations, so a role's decisions can be tested without an L1.

use crate::SealedBatchBlock;
use alloy_primitives::{Address, B256};
use rollup_protocol::{L1Origin, PostedBatch, UserDeposit};
use std::future::Future;

/// L1 blocks and the bridge's deposits: what the sequencer needs to pick an
/// L1 origin and include deposits, and what derivation needs besides the
/// batches.
pub trait L1Provider: Send + Sync {
    /// The error of a read; an implementation over the network returns
    /// temporary errors the caller retries.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The L1 head block number.
    fn head(&self) -> impl Future<Output = Result<u64, Self::Error>> + Send;

    /// L1 block `number` as an L1 origin, `None` if not yet mined.
    fn origin(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Option<L1Origin>, Self::Error>> + Send;

    /// The number of the newest final L1 block (what the L1 answers for
    /// the `finalized` tag; 0 before any is).
    fn finalized(&self) -> impl Future<Output = Result<u64, Self::Error>> + Send;

    /// The deposits made in L1 blocks `from..=to` with their L1 block, in
    /// deposit-index order.
    fn deposits_in_range(
        &self,
        from: u64,
        to: u64,
    ) -> impl Future<Output = Result<Vec<(u64, UserDeposit)>, Self::Error>> + Send;

    /// The deposits made in L1 block `number`, in deposit-index order.
    fn deposits(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Vec<UserDeposit>, Self::Error>> + Send {
        async move {
            Ok(self.deposits_in_range(number, number).await?.into_iter().map(|(_, d)| d).collect())
        }
    }
}

/// The batches posted to a `BatchInbox`, with their data (calldata or
/// blobs): what derivation reads besides blocks and deposits.
pub trait BatchProvider: Send + Sync {
    /// The error of a read.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The batches appended to `inbox` in L1 blocks `from..=to`, in batch
    /// order.
    fn batches(
        &self,
        inbox: Address,
        from: u64,
        to: u64,
    ) -> impl Future<Output = Result<Vec<PostedBatch>, Self::Error>> + Send;
}

/// What the batcher and the proposer read from the L2 sequencer: sealed
/// blocks as a batch carries them, the safe head, output roots.
pub trait L2Provider: Send + Sync {
    /// The error of a read.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The L2 head (unsafe) block number.
    fn head(&self) -> impl Future<Output = Result<u64, Self::Error>> + Send;

    /// L2 block `number` as a batch carries it, with its hash (`None` if
    /// the L2 does not have it, e.g. after a reorg shortened the chain).
    fn batch_block(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Option<SealedBatchBlock>, Self::Error>> + Send;

    /// The safe head: the newest block the chain derived from L1 agrees
    /// with (`optimism_syncStatus`).
    fn safe_head(&self) -> impl Future<Output = Result<u64, Self::Error>> + Send;

    /// The output root of block `block` (`optimism_outputAtBlock`).
    fn output_root(&self, block: u64) -> impl Future<Output = Result<B256, Self::Error>> + Send;
}
