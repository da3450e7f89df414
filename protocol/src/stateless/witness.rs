//! The [`Witness`] of one block, its encoding, and its generation from the
//! full pre-state ([`build_witness`]).

use super::{WitnessDb, WitnessError};
use crate::{BlockInputs, MemoryState, RollupConfig, StateDb, StfError, execute_block};
use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_rlp::{Decodable, RlpDecodable, RlpEncodable};
use alloy_trie::{HashBuilder, Nibbles, proof::ProofRetainer};
use revm::{
    Database, DatabaseCommit,
    bytecode::Bytecode,
    primitives::{AddressMap, StorageKey, StorageValue},
    state::{Account, AccountInfo},
};
use serde::{Deserialize, Serialize};
use std::{
    collections::{BTreeMap, BTreeSet},
    convert::Infallible,
};

/// Everything stateless execution of one block reads from the pre-state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Witness {
    /// The pre-state root (the parent header's state root).
    pub state_root: B256,
    /// RLP-encoded trie nodes of the state trie and of the storage tries, in
    /// any order (looked up by keccak256).
    pub nodes: Vec<Bytes>,
    /// Bytecodes, in any order (looked up by keccak256).
    pub codes: Vec<Bytes>,
    /// Hashes of the blocks `BLOCKHASH` reads, by number.
    pub block_hashes: Vec<(u64, B256)>,
    /// RLP headers of the parent's ancestors, back to the oldest block whose
    /// hash `BLOCKHASH` reads: they link every hash in `block_hashes` to the
    /// parent header through `parent_hash`, so none is taken on trust.
    #[serde(default)]
    pub ancestors: Vec<Bytes>,
}

#[derive(RlpEncodable, RlpDecodable)]
struct BlockHashRlp {
    number: u64,
    hash: B256,
}

#[derive(RlpEncodable, RlpDecodable)]
struct WitnessRlp {
    state_root: B256,
    nodes: Vec<Bytes>,
    codes: Vec<Bytes>,
    block_hashes: Vec<BlockHashRlp>,
    ancestors: Vec<Bytes>,
}

impl Witness {
    fn to_rlp(&self) -> WitnessRlp {
        WitnessRlp {
            state_root: self.state_root,
            nodes: self.nodes.clone(),
            codes: self.codes.clone(),
            block_hashes: self
                .block_hashes
                .iter()
                .map(|(number, hash)| BlockHashRlp { number: *number, hash: *hash })
                .collect(),
            ancestors: self.ancestors.clone(),
        }
    }

    fn from_rlp(w: WitnessRlp) -> Self {
        Self {
            state_root: w.state_root,
            nodes: w.nodes,
            codes: w.codes,
            block_hashes: w.block_hashes.into_iter().map(|b| (b.number, b.hash)).collect(),
            ancestors: w.ancestors,
        }
    }

    /// The RLP encoding `[state_root, [node, ...], [code, ...], [[number,
    /// hash], ...], [ancestor header, ...]]`, as passed to the L1 `EXECUTE`
    /// precompile.
    pub fn encode(&self) -> Vec<u8> {
        alloy_rlp::encode(self.to_rlp())
    }

    /// Decodes [`Witness::encode`]'s output (exactly: no trailing bytes).
    pub fn decode(bytes: &[u8]) -> Result<Self, WitnessError> {
        alloy_rlp::decode_exact(bytes).map(Self::from_rlp).map_err(WitnessError::Decode)
    }
}

impl alloy_rlp::Encodable for Witness {
    fn encode(&self, out: &mut dyn alloy_rlp::BufMut) {
        self.to_rlp().encode(out);
    }

    fn length(&self) -> usize {
        self.to_rlp().length()
    }
}

impl alloy_rlp::Decodable for Witness {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        WitnessRlp::decode(buf).map(Self::from_rlp)
    }
}

/// A [`MemoryState`] that records every account, slot, code and block hash
/// execution reads or writes.
#[derive(Debug)]
struct RecordingDb {
    state: MemoryState,
    accounts: BTreeSet<Address>,
    slots: BTreeSet<(Address, U256)>,
    codes: BTreeSet<B256>,
    block_hashes: BTreeMap<u64, B256>,
}

impl Database for RecordingDb {
    type Error = Infallible;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        self.accounts.insert(address);
        self.state.basic(address)
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        self.codes.insert(code_hash);
        Database::code_by_hash(&mut self.state, code_hash)
    }

    fn storage(
        &mut self,
        address: Address,
        index: StorageKey,
    ) -> Result<StorageValue, Self::Error> {
        self.accounts.insert(address);
        self.slots.insert((address, index));
        Database::storage(&mut self.state, address, index)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, Self::Error> {
        let hash = self.state.block_hash(number)?;
        self.block_hashes.insert(number, hash);
        Ok(hash)
    }
}

