//! World state: an in-memory account store that revm executes against and
//! that commits to the Ethereum Merkle-Patricia state root, with
//! `eth_getProof` proofs and a record of what changed for persistence.
//!
//! The state root is incremental: the account trie and every storage trie
//! are kept in memory ([`IncrementalTrie`]) with each node's hash cached.
//! Writes mark the accounts and slots they touch; the next root applies
//! those to the tries and rehashes only the paths they changed, so a block's
//! root costs O(touched accounts and slots x trie depth), not O(state).

use crate::trie::IncrementalTrie;
use alloy_primitives::{
    Address, B256, Bytes, U256, keccak256,
    map::{HashMap, HashSet},
};
use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY, TrieAccount};
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
}

impl StoredAccount {
    fn record(&self) -> AccountRecord {
        AccountRecord { nonce: self.nonce, balance: self.balance, code_hash: self.code_hash }
    }

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
}

/// Touched accounts from which their trie leaves are encoded on rayon's
/// threads ([`MemoryState::compute_state_root`]).
const PARALLEL_LEAVES: usize = 4_096;

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

/// The values accounts and slots had before a change (a block's changeset,
/// as reth's `AccountChangeSets`/`StorageChangeSets`): what historical state
/// reads and unwinds restore.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changeset {
    /// Every account changed, with its previous fields (`None`: it did not
    /// exist).
    pub accounts: Vec<(Address, Option<AccountRecord>)>,
    /// Every slot changed (including every slot of a storage that was
    /// wiped), with its previous value (zero: unset).
    pub storage: Vec<(Address, U256, U256)>,
}

impl Changeset {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.storage.is_empty()
    }
}

/// What changed in a [`MemoryState`] since the last [`MemoryState::take_changes`]:
/// the current values of every touched account, slot and new code, ready to
/// be written to storage, and the values they had before ([`Changeset`]).
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
    /// The previous values of everything changed.
    #[serde(default)]
    pub previous: Changeset,
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

/// A full in-memory world state with an incremental state root (see the
/// module docs).
#[derive(Clone, Debug, Default)]
pub struct MemoryState {
    accounts: HashMap<Address, StoredAccount>,
    codes: HashMap<B256, Bytes>,
    block_hashes: BTreeMap<u64, B256>,
    // What changed since the last `take_changes` (persistence).
    dirty_accounts: HashSet<Address>,
    dirty_slots: HashSet<(Address, U256)>,
    wiped: HashSet<Address>,
    new_codes: HashSet<B256>,
    prev_accounts: HashMap<Address, Option<AccountRecord>>,
    prev_slots: HashMap<(Address, U256), U256>,
    // The commitment: the account trie, each account's storage trie, and
    // what changed since the last root (the "prefix sets").
    account_trie: IncrementalTrie,
    storage_tries: HashMap<Address, IncrementalTrie>,
    trie_accounts: HashSet<Address>,
    trie_slots: HashSet<(Address, U256)>,
}

