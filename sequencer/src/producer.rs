//! Block production: every tick, pick the L1 origin (advance by one L1 block
//! when the L1 has one more), collect that L1 block's deposits, take the
//! pool's best transactions and execute them with the protocol STF.
//!
//! The L1 is read through [`L1Provider`], so the choice of origin and
//! deposits ([`next_block`]) is tested here against an in-memory L1.

use alloy_consensus::Header;
use alloy_primitives::{B256, U256};
use rollup_client::L1Provider;
use rollup_node::{Node, StoredBlock, mempool::PoolTx};
use rollup_protocol::{
    L1Origin, RecoveredInputs, RollupConfig, SEQUENCER_FEE_VAULT, SkipReason, StateDb, UserDeposit,
    execute_recovered,
};
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio_util::sync::CancellationToken;

/// Switches that make the sequencer misbehave, for the devnet's fault
/// injection. All off by default.
#[derive(Debug, Default)]
pub struct SequencerFaults {
    /// Leave L1 deposits out of L2 blocks.
    pub censor_deposits: AtomicBool,
    /// Seal the next block over a state that differs from what its
    /// transactions produce (1 wei more in the sequencer fee vault), so the
    /// batch and the outputs disagree from that block on (once).
    pub invalid_state_transition: AtomicBool,
    /// The number of the last block sealed with `invalid_state_transition`.
    pub faulted_block: AtomicU64,
    /// A colluding sequencer: while set, blocks that differ from the chain
    /// derived from L1 are kept instead of reorged away (the safe head
    /// stays below them), so a colluding proposer can propose their output.
    pub hold_reorg: AtomicBool,
}

