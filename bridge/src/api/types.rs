//! JSON bodies of the API (with their OpenAPI schemas). Amounts are decimal
//! strings in wei; hashes, addresses and byte strings are 0x-hex; block
//! numbers, indices and timestamps (unix seconds) are JSON numbers.

use super::schema::*;
use crate::{error::ErrorDetail, events::RangeJson, faults::FaultKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `GET /health`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct HealthResponse {
    /// `ok` when the L1 and the L2 answer, `unavailable` otherwise (HTTP 503).
    #[schema(value_type = HealthState, example = "ok")]
    pub(crate) status: &'static str,
    /// L1 head block number, `null` when the L1 does not answer.
    #[schema(required = true)]
    pub(crate) l1_block: Option<u64>,
    /// L2 head block number, `null` when the L2 does not answer.
    #[schema(required = true)]
    pub(crate) l2_block: Option<u64>,
    /// Last L1 block the indexer has scanned (`null` before the first).
    #[schema(required = true)]
    pub(crate) l1_indexed_block: Option<u64>,
    /// Last L2 block the indexer has scanned (`null` before the first).
    #[schema(required = true)]
    pub(crate) l2_indexed_block: Option<u64>,
    /// What is unavailable, when `status` is not `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = ErrorDetail, required = false)]
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
    #[schema(value_type = Address)]
    pub(crate) bridge: String,
    /// The L1 `BatchInbox` contract.
    #[schema(value_type = Address)]
    pub(crate) batch_inbox: String,
    /// The L1 `OutputOracle` contract.
    #[schema(value_type = Address)]
    pub(crate) output_oracle: String,
    /// The L1 `DisputeGameFactory` contract, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Address, required = false)]
    pub(crate) dispute_game_factory: Option<String>,
    /// The L2 `L2ToL1MessagePasser` predeploy.
    #[schema(value_type = Address, example = "0x4200000000000000000000000000000000000016")]
    pub(crate) l2_to_l1_message_passer: String,
    /// Seconds from an output's proposal until it is final.
    pub(crate) challenge_window_secs: u64,
    /// L2 blocks between two outputs.
    pub(crate) output_interval: u64,
    /// The batcher's L1 account.
    #[schema(value_type = Address)]
    pub(crate) batcher: String,
    /// The proposer's L1 account.
    #[schema(value_type = Address)]
    pub(crate) proposer: String,
}

/// `POST /v1/deposits` as the handler reads it: either `from`, `to`,
/// `amount` (the API signs for a dev account) or `signed_tx` (a user-signed
/// L1 transaction to the bridge). Its schema is [`DepositBody`].
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct DepositRequest {
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    pub(crate) amount: Option<String>,
    /// ERC-20 token: refused (ETH only), so absent from the schema.
    pub(crate) token: Option<String>,
    pub(crate) signed_tx: Option<String>,
}

/// `POST /v1/deposits` with the API signing: `Bridge.depositETH(to)` with
/// `value = amount`, sent from the dev account `from`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DevDepositRequest {
    /// L1 account paying the deposit: one of the accounts this API signs for
    /// (the devnet's dev accounts 0-9; the document lists them).
    #[schema(value_type = Address, example = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")]
    pub(crate) from: String,
    /// L2 recipient.
    #[schema(value_type = Address, example = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")]
    pub(crate) to: String,
    /// Wei to deposit.
    #[schema(value_type = WeiAmount, example = "1000000000000000000")]
    pub(crate) amount: String,
}

/// `POST /v1/deposits` relaying a user-signed L1 transaction.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignedDepositRequest {
    /// A signed EIP-2718 L1 transaction calling the bridge (`depositETH` or
    /// `depositTransaction`) for the L1 chain id.
    #[schema(value_type = SignedTxHex)]
    pub(crate) signed_tx: String,
}

/// The body of `POST /v1/deposits`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub(crate) enum DepositBody {
    /// The API signs for a dev account.
    Dev(DevDepositRequest),
    /// A user-signed transaction.
    Signed(SignedDepositRequest),
}

/// `201` answer of `POST /v1/deposits`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct DepositCreated {
    /// Hash of the L1 transaction.
    #[schema(value_type = Hash32)]
    pub(crate) l1_tx_hash: String,
    /// Index of the deposit in the bridge, `null` while `pending`.
    #[schema(required = true)]
    pub(crate) deposit_index: Option<u64>,
    /// `pending` (sent, not yet mined) or `l1-included`.
    #[schema(value_type = DepositSentState, example = "l1-included")]
    pub(crate) status: String,
}

