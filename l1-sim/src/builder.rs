//! L1 block production: pool transactions by tip, executed with revm, sealed
//! into a Prague header, persisted, then announced.
//!
//! Blob transactions are included while the block has blob room (at most
//! [`blob::MAX_BLOBS_PER_BLOCK`] blobs) and their blob fee cap covers the
//! block's blob base fee; the header carries `blob_gas_used` and the
//! `excess_blob_gas` of [`blob::next_excess_blob_gas`] (EIP-4844 with
//! EIP-7918), and the sidecars of the included transactions are persisted
//! with the block.

use crate::{L1_BLOCK_GAS_LIMIT, dev::Clock};
use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header, Transaction};
use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Address, B256, Bytes, U256, map::HashSet};
use revm::{
    Database, DatabaseCommit, ExecuteEvm,
    context::ContextTr,
    context_interface::result::{EVMError, ExecutionResult, Output},
};
use rollup_node::{
    Node, StoredBlock,
    blob::{self, StoredBlob},
    db::DbError,
    mempool::PoolTx,
};
use rollup_protocol::{
    BlockEnvInput, ExecutedTx, RollupEvm, RollupReceipt, build_evm_with_precompiles, tx_env,
};
use std::{sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

/// Mines one block with the pool's best transactions at `timestamp` (or the
/// clock's next timestamp) and commits it. Returns its number.
pub async fn build_block(
    node: &Node,
    clock: &Clock,
    timestamp: Option<u64>,
) -> Result<u64, DbError> {
    let _producer = node.producer_lock().await;
    build_block_locked(node, clock, timestamp, BlockTxs::Pool).await
}

/// Where a block's transactions come from.
#[derive(Debug)]
pub(crate) enum BlockTxs {
    /// The pool's best, by tip.
    Pool,
    /// Exactly these, in this order (invalid ones skipped, the pool left
    /// alone): a block of `anvil_reorg`. `replaces` is the hash of the block
    /// it takes the place of; its PREVRANDAO is derived from it so that the
    /// new block's hash differs even when its contents would not.
    Given { txs: Vec<PoolTx>, replaces: Option<B256> },
}

/// [`build_block`] for a caller that holds the producer lock.
pub(crate) async fn build_block_locked(
    node: &Node,
    clock: &Clock,
    timestamp: Option<u64>,
    source: BlockTxs,
) -> Result<u64, DbError> {
    let (block, changes, blobs) = {
        let mut chain = node.chain_mut();
        let parent = chain.head().header.clone();
        let parent_hash = chain.head().hash;
        let base_fee =
            clock.take_next_base_fee().unwrap_or_else(|| node.next_base_fee_after(&parent));
        let timestamp = timestamp.unwrap_or_else(|| clock.next_timestamp(parent.timestamp));
        let number = parent.number + 1;
        let (candidates, from_pool, prevrandao) = match source {
            BlockTxs::Pool => (None, true, alloy_primitives::keccak256(parent_hash)),
            BlockTxs::Given { txs, replaces } => {
                let seed = replaces.map_or(parent_hash, |old| {
                    alloy_primitives::keccak256([parent_hash.as_slice(), old.as_slice()].concat())
                });
                (Some(txs), false, alloy_primitives::keccak256(seed))
            }
        };
        let env = BlockEnvInput {
            number,
            timestamp,
            beneficiary: Address::ZERO,
            gas_limit: L1_BLOCK_GAS_LIMIT,
            base_fee,
            prevrandao,
        };
        let excess_blob_gas = blob::next_excess_blob_gas_after(&parent);
        let blob_base_fee = blob::blob_base_fee(excess_blob_gas);
        let candidates = candidates.unwrap_or_else(|| {
            let state = &chain.state;
            let max_gas = node
                .config()
                .block_gas_limit
                .saturating_mul(rollup_node::mempool::CANDIDATE_GAS_FACTOR);
            node.pool().best_with_blob_fee(base_fee, blob_base_fee, max_gas, |a| state.nonce(a))
        });
        let mut evm = block_evm(node, &mut chain.state, &env, excess_blob_gas, parent_hash);
        let mut cumulative = 0u64;
        let mut blob_gas_used = 0u64;
        let mut txs = Vec::new();
        let mut blobs = Vec::new();
        let mut dropped = Vec::new();
        // A sender whose transaction waits for a later block: its later
        // nonces wait too (they would fail the nonce check, not be invalid).
        let mut deferred = HashSet::<Address>::default();
        for pooled in candidates {
            if deferred.contains(&pooled.sender) {
                continue;
            }
            let tx_blob_gas =
                pooled.tx.blob_versioned_hashes().map_or(0, |h| blob::blob_gas(h.len()));
            if pooled.tx.gas_limit() > L1_BLOCK_GAS_LIMIT - cumulative
                || tx_blob_gas > blob::MAX_BLOB_GAS_PER_BLOCK - blob_gas_used
            {
                deferred.insert(pooled.sender);
                continue;
            }
            let out = match evm.transact(tx_env(&pooled.tx, pooled.sender)) {
                Ok(out) => out,
                Err(EVMError::Database(never)) => match never {},
                Err(e) => {
                    tracing::debug!(target: "l1", hash = %pooled.hash, %e, "dropping invalid transaction");
                    dropped.push(pooled.hash);
                    continue;
                }
            };
            let gas_used = out.result.tx_gas_used();
            let contract_address = match &out.result {
                ExecutionResult::Success { output: Output::Create(_, a), .. } => *a,
                _ => None,
            };
            let status = out.result.is_success();
            let logs = out.result.into_logs();
            evm.ctx.db_mut().commit(out.state);
            cumulative += gas_used;
            blob_gas_used += tx_blob_gas;
            if let Some(sidecar) = &pooled.sidecar {
                blobs.extend(StoredBlob::from_sidecar(
                    number,
                    blobs.len() as u64,
                    pooled.hash,
                    sidecar,
                ));
            }
            txs.push(ExecutedTx {
                receipt: RollupReceipt {
                    tx_type: pooled.tx.tx_type() as u8,
                    status,
                    cumulative_gas_used: cumulative,
                    gas_used,
                    effective_gas_price: pooled.tx.effective_gas_price(Some(base_fee)),
                    logs,
                    contract_address,
                    l1_fee: None,
                    l1_base_fee: None,
                    l1_blob_base_fee: None,
                    l1_fee_scalars: None,
                    l1_gas_used: None,
                    deposit_nonce: None,
                },
                sender: pooled.sender,
                tx: pooled.tx.into(),
            });
        }
        drop(evm);
        if from_pool {
            let mut pool = node.pool();
            for hash in dropped {
                pool.remove(&hash);
            }
        }
        let commitments = rollup_protocol::BlockCommitments::of(&txs);
        let header = Header {
            parent_hash,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: Address::ZERO,
            state_root: chain.state.compute_state_root(),
            transactions_root: commitments.transactions_root,
            receipts_root: commitments.receipts_root,
            logs_bloom: commitments.logs_bloom,
            difficulty: U256::ZERO,
            number,
            gas_limit: L1_BLOCK_GAS_LIMIT,
            gas_used: cumulative,
            timestamp,
            extra_data: Bytes::new(),
            mix_hash: prevrandao,
            nonce: Default::default(),
            base_fee_per_gas: Some(base_fee),
            withdrawals_root: Some(alloy_consensus::constants::EMPTY_ROOT_HASH),
            blob_gas_used: Some(blob_gas_used),
            excess_blob_gas: Some(excess_blob_gas),
            parent_beacon_block_root: Some(B256::ZERO),
            requests_hash: Some(EMPTY_REQUESTS_HASH),
            ..Default::default()
        };
        let block = StoredBlock { hash: header.hash_slow(), header, transactions: txs };
        let changes = chain.state.take_changes();
        (block, changes, blobs)
    };
    let number = block.number();
    let count = block.transactions.len();
    node.commit_block_with_blobs(block, changes, &blobs).await?;
    tracing::debug!(target: "l1", number, txs = count, blobs = blobs.len(), "mined block");
    Ok(number)
}

/// revm set up for the L1 block `env` over `db` (the parent's state): the
/// L1's precompiles, the blob environment of `excess_blob_gas`, and the
/// block's EIP-2935 system call made, storing `parent_hash`. Block building
/// and replays for tracing ([`crate::replay`]) start every block here.
pub(crate) fn block_evm<DB: Database + DatabaseCommit>(
    node: &Node,
    db: DB,
    env: &BlockEnvInput,
    excess_blob_gas: u64,
    parent_hash: B256,
) -> RollupEvm<DB> {
    let mut evm = build_evm_with_precompiles(
        db,
        node.config().chain_id,
        env,
        node.config().kind.precompiles(),
    );
    let ctx = &mut evm.ctx;
    node.set_blob_env(&mut ctx.cfg, &mut ctx.block, excess_blob_gas);
    // EIP-2935 (Prague): the parent's hash into the history contract's
    // ring buffer, by a system call before the transactions (as reth
    // does, the system caller's own account is not committed).
    if let Ok(mut out) = revm::SystemCallEvm::system_call(
        &mut evm,
        rollup_protocol::HISTORY_STORAGE,
        Bytes::copy_from_slice(parent_hash.as_slice()),
    ) {
        out.state.remove(&revm::handler::SYSTEM_ADDRESS);
        evm.ctx.db_mut().commit(out.state);
    }
    evm
}

/// How the L1 mines (anvil's modes): a block for every transaction
/// (automine), one every interval, or only on `evm_mine`/`anvil_mine`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MiningMode {
    /// A block as soon as a transaction enters the pool.
    Auto,
    /// A block every interval, empty or not.
    Interval(Duration),
    /// No block unless asked for.
    Manual,
}

/// Mines as `mode` says, following its changes (`anvil_setAutomine`,
/// `anvil_setIntervalMining`), until `shutdown`.
pub(crate) async fn mine_loop(
    node: Arc<Node>,
    clock: Arc<Clock>,
    mut mode: tokio::sync::watch::Receiver<MiningMode>,
    shutdown: CancellationToken,
) {
    loop {
        let current = *mode.borrow_and_update();
        match current {
            MiningMode::Interval(interval) => {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = mode.changed() => continue,
                    _ = tokio::time::sleep(interval) => {}
                }
            }
            MiningMode::Auto => {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = mode.changed() => continue,
                    _ = node.wait_for_tx() => {}
                }
                if node.pool().is_empty() {
                    continue;
                }
            }
            MiningMode::Manual => {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    changed = mode.changed() => if changed.is_err() { return } else { continue },
                }
            }
        }
        if let Err(e) = build_block(&node, &clock, None).await {
            tracing::error!(target: "l1", %e, "cannot persist block; stopping the miner");
            return;
        }
    }
}
