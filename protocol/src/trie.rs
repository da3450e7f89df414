//! An incremental Merkle-Patricia trie: the whole trie in memory, every node
//! caching its reference (its RLP encoding when shorter than 32 bytes, else
//! `rlp(keccak256(encoding))`), so a root costs O(changed keys x depth)
//! instead of O(keys).
//!
//! An insert or removal walks the key's path and clears the cached reference
//! of every node on it; [`IncrementalTrie::root`] rehashes exactly the nodes
//! whose reference is cleared, reusing every other cached one. The cleared
//! paths are the trie's "prefix set" in reth's terms (reth keeps the set of
//! changed key prefixes and walks only those paths of its stored branch
//! nodes; here the marks live on the nodes themselves). Keys are 32-byte
//! hashes (64 nibbles), as in the Ethereum state and storage tries, so no key
//! is a prefix of another and branch nodes never hold a value.
//!
//! The encoding is alloy-trie's ([`LeafNodeRef`], [`ExtensionNodeRef`],
//! [`BranchNodeRef`]): the root equals [`alloy_trie::HashBuilder`]'s over the
//! same leaves (checked by property tests), and [`IncrementalTrie::proof`]
//! gives the same nodes as its proof retainer (EIP-1186 `eth_getProof`).

use alloy_primitives::{B256, Bytes, keccak256};
use alloy_rlp::EMPTY_STRING_CODE;
use alloy_trie::{
    EMPTY_ROOT_HASH, Nibbles, TrieMask,
    nodes::{BranchNodeRef, ExtensionNodeRef, LeafNodeRef, RlpNode},
};

/// A trie node with its cached reference (`None`: changed since the last
/// hashing, rehashed by the next [`IncrementalTrie::root`]).
#[derive(Clone, Debug, Default)]
enum Node {
    #[default]
    Empty,
    Leaf {
        key: Nibbles,
        value: Vec<u8>,
        cached: Option<RlpNode>,
    },
    Extension {
        key: Nibbles,
        child: Box<Self>,
        cached: Option<RlpNode>,
    },
    Branch {
        children: Box<[Option<Box<Self>>; 16]>,
        cached: Option<RlpNode>,
    },
}

/// What an insert did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Insert {
    Unchanged,
    Updated,
    Added,
}

fn no_children() -> Box<[Option<Box<Node>>; 16]> {
    Box::new(std::array::from_fn(|_| None))
}

impl Node {
    fn leaf(key: Nibbles, value: Vec<u8>) -> Self {
        Self::Leaf { key, value, cached: None }
    }

    /// `prefix` then `node`: the node itself, or an extension above it.
    fn under(prefix: Nibbles, node: Self) -> Self {
        if prefix.is_empty() {
            node
        } else {
            Self::Extension { key: prefix, child: Box::new(node), cached: None }
        }
    }

    /// Inserts `value` at `path` (the rest of the key below this node).
    fn insert(&mut self, path: Nibbles, value: Vec<u8>) -> Insert {
        match self {
            Self::Empty => {
                *self = Self::leaf(path, value);
                Insert::Added
            }
            Self::Leaf { key, value: old, cached } => {
                if *key == path {
                    if *old == value {
                        return Insert::Unchanged;
                    }
                    *old = value;
                    *cached = None;
                    return Insert::Updated;
                }
                let common = key.common_prefix_length(&path);
                let mut children = no_children();
                let old_key = *key;
                let old_value = std::mem::take(old);
                children[old_key.get_unchecked(common) as usize] =
                    Some(Box::new(Self::leaf(old_key.slice(common + 1..), old_value)));
                children[path.get_unchecked(common) as usize] =
                    Some(Box::new(Self::leaf(path.slice(common + 1..), value)));
                *self = Self::under(path.slice(..common), Self::Branch { children, cached: None });
                Insert::Added
            }
            Self::Extension { key, child, cached } => {
                let common = key.common_prefix_length(&path);
                if common == key.len() {
                    let change = child.insert(path.slice(common..), value);
                    if change != Insert::Unchanged {
                        *cached = None;
                    }
                    return change;
                }
                // Split the extension at the first differing nibble.
                let ext_key = *key;
                let old_child = std::mem::take(child.as_mut());
                let mut children = no_children();
                children[ext_key.get_unchecked(common) as usize] =
                    Some(Box::new(Self::under(ext_key.slice(common + 1..), old_child)));
                children[path.get_unchecked(common) as usize] =
                    Some(Box::new(Self::leaf(path.slice(common + 1..), value)));
                *self = Self::under(path.slice(..common), Self::Branch { children, cached: None });
                Insert::Added
            }
            Self::Branch { children, cached } => {
                let slot = &mut children[path.get_unchecked(0) as usize];
                let rest = path.slice(1..);
                let change = match slot {
                    Some(child) => child.insert(rest, value),
                    None => {
                        *slot = Some(Box::new(Self::leaf(rest, value)));
                        Insert::Added
                    }
                };
                if change != Insert::Unchanged {
                    *cached = None;
                }
                change
            }
        }
    }

