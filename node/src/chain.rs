//! The in-memory view of a chain: its world state, the most recent blocks
//! and the hashes of the blocks before them. Everything here is also in the
//! [`crate::ChainStore`], written before it becomes visible; older blocks,
//! their receipts and the transaction index are read from the store
//! ([`crate::Node::block`], [`crate::Node::tx_location`]), so memory is
//! bounded by the state, not by the length of the chain.

use alloy_consensus::Header;
use alloy_primitives::{B256, map::HashMap};
use rollup_protocol::{ExecutedTx, MemoryState};
use serde::{Deserialize, Serialize};
use std::{collections::VecDeque, sync::Arc};

/// Blocks (with their transactions and receipts) kept in memory, the head
/// included: what block production, the L2's reorg checks and most RPC
/// reads touch. At 30M gas of ETH transfers a block (about 1,400
/// transactions, about 0.5 MB in memory) this is about 32 MB.
pub const RECENT_BLOCKS: usize = 64;

/// Block hashes kept in memory, the head's included: the 256 `BLOCKHASH`
/// serves, block filters and `eth_getBlockByHash` of recent blocks
/// (8,192 hashes: about 0.5 MB with their index; half an hour of 250 ms
/// blocks).
pub const RECENT_HASHES: usize = 8192;

/// A sealed block with its transactions and receipts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBlock {
    /// The header.
    pub header: Header,
    /// `keccak256(rlp(header))`.
    pub hash: B256,
    /// Transactions with senders and receipts, in block order.
    pub transactions: Vec<ExecutedTx>,
}

impl StoredBlock {
    /// Block number.
    pub const fn number(&self) -> u64 {
        self.header.number
    }
}

/// Where a transaction sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLocation {
    /// Block number.
    pub block: u64,
    /// Index in the block.
    pub index: usize,
}

/// What a [`Chain`] holds in memory besides the state (for tests and
/// metrics of the bound).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainFootprint {
    /// Blocks held (at most [`RECENT_BLOCKS`]).
    pub blocks: usize,
    /// Block hashes held (at most [`RECENT_HASHES`]).
    pub hashes: usize,
    /// Transactions indexed (those of the blocks held).
    pub transactions: usize,
}

/// The state of one chain and the tip of its history.
#[derive(Debug, Default)]
pub struct Chain {
    /// World state at the head.
    pub state: MemoryState,
    /// The last [`RECENT_BLOCKS`] blocks, head last.
    recent: VecDeque<Arc<StoredBlock>>,
    /// Hashes of the last [`RECENT_HASHES`] blocks, head last.
    hashes: VecDeque<B256>,
    by_hash: HashMap<B256, u64>,
    txs: HashMap<B256, TxLocation>,
}

impl Chain {
    /// A chain at `state` whose tip is `recent` (ascending, ending at the
    /// head, not empty), with `hashes` the hashes of the blocks up to the
    /// head (ascending, ending at the head's).
    pub fn new(state: MemoryState, hashes: Vec<B256>, recent: Vec<StoredBlock>) -> Self {
        let mut chain = Self { state, ..Default::default() };
        chain.set_tip(hashes, recent);
        chain
    }

    /// Replaces the tip (after an unwind): `hashes` and `recent` as in
    /// [`Self::new`].
    pub fn set_tip(&mut self, hashes: Vec<B256>, recent: Vec<StoredBlock>) {
        self.recent.clear();
        self.hashes.clear();
        self.by_hash.clear();
        self.txs.clear();
        let Some(head) = recent.last().map(StoredBlock::number) else { return };
        let first_hash = (head + 1).saturating_sub(hashes.len() as u64);
        for (i, hash) in hashes.into_iter().enumerate() {
            let number = first_hash + i as u64;
            self.by_hash.insert(hash, number);
            self.hashes.push_back(hash);
        }
        self.trim_hashes();
        self.state.truncate_block_hashes(head);
        for block in recent {
            self.push_block(block);
        }
        for number in head.saturating_sub(255)..=head {
            if let Some(hash) = self.hash(number) {
                self.state.set_block_hash(number, hash);
            }
        }
    }

    /// Appends a block (its state changes are already in [`Self::state`]).
    pub fn push(&mut self, block: StoredBlock) {
        debug_assert!(self.recent.is_empty() || block.number() == self.head_number() + 1);
        self.by_hash.insert(block.hash, block.number());
        self.hashes.push_back(block.hash);
        self.trim_hashes();
        self.state.set_block_hash(block.number(), block.hash);
        self.push_block(block);
    }

