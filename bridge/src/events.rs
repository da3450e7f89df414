//! The events the indexer announces as it indexes, streamed to clients by
//! `GET /v1/events` (Server-Sent Events: `event:` is [`BridgeEvent::kind`],
//! `data:` the JSON of the payload).
//!
//! One broadcast channel carries them: the indexer sends each event once, in
//! the order it indexed them (L1 events in log order; L2 events per block,
//! deposits credited first), and only for blocks it indexes in this run, so a
//! restarted bridge does not announce the blocks it had already indexed.

use crate::api::schema::{Address, GameEndReason, Hash32, Side, Wei};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use utoipa::ToSchema;

/// Events kept for subscribers that fall behind (older ones are dropped for
/// them, and they get a `lagged` event).
const CAPACITY: usize = 4_096;

/// A bisection range `lo..hi` of L2 blocks: both sides agree on the output
/// root at `lo` and disagree at `hi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub(crate) struct RangeJson {
    /// The agreed L2 block.
    pub(crate) lo: u64,
    /// The disputed L2 block.
    pub(crate) hi: u64,
}

/// `deposit-initiated` (the L1 `TransactionDeposited` event) and
/// `deposit-credited` (the L2 deposit transaction is in a block).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct DepositEvent {
    /// Index of the deposit in the bridge.
    pub(crate) deposit_index: u64,
    /// L1 sender (aliased when a contract).
    #[schema(value_type = Address)]
    pub(crate) from: String,
    /// L2 recipient.
    #[schema(value_type = Address)]
    pub(crate) to: String,
    /// Wei minted on L2 (locked on L1), decimal string.
    #[schema(value_type = Wei)]
    pub(crate) amount: String,
    /// L1 block of the deposit.
    pub(crate) l1_block: u64,
    /// L1 transaction of the deposit.
    #[schema(value_type = Hash32)]
    pub(crate) l1_tx_hash: String,
    /// Hash of the L2 deposit transaction (type `0x7e`).
    #[schema(value_type = Hash32)]
    pub(crate) l2_tx_hash: String,
    /// L2 block that credited it (`deposit-credited` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = u64, required = false)]
    pub(crate) l2_block: Option<u64>,
}

/// `batch-posted`: `BatchInbox.BatchAppended`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct BatchEvent {
    /// Batch index.
    pub(crate) index: u64,
    /// First L2 block (inclusive).
    pub(crate) l2_start: u64,
    /// Last L2 block (inclusive).
    pub(crate) l2_end: u64,
    /// `keccak256(data)` (calldata batches).
    #[schema(value_type = Hash32)]
    pub(crate) commitment: String,
    /// Whether the data is in blobs.
    pub(crate) is_blob: bool,
    /// L1 block timestamp, unix seconds.
    pub(crate) timestamp: u64,
    /// L1 block.
    pub(crate) l1_block: u64,
    /// L1 transaction.
    #[schema(value_type = Hash32)]
    pub(crate) l1_tx_hash: String,
}

/// `output-proposed`: `OutputOracle.OutputProposed`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct OutputEvent {
    /// Output index.
    pub(crate) index: u64,
    /// The L2 block the output is for.
    pub(crate) l2_block: u64,
    /// The output root.
    #[schema(value_type = Hash32)]
    pub(crate) output_root: String,
    /// L1 timestamp of the proposal, unix seconds.
    pub(crate) timestamp: u64,
    /// L1 block.
    pub(crate) l1_block: u64,
    /// L1 transaction.
    #[schema(value_type = Hash32)]
    pub(crate) l1_tx_hash: String,
}

/// `outputs-deleted`: `OutputOracle.OutputsDeleted`, outputs
/// `from_index..prev_next_index` are gone.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct OutputsDeletedEvent {
    /// First deleted output index.
    pub(crate) from_index: u64,
    /// The output count before the deletion.
    pub(crate) prev_next_index: u64,
    /// L1 block.
    pub(crate) l1_block: u64,
    /// L1 transaction.
    #[schema(value_type = Hash32)]
    pub(crate) l1_tx_hash: String,
}

