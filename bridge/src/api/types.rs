//! JSON bodies of the API (with their OpenAPI schemas). Amounts are decimal
//! strings in wei; hashes, addresses and byte strings are 0x-hex; block
//! numbers, indices and timestamps (unix seconds) are JSON numbers.

use crate::{error::ErrorDetail, events::RangeJson};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `GET /health`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct HealthResponse {
    /// `ok` when the L1 and the L2 answer, `unavailable` otherwise (HTTP 503).
    #[schema(example = "ok")]
    pub(crate) status: &'static str,
    /// L1 head block number, `null` when the L1 does not answer.
    pub(crate) l1_block: Option<u64>,
    /// L2 head block number, `null` when the L2 does not answer.
    pub(crate) l2_block: Option<u64>,
    /// Last L1 block the indexer has scanned (`null` before the first).
    pub(crate) l1_indexed_block: Option<u64>,
    /// Last L2 block the indexer has scanned (`null` before the first).
    pub(crate) l2_indexed_block: Option<u64>,
    /// What is unavailable, when `status` is not `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<ErrorDetail>,
}

/// `GET /v1/config`: what a client needs to talk to the rollup.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct ConfigResponse {
    /// L1 chain id.
    #[schema(example = 900)]
    pub(crate) l1_chain_id: u64,
    /// L2 chain id.
    #[schema(example = 901)]
    pub(crate) l2_chain_id: u64,
    /// L1 JSON-RPC URL.
    pub(crate) l1_rpc_url: String,
    /// L2 JSON-RPC URL.
    pub(crate) l2_rpc_url: String,
    /// The L1 `Bridge` contract.
    pub(crate) bridge: String,
    /// The L1 `BatchInbox` contract.
    pub(crate) batch_inbox: String,
    /// The L1 `OutputOracle` contract.
    pub(crate) output_oracle: String,
    /// The L1 `DisputeGameFactory` contract, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) dispute_game_factory: Option<String>,
    /// The L2 `L2ToL1MessagePasser` predeploy.
    #[schema(example = "0x4200000000000000000000000000000000000016")]
    pub(crate) l2_to_l1_message_passer: String,
    /// Seconds from an output's proposal until it is final.
    pub(crate) challenge_window_secs: u64,
    /// L2 blocks between two outputs.
    pub(crate) output_interval: u64,
    /// The batcher's L1 account.
    pub(crate) batcher: String,
    /// The proposer's L1 account.
    pub(crate) proposer: String,
}

/// `POST /v1/deposits`: either `from`, `to`, `amount` (the API signs for a
/// dev account) or `signed_tx` (a user-signed L1 transaction to the bridge).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub(crate) struct DepositRequest {
    /// L1 account paying the deposit; must be a dev account of this API.
    #[schema(example = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8")]
    pub(crate) from: Option<String>,
    /// L2 recipient.
    pub(crate) to: Option<String>,
    /// Wei to deposit, decimal string.
    #[schema(example = "1000000000000000000")]
    pub(crate) amount: Option<String>,
    /// ERC-20 token (not supported yet: ETH only).
    pub(crate) token: Option<String>,
    /// 0x-hex of a signed EIP-2718 L1 transaction calling the bridge
    /// (`depositETH` or `depositTransaction`).
    pub(crate) signed_tx: Option<String>,
}

/// `201` answer of `POST /v1/deposits`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct DepositCreated {
    /// Hash of the L1 transaction.
    pub(crate) l1_tx_hash: String,
    /// Index of the deposit in the bridge, `null` while `pending`.
    pub(crate) deposit_index: Option<u64>,
    /// `pending` (sent, not yet mined) or `l1-included`.
    #[schema(example = "l1-included")]
    pub(crate) status: String,
}

/// `GET /v1/deposits/{l1_tx_hash}`. For a transaction that made several
/// deposits, the first one (lowest index).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct DepositStatus {
    /// Hash of the L1 transaction.
    pub(crate) l1_tx_hash: String,
    /// `pending` (not mined on L1), `l1-included` (mined, not yet on L2),
    /// `l2-credited` (the L2 deposit transaction is in a block) or `failed`
    /// (the L1 transaction reverted).
    #[schema(example = "l2-credited")]
    pub(crate) status: String,
    /// Index of the deposit in the bridge.
    pub(crate) deposit_index: Option<u64>,
    /// L1 sender (aliased when a contract).
    pub(crate) from: Option<String>,
    /// L2 recipient.
    pub(crate) to: Option<String>,
    /// Wei minted on L2 (locked on L1), decimal string.
    pub(crate) amount: Option<String>,
    /// L1 block of the deposit.
    pub(crate) l1_block: Option<u64>,
    /// L2 block that credited it, once `l2-credited`.
    pub(crate) l2_block: Option<u64>,
    /// Hash of the L2 deposit transaction (type `0x7e`), once `l2-credited`.
    pub(crate) l2_tx_hash: Option<String>,
}