impl MemoryState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes the value of `address` before its first change since the last
    /// [`Self::take_changes`].
    fn record_account(&mut self, address: Address) {
        if !self.prev_accounts.contains_key(&address) {
            let prev = self.accounts.get(&address).map(StoredAccount::record);
            self.prev_accounts.insert(address, prev);
        }
    }

    /// Notes the value of a slot before its first change.
    fn record_slot(&mut self, address: Address, slot: U256) {
        if !self.prev_slots.contains_key(&(address, slot)) {
            let prev = Self::storage(self, &address, slot);
            self.prev_slots.insert((address, slot), prev);
        }
    }

    /// Notes every slot of `address` before its storage is wiped.
    fn record_wipe(&mut self, address: Address) {
        if let Some(acc) = self.accounts.get(&address) {
            for (slot, value) in &acc.storage {
                self.prev_slots.entry((address, *slot)).or_insert(*value);
            }
        }
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
        self.record_account(address);
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
        self.trie_accounts.insert(address);
    }

    /// Sets one storage slot (genesis allocations).
    pub fn set_storage(&mut self, address: Address, slot: U256, value: U256) {
        self.record_account(address);
        self.record_slot(address, slot);
        let acc = self
            .accounts
            .entry(address)
            .or_insert_with(|| StoredAccount { code_hash: KECCAK_EMPTY, ..Default::default() });
        if value.is_zero() {
            acc.storage.remove(&slot);
        } else {
            acc.storage.insert(slot, value);
        }
        self.dirty_accounts.insert(address);
        self.dirty_slots.insert((address, slot));
        self.trie_accounts.insert(address);
        self.trie_slots.insert((address, slot));
    }

    /// Makes room for `additional` more accounts (before loading a stored
    /// state whose size is known).
    pub fn reserve_accounts(&mut self, additional: usize) {
        self.accounts.reserve(additional);
        self.trie_accounts.reserve(additional);
    }

    /// Loads a persisted account (no change is recorded).
    pub fn load_account(&mut self, address: Address, nonce: u64, balance: U256, code_hash: B256) {
        let acc = self.accounts.entry(address).or_default();
        acc.nonce = nonce;
        acc.balance = balance;
        acc.code_hash = code_hash;
        self.trie_accounts.insert(address);
    }

    /// Loads a persisted storage slot (no change is recorded).
    pub fn load_storage(&mut self, address: Address, slot: U256, value: U256) {
        let acc = self.accounts.entry(address).or_default();
        acc.storage.insert(slot, value);
        self.trie_accounts.insert(address);
        self.trie_slots.insert((address, slot));
    }

    /// Loads a persisted code (no change is recorded).
    pub fn load_code(&mut self, code: Bytes) {
        self.codes.insert(keccak256(&code), code);
    }

    /// Undoes every change since the last [`Self::take_changes`] (a block
    /// executed but not kept): accounts and slots go back to their previous
    /// values and the tries to match.
    pub fn discard_changes(&mut self) {
        let changes = self.take_changes();
        for (address, record) in changes.previous.accounts {
            self.restore_account(address, record);
        }
        for (address, slot, value) in changes.previous.storage {
            self.restore_storage(address, slot, value);
        }
        let _ = self.take_changes();
        let _ = self.compute_state_root();
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
        changes.previous.accounts = self.prev_accounts.drain().collect();
        changes.previous.storage = self.prev_slots.drain().map(|((a, s), v)| (a, s, v)).collect();
        changes.previous.accounts.sort_by_key(|(a, _)| *a);
        changes.previous.storage.sort_by_key(|(a, s, _)| (*a, *s));
        changes
    }

    /// Puts `address` back to `record` (`None`: deletes it with its
    /// storage), as an unwind does; no change is recorded for persistence
    /// (the store restores its own copy).
    pub fn restore_account(&mut self, address: Address, record: Option<AccountRecord>) {
        match record {
            Some(record) => {
                let acc = self.accounts.entry(address).or_default();
                acc.nonce = record.nonce;
                acc.balance = record.balance;
                acc.code_hash = record.code_hash;
            }
            None => {
                self.accounts.remove(&address);
                self.wipe_storage_trie(address);
            }
        }
        self.trie_accounts.insert(address);
    }

    /// Puts a slot back to `value` (zero: unset), as an unwind does; no
    /// change is recorded for persistence.
    pub fn restore_storage(&mut self, address: Address, slot: U256, value: U256) {
        if value.is_zero() {
            if let Some(acc) = self.accounts.get_mut(&address) {
                acc.storage.remove(&slot);
            }
        } else {
            self.accounts.entry(address).or_default().storage.insert(slot, value);
        }
        self.trie_accounts.insert(address);
        self.trie_slots.insert((address, slot));
    }

    /// Forgets the hashes of blocks above `number` (after an unwind).
    pub fn truncate_block_hashes(&mut self, number: u64) {
        let _ = self.block_hashes.split_off(&(number + 1));
    }

    /// The Merkle-Patricia state root: applies the accounts and slots
    /// touched since the last root to the tries and rehashes only their
    /// paths.
    pub fn compute_state_root(&mut self) -> B256 {
        self.update_tries();
        self.account_trie.root()
    }

    /// Brings the tries up to date with the accounts and slots touched
    /// since the last call.
    fn update_tries(&mut self) {
        for (address, slot) in self.trie_slots.drain() {
            let key = keccak256(B256::from(slot));
            let value = self.accounts.get(&address).and_then(|a| a.storage.get(&slot));
            match value {
                Some(value) if !value.is_zero() => {
                    self.storage_tries
                        .entry(address)
                        .or_default()
                        .insert(&key, alloy_rlp::encode_fixed_size(value).to_vec());
                }
                _ => {
                    if let Some(trie) = self.storage_tries.get_mut(&address) {
                        trie.remove(&key);
                    }
                }
            }
        }
        // Storage roots first (they need the storage tries mutably), then
        // each touched account's key and leaf, on rayon's threads when there
        // are many (a start loads every account), inserted in key order: a
        // sorted walk keeps the trie's upper nodes in cache.
        let touched: Vec<Address> = self.trie_accounts.drain().collect();
        let mut storage_roots: HashMap<Address, B256> = HashMap::default();
        for address in &touched {
            if let Some(trie) = self.storage_tries.get_mut(address)
                && !trie.is_empty()
            {
                storage_roots.insert(*address, trie.root());
            }
        }
        let accounts = &self.accounts;
        let leaf = |address: &Address| {
            let value = accounts.get(address).map(|acc| {
                alloy_rlp::encode(TrieAccount {
                    nonce: acc.nonce,
                    balance: acc.balance,
                    storage_root: storage_roots.get(address).copied().unwrap_or(EMPTY_ROOT_HASH),
                    code_hash: acc.code_hash,
                })
            });
            (keccak256(address), *address, value)
        };
        let mut leaves: Vec<(B256, Address, Option<Vec<u8>>)> = if touched.len() >= PARALLEL_LEAVES
        {
            use rayon::prelude::*;
            touched.par_iter().map(leaf).collect()
        } else {
            touched.iter().map(leaf).collect()
        };
        leaves.sort_unstable_by_key(|(key, _, _)| *key);
        for (key, address, value) in leaves {
            match value {
                Some(value) => self.account_trie.insert(&key, value),
                None => {
                    self.storage_tries.remove(&address);
                    self.account_trie.remove(&key);
                }
            }
        }
    }

    /// The storage root of `address` ([`EMPTY_ROOT_HASH`] for none).
    pub fn storage_root(&mut self, address: &Address) -> B256 {
        self.update_tries();
        self.storage_tries.get_mut(address).map_or(EMPTY_ROOT_HASH, IncrementalTrie::root)
    }

    /// Marks the storage of `address` as deleted in the commitment.
    fn wipe_storage_trie(&mut self, address: Address) {
        self.storage_tries.remove(&address);
        self.trie_slots.retain(|(a, _)| *a != address);
        self.trie_accounts.insert(address);
    }

    /// Every account as an account-trie leaf, `(keccak256(address),
    /// rlp(TrieAccount))` sorted by key, with each storage root rebuilt from
    /// its slots. O(state): for reference roots (tests, the state benchmark)
    /// and witnesses, never for a block's root ([`Self::compute_state_root`]).
    pub fn account_leaves(&self) -> Vec<(B256, Vec<u8>)> {
        let mut leaves: Vec<(B256, Vec<u8>)> = self
            .accounts()
            .map(|(address, acc)| {
                let account = TrieAccount {
                    nonce: acc.nonce,
                    balance: acc.balance,
                    storage_root: alloy_trie::root::storage_root_unhashed(
                        acc.storage.iter().map(|(k, v)| (B256::from(*k), *v)),
                    ),
                    code_hash: acc.code_hash,
                };
                (keccak256(address), alloy_rlp::encode(account))
            })
            .collect();
        leaves.sort_unstable_by_key(|(k, _)| *k);
        leaves
    }

    /// The state root rebuilt from scratch with alloy-trie's `HashBuilder`
    /// over [`Self::account_leaves`]: the reference the incremental root
    /// ([`Self::compute_state_root`]) must equal. O(state).
    pub fn full_state_root(&self) -> B256 {
        let mut hb = alloy_trie::HashBuilder::default();
        for (key, value) in self.account_leaves() {
            hb.add_leaf(alloy_trie::Nibbles::unpack(key), &value);
        }
        hb.root()
    }

    /// An EIP-1186 proof of `address` and its `slots` against the current
    /// root, from the same tries the root is computed on.
    pub fn proof(&mut self, address: Address, slots: &[B256]) -> AccountProof {
        self.update_tries();
        let _ = self.account_trie.root();
        let account_proof = self.account_trie.proof(&keccak256(address));
        let storage_hash = self.storage_root(&address);
        let (balance, nonce, code_hash) = match self.accounts.get(&address) {
            Some(acc) => (acc.balance, acc.nonce, acc.code_hash),
            None => (U256::ZERO, 0, KECCAK_EMPTY),
        };
        let mut empty = IncrementalTrie::new();
        let mut storage_proof = Vec::with_capacity(slots.len());
        for slot in slots {
            let value = Self::storage(self, &address, U256::from_be_bytes(slot.0));
            let trie = self.storage_tries.get_mut(&address).unwrap_or(&mut empty);
            storage_proof.push((*slot, value, trie.proof(&keccak256(slot))));
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
                if self.accounts.contains_key(&address) {
                    self.record_account(address);
                    self.record_wipe(address);
                }
                if let Some(old) = self.accounts.remove(&address) {
                    self.dirty_accounts.insert(address);
                    self.trie_accounts.insert(address);
                    if !old.storage.is_empty() {
                        self.wiped.insert(address);
                        self.dirty_slots.retain(|(a, _)| *a != address);
                    }
                    self.wipe_storage_trie(address);
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
            self.record_account(address);
            let wipe = account.is_created()
                && self.accounts.get(&address).is_some_and(|a| !a.storage.is_empty());
            if wipe {
                self.record_wipe(address);
            }
            for (slot, _) in account.changed_storage_slots() {
                self.record_slot(address, *slot);
            }
            let acc = self.accounts.entry(address).or_default();
            if wipe {
                acc.storage.clear();
                self.wiped.insert(address);
            }
            acc.nonce = account.info.nonce;
            acc.balance = account.info.balance;
            acc.code_hash = account.info.code_hash;
            for (slot, value) in account.changed_storage_slots() {
                if value.present_value.is_zero() {
                    acc.storage.remove(slot);
                } else {
                    acc.storage.insert(*slot, value.present_value);
                }
            }
            if wipe {
                self.wipe_storage_trie(address);
            }
            self.dirty_accounts.insert(address);
            self.trie_accounts.insert(address);
            for (slot, _) in account.changed_storage_slots() {
                self.dirty_slots.insert((address, *slot));
                self.trie_slots.insert((address, *slot));
            }
        }
    }
}

