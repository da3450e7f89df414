//! The L1 data fee charged to every L2 user transaction.
//!
//! Anchored on the OP Stack Ecotone formula (specs: `exec-engine.md`, "L1-Cost
//! fees"), with a single scalar:
//!
//! ```text
//! l1_gas  = 16 * nonzero_bytes(tx) + 4 * zero_bytes(tx)      (EIP-2028 calldata gas)
//! l1_fee  = l1_gas * l1_base_fee * l1_fee_scalar / 1_000_000  (wei)
//! ```
//!
//! `tx` is the EIP-2718 encoding of the signed transaction, `l1_base_fee` the
//! base fee (wei per gas) of the block's L1 origin. The scalar (default 1.8,
//! [`crate::RollupConfig::l1_fee_scalar`]) accounts for what the batcher
//! really pays per byte: compressed batch data is almost all nonzero bytes,
//! which cost 40 gas each under the EIP-7623 calldata floor (vs 16 here), at
//! about 0.7 of the raw size: `40 × 0.7 / 16 ≈ 1.75`, so the L1 data fees
//! collected cover the rollup's L1 spend (`rollup bench fees` measures the
//! ratio: 1.0 to 1.5 is the aim).

/// Calldata gas of `data` under EIP-2028: 16 per nonzero byte, 4 per zero byte.
pub fn calldata_gas(data: &[u8]) -> u64 {
    data.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum()
}

/// The L1 data fee, in wei, of a user transaction whose EIP-2718 encoding is
/// `encoded_tx`, at `l1_base_fee` wei per gas and `scalar` millionths.
pub fn l1_data_fee(encoded_tx: &[u8], l1_base_fee: u64, scalar: u64) -> u128 {
    u128::from(calldata_gas(encoded_tx)) * u128::from(l1_base_fee) * u128::from(scalar) / 1_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_follows_the_formula() {
        assert_eq!(calldata_gas(&[0, 1, 0, 2]), 4 + 16 + 4 + 16);
        // 40 gas * 10 gwei * 1.5
        assert_eq!(l1_data_fee(&[0, 1, 0, 2], 10_000_000_000, 1_500_000), 600_000_000_000);
        assert_eq!(l1_data_fee(&[], 10, 1_000_000), 0);
    }
}
