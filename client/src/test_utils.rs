//! In-memory implementations of the reader traits, for unit tests of the
//! roles' decisions (no L1 simulator, no network).

use crate::{BatchProvider, L1Provider, L2Provider, SealedBatchBlock};
use alloy_primitives::{Address, B256};
use rollup_protocol::{L1Origin, PostedBatch, UserDeposit, batch::BatchBlock};
use std::{collections::BTreeMap, convert::Infallible};

/// An L1 held in memory: blocks `0..=head` as L1 origins, deposits by
/// block, batches by inbox. Reads never fail.
#[derive(Clone, Debug, Default)]
pub struct MemoryL1 {
    /// The L1 blocks, by number.
    pub origins: BTreeMap<u64, L1Origin>,
    /// Deposits by L1 block, in index order.
    pub deposits: BTreeMap<u64, Vec<UserDeposit>>,
    /// Posted batches, with the inbox they were posted to.
    pub batches: Vec<(Address, PostedBatch)>,
    /// The newest final block (the `finalized` tag).
    pub finalized: u64,
    /// Reorgs so far: blocks mined after a reorg get other hashes.
    pub generation: u8,
}

impl MemoryL1 {
    /// An L1 with blocks `0..=head`, one every `block_time` seconds from
    /// `genesis_time`, with distinct hashes and a 1 gwei base fee.
    pub fn with_blocks(head: u64, genesis_time: u64, block_time: u64) -> Self {
        let mut l1 = Self::default();
        for number in 0..=head {
            l1.push_block(genesis_time + number * block_time);
        }
        l1
    }

    /// Mines the next block with `timestamp`; returns its origin.
    pub fn push_block(&mut self, timestamp: u64) -> L1Origin {
        let number = self.origins.last_key_value().map_or(0, |(n, _)| n + 1);
        let mut hash = B256::with_last_byte((number % 255) as u8 + 1);
        hash.0[0] = self.generation;
        let origin =
            L1Origin { number, hash, timestamp, base_fee: 1_000_000_000, blob_base_fee: 1 };
        self.origins.insert(number, origin);
        origin
    }

    /// Drops the last `depth` blocks with their deposits and batches (an
    /// L1 reorg, or `anvil_rollback`); blocks mined after it get other
    /// hashes.
    pub fn rollback(&mut self, depth: u64) {
        let head = self.origins.last_key_value().map_or(0, |(n, _)| *n);
        let keep = head.saturating_sub(depth);
        let _ = self.origins.split_off(&(keep + 1));
        let _ = self.deposits.split_off(&(keep + 1));
        self.batches.retain(|(_, b)| b.l1_block <= keep);
        self.generation = self.generation.wrapping_add(1);
    }

    /// Adds a deposit to L1 block `block` (its index is the next one).
    pub fn deposit(&mut self, block: u64, mut deposit: UserDeposit) -> UserDeposit {
        deposit.index = self.deposits.values().map(Vec::len).sum::<usize>() as u64;
        self.deposits.entry(block).or_default().push(deposit.clone());
        deposit
    }
}

impl L1Provider for MemoryL1 {
    type Error = Infallible;

    async fn head(&self) -> Result<u64, Infallible> {
        Ok(self.origins.last_key_value().map_or(0, |(n, _)| *n))
    }

    async fn origin(&self, number: u64) -> Result<Option<L1Origin>, Infallible> {
        Ok(self.origins.get(&number).copied())
    }

    async fn finalized(&self) -> Result<u64, Infallible> {
        Ok(self.finalized)
    }

    async fn deposits_in_range(
        &self,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, UserDeposit)>, Infallible> {
        Ok(self
            .deposits
            .range(from..=to)
            .flat_map(|(block, ds)| ds.iter().map(move |d| (*block, d.clone())))
            .collect())
    }
}

impl BatchProvider for MemoryL1 {
    type Error = Infallible;

    async fn batches(
        &self,
        inbox: Address,
        from: u64,
        to: u64,
    ) -> Result<Vec<PostedBatch>, Infallible> {
        Ok(self
            .batches
            .iter()
            .filter(|(a, b)| *a == inbox && (from..=to).contains(&b.l1_block))
            .map(|(_, b)| b.clone())
            .collect())
    }
}

/// An L2 held in memory: sealed blocks by number, the safe head and output
/// roots. Reads never fail.
#[derive(Clone, Debug, Default)]
pub struct MemoryL2 {
    /// The blocks, by number.
    pub blocks: BTreeMap<u64, SealedBatchBlock>,
    /// The safe head.
    pub safe: u64,
    /// Output roots by block.
    pub outputs: BTreeMap<u64, B256>,
    /// Reorgs so far: blocks sealed after a reorg get other hashes.
    pub generation: u8,
}

impl MemoryL2 {
    /// Seals the next block (`number` follows the last) with `transactions`;
    /// returns it.
    pub fn push_block(&mut self, transactions: Vec<alloy_primitives::Bytes>) -> SealedBatchBlock {
        let number = self.blocks.last_key_value().map_or(0, |(n, _)| n + 1);
        let mut hash = B256::with_last_byte((number % 255) as u8 + 1);
        hash.0[0] = self.generation;
        hash.0[1] = 0x12;
        let block = SealedBatchBlock {
            block: BatchBlock {
                number,
                timestamp: 1_000 + number,
                l1_origin_number: number / 6,
                l1_origin_hash: B256::with_last_byte(1),
                transactions,
            },
            hash,
        };
        self.blocks.insert(number, block.clone());
        block
    }

    /// Drops blocks `from..` (an L2 reorg); blocks sealed after it get other
    /// hashes.
    pub fn reorg_from(&mut self, from: u64) {
        let _ = self.blocks.split_off(&from);
        self.generation = self.generation.wrapping_add(1);
    }
}

impl L2Provider for MemoryL2 {
    type Error = Infallible;

    async fn head(&self) -> Result<u64, Infallible> {
        Ok(self.blocks.last_key_value().map_or(0, |(n, _)| *n))
    }

    async fn batch_block(&self, number: u64) -> Result<Option<SealedBatchBlock>, Infallible> {
        Ok(self.blocks.get(&number).cloned())
    }

    async fn safe_head(&self) -> Result<u64, Infallible> {
        Ok(self.safe)
    }

    async fn output_root(&self, block: u64) -> Result<B256, Infallible> {
        Ok(self.outputs.get(&block).copied().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_l1_reads_what_was_put_in() {
        let mut l1 = MemoryL1::with_blocks(3, 100, 12);
        assert_eq!(l1.head().await.unwrap(), 3);
        assert_eq!(l1.origin(2).await.unwrap().unwrap().timestamp, 124);
        assert_eq!(l1.origin(4).await.unwrap(), None);
        l1.deposit(2, UserDeposit::default());
        let second = l1.deposit(3, UserDeposit::default());
        assert_eq!(second.index, 1);
        assert_eq!(l1.deposits(2).await.unwrap().len(), 1);
        assert_eq!(l1.deposits_in_range(0, 3).await.unwrap().len(), 2);
        assert!(l1.deposits(1).await.unwrap().is_empty());
    }
}