impl DatabaseCommit for RecordingDb {
    fn commit(&mut self, changes: AddressMap<Account>) {
        for (address, account) in &changes {
            self.accounts.insert(*address);
            self.slots.extend(account.storage.keys().map(|slot| (*address, *slot)));
        }
        self.state.commit(changes);
    }
}

impl StateDb for RecordingDb {
    fn add_balance(&mut self, address: Address, amount: U256) -> Result<(), Self::Error> {
        self.accounts.insert(address);
        self.state.add_balance(address, amount)
    }

    fn bump_nonce(&mut self, address: Address) -> Result<(), Self::Error> {
        self.accounts.insert(address);
        self.state.bump_nonce(address)
    }

    fn state_root(&mut self) -> Result<B256, Self::Error> {
        self.state.state_root()
    }
}

/// The root of the trie over `leaves` (sorted by key) and every node on the
/// paths to `targets` (present or not).
fn multiproof(leaves: &[(B256, Vec<u8>)], targets: &[B256]) -> (B256, Vec<Bytes>) {
    let targets = targets.iter().map(Nibbles::unpack).collect();
    let mut hb = HashBuilder::default().with_proof_retainer(ProofRetainer::new(targets));
    for (key, value) in leaves {
        hb.add_leaf(Nibbles::unpack(key), value);
    }
    let root = hb.root();
    (root, hb.take_proof_nodes().into_inner().into_values().collect())
}

/// Adds to `targets` the neighbours in `final_keys` (sorted) of each of
/// `deleted`: a branch that collapses when a key is deleted keeps one child,
/// and that child holds a neighbour of the key in the final key set (or a
/// key still to be deleted, which is a target anyway).
fn add_neighbours(targets: &mut Vec<B256>, final_keys: &[B256], deleted: &[B256]) {
    for key in deleted {
        let i = final_keys.partition_point(|k| k < key);
        targets.extend(i.checked_sub(1).map(|j| final_keys[j]));
        targets.extend(final_keys.get(i).copied());
    }
}

fn slot_key(slot: &U256) -> B256 {
    keccak256(B256::from(*slot))
}

fn sorted_leaves(mut leaves: Vec<(B256, Vec<u8>)>) -> Vec<(B256, Vec<u8>)> {
    leaves.sort_unstable_by_key(|(k, _)| *k);
    leaves
}

impl RecordingDb {
    /// A witness holding everything the recorded execution may need: the
    /// pre-state proofs of every recorded account and slot, of the
    /// post-state neighbours of every deleted key, the codes and the block
    /// hashes read.
    fn superset(&self, pre: &MemoryState) -> Witness {
        let post = &self.state;
        let leaves = pre.account_leaves();
        let mut targets: Vec<B256> = self.accounts.iter().map(keccak256).collect();
        let deleted: Vec<B256> = self
            .accounts
            .iter()
            .filter(|a| pre.account(a).is_some() && post.account(a).is_none())
            .map(keccak256)
            .collect();
        if !deleted.is_empty() {
            let mut final_keys: Vec<B256> = post.accounts().map(|(a, _)| keccak256(a)).collect();
            final_keys.sort_unstable();
            add_neighbours(&mut targets, &final_keys, &deleted);
        }
        let (state_root, mut nodes) = multiproof(&leaves, &targets);

        let mut slots_by_account: BTreeMap<Address, Vec<U256>> = BTreeMap::new();
        for (address, slot) in &self.slots {
            slots_by_account.entry(*address).or_default().push(*slot);
        }
        for (address, slots) in slots_by_account {
            let Some(acc) = pre.account(&address).filter(|a| !a.storage.is_empty()) else {
                continue;
            };
            let mut targets: Vec<B256> = slots.iter().map(slot_key).collect();
            if let Some(post_acc) = post.account(&address) {
                let deleted: Vec<B256> = slots
                    .iter()
                    .filter(|s| acc.storage.contains_key(s) && !post_acc.storage.contains_key(s))
                    .map(slot_key)
                    .collect();
                if !deleted.is_empty() {
                    let mut final_keys: Vec<B256> = post_acc.storage.keys().map(slot_key).collect();
                    final_keys.sort_unstable();
                    add_neighbours(&mut targets, &final_keys, &deleted);
                }
            }
            let leaves = sorted_leaves(
                acc.storage
                    .iter()
                    .map(|(k, v)| (slot_key(k), alloy_rlp::encode_fixed_size(v).to_vec()))
                    .collect(),
            );
            nodes.extend(multiproof(&leaves, &targets).1);
        }

        Witness {
            state_root,
            nodes,
            codes: self.codes.iter().filter_map(|h| pre.code_by_hash(h).cloned()).collect(),
            block_hashes: self.block_hashes.iter().map(|(n, h)| (*n, *h)).collect(),
            ancestors: Vec::new(),
        }
    }
}

