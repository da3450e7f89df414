//! The L1 data derivation needs, fetched over JSON-RPC and cached: L1 block
//! origins and the bridge's deposits, by L1 block. The origins keep the
//! hash of every L1 block read, so an L1 reorg (a block at a height already
//! read now has another hash, or is gone) is found by walking back to the
//! last block whose hash is unchanged ([`L1Cache::fork_point`]).

use rollup_client::L1Provider;
use rollup_protocol::{L1Origin, L1View, UserDeposit};
use std::collections::BTreeMap;

/// Why the cache could not be filled.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError<E> {
    /// Reading the L1 failed.
    #[error(transparent)]
    L1(#[from] E),
    /// An L1 block at or below the head is missing (the L1 reorged while
    /// it was read): re-read.
    #[error("L1 block {0} missing")]
    Missing(u64),
}

/// L1 origins and deposits for every L1 block fetched so far.
#[derive(Debug, Default)]
pub(crate) struct L1Cache {
    origins: BTreeMap<u64, L1Origin>,
    deposits: BTreeMap<u64, Vec<UserDeposit>>,
    fetched_to: Option<u64>,
}

impl L1Cache {
    /// Fetches every L1 block up to `to` not fetched yet.
    pub(crate) async fn fetch_to<P: L1Provider>(
        &mut self,
        l1: &P,
        to: u64,
    ) -> Result<(), FetchError<P::Error>> {
        let from = self.fetched_to.map_or(0, |n| n + 1);
        if from > to {
            return Ok(());
        }
        for number in from..=to {
            match l1.origin(number).await? {
                Some(origin) => {
                    self.origins.insert(number, origin);
                }
                None => return Err(FetchError::Missing(number)),
            }
        }
        for (block, deposit) in l1.deposits_in_range(from, to).await? {
            self.deposits.entry(block).or_default().push(deposit);
        }
        self.fetched_to = Some(to);
        Ok(())
    }
}

impl L1Cache {
    /// The L1 block read last, if any.
    #[cfg(test)]
    pub(crate) const fn fetched_to(&self) -> Option<u64> {
        self.fetched_to
    }

    /// Whether the L1 reorged under what was read, and where: `None` when
    /// the last block read is still canonical (its hash commits to every
    /// ancestor, so nothing below changed either); otherwise the highest
    /// block read whose hash the L1 still has (the fork point: everything
    /// above it was dropped), or `Some(None)` when not even the first block
    /// read is canonical any more. One read when nothing changed, one per
    /// dropped block otherwise (bounded by the reorg depth).
    pub(crate) async fn fork_point<P: L1Provider>(
        &self,
        l1: &P,
    ) -> Result<Option<Option<u64>>, P::Error> {
        let Some(tip) = self.fetched_to else { return Ok(None) };
        let canonical = |number: u64| async move {
            Ok::<_, P::Error>(l1.origin(number).await?.map(|o| o.hash))
        };
        if canonical(tip).await? == self.origins.get(&tip).map(|o| o.hash) {
            return Ok(None);
        }
        for (&number, origin) in self.origins.range(..tip).rev() {
            if canonical(number).await? == Some(origin.hash) {
                return Ok(Some(Some(number)));
            }
        }
        Ok(Some(None))
    }

    /// Forgets every L1 block above `fork` (`None`: every block), so the
    /// next [`Self::fetch_to`] reads the new branch.
    pub(crate) fn rewind_to(&mut self, fork: Option<u64>) {
        let keep = |n: &u64| fork.is_some_and(|f| *n <= f);
        self.origins.retain(|n, _| keep(n));
        self.deposits.retain(|n, _| keep(n));
        self.fetched_to = fork.and_then(|f| self.fetched_to.map(|t| t.min(f)));
    }
}

impl L1View for L1Cache {
    fn origin(&self, number: u64) -> Option<L1Origin> {
        self.origins.get(&number).copied()
    }

