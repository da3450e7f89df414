//! The L1 data fee charged to every L2 user transaction.
//!
//! The OP Stack Ecotone formula (specs: `exec-engine.md`, "Ecotone L1-Cost fee
//! changes (EIP-4844 DA)"), with its two scalars:
//!
//! ```text
//! l1_gas       = 16 * nonzero_bytes(tx) + 4 * zero_bytes(tx)         (EIP-2028 calldata gas)
//! fee_scaled   = 16 * l1_base_fee * base_fee_scalar + l1_blob_base_fee * blob_base_fee_scalar
//! l1_fee       = l1_gas * fee_scaled / (16 * 1_000_000)                (wei)
//! ```
//!
//! The products are computed in 256 bits and the fee is capped at
//! `u128::MAX` (exactly what the `GasPriceOracle` predeploy computes); the
//! scalars are `uint32` as in OP's `L1Block` ([`L1FeeScalars::ecotone`]).
//!
//! `tx` is the EIP-2718 encoding of the signed transaction; `l1_base_fee`
//! (wei per gas) and `l1_blob_base_fee` (wei per blob gas, EIP-4844 with the
//! Prague update fraction, from the header's `excess_blob_gas`) are those of
//! the block's L1 origin. Scalars are in millionths (`1_000_000` = 1.0) and
//! are protocol parameters of the chain ([`crate::RollupConfig`]): both the
//! sequencer and every verifier (challenger, EXECUTE) charge the same fee.
//!
//! The `GasPriceOracle` predeploy (`0x4200…000F`) computes the same fee from
//! the `L1Block` predeploy's values ([`crate::L1Attributes`]):
//! `getL1Fee(signedTx)` is exactly the fee above (the receipt's `l1Fee`),
//! and for an unsigned transaction (what viem's op-stack `estimateL1Fee`
//! passes) it adds OP's 68 × 16 gas of signature padding to `l1_gas`, so an
//! estimate is never below the charge and, for an EIP-1559 transaction,
//! typically above it by the fee of 16 gas (a signature is 67 RLP bytes).
//!
//! The chain picks the scalars for where its batches go ([`L1FeeScalars::CALLDATA`],
//! [`L1FeeScalars::BLOBS`]), as OP chain operators set them in `SystemConfig`:
//! the fees collected should cover what the batcher and proposer pay on L1
//! (`rollup bench fees` measures the ratio; 1.0 to 1.5 is the aim).

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};

/// The two Ecotone scalars, in millionths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1FeeScalars {
    /// Weight of the L1 base fee (OP `baseFeeScalar`), per 16 gas of calldata.
    pub base_fee_scalar: u64,
    /// Weight of the L1 blob base fee (OP `blobBaseFeeScalar`).
    pub blob_base_fee_scalar: u64,
}

impl L1FeeScalars {
    /// Batches in calldata: a byte of compressed batch data costs 40 gas under
    /// the EIP-7623 floor (almost every byte is nonzero) where the formula
    /// counts 16 per nonzero byte of the raw transaction. Span batches with
    /// brotli take 45-70% of the raw size (ERC-20 and swaps compress more
    /// than ETH transfers, whose 64 signature bytes dominate), so
    /// `40 × 0.7 / 16 ≈ 1.75` covers transfers; with the batch transactions'
    /// base gas and the output proposals, 2.0 keeps the measured coverage
    /// between 1.1 (transfers) and 1.4 (mixed).
    pub const CALLDATA: Self = Self { base_fee_scalar: 2_000_000, blob_base_fee_scalar: 0 };

    /// Batches in blobs: a byte of a blob costs about one blob gas
    /// (131,072 blob gas per blob of 126,972 payload bytes), at 45-70% of the
    /// raw size, so 1.0 on the blob base fee covers the blobs with room; the
    /// base fee term pays for what blobs do not carry, the blob transactions'
    /// execution gas and the output proposals (~13 L1 gas per transaction
    /// measured with full six-blob batches and an output every 240 L2 blocks
    /// at ~100 tx/s, against ~2,000 calldata gas per mixed transaction, so
    /// 0.008 collects about 1.3 times the spend).
    pub const BLOBS: Self = Self { base_fee_scalar: 8_000, blob_base_fee_scalar: 1_000_000 };

