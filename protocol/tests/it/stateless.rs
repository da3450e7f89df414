//! Stateless execution: the sparse trie against alloy-trie's `HashBuilder`,
//! and a realistic block (deposits, transfers, a withdrawal, contract
//! creations, storage writes and clears, `BLOCKHASH`) executed statelessly
//! over the witness generated from the full pre-state: same header, and any
//! missing or altered witness node or code makes execution fail.

use alloy_consensus::{Header, SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, hex, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use alloy_trie::{EMPTY_ROOT_HASH, HashBuilder, Nibbles, proof::ProofRetainer};
use proptest::prelude::*;
use rollup_contracts::L2ToL1MessagePasser;
use rollup_protocol::{
    BlockInputs, ExecutedBlock, L2_TO_L1_MESSAGE_PASSER, MemoryState, OutputRootPreimage,
    RollupConfig, SparseTrie, StfError, UserDeposit, Witness, WitnessError, build_witness,
    execute_block, execute_stateless, genesis_header, next_base_fee,
};
use std::collections::BTreeMap;

use crate::{keys, origin};

// ---------------------------------------------------------------- sparse trie

/// Root of the trie over `entries` and all of its nodes.
fn full_witness(entries: &BTreeMap<B256, Vec<u8>>) -> (B256, Vec<Bytes>) {
    let targets = entries.keys().map(Nibbles::unpack).collect();
    let mut hb = HashBuilder::default().with_proof_retainer(ProofRetainer::new(targets));
    for (k, v) in entries {
        hb.add_leaf(Nibbles::unpack(k), v);
    }
    let root = hb.root();
    (root, hb.take_proof_nodes().into_inner().into_values().collect())
}

fn root_of(entries: &BTreeMap<B256, Vec<u8>>) -> B256 {
    let mut hb = HashBuilder::default();
    for (k, v) in entries {
        hb.add_leaf(Nibbles::unpack(k), v);
    }
    hb.root()
}

#[derive(Clone, Debug)]
enum Op {
    Insert(u16, Vec<u8>),
    Remove(u16),
}

/// Keys from a small space (so removals and overwrites hit), hashed.
fn key(i: u16) -> B256 {
    keccak256(i.to_be_bytes())
}

fn op() -> impl Strategy<Value = Op> {
    let value = prop::collection::vec(any::<u8>(), 1..48);
    prop_oneof![
        (0..300u16, value).prop_map(|(k, v)| Op::Insert(k, v)),
        (0..300u16).prop_map(Op::Remove),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Insertions and removals on a sparse trie built from a full witness
    /// give the root `HashBuilder` computes over the resulting set, down to
    /// the empty root when everything is removed.
    #[test]
    fn sparse_trie_matches_hash_builder(
        initial in prop::collection::btree_map(
            0..300u16,
            prop::collection::vec(any::<u8>(), 1..48),
            0..80,
        ),
        ops in prop::collection::vec(op(), 0..120),
        clear in any::<bool>(),
    ) {
        let mut entries: BTreeMap<B256, Vec<u8>> =
            initial.into_iter().map(|(k, v)| (key(k), v)).collect();
        let (root, nodes) = full_witness(&entries);
        let mut trie = SparseTrie::new(root, &nodes);
        prop_assert_eq!(trie.root(), root);
        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::Insert(k, v) => {
                    trie.insert(&key(*k).0, v.clone()).unwrap();
                    entries.insert(key(*k), v.clone());
                }
                Op::Remove(k) => {
                    let removed = trie.remove(&key(*k).0).unwrap();
                    prop_assert_eq!(removed, entries.remove(&key(*k)).is_some());
                }
            }
            if i % 16 == 0 {
                prop_assert_eq!(trie.root(), root_of(&entries));
            }
        }
        prop_assert_eq!(trie.root(), root_of(&entries));
        for k in 0..300u16 {
            prop_assert_eq!(trie.get(&key(k).0).unwrap(), entries.get(&key(k)).cloned());
        }
        if clear {
            for k in entries.keys() {
                prop_assert!(trie.remove(&k.0).unwrap());
            }
            prop_assert_eq!(trie.root(), EMPTY_ROOT_HASH);
        }
    }
}

