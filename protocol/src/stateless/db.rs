//! [`WitnessDb`]: the state database of stateless execution.

use super::{SparseTrie, Witness, WitnessError, sparse_trie::NodeStore};
use crate::StateDb;
use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_rlp::Decodable;
use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY, TrieAccount};
use revm::{
    Database, DatabaseCommit,
    bytecode::Bytecode,
    primitives::{AddressMap, StorageKey, StorageValue},
    state::{Account, AccountInfo},
};
use std::{
    collections::{BTreeSet, HashMap, HashSet},
    sync::Arc,
};

/// The fields of an existing account outside its storage.
#[derive(Clone, Copy, Debug)]
struct Fields {
    nonce: u64,
    balance: U256,
    code_hash: B256,
}

/// One account as loaded from the witness, with its pending changes.
#[derive(Debug)]
struct Entry {
    /// Current fields; `None` when the account does not exist.
    fields: Option<Fields>,
    /// Root of `storage` as last computed (the witness's, or empty after a
    /// wipe).
    storage_root: B256,
    /// The storage trie, opened on first use.
    storage: Option<SparseTrie>,
    /// Slot values read or written, with whether they are pending writes.
    slots: HashMap<U256, (U256, bool)>,
    /// Whether the account's leaf must be rewritten.
    dirty: bool,
}

impl Entry {
    /// Drops the storage: the account is gone or was (re)created.
    fn wipe_storage(&mut self) {
        self.storage_root = EMPTY_ROOT_HASH;
        self.storage = Some(SparseTrie::default());
        self.slots.clear();
    }
}

/// A [`StateDb`] over a [`Witness`]: accounts from the state trie, storage
/// from each account's storage trie, codes by hash, block hashes by number.
/// Anything needed that is not in the witness is a [`WitnessError`]; writes
/// follow [`crate::MemoryState`]'s semantics exactly, so both give the same
/// state root.
///
/// [`DatabaseCommit::commit`] cannot fail: an error met while committing is
/// kept and returned by every later call.
#[derive(Debug)]
pub struct WitnessDb {
    store: Arc<NodeStore>,
    state: SparseTrie,
    accounts: HashMap<Address, Entry>,
    codes: HashMap<B256, Bytes>,
    new_codes: HashMap<B256, Bytes>,
    used_codes: HashSet<B256>,
    block_hashes: HashMap<u64, B256>,
    used_block_hashes: BTreeSet<u64>,
    failed: Option<WitnessError>,
}

impl WitnessDb {
    /// A database over `witness`; fails if it gives two hashes for a block.
    pub fn new(witness: &Witness) -> Result<Self, WitnessError> {
        let store = Arc::new(NodeStore::new(&witness.nodes));
        let mut block_hashes = HashMap::with_capacity(witness.block_hashes.len());
        for (number, hash) in &witness.block_hashes {
            if block_hashes.insert(*number, *hash).is_some_and(|old| old != *hash) {
                return Err(WitnessError::InvalidBlockHash(*number));
            }
        }
        Ok(Self {
            state: SparseTrie::with_store(witness.state_root, store.clone()),
            store,
            accounts: HashMap::new(),
            codes: witness.codes.iter().map(|c| (keccak256(c), c.clone())).collect(),
            new_codes: HashMap::new(),
            used_codes: HashSet::new(),
            block_hashes,
            used_block_hashes: BTreeSet::new(),
            failed: None,
        })
    }

    /// A database over `witness` for executing the child of `parent`: the
    /// witness must be for the parent's state root, and every block hash it
    /// gives must be proven: the parent's own, or an ancestor's reached from
    /// the parent through the `parent_hash` links of the witness's ancestor
    /// headers. No hash is taken on trust.
    pub fn for_parent(witness: &Witness, parent: &Header) -> Result<Self, WitnessError> {
        if witness.state_root != parent.state_root {
            return Err(WitnessError::StateRootMismatch {
                witness: witness.state_root,
                parent: parent.state_root,
            });
        }
        let db = Self::new(witness)?;
        let by_hash: HashMap<B256, Header> = witness
            .ancestors
            .iter()
            .filter_map(|rlp| Header::decode(&mut rlp.as_ref()).ok().map(|h| (keccak256(rlp), h)))
            .collect();
        let mut proven = HashMap::from([(parent.number, parent.hash_slow())]);
        let (mut number, mut hash) = (parent.number, parent.parent_hash);
        while let Some(header) = by_hash.get(&hash).filter(|h| number > 0 && h.number == number - 1)
        {
            number -= 1;
            proven.insert(number, hash);
            hash = header.parent_hash;
        }
        for (number, hash) in &witness.block_hashes {
            if proven.get(number) != Some(hash) {
                return Err(WitnessError::InvalidBlockHash(*number));
            }
        }
        Ok(db)
    }