/// Builds the witness for executing the child of `parent` with `inputs` on
/// `pre` (the full pre-state, whose root is `parent.state_root`).
///
/// Executes the block on a copy of `pre` while recording what it reads,
/// collects pre-state proofs of all of it (plus the deletion neighbours, see
/// the module docs), executes the block statelessly over that, checks that
/// both executions give the same block, and keeps only the nodes, codes and
/// block hashes the stateless execution used. The result is deterministic
/// (nodes and codes sorted by hash, block hashes by number).
pub fn build_witness(
    pre: &MemoryState,
    config: &RollupConfig,
    parent: &Header,
    inputs: &BlockInputs,
) -> Result<Witness, WitnessError> {
    build_witness_with_ancestors(pre, config, parent, inputs, &[])
}

/// [`build_witness`] for a block that may read `BLOCKHASH` of blocks older
/// than its parent: `ancestors` holds (at least) the headers of those blocks
/// and of every block between them and the parent, which the witness carries
/// so the hashes are proven, not trusted.
pub fn build_witness_with_ancestors(
    pre: &MemoryState,
    config: &RollupConfig,
    parent: &Header,
    inputs: &BlockInputs,
    ancestors: &[Header],
) -> Result<Witness, WitnessError> {
    let mut recorder = RecordingDb {
        state: pre.clone(),
        accounts: BTreeSet::new(),
        slots: BTreeSet::new(),
        codes: BTreeSet::new(),
        block_hashes: BTreeMap::new(),
    };
    let expected = match execute_block(config, &mut recorder, parent, inputs) {
        Ok(block) => block,
        Err(StfError::Database(never)) => match never {},
    };
    let mut superset = recorder.superset(pre);
    let oldest = superset.block_hashes.iter().map(|(n, _)| *n).min().unwrap_or(parent.number);
    for number in oldest..parent.number {
        let header = ancestors
            .iter()
            .find(|h| h.number == number)
            .ok_or(WitnessError::MissingBlockHash(number))?;
        superset.ancestors.push(alloy_rlp::encode(header).into());
    }

    let mut db = WitnessDb::for_parent(&superset, parent)?;
    let got = execute_block(config, &mut db, parent, inputs).map_err(|StfError::Database(e)| e)?;
    if got.hash != expected.hash {
        return Err(WitnessError::Unreproducible { expected: expected.hash, got: got.hash });
    }

    let used = db.used_nodes();
    let mut nodes: Vec<(B256, Bytes)> = superset
        .nodes
        .into_iter()
        .map(|n| (keccak256(&n), n))
        .filter(|(h, _)| used.contains(h))
        .collect();
    nodes.sort_unstable_by_key(|(h, _)| *h);
    nodes.dedup_by_key(|(h, _)| *h);
    let mut codes: Vec<(B256, Bytes)> = superset
        .codes
        .into_iter()
        .map(|c| (keccak256(&c), c))
        .filter(|(h, _)| db.used_codes().contains(h))
        .collect();
    codes.sort_unstable_by_key(|(h, _)| *h);
    codes.dedup_by_key(|(h, _)| *h);
    let block_hashes: Vec<(u64, B256)> = superset
        .block_hashes
        .into_iter()
        .filter(|(n, _)| db.used_block_hashes().contains(n))
        .collect();
    // Only the ancestors linking the oldest used hash to the parent.
    let oldest_used = block_hashes.iter().map(|(n, _)| *n).min().unwrap_or(parent.number);
    let ancestors = superset
        .ancestors
        .into_iter()
        .filter(|rlp| Header::decode(&mut rlp.as_ref()).is_ok_and(|h| h.number >= oldest_used))
        .collect();
    Ok(Witness {
        state_root: superset.state_root,
        nodes: nodes.into_iter().map(|(_, n)| n).collect(),
        codes: codes.into_iter().map(|(_, c)| c).collect(),
        block_hashes,
        ancestors,
    })
}
