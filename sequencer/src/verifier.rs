//! A verifier node (`rollup node`): the L2 derived from L1 alone, served over
//! the standard L2 JSON-RPC, with no block production of its own. It runs
//! the same derivation follower as the sequencer ([`crate::follow`]), which
//! adopts every derived block; given the sequencer's URL it also follows the
//! sequencer's unsafe blocks (re-executing each over its own state; a block
//! that does not re-execute to the sequencer's hash is not taken) and
//! forwards `eth_sendRawTransaction` there. Where the sequencer's unsafe
//! blocks and the L1 disagree, the L1 wins: the follower reorgs to the
//! derived chain, and unsafe blocks the sequencer has replaced are unwound
//! here too (never below the safe head). This is how L2 read load scales
//! past one machine (op-node's verifier mode; DESIGN.md §5).

use alloy::providers::{Provider, RootProvider};
use alloy_primitives::U64;
use rollup_client::{L1Client, SealedBatchBlock};
use rollup_node::{Node, StoredBlock};
use rollup_protocol::{BlockInputs, L1Origin, RollupConfig, execute_block};
use std::{sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

/// Most sequencer blocks taken in one pass.
const MAX_BLOCKS_PER_PASS: u64 = 256;

/// Follows the sequencer at `sequencer` every `interval` until `shutdown`.
pub(crate) async fn follow_unsafe(
    node: Arc<Node>,
    l1: L1Client,
    sequencer: RootProvider,
    rollup: RollupConfig,
    interval: Duration,
    shutdown: CancellationToken,
) {
    let mut warned = None;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        match pass(&node, &l1, &sequencer, &rollup).await {
            Ok(None) => warned = None,
            Ok(Some(number)) => {
                if warned != Some(number) {
                    tracing::warn!(target: "verifier", number, "the sequencer's block does not re-execute to its hash; waiting for the L1");
                    warned = Some(number);
                }
            }
            Err(e) => {
                tracing::debug!(target: "verifier", %e, "following the sequencer failed; retrying")
            }
        }
    }
}

type PassError = Box<dyn std::error::Error + Send + Sync>;

/// One pass: unwinds unsafe blocks the sequencer replaced, then takes its
/// new blocks. `Some(n)` when block `n` could not be taken.
async fn pass(
    node: &Node,
    l1: &L1Client,
    sequencer: &RootProvider,
    rollup: &RollupConfig,
) -> Result<Option<u64>, PassError> {
    let their_head = sequencer.get_block_number().await?;
    // Our unsafe blocks the sequencer no longer has: unwind to the fork.
    let safe = node.safe_number();
    let mut fork = node.chain().head_number();
    while fork > safe {
        let ours = node.chain().hash(fork);
        let theirs = sequencer.get_block_by_number(fork.into()).await?.map(|b| b.header.hash);
        if ours == theirs {
            break;
        }
        fork -= 1;
    }
    if fork < node.chain().head_number() {
        let _producer = node.producer_lock().await;
        let fork = fork.max(node.safe_number());
        tracing::info!(target: "verifier", fork, "the sequencer replaced unsafe blocks; unwinding");
        node.unwind_to_locked(fork).await?;
    }
    let head = node.chain().head_number();
    for number in head + 1..=their_head.min(head + MAX_BLOCKS_PER_PASS) {
        let fetched: Option<SealedBatchBlock> =
            sequencer.raw_request("rollup_getBatchBlock".into(), (U64::from(number),)).await?;
        let Some(SealedBatchBlock { block, hash }) = fetched else { return Ok(None) };
        let Some(origin) = l1.origin(block.l1_origin_number).await? else { return Ok(None) };
        if origin.hash != block.l1_origin_hash {
            return Ok(Some(number));
        }
        let parent_origin = {
            let chain = node.chain();
            chain.recent_block(number - 1).and_then(|p| L1Origin::of_header(&p.header))
        };
        let advanced = parent_origin.map(|(n, _)| n) != Some(origin.number);
        let deposits = if advanced { l1.deposits(origin.number).await? } else { Vec::new() };
        let inputs = BlockInputs {
            timestamp: block.timestamp,
            l1_origin: origin,
            deposits,
            transactions: block.transactions,
        };
        let _producer = node.producer_lock().await;
        let (stored, changes) = {
            let mut chain = node.chain_mut();
            if chain.head_number() + 1 != number {
                return Ok(None); // derivation moved the head meanwhile
            }
            let parent = chain.head().header.clone();
            let executed = execute_block(rollup, &mut chain.state, &parent, &inputs)
                .unwrap_or_else(|e| match e {
                    rollup_protocol::StfError::Database(never) => match never {},
                });
            if executed.hash != hash {
                // Not the sequencer's block: leave the state as it was.
                chain.state.discard_changes();
                return Ok(Some(number));
            }
            let stored = StoredBlock {
                header: executed.header,
                hash: executed.hash,
                transactions: executed.transactions,
            };
            (stored, chain.state.take_changes())
        };
        node.commit_block(stored, changes).await?;
    }
    Ok(None)
}
