//! Filters with geth's semantics (`eth/filters/api.go`): `eth_newFilter`,
//! `eth_newBlockFilter`, `eth_newPendingTransactionFilter`,
//! `eth_getFilterChanges`, `eth_getFilterLogs`, `eth_uninstallFilter`.
//!
//! - Each change is delivered once: a filter remembers the first block it has
//!   not yet reported, and a poll reports the blocks (or their logs) from
//!   there to the head, then moves past them. A pending-transaction filter
//!   drains its own receiver of the pool's feed.
//! - A filter not polled for [`FILTER_TIMEOUT`] (geth's 5 minutes) is
//!   removed; polling it then answers `filter not found`.
//! - At most [`MAX_FILTERS`] live at once; installing one more answers an
//!   error instead of growing without bound.
//! - A log filter's `fromBlock`/`toBlock` bound what it reports; a poll
//!   covers at most [`super::MAX_LOG_RANGE`] blocks (the rest comes with the
//!   next poll).

use super::{RpcError, RpcResult, eth, param};
use crate::Node;
use alloy_primitives::{B256, U256};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter, FilterBlockOption};
use parking_lot::Mutex;
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    time::{Duration, Instant},
};
use tokio::sync::broadcast::{self, error::TryRecvError};

/// A filter not polled for this long is removed (geth's `--rpc.filter-timeout`
/// default, 5 minutes).
pub const FILTER_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Most filters installed at once (on the whole node).
pub const MAX_FILTERS: usize = 2048;

/// Most hashes one poll of a pending-transaction filter returns (the
/// receiver holds at most [`super::PENDING_FEED_CAPACITY`]).
const MAX_PENDING_PER_POLL: usize = super::PENDING_FEED_CAPACITY;

#[derive(Debug)]
enum Kind {
    /// New block hashes from block `next` on.
    Blocks { next: u64 },
    /// Logs matching `filter` in blocks from `next` on.
    Logs { filter: Box<Filter>, next: u64 },
    /// Hashes of transactions entering the pool.
    Pending { rx: broadcast::Receiver<B256> },
}

#[derive(Debug)]
struct Installed {
    kind: Kind,
    last_poll: Instant,
}

/// The filters installed on a node.
#[derive(Debug, Default)]
pub struct Filters {
    installed: Mutex<HashMap<u128, Installed>>,
    next_id: Mutex<u128>,
}

/// What a poll found, before it is turned into JSON (logs need the chain).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Changes {
    /// Block hashes, oldest first.
    Blocks(Vec<B256>),
    /// Logs in blocks `from..=to` matching the filter.
    Logs { filter: Box<Filter>, from: u64, to: u64 },
    /// Transaction hashes, in arrival order.
    Pending(Vec<B256>),
    /// Nothing new for a log filter.
    NoLogs,
}