/// `withdrawal-initiated`: `L2ToL1MessagePasser.MessagePassed` on L2.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct WithdrawalEvent {
    /// The withdrawal hash.
    #[schema(value_type = Hash32)]
    pub(crate) withdrawal_hash: String,
    /// The message passer's nonce (leaf index).
    pub(crate) nonce: u64,
    /// L2 sender.
    #[schema(value_type = Address)]
    pub(crate) from: String,
    /// L1 recipient.
    #[schema(value_type = Address)]
    pub(crate) to: String,
    /// Wei, decimal string.
    #[schema(value_type = Wei)]
    pub(crate) amount: String,
    /// L2 block.
    pub(crate) l2_block: u64,
    /// L2 transaction.
    #[schema(value_type = Hash32)]
    pub(crate) l2_tx_hash: String,
}

/// `withdrawal-finalized`: `Bridge.WithdrawalFinalized` on L1.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct WithdrawalFinalizedEvent {
    /// The withdrawal hash.
    #[schema(value_type = Hash32)]
    pub(crate) withdrawal_hash: String,
    /// Whether the L1 call of the withdrawal succeeded.
    pub(crate) success: bool,
    /// L1 block.
    pub(crate) l1_block: u64,
    /// L1 transaction.
    #[schema(value_type = Hash32)]
    pub(crate) l1_tx_hash: String,
}

/// `challenge-opened`: `DisputeGameFactory.GameCreated`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct ChallengeOpenedEvent {
    /// The game id.
    pub(crate) game_id: u64,
    /// The disputed output.
    pub(crate) output_index: u64,
    /// Who opened the game.
    #[schema(value_type = Address)]
    pub(crate) challenger: String,
    /// The starting range: the previous output's L2 block and the disputed one's.
    pub(crate) range: RangeJson,
    /// The agreed output root at `range.lo`.
    #[schema(value_type = Hash32)]
    pub(crate) agreed_root: String,
    /// The proposer's (disputed) output root at `range.hi`.
    #[schema(value_type = Hash32)]
    pub(crate) disputed_root: String,
    /// The challenger's output root at `range.hi`.
    #[schema(value_type = Hash32)]
    pub(crate) counter_root: String,
    /// L1 block.
    pub(crate) l1_block: u64,
    /// L1 transaction.
    #[schema(value_type = Hash32)]
    pub(crate) l1_tx_hash: String,
}

/// `challenge-move`: `DisputeGameFactory.Moved`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct ChallengeMoveEvent {
    /// The game id.
    pub(crate) game_id: u64,
    /// `proposer` or `challenger`.
    #[schema(value_type = Side, example = "challenger")]
    pub(crate) side: &'static str,
    /// Whether the mover agreed with the opponent's pending midpoint root
    /// (`false` when none was pending).
    pub(crate) agreed: bool,
    /// The range after the mover's answer.
    pub(crate) range: RangeJson,
    /// The midpoint the mover posted its root at, `null` once the range is
    /// one block.
    #[schema(required = true)]
    pub(crate) mid_block: Option<u64>,
    /// The mover's output root at `mid_block`.
    #[schema(value_type = Option<Hash32>, required = true)]
    pub(crate) mid_root: Option<String>,
    /// Seconds of its clock the mover has used in total.
    pub(crate) clock_used_secs: u64,
    /// L1 block.
    pub(crate) l1_block: u64,
    /// L1 transaction.
    #[schema(value_type = Hash32)]
    pub(crate) l1_tx_hash: String,
}

/// `challenge-proven`: `DisputeGameFactory.BlockProven`, the EXECUTE
/// precompile re-executed the disputed block.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct ChallengeProvenEvent {
    /// The game id.
    pub(crate) game_id: u64,
    /// The re-executed L2 block.
    pub(crate) l2_block: u64,
    /// Its output root, as computed on L1.
    #[schema(value_type = Hash32)]
    pub(crate) output_root: String,
    /// L1 block.
    pub(crate) l1_block: u64,
    /// L1 transaction.
    #[schema(value_type = Hash32)]
    pub(crate) l1_tx_hash: String,
}

/// `challenge-resolved`: `DisputeGameFactory.GameResolved`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct ChallengeResolvedEvent {
    /// The game id.
    pub(crate) game_id: u64,
    /// `proposer` or `challenger`.
    #[schema(value_type = Side, example = "challenger")]
    pub(crate) winner: &'static str,
    /// `proof` (the block was re-executed) or `clock` (the loser's clock ran out).
    #[schema(value_type = GameEndReason, example = "proof")]
    pub(crate) reason: String,
    /// L1 block.
    pub(crate) l1_block: u64,
    /// L1 transaction.
    #[schema(value_type = Hash32)]
    pub(crate) l1_tx_hash: String,
}

