//! World state: an in-memory account store that revm executes against and
//! that commits to the Ethereum Merkle-Patricia state root (alloy-trie), with
//! `eth_getProof` proofs and a record of what changed for persistence.

use alloy_primitives::{
    Address, B256, Bytes, U256, keccak256,
    map::{HashMap, HashSet},
};
use alloy_trie::{
    EMPTY_ROOT_HASH, HashBuilder, KECCAK_EMPTY, Nibbles, TrieAccount, proof::ProofRetainer,
};
use revm::{
    Database, DatabaseCommit, DatabaseRef,
    bytecode::Bytecode,
    primitives::{AddressMap, StorageKey, StorageValue},
    state::{Account, AccountInfo},
};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, convert::Infallible};

/// The world-state access the state transition function needs beyond revm's
/// [`Database`]: balance and nonce updates outside the EVM (deposit mints,
/// fee vaults) and the state root.
///
/// [`MemoryState`] implements it over a full in-memory state; a stateless
/// implementation over an MPT witness implements it for the L1 proof.
pub trait StateDb: Database + DatabaseCommit {
    /// Adds `amount` wei to the balance of `address` (creating the account).
    fn add_balance(&mut self, address: Address, amount: U256) -> Result<(), Self::Error>;
    /// Increments the nonce of `address` by one.
    fn bump_nonce(&mut self, address: Address) -> Result<(), Self::Error>;
    /// The Merkle-Patricia root of the state.
    fn state_root(&mut self) -> Result<B256, Self::Error>;
}

/// One account in [`MemoryState`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAccount {
    /// Nonce.
    pub nonce: u64,
    /// Balance, in wei.
    pub balance: U256,
    /// keccak256 of the code ([`KECCAK_EMPTY`] for none).
    pub code_hash: B256,
    /// Non-zero storage slots.
    pub storage: BTreeMap<U256, U256>,
    #[serde(skip)]
    storage_root: Option<B256>,
}

impl StoredAccount {
    fn info(&self) -> AccountInfo {
        // `code: None` makes revm load the code by hash when it needs it.
        AccountInfo {
            balance: self.balance,
            nonce: self.nonce,
            code_hash: self.code_hash,
            code: None,
            ..Default::default()
        }
    }

    fn storage_root(&mut self) -> B256 {
        *self.storage_root.get_or_insert_with(|| {
            alloy_trie::root::storage_root_unhashed(
                self.storage.iter().map(|(k, v)| (B256::from(*k), *v)),
            )
        })
    }
}

/// The fields of an account stored outside its storage trie.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    /// Nonce.
    pub nonce: u64,
    /// Balance, in wei.
    pub balance: U256,
    /// Code hash.
    pub code_hash: B256,
}

/// What changed in a [`MemoryState`] since the last [`MemoryState::take_changes`]:
/// the current values of every touched account, slot and new code, ready to
/// be written to storage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateChanges {
    /// Accounts written: `None` when the account no longer exists.
    pub accounts: Vec<(Address, Option<AccountRecord>)>,
    /// Accounts whose whole storage was wiped (self-destruct) before `storage`.
    pub wiped: Vec<Address>,
    /// Storage slots written (a zero value deletes the slot).
    pub storage: Vec<(Address, U256, U256)>,
    /// New contract codes by hash.
    pub codes: Vec<(B256, Bytes)>,
}

impl StateChanges {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.storage.is_empty() && self.codes.is_empty()
    }
}

/// An `eth_getProof` answer (EIP-1186).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountProof {
    /// The account.
    pub address: Address,
    /// Balance, in wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Code hash.
    pub code_hash: B256,
    /// Storage root.
    pub storage_hash: B256,
    /// Trie nodes from the state root to the account.
    pub account_proof: Vec<Bytes>,
    /// Per requested slot: key, value, nodes from the storage root.
    pub storage_proof: Vec<(B256, U256, Vec<Bytes>)>,
}

/// A full in-memory world state.
#[derive(Clone, Debug, Default)]
pub struct MemoryState {
    accounts: HashMap<Address, StoredAccount>,
    codes: HashMap<B256, Bytes>,
    block_hashes: BTreeMap<u64, B256>,
    dirty_accounts: HashSet<Address>,
    dirty_slots: HashSet<(Address, U256)>,
    wiped: HashSet<Address>,
    new_codes: HashSet<B256>,
}