impl StateDb for MemoryState {
    fn add_balance(&mut self, address: Address, amount: U256) -> Result<(), Self::Error> {
        self.record_account(address);
        let acc = self
            .accounts
            .entry(address)
            .or_insert_with(|| StoredAccount { code_hash: KECCAK_EMPTY, ..Default::default() });
        acc.balance = acc.balance.saturating_add(amount);
        self.dirty_accounts.insert(address);
        self.trie_accounts.insert(address);
        Ok(())
    }

    fn bump_nonce(&mut self, address: Address) -> Result<(), Self::Error> {
        self.record_account(address);
        let acc = self
            .accounts
            .entry(address)
            .or_insert_with(|| StoredAccount { code_hash: KECCAK_EMPTY, ..Default::default() });
        acc.nonce += 1;
        self.dirty_accounts.insert(address);
        self.trie_accounts.insert(address);
        Ok(())
    }

    fn state_root(&mut self) -> Result<B256, Self::Error> {
        Ok(self.compute_state_root())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::{Nibbles, proof::verify_proof};

    #[test]
    fn discarded_changes_leave_the_state_as_it_was() {
        let mut s = MemoryState::new();
        s.set_account(Address::repeat_byte(1), U256::from(10), 1, None);
        s.set_storage(Address::repeat_byte(1), U256::from(1), U256::from(7));
        let root = s.compute_state_root();
        let _ = s.take_changes();
        // A block that changes a balance and a slot, creates an account...
        s.set_account(Address::repeat_byte(1), U256::from(11), 2, None);
        s.set_storage(Address::repeat_byte(1), U256::from(1), U256::from(8));
        s.set_storage(Address::repeat_byte(1), U256::from(2), U256::from(9));
        s.set_account(Address::repeat_byte(2), U256::from(5), 0, None);
        assert_ne!(s.compute_state_root(), root);
        // ...is not kept.
        s.discard_changes();
        assert_eq!(s.compute_state_root(), root);
        assert_eq!(s.balance(&Address::repeat_byte(1)), U256::from(10));
        assert_eq!(s.storage(&Address::repeat_byte(1), U256::from(1)), U256::from(7));
        assert_eq!(s.storage(&Address::repeat_byte(1), U256::from(2)), U256::ZERO);
        assert!(s.take_changes().is_empty(), "nothing left to persist");
    }

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

    /// One change to the state, as a block makes them.
    #[derive(Clone, Debug)]
    enum Op {
        /// Create or update an account (balance, nonce).
        Account(u8, u64, u64),
        /// Write a slot (zero deletes it), through the EVM commit path.
        Slot(u8, u8, u64),
        /// Delete the account (EIP-6780 self-destruct), storage and all.
        Destroy(u8),
        /// Re-create the account over its storage (clears every slot).
        Recreate(u8),
        /// Credit through the STF's balance path.
        Credit(u8, u64),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            (0u8..24, 1u64..1000, 0u64..5).prop_map(|(a, b, n)| Op::Account(a, b, n)),
            (0u8..24, 0u8..12, 0u64..4).prop_map(|(a, s, v)| Op::Slot(a, s, v)),
            (0u8..24, 0u8..12, 1u64..1_000_000).prop_map(|(a, s, v)| Op::Slot(a, s, v)),
            (0u8..24).prop_map(Op::Destroy),
            (0u8..24).prop_map(Op::Recreate),
            (0u8..24, 1u64..100).prop_map(|(a, v)| Op::Credit(a, v)),
        ]
    }

