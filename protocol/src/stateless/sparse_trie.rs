//! A sparse Merkle-Patricia trie over a witness: the parts of a trie that a
//! block touches, with every untouched subtree kept as its hash.
//!
//! Nodes are resolved lazily by keccak256 hash from a [`NodeStore`] (the
//! witness); nodes shorter than 32 bytes are embedded in their parent and
//! decoded in place. A node that is needed but absent is an error
//! ([`WitnessError::MissingNode`]): the trie never guesses.

use super::WitnessError;
use alloy_primitives::{B256, Bytes, keccak256};
use alloy_rlp::{Decodable, EMPTY_STRING_CODE, Encodable};
use alloy_trie::{
    EMPTY_ROOT_HASH, Nibbles, TrieMask,
    nodes::{BranchNodeRef, ExtensionNodeRef, LeafNodeRef, RlpNode, TrieNode},
};
use std::{
    collections::{HashMap, HashSet},
    fmt,
    sync::{Arc, Mutex, PoisonError},
};

/// Length of a trie key in nibbles (keys are 32-byte hashes).
const KEY_NIBBLES: usize = 64;

/// The trie nodes of a witness by keccak256 hash, with a record of which of
/// them were looked up (to prune a witness down to what execution needs).
#[derive(Default)]
pub(crate) struct NodeStore {
    nodes: HashMap<B256, Bytes>,
    used: Mutex<HashSet<B256>>,
}

impl fmt::Debug for NodeStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeStore").field("nodes", &self.nodes.len()).finish_non_exhaustive()
    }
}

impl NodeStore {
    /// A store of `nodes` (RLP-encoded trie nodes, in any order).
    pub(crate) fn new<I, N>(nodes: I) -> Self
    where
        I: IntoIterator<Item = N>,
        N: AsRef<[u8]>,
    {
        let nodes = nodes
            .into_iter()
            .map(|n| {
                let n = n.as_ref();
                (keccak256(n), Bytes::copy_from_slice(n))
            })
            .collect();
        Self { nodes, used: Mutex::default() }
    }

    /// The node with hash `hash`, recording the lookup.
    fn get(&self, hash: B256) -> Result<&Bytes, WitnessError> {
        let node = self.nodes.get(&hash).ok_or(WitnessError::MissingNode(hash))?;
        self.used.lock().unwrap_or_else(PoisonError::into_inner).insert(hash);
        Ok(node)
    }

