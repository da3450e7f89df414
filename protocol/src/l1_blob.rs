//! EIP-4844 blobs on the L1: the blob fee market and sidecar validation
//! with KZG. The rules are the L1's, but every role needs them: the L1
//! simulator prices and admits blobs with them, the batcher builds
//! sidecars, and derivation (challenger, verifier nodes) checks the blobs it
//! reads from the beacon API, so they live here, beside
//! [`crate::l1_blob_base_fee`], rather than in the node.
//!
//! # Parameters
//!
//! The L1 runs Prague, so the blob schedule is EIP-7691's: a target of
//! [`TARGET_BLOBS_PER_BLOCK`] (6) and a maximum of [`MAX_BLOBS_PER_BLOCK`] (9)
//! blobs per block, base fee update fraction [`BLOB_BASE_FEE_UPDATE_FRACTION`]
//! (5007716), minimum blob base fee 1 wei. A transaction carries at most
//! [`MAX_BLOBS_PER_TX`] (6) blobs: Prague's consensus rule alone allows up to
//! the block maximum, 6 is the per-transaction cap that Osaka (EIP-7594) made
//! a consensus rule and that geth's pool applied before it.
//!
//! # The header rule (EIP-4844 with EIP-7918)
//!
//! `blob_gas_used` is the sum over the block's type-3 transactions of
//! `GAS_PER_BLOB * len(blob_versioned_hashes)`. `excess_blob_gas` of a block
//! is computed from its parent, exactly as EIP-7918 specifies it (the reserve
//! price of Osaka, applied here on top of the Prague schedule):
//!
//! ```text
//! def calc_excess_blob_gas(parent):
//!     target = GAS_PER_BLOB * TARGET_BLOBS_PER_BLOCK
//!     if parent.excess_blob_gas + parent.blob_gas_used < target:
//!         return 0
//!     if BLOB_BASE_COST * parent.base_fee_per_gas > GAS_PER_BLOB * base_fee_per_blob_gas(parent):
//!         # the reserve price binds: excess only grows, by the share of
//!         # used blob gas above the target at full blocks
//!         return parent.excess_blob_gas + parent.blob_gas_used * (MAX - TARGET) // MAX
//!     return parent.excess_blob_gas + parent.blob_gas_used - target
//! ```
//!
//! and the blob base fee of a block is unchanged from EIP-4844:
//! `fake_exponential(MIN_BASE_FEE_PER_BLOB_GAS, excess_blob_gas, UPDATE_FRACTION)`.
//!
//! EIP-7918 does not clamp the blob base fee itself: while the blob price is
//! below the reserve price `BLOB_BASE_COST * base_fee / GAS_PER_BLOB`
//! (`2^13 * base_fee / 2^17 = base_fee / 16`), a block that carries blobs
//! raises the excess (even below the target) and a block without blobs leaves
//! it where it is, so the price cannot decay further and climbs toward the
//! reserve with any blob demand. Only once the price is above the reserve
//! does the ordinary EIP-4844 update (down below target) apply. The one way
//! to zero is the first rule: `excess + used < target` resets the excess to
//! 0, as in EIP-4844 (so an idle chain from genesis stays at 1 wei).

use alloy_consensus::{Header, TxEip4844};
use alloy_eips::eip4844::{
    BlobTransactionSidecar, DATA_GAS_PER_BLOB, env_settings::KzgSettings, kzg_to_versioned_hash,
};
use alloy_primitives::{B256, FixedBytes};

/// Blob gas of one blob (`2^17`).
pub const GAS_PER_BLOB: u64 = DATA_GAS_PER_BLOB;
/// Blob target per block (EIP-7691, Prague).
pub const TARGET_BLOBS_PER_BLOCK: u64 = 6;
/// Most blobs per block (EIP-7691, Prague).
pub const MAX_BLOBS_PER_BLOCK: u64 = 9;
/// Most blobs per transaction.
pub const MAX_BLOBS_PER_TX: u64 = 6;
/// Blob base fee update fraction (EIP-7691, Prague).
pub const BLOB_BASE_FEE_UPDATE_FRACTION: u64 = 5_007_716;
/// EIP-7918 `BLOB_BASE_COST`: the execution gas a blob is priced at, at least.
pub const BLOB_BASE_COST: u64 = 1 << 13;
/// Blob gas target per block.
pub const TARGET_BLOB_GAS_PER_BLOCK: u64 = TARGET_BLOBS_PER_BLOCK * GAS_PER_BLOB;
/// Most blob gas per block.
pub const MAX_BLOB_GAS_PER_BLOCK: u64 = MAX_BLOBS_PER_BLOCK * GAS_PER_BLOB;