impl MemoryState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// The account at `address`, if it exists.
    pub fn account(&self, address: &Address) -> Option<&StoredAccount> {
        self.accounts.get(address)
    }

    /// Every account (unordered).
    pub fn accounts(&self) -> impl Iterator<Item = (&Address, &StoredAccount)> {
        self.accounts.iter()
    }

    /// Balance of `address` in wei (zero if absent).
    pub fn balance(&self, address: &Address) -> U256 {
        self.accounts.get(address).map(|a| a.balance).unwrap_or_default()
    }

    /// Nonce of `address` (zero if absent).
    pub fn nonce(&self, address: &Address) -> u64 {
        self.accounts.get(address).map(|a| a.nonce).unwrap_or_default()
    }

    /// Code of `address` (empty if none).
    pub fn code(&self, address: &Address) -> Bytes {
        self.accounts
            .get(address)
            .and_then(|a| self.codes.get(&a.code_hash))
            .cloned()
            .unwrap_or_default()
    }

    /// Code by its hash.
    pub fn code_by_hash(&self, hash: &B256) -> Option<&Bytes> {
        self.codes.get(hash)
    }

    /// Storage value of `slot` at `address` (zero if unset).
    pub fn storage(&self, address: &Address, slot: U256) -> U256 {
        self.accounts.get(address).and_then(|a| a.storage.get(&slot).copied()).unwrap_or_default()
    }

    /// Sum of all balances, in wei.
    pub fn total_balance(&self) -> U256 {
        self.accounts.values().map(|a| a.balance).fold(U256::ZERO, |a, b| a.saturating_add(b))
    }

    /// Records the hash of block `number` for the `BLOCKHASH` opcode (the
    /// last 256 are kept).
    pub fn set_block_hash(&mut self, number: u64, hash: B256) {
        self.block_hashes.insert(number, hash);
        while self.block_hashes.len() > 256 {
            self.block_hashes.pop_first();
        }
    }

    /// Sets an account's balance, nonce and code (genesis allocations, dev
    /// methods such as `anvil_setBalance`).
    pub fn set_account(
        &mut self,
        address: Address,
        balance: U256,
        nonce: u64,
        code: Option<Bytes>,
    ) {
        let code_hash = match code {
            Some(code) if !code.is_empty() => {
                let hash = keccak256(&code);
                if self.codes.insert(hash, code).is_none() {
                    self.new_codes.insert(hash);
                }
                Some(hash)
            }
            _ => None,
        };
        let acc = self
            .accounts
            .entry(address)
            .or_insert_with(|| StoredAccount { code_hash: KECCAK_EMPTY, ..Default::default() });
        acc.balance = balance;
        acc.nonce = nonce;
        if let Some(hash) = code_hash {
            acc.code_hash = hash;
        }
        self.dirty_accounts.insert(address);
    }

    /// Sets one storage slot (genesis allocations).
    pub fn set_storage(&mut self, address: Address, slot: U256, value: U256) {
        let acc = self
            .accounts
            .entry(address)
            .or_insert_with(|| StoredAccount { code_hash: KECCAK_EMPTY, ..Default::default() });
        if value.is_zero() {
            acc.storage.remove(&slot);
        } else {
            acc.storage.insert(slot, value);
        }
        acc.storage_root = None;
        self.dirty_accounts.insert(address);
        self.dirty_slots.insert((address, slot));
    }

    /// Loads a persisted account (no change is recorded).
    pub fn load_account(&mut self, address: Address, nonce: u64, balance: U256, code_hash: B256) {
        let acc = self.accounts.entry(address).or_default();
        acc.nonce = nonce;
        acc.balance = balance;
        acc.code_hash = code_hash;
    }

    /// Loads a persisted storage slot (no change is recorded).
    pub fn load_storage(&mut self, address: Address, slot: U256, value: U256) {
        let acc = self.accounts.entry(address).or_default();
        acc.storage.insert(slot, value);
        acc.storage_root = None;
    }

    /// Loads a persisted code (no change is recorded).
    pub fn load_code(&mut self, code: Bytes) {
        self.codes.insert(keccak256(&code), code);
    }

    /// Takes the record of what changed since the last call.
    pub fn take_changes(&mut self) -> StateChanges {
        let mut changes = StateChanges::default();
        for address in self.dirty_accounts.drain() {
            let value = self.accounts.get(&address).map(|a| AccountRecord {
                nonce: a.nonce,
                balance: a.balance,
                code_hash: a.code_hash,
            });
            changes.accounts.push((address, value));
        }
        changes.wiped = self.wiped.drain().collect();
        for (address, slot) in self.dirty_slots.drain() {
            let value = self
                .accounts
                .get(&address)
                .and_then(|a| a.storage.get(&slot).copied())
                .unwrap_or_default();
            changes.storage.push((address, slot, value));
        }
        for hash in self.new_codes.drain() {
            if let Some(code) = self.codes.get(&hash) {
                changes.codes.push((hash, code.clone()));
            }
        }
        changes.accounts.sort_by_key(|(a, _)| *a);
        changes.storage.sort_by_key(|(a, s, _)| (*a, *s));
        changes
    }

    /// The Merkle-Patricia state root.
    pub fn compute_state_root(&mut self) -> B256 {
        self.root_with_proof(None).0
    }

    /// Builds the state trie, retaining the proof of `target` if given.
    fn root_with_proof(&mut self, target: Option<Nibbles>) -> (B256, Vec<Bytes>) {
        let mut leaves: Vec<(B256, TrieAccount)> = self
            .accounts
            .iter_mut()
            .map(|(address, acc)| {
                let account = TrieAccount {
                    nonce: acc.nonce,
                    balance: acc.balance,
                    storage_root: acc.storage_root(),
                    code_hash: acc.code_hash,
                };
                (keccak256(address), account)
            })
            .collect();
        leaves.sort_unstable_by_key(|(k, _)| *k);
        let mut hb = match &target {
            Some(t) => HashBuilder::default().with_proof_retainer(ProofRetainer::new(vec![*t])),
            None => HashBuilder::default(),
        };
        let mut buf = Vec::new();
        for (key, account) in &leaves {
            buf.clear();
            alloy_rlp::Encodable::encode(account, &mut buf);
            hb.add_leaf(Nibbles::unpack(key), &buf);
        }
        let root = hb.root();
        let proof = match target {
            Some(t) => hb
                .take_proof_nodes()
                .matching_nodes_sorted(&t)
                .into_iter()
                .map(|(_, node)| node)
                .collect(),
            None => Vec::new(),
        };
        (root, proof)
    }

    /// An EIP-1186 proof of `address` and its `slots` against the current root.
    pub fn proof(&mut self, address: Address, slots: &[B256]) -> AccountProof {
        let (_, account_proof) = self.root_with_proof(Some(Nibbles::unpack(keccak256(address))));
        let acc = self.accounts.get_mut(&address);
        let (balance, nonce, code_hash, storage_hash, storage) = match acc {
            Some(acc) => {
                (acc.balance, acc.nonce, acc.code_hash, acc.storage_root(), acc.storage.clone())
            }
            None => (U256::ZERO, 0, KECCAK_EMPTY, EMPTY_ROOT_HASH, BTreeMap::new()),
        };
        let mut storage_proof = Vec::with_capacity(slots.len());
        if !slots.is_empty() {
            let targets: Vec<Nibbles> =
                slots.iter().map(|s| Nibbles::unpack(keccak256(s))).collect();
            let mut hashed: Vec<(B256, U256)> =
                storage.iter().map(|(k, v)| (keccak256(B256::from(*k)), *v)).collect();
            hashed.sort_unstable_by_key(|(k, _)| *k);
            let mut hb =
                HashBuilder::default().with_proof_retainer(ProofRetainer::new(targets.clone()));
            for (k, v) in &hashed {
                hb.add_leaf(Nibbles::unpack(k), alloy_rlp::encode_fixed_size(v).as_ref());
            }
            let _ = hb.root();
            let nodes = hb.take_proof_nodes();
            for (slot, target) in slots.iter().zip(targets) {
                let value = storage.get(&U256::from_be_bytes(slot.0)).copied().unwrap_or_default();
                let path =
                    nodes.matching_nodes_sorted(&target).into_iter().map(|(_, n)| n).collect();
                storage_proof.push((*slot, value, path));
            }
        }
        AccountProof {
            address,
            balance,
            nonce,
            code_hash,
            storage_hash,
            account_proof,
            storage_proof,
        }
    }
}