    /// Removes `path`; returns whether it was there. The trie stays in
    /// canonical form: a branch left with one child merges into it, an
    /// extension merges with an extension or leaf below it.
    fn remove(&mut self, path: &Nibbles) -> bool {
        match self {
            Self::Empty => false,
            Self::Leaf { key, .. } => {
                if key == path {
                    *self = Self::Empty;
                    true
                } else {
                    false
                }
            }
            Self::Extension { key, child, .. } => {
                if !path.starts_with(key) {
                    return false;
                }
                if !child.remove(&path.slice(key.len()..)) {
                    return false;
                }
                let prefix = *key;
                let child = std::mem::take(child.as_mut());
                *self = prepend(prefix, child);
                true
            }
            Self::Branch { children, cached } => {
                let index = path.get_unchecked(0) as usize;
                let Some(child) = children[index].as_mut() else { return false };
                if !child.remove(&path.slice(1..)) {
                    return false;
                }
                if matches!(**child, Self::Empty) {
                    children[index] = None;
                }
                *cached = None;
                let mut left = children.iter().enumerate().filter(|(_, c)| c.is_some());
                if let (Some((only, _)), None) = (left.next(), left.next()) {
                    let child = children[only].take().map(|c| *c).unwrap_or_default();
                    *self = prepend(Nibbles::from_nibbles_unchecked([only as u8]), child);
                }
                true
            }
        }
    }

    /// The value at `path`.
    fn get(&self, path: &Nibbles) -> Option<&[u8]> {
        match self {
            Self::Empty => None,
            Self::Leaf { key, value, .. } => (key == path).then_some(value.as_slice()),
            Self::Extension { key, child, .. } => {
                if path.starts_with(key) {
                    child.get(&path.slice(key.len()..))
                } else {
                    None
                }
            }
            Self::Branch { children, .. } => {
                children[path.get_unchecked(0) as usize].as_ref()?.get(&path.slice(1..))
            }
        }
    }

    /// The node's reference, rehashing the changed nodes below it; `buf` is
    /// scratch space.
    fn reference(&mut self, buf: &mut Vec<u8>) -> RlpNode {
        match self {
            Self::Empty => RlpNode::from_rlp(&[EMPTY_STRING_CODE]),
            Self::Leaf { key, value, cached } => {
                if let Some(r) = cached {
                    return r.clone();
                }
                buf.clear();
                let r = LeafNodeRef::new(key, value).rlp(buf);
                *cached = Some(r.clone());
                r
            }
            Self::Extension { key, child, cached } => {
                if let Some(r) = cached {
                    return r.clone();
                }
                let child_ref = child.reference(buf);
                buf.clear();
                let r = ExtensionNodeRef::new(key, &child_ref).rlp(buf);
                *cached = Some(r.clone());
                r
            }
            Self::Branch { children, cached } => {
                if let Some(r) = cached {
                    return r.clone();
                }
                let mut stack = Vec::with_capacity(16);
                let mut mask = TrieMask::default();
                for (i, child) in children.iter_mut().enumerate() {
                    if let Some(child) = child {
                        stack.push(child.reference(buf));
                        mask.set_bit(i as u8);
                    }
                }
                buf.clear();
                let r = BranchNodeRef::new(&stack, mask).rlp(buf);
                *cached = Some(r.clone());
                r
            }
        }
    }