impl Filters {
    fn install(&self, kind: Kind, now: Instant) -> Result<u128, RpcError> {
        let mut installed = self.installed.lock();
        installed.retain(|_, f| now.saturating_duration_since(f.last_poll) < FILTER_TIMEOUT);
        if installed.len() >= MAX_FILTERS {
            return Err(RpcError::server(format!(
                "too many filters: at most {MAX_FILTERS}, uninstall some first"
            )));
        }
        let id = {
            let mut next = self.next_id.lock();
            // Ids are opaque to clients; geth's are random 128-bit values.
            // A counter scrambled by a fixed odd multiplier is unique and
            // does not look like a small number.
            *next += 1;
            next.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835) | 1
        };
        installed.insert(id, Installed { kind, last_poll: now });
        Ok(id)
    }

    /// Installs a block filter reporting blocks after `head`.
    pub(crate) fn new_block_filter(&self, head: u64, now: Instant) -> Result<u128, RpcError> {
        self.install(Kind::Blocks { next: head + 1 }, now)
    }

    /// Installs a log filter reporting logs of blocks after `head`.
    pub(crate) fn new_log_filter(
        &self,
        filter: Filter,
        head: u64,
        now: Instant,
    ) -> Result<u128, RpcError> {
        self.install(Kind::Logs { filter: Box::new(filter), next: head + 1 }, now)
    }

    /// Installs a pending-transaction filter over `rx`.
    pub(crate) fn new_pending_filter(
        &self,
        rx: broadcast::Receiver<B256>,
        now: Instant,
    ) -> Result<u128, RpcError> {
        self.install(Kind::Pending { rx }, now)
    }

    /// Removes a filter; whether it existed.
    pub fn uninstall(&self, id: u128) -> bool {
        self.installed.lock().remove(&id).is_some()
    }

    /// Number of live filters (expired ones are dropped at the next install
    /// or poll).
    pub fn len(&self) -> usize {
        self.installed.lock().len()
    }

    /// Whether no filter is installed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The changes of filter `id` since its last poll, given the chain's
    /// head and its block hashes; marks them delivered.
    pub(crate) fn poll(
        &self,
        id: u128,
        head: u64,
        hash_of: impl Fn(u64) -> Option<B256>,
        now: Instant,
    ) -> Result<Changes, RpcError> {
        let mut installed = self.installed.lock();
        installed.retain(|_, f| now.saturating_duration_since(f.last_poll) < FILTER_TIMEOUT);
        let f = installed.get_mut(&id).ok_or_else(not_found)?;
        f.last_poll = now;
        Ok(match &mut f.kind {
            Kind::Blocks { next } => {
                // A rewound chain (evm_revert, reorg) restarts after its head.
                let from = (*next).min(head + 1);
                let to = head.min(from.saturating_add(super::MAX_LOG_RANGE) - 1);
                let hashes = (from..=to).filter_map(&hash_of).collect::<Vec<_>>();
                *next = to + 1;
                Changes::Blocks(if from > head { vec![] } else { hashes })
            }
            Kind::Logs { filter, next } => {
                let from = (*next).min(head + 1).max(filter.get_from_block().unwrap_or(0));
                let mut to = head.min(from.saturating_add(super::MAX_LOG_RANGE) - 1);
                if let Some(last) = filter.get_to_block() {
                    to = to.min(last);
                }
                if from > to {
                    *next = (*next).min(head + 1);
                    Changes::NoLogs
                } else {
                    *next = to + 1;
                    Changes::Logs { filter: filter.clone(), from, to }
                }
            }
            Kind::Pending { rx } => {
                let mut hashes = Vec::new();
                while hashes.len() < MAX_PENDING_PER_POLL {
                    match rx.try_recv() {
                        Ok(hash) => hashes.push(hash),
                        Err(TryRecvError::Lagged(_)) => continue,
                        Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                    }
                }
                Changes::Pending(hashes)
            }
        })
    }

    /// The criteria of log filter `id` (for `eth_getFilterLogs`); refreshes
    /// its idle timer.
    pub(crate) fn log_filter(&self, id: u128, now: Instant) -> Result<Filter, RpcError> {
        let mut installed = self.installed.lock();
        installed.retain(|_, f| now.saturating_duration_since(f.last_poll) < FILTER_TIMEOUT);
        let f = installed.get_mut(&id).ok_or_else(not_found)?;
        f.last_poll = now;
        match &f.kind {
            Kind::Logs { filter, .. } => Ok((**filter).clone()),
            _ => Err(not_found()),
        }
    }
}

fn not_found() -> RpcError {
    RpcError::server("filter not found")
}

fn filter_id(params: &Value) -> Result<u128, RpcError> {
    let id: U256 = param(params, 0)?;
    u128::try_from(id).map_err(|_| not_found())
}

fn id_json(id: u128) -> Value {
    Value::String(format!("{id:#x}"))
}

/// A log filter's tags resolved against the head (`latest` and `pending`
/// follow the head, so they are left open).
fn resolve_filter(node: &Node, mut filter: Filter) -> Filter {
    if let FilterBlockOption::Range { from_block, to_block } = &mut filter.block_option {
        let fix = |tag: &mut Option<BlockNumberOrTag>| {
            if let Some(t) = tag {
                match t {
                    BlockNumberOrTag::Earliest => *tag = Some(BlockNumberOrTag::Number(0)),
                    BlockNumberOrTag::Safe | BlockNumberOrTag::Finalized => {
                        *tag = eth::resolve_number(node, *t).map(BlockNumberOrTag::Number)
                    }
                    BlockNumberOrTag::Number(_) => {}
                    _ => *tag = None,
                }
            }
        };
        fix(from_block);
        fix(to_block);
    }
    filter
}

