//! The rows of the bridge's database, as the API and the indexer use them,
//! and their decoding from SQL rows.

use super::{get_opt_u64, get_parsed, get_u64};
use alloy_primitives::{Address, B256, Bytes, U256};
use rollup_db::DbError;
use rollup_protocol::{UserDeposit, WithdrawalMessage};
use sqlx::any::AnyRow;

/// Which chain a cursor belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Chain {
    /// The L1.
    L1,
    /// The L2.
    L2,
}

impl Chain {
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::L1 => "l1",
            Self::L2 => "l2",
        }
    }
}

/// One indexed deposit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DepositRow {
    pub(crate) deposit: UserDeposit,
    pub(crate) l1_tx_hash: B256,
    pub(crate) l1_block: u64,
    pub(crate) log_index: u64,
    /// The L2 deposit transaction hash (`UserDeposit::to_tx().tx_hash()`).
    pub(crate) l2_tx_hash: B256,
    /// The L2 block that credited it, once seen.
    pub(crate) l2_block: Option<u64>,
}

/// One indexed withdrawal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WithdrawalRow {
    pub(crate) hash: B256,
    pub(crate) message: WithdrawalMessage,
    pub(crate) l2_block: u64,
    pub(crate) l2_tx_hash: B256,
}

/// One `Bridge.WithdrawalFinalized` event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FinalizationRow {
    pub(crate) withdrawal_hash: B256,
    pub(crate) l1_tx_hash: B256,
    pub(crate) l1_block: u64,
    pub(crate) success: bool,
}

/// One appended batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BatchRow {
    pub(crate) index: u64,
    pub(crate) l1_block: u64,
    pub(crate) log_index: u64,
    pub(crate) l1_tx_hash: B256,
    pub(crate) l1_timestamp: u64,
    pub(crate) l2_start: u64,
    pub(crate) l2_end: u64,
    pub(crate) commitment: B256,
    pub(crate) is_blob: bool,
}

/// One proposed output (deleted ones are kept, flagged).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OutputRow {
    pub(crate) index: u64,
    pub(crate) l1_block: u64,
    pub(crate) log_index: u64,
    pub(crate) l1_tx_hash: B256,
    pub(crate) l2_block: u64,
    pub(crate) output_root: B256,
    /// L1 timestamp of the proposal, in unix seconds.
    pub(crate) timestamp: u64,
    pub(crate) deleted: bool,
    /// A dispute game about it is in progress.
    pub(crate) challenged: bool,
}

/// How a dispute game ended, as far as the indexer has seen it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct GameResultRow {
    pub(crate) game_id: u64,
    /// 1 proposer, 2 challenger (`None` until `GameResolved` is seen).
    pub(crate) winner: Option<u8>,
    /// `proof` or `clock`.
    pub(crate) reason: Option<String>,
    /// The block the EXECUTE precompile re-executed, and its output root.
    pub(crate) proven: Option<(u64, B256)>,
    pub(crate) l1_block: u64,
    pub(crate) l1_tx_hash: B256,
}

/// What the indexer found in an L1 block range, in log order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum L1Event {
    Deposit(DepositRow),
    Batch(BatchRow),
    Output(OutputRow),
    /// `OutputsDeleted(fromIndex, ..)`: every live output at or above the
    /// index; and the L1 block of the event.
    OutputsDeleted(u64, u64),
    Finalized(FinalizationRow),
    /// `OutputChallenged(index, challenged)` of the live output at `index`;
    /// and the L1 block and log index of the event.
    OutputChallenged(u64, bool, u64, u64),
    /// `BlockProven(gameId, block, outputRoot)` (`winner`, `reason` unset).
    GameProven(GameResultRow),
    /// `GameResolved(gameId, winner, reason)` (`proven` unset).
    GameResolved(GameResultRow),
}

/// Position of a row in the L1 log order, the key of the list pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LogPosition {
    pub(crate) l1_block: u64,
    pub(crate) log_index: u64,
}

impl LogPosition {
    /// The opaque cursor string of this position.
    pub(crate) fn cursor(self) -> String {
        format!("{:x}-{:x}", self.l1_block, self.log_index)
    }

    /// Parses [`Self::cursor`].
    pub(crate) fn parse(cursor: &str) -> Option<Self> {
        let (block, log) = cursor.split_once('-')?;
        let l1_block = u64::from_str_radix(block, 16).ok()?;
        let log_index = u64::from_str_radix(log, 16).ok()?;
        (l1_block <= i64::MAX as u64 && log_index <= i64::MAX as u64)
            .then_some(Self { l1_block, log_index })
    }
}

pub(super) fn deposit_row(row: &AnyRow) -> Result<DepositRow, DbError> {
    Ok(DepositRow {
        deposit: UserDeposit {
            from: get_parsed::<Address>(row, "sender")?,
            to: get_parsed::<Address>(row, "recipient")?,
            index: get_u64(row, "deposit_index")?,
            mint: get_parsed::<U256>(row, "mint")?,
            value: get_parsed::<U256>(row, "value")?,
            gas_limit: get_u64(row, "gas_limit")?,
            data: get_parsed::<Bytes>(row, "data")?,
        },
        l1_tx_hash: get_parsed(row, "l1_tx_hash")?,
        l1_block: get_u64(row, "l1_block")?,
        log_index: get_u64(row, "log_index")?,
        l2_tx_hash: get_parsed(row, "l2_tx_hash")?,
        l2_block: get_opt_u64(row, "l2_block")?,
    })
}

pub(super) fn withdrawal_row(row: &AnyRow) -> Result<WithdrawalRow, DbError> {
    Ok(WithdrawalRow {
        hash: get_parsed(row, "withdrawal_hash")?,
        message: WithdrawalMessage {
            nonce: U256::from(get_u64(row, "nonce")?),
            sender: get_parsed(row, "sender")?,
            target: get_parsed(row, "target")?,
            value: get_parsed(row, "value")?,
            gas_limit: get_parsed(row, "gas_limit")?,
            data: get_parsed(row, "data")?,
        },
        l2_block: get_u64(row, "l2_block")?,
        l2_tx_hash: get_parsed(row, "l2_tx_hash")?,
    })
}

pub(super) fn batch_row(row: &AnyRow) -> Result<BatchRow, DbError> {
    Ok(BatchRow {
        index: get_u64(row, "batch_index")?,
        l1_block: get_u64(row, "l1_block")?,
        log_index: get_u64(row, "log_index")?,
        l1_tx_hash: get_parsed(row, "l1_tx_hash")?,
        l1_timestamp: get_u64(row, "l1_timestamp")?,
        l2_start: get_u64(row, "l2_start")?,
        l2_end: get_u64(row, "l2_end")?,
        commitment: get_parsed(row, "commitment")?,
        is_blob: get_u64(row, "is_blob")? != 0,
    })
}

pub(super) fn output_row(row: &AnyRow) -> Result<OutputRow, DbError> {
    Ok(OutputRow {
        index: get_u64(row, "output_index")?,
        l1_block: get_u64(row, "l1_block")?,
        log_index: get_u64(row, "log_index")?,
        l1_tx_hash: get_parsed(row, "l1_tx_hash")?,
        l2_block: get_u64(row, "l2_block")?,
        output_root: get_parsed(row, "output_root")?,
        timestamp: get_u64(row, "proposed_at")?,
        deleted: get_u64(row, "deleted")? != 0,
        challenged: get_u64(row, "challenged")? != 0,
    })
}
