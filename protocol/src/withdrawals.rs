//! L2-to-L1 withdrawals: the withdrawal hash and the binary Merkle tree over
//! all withdrawal hashes whose root every L2 header commits to.
//!
//! The tree is rs_merkle's with Keccak-256: leaves are the withdrawal hashes,
//! a parent is `keccak256(left || right)` (pairs not sorted), and an odd last
//! node is promoted unchanged to the next level. Over `n` leaves its root
//! equals the fold of the peaks of the binary decomposition of `n`, smallest
//! first: `root = H(P_big, H(P_mid, P_small))`, which is how the
//! `L2ToL1MessagePasser` predeploy keeps it in storage with O(log n) work per
//! withdrawal. The root of the empty tree is `bytes32(0)`.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::SolValue;
use rs_merkle::{Hasher, MerkleTree};

/// rs_merkle hasher for Keccak-256.
#[derive(Clone, Copy, Debug)]
pub struct Keccak256Hasher;

impl Hasher for Keccak256Hasher {
    type Hash = [u8; 32];

    fn hash(data: &[u8]) -> [u8; 32] {
        keccak256(data).0
    }
}

/// A withdrawal message, as passed by `L2ToL1MessagePasser.initiateWithdrawal`
/// and finalized by `Bridge.finalizeWithdrawal`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalMessage {
    /// The message passer's nonce (0-based index of the withdrawal).
    pub nonce: U256,
    /// L2 sender.
    pub sender: Address,
    /// L1 recipient of the call.
    pub target: Address,
    /// Wei to release on L1.
    pub value: U256,
    /// Gas limit of the L1 call.
    pub gas_limit: U256,
    /// Calldata of the L1 call.
    pub data: Bytes,
}

impl WithdrawalMessage {
    /// `keccak256(abi.encode(nonce, sender, target, value, gasLimit, data))`.
    pub fn hash(&self) -> B256 {
        keccak256(
            (self.nonce, self.sender, self.target, self.value, self.gas_limit, self.data.clone())
                .abi_encode_params(),
        )
    }
}

/// The withdrawals root over `leaves` (in withdrawal order); zero when empty.
pub fn withdrawals_root(leaves: &[B256]) -> B256 {
    if leaves.is_empty() {
        return B256::ZERO;
    }
    let leaves: Vec<[u8; 32]> = leaves.iter().map(|l| l.0).collect();
    MerkleTree::<Keccak256Hasher>::from_leaves(&leaves).root().map(B256::from).unwrap_or_default()
}

/// The Merkle proof of leaf `index` among `leaves`: the sibling hashes from
/// the leaf up, skipping levels where the node was promoted.
pub fn withdrawal_proof(leaves: &[B256], index: usize) -> Option<Vec<B256>> {
    if index >= leaves.len() {
        return None;
    }
    let raw: Vec<[u8; 32]> = leaves.iter().map(|l| l.0).collect();
    let tree = MerkleTree::<Keccak256Hasher>::from_leaves(&raw);
    Some(tree.proof(&[index]).proof_hashes().iter().map(|h| B256::from(*h)).collect())
}

/// Verifies a proof exactly as `Bridge.verifyMerkleProof` does on L1.
pub fn verify_withdrawal_proof(
    root: B256,
    leaf: B256,
    index: u64,
    leaf_count: u64,
    proof: &[B256],
) -> bool {
    if index >= leaf_count {
        return false;
    }
    let (mut computed, mut idx, mut n, mut p) = (leaf, index, leaf_count, 0usize);
    let h = |a: &B256, b: &B256| {
        let mut buf = [0u8; 64];
        buf[..32].copy_from_slice(a.as_slice());
        buf[32..].copy_from_slice(b.as_slice());
        keccak256(buf)
    };
    while n > 1 {
        if idx & 1 == 1 {
            let Some(sibling) = proof.get(p) else { return false };
            computed = h(sibling, &computed);
            p += 1;
        } else if idx + 1 < n {
            let Some(sibling) = proof.get(p) else { return false };
            computed = h(&computed, sibling);
            p += 1;
        }
        idx >>= 1;
        n = n.div_ceil(2);
    }
    p == proof.len() && computed == root
}

/// The root from right-edge peaks, as the message passer computes it:
/// `peaks[h]` is the peak at height `h` for each set bit `h` of `count`.
pub fn root_from_peaks(count: u64, peaks: impl Fn(u32) -> B256) -> B256 {
    let mut acc: Option<B256> = None;
    for height in 0..64 {
        if count >> height & 1 == 1 {
            let peak = peaks(height);
            acc = Some(match acc {
                None => peak,
                Some(lower) => keccak256([peak.as_slice(), lower.as_slice()].concat()),
            });
        }
    }
    acc.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<B256> {
        (0..n).map(|i| keccak256(U256::from(i).to_be_bytes::<32>())).collect()
    }

    #[test]
    fn every_proof_verifies_and_tampering_fails() {
        for n in 1..=33usize {
            let l = leaves(n);
            let root = withdrawals_root(&l);
            for i in 0..n {
                let proof = withdrawal_proof(&l, i).unwrap();
                assert!(
                    verify_withdrawal_proof(root, l[i], i as u64, n as u64, &proof),
                    "n={n} i={i}"
                );
                assert!(
                    !verify_withdrawal_proof(root, l[(i + 1) % n], i as u64, n as u64, &proof)
                        || n == 1
                );
                if let Some(first) = proof.first() {
                    let mut bad = proof.clone();
                    bad[0] = B256::from(U256::from_be_bytes(first.0) ^ U256::from(1));
                    assert!(!verify_withdrawal_proof(root, l[i], i as u64, n as u64, &bad));
                }
            }
        }
    }

    #[test]
    fn peaks_fold_equals_rs_merkle_root() {
        // Incremental binary-counter peaks, as the Solidity message passer keeps them.
        let mut peaks = [B256::ZERO; 64];
        let l = leaves(70);
        for (count, leaf) in l.iter().enumerate() {
            let (mut node, mut height, mut n) = (*leaf, 0usize, count as u64);
            while n & 1 == 1 {
                node = keccak256([peaks[height].as_slice(), node.as_slice()].concat());
                n >>= 1;
                height += 1;
            }
            peaks[height] = node;
            let c = count as u64 + 1;
            assert_eq!(root_from_peaks(c, |h| peaks[h as usize]), withdrawals_root(&l[..=count]));
        }
        assert_eq!(withdrawals_root(&[]), B256::ZERO);
    }
}
