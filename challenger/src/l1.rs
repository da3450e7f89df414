//! The L1 data derivation needs, fetched over JSON-RPC and cached: L1 block
//! origins and the bridge's deposits, by L1 block.

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
}