    /// Adds `block` to the recent blocks and the transaction index (its hash
    /// is already in the hash window).
    fn push_block(&mut self, block: StoredBlock) {
        for (index, tx) in block.transactions.iter().enumerate() {
            self.txs.insert(tx.tx.tx_hash(), TxLocation { block: block.number(), index });
        }
        self.recent.push_back(Arc::new(block));
        while self.recent.len() > RECENT_BLOCKS {
            let Some(old) = self.recent.pop_front() else { break };
            for tx in &old.transactions {
                self.txs.remove(&tx.tx.tx_hash());
            }
        }
    }

    fn trim_hashes(&mut self) {
        while self.hashes.len() > RECENT_HASHES {
            let Some(old) = self.hashes.pop_front() else { break };
            self.by_hash.remove(&old);
        }
    }

    /// The head block.
    pub fn head(&self) -> &Arc<StoredBlock> {
        self.recent.back().expect("a chain always has its head block")
    }

    /// Number of the head block.
    pub fn head_number(&self) -> u64 {
        self.recent.back().map_or(0, |b| b.number())
    }

    /// Block `number` if it is among the [`RECENT_BLOCKS`] held in memory
    /// (older ones: [`crate::Node::block`]).
    pub fn recent_block(&self, number: u64) -> Option<&Arc<StoredBlock>> {
        let first = self.recent.front()?.number();
        self.recent.get(usize::try_from(number.checked_sub(first)?).ok()?)
    }

    /// Block with `hash` if it is among the recent blocks.
    pub fn recent_block_by_hash(&self, hash: &B256) -> Option<&Arc<StoredBlock>> {
        self.by_hash.get(hash).and_then(|n| self.recent_block(*n))
    }

    /// The number of the block with `hash`, if it is among the last
    /// [`RECENT_HASHES`].
    pub fn block_number(&self, hash: &B256) -> Option<u64> {
        self.by_hash.get(hash).copied()
    }

    /// The hash of block `number`, if it is among the last [`RECENT_HASHES`].
    pub fn hash(&self, number: u64) -> Option<B256> {
        let first = (self.head_number() + 1).checked_sub(self.hashes.len() as u64)?;
        self.hashes.get(usize::try_from(number.checked_sub(first)?).ok()?).copied()
    }

    /// Location of a transaction of a recent block.
    pub fn recent_tx_location(&self, hash: &B256) -> Option<TxLocation> {
        self.txs.get(hash).copied()
    }

    /// What the chain holds in memory besides the state.
    pub fn footprint(&self) -> ChainFootprint {
        ChainFootprint {
            blocks: self.recent.len(),
            hashes: self.hashes.len(),
            transactions: self.txs.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(number: u64) -> StoredBlock {
        let header = Header { number, ..Default::default() };
        StoredBlock { hash: header.hash_slow(), header, transactions: vec![] }
    }

    #[test]
    fn memory_stays_bounded_as_blocks_grow() {
        let mut chain = Chain::new(MemoryState::new(), vec![block(0).hash], vec![block(0)]);
        let total = RECENT_HASHES as u64 + 500;
        for n in 1..=total {
            chain.push(block(n));
        }
        assert_eq!(chain.head_number(), total);
        assert_eq!(
            chain.footprint(),
            ChainFootprint { blocks: RECENT_BLOCKS, hashes: RECENT_HASHES, transactions: 0 }
        );
        assert_eq!(chain.by_hash.len(), RECENT_HASHES);
        // The recent window answers; older blocks are the store's.
        assert_eq!(chain.recent_block(total).unwrap().hash, block(total).hash);
        let oldest_recent = total + 1 - RECENT_BLOCKS as u64;
        assert!(chain.recent_block(oldest_recent).is_some());
        assert!(chain.recent_block(oldest_recent - 1).is_none());
        assert!(chain.recent_block(total + 1).is_none());
        // Hashes reach further back, and no further.
        let oldest_hash = total + 1 - RECENT_HASHES as u64;
        assert_eq!(chain.hash(oldest_hash), Some(block(oldest_hash).hash));
        assert_eq!(chain.hash(oldest_hash - 1), None);
        assert_eq!(chain.block_number(&block(oldest_hash).hash), Some(oldest_hash));
        assert_eq!(chain.block_number(&block(oldest_hash - 1).hash), None);
    }

    #[test]
    fn a_new_tip_replaces_the_old_one() {
        let mut chain = Chain::new(MemoryState::new(), vec![block(0).hash], vec![block(0)]);
        for n in 1..=100 {
            chain.push(block(n));
        }
        let hashes: Vec<B256> = (0..=10).map(|n| block(n).hash).collect();
        chain.set_tip(hashes, (0..=10).map(block).collect());
        assert_eq!(chain.head_number(), 10);
        assert_eq!(chain.footprint().blocks, 11);
        assert_eq!(chain.hash(11), None);
        assert_eq!(chain.block_number(&block(50).hash), None);
        assert_eq!(chain.hash(3), Some(block(3).hash));
        chain.push(block(11));
        assert_eq!(chain.recent_block(11).unwrap().number(), 11);
    }
}
