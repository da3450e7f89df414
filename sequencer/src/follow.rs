//! Following the L1: the node derives its own chain from what was posted to
//! the L1 (the challenger's pipeline, [`rollup_client::pipeline`]) and keeps
//! the three heads of the OP Stack:
//!
//! - `unsafe` (`latest`): the newest block the node has (sealed by the
//!   sequencer, or on a verifier taken from the sequencer);
//! - `safe`: the newest block the chain derived from L1 batches agrees with
//!   (same hash), every block below it agreeing too;
//! - `finalized`: the newest safe block whose batch is in a final L1 block
//!   (the L1's `finalized` tag).
//!
//! Where a derived block differs from the node's block of the same number
//! (state root, transactions, deposits the sequencing window forced in, an
//! L1 origin, a batch that did not decode), the node reorgs: it unwinds to
//! the parent (the last block both agree on), adopts the derived blocks by
//! re-executing their inputs over its own state, and puts the user
//! transactions of the dropped blocks that are still valid back in the
//! pool (op-node's "consolidation" and its reset to the derived chain).
//! When the L1 origin of an unsafe block is reorged away on the L1, the
//! node unwinds to the newest block whose origin is still canonical, so the
//! deposits of dropped L1 blocks leave the L2 with them.
//!
//! Every reorg is logged with its depth and cause, and kept in
//! [`SyncState::reorgs`] (served by `rollup_reorgs`, which the bridge turns
//! into `l2-reorg` events).

use alloy_primitives::{B256, Bytes};
use rollup_client::{
    BatchProvider, L1Provider,
    pipeline::{DerivedBlock, Pipeline, PipelineError},
};
use rollup_node::{Node, StoredBlock, db::DbError};
use rollup_protocol::{DerivedFrom, L1Origin, RollupConfig, execute_block};
use serde::Serialize;
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, atomic::Ordering},
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio_util::sync::CancellationToken;

/// Reorgs kept for `rollup_reorgs` (the newest).
pub const REORGS_KEPT: usize = 64;

/// One L2 reorg.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reorg {
    /// Sequence number of the reorg (0, 1, ...; counts every reorg since
    /// the node started).
    pub id: u64,
    /// The first block number replaced.
    pub first_block: u64,
    /// Blocks dropped (the old head minus `first_block`, plus one).
    pub depth: u64,
    /// The head before.
    pub old_head: u64,
    /// The head after (derived blocks adopted).
    pub new_head: u64,
    /// Why, e.g. `state root differs from the derived block`.
    pub cause: String,
    /// User transactions of dropped blocks put back in the pool.
    pub repooled: u64,
    /// When, unix seconds.
    pub timestamp: u64,
}

/// What the node knows of its place on the L1 and its heads
/// (`optimism_syncStatus`).
#[derive(Clone, Debug, Default)]
pub struct SyncState {
    /// The last L1 block derivation read.
    pub current_l1: Option<L1Origin>,
    /// The L1 head block number last seen.
    pub head_l1: u64,
    /// The L1's finalized block number last seen.
    pub finalized_l1: u64,
    /// The safe L2 block number.
    pub safe_l2: u64,
    /// The finalized L2 block number.
    pub finalized_l2: u64,
    /// The newest derived L2 block number.
    pub derived_l2: u64,
    /// The newest reorgs, oldest first (at most [`REORGS_KEPT`]).
    pub reorgs: VecDeque<Reorg>,
    /// Reorgs since start.
    pub reorg_count: u64,
}

/// The [`SyncState`] shared with the RPC.
pub type SharedSync = Arc<Mutex<SyncState>>;

/// Why the follower stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FollowError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// Re-executing a derived block over the node's state gave another
    /// block: the node's state is not the derived chain's (a bug).
    #[error("block {number}: re-executed derived block has hash {got}, derivation {want}")]
    Diverged { number: u64, got: B256, want: B256 },
}

