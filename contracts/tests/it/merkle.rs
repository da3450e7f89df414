//! The withdrawal tree: rs_merkle (keccak256, odd last node promoted) is the reference; the
//! Bridge's Solidity verifier and the committed test vectors must agree with it.

use std::path::PathBuf;

use alloy_primitives::{Address, B256, U256, keccak256};
use rollup_contracts::Bridge;
use rs_merkle::{MerkleProof, MerkleTree};
use serde::{Deserialize, Serialize};

use crate::evm::{Chain, account};

/// rs_merkle hasher with keccak256 (same as rs_merkle's optional `Keccak256Algorithm`).
#[derive(Clone, Debug)]
pub(crate) struct Keccak256;

impl rs_merkle::Hasher for Keccak256 {
    type Hash = [u8; 32];

    fn hash(data: &[u8]) -> [u8; 32] {
        keccak256(data).0
    }
}

fn tree(leaves: &[B256]) -> MerkleTree<Keccak256> {
    let leaves: Vec<[u8; 32]> = leaves.iter().map(|l| l.0).collect();
    MerkleTree::<Keccak256>::from_leaves(&leaves)
}

/// rs_merkle root over `leaves` (zero for no leaves, like the message passer's empty slot 0).
pub(crate) fn root(leaves: &[B256]) -> B256 {
    tree(leaves).root().map(B256::from).unwrap_or_default()
}

/// rs_merkle inclusion proof of leaf `index`: `proof(&[index]).proof_hashes()`.
pub(crate) fn proof(leaves: &[B256], index: usize) -> Vec<B256> {
    tree(leaves).proof(&[index]).proof_hashes().iter().copied().map(B256::from).collect()
}

fn hash_pair(left: B256, right: B256) -> B256 {
    keccak256([left.as_slice(), right.as_slice()].concat())
}

/// Rust port of `Bridge.verifyMerkleProof` (the normative pseudo-code).
fn verify_port(root: B256, leaf: B256, leaf_index: u64, leaf_count: u64, proof: &[B256]) -> bool {
    if leaf_index >= leaf_count {
        return false;
    }
    let (mut computed, mut idx, mut n, mut p) = (leaf, leaf_index, leaf_count, 0);
    while n > 1 {
        if idx & 1 == 1 {
            let Some(sibling) = proof.get(p) else {
                return false;
            };
            computed = hash_pair(*sibling, computed);
            p += 1;
        } else if idx + 1 < n {
            let Some(sibling) = proof.get(p) else {
                return false;
            };
            computed = hash_pair(computed, *sibling);
            p += 1;
        }
        idx >>= 1;
        n = n.div_ceil(2);
    }
    p == proof.len() && computed == root
}

/// Sides of the siblings the verifier consumes for (`leaf_index`, `leaf_count`), bottom-up
/// (`true` = sibling on the left). Two (index, count) pairs with equal sides hash a proof to
/// the same root, so a "wrong" index or count verifies iff its sides are equal.
fn sibling_sides(leaf_index: u64, leaf_count: u64) -> Vec<bool> {
    let (mut idx, mut n, mut sides) = (leaf_index, leaf_count, Vec::new());
    while n > 1 {
        if idx & 1 == 1 {
            sides.push(true);
        } else if idx + 1 < n {
            sides.push(false);
        }
        idx >>= 1;
        n = n.div_ceil(2);
    }
    sides
}

/// Root of the message passer's binary-counter peaks (Rust port of the Solidity append).
fn peaks_root(leaves: &[B256]) -> B256 {
    let mut peaks: Vec<B256> = vec![B256::ZERO; 64];
    let mut root = B256::ZERO;
    for (nonce, leaf) in leaves.iter().enumerate() {
        let (mut node, mut height, mut n) = (*leaf, 0usize, nonce);
        while n & 1 == 1 {
            node = hash_pair(peaks[height], node);
            n >>= 1;
            height += 1;
        }
        peaks[height] = node;
        let count = nonce + 1;
        let mut acc = node;
        for (h, peak) in peaks.iter().enumerate().skip(height + 1) {
            if count >> h & 1 == 1 {
                acc = hash_pair(*peak, acc);
            }
        }
        root = acc;
    }
    root
}

fn leaf(i: u64) -> B256 {
    keccak256(U256::from(i).to_be_bytes::<32>())
}