    /// The full RLP encoding of this node (its references must be cached).
    fn encode(&mut self, buf: &mut Vec<u8>) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Self::Empty => out.push(EMPTY_STRING_CODE),
            Self::Leaf { key, value, .. } => {
                LeafNodeRef::new(key, value).rlp(&mut out);
            }
            Self::Extension { key, child, .. } => {
                let child_ref = child.reference(buf);
                ExtensionNodeRef::new(key, &child_ref).rlp(&mut out);
            }
            Self::Branch { children, .. } => {
                let mut stack = Vec::with_capacity(16);
                let mut mask = TrieMask::default();
                for (i, child) in children.iter_mut().enumerate() {
                    if let Some(child) = child {
                        stack.push(child.reference(buf));
                        mask.set_bit(i as u8);
                    }
                }
                BranchNodeRef::new(&stack, mask).rlp(&mut out);
            }
        }
        out
    }
}

/// `child` moved up under `prefix`: a leaf or extension absorbs it, a
/// branch gets an extension above it.
fn prepend(prefix: Nibbles, child: Node) -> Node {
    match child {
        Node::Empty => Node::Empty,
        Node::Leaf { key, value, .. } => Node::leaf(prefix.join(&key), value),
        Node::Extension { key, child, .. } => {
            Node::Extension { key: prefix.join(&key), child, cached: None }
        }
        branch @ Node::Branch { .. } => Node::under(prefix, branch),
    }
}

/// A Merkle-Patricia trie over 32-byte keys that rehashes only what changed
/// since its last root (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct IncrementalTrie {
    root: Node,
    len: usize,
    /// Inserts and removals since the last root (an upper bound of the
    /// paths to rehash).
    pending: usize,
}

/// Changed keys from which [`IncrementalTrie::root`] rehashes the root's
/// subtries in parallel.
const PARALLEL_REHASH_KEYS: usize = 4_096;

impl IncrementalTrie {
    /// An empty trie (root [`EMPTY_ROOT_HASH`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of keys.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether the trie has no keys.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sets `key` (a keccak256 hash) to `value` (its RLP, non-empty);
    /// O(depth).
    pub fn insert(&mut self, key: &B256, value: Vec<u8>) {
        debug_assert!(!value.is_empty(), "an empty value is a removal");
        self.pending += 1;
        if self.root.insert(Nibbles::unpack(key), value) == Insert::Added {
            self.len += 1;
        }
    }

    /// Removes `key`; O(depth). Returns whether it was there.
    pub fn remove(&mut self, key: &B256) -> bool {
        let removed = self.root.remove(&Nibbles::unpack(key));
        if removed {
            self.len -= 1;
            self.pending += 1;
        }
        removed
    }

    /// The value at `key`.
    pub fn get(&self, key: &B256) -> Option<&[u8]> {
        self.root.get(&Nibbles::unpack(key))
    }

    /// The root hash, rehashing only the nodes changed since the last call.
    pub fn root(&mut self) -> B256 {
        if matches!(self.root, Node::Empty) {
            return EMPTY_ROOT_HASH;
        }
        // A root branch with many changed keys below it (a start building
        // the tries, a huge block): its 16 subtries rehash on rayon's
        // threads, then the root as usual.
        if self.pending >= PARALLEL_REHASH_KEYS
            && let Node::Branch { children, cached: None } = &mut self.root
        {
            use rayon::prelude::*;
            children.par_iter_mut().flatten().for_each(|child| {
                let _ = child.reference(&mut Vec::with_capacity(600));
            });
        }
        self.pending = 0;
        let mut buf = Vec::with_capacity(600);
        let r = self.root.reference(&mut buf);
        r.as_hash().unwrap_or_else(|| keccak256(r.as_slice()))
    }