/// The blob base fee (wei per blob gas) of a block whose `excess_blob_gas` is
/// `excess`: the protocol's rule ([`crate::l1_blob_base_fee`]), so the
/// L1 charges exactly what the rollup's L1 data fee reads from its headers.
pub fn blob_base_fee(excess_blob_gas: u64) -> u128 {
    crate::l1_blob_base_fee(excess_blob_gas)
}

/// The EIP-7918 reserve price of blob gas under execution base fee `base_fee`:
/// `BLOB_BASE_COST * base_fee / GAS_PER_BLOB`, in wei per blob gas (rounded down;
/// the header rule compares the unrounded products).
pub const fn blob_reserve_price(base_fee: u64) -> u128 {
    (BLOB_BASE_COST as u128 * base_fee as u128) / GAS_PER_BLOB as u128
}

/// `excess_blob_gas` of a child of a block with the given fields (the
/// module docs give the rule).
pub fn next_excess_blob_gas(
    parent_excess_blob_gas: u64,
    parent_blob_gas_used: u64,
    parent_base_fee: u64,
) -> u64 {
    let target = TARGET_BLOB_GAS_PER_BLOCK;
    if parent_excess_blob_gas + parent_blob_gas_used < target {
        return 0;
    }
    let reserve = u128::from(BLOB_BASE_COST) * u128::from(parent_base_fee);
    let blob_cost = u128::from(GAS_PER_BLOB).saturating_mul(blob_base_fee(parent_excess_blob_gas));
    if reserve > blob_cost {
        parent_excess_blob_gas
            + parent_blob_gas_used * (MAX_BLOBS_PER_BLOCK - TARGET_BLOBS_PER_BLOCK)
                / MAX_BLOBS_PER_BLOCK
    } else {
        parent_excess_blob_gas + parent_blob_gas_used - target
    }
}

/// `excess_blob_gas` of the child of `parent` (missing fields count as 0).
pub fn next_excess_blob_gas_after(parent: &Header) -> u64 {
    next_excess_blob_gas(
        parent.excess_blob_gas.unwrap_or_default(),
        parent.blob_gas_used.unwrap_or_default(),
        parent.base_fee_per_gas.unwrap_or_default(),
    )
}

/// The blob base fee of a block with header `header`.
pub fn header_blob_base_fee(header: &Header) -> u128 {
    blob_base_fee(header.excess_blob_gas.unwrap_or_default())
}

/// Blob gas of a transaction carrying `blobs` blobs.
pub const fn blob_gas(blobs: usize) -> u64 {
    blobs as u64 * GAS_PER_BLOB
}

/// The KZG settings: the Ethereum mainnet trusted setup (KZG ceremony),
/// loaded once (no precomputation: it only speeds up cell proofs, which
/// Prague does not use).
pub fn kzg_settings() -> &'static KzgSettings {
    c_kzg::ethereum_kzg_settings(0)
}

/// Why a blob transaction's sidecar was refused. Messages are geth's
/// (core/txpool/validation.go, core/types/tx_blob.go).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// A type-3 transaction sent without its sidecar (the network form is required).
    #[error("missing sidecar in blob transaction")]
    MissingSidecar,
    /// An EIP-7594 (cell proof) sidecar, which Prague does not accept.
    #[error("cell proof sidecars are not supported before Osaka")]
    CellProofs,
    /// No blob hashes.
    #[error("blobless blob transaction")]
    NoBlobs,
    /// Over [`MAX_BLOBS_PER_TX`].
    #[error("too many blobs in transaction: have {have}, permitted {max}")]
    TooManyBlobs {
        /// Blobs in the transaction.
        have: usize,
        /// The limit.
        max: u64,
    },
    /// A sidecar list whose length differs from the number of blob hashes.
    #[error("invalid number of {have} {what} compared to {hashes} blob hashes")]
    Count {
        /// `"blobs"`, `"blob commitments"` or `"blob proofs"`.
        what: &'static str,
        /// Its length.
        have: usize,
        /// Number of blob hashes.
        hashes: usize,
    },
    /// A commitment whose versioned hash is not the transaction's.
    #[error("blob {index}: computed hash {computed} mismatches transaction one {expected}")]
    HashMismatch {
        /// Blob index in the transaction.
        index: usize,
        /// `0x01 || sha256(commitment)[1..]`.
        computed: B256,
        /// The transaction's versioned hash.
        expected: B256,
    },
    /// A blob whose KZG proof does not verify against its commitment (or is
    /// not canonical: a field element at or above the BLS modulus, a point
    /// not on the curve).
    #[error("invalid blob {index}: {reason}")]
    InvalidBlob {
        /// Blob index in the transaction.
        index: usize,
        /// What failed.
        reason: String,
    },
}