#[test]
fn tree_shape_promotes_the_odd_last_node() {
    let l: Vec<B256> = (0..5).map(leaf).collect();
    let h01 = hash_pair(l[0], l[1]);
    let h23 = hash_pair(l[2], l[3]);
    assert_eq!(root(&l[..1]), l[0]);
    assert_eq!(root(&l[..2]), h01);
    // 3 leaves: l2 is promoted, no sibling hash for it at level 0.
    assert_eq!(root(&l[..3]), hash_pair(h01, l[2]));
    assert_eq!(proof(&l[..3], 2), vec![h01]);
    assert_eq!(proof(&l[..3], 0), vec![l[1], l[2]]);
    // 5 leaves: l4 is promoted twice.
    assert_eq!(root(&l), hash_pair(hash_pair(h01, h23), l[4]));
    assert_eq!(proof(&l, 4), vec![hash_pair(h01, h23)]);
    assert_eq!(proof(&l, 1), vec![l[0], h23, l[4]]);
}

#[test]
fn proof_order_matches_the_solidity_verifier() {
    // rs_merkle's proof_hashes() are the siblings bottom-up, skipping levels where the node is
    // an odd last node (promoted): exactly what verifyMerkleProof consumes.
    for n in 1..=70u64 {
        let leaves: Vec<B256> = (0..n).map(leaf).collect();
        let root = root(&leaves);
        for i in 0..n {
            let proof = proof(&leaves, i as usize);
            assert_eq!(proof.len(), sibling_sides(i, n).len(), "n={n} i={i}");
            assert!(verify_port(root, leaves[i as usize], i, n, &proof), "n={n} i={i}");
            let rs = MerkleProof::<Keccak256>::new(proof.iter().map(|h| h.0).collect());
            assert!(rs.verify(root.0, &[i as usize], &[leaves[i as usize].0], n as usize));
        }
    }
}

#[test]
fn message_passer_peaks_fold_equals_rs_merkle_root() {
    for n in 1..=130u64 {
        let leaves: Vec<B256> = (0..n).map(leaf).collect();
        assert_eq!(peaks_root(&leaves), root(&leaves), "n={n}");
    }
}