/// Handles the filter methods; `None` for any other method.
pub(super) async fn dispatch(node: &Node, method: &str, params: &Value) -> Option<RpcResult> {
    const METHODS: [&str; 6] = [
        "eth_newBlockFilter",
        "eth_newPendingTransactionFilter",
        "eth_newFilter",
        "eth_uninstallFilter",
        "eth_getFilterChanges",
        "eth_getFilterLogs",
    ];
    if !METHODS.contains(&method) {
        return None;
    }
    let filters = node.rpc().filters();
    let now = Instant::now();
    Some(
        async {
            match method {
                "eth_newBlockFilter" => {
                    filters.new_block_filter(node.chain().head_number(), now).map(id_json)
                }
                "eth_newPendingTransactionFilter" => {
                    filters.new_pending_filter(node.rpc().subscribe_pending(), now).map(id_json)
                }
                "eth_newFilter" => {
                    let filter: Filter = param(params, 0)?;
                    if matches!(filter.block_option, FilterBlockOption::AtBlockHash(_)) {
                        return Err(RpcError::invalid_params("cannot specify blockhash"));
                    }
                    let filter = resolve_filter(node, filter);
                    filters.new_log_filter(filter, node.chain().head_number(), now).map(id_json)
                }
                "eth_uninstallFilter" => Ok(Value::Bool(filters.uninstall(filter_id(params)?))),
                "eth_getFilterChanges" => {
                    let id = filter_id(params)?;
                    let changes = {
                        let chain = node.chain();
                        let head = chain.head_number();
                        filters.poll(id, head, |n| chain.hash(n), now)?
                    };
                    match changes {
                        Changes::Blocks(hashes) | Changes::Pending(hashes) => Ok(json!(hashes)),
                        Changes::NoLogs => Ok(json!([])),
                        Changes::Logs { filter, from, to } => {
                            eth::get_logs(node, &(*filter).from_block(from).to_block(to)).await
                        }
                    }
                }
                "eth_getFilterLogs" => {
                    let filter = filters.log_filter(filter_id(params)?, now)?;
                    eth::get_logs(node, &filter).await
                }
                _ => Err(RpcError::method_not_found(method)),
            }
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(n: u64) -> Option<B256> {
        Some(B256::with_last_byte(n as u8))
    }

    #[test]
    fn block_changes_are_delivered_once() {
        let filters = Filters::default();
        let t0 = Instant::now();
        let id = filters.new_block_filter(5, t0).unwrap();
        assert_eq!(filters.poll(id, 5, hash, t0).unwrap(), Changes::Blocks(vec![]));
        assert_eq!(
            filters.poll(id, 7, hash, t0).unwrap(),
            Changes::Blocks(vec![hash(6).unwrap(), hash(7).unwrap()])
        );
        assert_eq!(filters.poll(id, 7, hash, t0).unwrap(), Changes::Blocks(vec![]));
        assert_eq!(filters.poll(id, 8, hash, t0).unwrap(), Changes::Blocks(vec![hash(8).unwrap()]));
    }

    #[test]
    fn log_changes_cover_each_block_once_within_the_filter_range() {
        let filters = Filters::default();
        let t0 = Instant::now();
        let id = filters.new_log_filter(Filter::new().to_block(12u64), 5, t0).unwrap();
        assert_eq!(filters.poll(id, 5, hash, t0).unwrap(), Changes::NoLogs);
        let Changes::Logs { from, to, .. } = filters.poll(id, 9, hash, t0).unwrap() else {
            panic!("logs expected")
        };
        assert_eq!((from, to), (6, 9));
        assert_eq!(filters.poll(id, 9, hash, t0).unwrap(), Changes::NoLogs);
        let Changes::Logs { from, to, .. } = filters.poll(id, 20, hash, t0).unwrap() else {
            panic!("logs expected")
        };
        assert_eq!((from, to), (10, 12), "toBlock bounds the filter");
        assert_eq!(filters.poll(id, 21, hash, t0).unwrap(), Changes::NoLogs);
    }

    #[test]
    fn pending_hashes_are_delivered_once() {
        let filters = Filters::default();
        let (tx, rx) = broadcast::channel(16);
        let t0 = Instant::now();
        let id = filters.new_pending_filter(rx, t0).unwrap();
        tx.send(B256::repeat_byte(1)).unwrap();
        tx.send(B256::repeat_byte(2)).unwrap();
        assert_eq!(
            filters.poll(id, 0, hash, t0).unwrap(),
            Changes::Pending(vec![B256::repeat_byte(1), B256::repeat_byte(2)])
        );
        assert_eq!(filters.poll(id, 0, hash, t0).unwrap(), Changes::Pending(vec![]));
    }

    #[test]
    fn idle_filters_expire_after_five_minutes_and_polling_keeps_them() {
        let filters = Filters::default();
        let t0 = Instant::now();
        let idle = filters.new_block_filter(0, t0).unwrap();
        let polled = filters.new_block_filter(0, t0).unwrap();
        let t1 = t0 + FILTER_TIMEOUT - Duration::from_secs(1);
        filters.poll(polled, 0, hash, t1).unwrap();
        let t2 = t0 + FILTER_TIMEOUT;
        assert_eq!(filters.poll(idle, 0, hash, t2).unwrap_err().message, "filter not found");
        assert!(filters.poll(polled, 0, hash, t2).is_ok(), "polled within the timeout");
        assert!(!filters.uninstall(idle));
        assert!(filters.uninstall(polled));
        assert!(filters.is_empty());
    }

    #[test]
    fn live_filters_are_capped() {
        let filters = Filters::default();
        let t0 = Instant::now();
        for _ in 0..MAX_FILTERS {
            filters.new_block_filter(0, t0).unwrap();
        }
        assert!(filters.new_block_filter(0, t0).is_err());
        // Once they expire, room is made again.
        assert!(filters.new_block_filter(0, t0 + FILTER_TIMEOUT).is_ok());
        assert_eq!(filters.len(), 1);
    }
}