/// `challenge-cancelled`: `DisputeGameFactory.GameCancelled`, the game's
/// output was deleted by the game about an earlier output.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct ChallengeCancelledEvent {
    /// The game id.
    pub(crate) game_id: u64,
    /// Its output.
    pub(crate) output_index: u64,
    /// L1 block.
    pub(crate) l1_block: u64,
    /// L1 transaction.
    #[schema(value_type = Hash32)]
    pub(crate) l1_tx_hash: String,
}

/// `output-challenged`: `OutputOracle.OutputChallenged`, a game about the
/// output started (`challenged`) or the proposer won it (`!challenged`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct OutputChallengedEvent {
    /// The output index.
    pub(crate) output_index: u64,
    /// Whether it is challenged now.
    pub(crate) challenged: bool,
    /// L1 block.
    pub(crate) l1_block: u64,
    /// L1 transaction.
    #[schema(value_type = Hash32)]
    pub(crate) l1_tx_hash: String,
}

/// `bond-slashed`: `OutputOracle.BondSlashed`, the proposer's bond of an
/// output was paid out by the dispute game factory.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct BondSlashedEvent {
    /// The output index.
    pub(crate) output_index: u64,
    /// Who received it.
    #[schema(value_type = Address)]
    pub(crate) to: String,
    /// Wei, decimal string.
    #[schema(value_type = Wei)]
    pub(crate) amount: String,
    /// L1 block.
    pub(crate) l1_block: u64,
    /// L1 transaction.
    #[schema(value_type = Hash32)]
    pub(crate) l1_tx_hash: String,
}

/// `l2-reorg`: the L2 reorged to the chain derived from L1 (the L2's
/// `rollup_reorgs`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct L2ReorgEvent {
    /// First L2 block replaced.
    pub(crate) first_block: u64,
    /// Blocks dropped.
    pub(crate) depth: u64,
    /// The L2 head before.
    pub(crate) old_head: u64,
    /// The L2 head after (derived blocks adopted).
    pub(crate) new_head: u64,
    /// Why, e.g. `state root differs from the derived block`.
    pub(crate) cause: String,
    /// User transactions of dropped blocks put back in the pool.
    pub(crate) repooled: u64,
    /// When, unix seconds.
    pub(crate) timestamp: u64,
}

/// One event of `GET /v1/events`.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum BridgeEvent {
    DepositInitiated(DepositEvent),
    DepositCredited(DepositEvent),
    BatchPosted(BatchEvent),
    OutputProposed(OutputEvent),
    OutputsDeleted(OutputsDeletedEvent),
    WithdrawalInitiated(WithdrawalEvent),
    WithdrawalFinalized(WithdrawalFinalizedEvent),
    ChallengeOpened(ChallengeOpenedEvent),
    ChallengeMove(ChallengeMoveEvent),
    ChallengeProven(ChallengeProvenEvent),
    ChallengeResolved(ChallengeResolvedEvent),
    ChallengeCancelled(ChallengeCancelledEvent),
    OutputChallenged(OutputChallengedEvent),
    BondSlashed(BondSlashedEvent),
    L2Reorg(L2ReorgEvent),
}