/// How the node's block compares with the derived block of its number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The same block: it is safe.
    Same,
    /// The node has no block of that number yet (a verifier, or the node
    /// was just unwound): adopt the derived one.
    Missing,
    /// A different block: reorg to the derived one, for this reason.
    Differs(String),
}

/// Compares the node's block with the derived block of the same number.
pub(crate) fn judge(ours: Option<&StoredBlock>, derived: &DerivedBlock) -> Verdict {
    let Some(ours) = ours else { return Verdict::Missing };
    if ours.hash == derived.hash() {
        return Verdict::Same;
    }
    Verdict::Differs(cause(ours, derived))
}

/// Why the node's block and the derived one differ, most telling first.
fn cause(ours: &StoredBlock, derived: &DerivedBlock) -> String {
    if let DerivedFrom::DepositOnly(reason) = &derived.from {
        return format!("batch invalid, derived a deposit-only block: {reason}");
    }
    let (a, b) = (&ours.header, &derived.executed.header);
    let deposits = |txs: &[rollup_protocol::ExecutedTx]| {
        txs.iter().filter(|t| t.tx.is_deposit()).map(|t| t.tx.tx_hash()).collect::<Vec<_>>()
    };
    let users = |txs: &[rollup_protocol::ExecutedTx]| {
        txs.iter().filter(|t| !t.tx.is_deposit()).map(|t| t.tx.tx_hash()).collect::<Vec<_>>()
    };
    if a.parent_hash != b.parent_hash {
        "parent differs from the derived chain".into()
    } else if L1Origin::of_header(a) != L1Origin::of_header(b) {
        "L1 origin differs from the derived block".into()
    } else if deposits(&ours.transactions) != deposits(&derived.executed.transactions) {
        "deposits differ from the derived block (the L1 forces them in)".into()
    } else if users(&ours.transactions) != users(&derived.executed.transactions) {
        "transactions differ from the derived block".into()
    } else if a.timestamp != b.timestamp {
        "timestamp differs from the derived block".into()
    } else if a.state_root != b.state_root {
        "state root differs from the derived block".into()
    } else {
        "header differs from the derived block".into()
    }
}

