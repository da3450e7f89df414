//! The channel being filled: the sealed L2 blocks not yet batched and how
//! long they have waited.

use crate::{
    BatcherError,
    fill::{CompressionEstimate, FillPolicy, raw_block_size},
};
use rollup_client::L2Provider;
use rollup_protocol::batch::BatchBlock;
use std::{
    collections::VecDeque,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// A sealed L2 block waiting for its channel.
#[derive(Debug)]
pub(crate) struct PendingBlock {
    pub(crate) block: BatchBlock,
    /// Its L2 block hash, to notice an L2 reorg under it.
    pub(crate) hash: alloy_primitives::B256,
    /// Its raw size ([`raw_block_size`]).
    pub(crate) raw: usize,
    /// When the batcher first saw it.
    pub(crate) seen: tokio::time::Instant,
}

impl PendingBlock {
    /// How long it has waited: since the batcher saw it, or since its L2
    /// timestamp (whole seconds, so one second is given back) for blocks a
    /// restarted batcher finds already old.
    pub(crate) fn waited(&self) -> Duration {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let by_timestamp = now.saturating_sub(self.block.timestamp.saturating_add(1));
        self.seen.elapsed().max(Duration::from_secs(by_timestamp))
    }
}

/// The channel being filled: the sealed L2 blocks not yet batched,
/// contiguous from `BatchInbox.nextL2Block()`, and the compression ratio
/// learned so far.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    pub(crate) blocks: VecDeque<PendingBlock>,
    pub(crate) raw: usize,
    pub(crate) estimate: CompressionEstimate,
}

impl Pending {
    /// Drops the blocks already batched (below `next`); drops everything if
    /// the blocks kept no longer start at `next`.
    pub(crate) fn resync(&mut self, next: u64) {
        while self.blocks.front().is_some_and(|b| b.block.number < next) {
            self.pop_front(1);
        }
        if self.blocks.front().is_some_and(|b| b.block.number != next) {
            self.blocks.clear();
            self.raw = 0;
        }
    }

    /// The next block number to fetch.
    pub(crate) fn next_number(&self, next: u64) -> u64 {
        self.blocks.back().map_or(next, |b| b.block.number + 1)
    }

    pub(crate) fn push(&mut self, block: BatchBlock, hash: alloy_primitives::B256) {
        let raw = raw_block_size(&block);
        self.raw += raw;
        self.blocks.push_back(PendingBlock { block, hash, raw, seen: tokio::time::Instant::now() });
    }

    /// Drops every block (the L2 reorged under them: fetch them again).
    pub(crate) fn clear(&mut self) {
        self.blocks.clear();
        self.raw = 0;
    }

    pub(crate) fn pop_front(&mut self, n: usize) {
        for b in self.blocks.drain(..n.min(self.blocks.len())) {
            self.raw -= b.raw;
        }
    }

    pub(crate) fn estimated_bytes(&self) -> usize {
        self.estimate.estimate(self.raw)
    }

    pub(crate) fn oldest_waited(&self) -> Duration {
        self.blocks.front().map_or(Duration::ZERO, PendingBlock::waited)
    }
}

/// Brings `pending` (already resynced to `next`, the inbox's next L2 block)
/// up to the L2 head `l2_head`: drops the pending blocks if an L2 reorg
/// replaced them (the newest one's hash changed: the sequencer adopted the
/// chain derived from L1), then fetches the blocks after the last pending
/// one, as many as one channel under `policy` could take (at most
/// `max_blocks`, and until the estimate reaches twice the capacity, so the
/// channel can still be cut at its fullest).
pub(crate) async fn refill<P: L2Provider>(
    l2: &P,
    pending: &mut Pending,
    next: u64,
    l2_head: u64,
    policy: &FillPolicy,
) -> Result<(), BatcherError>
where
    BatcherError: From<P::Error>,
{
    if let Some(last) = pending.blocks.back() {
        let now = l2.batch_block(last.block.number).await?;
        if now.map(|b| b.hash) != Some(last.hash) {
            tracing::info!(target: "batcher", from = next, "L2 reorg under the pending blocks; refetching");
            pending.clear();
        }
    }
    let mut number = pending.next_number(next);
    while number <= l2_head
        && pending.blocks.len() < policy.max_blocks
        && pending.estimated_bytes() < policy.capacity.saturating_mul(2)
    {
        let sealed = l2.batch_block(number).await?.ok_or(BatcherError::MissingL2Block(number))?;
        pending.push(sealed.block, sealed.hash);
        number += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Bytes;
    use rollup_client::test_utils::MemoryL2;

    fn policy(max_blocks: usize, capacity: usize) -> FillPolicy {
        FillPolicy { capacity, max_duration: Duration::from_secs(2), max_blocks }
    }

    fn l2_with(blocks: usize) -> MemoryL2 {
        let mut l2 = MemoryL2::default();
        for i in 0..blocks {
            l2.push_block(vec![Bytes::from(vec![i as u8; 100])]);
        }
        l2
    }

    fn numbers(pending: &Pending) -> Vec<u64> {
        pending.blocks.iter().map(|b| b.block.number).collect()
    }

    #[tokio::test]
    async fn fetches_from_the_inbox_next_block_up_to_the_head_or_the_block_cap() {
        let l2 = l2_with(10);
        let mut pending = Pending::default();
        refill(&l2, &mut pending, 3, 9, &policy(4, 1 << 20)).await.unwrap();
        assert_eq!(numbers(&pending), [3, 4, 5, 6]);
        // The next pass continues after the last pending block.
        refill(&l2, &mut pending, 3, 9, &policy(100, 1 << 20)).await.unwrap();
        assert_eq!(numbers(&pending), (3..=9).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn stops_once_twice_the_channel_capacity_is_pending() {
        let l2 = l2_with(50);
        let mut pending = Pending::default();
        let one = raw_block_size(&l2.blocks[&0].block);
        refill(&l2, &mut pending, 0, 49, &policy(1_000, 2 * one)).await.unwrap();
        // The conservative initial estimate counts every raw byte or more.
        assert!(pending.blocks.len() < 50, "{}", pending.blocks.len());
        assert!(pending.estimated_bytes() >= 4 * one);
    }

    #[tokio::test]
    async fn an_l2_reorg_under_the_pending_blocks_makes_them_fetched_again() {
        let mut l2 = l2_with(6);
        let mut pending = Pending::default();
        refill(&l2, &mut pending, 0, 5, &policy(100, 1 << 20)).await.unwrap();
        let old = pending.blocks[4].hash;
        // The sequencer reorgs blocks 4.. and seals new ones.
        l2.reorg_from(4);
        l2.push_block(vec![]);
        l2.push_block(vec![]);
        refill(&l2, &mut pending, 0, 5, &policy(100, 1 << 20)).await.unwrap();
        assert_eq!(numbers(&pending), (0..=5).collect::<Vec<_>>());
        assert_ne!(pending.blocks[4].hash, old);
        assert_eq!(pending.blocks[4].hash, l2.blocks[&4].hash);
        assert!(pending.blocks[4].block.transactions.is_empty());
    }

    #[tokio::test]
    async fn a_block_the_l2_no_longer_has_is_a_reset() {
        let mut l2 = l2_with(3);
        l2.reorg_from(2);
        let mut pending = Pending::default();
        let err = refill(&l2, &mut pending, 0, 2, &policy(100, 1 << 20)).await.unwrap_err();
        assert!(matches!(err, BatcherError::MissingL2Block(2)), "{err}");
        assert_eq!(err.kind(), rollup_client::ErrorKind::Reset);
    }
}