    fn deposits(&self, number: u64) -> Vec<UserDeposit> {
        self.deposits.get(&number).cloned().unwrap_or_default()
    }
}

impl From<FetchError<Self>> for rollup_client::ClientError {
    fn from(e: FetchError<Self>) -> Self {
        match e {
            FetchError::L1(e) => e,
            FetchError::Missing(number) => Self::BadData(format!("L1 block {number} missing")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::B256;
    use rollup_client::test_utils::MemoryL1;

    #[tokio::test]
    async fn caches_origins_and_deposits_by_block_once() {
        let mut l1 = MemoryL1::with_blocks(5, 1_000, 12);
        let d = l1.deposit(2, UserDeposit::default());
        let mut cache = L1Cache::default();
        cache.fetch_to(&l1, 3).await.unwrap();
        assert_eq!(cache.origin(3), Some(l1.origins[&3]));
        assert_eq!(cache.origin(4), None);
        assert_eq!(cache.deposits(2), vec![d]);
        // A deposit added to a block already fetched is not read again.
        l1.deposit(3, UserDeposit::default());
        cache.fetch_to(&l1, 5).await.unwrap();
        assert!(cache.deposits(3).is_empty());
        assert_eq!(cache.origin(5), Some(l1.origins[&5]));
        // Beyond the L1 head: an error to retry, nothing cached.
        let err = cache.fetch_to(&l1, 7).await.unwrap_err();
        assert!(matches!(err, FetchError::Missing(6)), "{err}");
    }

    /// Replaces L1 blocks `from..` with a branch of `count` blocks whose
    /// hashes (`branch` repeated) differ from the old ones.
    fn reorg(l1: &mut MemoryL1, from: u64, count: u64, branch: u8) {
        let _ = l1.origins.split_off(&from);
        let _ = l1.deposits.split_off(&from);
        for number in from..from + count {
            let origin = l1.push_block(1_000 + 12 * number + 1);
            l1.origins.get_mut(&origin.number).unwrap().hash = B256::repeat_byte(branch);
        }
    }

    #[tokio::test]
    async fn finds_the_fork_point_of_an_l1_reorg() {
        let mut l1 = MemoryL1::with_blocks(10, 1_000, 12);
        let mut cache = L1Cache::default();
        cache.fetch_to(&l1, 10).await.unwrap();
        assert_eq!(cache.fork_point(&l1).await.unwrap(), None, "nothing changed");
        // The L1 grew: still no reorg.
        l1.push_block(2_000);
        assert_eq!(cache.fork_point(&l1).await.unwrap(), None);

        // Blocks 7..=11 replaced by a longer branch: the fork point is 6.
        reorg(&mut l1, 7, 6, 0xf0);
        assert_eq!(cache.fork_point(&l1).await.unwrap(), Some(Some(6)));
        // Rewound there, the cache reads the new branch (and its deposits).
        let d = l1.deposit(8, UserDeposit::default());
        cache.rewind_to(Some(6));
        assert_eq!(cache.fetched_to(), Some(6));
        assert_eq!(cache.origin(7), None);
        cache.fetch_to(&l1, 12).await.unwrap();
        assert_eq!(cache.origin(8), Some(l1.origins[&8]));
        assert_eq!(cache.deposits(8), vec![d]);
        assert_eq!(cache.fork_point(&l1).await.unwrap(), None);

        // A rollback (`evm_revert`, `anvil_rollback`): blocks above 9 are
        // gone and nothing replaced them yet.
        let _ = l1.origins.split_off(&10);
        assert_eq!(cache.fork_point(&l1).await.unwrap(), Some(Some(9)));

        // Every block read replaced: no common block.
        reorg(&mut l1, 0, 10, 0xf1);
        assert_eq!(cache.fork_point(&l1).await.unwrap(), Some(None));
        cache.rewind_to(None);
        assert_eq!((cache.fetched_to(), cache.origin(0)), (None, None));
    }
}