/// `GET /v1/deposits/{l1_tx_hash}`. For a transaction that made several
/// deposits, the first one (lowest index).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct DepositStatus {
    /// Hash of the L1 transaction.
    #[schema(value_type = Hash32)]
    pub(crate) l1_tx_hash: String,
    /// `pending` (not mined on L1), `l1-included` (mined, not yet on L2),
    /// `l2-credited` (the L2 deposit transaction is in a block) or `failed`
    /// (the L1 transaction reverted).
    #[schema(value_type = DepositState, example = "l2-credited")]
    pub(crate) status: String,
    /// Index of the deposit in the bridge.
    #[schema(required = true)]
    pub(crate) deposit_index: Option<u64>,
    /// L1 sender (aliased when a contract).
    #[schema(value_type = Option<Address>, required = true)]
    pub(crate) from: Option<String>,
    /// L2 recipient.
    #[schema(value_type = Option<Address>, required = true)]
    pub(crate) to: Option<String>,
    /// Wei minted on L2 (locked on L1), decimal string.
    #[schema(value_type = Option<Wei>, required = true)]
    pub(crate) amount: Option<String>,
    /// L1 block of the deposit.
    #[schema(required = true)]
    pub(crate) l1_block: Option<u64>,
    /// L2 block that credited it, once `l2-credited`.
    #[schema(required = true)]
    pub(crate) l2_block: Option<u64>,
    /// Hash of the L2 deposit transaction (type `0x7e`), once `l2-credited`.
    #[schema(value_type = Option<Hash32>, required = true)]
    pub(crate) l2_tx_hash: Option<String>,
}

/// `POST /v1/withdrawals` as the handler reads it: either `from`, `to`,
/// `amount` (the API signs an L2 `initiateWithdrawal(to, 100000, "")` for a
/// dev account) or `signed_tx` (a user-signed L2 transaction to the message
/// passer). Its schema is [`WithdrawalBody`].
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct WithdrawalRequest {
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    pub(crate) amount: Option<String>,
    pub(crate) signed_tx: Option<String>,
}

/// `POST /v1/withdrawals` with the API signing: an L2
/// `L2ToL1MessagePasser.initiateWithdrawal(to, 100000, "")` with
/// `value = amount`, sent from the dev account `from`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DevWithdrawalRequest {
    /// L2 account withdrawing: one of the accounts this API signs for (the
    /// document lists them). It needs L2 ETH: deposit first.
    #[schema(value_type = Address, example = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")]
    pub(crate) from: String,
    /// L1 recipient.
    #[schema(value_type = Address, example = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")]
    pub(crate) to: String,
    /// Wei to withdraw.
    #[schema(value_type = WeiAmount, example = "50000000000000000")]
    pub(crate) amount: String,
}

/// `POST /v1/withdrawals` relaying a user-signed L2 transaction.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignedWithdrawalRequest {
    /// A signed EIP-2718 L2 transaction calling the `L2ToL1MessagePasser`
    /// for the L2 chain id.
    #[schema(value_type = SignedTxHex)]
    pub(crate) signed_tx: String,
}

/// The body of `POST /v1/withdrawals`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub(crate) enum WithdrawalBody {
    /// The API signs for a dev account.
    Dev(DevWithdrawalRequest),
    /// A user-signed transaction.
    Signed(SignedWithdrawalRequest),
}

/// `201` answer of `POST /v1/withdrawals`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct WithdrawalCreated {
    /// Hash of the L2 transaction.
    #[schema(value_type = Hash32)]
    pub(crate) l2_tx_hash: String,
    /// `keccak256(abi.encode(nonce, sender, target, value, gasLimit, data))`.
    #[schema(value_type = Hash32)]
    pub(crate) withdrawal_hash: String,
    /// Always `initiated`.
    #[schema(value_type = WithdrawalSentState, example = "initiated")]
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
    #[schema(value_type = Address)]
    pub(crate) sender: String,
    /// L1 target.
    #[schema(value_type = Address)]
    pub(crate) target: String,
    /// Wei, decimal string.
    #[schema(value_type = Wei)]
    pub(crate) value: String,
    /// Gas for the L1 call, decimal string.
    #[schema(value_type = Wei)]
    pub(crate) gas_limit: String,
    /// Calldata for the L1 call, 0x-hex.
    #[schema(value_type = HexBytes)]
    pub(crate) data: String,
}