#[test]
fn sparse_trie_never_guesses() {
    let entries: BTreeMap<B256, Vec<u8>> = (0..100).map(|i| (key(i), vec![1; 40])).collect();
    let (root, nodes) = full_witness(&entries);
    // without the root node nothing is known
    let empty = SparseTrie::new(root, Vec::<Bytes>::new());
    assert_eq!(empty.get(&key(1).0), Err(WitnessError::MissingNode(root)));
    // without any one node, some key cannot be read
    for i in 0..nodes.len() {
        let mut partial = nodes.clone();
        let missing = keccak256(partial.remove(i));
        let trie = SparseTrie::new(root, &partial);
        let errors: Vec<_> = (0..100).filter_map(|k| trie.get(&key(k).0).err()).collect();
        assert!(errors.contains(&WitnessError::MissingNode(missing)));
    }
}

// ---------------------------------------------------------- a realistic block

/// Init code: `sstore(0, 1); sstore(1, 2); sstore(2, 3)`, then returns
/// [`RUNTIME`].
const INIT: &str = "600160005560026001556003600255601680601a6000396000f3";
/// Runtime: with calldata `(slot, value)`, `sstore(slot, value)`; with no
/// calldata, `sstore(9, blockhash(number - 1))`.
const RUNTIME: &str = "36600d576001430340600955005b6020356000355500";

/// A genesis contract running [`RUNTIME`] with 64 storage slots.
const BIG: Address = Address::repeat_byte(0xb1);
/// A genesis contract running [`RUNTIME`] with two storage slots: clearing
/// one collapses its storage trie into the other's leaf.
const PAIR: Address = Address::repeat_byte(0xb2);
/// An empty genesis account: touching it deletes it (EIP-161).
const EMPTY: Address = Address::repeat_byte(0xee);

fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(1_000_000_000_000_000_000u64)
}

fn deposit(index: u64, to: Address, mint: U256) -> UserDeposit {
    UserDeposit {
        from: to,
        to,
        index,
        mint,
        value: U256::ZERO,
        gas_limit: 100_000,
        data: Bytes::new(),
    }
}

/// Signs EIP-1559 transactions with consecutive nonces from a state.
struct Wallet<'a> {
    config: &'a RollupConfig,
    state: &'a MemoryState,
    base_fee: u64,
    nonces: BTreeMap<Address, u64>,
}

impl Wallet<'_> {
    fn tx(
        &mut self,
        key: &PrivateKeySigner,
        to: TxKind,
        value: U256,
        input: Bytes,
        gas: u64,
    ) -> Bytes {
        let nonce =
            self.nonces.entry(key.address()).or_insert_with(|| self.state.nonce(&key.address()));
        let tx = TxEip1559 {
            chain_id: self.config.l2_chain_id,
            nonce: *nonce,
            gas_limit: gas,
            max_fee_per_gas: u128::from(self.base_fee) * 2,
            max_priority_fee_per_gas: 1,
            to,
            value,
            access_list: Default::default(),
            input,
        };
        *nonce += 1;
        let sig = key.sign_hash_sync(&tx.signature_hash()).unwrap();
        TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
    }
}

fn call_data(slot: u64, value: u64) -> Bytes {
    [B256::from(U256::from(slot)), B256::from(U256::from(value))].concat().into()
}

struct Fixture {
    config: RollupConfig,
    pre: MemoryState,
    parent: Header,
    inputs: BlockInputs,
    /// The storage contract deployed in block 1.
    contract: Address,
    /// The contract deployed in block 2.
    created: Address,
}