    /// Hashes of the trie nodes looked up so far.
    pub(crate) fn used_nodes(&self) -> HashSet<B256> {
        self.store.used()
    }

    /// Hashes of the witness codes used so far.
    pub(crate) const fn used_codes(&self) -> &HashSet<B256> {
        &self.used_codes
    }

    /// Block numbers whose witness hash was used so far.
    pub(crate) const fn used_block_hashes(&self) -> &BTreeSet<u64> {
        &self.used_block_hashes
    }

    fn check(&self) -> Result<(), WitnessError> {
        self.failed.clone().map_or(Ok(()), Err)
    }

    /// The account at `address`, loaded from the state trie on first use.
    fn entry(&mut self, address: Address) -> Result<&mut Entry, WitnessError> {
        if !self.accounts.contains_key(&address) {
            let leaf = self.state.get(&keccak256(address).0)?;
            let account = leaf
                .map(|rlp| {
                    let mut buf = rlp.as_slice();
                    match TrieAccount::decode(&mut buf) {
                        Ok(account) if buf.is_empty() => Ok(account),
                        _ => Err(WitnessError::InvalidAccount(address)),
                    }
                })
                .transpose()?;
            let entry = Entry {
                fields: account.map(|a| Fields {
                    nonce: a.nonce,
                    balance: a.balance,
                    code_hash: a.code_hash,
                }),
                storage_root: account.map_or(EMPTY_ROOT_HASH, |a| a.storage_root),
                storage: None,
                slots: HashMap::new(),
                dirty: false,
            };
            self.accounts.insert(address, entry);
        }
        Ok(self.accounts.get_mut(&address).expect("inserted above"))
    }

    /// The account at `address`, created empty if absent (as
    /// [`crate::MemoryState`] does for balance and nonce updates).
    fn existing(&mut self, address: Address) -> Result<&mut Entry, WitnessError> {
        let entry = self.entry(address)?;
        if entry.fields.is_none() {
            entry.fields = Some(Fields { nonce: 0, balance: U256::ZERO, code_hash: KECCAK_EMPTY });
            entry.wipe_storage();
        }
        entry.dirty = true;
        Ok(entry)
    }

    fn commit_account(&mut self, address: Address, account: Account) -> Result<(), WitnessError> {
        if account.is_selfdestructed() || account.is_empty() {
            // EIP-6780 destruction, or EIP-161 removal of a touched empty account.
            let entry = self.entry(address)?;
            if entry.fields.take().is_some() {
                entry.wipe_storage();
                entry.dirty = true;
            }
            return Ok(());
        }
        let hash = account.info.code_hash;
        // Codes deployed by the block are served from here, never from the
        // witness (so a witness need not hold them).
        if let Some(code) = &account.info.code
            && !code.is_empty()
        {
            self.new_codes.entry(hash).or_insert_with(|| code.original_bytes());
        }
        let entry = self.entry(address)?;
        if account.is_created() || entry.fields.is_none() {
            entry.wipe_storage();
        }
        entry.fields = Some(Fields {
            nonce: account.info.nonce,
            balance: account.info.balance,
            code_hash: hash,
        });
        entry.dirty = true;
        for (slot, value) in account.changed_storage_slots() {
            entry.slots.insert(*slot, (value.present_value, true));
        }
        Ok(())
    }