/// `POST /v1/withdrawals`: either `from`, `to`, `amount` (the API signs an
/// L2 `initiateWithdrawal(to, 100000, "")` for a dev account) or `signed_tx`
/// (a user-signed L2 transaction to the message passer).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub(crate) struct WithdrawalRequest {
    /// L2 account withdrawing; must be a dev account of this API.
    pub(crate) from: Option<String>,
    /// L1 recipient.
    pub(crate) to: Option<String>,
    /// Wei to withdraw, decimal string.
    #[schema(example = "100000000000000000")]
    pub(crate) amount: Option<String>,
    /// 0x-hex of a signed EIP-2718 L2 transaction calling the
    /// `L2ToL1MessagePasser`.
    pub(crate) signed_tx: Option<String>,
}

/// `201` answer of `POST /v1/withdrawals`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct WithdrawalCreated {
    /// Hash of the L2 transaction.
    pub(crate) l2_tx_hash: String,
    /// `keccak256(abi.encode(nonce, sender, target, value, gasLimit, data))`.
    pub(crate) withdrawal_hash: String,
    /// Always `initiated`.
    #[schema(example = "initiated")]
    pub(crate) status: String,
    /// The message passer's nonce of the withdrawal (its leaf index).
    pub(crate) nonce: u64,
    /// L2 block of the withdrawal.
    pub(crate) l2_block: u64,
}

/// A withdrawal exactly as `Bridge.finalizeWithdrawal` takes it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct WithdrawalJson {
    /// Nonce (leaf index).
    pub(crate) nonce: u64,
    /// L2 sender.
    pub(crate) sender: String,
    /// L1 target.
    pub(crate) target: String,
    /// Wei, decimal string.
    pub(crate) value: String,
    /// Gas for the L1 call, decimal string.
    pub(crate) gas_limit: String,
    /// Calldata for the L1 call, 0x-hex.
    pub(crate) data: String,
}

/// The preimage of an output root.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct OutputRootProofJson {
    /// L2 state root.
    pub(crate) state_root: String,
    /// L2 withdrawals root (the message passer's Merkle root).
    pub(crate) withdrawals_root: String,
    /// L2 block hash.
    pub(crate) block_hash: String,
}

/// Everything `Bridge.finalizeWithdrawal` needs besides the withdrawal.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct WithdrawalProof {
    /// Index of the output in the `OutputOracle`.
    pub(crate) output_index: u64,
    /// The output root.
    pub(crate) output_root: String,
    /// The L2 block of the output.
    pub(crate) l2_block: u64,
    /// Preimage of the output root.
    pub(crate) output_root_proof: OutputRootProofJson,
    /// Position of the withdrawal among the leaves (its nonce).
    pub(crate) leaf_index: u64,
    /// Number of withdrawals in L2 blocks up to the output's.
    pub(crate) leaf_count: u64,
    /// Sibling hashes, bottom-up.
    pub(crate) merkle_proof: Vec<String>,
}

/// `GET /v1/withdrawals/{withdrawal_hash}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct WithdrawalStatus {
    /// The withdrawal hash.
    pub(crate) withdrawal_hash: String,
    /// `initiated` (no output covers its L2 block yet), `waiting-to-finalize`
    /// (covered by a non-final output), `ready-to-finalize` (the output is
    /// final) or `finalized`.
    #[schema(example = "waiting-to-finalize")]
    pub(crate) status: String,
    /// L2 sender.
    pub(crate) from: String,
    /// L1 recipient.
    pub(crate) to: String,
    /// Wei, decimal string.
    pub(crate) amount: String,
    /// L2 block of the withdrawal.
    pub(crate) l2_block: u64,
    /// L2 transaction that initiated it.
    pub(crate) l2_tx_hash: String,
    /// The withdrawal as the bridge takes it.
    pub(crate) withdrawal: WithdrawalJson,
    /// The earliest live output covering its L2 block.
    pub(crate) output_index: Option<u64>,
    /// Unix seconds from which that output is final.
    pub(crate) finalizable_at: Option<u64>,
    /// The proof against that output, once the indexer has seen its L2 block.
    pub(crate) proof: Option<WithdrawalProof>,
    /// L1 transaction that finalized it, once known.
    pub(crate) finalized_l1_tx_hash: Option<String>,
}