/// The preimage of an output root.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct OutputRootProofJson {
    /// L2 state root.
    #[schema(value_type = Hash32)]
    pub(crate) state_root: String,
    /// L2 withdrawals root (the message passer's Merkle root).
    #[schema(value_type = Hash32)]
    pub(crate) withdrawals_root: String,
    /// L2 block hash.
    #[schema(value_type = Hash32)]
    pub(crate) block_hash: String,
}

/// Everything `Bridge.finalizeWithdrawal` needs besides the withdrawal.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct WithdrawalProof {
    /// Index of the output in the `OutputOracle`.
    pub(crate) output_index: u64,
    /// The output root.
    #[schema(value_type = Hash32)]
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
    #[schema(value_type = Vec<Hash32>)]
    pub(crate) merkle_proof: Vec<String>,
}

/// `GET /v1/withdrawals/{withdrawal_hash}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct WithdrawalStatus {
    /// The withdrawal hash.
    #[schema(value_type = Hash32)]
    pub(crate) withdrawal_hash: String,
    /// `initiated` (no output covers its L2 block yet), `waiting-to-finalize`
    /// (covered by a non-final output), `ready-to-finalize` (the output is
    /// final) or `finalized`.
    #[schema(value_type = WithdrawalState, example = "waiting-to-finalize")]
    pub(crate) status: String,
    /// L2 sender.
    #[schema(value_type = Address)]
    pub(crate) from: String,
    /// L1 recipient.
    #[schema(value_type = Address)]
    pub(crate) to: String,
    /// Wei, decimal string.
    #[schema(value_type = Wei)]
    pub(crate) amount: String,
    /// L2 block of the withdrawal.
    pub(crate) l2_block: u64,
    /// L2 transaction that initiated it.
    #[schema(value_type = Hash32)]
    pub(crate) l2_tx_hash: String,
    /// The withdrawal as the bridge takes it.
    pub(crate) withdrawal: WithdrawalJson,
    /// The earliest live output covering its L2 block.
    #[schema(required = true)]
    pub(crate) output_index: Option<u64>,
    /// Unix seconds from which that output is final.
    #[schema(required = true)]
    pub(crate) finalizable_at: Option<u64>,
    /// The proof against that output, once the indexer has seen its L2 block.
    #[schema(required = true)]
    pub(crate) proof: Option<WithdrawalProof>,
    /// L1 transaction that finalized it, once known.
    #[schema(value_type = Option<Hash32>, required = true)]
    pub(crate) finalized_l1_tx_hash: Option<String>,
}

/// `200` answer of `POST /v1/withdrawals/{withdrawal_hash}/finalize`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct FinalizeResponse {
    /// `finalized` when the relayer sent it, `ready-to-finalize` when the
    /// calldata is returned for the caller to sign and send.
    #[schema(value_type = FinalizeState)]
    pub(crate) status: String,
    /// The relayer's L1 transaction, `null` without a relayer.
    #[schema(value_type = Option<Hash32>, required = true)]
    pub(crate) l1_tx_hash: Option<String>,
    /// The `Bridge` contract to send the calldata to.
    #[schema(value_type = Address)]
    pub(crate) to: String,
    /// ABI-encoded `finalizeWithdrawal(...)` call, 0x-hex.
    #[schema(value_type = HexBytes)]
    pub(crate) calldata: String,
}

/// `?limit=&cursor=` of the list endpoints (read as strings, so that a bad
/// value gets a precise 400).
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Most items to return, default 20.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, nullable = false)]
    pub(crate) limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<Cursor>, nullable = false)]
    pub(crate) cursor: Option<String>,
}

/// `?limit=&cursor=` of `GET /v1/challenges` (its cursor is a game id).
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct GameListQuery {
    /// Most items to return, default 20.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, nullable = false)]
    pub(crate) limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<GameCursor>, nullable = false)]
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
    #[schema(value_type = Hash32)]
    pub(crate) l1_tx_hash: String,
    /// L1 block timestamp, unix seconds.
    pub(crate) timestamp: u64,
    /// First L2 block (inclusive).
    pub(crate) l2_start: u64,
    /// Last L2 block (inclusive).
    pub(crate) l2_end: u64,
    /// `keccak256(data)` (calldata batches).
    #[schema(value_type = Hash32)]
    pub(crate) commitment: String,
    /// Whether the data is in blobs.
    pub(crate) is_blob: bool,
    /// What its L1 transaction shows (bytes, compression, encoding,
    /// transactions, L1 cost), `null` when the L1 does not answer.
    #[schema(required = true)]
    pub(crate) details: Option<super::status::BatchDetails>,
}