/// Block 1 funds four accounts by deposit and deploys the storage contract;
/// block 2 (the one under test) has a deposit to a new account, transfers
/// (one to a new account), a withdrawal, a contract creation, a storage
/// write, a storage clear, and a `BLOCKHASH` read.
fn fixture() -> Fixture {
    let config = RollupConfig {
        genesis_l1_origin: origin(0),
        genesis_timestamp: origin(0).timestamp,
        ..Default::default()
    };
    let keys = keys();
    let init: Bytes = [hex::decode(INIT).unwrap(), hex::decode(RUNTIME).unwrap()].concat().into();

    let mut state = MemoryState::new();
    state.set_account(
        L2_TO_L1_MESSAGE_PASSER,
        U256::ZERO,
        1,
        Some(L2ToL1MessagePasser::DEPLOYED_BYTECODE.clone()),
    );
    // bystanders, so that the tries have some depth
    for i in 0..500u64 {
        let address = Address::from_slice(&keccak256(i.to_be_bytes())[..20]);
        state.set_account(address, U256::from(i + 1), 0, None);
    }
    let runtime = Bytes::from(hex::decode(RUNTIME).unwrap());
    state.set_account(BIG, U256::ZERO, 1, Some(runtime));
    for slot in 0..64u64 {
        state.set_storage(BIG, U256::from(slot), U256::from(slot + 1));
    }
    state.set_account(PAIR, U256::ZERO, 1, Some(Bytes::from(hex::decode(RUNTIME).unwrap())));
    state.set_storage(PAIR, U256::from(3), U256::from(1));
    state.set_storage(PAIR, U256::from(4), U256::from(1));
    state.set_account(EMPTY, U256::ZERO, 0, None);
    let genesis = genesis_header(&config, &mut state, &config.genesis_l1_origin).unwrap();

    // block 1
    let deposits =
        keys.iter().enumerate().map(|(i, k)| deposit(i as u64, k.address(), ether(10))).collect();
    let inputs = BlockInputs {
        timestamp: origin(1).timestamp,
        l1_origin: origin(1),
        deposits,
        transactions: Vec::new(),
    };
    let mut state_after_deposits = state.clone();
    execute_block(&config, &mut state_after_deposits, &genesis, &inputs).unwrap();
    let mut wallet = Wallet {
        config: &config,
        state: &state_after_deposits,
        base_fee: next_base_fee(&genesis),
        nonces: BTreeMap::new(),
    };
    let contract = keys[0].address().create(state_after_deposits.nonce(&keys[0].address()));
    let inputs = BlockInputs {
        transactions: vec![wallet.tx(&keys[0], TxKind::Create, U256::ZERO, init.clone(), 300_000)],
        ..inputs
    };
    let block1 = execute_block(&config, &mut state, &genesis, &inputs).unwrap();
    assert!(block1.skipped.is_empty(), "{:?}", block1.skipped);
    assert!(block1.transactions.iter().all(|t| t.receipt.status), "{:?}", block1.transactions);
    state.set_block_hash(1, block1.hash);
    assert_eq!(state.storage(&contract, U256::from(1)), U256::from(2));

    // block 2
    let parent = block1.header;
    let withdrawal = L2ToL1MessagePasser::initiateWithdrawalCall {
        target: Address::repeat_byte(0x77),
        gasLimit: U256::from(100_000),
        data: Bytes::new(),
    }
    .abi_encode();
    let created = keys[3].address().create(state.nonce(&keys[3].address()) + 1);
    let mut w = Wallet {
        config: &config,
        state: &state,
        base_fee: next_base_fee(&parent),
        nonces: BTreeMap::new(),
    };
    let (call, none) = (TxKind::Call, Bytes::new());
    let transactions = vec![
        w.tx(&keys[1], call(keys[2].address()), U256::from(1_000), none.clone(), 21_000),
        w.tx(&keys[2], call(Address::repeat_byte(0x66)), U256::from(2_000), none.clone(), 21_000),
        w.tx(&keys[3], call(keys[0].address()), U256::from(3_000), none.clone(), 21_000),
        w.tx(&keys[1], call(L2_TO_L1_MESSAGE_PASSER), ether(1), withdrawal.into(), 300_000),
        w.tx(&keys[1], call(BIG), U256::ZERO, call_data(1, 0), 100_000),
        w.tx(&keys[1], call(PAIR), U256::ZERO, call_data(3, 0), 100_000),
        w.tx(&keys[2], call(EMPTY), U256::ZERO, none.clone(), 21_000),
        w.tx(&keys[1], call(BIG), U256::ZERO, call_data(100, 1), 100_000),
        w.tx(&keys[3], TxKind::Create, U256::ZERO, init, 300_000),
        w.tx(&keys[0], call(contract), U256::ZERO, call_data(5, 7), 100_000),
        w.tx(&keys[2], call(contract), U256::ZERO, call_data(1, 0), 100_000),
        w.tx(&keys[0], call(contract), U256::ZERO, none, 100_000),
    ];
    let inputs = BlockInputs {
        timestamp: origin(2).timestamp,
        l1_origin: origin(2),
        deposits: vec![deposit(4, Address::repeat_byte(0x55), ether(1))],
        transactions,
    };
    Fixture { config, pre: state, parent, inputs, contract, created }
}