/// `200` answer of `POST /v1/withdrawals/{withdrawal_hash}/finalize`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct FinalizeResponse {
    /// `finalized` when the relayer sent it, `ready-to-finalize` when the
    /// calldata is returned for the caller to sign and send.
    pub(crate) status: String,
    /// The relayer's L1 transaction, `null` without a relayer.
    pub(crate) l1_tx_hash: Option<String>,
    /// The `Bridge` contract to send the calldata to.
    pub(crate) to: String,
    /// ABI-encoded `finalizeWithdrawal(...)` call, 0x-hex.
    pub(crate) calldata: String,
}

/// `?limit=&cursor=` of the list endpoints.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Most items to return: 1-100, default 20.
    pub(crate) limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub(crate) cursor: Option<String>,
}

/// One batch in the `BatchInbox`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct BatchItem {
    /// Batch index.
    pub(crate) index: u64,
    /// L1 block it was appended in.
    pub(crate) l1_block: u64,
    /// L1 transaction.
    pub(crate) l1_tx_hash: String,
    /// L1 block timestamp, unix seconds.
    pub(crate) timestamp: u64,
    /// First L2 block (inclusive).
    pub(crate) l2_start: u64,
    /// Last L2 block (inclusive).
    pub(crate) l2_end: u64,
    /// `keccak256(data)` (calldata batches).
    pub(crate) commitment: String,
    /// Whether the data is in blobs.
    pub(crate) is_blob: bool,
}

/// A page of batches, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct BatchPage {
    /// The batches.
    pub(crate) items: Vec<BatchItem>,
    /// Cursor of the next (older) page, `null` on the last page.
    pub(crate) next_cursor: Option<String>,
}

/// One proposed output in the `OutputOracle`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct OutputItem {
    /// Output index (reused after a deletion).
    pub(crate) index: u64,
    /// L1 block of the proposal.
    pub(crate) l1_block: u64,
    /// L1 transaction.
    pub(crate) l1_tx_hash: String,
    /// The L2 block the output is for.
    pub(crate) l2_block: u64,
    /// The output root.
    pub(crate) output_root: String,
    /// The proposer.
    pub(crate) proposer: String,
    /// L1 timestamp of the proposal, unix seconds.
    pub(crate) timestamp: u64,
    /// Unix seconds from which it is final (unless it or an earlier output is
    /// challenged by then).
    pub(crate) finalizable_at: u64,
    /// `proposed`, `challenged` (a dispute game about it is in progress),
    /// `finalized` (challenge window over, no earlier output challenged) or
    /// `deleted`.
    #[schema(example = "proposed")]
    pub(crate) status: String,
}

/// A page of outputs, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct OutputPage {
    /// The outputs.
    pub(crate) items: Vec<OutputItem>,
    /// Cursor of the next (older) page, `null` on the last page.
    pub(crate) next_cursor: Option<String>,
}

/// `pending` of a game: the midpoint root posted by the side that moved last,
/// awaiting the other side's answer.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct PendingMidJson {
    /// The midpoint L2 block.
    pub(crate) block: u64,
    /// The output root posted at it.
    pub(crate) root: String,
    /// `proposer` or `challenger`: who posted it.
    #[schema(example = "proposer")]
    pub(crate) by: String,
}

/// The chess clocks of a game.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ClocksJson {
    /// Seconds the proposer side used for its moves so far.
    pub(crate) proposer_used_secs: u64,
    /// Seconds the challenger used for its moves so far.
    pub(crate) challenger_used_secs: u64,
    /// Seconds each side may use in total (`DisputeGameFactory.clockSeconds`).
    pub(crate) budget_secs: u64,
    /// Unix seconds (L1 time) at which the side to move runs out of time
    /// (`last move + budget - used`), `null` once the game is over.
    pub(crate) turn_deadline: Option<u64>,
}

