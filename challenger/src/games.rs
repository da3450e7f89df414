//! Playing dispute games on `DisputeGameFactory`: opening a game against a
//! wrong output, answering every bisection move from the derived chain before
//! the chess clock runs out, proving the last block with the EXECUTE
//! precompile, claiming timeouts, and collecting the bonds won.
//!
//! The challenger plays with two keys: its attacker key opens games and plays
//! the CHALLENGER side; its defender key (registered with the factory) plays
//! the PROPOSER side of any game against an output the derived chain agrees
//! with. Both sides play honestly: a midpoint is agreed with exactly when it
//! equals the derived output root at that block.

use crate::{
    ChallengerEvent, Worker,
    decide::{Action, GameView, game_action},
};
use alloy::{
    providers::Provider,
    rpc::types::TransactionRequest,
    sol_types::{SolCall, SolValue},
};
use alloy_primitives::{Address, B256, Bytes, U256};
use rollup_client::{ClientError, txmgr::TxManager};
use rollup_contracts::{DisputeGameFactory, GameStatus, OutputOracle, Side};
use rollup_protocol::{
    BisectionMove, Derivation, ExecuteDeposit, L1BlockData, L1View, OutputRootPreimage,
    build_witness_with_ancestors, l2_genesis_state,
};
use tokio_util::sync::CancellationToken;

/// The challenger's keys and the factory it plays on.
#[derive(Debug)]
pub(crate) struct Players {
    pub(crate) factory: Address,
    pub(crate) attacker: TxManager,
    pub(crate) defender: Option<TxManager>,
}