    /// The nodes from the root towards `key` (EIP-1186): every node whose
    /// path is a prefix of `key`, root first, each RLP-encoded in full (also
    /// nodes short enough to be embedded in their parent), as alloy-trie's
    /// proof retainer gives them. For a key that is absent, the nodes up to
    /// where its path leaves the trie (an exclusion proof); for an empty
    /// trie, the empty node.
    pub fn proof(&mut self, key: &B256) -> Vec<Bytes> {
        let _ = self.root();
        let mut buf = Vec::new();
        let mut out = Vec::new();
        let path = Nibbles::unpack(key);
        let mut depth = 0;
        let mut node = &mut self.root;
        loop {
            out.push(Bytes::from(node.encode(&mut buf)));
            node = match node {
                Node::Empty | Node::Leaf { .. } => break,
                Node::Extension { key, child, .. } => {
                    if !path.slice(depth..).starts_with(key) {
                        break;
                    }
                    depth += key.len();
                    child.as_mut()
                }
                Node::Branch { children, .. } => {
                    match children[path.get_unchecked(depth) as usize].as_mut() {
                        Some(child) => {
                            depth += 1;
                            child.as_mut()
                        }
                        None => break,
                    }
                }
            };
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::{HashBuilder, proof::ProofRetainer};
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// The root and proofs of `leaves` built from scratch by alloy-trie.
    fn reference(leaves: &BTreeMap<B256, Vec<u8>>, targets: &[B256]) -> (B256, Vec<Vec<Bytes>>) {
        let nibbles: Vec<Nibbles> = targets.iter().map(Nibbles::unpack).collect();
        let mut hb =
            HashBuilder::default().with_proof_retainer(ProofRetainer::new(nibbles.clone()));
        for (k, v) in leaves {
            hb.add_leaf(Nibbles::unpack(k), v);
        }
        let root = hb.root();
        let nodes = hb.take_proof_nodes();
        let proofs = nibbles
            .iter()
            .map(|t| nodes.matching_nodes_sorted(t).into_iter().map(|(_, n)| n).collect())
            .collect();
        (root, proofs)
    }

    fn key(i: u16) -> B256 {
        keccak256(i.to_be_bytes())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// After any sequence of rounds of inserts, updates and removals,
        /// the incremental root and proofs equal alloy-trie's from scratch.
        #[test]
        fn incremental_root_matches_a_rebuild(
            rounds in prop::collection::vec(
                prop::collection::vec((0u16..300, prop::option::of(1u8..=255)), 1..60),
                1..8,
            ),
        ) {
            let mut trie = IncrementalTrie::new();
            let mut model = BTreeMap::new();
            for round in rounds {
                for (k, v) in round {
                    match v {
                        // values of several lengths: embedded and hashed nodes
                        Some(v) => {
                            let value = vec![v; usize::from(v % 40) + 1];
                            trie.insert(&key(k), value.clone());
                            model.insert(key(k), value);
                        }
                        None => {
                            prop_assert_eq!(trie.remove(&key(k)), model.remove(&key(k)).is_some());
                        }
                    }
                }
                let targets = [key(0), key(1), key(150), key(299)];
                let (root, proofs) = reference(&model, &targets);
                prop_assert_eq!(trie.root(), root);
                prop_assert_eq!(trie.len(), model.len());
                for (target, proof) in targets.iter().zip(proofs) {
                    prop_assert_eq!(trie.proof(target), proof);
                }
            }
        }
    }

    #[test]
    fn removing_everything_gives_the_empty_root() {
        let mut trie = IncrementalTrie::new();
        for i in 0..100 {
            trie.insert(&key(i), vec![1, 2, 3]);
        }
        assert_ne!(trie.root(), EMPTY_ROOT_HASH);
        for i in 0..100 {
            assert!(trie.remove(&key(i)));
        }
        assert!(!trie.remove(&key(0)));
        assert_eq!(trie.root(), EMPTY_ROOT_HASH);
        assert_eq!(trie.proof(&key(0)), vec![Bytes::from_static(&[EMPTY_STRING_CODE])]);
    }
}
