//! The proposer defends its outputs: in every dispute game against one of
//! them it plays the PROPOSER side with its own view of the chain (the
//! sequencer's output roots over the L2 JSON-RPC), following the bisection
//! rule ([`rollup_protocol::next_move`]). It never proves: whoever holds the
//! truth proves the last block with the EXECUTE precompile. It runs on the
//! proposer's task, with the proposer's key and transaction manager (one per
//! key: its moves take nonces after the proposals in flight), never in the
//! batcher's loop.

use crate::{BatcherError, TxError, proposer::Proposer};
use alloy::sol_types::SolCall;
use alloy_primitives::{B256, U256};
use rollup_client::L2Provider;
use rollup_contracts::{DisputeGameFactory, GameStatus, OutputOracle, Side};
use rollup_protocol::{BisectionMove, BisectionState, next_move};
use std::{collections::BTreeMap, sync::atomic::Ordering};
use tokio_util::sync::CancellationToken;

/// The output a colluding proposer proposed from the sequencer's unsafe
/// chain, with that chain's roots over the output's range: it defends the
/// output with them after the sequencer has reorged them away, as a
/// proposer that believes its chain would.
#[derive(Debug)]
pub(crate) struct Colluded {
    /// The proposed root.
    pub(crate) root: B256,
    /// Roots of the unsafe chain by block.
    pub(crate) roots: BTreeMap<u64, B256>,
}

impl Proposer {
    /// One pass over the games in progress against this proposer's outputs
    /// (counted in `games_in_progress` whether it defends or not).
    pub(crate) async fn defend(
        &mut self,
        shutdown: &CancellationToken,
    ) -> Result<(), BatcherError> {
        let Some(factory) = self.config.dispute_game_factory else { return Ok(()) };
        let defending = !self.faults.stop_defending.load(Ordering::Relaxed);
        let count: U256 = self.view(factory, DisputeGameFactory::gameCountCall {}).await?;
        let mut in_progress = 0;
        for id in 0..count.saturating_to::<u64>() {
            let g = self
                .view(factory, DisputeGameFactory::getGameCall { gameId: U256::from(id) })
                .await?;
            let open = GameStatus::try_from(g.status) == Ok(GameStatus::InProgress);
            in_progress += u64::from(open);
            self.games_in_progress = self.games_in_progress.max(in_progress);
            if !open
                || !defending
                || Side::try_from(g.turn) != Ok(Side::Proposer)
                || (g.hi - g.lo <= 1 && !g.hasPending)
            {
                continue;
            }
            let output = self
                .view(
                    self.config.output_oracle,
                    OutputOracle::getOutputCall { index: g.outputIndex },
                )
                .await?;
            if output.proposer != self.txmgr.address() {
                continue;
            }
            // The roots the move may need: the pending block and either next midpoint.
            let mut wanted = vec![g.lo + (g.hi - g.lo) / 2];
            if g.hasPending {
                let p = g.pendingBlock;
                wanted.extend([p, p + (g.hi - p) / 2, g.lo + (p - g.lo) / 2]);
            }
            let colluded = self
                .colluded
                .as_ref()
                .filter(|c| c.root == output.outputRoot)
                .map(|c| c.roots.clone());
            let mut roots = BTreeMap::new();
            for block in wanted {
                let root = match colluded.as_ref().and_then(|c| c.get(&block)) {
                    Some(root) => *root,
                    None => self.l2.output_root(block).await?,
                };
                roots.insert(block, root);
            }
            let state = BisectionState {
                lo: g.lo,
                hi: g.hi,
                pending: g.hasPending.then_some((g.pendingBlock, g.pendingRoot)),
            };
            let Some(BisectionMove { agree, lo, hi, mid_root }) =
                next_move(state, |b| roots.get(&b).copied())
            else {
                continue;
            };
            let call = DisputeGameFactory::moveCall {
                gameId: U256::from(id),
                agreeWithPendingMid: agree,
                midRoot: mid_root,
            };
            let sent =
                self.txmgr.send(factory, call.abi_encode().into(), U256::ZERO, shutdown).await;
            let refused = match sent {
                Ok(confirmed) if confirmed.receipt.status() => {
                    tracing::info!(target: "proposer", game = id, agree, lo, hi, %mid_root, "defended an output");
                    continue;
                }
                Ok(confirmed) => BatcherError::Reverted(confirmed.receipt.transaction_hash),
                Err(e @ TxError::WouldRevert(_)) => e.into(),
                Err(e) => return Err(e.into()),
            };
            // A registered defender (the challenger's defender key) may answer
            // the same turn first: then the game has moved on and the refused
            // move is no error. Otherwise the refusal stands.
            let now = self
                .view(factory, DisputeGameFactory::getGameCall { gameId: U256::from(id) })
                .await?;
            if (now.lo, now.hi, now.hasPending, now.turn, now.status)
                == (g.lo, g.hi, g.hasPending, g.turn, g.status)
            {
                return Err(refused);
            }
            tracing::info!(target: "proposer", game = id, "another defender answered this turn first");
        }
        self.games_in_progress = in_progress;
        Ok(())
    }
}