/// Committed shared test vectors (`test-vectors/withdrawal-tree.json`).
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Vectors {
    description: String,
    leaves: Vec<B256>,
    trees: Vec<TreeVector>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TreeVector {
    leaf_count: u64,
    root: B256,
    proofs: Vec<ProofVector>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProofVector {
    leaf_index: u64,
    leaf: B256,
    proof: Vec<B256>,
}

const MAX_LEAVES: u64 = 17;

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-vectors/withdrawal-tree.json")
}

fn generate_vectors() -> Vectors {
    let leaves: Vec<B256> = (0..MAX_LEAVES).map(leaf).collect();
    let trees = (1..=MAX_LEAVES)
        .map(|n| {
            let tree_leaves = &leaves[..n as usize];
            TreeVector {
                leaf_count: n,
                root: root(tree_leaves),
                proofs: (0..n)
                    .map(|i| ProofVector {
                        leaf_index: i,
                        leaf: tree_leaves[i as usize],
                        proof: proof(tree_leaves, i as usize),
                    })
                    .collect(),
            }
        })
        .collect();
    Vectors {
        description:
            "Withdrawal tree: rs_merkle 1.5 with keccak256 (parent = keccak256(left ++ right), \
                      odd last node promoted unchanged). leaves[i] = keccak256(uint256(i)); tree n \
                      uses leaves[0..n]; proof = MerkleTree::proof(&[leafIndex]).proof_hashes(), \
                      bottom-up. Regenerate with UPDATE_TEST_VECTORS=1 cargo test -p \
                      rollup-contracts withdrawal_tree_vectors."
                .to_owned(),
        leaves,
        trees,
    }
}

fn committed_vectors() -> Vectors {
    let text = std::fs::read_to_string(vectors_path()).expect("test vectors exist");
    serde_json::from_str(&text).expect("test vectors parse")
}

#[test]
fn withdrawal_tree_vectors_are_reproduced_by_rs_merkle() {
    let generated = generate_vectors();
    let text = format!("{}\n", serde_json::to_string_pretty(&generated).unwrap());
    if std::env::var_os("UPDATE_TEST_VECTORS").is_some() {
        std::fs::create_dir_all(vectors_path().parent().unwrap()).unwrap();
        std::fs::write(vectors_path(), &text).unwrap();
    }
    let committed = std::fs::read_to_string(vectors_path()).expect("test vectors exist");
    assert!(committed == text, "test-vectors/withdrawal-tree.json differs from rs_merkle's output");
}

fn sol_verify(
    chain: &mut Chain,
    bridge: Address,
    root: B256,
    leaf: B256,
    index: u64,
    count: u64,
    proof: &[B256],
) -> bool {
    chain.view(
        bridge,
        Bridge::verifyMerkleProofCall {
            root,
            leaf,
            leafIndex: U256::from(index),
            leafCount: U256::from(count),
            proof: proof.to_vec(),
        },
    )
}

#[test]
fn withdrawal_tree_vectors_verify_in_solidity() {
    let mut chain = Chain::new();
    let bridge = chain.deploy(
        account(1),
        &Bridge::BYTECODE,
        Bridge::constructorCall { outputOracle: account(2) },
    );
    let vectors = committed_vectors();
    assert_eq!(vectors.trees.len() as u64, MAX_LEAVES);

    let mut checked = 0;
    let mut wrong_counts_rejected = 0;
    for tree in &vectors.trees {
        let n = tree.leaf_count;
        for v in &tree.proofs {
            let i = v.leaf_index;
            let ok = |chain: &mut Chain, index: u64, count: u64, proof: &[B256]| {
                sol_verify(chain, bridge, tree.root, v.leaf, index, count, proof)
            };
            assert!(ok(&mut chain, i, n, &v.proof), "valid proof rejected: n={n} i={i}");
            checked += 1;

            // Tampered proof elements.
            for k in 0..v.proof.len() {
                let mut bad = v.proof.clone();
                bad[k].0[31] ^= 1;
                assert!(!ok(&mut chain, i, n, &bad), "tampered proof accepted: n={n} i={i} k={k}");
            }
            // Extra / missing elements.
            let mut longer = v.proof.clone();
            longer.push(B256::repeat_byte(7));
            assert!(!ok(&mut chain, i, n, &longer), "extra element accepted: n={n} i={i}");
            if !v.proof.is_empty() {
                let shorter = &v.proof[..v.proof.len() - 1];
                assert!(!ok(&mut chain, i, n, shorter), "short proof accepted: n={n} i={i}");
            }
            // Tampered leaf / root.
            assert!(!sol_verify(&mut chain, bridge, tree.root, leaf(1000), i, n, &v.proof));
            assert!(!sol_verify(&mut chain, bridge, B256::repeat_byte(1), v.leaf, i, n, &v.proof));

            // Every wrong index fails.
            for j in (0..n).filter(|&j| j != i) {
                assert!(!ok(&mut chain, j, n, &v.proof), "wrong index accepted: n={n} i={i} j={j}");
            }
            // Out-of-range index / empty tree.
            assert!(!ok(&mut chain, n, n, &v.proof));
            assert!(!ok(&mut chain, i, 0, &v.proof));
            assert!(!ok(&mut chain, i, i, &v.proof));

            // Wrong counts: accepted exactly when they hash the proof the same way (then the
            // statement "leaf is in the tree with this root" is still true), else rejected.
            for c in (i + 1..=2 * n + 1).filter(|&c| c != n) {
                let same_shape = sibling_sides(i, c) == sibling_sides(i, n);
                assert_eq!(ok(&mut chain, i, c, &v.proof), same_shape, "n={n} i={i} count={c}");
                if !same_shape {
                    wrong_counts_rejected += 1;
                }
            }
        }
    }
    assert_eq!(checked, (1..=MAX_LEAVES).sum::<u64>());
    assert!(wrong_counts_rejected > 100, "only {wrong_counts_rejected} wrong counts rejected");
}

#[test]
fn extreme_indices_and_counts_return_false() {
    let mut chain = Chain::new();
    let bridge = chain.deploy(
        account(1),
        &Bridge::BYTECODE,
        Bridge::constructorCall { outputOracle: account(2) },
    );
    let leaves: Vec<B256> = (0..3).map(leaf).collect();
    let root = root(&leaves);
    let proof = proof(&leaves, 0);
    for (index, count) in [
        (U256::ZERO, U256::MAX),
        (U256::MAX - U256::from(1), U256::MAX),
        (U256::MAX, U256::MAX),
        (U256::MAX, U256::from(3)),
    ] {
        let call = Bridge::verifyMerkleProofCall {
            root,
            leaf: leaves[0],
            leafIndex: index,
            leafCount: count,
            proof: proof.clone(),
        };
        assert!(!chain.view(bridge, call), "index={index} count={count}");
    }
}