/// Errors while playing.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GameError {
    #[error(transparent)]
    L1(#[from] ClientError),
    #[error("transaction: {0}")]
    Tx(#[from] rollup_client::txmgr::TxError),
    #[error("transaction {0} reverted")]
    Reverted(B256),
    #[error("cannot build the proof: {0}")]
    Proof(String),
}

impl Worker {
    async fn factory_view<C: SolCall>(&self, call: C) -> Result<C::Return, ClientError> {
        let factory = self.players.as_ref().map(|p| p.factory).unwrap_or_default();
        let request = TransactionRequest::default().to(factory).input(call.abi_encode().into());
        let out = self.l1.provider().call(request).await?;
        C::abi_decode_returns(&out).map_err(|e| ClientError::BadData(e.to_string()))
    }

    async fn send(
        &self,
        txmgr: &TxManager,
        input: Vec<u8>,
        value: U256,
        shutdown: &CancellationToken,
    ) -> Result<(), GameError> {
        let factory = self.players.as_ref().map(|p| p.factory).unwrap_or_default();
        let confirmed = txmgr.send(factory, input.into(), value, shutdown).await?;
        if !confirmed.receipt.status() {
            return Err(GameError::Reverted(confirmed.receipt.transaction_hash));
        }
        Ok(())
    }

    /// Opens a game against output `index` with the derived root as counter-claim.
    pub(crate) async fn open_game(
        &self,
        index: u64,
        counter_root: B256,
        shutdown: &CancellationToken,
    ) -> Result<(), GameError> {
        let Some(players) = &self.players else { return Ok(()) };
        let (active, _) = self
            .factory_view(DisputeGameFactory::activeGameCall { outputIndex: U256::from(index) })
            .await
            .map(|r| (r.active, r.gameId))?;
        if active {
            return Ok(());
        }
        let bond: U256 = self.factory_view(DisputeGameFactory::challengerBondCall {}).await?;
        let call = DisputeGameFactory::challengeCall {
            outputIndex: U256::from(index),
            counterRoot: counter_root,
        };
        self.send(&players.attacker, call.abi_encode(), bond, shutdown).await?;
        tracing::info!(target: "challenger", output_index = index, %counter_root, "opened a dispute game");
        Ok(())
    }

    /// One pass over every game in progress: move, prove, or claim a timeout.
    pub(crate) async fn play(&mut self, shutdown: &CancellationToken) -> Result<(), GameError> {
        let Some(players) = &self.players else { return Ok(()) };
        let attacker = players.attacker.address();
        let defender = players.defender.as_ref().map(TxManager::address);
        let count: U256 = self.factory_view(DisputeGameFactory::gameCountCall {}).await?;
        let now = self.l1_timestamp().await?;
        let clock: u64 = self.factory_view(DisputeGameFactory::clockSecondsCall {}).await?;
        for id in self.first_open_game..count.saturating_to::<u64>() {
            let g = self
                .factory_view(DisputeGameFactory::getGameCall { gameId: U256::from(id) })
                .await?;
            if GameStatus::try_from(g.status) != Ok(GameStatus::InProgress) {
                if id == self.first_open_game {
                    self.first_open_game += 1;
                }
                continue;
            }
            let output = self.view(OutputOracle::getOutputCall { index: g.outputIndex }).await?;
            let Some(derived) = self.derivation.output_root(output.l2BlockNumber) else { continue };
            let view = GameView {
                game: &g,
                output_root: output.outputRoot,
                derived_output_root: derived,
                attacker,
                has_defender: defender.is_some(),
                now,
                clock,
                derived_head: self.derivation.head().number,
            };
            match game_action(view, |b| self.derivation.output_root(b)) {
                Action::Wait => {}
                Action::Prove => self.prove(id, &g, shutdown).await?,
                Action::Move { side, mv: BisectionMove { agree, lo, hi, mid_root } } => {
                    let txmgr = if side == Side::Challenger {
                        &players.attacker
                    } else {
                        players.defender.as_ref().expect("a defender plays the proposer side")
                    };
                    let call = DisputeGameFactory::moveCall {
                        gameId: U256::from(id),
                        agreeWithPendingMid: agree,
                        midRoot: mid_root,
                    };
                    self.send(txmgr, call.abi_encode(), U256::ZERO, shutdown).await?;
                    tracing::info!(
                        target: "challenger", game = id,
                        side = if side == Side::Challenger { "challenger" } else { "defender" },
                        agree, lo, hi, mid = (lo + hi) / 2, %mid_root, "move"
                    );
                    let _ = self.events.send(ChallengerEvent::Moved {
                        game_id: id,
                        lo,
                        hi,
                        agreed: agree,
                        mid_root,
                    });
                }
                Action::ClaimTimeout => {
                    let call = DisputeGameFactory::timeoutCall { gameId: U256::from(id) };
                    self.send(&players.attacker, call.abi_encode(), U256::ZERO, shutdown).await?;
                    tracing::info!(target: "challenger", game = id, "opponent's clock ran out: claimed the game");
                }
            }
        }
        for txmgr in std::iter::once(&players.attacker).chain(players.defender.as_ref()) {
            let credit: U256 = self
                .factory_view(DisputeGameFactory::creditCall { account: txmgr.address() })
                .await?;
            if credit > U256::ZERO {
                self.send(
                    txmgr,
                    DisputeGameFactory::claimCreditCall {}.abi_encode(),
                    U256::ZERO,
                    shutdown,
                )
                .await?;
                tracing::info!(target: "challenger", %credit, account = %txmgr.address(), "collected bonds");
            }
        }
        Ok(())
    }

    async fn l1_timestamp(&self) -> Result<u64, ClientError> {
        let head = self.l1.head().await?;
        Ok(self.l1.origin(head).await?.map(|o| o.timestamp).unwrap_or_default())
    }

    /// Proves block `g.hi` with EXECUTE.
    async fn prove(
        &self,
        id: u64,
        g: &DisputeGameFactory::Game,
        shutdown: &CancellationToken,
    ) -> Result<(), GameError> {
        let Some(players) = &self.players else { return Ok(()) };
        // EXECUTE runs under the factory's protocol parameters: a proof under
        // other rules than ours would prove nothing we derived.
        let theirs = self.factory_view(DisputeGameFactory::rollupConfigCall {}).await?;
        if theirs.as_ref() != self.derivation.config().protocol_params_abi().as_slice() {
            return Err(GameError::Proof(
                "the DisputeGameFactory's rollupConfig differs from this challenger's rollup config"
                    .into(),
            ));
        }
        let block = g.hi;
        let batch = self
            .batches
            .iter()
            .find(|b| b.l2_start <= block && block <= b.l2_end)
            .cloned()
            .ok_or_else(|| GameError::Proof(format!("no batch holds block {block}")))?;
        // The state at the parent, re-derived from L1 data.
        let mut replay = Derivation::new(self.derivation.config().clone(), l2_genesis_state());
        for b in self.batches.iter().filter(|b| b.l2_start <= g.lo) {
            replay.apply_batch_up_to(b, &self.cache, g.lo);
        }
        let parent = replay
            .header(g.lo)
            .cloned()
            .ok_or_else(|| GameError::Proof("parent not derived".into()))?;
        let inputs = replay
            .inputs_of(block, &batch, &self.cache)
            .ok_or_else(|| GameError::Proof("inputs".into()))?;
        // The headers BLOCKHASH may reach (the last 256), to prove old hashes.
        let ancestors: Vec<_> =
            (g.lo.saturating_sub(256)..g.lo).filter_map(|n| replay.header(n).cloned()).collect();
        let witness = build_witness_with_ancestors(
            replay.state(),
            replay.config(),
            &parent,
            &inputs,
            &ancestors,
        )
        .map_err(|e| GameError::Proof(e.to_string()))?;
        let parent_origin = replay.origin(g.lo).unwrap_or_default();
        let mut numbers =
            vec![parent_origin.number, parent_origin.number + 1, inputs.l1_origin.number];
        numbers.sort_unstable();
        numbers.dedup();
        let mut l1_blocks = Vec::new();
        for n in numbers.into_iter().filter(|n| *n < batch.l1_block) {
            let Some(header) = self.l1.header_rlp(n).await? else { continue };
            let deposits: Vec<ExecuteDeposit> = self
                .cache
                .deposits(n)
                .into_iter()
                .map(|d| ExecuteDeposit {
                    from: d.from,
                    to: d.to,
                    index: U256::from(d.index),
                    mint: d.mint,
                    value: d.value,
                    gasLimit: d.gas_limit,
                    data: d.data,
                })
                .collect();
            l1_blocks.push(L1BlockData { number: n, header, deposits: deposits_encoded(deposits) });
        }
        // A blob batch is proven with its blobs (the precompile checks their
        // KZG commitments against the batch's); a calldata batch with its data.
        let batch_data = match self
            .l1
            .batch_blobs(self.config.batch_inbox, batch.index, batch.l1_block)
            .await?
        {
            Some(blobs) => {
                Bytes::from(blobs.iter().flat_map(|b| b.iter().copied()).collect::<Vec<u8>>())
            }
            None => batch.data.clone(),
        };
        let preimage = OutputRootPreimage {
            state_root: parent.state_root,
            withdrawals_root: parent.withdrawals_root.unwrap_or_default(),
            block_hash: parent.hash_slow(),
        };
        let call = DisputeGameFactory::proveBlockCall {
            gameId: U256::from(id),
            preimage: (preimage.state_root, preimage.withdrawals_root, preimage.block_hash)
                .abi_encode_params()
                .into(),
            parentHeader: alloy_rlp::encode(&parent).into(),
            batchIndex: U256::from(batch.index),
            batchData: batch_data,
            l1Blocks: l1_blocks.abi_encode().into(),
            witness: Bytes::from(witness.encode()),
        };
        self.send(&players.attacker, call.abi_encode(), U256::ZERO, shutdown).await?;
        tracing::info!(target: "challenger", game = id, block, "proved the disputed block with EXECUTE");
        let _ = self.events.send(ChallengerEvent::Proved { game_id: id, l2_block: block });
        Ok(())
    }
}

fn deposits_encoded(deposits: Vec<ExecuteDeposit>) -> Bytes {
    deposits.abi_encode().into()
}