    /// The scalars as OP's `L1Block` stores them and the fee applies them:
    /// `uint32`, a larger value counting as `u32::MAX` (4,294.97).
    pub fn ecotone(&self) -> (u32, u32) {
        let narrow = |s: u64| u32::try_from(s).unwrap_or(u32::MAX);
        (narrow(self.base_fee_scalar), narrow(self.blob_base_fee_scalar))
    }
}

/// Calldata gas of `data` under EIP-2028: 16 per nonzero byte, 4 per zero byte.
pub fn calldata_gas(data: &[u8]) -> u64 {
    data.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum()
}

/// The L1 data fee, in wei, of a user transaction whose EIP-2718 encoding is
/// `encoded_tx`, at L1 base fee `l1_base_fee` (wei per gas) and L1 blob base
/// fee `l1_blob_base_fee` (wei per blob gas), with the scalars as `L1Block`
/// holds them ([`L1FeeScalars::ecotone`]). Computed in 256 bits, as the
/// `GasPriceOracle` predeploy does, and capped at `u128::MAX`.
pub fn l1_data_fee(
    encoded_tx: &[u8],
    l1_base_fee: u64,
    l1_blob_base_fee: u128,
    scalars: L1FeeScalars,
) -> u128 {
    let (base_fee_scalar, blob_base_fee_scalar) = scalars.ecotone();
    let scaled = U256::from(16u64) * U256::from(l1_base_fee) * U256::from(base_fee_scalar)
        + U256::from(l1_blob_base_fee) * U256::from(blob_base_fee_scalar);
    let fee = U256::from(calldata_gas(encoded_tx)) * scaled / U256::from(16_000_000u64);
    fee.saturating_to()
}

/// The blob base fee, in wei per blob gas, of an L1 block whose header has
/// `excess_blob_gas` (EIP-4844 `fake_exponential` with Prague's update
/// fraction 5,007,716, EIP-7691).
pub fn l1_blob_base_fee(excess_blob_gas: u64) -> u128 {
    alloy_eips::eip7840::BlobParams::prague().calc_blob_fee(excess_blob_gas)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_follows_the_ecotone_formula() {
        assert_eq!(calldata_gas(&[0, 1, 0, 2]), 4 + 16 + 4 + 16);
        let base_only = L1FeeScalars { base_fee_scalar: 1_500_000, blob_base_fee_scalar: 0 };
        // 40 gas * 10 gwei * 1.5
        assert_eq!(l1_data_fee(&[0, 1, 0, 2], 10_000_000_000, 7, base_only), 600_000_000_000);
        // 40 gas / 16 = 2.5 bytes at 8 wei per blob gas * 0.5
        let blob_only = L1FeeScalars { base_fee_scalar: 0, blob_base_fee_scalar: 500_000 };
        assert_eq!(l1_data_fee(&[0, 1, 0, 2], 10_000_000_000, 8, blob_only), 10);
        let both = L1FeeScalars { base_fee_scalar: 1_500_000, blob_base_fee_scalar: 500_000 };
        assert_eq!(l1_data_fee(&[0, 1, 0, 2], 10_000_000_000, 8, both), 600_000_000_010);
        assert_eq!(l1_data_fee(&[], 10, 10, both), 0);
        assert_eq!(l1_data_fee(&[1; 100], u64::MAX, u128::MAX, both), u128::MAX);
        // 1,600 gas * 2^64 wei * 16 * 4,294.97 (the u32 cap of a larger scalar).
        let huge = L1FeeScalars { base_fee_scalar: u64::MAX, blob_base_fee_scalar: 0 };
        assert_eq!(huge.ecotone(), (u32::MAX, 0));
        assert_eq!(
            l1_data_fee(&[1; 100], u64::MAX, 0, huge),
            1_600 * 16 * u128::from(u64::MAX) * u128::from(u32::MAX) / 16_000_000
        );
    }

    #[test]
    fn blob_base_fee_is_the_prague_exponential() {
        assert_eq!(l1_blob_base_fee(0), 1);
        // e^(excess / 5_007_716): e^1 ≈ 2.718 → 2 (integer approximation).
        assert_eq!(l1_blob_base_fee(5_007_716), 2);
        assert!(l1_blob_base_fee(10 * 5_007_716) > 20_000);
    }
}