impl DatabaseRef for MemoryState {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.accounts.get(&address).map(StoredAccount::info))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        Ok(self.codes.get(&code_hash).map(|c| Bytecode::new_raw(c.clone())).unwrap_or_default())
    }

    fn storage_ref(
        &self,
        address: Address,
        index: StorageKey,
    ) -> Result<StorageValue, Self::Error> {
        Ok(self.storage(&address, index))
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        Ok(self.block_hashes.get(&number).copied().unwrap_or_default())
    }
}

impl Database for MemoryState {
    type Error = Infallible;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        self.basic_ref(address)
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        self.code_by_hash_ref(code_hash)
    }

    fn storage(
        &mut self,
        address: Address,
        index: StorageKey,
    ) -> Result<StorageValue, Self::Error> {
        self.storage_ref(address, index)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, Self::Error> {
        self.block_hash_ref(number)
    }
}

impl DatabaseCommit for MemoryState {
    fn commit(&mut self, changes: AddressMap<Account>) {
        for (address, account) in changes {
            if !account.is_touched() {
                continue;
            }
            if account.is_selfdestructed() || account.is_empty() {
                // EIP-6780 destruction, or EIP-161 removal of a touched empty account.
                if let Some(old) = self.accounts.remove(&address) {
                    self.dirty_accounts.insert(address);
                    if !old.storage.is_empty() {
                        self.wiped.insert(address);
                        self.dirty_slots.retain(|(a, _)| *a != address);
                    }
                }
                continue;
            }
            if let Some(code) = &account.info.code
                && !code.is_empty()
                && !self.codes.contains_key(&account.info.code_hash)
            {
                self.codes.insert(account.info.code_hash, code.original_bytes());
                self.new_codes.insert(account.info.code_hash);
            }
            let acc = self.accounts.entry(address).or_default();
            if account.is_created() && !acc.storage.is_empty() {
                acc.storage.clear();
                self.wiped.insert(address);
            }
            acc.nonce = account.info.nonce;
            acc.balance = account.info.balance;
            acc.code_hash = account.info.code_hash;
            self.dirty_accounts.insert(address);
            let mut storage_changed = false;
            for (slot, value) in account.changed_storage_slots() {
                storage_changed = true;
                if value.present_value.is_zero() {
                    acc.storage.remove(slot);
                } else {
                    acc.storage.insert(*slot, value.present_value);
                }
                self.dirty_slots.insert((address, *slot));
            }
            if storage_changed {
                acc.storage_root = None;
            }
        }
    }
}