    fn compute_state_root(&mut self) -> Result<B256, WitnessError> {
        let store = &self.store;
        let mut upserts = Vec::new();
        let mut removals = Vec::new();
        for (address, entry) in &mut self.accounts {
            if !entry.dirty {
                continue;
            }
            entry.dirty = false;
            let key = keccak256(address);
            let Some(fields) = entry.fields else {
                removals.push(key);
                continue;
            };
            let mut writes: Vec<(B256, U256)> = entry
                .slots
                .iter_mut()
                .filter(|(_, (_, pending))| *pending)
                .map(|(slot, (value, pending))| {
                    *pending = false;
                    (keccak256(B256::from(*slot)), *value)
                })
                .collect();
            if !writes.is_empty() {
                writes.sort_unstable_by_key(|(k, _)| *k);
                let root = entry.storage_root;
                let trie = entry
                    .storage
                    .get_or_insert_with(|| SparseTrie::with_store(root, store.clone()));
                for (k, v) in writes.iter().filter(|(_, v)| !v.is_zero()) {
                    trie.insert(&k.0, alloy_rlp::encode_fixed_size(v).to_vec())?;
                }
                for (k, _) in writes.iter().filter(|(_, v)| v.is_zero()) {
                    trie.remove(&k.0)?;
                }
                entry.storage_root = trie.root();
            }
            let account = TrieAccount {
                nonce: fields.nonce,
                balance: fields.balance,
                storage_root: entry.storage_root,
                code_hash: fields.code_hash,
            };
            upserts.push((key, alloy_rlp::encode(account)));
        }
        upserts.sort_unstable_by_key(|(k, _)| *k);
        removals.sort_unstable();
        for (key, leaf) in upserts {
            self.state.insert(&key.0, leaf)?;
        }
        for key in removals {
            self.state.remove(&key.0)?;
        }
        Ok(self.state.root())
    }

    /// Records a failure for every later call.
    fn fail<T>(&mut self, result: Result<T, WitnessError>) -> Result<T, WitnessError> {
        if let Err(e) = &result {
            self.failed.get_or_insert_with(|| e.clone());
        }
        result
    }
}

impl Database for WitnessDb {
    type Error = WitnessError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        self.check()?;
        let fields = self.entry(address)?.fields;
        // `code: None` makes revm load the code by hash when it needs it.
        Ok(fields.map(|f| AccountInfo {
            balance: f.balance,
            nonce: f.nonce,
            code_hash: f.code_hash,
            code: None,
            ..Default::default()
        }))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        self.check()?;
        if code_hash == KECCAK_EMPTY || code_hash.is_zero() {
            return Ok(Bytecode::default());
        }
        if let Some(code) = self.new_codes.get(&code_hash) {
            return Ok(Bytecode::new_raw(code.clone()));
        }
        let code = self.codes.get(&code_hash).ok_or(WitnessError::MissingCode(code_hash))?;
        self.used_codes.insert(code_hash);
        Ok(Bytecode::new_raw(code.clone()))
    }

    fn storage(
        &mut self,
        address: Address,
        index: StorageKey,
    ) -> Result<StorageValue, Self::Error> {
        self.check()?;
        let store = self.store.clone();
        let entry = self.entry(address)?;
        if entry.fields.is_none() {
            return Ok(U256::ZERO);
        }
        if let Some((value, _)) = entry.slots.get(&index) {
            return Ok(*value);
        }
        let root = entry.storage_root;
        let trie = entry.storage.get_or_insert_with(|| SparseTrie::with_store(root, store));
        let value = match trie.get(&keccak256(B256::from(index)).0)? {
            None => U256::ZERO,
            Some(rlp) => {
                let mut buf = rlp.as_slice();
                match U256::decode(&mut buf) {
                    Ok(v) if buf.is_empty() && !v.is_zero() => v,
                    _ => return Err(WitnessError::InvalidStorage { address, slot: index }),
                }
            }
        };
        entry.slots.insert(index, (value, false));
        Ok(value)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, Self::Error> {
        self.check()?;
        let hash = self
            .block_hashes
            .get(&number)
            .copied()
            .ok_or(WitnessError::MissingBlockHash(number))?;
        self.used_block_hashes.insert(number);
        Ok(hash)
    }
}

impl DatabaseCommit for WitnessDb {
    fn commit(&mut self, changes: AddressMap<Account>) {
        for (address, account) in changes {
            if self.failed.is_some() {
                return;
            }
            if account.is_touched() {
                let result = self.commit_account(address, account);
                let _ = self.fail(result);
            }
        }
    }
}

impl StateDb for WitnessDb {
    fn add_balance(&mut self, address: Address, amount: U256) -> Result<(), Self::Error> {
        self.check()?;
        let result = self.existing(address).map(|entry| {
            if let Some(f) = &mut entry.fields {
                f.balance = f.balance.saturating_add(amount);
            }
        });
        self.fail(result)
    }

    fn bump_nonce(&mut self, address: Address) -> Result<(), Self::Error> {
        self.check()?;
        let result = self.existing(address).map(|entry| {
            if let Some(f) = &mut entry.fields {
                f.nonce = f.nonce.wrapping_add(1);
            }
        });
        self.fail(result)
    }

    fn state_root(&mut self) -> Result<B256, Self::Error> {
        self.check()?;
        let result = self.compute_state_root();
        self.fail(result)
    }
}