    fn evm_account(state: &MemoryState, address: Address) -> Account {
        let info = state.basic_ref(address).unwrap().unwrap_or_default();
        Account::default()
            .with_info(AccountInfo { balance: info.balance.max(U256::from(1)), ..info })
    }

    fn apply(state: &mut MemoryState, op: &Op) {
        let addr = |a: u8| Address::with_last_byte(a);
        match *op {
            Op::Account(a, balance, nonce) => {
                state.set_account(addr(a), U256::from(balance), nonce, None);
            }
            Op::Slot(a, slot, value) => {
                let address = addr(a);
                let slot = U256::from(slot);
                let mut account = evm_account(state, address).with_touched_mark();
                account.storage.insert(
                    slot,
                    revm::state::EvmStorageSlot::new_changed(
                        MemoryState::storage(state, &address, slot),
                        U256::from(value),
                        revm::state::TransactionId::ZERO,
                    ),
                );
                state.commit(std::iter::once((address, account)).collect());
            }
            Op::Destroy(a) => {
                let address = addr(a);
                let account =
                    evm_account(state, address).with_touched_mark().with_selfdestruct_mark();
                state.commit(std::iter::once((address, account)).collect());
            }
            Op::Recreate(a) => {
                let address = addr(a);
                let account = evm_account(state, address).with_touched_mark().with_created_mark();
                state.commit(std::iter::once((address, account)).collect());
            }
            Op::Credit(a, v) => state.add_balance(addr(a), U256::from(v)).unwrap(),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// After any sequence of blocks of creates, updates, deletes, storage
        /// writes and clears, the incremental root equals a from-scratch
        /// alloy-trie root, and proofs from the incremental tries verify.
        #[test]
        fn incremental_state_root_equals_a_rebuild(
            blocks in proptest::collection::vec(proptest::collection::vec(op(), 1..20), 1..10),
        ) {
            let mut state = MemoryState::new();
            let mut history = vec![(state.compute_state_root(), state.total_balance())];
            let mut changesets = Vec::new();
            for block in &blocks {
                for op in block {
                    apply(&mut state, op);
                }
                let root = state.compute_state_root();
                proptest::prop_assert_eq!(root, state.full_state_root());
                history.push((root, state.total_balance()));
                changesets.push(state.take_changes().previous);
                for a in [0u8, 5, 23] {
                    let address = Address::with_last_byte(a);
                    let slot = B256::from(U256::from(3));
                    let p = state.proof(address, &[slot]);
                    let leaf = state.account(&address).map(|acc| {
                        alloy_rlp::encode(TrieAccount {
                            nonce: acc.nonce,
                            balance: acc.balance,
                            storage_root: p.storage_hash,
                            code_hash: acc.code_hash,
                        })
                    });
                    verify_proof(root, Nibbles::unpack(keccak256(address)), leaf, &p.account_proof)
                        .unwrap();
                    let (key, value, nodes) = &p.storage_proof[0];
                    let expected = (!value.is_zero())
                        .then(|| alloy_rlp::encode_fixed_size(value).to_vec());
                    verify_proof(p.storage_hash, Nibbles::unpack(keccak256(key)), expected, nodes)
                        .unwrap();
                }
            }
            // Unwinding block by block with the changesets gives back every
            // earlier state, root and balances.
            while let Some(changeset) = changesets.pop() {
                for (address, record) in changeset.accounts {
                    state.restore_account(address, record);
                }
                for (address, slot, value) in changeset.storage {
                    state.restore_storage(address, slot, value);
                }
                let root = state.compute_state_root();
                proptest::prop_assert_eq!(root, state.full_state_root());
                proptest::prop_assert_eq!((root, state.total_balance()), history[changesets.len()]);
            }
        }
    }
}
