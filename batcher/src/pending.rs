//! The channel being filled: the sealed L2 blocks not yet batched and how
//! long they have waited.

use crate::fill::{CompressionEstimate, raw_block_size};
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