/// A page of batches, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct BatchPage {
    /// The batches.
    pub(crate) items: Vec<BatchItem>,
    /// Cursor of the next (older) page, `null` on the last page.
    #[schema(value_type = Option<Cursor>, required = true)]
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
    #[schema(value_type = Hash32)]
    pub(crate) l1_tx_hash: String,
    /// The L2 block the output is for.
    pub(crate) l2_block: u64,
    /// The output root.
    #[schema(value_type = Hash32)]
    pub(crate) output_root: String,
    /// The proposer.
    #[schema(value_type = Address)]
    pub(crate) proposer: String,
    /// L1 timestamp of the proposal, unix seconds.
    pub(crate) timestamp: u64,
    /// Unix seconds from which it is final (unless it or an earlier output is
    /// challenged by then).
    pub(crate) finalizable_at: u64,
    /// `proposed`, `challenged` (a dispute game about it is in progress),
    /// `finalized` (challenge window over, no earlier output challenged) or
    /// `deleted`.
    #[schema(value_type = OutputState, example = "proposed")]
    pub(crate) status: String,
}

/// A page of outputs, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct OutputPage {
    /// The outputs.
    pub(crate) items: Vec<OutputItem>,
    /// Cursor of the next (older) page, `null` on the last page.
    #[schema(value_type = Option<Cursor>, required = true)]
    pub(crate) next_cursor: Option<String>,
}

/// `pending` of a game: the midpoint root posted by the side that moved last,
/// awaiting the other side's answer.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct PendingMidJson {
    /// The midpoint L2 block.
    pub(crate) block: u64,
    /// The output root posted at it.
    #[schema(value_type = Hash32)]
    pub(crate) root: String,
    /// `proposer` or `challenger`: who posted it.
    #[schema(value_type = Side, example = "proposer")]
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
    #[schema(required = true)]
    pub(crate) turn_deadline: Option<u64>,
}

/// One move of a game.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MoveJson {
    /// `proposer` or `challenger`.
    #[schema(value_type = Side, example = "proposer")]
    pub(crate) side: String,
    /// Whether the mover agreed with the opponent's pending midpoint root
    /// (`false` when none was pending).
    pub(crate) agreed: bool,
    /// The agreed L2 block after the mover's answer.
    pub(crate) lo: u64,
    /// The disputed L2 block after the mover's answer.
    pub(crate) hi: u64,
    /// The midpoint the mover posted its root at, `null` once one block is left.
    #[schema(required = true)]
    pub(crate) mid_block: Option<u64>,
    /// The mover's output root at `mid_block`.
    #[schema(value_type = Option<Hash32>, required = true)]
    pub(crate) mid_root: Option<String>,
    /// L1 timestamp of the move, unix seconds.
    pub(crate) timestamp: u64,
}