/// Checks a blob transaction's sidecar: counts, every commitment against its
/// versioned hash (`0x01 || sha256(commitment)[1..]`), then every blob
/// against its commitment and proof with `verify_blob_kzg_proof_batch`
/// (on failure, each blob alone, to name the first bad one).
pub fn validate_sidecar(tx: &TxEip4844, sidecar: &BlobTransactionSidecar) -> Result<(), BlobError> {
    let hashes = &tx.blob_versioned_hashes;
    if hashes.is_empty() {
        return Err(BlobError::NoBlobs);
    }
    if hashes.len() as u64 > MAX_BLOBS_PER_TX {
        return Err(BlobError::TooManyBlobs { have: hashes.len(), max: MAX_BLOBS_PER_TX });
    }
    for (what, have) in [
        ("blobs", sidecar.blobs.len()),
        ("blob commitments", sidecar.commitments.len()),
        ("blob proofs", sidecar.proofs.len()),
    ] {
        if have != hashes.len() {
            return Err(BlobError::Count { what, have, hashes: hashes.len() });
        }
    }
    for (index, (commitment, expected)) in sidecar.commitments.iter().zip(hashes).enumerate() {
        let computed = kzg_to_versioned_hash(commitment.as_slice());
        if computed != *expected {
            return Err(BlobError::HashMismatch { index, computed, expected: *expected });
        }
    }
    use alloy_eips::eip4844::AsCkzg;
    let settings = kzg_settings();
    let blobs = alloy_eips::eip4844::Blob::slice_as_ckzg(&sidecar.blobs);
    let commitments = FixedBytes::<48>::slice_as_ckzg(&sidecar.commitments);
    let proofs = FixedBytes::<48>::slice_as_ckzg(&sidecar.proofs);
    if settings.verify_blob_kzg_proof_batch(blobs, commitments, proofs).unwrap_or(false) {
        return Ok(());
    }
    for index in 0..blobs.len() {
        let reason = match settings.verify_blob_kzg_proof(
            &blobs[index],
            &commitments[index],
            &proofs[index],
        ) {
            Ok(true) => continue,
            Ok(false) => "can't verify opening proof".to_string(),
            Err(e) => e.to_string(),
        };
        return Err(BlobError::InvalidBlob { index, reason });
    }
    // The batch failed but every blob verifies alone: impossible for a sound
    // library, refuse rather than accept.
    Err(BlobError::InvalidBlob { index: 0, reason: "batch verification failed".into() })
}

/// An error of the KZG library (c-kzg).
pub type KzgError = c_kzg::Error;

