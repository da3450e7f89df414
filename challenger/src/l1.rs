//! The L1 data derivation needs, fetched over JSON-RPC and cached: L1 block
//! origins and the bridge's deposits, by L1 block.

use rollup_client::{ClientError, L1Client};
use rollup_protocol::{L1Origin, L1View, UserDeposit};
use std::collections::BTreeMap;

/// L1 origins and deposits for every L1 block fetched so far.
#[derive(Debug, Default)]
pub(crate) struct L1Cache {
    origins: BTreeMap<u64, L1Origin>,
    deposits: BTreeMap<u64, Vec<UserDeposit>>,
    fetched_to: Option<u64>,
}

impl L1Cache {
    /// Fetches every L1 block up to `to` not fetched yet.
    pub(crate) async fn fetch_to(&mut self, l1: &L1Client, to: u64) -> Result<(), ClientError> {
        let from = self.fetched_to.map_or(0, |n| n + 1);
        if from > to {
            return Ok(());
        }
        for number in from..=to {
            match l1.origin(number).await? {
                Some(origin) => {
                    self.origins.insert(number, origin);
                }
                None => return Err(ClientError::BadData(format!("L1 block {number} missing"))),
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