impl StateDb for MemoryState {
    fn add_balance(&mut self, address: Address, amount: U256) -> Result<(), Self::Error> {
        let acc = self
            .accounts
            .entry(address)
            .or_insert_with(|| StoredAccount { code_hash: KECCAK_EMPTY, ..Default::default() });
        acc.balance = acc.balance.saturating_add(amount);
        self.dirty_accounts.insert(address);
        Ok(())
    }

    fn bump_nonce(&mut self, address: Address) -> Result<(), Self::Error> {
        let acc = self
            .accounts
            .entry(address)
            .or_insert_with(|| StoredAccount { code_hash: KECCAK_EMPTY, ..Default::default() });
        acc.nonce += 1;
        self.dirty_accounts.insert(address);
        Ok(())
    }

    fn state_root(&mut self) -> Result<B256, Self::Error> {
        Ok(self.compute_state_root())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::proof::verify_proof;

    #[test]
    fn empty_state_has_the_empty_root() {
        assert_eq!(MemoryState::new().compute_state_root(), EMPTY_ROOT_HASH);
    }

    #[test]
    fn proofs_verify_against_the_root() {
        let mut s = MemoryState::new();
        for i in 1..50u8 {
            s.set_account(Address::repeat_byte(i), U256::from(i), u64::from(i), None);
        }
        s.set_storage(Address::repeat_byte(3), U256::from(1), U256::from(99));
        let root = s.compute_state_root();
        let p = s.proof(Address::repeat_byte(3), &[B256::from(U256::from(1))]);
        let account = TrieAccount {
            nonce: 3,
            balance: U256::from(3),
            storage_root: p.storage_hash,
            code_hash: KECCAK_EMPTY,
        };
        verify_proof(
            root,
            Nibbles::unpack(keccak256(Address::repeat_byte(3))),
            Some(alloy_rlp::encode(account)),
            &p.account_proof,
        )
        .unwrap();
        let (key, value, nodes) = &p.storage_proof[0];
        assert_eq!(*value, U256::from(99));
        verify_proof(
            p.storage_hash,
            Nibbles::unpack(keccak256(key)),
            Some(alloy_rlp::encode_fixed_size(value).to_vec()),
            nodes,
        )
        .unwrap();
        // a changed balance changes the root
        s.add_balance(Address::repeat_byte(3), U256::from(1)).unwrap();
        assert_ne!(s.compute_state_root(), root);
    }

    #[test]
    fn changes_record_current_values() {
        let mut s = MemoryState::new();
        s.set_account(Address::repeat_byte(1), U256::from(5), 0, Some(Bytes::from_static(&[0x60])));
        let c = s.take_changes();
        assert_eq!(c.accounts.len(), 1);
        assert_eq!(c.codes.len(), 1);
        assert!(s.take_changes().is_empty());
    }
}