fn full_execution(f: &Fixture) -> ExecutedBlock {
    let mut state = f.pre.clone();
    let block = execute_block(&f.config, &mut state, &f.parent, &f.inputs).unwrap();
    assert!(block.skipped.is_empty(), "{:?}", block.skipped);
    assert!(block.transactions.iter().all(|t| t.receipt.status));
    // the block did what it claims
    let contract = f.contract;
    assert_eq!(state.storage(&contract, U256::from(1)), U256::ZERO);
    assert_eq!(state.storage(&contract, U256::from(5)), U256::from(7));
    assert_eq!(
        state.storage(&contract, U256::from(9)),
        U256::from_be_bytes(f.parent.hash_slow().0)
    );
    assert_eq!(state.storage(&f.created, U256::from(2)), U256::from(3));
    assert_eq!(state.storage(&BIG, U256::from(1)), U256::ZERO);
    assert_eq!(state.storage(&BIG, U256::from(100)), U256::from(1));
    assert_eq!(state.account(&PAIR).unwrap().storage.len(), 1);
    assert!(state.account(&EMPTY).is_none());
    assert_ne!(block.header.withdrawals_root, Some(B256::ZERO));
    block
}

fn stateless(f: &Fixture, witness: &Witness) -> Result<ExecutedBlock, StfError<WitnessError>> {
    execute_stateless(&f.config, witness, &f.parent, &f.inputs)
}

fn output_root(block: &ExecutedBlock) -> B256 {
    OutputRootPreimage {
        state_root: block.header.state_root,
        withdrawals_root: block.header.withdrawals_root.unwrap_or_default(),
        block_hash: block.hash,
    }
    .output_root()
}

#[test]
fn stateless_execution_reproduces_the_block() {
    let f = fixture();
    let full = full_execution(&f);
    let witness = build_witness(&f.pre, &f.config, &f.parent, &f.inputs).unwrap();
    assert_eq!(witness.state_root, f.parent.state_root);
    assert_eq!(witness.block_hashes, vec![(1, f.parent.hash_slow())]);
    assert!(!witness.codes.is_empty());

    // slot 4 of PAIR is never read, but clearing slot 3 collapses the trie
    // into slot 4's leaf, which must therefore be in the witness
    let proof = f.pre.clone().proof(PAIR, &[B256::from(U256::from(4))]);
    let leaf = proof.storage_proof[0].2.last().unwrap();
    assert!(witness.nodes.contains(leaf));

    let block = stateless(&f, &witness).unwrap();
    assert_eq!(block.header, full.header);
    assert_eq!(block.hash, full.hash);
    assert_eq!(output_root(&block), output_root(&full));

    // the encoding round-trips, is strict, and stays small
    let bytes = witness.encode();
    assert!(bytes.len() < 200 * 1024, "witness is {} bytes", bytes.len());
    let decoded = Witness::decode(&bytes).unwrap();
    assert_eq!(decoded, witness);
    assert_eq!(stateless(&f, &decoded).unwrap().header, full.header);
    assert!(Witness::decode(&[bytes.as_slice(), &[0]].concat()).is_err());
    assert!(Witness::decode(&bytes[..bytes.len() - 1]).is_err());

    // unused extra data is harmless
    let mut padded = witness;
    padded.nodes.push(Bytes::from_static(&[0xc2, 0x80, 0x80]));
    padded.codes.push(Bytes::from_static(&[0x00]));
    assert_eq!(stateless(&f, &padded).unwrap().header, full.header);
}

#[test]
fn every_witness_node_is_needed() {
    let f = fixture();
    let witness = build_witness(&f.pre, &f.config, &f.parent, &f.inputs).unwrap();
    assert!(witness.nodes.len() >= 20, "only {} nodes", witness.nodes.len());
    for i in 0..witness.nodes.len() {
        let mut partial = witness.clone();
        let missing = keccak256(partial.nodes.remove(i));
        match stateless(&f, &partial) {
            Err(StfError::Database(WitnessError::MissingNode(h))) => assert_eq!(h, missing),
            other => panic!("node {i} removed: {other:?}"),
        }
    }
}

#[test]
fn every_altered_node_is_rejected() {
    let f = fixture();
    let witness = build_witness(&f.pre, &f.config, &f.parent, &f.inputs).unwrap();
    for i in 0..witness.nodes.len() {
        for position in [0, witness.nodes[i].len() / 2, witness.nodes[i].len() - 1] {
            let mut altered = witness.clone();
            let mut node = altered.nodes[i].to_vec();
            node[position] ^= 0x01;
            altered.nodes[i] = node.into();
            assert!(
                matches!(stateless(&f, &altered), Err(StfError::Database(_))),
                "node {i} byte {position} altered"
            );
        }
    }
}