/// The newest of `blocks` (number, L1 origin number, L1 origin hash; in
/// ascending order) whose L1 origin is still canonical by `canonical`
/// (the L1's hash of an origin number), or `None` when none is. Blocks
/// after it point at L1 blocks reorged away.
pub(crate) fn last_with_canonical_origin(
    blocks: &[(u64, u64, B256)],
    canonical: impl Fn(u64) -> Option<B256>,
) -> Option<u64> {
    blocks.iter().rev().find(|(_, origin, hash)| canonical(*origin) == Some(*hash)).map(|b| b.0)
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// The derivation follower of a node.
pub(crate) struct Follower<P> {
    pub(crate) node: Arc<Node>,
    pub(crate) l1: P,
    pub(crate) rollup: RollupConfig,
    pub(crate) pipeline: Pipeline,
    /// Derived blocks not yet reconciled with the node's, in order.
    pub(crate) queue: VecDeque<DerivedBlock>,
    /// (last L2 block, L1 inclusion block) of every batch of safe blocks.
    pub(crate) inclusions: VecDeque<(u64, u64)>,
    pub(crate) sync: SharedSync,
    /// Fault switches: while `hold_reorg` is set, blocks that differ from
    /// the derived ones are kept (a colluding sequencer): the safe head
    /// stops below them.
    pub(crate) faults: Arc<crate::SequencerFaults>,
    pub(crate) safe: u64,
}

impl<P, E> Follower<P>
where
    P: L1Provider<Error = E> + BatchProvider<Error = E>,
    E: std::error::Error + Send + Sync + 'static,
{
    pub(crate) fn new(
        node: Arc<Node>,
        l1: P,
        rollup: RollupConfig,
        inbox: alloy_primitives::Address,
        sync: SharedSync,
        faults: Arc<crate::SequencerFaults>,
    ) -> Self {
        Self {
            pipeline: Pipeline::new(rollup.clone(), inbox),
            node,
            l1,
            rollup,
            queue: VecDeque::new(),
            inclusions: VecDeque::new(),
            sync,
            faults,
            safe: 0,
        }
    }

    /// Follows the L1 every `interval` until `shutdown`.
    pub(crate) async fn run(mut self, interval: Duration, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(interval) => {}
            }
            match self.step().await {
                Ok(()) => {}
                Err(StepError::Fatal(e)) => {
                    tracing::error!(target: "derivation", %e, "cannot follow the L1; stopping");
                    return;
                }
                Err(StepError::Retry(e)) => {
                    tracing::warn!(target: "derivation", %e, "derivation step failed; retrying")
                }
            }
        }
    }

    /// One pass: unsafe blocks whose L1 origin is gone, new batches,
    /// reconciliation, heads.
    pub(crate) async fn step(&mut self) -> Result<(), StepError> {
        let step = self.pipeline.step(&self.l1).await.map_err(StepError::pipeline)?;
        if let Some(fork) = step.l1_reorg {
            let derived = self.pipeline.derived_head();
            self.queue.retain(|d| d.number() <= derived);
            self.inclusions.retain(|(_, l1)| *l1 <= fork);
            self.safe = self.safe.min(derived);
        }
        // After an L1 reorg every unsafe block's origin is checked; else the
        // head's only (one read): a new origin is only ever taken on top.
        self.drop_orphaned_unsafe_blocks(step.l1_reorg.is_some()).await?;
        self.queue.extend(step.derived);
        self.reconcile().await?;
        let head_l1 = self.l1.head().await.map_err(StepError::l1)?;
        let finalized_l1 = self.l1.finalized().await.map_err(StepError::l1)?;
        let finalized = self
            .inclusions
            .iter()
            .take_while(|(_, l1)| *l1 <= finalized_l1)
            .last()
            .map_or(0, |(l2, _)| *l2)
            .min(self.safe);
        self.node.set_safe_heads(self.safe, finalized);
        let mut sync = self.sync.lock().unwrap_or_else(|p| p.into_inner());
        sync.current_l1 = self.pipeline.l1_origin(self.pipeline.read_to());
        sync.head_l1 = head_l1;
        sync.finalized_l1 = finalized_l1;
        sync.safe_l2 = self.safe;
        sync.finalized_l2 = finalized;
        sync.derived_l2 = self.pipeline.derived_head();
        Ok(())
    }

    /// Compares the queued derived blocks with the node's, in order: marks
    /// equal ones safe, adopts missing ones, reorgs at the first that
    /// differs.
    async fn reconcile(&mut self) -> Result<(), StepError> {
        while let Some(derived) = self.queue.front() {
            let number = derived.number();
            if number <= self.safe && number != 0 {
                self.queue.pop_front();
                continue;
            }
            let ours = self.node.block(number).await.map_err(StepError::fatal)?;
            match judge(ours.as_deref(), derived) {
                Verdict::Same => {
                    let derived = self.queue.pop_front().expect("front exists");
                    self.mark_safe(&derived);
                }
                Verdict::Missing => {
                    if self.node.chain().head_number() + 1 != number {
                        return Ok(()); // the node is behind: wait for it
                    }
                    self.reorg(number, None).await?;
                }
                Verdict::Differs(cause) => {
                    if self.faults.hold_reorg.load(Ordering::Relaxed) {
                        return Ok(());
                    }
                    self.reorg(number, Some(cause)).await?;
                }
            }
        }
        Ok(())
    }

    fn mark_safe(&mut self, derived: &DerivedBlock) {
        self.safe = derived.number();
        match self.inclusions.back_mut() {
            Some((l2, l1)) if *l1 == derived.l1_inclusion => *l2 = derived.number(),
            _ => self.inclusions.push_back((derived.number(), derived.l1_inclusion)),
        }
        // Inclusions below the finalized one are no longer needed.
        while self.inclusions.len() > 1 && self.inclusions[1].0 <= self.finalized_hint() {
            self.inclusions.pop_front();
        }
    }

    fn finalized_hint(&self) -> u64 {
        self.sync.lock().map(|s| s.finalized_l2).unwrap_or_default()
    }

    /// Unwinds the node to `first - 1` (when it has blocks from `first`
    /// on) and adopts the queued derived blocks from `first`, under the
    /// producer lock; then re-pools the dropped user transactions. `cause`
    /// is `None` when the node just lacked the blocks (nothing dropped).
    async fn reorg(&mut self, first: u64, cause: Option<String>) -> Result<(), StepError> {
        let node = self.node.clone();
        let producer = node.producer_lock().await;
        let old_head = self.node.chain().head_number();
        let dropped = self.user_transactions(first, old_head).await?;
        if first <= old_head {
            self.node.unwind_to_locked(first - 1).await.map_err(StepError::fatal)?;
        }
        while let Some(derived) = self.queue.front() {
            if derived.number() != self.node.chain().head_number() + 1 {
                break;
            }
            let derived = self.queue.pop_front().expect("front exists");
            self.adopt(&derived).await?;
            self.mark_safe(&derived);
        }
        drop(producer);
        let new_head = self.node.chain().head_number();
        let Some(cause) = cause else { return Ok(()) };
        let repooled = dropped.iter().filter(|raw| self.node.submit_raw(raw).is_ok()).count();
        self.record(first, old_head, new_head, cause, repooled as u64);
        Ok(())
    }

    fn record(&self, first: u64, old_head: u64, new_head: u64, cause: String, repooled: u64) {
        let depth = (old_head + 1).saturating_sub(first);
        tracing::warn!(
            target: "derivation", first_block = first, depth, old_head, new_head, repooled, %cause,
            "L2 reorg"
        );
        let mut sync = self.sync.lock().unwrap_or_else(|p| p.into_inner());
        let reorg = Reorg {
            id: sync.reorg_count,
            first_block: first,
            depth,
            old_head,
            new_head,
            cause,
            repooled,
            timestamp: now(),
        };
        sync.reorg_count += 1;
        sync.reorgs.push_back(reorg);
        while sync.reorgs.len() > REORGS_KEPT {
            sync.reorgs.pop_front();
        }
    }

    /// The user transactions (EIP-2718 bytes) of blocks `from..=to`.
    async fn user_transactions(&self, from: u64, to: u64) -> Result<Vec<Bytes>, StepError> {
        let blocks = self.node.blocks(from, to).await.map_err(StepError::fatal)?;
        Ok(blocks
            .iter()
            .flat_map(|b| {
                b.transactions
                    .iter()
                    .filter(|t| !t.tx.is_deposit())
                    .map(|t| Bytes::from(t.tx.encoded_2718()))
                    .collect::<Vec<_>>()
            })
            .collect())
    }

    /// Re-executes a derived block over the node's head state and stores it.
    async fn adopt(&self, derived: &DerivedBlock) -> Result<(), StepError> {
        let (block, changes) = {
            let mut chain = self.node.chain_mut();
            let parent = chain.head().header.clone();
            let executed = execute_block(&self.rollup, &mut chain.state, &parent, &derived.inputs)
                .unwrap_or_else(|e| match e {
                    rollup_protocol::StfError::Database(never) => match never {},
                });
            if executed.hash != derived.hash() {
                return Err(StepError::Fatal(Box::new(FollowError::Diverged {
                    number: derived.number(),
                    got: executed.hash,
                    want: derived.hash(),
                })));
            }
            let block = StoredBlock {
                header: executed.header,
                hash: executed.hash,
                transactions: executed.transactions,
            };
            (block, chain.state.take_changes())
        };
        self.node.commit_block(block, changes).await.map_err(StepError::fatal)
    }

    /// Unwinds the unsafe blocks whose L1 origin the L1 no longer has
    /// (an L1 reorg): checks the head's origin (one L1 read) unless `all`,
    /// and walks back over every unsafe block when it is gone or `all`.
    async fn drop_orphaned_unsafe_blocks(&mut self, all: bool) -> Result<(), StepError> {
        let head = self.node.chain().head().clone();
        let Some((number, hash)) = L1Origin::of_header(&head.header) else { return Ok(()) };
        let canonical = self.l1.origin(number).await.map_err(StepError::l1)?;
        if !all && canonical.map(|o| o.hash) == Some(hash) {
            return Ok(());
        }
        let blocks: Vec<(u64, u64, B256)> = self
            .node
            .blocks(self.safe.max(1), head.number())
            .await
            .map_err(StepError::fatal)?
            .iter()
            .filter_map(|b| L1Origin::of_header(&b.header).map(|(o, h)| (b.number(), o, h)))
            .collect();
        let mut hashes = std::collections::BTreeMap::new();
        for origin in blocks.iter().map(|b| b.1).collect::<std::collections::BTreeSet<_>>() {
            let hash = self.l1.origin(origin).await.map_err(StepError::l1)?.map(|o| o.hash);
            hashes.insert(origin, hash);
        }
        let keep = last_with_canonical_origin(&blocks, |n| hashes.get(&n).copied().flatten())
            .unwrap_or(self.safe);
        if keep >= head.number() {
            return Ok(());
        }
        self.reorg(keep + 1, Some("L1 origin reorged away on the L1".into())).await
    }
}

