//! Block production: every tick, pick the L1 origin (advance by one L1 block
//! when the L1 has one more), collect that L1 block's deposits, take the
//! pool's best transactions and execute them with the protocol STF.

use alloy_primitives::{B256, U256};
use rollup_client::L1Client;
use rollup_node::{Node, StoredBlock};
use rollup_protocol::{
    BlockInputs, L1Origin, RollupConfig, SEQUENCER_FEE_VAULT, SkipReason, StateDb, execute_block,
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
}

#[derive(Debug, thiserror::Error)]
enum ProduceError {
    #[error(transparent)]
    L1(#[from] rollup_client::ClientError),
    #[error("L1 block {0} of the current origin is unknown to the L1")]
    MissingOrigin(u64),
    #[error(transparent)]
    Db(#[from] rollup_node::db::DbError),
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

pub(crate) async fn run(
    node: Arc<Node>,
    l1: L1Client,
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

async fn produce(
    node: &Node,
    l1: &L1Client,
    rollup: &RollupConfig,
    origin: &mut Option<L1Origin>,
    faults: &SequencerFaults,
) -> Result<(), ProduceError> {
    let parent = node.chain().head().clone();
    let (origin_number, origin_hash) =
        L1Origin::of_header(&parent.header).unwrap_or((0, B256::ZERO));
    let current = match *origin {
        Some(o) if o.number == origin_number && o.hash == origin_hash => o,
        _ if origin_number == rollup.genesis_l1_origin.number => rollup.genesis_l1_origin,
        _ => l1.origin(origin_number).await?.ok_or(ProduceError::MissingOrigin(origin_number))?,
    };
    let (next, deposits) = match l1.origin(current.number + 1).await? {
        Some(next) => {
            let deposits = l1.deposits(next.number).await?;
            (next, deposits)
        }
        None => (current, Vec::new()),
    };
    let deposits =
        if faults.censor_deposits.load(Ordering::Relaxed) { Vec::new() } else { deposits };
    let timestamp = parent.header.timestamp.max(now()).max(next.timestamp);
    if timestamp > next.timestamp + rollup.max_sequencer_drift {
        tracing::warn!(target: "sequencer", l1_origin = next.number, "L1 is stalled beyond the sequencer drift; waiting");
        return Ok(());
    }
    node.set_l1_fees(&next);

    let _producer = node.producer_lock().await;
    let (block, changes, dropped) = {
        let mut chain = node.chain_mut();
        let base_fee = node.next_base_fee_after(&parent.header);
        let candidates = {
            let state = &chain.state;
            node.pool().best(base_fee, |a| state.nonce(a))
        };
        let deposit_count = deposits.len();
        let inputs = BlockInputs {
            timestamp,
            l1_origin: next,
            deposits,
            transactions: candidates.iter().map(|c| c.raw.clone()).collect(),
        };
        let mut executed = execute_block(rollup, &mut chain.state, &parent.header, &inputs)
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
    node.commit_block(block, changes).await?;
    *origin = Some(next);
    tracing::debug!(target: "sequencer", number, txs, l1_origin = next.number, "sealed block");
    Ok(())
}
