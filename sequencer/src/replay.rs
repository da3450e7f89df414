//! Replays of past L2 blocks for tracing (`debug_traceTransaction`,
//! `debug_traceBlock*`, `trace_transaction`, `trace_block`) through the STF
//! itself ([`execute_traced`]), on the state the block's transactions ran on
//! ([`Node::state_before`]): deposits are traced as transactions, and a user
//! transaction's state changes include the L1 data fee and the fee vaults'
//! credits (op-geth's traces).
//!
//! The block's inputs are rebuilt from the block and the L1: its timestamp,
//! its L1 origin (read from the L1 and checked against the hash the header
//! commits to; the rollup's genesis origin without a read), the deposits of
//! that origin that the block includes (matched by transaction hash, so a
//! deposit the STF adds itself is not mistaken for a user deposit), and its
//! user transactions with their recorded senders. The replay must produce
//! the block's transactions, hashes and order, or it is refused.

use alloy::eips::Encodable2718;
use alloy_consensus::transaction::Recovered;
use alloy_primitives::{B256, map::HashSet};
use futures::future::BoxFuture;
use rollup_client::L1Client;
use rollup_node::{
    BlockReplayer, Node, ReplayDb, ReplayError, ReplayTracer, ReplayedTx, StoredBlock, TxInspector,
};
use rollup_protocol::{
    BlockTracer, BlockTx, L1Origin, RecoveredInputs, RollupConfig, RollupTxEnvelope, StfError,
    TracedTx, execute_traced,
};
use std::sync::Arc;

/// The L2's [`BlockReplayer`].
#[derive(Debug)]
pub(crate) struct L2Replayer {
    /// Where the L1 origins and deposits are read.
    pub(crate) l1: L1Client,
    /// The rollup's parameters.
    pub(crate) rollup: RollupConfig,
}

impl L2Replayer {
    /// The L1 origin the header of an L2 block commits to.
    async fn origin(&self, block: &StoredBlock) -> Result<L1Origin, ReplayError> {
        let (number, hash) = L1Origin::of_header(&block.header)
            .ok_or_else(|| ReplayError::Other("block without an L1 origin".into()))?;
        let genesis = self.rollup.genesis_l1_origin;
        if number == genesis.number && hash == genesis.hash {
            return Ok(genesis);
        }
        let origin = self
            .l1
            .origin(number)
            .await
            .map_err(|e| ReplayError::Other(format!("L1 origin {number}: {e}")))?;
        origin.filter(|o| o.hash == hash).ok_or_else(|| {
            ReplayError::Other(format!(
                "L1 origin {number} of block {} is no longer on the L1",
                block.number()
            ))
        })
    }
}

impl BlockReplayer for L2Replayer {
    fn replay<'a>(
        &'a self,
        node: &'a Arc<Node>,
        block: &'a StoredBlock,
        tracer: &'a mut dyn ReplayTracer,
    ) -> BoxFuture<'a, Result<(), ReplayError>> {
        Box::pin(async move {
            let number = block.number();
            let parent = match number.checked_sub(1) {
                Some(n) => node.block(n).await.map_err(|e| ReplayError::State(e.into()))?,
                None => None,
            }
            .ok_or(ReplayError::State(rollup_node::StateError::UnknownBlock))?;
            let origin = self.origin(block).await?;
            // User deposits only: the STF regenerates the L1-attributes deposit.
            let included: HashSet<B256> = block
                .transactions
                .iter()
                .filter(|t| matches!(&t.tx, RollupTxEnvelope::Deposit(d) if !d.is_l1_attributes()))
                .map(|t| t.tx.tx_hash())
                .collect();
            let deposits = if included.is_empty() {
                Vec::new()
            } else {
                let all = self.l1.deposits(origin.number).await.map_err(|e| {
                    ReplayError::Other(format!("deposits of L1 block {}: {e}", origin.number))
                })?;
                all.into_iter().filter(|d| included.contains(&d.to_tx().tx_hash())).collect()
            };
            let transactions = block
                .transactions
                .iter()
                .filter_map(|t| match &t.tx {
                    RollupTxEnvelope::Eth(tx) => Some(BlockTx::from_recovered(
                        Recovered::new_unchecked(tx.clone(), t.sender),
                        tx.encoded_2718().into(),
                    )),
                    RollupTxEnvelope::Deposit(_) => None,
                })
                .collect();
            let inputs = RecoveredInputs {
                timestamp: block.header.timestamp,
                l1_origin: origin,
                deposits,
                transactions,
            };
            let state = node.state_before(number).await?;
            let mut db = ReplayDb::new(&state);
            let executed = execute_traced(
                &self.rollup,
                &mut db,
                &parent.header,
                &inputs,
                &mut Adapter(tracer),
            )
            .unwrap_or_else(|e| match e {
                StfError::Database(never) => match never {},
            });
            let replayed = executed.transactions.iter().map(|t| t.tx.tx_hash());
            if !replayed.eq(block.transactions.iter().map(|t| t.tx.tx_hash())) {
                return Err(ReplayError::Other(format!(
                    "the replay of block {number} does not reproduce its transactions"
                )));
            }
            Ok(())
        })
    }
}

/// The node's [`ReplayTracer`] as the STF's [`BlockTracer`].
struct Adapter<'t>(&'t mut dyn ReplayTracer);

impl<'s, 'db> BlockTracer<&'s mut ReplayDb<'db>> for Adapter<'_> {
    type Inspector = TxInspector;

    fn inspector(&mut self, index: usize) -> Option<TxInspector> {
        self.0.inspector(index)
    }

    fn traced(&mut self, inspector: TxInspector, tx: TracedTx<'_>, db: &&'s mut ReplayDb<'db>) {
        let pre: &ReplayDb<'db> = db;
        let replayed = ReplayedTx { index: tx.index, result: tx.result, minted: tx.minted, pre };
        self.0.traced(inspector, replayed);
    }
}