#[derive(Debug, thiserror::Error)]
enum ProduceError {
    #[error("L1: {0}")]
    L1(Box<dyn std::error::Error + Send + Sync>),
    #[error("L1 block {0} of the current origin is unknown to the L1")]
    MissingOrigin(u64),
    #[error(transparent)]
    Db(#[from] rollup_node::db::DbError),
}

impl ProduceError {
    fn l1(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::L1(Box::new(e))
    }
}

/// What the next L2 block is built on, decided from the L1 alone.
#[derive(Clone, Debug, PartialEq, Eq)]
struct NextBlock {
    /// Its L1 origin: the parent's, or the L1 block after it once mined.
    origin: L1Origin,
    /// The deposits it includes: those of `origin` when the origin advanced.
    deposits: Vec<UserDeposit>,
    /// Its timestamp (unix seconds): the latest of the parent's, `now` and
    /// the origin's.
    timestamp: u64,
}

/// Picks the next block's L1 origin and deposits. The origin advances by
/// one L1 block whenever the L1 has one more (bringing that block's
/// deposits, unless `censor`); `None` when the block would be more than
/// `max_sequencer_drift` seconds ahead of its origin (the L1 is stalled:
/// wait, as op-node's sequencer does). `cached` is the parent's origin as
/// last read, to spare an L1 read per block.
async fn next_block<P: L1Provider>(
    l1: &P,
    rollup: &RollupConfig,
    parent: &Header,
    cached: Option<L1Origin>,
    now: u64,
    censor: bool,
) -> Result<Option<NextBlock>, ProduceError> {
    let (origin_number, origin_hash) = L1Origin::of_header(parent).unwrap_or((0, B256::ZERO));
    let current = match cached {
        Some(o) if o.number == origin_number && o.hash == origin_hash => o,
        _ if origin_number == rollup.genesis_l1_origin.number => rollup.genesis_l1_origin,
        _ => l1
            .origin(origin_number)
            .await
            .map_err(ProduceError::l1)?
            .ok_or(ProduceError::MissingOrigin(origin_number))?,
    };
    let (next, deposits) = match l1.origin(current.number + 1).await.map_err(ProduceError::l1)? {
        Some(next) => {
            let deposits = l1.deposits(next.number).await.map_err(ProduceError::l1)?;
            (next, deposits)
        }
        None => (current, Vec::new()),
    };
    let deposits = if censor { Vec::new() } else { deposits };
    let timestamp = parent.timestamp.max(now).max(next.timestamp);
    if timestamp > next.timestamp + rollup.max_sequencer_drift {
        tracing::warn!(target: "sequencer", l1_origin = next.number, "L1 is stalled beyond the sequencer drift; waiting");
        return Ok(None);
    }
    Ok(Some(NextBlock { origin: next, deposits, timestamp }))
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

pub(crate) async fn run<P: L1Provider>(
    node: Arc<Node>,
    l1: P,
    rollup: RollupConfig,
    block_time: Duration,
    faults: Arc<SequencerFaults>,
    shutdown: CancellationToken,
) {
    let mut origin: Option<L1Origin> = None;
    let mut ticker = tokio::time::interval(block_time);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        match produce(&node, &l1, &rollup, &mut origin, &faults).await {
            Ok(()) => {}
            Err(ProduceError::Db(e)) => {
                tracing::error!(target: "sequencer", %e, "cannot persist block; stopping block production");
                return;
            }
            Err(e) => tracing::warn!(target: "sequencer", %e, "block not produced; retrying"),
        }
    }
}

async fn produce<P: L1Provider>(
    node: &Node,
    l1: &P,
    rollup: &RollupConfig,
    origin: &mut Option<L1Origin>,
    faults: &SequencerFaults,
) -> Result<(), ProduceError> {
    let parent = node.chain().head().clone();
    let censor = faults.censor_deposits.load(Ordering::Relaxed);
    let Some(NextBlock { origin: next, deposits, timestamp }) =
        next_block(l1, rollup, &parent.header, *origin, now(), censor).await?
    else {
        return Ok(());
    };
    node.set_l1_fees(&next);

    // Build time: from here (the origin chosen) to the block committed.
    let started = std::time::Instant::now();
    let _producer = node.producer_lock().await;
    let (block, changes, dropped) = {
        let mut chain = node.chain_mut();
        if chain.head().hash != parent.hash {
            // Derivation reorged the chain meanwhile: start over on the new head.
            return Ok(());
        }
        let base_fee = node.next_base_fee_after(&parent.header);
        let candidates = {
            let state = &chain.state;
            let max_gas = rollup
                .l2_block_gas_limit
                .saturating_mul(rollup_node::mempool::CANDIDATE_GAS_FACTOR);
            node.pool().best_with_blob_fee(base_fee, 0, max_gas, |a| state.nonce(a))
        };
        let deposit_count = deposits.len();
        // Senders were recovered at pool admission: no recovery here.
        let inputs = RecoveredInputs {
            timestamp,
            l1_origin: next,
            deposits,
            transactions: candidates.iter().map(PoolTx::to_block_tx).collect(),
        };
        let mut executed = execute_recovered(rollup, &mut chain.state, &parent.header, &inputs)
            .unwrap_or_else(|e| match e {
                rollup_protocol::StfError::Database(never) => match never {},
            });
        if faults.invalid_state_transition.swap(false, Ordering::Relaxed) {
            let _ = chain.state.add_balance(SEQUENCER_FEE_VAULT, U256::from(1));
            executed.header.state_root = chain.state.compute_state_root();
            executed.hash = executed.header.hash_slow();
            faults.faulted_block.store(executed.header.number, Ordering::Relaxed);
            tracing::warn!(target: "sequencer", number = executed.header.number, "FAULT: sealed a block over a wrong state");
        }
        let dropped: Vec<B256> = executed
            .skipped
            .iter()
            .filter(|s| s.reason != SkipReason::BlockFull)
            .filter_map(|s| {
                tracing::debug!(target: "sequencer", hash = ?s.hash, reason = %s.reason, "dropping transaction");
                s.hash
            })
            .collect();
        if deposit_count > 0 {
            tracing::info!(target: "sequencer", number = executed.header.number, deposits = deposit_count, l1_origin = next.number, "included deposits");
        }
        let block = StoredBlock {
            header: executed.header,
            hash: executed.hash,
            transactions: executed.transactions,
        };
        (block, chain.state.take_changes(), dropped)
    };
    {
        let mut pool = node.pool();
        for hash in &dropped {
            pool.remove(hash);
        }
    }
    let (number, txs) = (block.number(), block.transactions.len());
    let executed = started.elapsed();
    node.commit_block(block, changes).await?;
    *origin = Some(next);
    let build = started.elapsed();
    metrics::histogram!("rollup_block_build_duration_seconds", "chain" => "l2")
        .record(build.as_secs_f64());
    metrics::histogram!("rollup_block_commit_duration_seconds", "chain" => "l2")
        .record((build - executed).as_secs_f64());
    tracing::debug!(
        target: "sequencer",
        number,
        txs,
        l1_origin = next.number,
        build_ms = build.as_millis() as u64,
        execute_ms = executed.as_millis() as u64,
        commit_ms = (build - executed).as_millis() as u64,
        "sealed block"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, Bytes};
    use rollup_client::test_utils::MemoryL1;

    /// An L2 parent header at `timestamp` whose L1 origin is `origin`.
    fn parent(origin: &L1Origin, timestamp: u64) -> Header {
        Header {
            timestamp,
            extra_data: Bytes::copy_from_slice(&origin.number.to_be_bytes()),
            parent_beacon_block_root: Some(origin.hash),
            ..Default::default()
        }
    }

    fn deposit(to: u8) -> UserDeposit {
        UserDeposit { to: Address::repeat_byte(to), gas_limit: 100_000, ..Default::default() }
    }

    /// L1 blocks 0..=4, 12 s apart from t = 1000; the rollup anchored at 0.
    fn setup() -> (MemoryL1, RollupConfig) {
        let l1 = MemoryL1::with_blocks(4, 1_000, 12);
        let rollup = RollupConfig { genesis_l1_origin: l1.origins[&0], ..RollupConfig::default() };
        (l1, rollup)
    }

    #[tokio::test]
    async fn origin_advances_one_block_with_its_deposits() {
        let (mut l1, rollup) = setup();
        let first = l1.deposit(2, deposit(1));
        let second = l1.deposit(2, deposit(2));
        l1.deposit(3, deposit(3));
        let parent = parent(&l1.origins[&1], 1_013);
        let next = next_block(&l1, &rollup, &parent, None, 1_014, false).await.unwrap().unwrap();
        assert_eq!(next.origin, l1.origins[&2]);
        // Exactly the deposits of the new origin, in index order; not block 3's.
        assert_eq!(next.deposits, vec![first, second]);
        // The latest of the parent's time, now and the origin's.
        assert_eq!(next.timestamp, 1_024);
    }

    #[tokio::test]
    async fn origin_stays_without_deposits_at_the_l1_head() {
        let (mut l1, rollup) = setup();
        l1.deposit(4, deposit(1));
        let parent = parent(&l1.origins[&4], 1_050);
        let next = next_block(&l1, &rollup, &parent, None, 1_051, false).await.unwrap().unwrap();
        assert_eq!(next.origin, l1.origins[&4]);
        assert!(next.deposits.is_empty(), "deposits of an origin are included once");
        assert_eq!(next.timestamp, 1_051);
    }

    #[tokio::test]
    async fn waits_when_the_l1_stalls_beyond_the_drift() {
        let (l1, rollup) = setup();
        let head = l1.origins[&4];
        let parent = parent(&head, head.timestamp);
        let at_limit = head.timestamp + rollup.max_sequencer_drift;
        let next = next_block(&l1, &rollup, &parent, None, at_limit, false).await.unwrap();
        assert_eq!(next.map(|n| n.timestamp), Some(at_limit));
        let beyond = next_block(&l1, &rollup, &parent, None, at_limit + 1, false).await.unwrap();
        assert_eq!(beyond, None);
    }

    #[tokio::test]
    async fn censoring_advances_the_origin_but_drops_deposits() {
        let (mut l1, rollup) = setup();
        l1.deposit(1, deposit(1));
        let parent = parent(&l1.origins[&0], 1_000);
        let next = next_block(&l1, &rollup, &parent, None, 1_001, true).await.unwrap().unwrap();
        assert_eq!(next.origin, l1.origins[&1]);
        assert!(next.deposits.is_empty());
    }

    #[tokio::test]
    async fn a_parent_origin_unknown_to_the_l1_is_an_error() {
        let (l1, rollup) = setup();
        let gone = L1Origin { number: 9, hash: B256::repeat_byte(9), ..Default::default() };
        let parent = parent(&gone, 1_100);
        let err = next_block(&l1, &rollup, &parent, None, 1_100, false).await.unwrap_err();
        assert!(matches!(err, ProduceError::MissingOrigin(9)), "{err}");
    }

    #[tokio::test]
    async fn the_cached_or_genesis_origin_spares_an_l1_read() {
        let (l1, rollup) = setup();
        // An origin the L1 does not have: only found through the cache.
        let cached = L1Origin {
            number: 3,
            hash: B256::repeat_byte(7),
            timestamp: 1_036,
            ..Default::default()
        };
        let next = next_block(&l1, &rollup, &parent(&cached, 1_040), Some(cached), 1_040, false)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(next.origin, l1.origins[&4]);
        // The genesis origin comes from the rollup config, not the L1.
        let empty = MemoryL1::default();
        let next = next_block(
            &empty,
            &rollup,
            &parent(&rollup.genesis_l1_origin, 1_000),
            None,
            1_000,
            false,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(next.origin, rollup.genesis_l1_origin);
    }
}