/// A failed step: retried, or the end of the follower.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StepError {
    #[error("{0}")]
    Retry(Box<dyn std::error::Error + Send + Sync>),
    #[error("{0}")]
    Fatal(Box<dyn std::error::Error + Send + Sync>),
}

impl StepError {
    fn l1<E: std::error::Error + Send + Sync + 'static>(e: E) -> Self {
        Self::Retry(Box::new(e))
    }

    fn pipeline<E: std::error::Error + Send + Sync + 'static>(e: PipelineError<E>) -> Self {
        match e {
            PipelineError::GenesisReorged(_) => Self::Fatal(Box::new(e)),
            e => Self::Retry(Box::new(e)),
        }
    }

    fn fatal(e: DbError) -> Self {
        Self::Fatal(Box::new(FollowError::Db(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, U256};
    use rollup_client::test_utils::MemoryL1;
    use rollup_node::ChainStore;
    use rollup_protocol::{
        BlockInputs, PostedBatch, StateDb,
        batch::{BatchBlock, Compression, encode_batch_data, encode_channel, split_channel},
    };

    const INBOX: Address = Address::repeat_byte(0x1b);

    fn rollup(l1: &MemoryL1) -> RollupConfig {
        RollupConfig { genesis_l1_origin: l1.origins[&0], ..RollupConfig::default() }
    }

    async fn node(rollup: &RollupConfig, dir: &tempfile::TempDir) -> Arc<Node> {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("l2.db").display());
        let store = ChainStore::open(&url, "l2").await.unwrap();
        let config = crate::SequencerConfig { rollup: rollup.clone(), ..Default::default() };
        let rollup = rollup.clone();
        Node::open(crate::node_config(&config), store, move || {
            let mut state = rollup_protocol::l2_genesis_state(&rollup);
            let header =
                rollup_protocol::genesis_header(&rollup, &mut state, &rollup.genesis_l1_origin)
                    .unwrap_or_else(|never| match never {});
            (state, header)
        })
        .await
        .unwrap()
    }

    /// Seals an empty block on `node` with L1 origin `origin` (and its
    /// deposits when it advances); `wrong` adds 1 wei to the state first,
    /// as the invalid-state-transition fault does.
    async fn seal(node: &Node, rollup: &RollupConfig, l1: &MemoryL1, origin: u64, wrong: bool) {
        let (block, changes) = {
            let mut chain = node.chain_mut();
            let parent = chain.head().header.clone();
            let (parent_origin, _) = L1Origin::of_header(&parent).unwrap();
            let o = l1.origins[&origin];
            let inputs = BlockInputs {
                timestamp: parent.timestamp.max(o.timestamp) + 1,
                l1_origin: o,
                deposits: if origin != parent_origin {
                    l1.deposits.get(&origin).cloned().unwrap_or_default()
                } else {
                    Vec::new()
                },
                transactions: Vec::new(),
            };
            let mut executed = execute_block(rollup, &mut chain.state, &parent, &inputs)
                .unwrap_or_else(|e| match e {
                    rollup_protocol::StfError::Database(never) => match never {},
                });
            if wrong {
                chain.state.add_balance(Address::repeat_byte(0xee), U256::from(1)).unwrap();
                executed.header.state_root = chain.state.compute_state_root();
                executed.hash = executed.header.hash_slow();
            }
            let block = StoredBlock {
                header: executed.header,
                hash: executed.hash,
                transactions: executed.transactions,
            };
            (block, chain.state.take_changes())
        };
        node.commit_block(block, changes).await.unwrap();
    }

    /// Posts the node's blocks `from..=to` as one batch in L1 block `l1_block`.
    fn post(l1: &mut MemoryL1, node: &Node, index: u64, from: u64, to: u64, l1_block: u64) {
        let blocks: Vec<BatchBlock> = (from..=to)
            .map(|n| {
                let b = node.chain().recent_block(n).cloned().unwrap();
                let (l1_origin_number, l1_origin_hash) = L1Origin::of_header(&b.header).unwrap();
                BatchBlock {
                    number: n,
                    timestamp: b.header.timestamp,
                    l1_origin_number,
                    l1_origin_hash,
                    transactions: Vec::new(),
                }
            })
            .collect();
        let channel = encode_channel(&blocks, Compression::None);
        let data = encode_batch_data(&split_channel(Default::default(), &channel, 100_000));
        let batch = PostedBatch { index, l1_block, l2_start: from, l2_end: to, data };
        l1.batches.push((INBOX, batch));
    }

    fn follower(node: &Arc<Node>, l1: &MemoryL1, rollup: &RollupConfig) -> Follower<MemoryL1> {
        Follower::new(
            node.clone(),
            l1.clone(),
            rollup.clone(),
            INBOX,
            SharedSync::default(),
            Arc::default(),
        )
    }

    #[tokio::test]
    async fn agreeing_blocks_become_safe_and_final_with_their_l1_block() {
        let dir = tempfile::tempdir().unwrap();
        let mut l1 = MemoryL1::with_blocks(6, 1_000, 12);
        let rollup = rollup(&l1);
        let node = node(&rollup, &dir).await;
        for origin in [1, 1, 2] {
            seal(&node, &rollup, &l1, origin, false).await;
        }
        post(&mut l1, &node, 0, 1, 3, 4);
        let mut f = follower(&node, &l1, &rollup);
        f.step().await.unwrap();
        assert_eq!((node.safe_number(), node.finalized_number()), (3, 0));
        // The L1 block carrying the batch becomes final: so do the blocks.
        f.l1.finalized = 4;
        f.step().await.unwrap();
        assert_eq!((node.safe_number(), node.finalized_number()), (3, 3));
        assert!(f.sync.lock().unwrap().reorgs.is_empty());
    }

    #[tokio::test]
    async fn a_block_over_a_wrong_state_is_replaced_by_the_derived_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut l1 = MemoryL1::with_blocks(6, 1_000, 12);
        let rollup = rollup(&l1);
        let node = node(&rollup, &dir).await;
        seal(&node, &rollup, &l1, 1, false).await;
        seal(&node, &rollup, &l1, 2, true).await; // block 2: wrong state
        seal(&node, &rollup, &l1, 2, false).await; // block 3, on top of it
        let wrong = node.chain().recent_block(2).unwrap().hash;
        post(&mut l1, &node, 0, 1, 3, 5);
        let mut f = follower(&node, &l1, &rollup);
        // A colluding sequencer keeps its block: safe stops below it.
        f.faults.hold_reorg.store(true, Ordering::Relaxed);
        f.step().await.unwrap();
        assert_eq!((node.safe_number(), node.chain().head_number()), (1, 3));
        assert_eq!(node.chain().recent_block(2).unwrap().hash, wrong);
        f.faults.hold_reorg.store(false, Ordering::Relaxed);
        f.step().await.unwrap();
        let derived = f.pipeline.derivation().header(2).unwrap().hash_slow();
        assert_ne!(derived, wrong);
        assert_eq!(node.chain().recent_block(2).unwrap().hash, derived);
        assert_eq!((node.safe_number(), node.chain().head_number()), (3, 3));
        let reorgs = f.sync.lock().unwrap().reorgs.clone();
        assert_eq!(reorgs.len(), 1, "{reorgs:?}");
        let reorg = &reorgs[0];
        assert_eq!((reorg.first_block, reorg.depth, reorg.new_head), (2, 2, 3));
        assert!(reorg.cause.contains("state root"), "{}", reorg.cause);
        // Still one chain: a second pass changes nothing.
        f.step().await.unwrap();
        assert_eq!(f.sync.lock().unwrap().reorgs.len(), 1);
    }

    #[tokio::test]
    async fn an_l1_reorg_drops_the_safe_blocks_of_its_batches_and_orphaned_origins() {
        let dir = tempfile::tempdir().unwrap();
        let mut l1 = MemoryL1::with_blocks(6, 1_000, 12);
        let rollup = rollup(&l1);
        let node = node(&rollup, &dir).await;
        for origin in [1, 2, 3, 4, 5] {
            seal(&node, &rollup, &l1, origin, false).await;
        }
        post(&mut l1, &node, 0, 1, 2, 3);
        post(&mut l1, &node, 1, 3, 3, 6);
        let mut f = follower(&node, &l1, &rollup);
        f.step().await.unwrap();
        assert_eq!(node.safe_number(), 3);
        // L1 blocks 5 and 6 are replaced: the second batch and the origin
        // of L2 block 5 are gone.
        f.l1.rollback(2);
        f.l1.push_block(1_061);
        f.l1.push_block(1_073);
        f.step().await.unwrap();
        assert_eq!(f.pipeline.read_to(), 6);
        assert_eq!(node.safe_number(), 2, "block 3's batch was in a dropped L1 block");
        assert_eq!(node.chain().head_number(), 4, "block 5's L1 origin is gone");
        let reorg = f.sync.lock().unwrap().reorgs.back().cloned().unwrap();
        assert_eq!((reorg.first_block, reorg.depth), (5, 1));
        assert!(reorg.cause.contains("L1 origin"), "{}", reorg.cause);
    }

    #[test]
    fn the_last_block_with_a_canonical_origin_is_found_walking_back() {
        let h = |b: u8| B256::repeat_byte(b);
        let blocks = [(1, 1, h(1)), (2, 1, h(1)), (3, 2, h(2)), (4, 3, h(3))];
        // L1 block 2 was replaced: blocks 3 and 4 point at orphans.
        let canonical = |n: u64| match n {
            1 => Some(h(1)),
            2 => Some(h(0x22)),
            3 => Some(h(0x33)),
            _ => None,
        };
        assert_eq!(last_with_canonical_origin(&blocks, canonical), Some(2));
        assert_eq!(last_with_canonical_origin(&blocks, |_| None), None);
        assert_eq!(last_with_canonical_origin(&blocks, |n| Some(h(n as u8))), Some(4));
    }
}
