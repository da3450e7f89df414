//! The in-memory view of a chain: its blocks, transaction index and world
//! state. Everything here is also in the [`crate::ChainStore`], written before
//! it becomes visible.

use alloy_consensus::Header;
use alloy_primitives::{B256, map::HashMap};
use rollup_protocol::{ExecutedTx, MemoryState};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

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

/// Blocks, transaction index and state of one chain.
#[derive(Debug, Default)]
pub struct Chain {
    /// World state at the head.
    pub state: MemoryState,
    blocks: Vec<Arc<StoredBlock>>,
    by_hash: HashMap<B256, u64>,
    txs: HashMap<B256, TxLocation>,
}

impl Chain {
    /// A chain from its blocks (genesis first) and head state.
    pub fn new(state: MemoryState, blocks: Vec<StoredBlock>) -> Self {
        let mut chain = Self { state, ..Default::default() };
        for block in blocks {
            chain.push(block);
        }
        chain
    }

    /// Appends a block (its state changes are already in [`Self::state`]).
    pub fn push(&mut self, block: StoredBlock) {
        debug_assert_eq!(block.number(), self.blocks.len() as u64);
        self.by_hash.insert(block.hash, block.number());
        for (index, tx) in block.transactions.iter().enumerate() {
            self.txs.insert(tx.tx.tx_hash(), TxLocation { block: block.number(), index });
        }
        self.state.set_block_hash(block.number(), block.hash);
        self.blocks.push(Arc::new(block));
    }

    /// Drops every block above `number` (used by `evm_revert`).
    pub fn truncate(&mut self, number: u64) {
        while self.blocks.len() as u64 > number + 1 {
            let Some(block) = self.blocks.pop() else { break };
            self.by_hash.remove(&block.hash);
            for tx in &block.transactions {
                self.txs.remove(&tx.tx.tx_hash());
            }
        }
    }

    /// The head block.
    pub fn head(&self) -> &Arc<StoredBlock> {
        self.blocks.last().expect("a chain always has its genesis block")
    }

    /// Number of the head block.
    pub fn head_number(&self) -> u64 {
        self.blocks.len().saturating_sub(1) as u64
    }

    /// Block by number.
    pub fn block(&self, number: u64) -> Option<&Arc<StoredBlock>> {
        self.blocks.get(usize::try_from(number).ok()?)
    }

    /// Block by hash.
    pub fn block_by_hash(&self, hash: &B256) -> Option<&Arc<StoredBlock>> {
        self.by_hash.get(hash).and_then(|n| self.block(*n))
    }

    /// Location of a transaction.
    pub fn tx_location(&self, hash: &B256) -> Option<TxLocation> {
        self.txs.get(hash).copied()
    }

    /// Whether the chain has blocks (it always does once initialised).
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}