    /// Hashes of every node looked up so far.
    pub(crate) fn used(&self) -> HashSet<B256> {
        self.used.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// A trie node; `Hash` is an unresolved subtree.
#[derive(Clone, Debug, Default)]
enum Node {
    #[default]
    Empty,
    Hash(B256),
    Leaf(Nibbles, Vec<u8>),
    Extension(Nibbles, Box<Self>),
    Branch(Box<[Self; 16]>),
}

fn empty_children() -> Box<[Node; 16]> {
    Box::new(std::array::from_fn(|_| Node::Empty))
}

/// `prefix` followed by `branch`: the branch itself, or an extension to it.
fn wrap(prefix: Nibbles, branch: Node) -> Node {
    if prefix.is_empty() { branch } else { Node::Extension(prefix, Box::new(branch)) }
}

fn join(prefix: &Nibbles, rest: &Nibbles) -> Result<Nibbles, WitnessError> {
    if prefix.len() + rest.len() > KEY_NIBBLES {
        return Err(WitnessError::MalformedTrie("path longer than a key"));
    }
    Ok(prefix.join(rest))
}

/// `child` moved one or more nibbles (`prefix`) up: a leaf or extension
/// absorbs the prefix, a branch gets an extension above it.
fn prepend(prefix: Nibbles, child: Node) -> Result<Node, WitnessError> {
    Ok(match child {
        Node::Empty => Node::Empty,
        Node::Leaf(key, value) => Node::Leaf(join(&prefix, &key)?, value),
        Node::Extension(key, grandchild) => Node::Extension(join(&prefix, &key)?, grandchild),
        branch @ (Node::Branch(_) | Node::Hash(_)) => Node::Extension(prefix, Box::new(branch)),
    })
}

/// Decodes one RLP trie node; `id` names it in errors (its hash, or the hash
/// of the node embedding it).
fn decode_node(bytes: &[u8], id: B256) -> Result<Node, WitnessError> {
    let invalid = || WitnessError::InvalidNode(id);
    let mut buf = bytes;
    let node = TrieNode::decode(&mut buf).map_err(|_| invalid())?;
    // Canonical encoding only: the bytes must be exactly what encoding the
    // decoded node gives back.
    if !buf.is_empty() || alloy_rlp::encode(&node) != bytes {
        return Err(invalid());
    }
    match node {
        TrieNode::EmptyRoot => Err(invalid()),
        TrieNode::Leaf(leaf) if leaf.value.is_empty() => Err(invalid()),
        TrieNode::Leaf(leaf) => Ok(Node::Leaf(leaf.key, leaf.value)),
        TrieNode::Extension(ext) if ext.key.is_empty() => Err(invalid()),
        TrieNode::Extension(ext) => {
            Ok(Node::Extension(ext.key, Box::new(child_reference(&ext.child, id)?)))
        }
        TrieNode::Branch(branch) => {
            if branch.state_mask.count_ones() < 2 {
                return Err(invalid());
            }
            let mut children = empty_children();
            let mut stack = branch.stack.iter();
            for (i, child) in children.iter_mut().enumerate() {
                if branch.state_mask.is_bit_set(i as u8) {
                    let reference = stack.next().ok_or_else(invalid)?;
                    *child = child_reference(reference, id)?;
                }
            }
            Ok(Node::Branch(children))
        }
    }
}

/// A child reference: `rlp(keccak(node))`, or the node itself when its
/// encoding is shorter than 32 bytes.
fn child_reference(reference: &RlpNode, id: B256) -> Result<Node, WitnessError> {
    let bytes = reference.as_slice();
    if bytes.len() == 33 && bytes[0] == EMPTY_STRING_CODE + 32 {
        Ok(Node::Hash(B256::from_slice(&bytes[1..])))
    } else if bytes.len() < 32 {
        decode_node(bytes, id)
    } else {
        Err(WitnessError::InvalidNode(id))
    }
}

/// Appends the RLP encoding of `node` to `out`.
fn encode_node(node: &Node, out: &mut Vec<u8>) {
    match node {
        Node::Empty => out.push(EMPTY_STRING_CODE),
        Node::Hash(hash) => hash.encode(out),
        Node::Leaf(key, value) => LeafNodeRef::new(key, value).encode(out),
        Node::Extension(key, child) => {
            let child = reference(child);
            ExtensionNodeRef::new(key, &child).encode(out);
        }
        Node::Branch(children) => {
            let mut stack = Vec::with_capacity(16);
            let mut mask = TrieMask::default();
            for (i, child) in children.iter().enumerate() {
                if !matches!(child, Node::Empty) {
                    stack.push(reference(child));
                    mask.set_bit(i as u8);
                }
            }
            BranchNodeRef::new(&stack, mask).encode(out);
        }
    }
}

/// How a parent refers to `node`.
fn reference(node: &Node) -> RlpNode {
    match node {
        Node::Hash(hash) => RlpNode::word_rlp(hash),
        _ => {
            let mut buf = Vec::new();
            encode_node(node, &mut buf);
            RlpNode::from_rlp(&buf)
        }
    }
}

/// A sparse Merkle-Patricia trie with 32-byte keys (hashed keys, as in the
/// Ethereum state and storage tries), built from its root hash and a
/// witness of RLP-encoded nodes.
///
/// Nodes are resolved lazily, by hash, when an operation walks through them;
/// subtrees never walked stay hash stubs and still count towards
/// [`SparseTrie::root`]. Every operation that needs a node absent from the
/// witness fails with [`WitnessError::MissingNode`], including a deletion
/// that collapses a branch whose remaining child is a stub (the remaining
/// child must be decoded to know whether it merges into a leaf or an
/// extension). Witness nodes must be canonically encoded.
#[derive(Clone, Debug)]
pub struct SparseTrie {
    root: Node,
    store: Arc<NodeStore>,
}

impl Default for SparseTrie {
    /// An empty trie (root [`EMPTY_ROOT_HASH`]).
    fn default() -> Self {
        Self { root: Node::Empty, store: Arc::default() }
    }
}

impl SparseTrie {
    /// The trie with root `root`, resolving nodes from `nodes` (RLP-encoded
    /// trie nodes, in any order; extra nodes are ignored).
    pub fn new<I, N>(root: B256, nodes: I) -> Self
    where
        I: IntoIterator<Item = N>,
        N: AsRef<[u8]>,
    {
        Self::with_store(root, Arc::new(NodeStore::new(nodes)))
    }

    /// The trie with root `root` over a shared node store.
    pub(crate) fn with_store(root: B256, store: Arc<NodeStore>) -> Self {
        let root = if root == EMPTY_ROOT_HASH { Node::Empty } else { Node::Hash(root) };
        Self { root, store }
    }

    fn load(&self, hash: B256) -> Result<Node, WitnessError> {
        decode_node(self.store.get(hash)?, hash)
    }

    /// The value at `key`, if any.
    pub fn get(&self, key: &[u8; 32]) -> Result<Option<Vec<u8>>, WitnessError> {
        self.get_at(&self.root, &Nibbles::unpack(key), 0)
    }

    fn get_at(
        &self,
        node: &Node,
        key: &Nibbles,
        depth: usize,
    ) -> Result<Option<Vec<u8>>, WitnessError> {
        match node {
            Node::Empty => Ok(None),
            Node::Hash(hash) => self.get_at(&self.load(*hash)?, key, depth),
            Node::Leaf(rest, value) => Ok((key.slice(depth..) == *rest).then(|| value.clone())),
            Node::Extension(prefix, child) => {
                if key.slice(depth..).starts_with(prefix) {
                    self.get_at(child, key, depth + prefix.len())
                } else {
                    Ok(None)
                }
            }
            Node::Branch(children) => match key.get(depth) {
                Some(nibble) => self.get_at(&children[nibble as usize], key, depth + 1),
                None => Err(WitnessError::MalformedTrie("branch at the end of a key")),
            },
        }
    }

    /// Sets the value at `key`; an empty value removes the key (an MPT never
    /// stores empty values).
    pub fn insert(&mut self, key: &[u8; 32], value: Vec<u8>) -> Result<(), WitnessError> {
        if value.is_empty() {
            return self.remove(key).map(drop);
        }
        let mut root = std::mem::take(&mut self.root);
        let result = self.insert_at(&mut root, &Nibbles::unpack(key), 0, value);
        self.root = root;
        result
    }

    fn insert_at(
        &self,
        node: &mut Node,
        key: &Nibbles,
        depth: usize,
        value: Vec<u8>,
    ) -> Result<(), WitnessError> {
        if let Node::Hash(hash) = node {
            *node = self.load(*hash)?;
        }
        match node {
            Node::Empty => *node = Node::Leaf(key.slice(depth..), value),
            Node::Hash(_) => return Err(WitnessError::MalformedTrie("unresolved node")),
            Node::Leaf(leaf_key, leaf_value) => {
                let rest = key.slice(depth..);
                if *leaf_key == rest {
                    *leaf_value = value;
                    return Ok(());
                }
                let common = leaf_key.common_prefix_length(&rest);
                if common >= leaf_key.len() || common >= rest.len() {
                    return Err(WitnessError::MalformedTrie("leaf key of the wrong length"));
                }
                let mut children = empty_children();
                children[leaf_key.get_unchecked(common) as usize] =
                    Node::Leaf(leaf_key.slice(common + 1..), std::mem::take(leaf_value));
                children[rest.get_unchecked(common) as usize] =
                    Node::Leaf(rest.slice(common + 1..), value);
                *node = wrap(rest.slice(..common), Node::Branch(children));
            }
            Node::Extension(prefix, child) => {
                let rest = key.slice(depth..);
                let common = prefix.common_prefix_length(&rest);
                if common == prefix.len() {
                    return self.insert_at(child, key, depth + common, value);
                }
                if common >= rest.len() {
                    return Err(WitnessError::MalformedTrie("extension past the end of a key"));
                }
                // Split the extension where the new key leaves it; its child
                // moves as a stub (its absolute path is unchanged).
                let mut children = empty_children();
                let tail = prefix.slice(common + 1..);
                let old_child = std::mem::take(child.as_mut());
                children[prefix.get_unchecked(common) as usize] = if tail.is_empty() {
                    old_child
                } else {
                    Node::Extension(tail, Box::new(old_child))
                };
                children[rest.get_unchecked(common) as usize] =
                    Node::Leaf(rest.slice(common + 1..), value);
                *node = wrap(rest.slice(..common), Node::Branch(children));
            }
            Node::Branch(children) => {
                let nibble = key
                    .get(depth)
                    .ok_or(WitnessError::MalformedTrie("branch at the end of a key"))?;
                return self.insert_at(&mut children[nibble as usize], key, depth + 1, value);
            }
        }
        Ok(())
    }

    /// Removes `key`; returns whether it was present.
    pub fn remove(&mut self, key: &[u8; 32]) -> Result<bool, WitnessError> {
        let mut root = std::mem::take(&mut self.root);
        let result = self.remove_at(&mut root, &Nibbles::unpack(key), 0);
        self.root = root;
        result
    }

    fn remove_at(
        &self,
        node: &mut Node,
        key: &Nibbles,
        depth: usize,
    ) -> Result<bool, WitnessError> {
        if let Node::Hash(hash) = node {
            *node = self.load(*hash)?;
        }
        match node {
            Node::Empty => Ok(false),
            Node::Hash(_) => Err(WitnessError::MalformedTrie("unresolved node")),
            Node::Leaf(rest, _) => {
                if key.slice(depth..) != *rest {
                    return Ok(false);
                }
                *node = Node::Empty;
                Ok(true)
            }
            Node::Extension(prefix, child) => {
                if !key.slice(depth..).starts_with(prefix)
                    || !self.remove_at(child, key, depth + prefix.len())?
                {
                    return Ok(false);
                }
                // The child was resolved by the removal: merge it if it is no
                // longer a branch.
                let prefix = *prefix;
                let child = std::mem::take(child.as_mut());
                *node = prepend(prefix, child)?;
                Ok(true)
            }
            Node::Branch(children) => {
                let nibble = key
                    .get(depth)
                    .ok_or(WitnessError::MalformedTrie("branch at the end of a key"))?;
                if !self.remove_at(&mut children[nibble as usize], key, depth + 1)? {
                    return Ok(false);
                }
                let mut left = children
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| !matches!(c, Node::Empty))
                    .map(|(i, _)| i);
                match (left.next(), left.next()) {
                    (Some(_), Some(_)) => {}
                    (None, _) => *node = Node::Empty,
                    (Some(only), None) => {
                        // Collapse: the remaining child must be known to
                        // merge it (leaf/extension) or point to it (branch).
                        let mut child = std::mem::take(&mut children[only]);
                        if let Node::Hash(hash) = child {
                            child = self.load(hash)?;
                        }
                        *node = prepend(Nibbles::from_nibbles([only as u8]), child)?;
                    }
                }
                Ok(true)
            }
        }
    }

    /// The root hash ([`EMPTY_ROOT_HASH`] when empty).
    pub fn root(&self) -> B256 {
        match &self.root {
            Node::Empty => EMPTY_ROOT_HASH,
            Node::Hash(hash) => *hash,
            node => {
                let mut buf = Vec::new();
                encode_node(node, &mut buf);
                keccak256(buf)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::{HashBuilder, proof::ProofRetainer};
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// Root and the nodes on the paths to `targets` of the trie over `entries`.
    fn proof_nodes(entries: &BTreeMap<B256, Vec<u8>>, targets: &[B256]) -> (B256, Vec<Bytes>) {
        let targets = targets.iter().map(Nibbles::unpack).collect();
        let mut hb = HashBuilder::default().with_proof_retainer(ProofRetainer::new(targets));
        for (k, v) in entries {
            hb.add_leaf(Nibbles::unpack(k), v);
        }
        let root = hb.root();
        (root, hb.take_proof_nodes().into_inner().into_values().collect())
    }

    fn root_of(entries: &BTreeMap<B256, Vec<u8>>) -> B256 {
        proof_nodes(entries, &[]).0
    }

    fn key(i: u8) -> B256 {
        keccak256([i])
    }

    #[test]
    fn empty_trie() {
        let mut t = SparseTrie::default();
        assert_eq!(t.root(), EMPTY_ROOT_HASH);
        assert_eq!(t.get(&key(1).0).unwrap(), None);
        assert!(!t.remove(&key(1).0).unwrap());
        t.insert(&key(1).0, vec![1]).unwrap();
        assert_ne!(t.root(), EMPTY_ROOT_HASH);
        assert!(t.remove(&key(1).0).unwrap());
        assert_eq!(t.root(), EMPTY_ROOT_HASH);
    }

    #[test]
    fn a_node_outside_the_witness_is_an_error() {
        let entries: BTreeMap<B256, Vec<u8>> = (0..40).map(|i| (key(i), vec![i + 1; 40])).collect();
        let (root, nodes) = proof_nodes(&entries, &[key(1)]);
        let t = SparseTrie::new(root, &nodes);
        assert_eq!(t.root(), root);
        assert_eq!(t.get(&key(1).0).unwrap(), Some(vec![2; 40]));
        // an absent key on the proven path is provably absent
        let t2 = SparseTrie::new(root, Vec::<Bytes>::new());
        assert_eq!(t2.get(&key(1).0), Err(WitnessError::MissingNode(root)));
        // another key needs nodes that are not there
        assert!(matches!(t.get(&key(2).0), Err(WitnessError::MissingNode(_))));
    }

    #[test]
    fn collapsing_needs_the_sibling() {
        let entries: BTreeMap<B256, Vec<u8>> = (0..2).map(|i| (key(i), vec![7; 40])).collect();
        let (root, nodes) = proof_nodes(&entries, &[key(0)]);
        let mut t = SparseTrie::new(root, &nodes);
        assert!(matches!(t.remove(&key(0).0), Err(WitnessError::MissingNode(_))));
        let (_, nodes) = proof_nodes(&entries, &[key(0), key(1)]);
        let mut t = SparseTrie::new(root, &nodes);
        assert!(t.remove(&key(0).0).unwrap());
        let mut rest = entries;
        rest.remove(&key(0));
        assert_eq!(t.root(), root_of(&rest));
    }

    #[test]
    fn tampered_and_non_canonical_nodes_are_rejected() {
        let entries: BTreeMap<B256, Vec<u8>> = (0..20).map(|i| (key(i), vec![i + 1; 40])).collect();
        let (root, nodes) = proof_nodes(&entries, &[key(3)]);
        for i in 0..nodes.len() {
            let mut bad = nodes.clone();
            let mut node = bad[i].to_vec();
            let last = node.len() - 1;
            node[last] ^= 1;
            bad[i] = node.into();
            assert!(SparseTrie::new(root, &bad).get(&key(3).0).is_err());
        }
        // a node with a trailing byte is stored under its own hash, and a
        // root pointing at it is rejected as non-canonical
        let mut padded = nodes[0].to_vec();
        padded.push(0);
        let t = SparseTrie::new(keccak256(&padded), [padded]);
        assert!(t.get(&key(3).0).is_err());
    }

    /// Initial entries, and changes: `(insert, key, value)`.
    type Ops = (Vec<(u8, Vec<u8>)>, Vec<(bool, u8, Vec<u8>)>);

    /// Random initial entries and changes.
    fn ops() -> impl Strategy<Value = Ops> {
        let value = prop::collection::vec(any::<u8>(), 1..40);
        (
            prop::collection::vec((any::<u8>(), value.clone()), 0..60),
            prop::collection::vec((any::<bool>(), any::<u8>(), value), 0..60),
        )
    }

    proptest! {
        /// With only the nodes a generator includes for the final diff
        /// (paths of every changed key, plus the paths of the final key set's
        /// neighbours of every deleted key), applying the diff inserts first
        /// then deletions gives the root of the resulting set.
        #[test]
        fn neighbour_witness_suffices_for_a_diff((initial, changes) in ops()) {
            let before: BTreeMap<B256, Vec<u8>> =
                initial.into_iter().map(|(k, v)| (key(k), v)).collect();
            let mut after = before.clone();
            for (insert, k, v) in &changes {
                if *insert { after.insert(key(*k), v.clone()); } else { after.remove(&key(*k)); }
            }
            let touched: Vec<B256> = changes.iter().map(|(_, k, _)| key(*k)).collect();
            let final_keys: Vec<B256> = after.keys().copied().collect();
            let mut targets = touched.clone();
            for k in touched.iter().filter(|k| before.contains_key(*k) && !after.contains_key(*k)) {
                let i = final_keys.partition_point(|f| f < k);
                targets.extend(i.checked_sub(1).map(|j| final_keys[j]));
                targets.extend(final_keys.get(i).copied());
            }
            let (root, nodes) = proof_nodes(&before, &targets);
            let mut t = SparseTrie::new(root, &nodes);
            let mut removed: Vec<B256> = Vec::new();
            for k in touched.iter().collect::<std::collections::BTreeSet<_>>() {
                match after.get(k) {
                    Some(v) => t.insert(&k.0, v.clone()).unwrap(),
                    None => removed.push(*k),
                }
            }
            for k in removed {
                t.remove(&k.0).unwrap();
            }
            prop_assert_eq!(t.root(), root_of(&after));
            for k in &touched {
                prop_assert_eq!(t.get(&k.0).unwrap(), after.get(k).cloned());
            }
        }
    }
}