/// How a game ended.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct GameResultJson {
    /// `proposer` or `challenger`.
    #[schema(value_type = Side, example = "challenger")]
    pub(crate) winner: String,
    /// `proof` (the disputed block was re-executed on L1) or `clock` (the
    /// loser's clock ran out); `null` until the bridge has indexed the
    /// resolution.
    #[schema(value_type = Option<GameEndReason>, example = "proof", required = true)]
    pub(crate) reason: Option<String>,
    /// The output root the L1 computed for the disputed block, when proven.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Hash32, required = false)]
    pub(crate) proven_root: Option<String>,
    /// The L1 transaction that resolved the game, once indexed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Hash32, required = false)]
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
    #[schema(value_type = Address)]
    pub(crate) challenger: String,
    /// `in-progress`, `challenger-won`, `proposer-won` or `cancelled` (the
    /// output was deleted by the game about an earlier output).
    #[schema(value_type = GameState, example = "in-progress")]
    pub(crate) status: String,
    /// The current bisection range: both sides agree at `lo`, not at `hi`.
    pub(crate) range: RangeJson,
    /// The agreed output root at `range.lo`.
    #[schema(value_type = Hash32)]
    pub(crate) agreed_root: String,
    /// The disputed output root at `range.hi`.
    #[schema(value_type = Hash32)]
    pub(crate) disputed_root: String,
    /// `proposer` or `challenger`: who claims `disputed_root`.
    #[schema(value_type = Side, example = "proposer")]
    pub(crate) disputed_by: String,
    /// The challenger's output root at the output's L2 block.
    #[schema(value_type = Hash32)]
    pub(crate) counter_root: String,
    /// The midpoint root awaiting an answer, if any.
    #[schema(required = true)]
    pub(crate) pending: Option<PendingMidJson>,
    /// `proposer` or `challenger`: the side to move, `null` once over.
    #[schema(value_type = Option<Side>, example = "proposer", required = true)]
    pub(crate) turn: Option<String>,
    /// The chess clocks.
    pub(crate) clocks: ClocksJson,
    /// Every move, oldest first.
    pub(crate) moves: Vec<MoveJson>,
    /// How it ended, `null` while in progress (and for cancelled games).
    #[schema(required = true)]
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
    #[schema(value_type = Option<GameCursor>, required = true)]
    pub(crate) next_cursor: Option<String>,
    /// What the devnet's own challenger has at stake now; `null` where this
    /// bridge runs no challenger (outside `rollup devnet`).
    #[schema(required = true)]
    pub(crate) challenger: Option<ChallengerStakeJson>,
}

/// The bond capital the devnet's challenger has at risk. It disputes only
/// the earliest wrong output (a win deletes every later one), so one fault
/// costs at most one `challengerBond`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ChallengerStakeJson {
    /// Wei bonded in its games in progress (`challengerBond` each), decimal
    /// string.
    #[schema(value_type = Wei, example = "100000000000000000")]
    pub(crate) bonds_at_risk_wei: String,
    /// Ids of its games in progress.
    pub(crate) open_games: Vec<u64>,
    /// The output it disputes or waits on (the earliest wrong one), `null`
    /// when every output it checked is right.
    #[schema(required = true)]
    pub(crate) disputed_output: Option<u64>,
}

/// `POST /v1/challenges` (the schema: the handler checks the body by hand,
/// so that every malformed body is a 400).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct ChallengeRequest {
    /// The output to dispute.
    #[schema(example = 0, maximum = 2147483647)]
    pub(crate) output_index: u64,
}

/// `201`/`202` answer of `POST /v1/challenges`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ChallengeRequested {
    /// The disputed output.
    pub(crate) output_index: u64,
    /// `challenge-opened` (201, with `game_id`) or `challenge-requested`
    /// (202: the challenger is opening the game; see `GET /v1/challenges`).
    #[schema(value_type = ChallengeRequestState, example = "challenge-opened")]
    pub(crate) status: String,
    /// The game, once opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = u64, required = false)]
    pub(crate) game_id: Option<u64>,
}

/// `POST /v1/faults` (the schema: the handler checks the body by hand, so
/// that every malformed body is a 400).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultRequest {
    /// The fault to arm.
    #[schema(example = "invalid-output-root")]
    pub(crate) kind: FaultKind,
    /// Lift the fault after this many seconds (unless it fired or was lifted
    /// before). Without it, a one-shot fault stays armed until it fires and
    /// the others until `DELETE /v1/faults/{kind}`.
    #[schema(minimum = 1, maximum = 86400, required = false, nullable = false, example = 60)]
    pub(crate) duration_secs: Option<u64>,
}

/// A fault kind and whether it is in force (`GET /v1/faults` items, and the
/// answers of `POST /v1/faults` and `DELETE /v1/faults/{kind}`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct FaultState {
    /// The fault.
    pub(crate) kind: FaultKind,
    /// `armed` or `off`.
    #[schema(value_type = FaultStatus, example = "armed")]
    pub(crate) status: String,
    /// Whether the fault fires once and then disarms itself.
    pub(crate) one_shot: bool,
    /// Unix seconds at which the API lifts it (armed with `duration_secs`),
    /// `null` otherwise.
    #[schema(required = true)]
    pub(crate) lifts_at: Option<u64>,
}

/// `GET /v1/faults`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct FaultList {
    /// Every fault kind of this devnet, armed or not.
    pub(crate) items: Vec<FaultState>,
}
