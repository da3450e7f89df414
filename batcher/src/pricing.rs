//! DA pricing: what one L1 transaction carries (calldata or six blobs) and
//! what a byte of a channel costs in each, for choosing where a channel goes.

use rollup_protocol::{
    batch::{FRAME_OVERHEAD, MAX_BLOB_FRAME_DATA},
    l1_blob::{GAS_PER_BLOB, MAX_BLOBS_PER_TX},
};

/// Largest batch data per L1 transaction, in bytes (under geth's 128 KiB
/// transaction size limit with room for the ABI envelope).
pub const MAX_BATCH_DATA_BYTES: usize = 120_000;

/// Most channel bytes of a calldata batch: one frame whose batch data
/// (version byte, frame header, channel) is at most [`MAX_BATCH_DATA_BYTES`].
pub const CALLDATA_CHANNEL_CAPACITY: usize = MAX_BATCH_DATA_BYTES - 1 - FRAME_OVERHEAD;

/// Most channel bytes of a blob batch: [`MAX_BLOBS_PER_TX`] blobs of one
/// frame each.
pub const BLOB_CHANNEL_CAPACITY: usize = MAX_BLOBS_PER_TX as usize * MAX_BLOB_FRAME_DATA;

/// Where a channel goes and how much it may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Calldata,
    Blobs,
}

impl Target {
    pub(crate) const fn capacity(self) -> usize {
        match self {
            Self::Calldata => CALLDATA_CHANNEL_CAPACITY,
            Self::Blobs => BLOB_CHANNEL_CAPACITY,
        }
    }
}

/// Wei that `bytes` of batch data cost in calldata at L1 base fee
/// `base_fee`: compressed data is almost all nonzero bytes, 40 gas each
/// under the EIP-7623 floor. The transaction's base gas is not included.
pub(crate) const fn calldata_cost(bytes: usize, base_fee: u128) -> u128 {
    (40 * bytes as u128).saturating_mul(base_fee)
}

/// Wei that `blobs` blobs cost at blob base fee `blob_base_fee` (EIP-4844).
pub(crate) const fn blob_cost(blobs: usize, blob_base_fee: u128) -> u128 {
    (blobs as u128 * GAS_PER_BLOB as u128).saturating_mul(blob_base_fee)
}

/// Wei per channel byte of a full calldata batch and of a full blob batch at
/// L1 base fee `base_fee` and blob base fee `blob_base_fee`, the 21,000 base
/// gas amortised over the capacity.
pub(crate) fn full_batch_cost_per_byte(base_fee: u128, blob_base_fee: u128) -> (f64, f64) {
    let base = 21_000u128.saturating_mul(base_fee);
    let calldata = base.saturating_add(calldata_cost(MAX_BATCH_DATA_BYTES, base_fee)) as f64
        / CALLDATA_CHANNEL_CAPACITY as f64;
    let blobs = base.saturating_add(blob_cost(MAX_BLOBS_PER_TX as usize, blob_base_fee)) as f64
        / BLOB_CHANNEL_CAPACITY as f64;
    (calldata, blobs)
}
