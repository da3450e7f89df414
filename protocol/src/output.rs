//! Output roots: the L2 state commitment the proposer posts to L1.

use alloy_primitives::{B256, keccak256};
use serde::{Deserialize, Serialize};

/// The preimage of an output root (OP Stack output root version 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputRootPreimage {
    /// L2 state root.
    pub state_root: B256,
    /// Root of the withdrawal Merkle tree (see [`crate::withdrawals_root`]).
    pub withdrawals_root: B256,
    /// L2 block hash.
    pub block_hash: B256,
}

impl OutputRootPreimage {
    /// `keccak256(bytes32(0) || stateRoot || withdrawalsRoot || blockHash)`.
    pub fn output_root(&self) -> B256 {
        let mut buf = [0u8; 128];
        buf[32..64].copy_from_slice(self.state_root.as_slice());
        buf[64..96].copy_from_slice(self.withdrawals_root.as_slice());
        buf[96..].copy_from_slice(self.block_hash.as_slice());
        keccak256(buf)
    }
}
