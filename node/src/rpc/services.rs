//! State the JSON-RPC server keeps beside the chain, one per node: the dev
//! signers and impersonated accounts, the installed filters, and the feed of
//! transactions entering the pool (filters and `newPendingTransactions`).

use super::{filters::Filters, signer::DevAccounts};
use alloy_primitives::B256;
use tokio::sync::broadcast;

/// Capacity of the pending-transaction feed, in hashes: a reader that falls
/// further behind loses the oldest (it is lagged, the pool never waits).
pub const PENDING_FEED_CAPACITY: usize = 4096;

/// The JSON-RPC server's per-node state ([`crate::Node::rpc`]).
#[derive(Debug)]
pub struct NodeServices {
    accounts: DevAccounts,
    filters: Filters,
    pending: broadcast::Sender<B256>,
}

impl Default for NodeServices {
    fn default() -> Self {
        Self {
            accounts: DevAccounts::default(),
            filters: Filters::default(),
            pending: broadcast::channel(PENDING_FEED_CAPACITY).0,
        }
    }
}

impl NodeServices {
    /// The keys the node signs with (devnet) and the impersonated accounts (L1).
    pub const fn accounts(&self) -> &DevAccounts {
        &self.accounts
    }

    /// The installed filters (`eth_newFilter` and friends).
    pub const fn filters(&self) -> &Filters {
        &self.filters
    }

    /// Called when a transaction enters the pool.
    pub(crate) fn on_pending_tx(&self, hash: B256) {
        // No receiver is not an error: nobody is listening.
        let _ = self.pending.send(hash);
    }

    /// A receiver of the hashes of transactions entering the pool.
    pub fn subscribe_pending(&self) -> broadcast::Receiver<B256> {
        self.pending.subscribe()
    }
}