/// One move of a game.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MoveJson {
    /// `proposer` or `challenger`.
    #[schema(example = "proposer")]
    pub(crate) side: String,
    /// Whether the mover agreed with the opponent's pending midpoint root
    /// (`false` when none was pending).
    pub(crate) agreed: bool,
    /// The agreed L2 block after the mover's answer.
    pub(crate) lo: u64,
    /// The disputed L2 block after the mover's answer.
    pub(crate) hi: u64,
    /// The midpoint the mover posted its root at, `null` once one block is left.
    pub(crate) mid_block: Option<u64>,
    /// The mover's output root at `mid_block`.
    pub(crate) mid_root: Option<String>,
    /// L1 timestamp of the move, unix seconds.
    pub(crate) timestamp: u64,
}

/// How a game ended.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct GameResultJson {
    /// `proposer` or `challenger`.
    #[schema(example = "challenger")]
    pub(crate) winner: String,
    /// `proof` (the disputed block was re-executed on L1) or `clock` (the
    /// loser's clock ran out); `null` until the bridge has indexed the
    /// resolution.
    #[schema(example = "proof")]
    pub(crate) reason: Option<String>,
    /// The output root the L1 computed for the disputed block, when proven.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) proven_root: Option<String>,
    /// The L1 transaction that resolved the game, once indexed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) l1_tx_hash: Option<String>,
}

/// A dispute game of the `DisputeGameFactory`: the proposer side defends an
/// output root, the challenger disputes it, and they bisect the L2 blocks
/// between the agreed previous output and the disputed one down to a single
/// block that the L1 re-executes.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ChallengeItem {
    /// Game id.
    pub(crate) id: u64,
    /// The disputed output.
    pub(crate) output_index: u64,
    /// The disputed output's L2 block.
    pub(crate) l2_block: u64,
    /// Who opened the game.
    pub(crate) challenger: String,
    /// `in-progress`, `challenger-won`, `proposer-won` or `cancelled` (the
    /// output was deleted by the game about an earlier output).
    #[schema(example = "in-progress")]
    pub(crate) status: String,
    /// The current bisection range: both sides agree at `lo`, not at `hi`.
    pub(crate) range: RangeJson,
    /// The agreed output root at `range.lo`.
    pub(crate) agreed_root: String,
    /// The disputed output root at `range.hi`.
    pub(crate) disputed_root: String,
    /// `proposer` or `challenger`: who claims `disputed_root`.
    #[schema(example = "proposer")]
    pub(crate) disputed_by: String,
    /// The challenger's output root at the output's L2 block.
    pub(crate) counter_root: String,
    /// The midpoint root awaiting an answer, if any.
    pub(crate) pending: Option<PendingMidJson>,
    /// `proposer` or `challenger`: the side to move, `null` once over.
    #[schema(example = "proposer")]
    pub(crate) turn: Option<String>,
    /// The chess clocks.
    pub(crate) clocks: ClocksJson,
    /// Every move, oldest first.
    pub(crate) moves: Vec<MoveJson>,
    /// How it ended, `null` while in progress (and for cancelled games).
    pub(crate) result: Option<GameResultJson>,
    /// L1 timestamp of the challenge, unix seconds.
    pub(crate) created_at: u64,
}

/// A page of dispute games, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ChallengePage {
    /// The games.
    pub(crate) items: Vec<ChallengeItem>,
    /// Cursor of the next (older) page, `null` on the last page.
    pub(crate) next_cursor: Option<String>,
}

/// `POST /v1/challenges` (the schema: the handler checks the body by hand,
/// so that every malformed body is a 400).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct ChallengeRequest {
    /// The output to dispute.
    #[schema(example = 3)]
    pub(crate) output_index: u64,
}

/// `201`/`202` answer of `POST /v1/challenges`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ChallengeRequested {
    /// The disputed output.
    pub(crate) output_index: u64,
    /// `challenge-opened` (201, with `game_id`) or `challenge-requested`
    /// (202: the challenger is opening the game; see `GET /v1/challenges`).
    #[schema(example = "challenge-opened")]
    pub(crate) status: String,
    /// The game, once opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) game_id: Option<u64>,
}

/// `POST /v1/faults` (the schema: the handler checks the body by hand).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct FaultRequest {
    /// The fault to arm, e.g. `invalid-output-root`, `invalid-state-transition`,
    /// `censor-deposits`.
    #[schema(example = "invalid-output-root")]
    pub(crate) kind: String,
}

/// `202` answer of `POST /v1/faults`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct FaultArmed {
    /// The fault.
    pub(crate) kind: String,
    /// Always `armed`.
    #[schema(example = "armed")]
    pub(crate) status: String,
}