impl BridgeEvent {
    /// The SSE event type (`event:` line).
    pub(crate) const fn kind(&self) -> &'static str {
        match self {
            Self::DepositInitiated(_) => "deposit-initiated",
            Self::DepositCredited(_) => "deposit-credited",
            Self::BatchPosted(_) => "batch-posted",
            Self::OutputProposed(_) => "output-proposed",
            Self::OutputsDeleted(_) => "outputs-deleted",
            Self::WithdrawalInitiated(_) => "withdrawal-initiated",
            Self::WithdrawalFinalized(_) => "withdrawal-finalized",
            Self::ChallengeOpened(_) => "challenge-opened",
            Self::ChallengeMove(_) => "challenge-move",
            Self::ChallengeProven(_) => "challenge-proven",
            Self::ChallengeResolved(_) => "challenge-resolved",
            Self::ChallengeCancelled(_) => "challenge-cancelled",
            Self::OutputChallenged(_) => "output-challenged",
            Self::BondSlashed(_) => "bond-slashed",
            Self::L2Reorg(_) => "l2-reorg",
        }
    }

    /// Logs the dispute game events readably (target `bridge::games`).
    pub(crate) fn log(&self) {
        match self {
            Self::ChallengeOpened(e) => tracing::info!(
                target: "bridge::games",
                game = e.game_id,
                output = e.output_index,
                challenger = %e.challenger,
                "game {} opened against output {}: blocks {}..{}, proposer claims {}, challenger claims {}",
                e.game_id, e.output_index, e.range.lo, e.range.hi, e.disputed_root, e.counter_root
            ),
            Self::ChallengeMove(e) => {
                let answer = if e.agreed {
                    "agreed with the pending midpoint"
                } else {
                    "did not agree with a midpoint"
                };
                match (e.mid_block, &e.mid_root) {
                    (Some(mid), Some(root)) => tracing::info!(
                        target: "bridge::games",
                        game = e.game_id,
                        side = e.side,
                        "game {}: {} {answer}; range {}..{}; posts {root} at block {mid} ({}s of its clock used)",
                        e.game_id, e.side, e.range.lo, e.range.hi, e.clock_used_secs
                    ),
                    _ => tracing::info!(
                        target: "bridge::games",
                        game = e.game_id,
                        side = e.side,
                        "game {}: {} {answer}; range {}..{}: one block left, to be proven on L1 ({}s of its clock used)",
                        e.game_id, e.side, e.range.lo, e.range.hi, e.clock_used_secs
                    ),
                }
            }
            Self::ChallengeProven(e) => tracing::info!(
                target: "bridge::games",
                game = e.game_id,
                "game {}: block {} re-executed on L1, output root {}",
                e.game_id, e.l2_block, e.output_root
            ),
            Self::ChallengeResolved(e) => tracing::info!(
                target: "bridge::games",
                game = e.game_id,
                winner = e.winner,
                "game {} resolved: {} won by {}",
                e.game_id, e.winner, e.reason
            ),
            Self::ChallengeCancelled(e) => tracing::info!(
                target: "bridge::games",
                game = e.game_id,
                "game {} cancelled: output {} was deleted by an earlier game",
                e.game_id, e.output_index
            ),
            Self::OutputChallenged(e) => tracing::info!(
                target: "bridge::games",
                output = e.output_index,
                "output {} {}",
                e.output_index,
                if e.challenged { "is challenged" } else { "is no longer challenged" }
            ),
            Self::BondSlashed(e) => tracing::info!(
                target: "bridge::games",
                output = e.output_index,
                "bond of output {} ({} wei) paid to {}",
                e.output_index, e.amount, e.to
            ),
            Self::L2Reorg(e) => tracing::warn!(
                target: "bridge",
                first_block = e.first_block, depth = e.depth, cause = %e.cause,
                "L2 reorg: {} blocks from {} replaced ({})", e.depth, e.first_block, e.cause
            ),
            Self::OutputsDeleted(e) => tracing::info!(
                target: "bridge::games",
                "outputs {}..{} deleted",
                e.from_index, e.prev_next_index
            ),
            _ => {}
        }
    }
}

/// The name of a `DisputeGameFactory.Side` value ([`rollup_contracts::Side`]).
pub(crate) fn side_name(side: u8) -> &'static str {
    match rollup_contracts::Side::try_from(side) {
        Ok(rollup_contracts::Side::Proposer) => "proposer",
        Ok(rollup_contracts::Side::Challenger) => "challenger",
        Ok(rollup_contracts::Side::None) | Err(_) => "none",
    }
}

/// The broadcast channel of the events.
#[derive(Clone, Debug)]
pub(crate) struct EventBus {
    sender: broadcast::Sender<BridgeEvent>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self { sender: broadcast::Sender::new(CAPACITY) }
    }
}

impl EventBus {
    /// Announces `events`, in order (dropped when nobody listens).
    pub(crate) fn send_all(&self, events: Vec<BridgeEvent>) {
        for event in events {
            event.log();
            let _ = self.sender.send(event);
        }
    }

    /// A new subscription: every event sent from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<BridgeEvent> {
        self.sender.subscribe()
    }
}
