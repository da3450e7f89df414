//! Derivation: from what was posted to L1 (batches and deposit events) back to
//! the inputs of every L2 block, so anyone can re-execute the chain with
//! [`crate::execute_block`] and check the proposer's output roots.
//!
//! Rules for a batched block `b` on top of `parent` (after the OP Stack
//! derivation spec, "Batch Queue" validity rules, simplified because every
//! L2 block is in exactly one batch, in order, as `BatchInbox` enforces):
//! - `b.number == parent.number + 1`;
//! - `b.timestamp >= parent.timestamp`;
//! - the L1 origin stays or advances by one: `b.l1_origin_number` is the
//!   parent's origin number or that plus one, and `b.l1_origin_hash` is the
//!   hash of that L1 block;
//! - `origin.timestamp <= b.timestamp <= origin.timestamp + max_sequencer_drift`;
//! - the deposits of L1 block `B` are included, in index order, in the block
//!   whose L1 origin advances to `B`, and only there.

use crate::{BlockInputs, L1Origin, RollupConfig, UserDeposit, batch::BatchBlock};
use alloy_consensus::Header;

/// Why a batched block breaks the derivation rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DerivationError {
    /// Not the parent's successor.
    #[error("block {got} does not follow parent {parent}")]
    NotNext {
        /// Parent number.
        parent: u64,
        /// Batched number.
        got: u64,
    },
    /// Timestamp before the parent's.
    #[error("block {number}: timestamp {timestamp} before parent's {parent}")]
    TimestampDecreasing {
        /// Block.
        number: u64,
        /// Its timestamp.
        timestamp: u64,
        /// Parent's.
        parent: u64,
    },
    /// The L1 origin goes back or jumps.
    #[error("block {number}: L1 origin {origin} does not follow parent origin {parent}")]
    BadOriginNumber {
        /// Block.
        number: u64,
        /// Its origin.
        origin: u64,
        /// Parent's origin.
        parent: u64,
    },
    /// The parent header carries no L1 origin.
    #[error("parent {0} has no L1 origin")]
    ParentWithoutOrigin(u64),
    /// The origin hash is not the L1's.
    #[error("block {number}: L1 origin hash does not match L1 block {origin}")]
    OriginHashMismatch {
        /// Block.
        number: u64,
        /// Origin number.
        origin: u64,
    },
    /// Timestamp outside `[origin.timestamp, origin.timestamp + drift]`.
    #[error("block {number}: timestamp {timestamp} outside the L1 origin's window")]
    TimestampOutOfWindow {
        /// Block.
        number: u64,
        /// Its timestamp.
        timestamp: u64,
    },
}

/// The inputs of batched block `batch` on top of `parent`, given its L1
/// origin as read from L1 and that L1 block's deposits.
pub fn block_inputs(
    config: &RollupConfig,
    parent: &Header,
    batch: &BatchBlock,
    origin: &L1Origin,
    origin_deposits: &[UserDeposit],
) -> Result<BlockInputs, DerivationError> {
    let number = batch.number;
    if number != parent.number + 1 {
        return Err(DerivationError::NotNext { parent: parent.number, got: number });
    }
    if batch.timestamp < parent.timestamp {
        return Err(DerivationError::TimestampDecreasing {
            number,
            timestamp: batch.timestamp,
            parent: parent.timestamp,
        });
    }
    let (parent_origin, _) =
        L1Origin::of_header(parent).ok_or(DerivationError::ParentWithoutOrigin(parent.number))?;
    let advanced = batch.l1_origin_number == parent_origin + 1;
    if batch.l1_origin_number != parent_origin && !advanced {
        return Err(DerivationError::BadOriginNumber {
            number,
            origin: batch.l1_origin_number,
            parent: parent_origin,
        });
    }
    if origin.number != batch.l1_origin_number || origin.hash != batch.l1_origin_hash {
        return Err(DerivationError::OriginHashMismatch { number, origin: batch.l1_origin_number });
    }
    if batch.timestamp < origin.timestamp
        || batch.timestamp > origin.timestamp + config.max_sequencer_drift
    {
        return Err(DerivationError::TimestampOutOfWindow { number, timestamp: batch.timestamp });
    }
    Ok(BlockInputs {
        timestamp: batch.timestamp,
        l1_origin: *origin,
        deposits: if advanced { origin_deposits.to_vec() } else { Vec::new() },
        transactions: batch.transactions.clone(),
    })
}
