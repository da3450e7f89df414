//! The stored form of a mined EIP-4844 blob. The blob rules themselves (fee
//! market, KZG sidecar checks) are the protocol's
//! ([`rollup_protocol::l1_blob`]), re-exported here for the node's users.

use alloy_eips::eip4844::{BYTES_PER_BLOB, BlobTransactionSidecar, kzg_to_versioned_hash};
use alloy_primitives::{B256, Bytes, FixedBytes};
pub use rollup_protocol::l1_blob::*;

/// A blob as stored with the block that carried it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBlob {
    /// Number of the block.
    pub block_number: u64,
    /// Position among the block's blobs (transactions in block order, blobs
    /// in transaction order): the beacon API's `index`.
    pub index: u64,
    /// Hash of the transaction that carried it.
    pub tx_hash: B256,
    /// Its versioned hash.
    pub versioned_hash: B256,
    /// KZG commitment (48 bytes).
    pub commitment: FixedBytes<48>,
    /// KZG proof (48 bytes).
    pub proof: FixedBytes<48>,
    /// The blob ([`BYTES_PER_BLOB`] bytes).
    pub blob: Bytes,
}

impl StoredBlob {
    /// The stored blobs of a sidecar carried by transaction `tx_hash` in
    /// block `block_number`, numbered from `first_index`.
    pub fn from_sidecar(
        block_number: u64,
        first_index: u64,
        tx_hash: B256,
        sidecar: &BlobTransactionSidecar,
    ) -> Vec<Self> {
        sidecar
            .blobs
            .iter()
            .zip(&sidecar.commitments)
            .zip(&sidecar.proofs)
            .enumerate()
            .map(|(i, ((blob, commitment), proof))| {
                debug_assert_eq!(blob.len(), BYTES_PER_BLOB);
                Self {
                    block_number,
                    index: first_index + i as u64,
                    tx_hash,
                    versioned_hash: kzg_to_versioned_hash(commitment.as_slice()),
                    commitment: *commitment,
                    proof: *proof,
                    blob: Bytes::copy_from_slice(blob.as_slice()),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_blobs_are_numbered_from_the_first_index() {
        let sidecar = sidecar_from_blobs(vec![alloy_eips::eip4844::Blob::ZERO]).unwrap();
        let stored = StoredBlob::from_sidecar(7, 2, B256::ZERO, &sidecar);
        assert_eq!(stored[0].index, 2);
        assert_eq!(stored[0].versioned_hash, sidecar.versioned_hashes().next().unwrap());
    }
}