#[test]
fn every_code_is_needed() {
    let f = fixture();
    let witness = build_witness(&f.pre, &f.config, &f.parent, &f.inputs).unwrap();
    // the message passer and the storage contracts' runtime (used before
    // the block deploys it again)
    assert_eq!(witness.codes.len(), 2);
    for i in 0..witness.codes.len() {
        let mut partial = witness.clone();
        let missing = keccak256(partial.codes.remove(i));
        match stateless(&f, &partial) {
            Err(StfError::Database(WitnessError::MissingCode(h))) => assert_eq!(h, missing),
            other => panic!("code {i} removed: {other:?}"),
        }
        let mut altered = witness.clone();
        let mut code = altered.codes[i].to_vec();
        code[0] ^= 0x01;
        altered.codes[i] = code.into();
        assert!(matches!(stateless(&f, &altered), Err(StfError::Database(_))));
    }
}

#[test]
fn witness_must_match_the_parent() {
    let f = fixture();
    let witness = build_witness(&f.pre, &f.config, &f.parent, &f.inputs).unwrap();

    let mut other_root = witness.clone();
    other_root.state_root = keccak256(b"another state");
    assert!(matches!(
        stateless(&f, &other_root),
        Err(StfError::Database(WitnessError::StateRootMismatch { .. }))
    ));

    let mut no_hash = witness.clone();
    no_hash.block_hashes.clear();
    assert!(matches!(
        stateless(&f, &no_hash),
        Err(StfError::Database(WitnessError::MissingBlockHash(1)))
    ));

    let mut forged_hash = witness;
    forged_hash.block_hashes = vec![(1, keccak256(b"forged"))];
    assert!(matches!(
        stateless(&f, &forged_hash),
        Err(StfError::Database(WitnessError::InvalidBlockHash(1)))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random storage writes and clears on a contract with random storage,
    /// and random deletions of empty accounts (EIP-161): the generated
    /// witness suffices, and stateless execution reproduces the block.
    #[test]
    fn random_deletions_run_statelessly(
        initial in prop::collection::btree_map(0..40u64, 1..1_000u64, 0..40),
        writes in prop::collection::vec((0..48u64, prop_oneof![Just(0u64), 1..1_000u64]), 1..24),
        touch_empty in prop::collection::vec(any::<bool>(), 8),
    ) {
        let config = RollupConfig::default();
        let key = &keys()[0];
        let mut state = MemoryState::new();
        state.set_account(
            L2_TO_L1_MESSAGE_PASSER,
            U256::ZERO,
            1,
            Some(L2ToL1MessagePasser::DEPLOYED_BYTECODE.clone()),
        );
        state.set_account(key.address(), ether(10), 0, None);
        state.set_account(BIG, U256::ZERO, 1, Some(Bytes::from(hex::decode(RUNTIME).unwrap())));
        for (slot, value) in &initial {
            state.set_storage(BIG, U256::from(*slot), U256::from(*value));
        }
        let empties: Vec<Address> = (0..8u8).map(|i| Address::repeat_byte(0xe0 + i)).collect();
        for address in &empties {
            state.set_account(*address, U256::ZERO, 0, None);
        }
        let parent = genesis_header(&config, &mut state, &config.genesis_l1_origin).unwrap();
        let mut w = Wallet {
            config: &config,
            state: &state,
            base_fee: next_base_fee(&parent),
            nonces: BTreeMap::new(),
        };
        let mut transactions: Vec<Bytes> = writes
            .iter()
            .map(|(slot, value)| {
                w.tx(key, TxKind::Call(BIG), U256::ZERO, call_data(*slot, *value), 100_000)
            })
            .collect();
        for (address, touch) in empties.iter().zip(&touch_empty) {
            if *touch {
                let tx = w.tx(key, TxKind::Call(*address), U256::ZERO, Bytes::new(), 21_000);
                transactions.push(tx);
            }
        }
        let inputs =
            BlockInputs { timestamp: parent.timestamp + 1, transactions, ..Default::default() };

        let mut post = state.clone();
        let full = execute_block(&config, &mut post, &parent, &inputs).unwrap();
        prop_assert!(full.skipped.is_empty());
        let witness = build_witness(&state, &config, &parent, &inputs).unwrap();
        let block = execute_stateless(&config, &witness, &parent, &inputs).unwrap();
        prop_assert_eq!(&block.header, &full.header);
        for (address, touch) in empties.iter().zip(&touch_empty) {
            prop_assert_eq!(post.account(address).is_none(), *touch);
        }
    }
}