/// Computes the sidecar (commitments and proofs) of `blobs` with the
/// Ethereum trusted setup: what a sender of blob transactions attaches.
/// Fails only on a blob that is not canonical (a field element at or above
/// the BLS modulus).
pub fn sidecar_from_blobs(
    blobs: Vec<alloy_eips::eip4844::Blob>,
) -> Result<BlobTransactionSidecar, KzgError> {
    BlobTransactionSidecar::try_from_blobs_with_settings(blobs, kzg_settings())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_eips::{eip4844::BYTES_PER_BLOB, eip7840::BlobParams};

    const GWEI: u64 = 1_000_000_000;

    #[test]
    fn below_target_resets_to_zero() {
        assert_eq!(next_excess_blob_gas(0, 5 * GAS_PER_BLOB, GWEI), 0);
        assert_eq!(next_excess_blob_gas(GAS_PER_BLOB, 4 * GAS_PER_BLOB, GWEI), 0);
    }

    #[test]
    fn reserve_price_binds_when_blobs_are_cheap() {
        // At 1 gwei the reserve is 2^13 * 1e9 / 2^17 = 62.5 Mwei per blob gas,
        // far above a blob price near 1 wei.
        let excess = 3 * GAS_PER_BLOB;
        assert!(blob_base_fee(excess) < blob_reserve_price(GWEI));
        // Full block: +used * 3/9, the same as EIP-4844 (9 - 6 = 3 blobs).
        assert_eq!(next_excess_blob_gas(excess, 9 * GAS_PER_BLOB, GWEI), excess + 3 * GAS_PER_BLOB);
        // Below target: EIP-4844 would lower it; EIP-7918 raises it by used/3.
        assert_eq!(next_excess_blob_gas(excess, 3 * GAS_PER_BLOB, GWEI), excess + GAS_PER_BLOB);
        // No blobs, excess at or above the target: unchanged.
        let high = 7 * GAS_PER_BLOB;
        assert_eq!(next_excess_blob_gas(high, 0, GWEI), high);
    }

    #[test]
    fn plain_eip4844_update_above_the_reserve() {
        // An execution base fee of 0 makes the reserve 0: EIP-4844's rule.
        let excess = 20 * GAS_PER_BLOB;
        assert_eq!(next_excess_blob_gas(excess, 0, 0), excess - TARGET_BLOB_GAS_PER_BLOCK);
        assert_eq!(next_excess_blob_gas(excess, 9 * GAS_PER_BLOB, 0), excess + 3 * GAS_PER_BLOB);
        // A blob price far above the reserve (huge excess, 1 wei base fee).
        let excess = 200_000_000;
        assert!(blob_base_fee(excess) > blob_reserve_price(1));
        assert_eq!(next_excess_blob_gas(excess, 0, 1), excess - TARGET_BLOB_GAS_PER_BLOCK);
    }

    #[test]
    fn matches_alloys_eip7918_implementation() {
        let params = BlobParams::prague().with_blob_base_cost(BLOB_BASE_COST);
        assert_eq!(params.target_blob_count, TARGET_BLOBS_PER_BLOCK);
        assert_eq!(params.max_blob_count, MAX_BLOBS_PER_BLOCK);
        assert_eq!(params.update_fraction, u128::from(BLOB_BASE_FEE_UPDATE_FRACTION));
        for excess in [0, GAS_PER_BLOB, 5_000_000, 60_000_000, 90_000_000, 300_000_000] {
            assert_eq!(blob_base_fee(excess), params.calc_blob_fee(excess));
            for used in 0..=MAX_BLOBS_PER_BLOCK {
                for base_fee in [0, 7, 100_000_000, GWEI, 300 * GWEI] {
                    assert_eq!(
                        next_excess_blob_gas(excess, used * GAS_PER_BLOB, base_fee),
                        params.next_block_excess_blob_gas_osaka(
                            excess,
                            used * GAS_PER_BLOB,
                            base_fee
                        ),
                        "excess {excess} used {used} base fee {base_fee}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_blob_batch_fits_one_blob_transaction() {
        assert_eq!(rollup_contracts::MAX_BLOBS_PER_BATCH as u64, MAX_BLOBS_PER_TX);
    }

    #[test]
    fn blob_base_fee_follows_fake_exponential() {
        assert_eq!(blob_base_fee(0), 1);
        // e^(excess / fraction): one fraction of excess multiplies the fee by ~e.
        let fee = blob_base_fee(BLOB_BASE_FEE_UPDATE_FRACTION * 10);
        assert!((22_000..=22_100).contains(&fee), "{fee}");
    }

    #[test]
    fn sidecar_validation_checks_hashes_and_proofs() {
        let mut data = [0u8; BYTES_PER_BLOB];
        for (i, chunk) in data.chunks_mut(32).enumerate() {
            chunk[1..9].copy_from_slice(&(i as u64).to_be_bytes());
        }
        let blob = alloy_eips::eip4844::Blob::from(data);
        let sidecar = sidecar_from_blobs(vec![blob]).unwrap();
        let tx = TxEip4844 {
            blob_versioned_hashes: sidecar.versioned_hashes().collect(),
            ..Default::default()
        };
        assert_eq!(validate_sidecar(&tx, &sidecar), Ok(()));
        let mut wrong_hash = tx.clone();
        wrong_hash.blob_versioned_hashes[0].0[31] ^= 1;
        assert!(matches!(
            validate_sidecar(&wrong_hash, &sidecar),
            Err(BlobError::HashMismatch { index: 0, .. })
        ));
        let mut bad_proof = sidecar.clone();
        bad_proof.proofs[0] = sidecar.commitments[0];
        let err = validate_sidecar(&tx, &bad_proof).unwrap_err();
        assert!(matches!(err, BlobError::InvalidBlob { index: 0, .. }), "{err}");
        let mut non_canonical = sidecar;
        non_canonical.blobs[0].0[0] = 0xff;
        assert!(matches!(
            validate_sidecar(&tx, &non_canonical),
            Err(BlobError::InvalidBlob { index: 0, .. })
        ));
    }
}
