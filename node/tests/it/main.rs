//! Storage tests of the node: SQLite always, PostgreSQL when
//! `ROLLUP_TEST_POSTGRES_URL` is set (CI sets it to the local server).
#![allow(missing_docs, unreachable_pub)]

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, FixedBytes, U256};
use rollup_node::{ChainStore, StoredBlock, blob::StoredBlob};
use rollup_protocol::MemoryState;

async fn round_trip(store: ChainStore) {
    let mut state = MemoryState::new();
    state.set_account(
        Address::repeat_byte(1),
        U256::from(10),
        1,
        Some(Bytes::from_static(&[0x60, 0x00])),
    );
    state.set_storage(Address::repeat_byte(1), U256::from(7), U256::from(99));
    state.set_account(Address::repeat_byte(2), U256::from(5), 0, None);
    let genesis =
        Header { number: 0, state_root: state.compute_state_root(), ..Default::default() };
    let block0 =
        StoredBlock { hash: genesis.hash_slow(), header: genesis.clone(), transactions: vec![] };
    store.append_block(&block0, &state.take_changes()).await.unwrap();

    // A dev method funds account 4 before block 1: recorded with block 1.
    state.set_account(Address::repeat_byte(4), U256::from(3), 0, None);
    store.write_state(&state.take_changes()).await.unwrap();
    // Block 1 changes a slot, deletes an account, clears a slot.
    state.set_storage(Address::repeat_byte(1), U256::from(7), U256::ZERO);
    state.set_storage(Address::repeat_byte(1), U256::from(8), U256::from(1));
    state.set_account(Address::repeat_byte(3), U256::from(1), 0, None);
    let header = Header {
        number: 1,
        parent_hash: block0.hash,
        state_root: state.compute_state_root(),
        ..Default::default()
    };
    let block1 = StoredBlock { hash: header.hash_slow(), header, transactions: vec![] };
    store.append_block(&block1, &state.take_changes()).await.unwrap();
    // A second block with the same number is refused, and changes nothing.
    assert!(store.append_block(&block1, &Default::default()).await.is_err());

    let (hashes, blocks, mut loaded) = store.load(16, 16).await.unwrap();
    assert_eq!(hashes, vec![block0.hash, block1.hash]);
    assert_eq!(blocks, vec![block0.clone(), block1.clone()]);
    // A tip shorter than the chain: the last blocks only.
    let (hashes, blocks) = store.tip(1, 1).await.unwrap();
    assert_eq!((hashes, blocks), (vec![block1.hash], vec![block1.clone()]));
    // Older blocks by number and by hash.
    assert_eq!(store.block(0).await.unwrap(), Some(block0.clone()));
    assert_eq!(store.block(7).await.unwrap(), None);
    assert_eq!(store.block_number(&block1.hash).await.unwrap(), Some(1));
    assert_eq!(store.block_number(&B256::repeat_byte(9)).await.unwrap(), None);
    assert_eq!(loaded.compute_state_root(), block1.header.state_root);
    assert_eq!(loaded.storage(&Address::repeat_byte(1), U256::from(7)), U256::ZERO);
    assert_eq!(loaded.storage(&Address::repeat_byte(1), U256::from(8)), U256::from(1));
    assert_eq!(loaded.code(&Address::repeat_byte(1)), Bytes::from_static(&[0x60, 0x00]));

    // Block 2 carries three blobs (the same blob twice: legal on Ethereum).
    let header = Header { number: 2, parent_hash: block1.hash, ..Default::default() };
    let block2 = StoredBlock { hash: header.hash_slow(), header, transactions: vec![] };
    let blob = |index: u64, fill: u8| StoredBlob {
        block_number: 2,
        index,
        tx_hash: B256::repeat_byte(0xaa),
        versioned_hash: B256::repeat_byte(fill),
        commitment: FixedBytes::repeat_byte(fill),
        proof: FixedBytes::repeat_byte(fill ^ 0xff),
        blob: Bytes::from(vec![fill; 131_072]),
    };
    let blobs = vec![blob(0, 1), blob(1, 2), blob(2, 1)];
    store.append_block_with_blobs(&block2, &Default::default(), &blobs).await.unwrap();
    assert_eq!(store.blobs(2).await.unwrap(), blobs);
    assert_eq!(store.blobs(1).await.unwrap(), vec![]);
    assert_eq!(store.blob(2, B256::repeat_byte(2)).await.unwrap(), Some(blobs[1].clone()));
    assert_eq!(store.blob(2, B256::repeat_byte(1)).await.unwrap(), Some(blobs[0].clone()));
    assert_eq!(store.blob(1, B256::repeat_byte(1)).await.unwrap(), None);
    // The changesets after genesis give back its values.
    let at0 = store.changes_after(0).await.unwrap();
    let slot7 =
        at0.storage.iter().find(|(a, s, _)| *a == Address::repeat_byte(1) && *s == U256::from(7));
    assert_eq!(slot7.map(|s| s.2), Some(U256::from(99)));
    assert!(at0.accounts.contains(&(Address::repeat_byte(3), None)));
    assert!(at0.accounts.contains(&(Address::repeat_byte(4), None)));
    // The state block 1's transactions ran on: block 1's own changes
    // undone, the dev change made before it kept.
    let before1 = store.changes_before(1).await.unwrap();
    let slot7 = before1
        .storage
        .iter()
        .find(|(a, s, _)| *a == Address::repeat_byte(1) && *s == U256::from(7));
    assert_eq!(slot7.map(|s| s.2), Some(U256::from(99)));
    assert!(before1.accounts.contains(&(Address::repeat_byte(3), None)));
    assert!(!before1.accounts.iter().any(|(a, _)| *a == Address::repeat_byte(4)), "{before1:?}");
    // Unwinding the chain (reorgs, evm_revert) drops the blobs of the removed blocks...
    store.unwind(1, None).await.unwrap();
    assert_eq!(store.blobs(2).await.unwrap(), vec![]);
    assert_eq!(store.load(16, 16).await.unwrap().1.len(), 2);
    // ...and restores the state from the changesets.
    store.unwind(0, None).await.unwrap();
    let (_, blocks, mut at_genesis) = store.load(16, 16).await.unwrap();
    assert_eq!(blocks.len(), 1);
    assert_eq!(at_genesis.compute_state_root(), genesis.state_root);
    assert_eq!(at_genesis.storage(&Address::repeat_byte(1), U256::from(7)), U256::from(99));
    assert_eq!(at_genesis.storage(&Address::repeat_byte(1), U256::from(8)), U256::ZERO);
    assert!(at_genesis.account(&Address::repeat_byte(3)).is_none());
    drop(loaded);
}

/// A store in a fresh SQLite file of `dir`.
async fn sqlite_store(dir: &std::path::Path, namespace: &str) -> ChainStore {
    ChainStore::open(&rollup_db::sqlite_url(dir, "chain.db"), namespace).await.unwrap()
}

/// A store in a fresh PostgreSQL schema `{prefix}_{pid}` (fresh per run, so
/// runs stay independent), or `None` (the test is skipped) without
/// `ROLLUP_TEST_POSTGRES_URL`.
async fn postgres_store(prefix: &str) -> Option<ChainStore> {
    let Ok(url) = std::env::var("ROLLUP_TEST_POSTGRES_URL") else {
        eprintln!("skipped: ROLLUP_TEST_POSTGRES_URL is not set");
        return None;
    };
    let schema = format!("{prefix}_{}", std::process::id());
    Some(ChainStore::open(&url, &schema).await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_store_round_trips_blocks_and_state() {
    let dir = tempfile::tempdir().unwrap();
    round_trip(sqlite_store(dir.path(), "l1").await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_store_round_trips_blocks_and_state() {
    if let Some(store) = postgres_store("test").await {
        round_trip(store).await;
    }
}

/// A state of more accounts than one packed chunk of the SQLite start-up
/// read (4,096) comes back exactly: every account, nonce, balance and code
/// hash, and so the state root.
async fn large_state_loads_back(store: ChainStore) {
    let mut state = MemoryState::new();
    let code = Bytes::from_static(&[0x60, 0x00, 0x60, 0x00, 0xf3]);
    for i in 0..10_000u64 {
        let address = Address::from_word(alloy_primitives::keccak256(i.to_be_bytes()));
        let balance = U256::from(i) << (i % 200) as usize;
        let code = (i % 997 == 0).then(|| code.clone());
        state.set_account(address, balance, i * 3, code);
    }
    let genesis = Header { state_root: state.compute_state_root(), ..Default::default() };
    let block = StoredBlock { hash: genesis.hash_slow(), header: genesis, transactions: vec![] };
    let mut changes = state.take_changes();
    changes.previous = Default::default();
    store.append_block(&block, &changes).await.unwrap();
    let (_, _, mut loaded) = store.load(16, 16).await.unwrap();
    assert_eq!(loaded.accounts().count(), 10_000);
    for (address, account) in state.accounts() {
        let back = loaded.account(address).expect("account loaded");
        assert_eq!(
            (back.nonce, back.balance, back.code_hash),
            (account.nonce, account.balance, account.code_hash)
        );
    }
    assert_eq!(loaded.compute_state_root(), block.header.state_root);
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_large_state_loads_back_in_packed_chunks() {
    let dir = tempfile::tempdir().unwrap();
    large_state_loads_back(sqlite_store(dir.path(), "l2").await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_large_state_loads_back() {
    if let Some(store) = postgres_store("test_large").await {
        large_state_loads_back(store).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_database_is_a_clear_error() {
    let err = ChainStore::open("postgres://nobody@127.0.0.1:1/none", "l1").await.unwrap_err();
    assert!(err.to_string().starts_with("database"), "{err}");
    let err = ChainStore::open("mysql://x", "l1").await.unwrap_err();
    assert!(err.to_string().contains("unsupported database url"), "{err}");
}

/// A node over a fresh SQLite store whose genesis gives `0x01..01` 10 wei.
async fn node() -> (std::sync::Arc<rollup_node::Node>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (open_node(dir.path()).await, dir)
}

/// The node over the SQLite store in `dir` (created with the genesis of [`node`]).
async fn open_node(dir: &std::path::Path) -> std::sync::Arc<rollup_node::Node> {
    let url = rollup_db::sqlite_url(dir, "chain.db");
    let config = rollup_node::NodeConfig {
        chain_id: 1337,
        client_version: "test".into(),
        block_gas_limit: 30_000_000,
        base_fee_params: alloy_eips::eip1559::BaseFeeParams::ethereum(),
        min_base_fee: 1,
        suggested_tip: 1,
        kind: rollup_node::ChainKind::L2 { l1_fee: Default::default() },
        max_tx_size: rollup_node::mempool::MAX_TX_SIZE,
        rpc_limits: Default::default(),
    };
    rollup_node::Node::open(config, ChainStore::open(&url, "l1").await.unwrap(), || {
        let mut state = MemoryState::new();
        state.set_account(Address::repeat_byte(1), U256::from(10), 0, None);
        let header = Header { state_root: state.compute_state_root(), ..Default::default() };
        (state, header)
    })
    .await
    .unwrap()
}

/// Block `number` over the node's head, with the state root of its state.
fn next_block(node: &rollup_node::Node, number: u64) -> StoredBlock {
    let mut chain = node.chain_mut();
    let header = Header {
        number,
        parent_hash: chain.head().hash,
        state_root: chain.state.compute_state_root(),
        ..Default::default()
    };
    StoredBlock { hash: header.hash_slow(), header, transactions: vec![] }
}

#[tokio::test(flavor = "multi_thread")]
async fn head_state_is_not_shown_before_its_block_is_the_head() {
    let (node, _dir) = node().await;
    let rich = Address::repeat_byte(1);
    let producer = node.producer_lock().await;
    node.chain_mut().state.set_account(rich, U256::from(20), 0, None);

    // A reader of the head state waits while the block is produced...
    let reader = {
        let node = node.clone();
        tokio::spawn(async move {
            let _view = node.state_view().await;
            let chain = node.chain();
            (chain.head_number(), chain.state.balance(&Address::repeat_byte(1)))
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!reader.is_finished(), "a state read went through during block production");

    // ...and sees the new state with its block as the head.
    let block = next_block(&node, 1);
    let changes = node.chain_mut().state.take_changes();
    node.commit_block(block, changes).await.unwrap();
    drop(producer);
    assert_eq!(reader.await.unwrap(), (1, U256::from(20)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_block_the_store_refuses_leaves_the_state_at_the_stored_head() {
    let (node, _dir) = node().await;
    let rich = Address::repeat_byte(1);
    let _producer = node.producer_lock().await;
    node.chain_mut().state.set_account(rich, U256::from(20), 0, None);
    node.chain_mut().state.set_account(Address::repeat_byte(2), U256::from(5), 0, None);
    // Number 0 is already stored: the store refuses the block.
    let block = next_block(&node, 0);
    let changes = node.chain_mut().state.take_changes();
    assert!(node.commit_block(block, changes).await.is_err());

    {
        let chain = node.chain();
        assert_eq!(chain.head_number(), 0);
        assert_eq!(chain.state.balance(&rich), U256::from(10), "the executed block is undone");
        assert!(chain.state.account(&Address::repeat_byte(2)).is_none());
    }

    // The next block builds on the stored state.
    node.chain_mut().state.set_account(rich, U256::from(30), 0, None);
    let block = next_block(&node, 1);
    let changes = node.chain_mut().state.take_changes();
    node.commit_block(block, changes).await.unwrap();
    let (_, blocks, loaded) = node.store().load(16, 16).await.unwrap();
    assert_eq!(blocks.len(), 2);
    assert_eq!(loaded.balance(&rich), U256::from(30));
    assert!(loaded.account(&Address::repeat_byte(2)).is_none());
}

/// Extra methods whose `test_panic` panics, as a handler bug would.
#[derive(Debug)]
struct PanickingMethods;

impl rollup_node::rpc::RpcExtension for PanickingMethods {
    fn call<'a>(
        &'a self,
        method: &'a str,
        _: &'a serde_json::Value,
    ) -> Option<futures::future::BoxFuture<'a, rollup_node::rpc::RpcResult>> {
        (method == "test_panic").then(|| -> futures::future::BoxFuture<'a, _> {
            Box::pin(async { panic!("a handler bug") })
        })
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handler_panic_answers_32603_and_the_server_keeps_serving() {
    let (node, _dir) = node().await;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let router = rollup_node::rpc::router(node, std::sync::Arc::new(PanickingMethods));
    let (addr, server) =
        rollup_node::serve(([127, 0, 0, 1], 0).into(), router, shutdown.clone()).await.unwrap();
    let call = |method: &str| {
        let body = serde_json::json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": []});
        async move {
            reqwest::Client::new()
                .post(format!("http://{addr}"))
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let crashed = call("test_panic").await;
    assert_eq!(crashed["id"], 7);
    assert_eq!(crashed["error"]["code"], -32603);
    assert_eq!(crashed["error"]["message"], "method handler crashed");
    // In a batch, the other items are answered.
    let batch: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{addr}"))
        .json(&serde_json::json!([
            {"jsonrpc": "2.0", "id": 1, "method": "test_panic", "params": []},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_chainId", "params": []},
        ]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(batch[0]["error"]["code"], -32603);
    assert_eq!(batch[1]["result"], "0x539");
    assert_eq!(call("eth_chainId").await["result"], "0x539", "the next request works");
    shutdown.cancel();
    server.await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_supervised_task_that_ends_is_reported_with_why() {
    use rollup_client::{Supervisor, TaskExit};
    let shutdown = tokio_util::sync::CancellationToken::new();
    let supervisor = Supervisor::new("l1", shutdown.clone());
    assert_eq!(supervisor.down(), None);
    let _quiet = supervisor.spawn("rpc", std::future::pending());
    let _miner = supervisor.spawn("miner", async { panic!("block 7: overflow") });
    let exit = supervisor.failed().await;
    assert_eq!(
        exit,
        TaskExit { role: "l1", task: "miner", reason: "panicked: block 7: overflow".into() }
    );
    assert_eq!(exit.to_string(), "the miner task of the l1 role panicked: block 7: overflow");
    assert_eq!(supervisor.down(), Some(exit), "the role stays down");

    // Aborting a task (the test hook for a crash) is reported too...
    let other = Supervisor::new("sequencer", tokio_util::sync::CancellationToken::new());
    let _producer = other.spawn("producer", std::future::pending());
    assert!(other.abort("producer"));
    assert!(!other.abort("nothing"));
    assert_eq!(other.failed().await.reason, "was aborted");
    let ends = Supervisor::new("bridge", tokio_util::sync::CancellationToken::new());
    let _indexer = ends.spawn("indexer", async {});
    assert_eq!(ends.failed().await.reason, "returned");

    // ...but not the end of tasks after their role was told to stop.
    let stopping = tokio_util::sync::CancellationToken::new();
    let quiet = Supervisor::new("batcher", stopping.clone());
    let task = quiet.spawn("batcher", {
        let stopping = stopping.clone();
        async move { stopping.cancelled().await }
    });
    stopping.cancel();
    task.await.unwrap();
    assert_eq!(quiet.down(), None);
}

/// One block's worth of changes: `0x01..01` gets `balance`, `0x02..02` slot
/// 1 gets `value` (zero deletes it) and slot `number + 10` gets 7.
async fn mine(node: &rollup_node::Node, number: u64, balance: u64, value: u64) -> StoredBlock {
    let _producer = node.producer_lock().await;
    {
        let mut chain = node.chain_mut();
        chain.state.set_account(Address::repeat_byte(1), U256::from(balance), number, None);
        chain.state.set_account(Address::repeat_byte(2), U256::from(number), 0, None);
        chain.state.set_storage(Address::repeat_byte(2), U256::from(1), U256::from(value));
        chain.state.set_storage(Address::repeat_byte(2), U256::from(number + 10), U256::from(7));
    }
    let block = next_block(node, number);
    let changes = node.chain_mut().state.take_changes();
    node.commit_block(block.clone(), changes).await.unwrap();
    block
}

/// Balance, storage and proof of the test accounts at `block`.
async fn snapshot_at(
    node: &std::sync::Arc<rollup_node::Node>,
    block: u64,
) -> (U256, U256, rollup_protocol::AccountProof, B256) {
    use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag};
    let state = node.state_at(BlockId::Number(BlockNumberOrTag::Number(block))).await.unwrap();
    let slot = B256::from(U256::from(1));
    (
        state.balance(&Address::repeat_byte(1)),
        state.storage(&Address::repeat_byte(2), U256::from(1)),
        state.proof(Address::repeat_byte(2), &[slot]),
        state.block().header.state_root,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn historical_state_and_unwind_agree_with_the_past_also_across_a_restart() {
    let (node, dir) = node().await;
    let b1 = mine(&node, 1, 20, 5).await;
    let before: Vec<_> = {
        let mut v = vec![snapshot_at(&node, 0).await, snapshot_at(&node, 1).await];
        let b2 = mine(&node, 2, 30, 0).await;
        let b3 = mine(&node, 3, 40, 9).await;
        v.push(snapshot_at(&node, 2).await);
        v.push(snapshot_at(&node, 3).await);
        assert_eq!(node.chain().recent_block(2).unwrap().hash, b2.hash);
        assert_eq!(node.chain().recent_block(3).unwrap().hash, b3.hash);
        v
    };
    // Historical reads give the values of their block, proofs verify
    // against that block's state root.
    assert_eq!(before[0].0, U256::from(10));
    assert_eq!((before[1].0, before[1].1), (U256::from(20), U256::from(5)));
    assert_eq!((before[2].0, before[2].1), (U256::from(30), U256::ZERO));
    for (balance, _, proof, root) in &before {
        let _ = balance;
        let leaf = (proof.nonce != 0 || !proof.balance.is_zero()).then(|| {
            alloy_rlp::encode(alloy_trie::TrieAccount {
                nonce: proof.nonce,
                balance: proof.balance,
                storage_root: proof.storage_hash,
                code_hash: proof.code_hash,
            })
        });
        alloy_trie::proof::verify_proof(
            *root,
            alloy_trie::Nibbles::unpack(alloy_primitives::keccak256(Address::repeat_byte(2))),
            leaf,
            &proof.account_proof,
        )
        .unwrap();
    }
    // An unknown block is geth's "header not found".
    use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag};
    let err = node.state_at(BlockId::Number(BlockNumberOrTag::Number(9))).await.unwrap_err();
    assert_eq!(err.to_string(), "header not found");

    // Unwind two blocks: root, balances and proofs are those of block 1.
    node.unwind_to(1).await.unwrap();
    assert_eq!(node.chain().head_number(), 1);
    assert_eq!(node.chain_mut().state.compute_state_root(), b1.header.state_root);
    assert_eq!(snapshot_at(&node, 1).await, before[1]);
    assert!(node.chain().recent_block(2).is_none());
    // Re-executing the same blocks gives the same hashes.
    let b2 = mine(&node, 2, 30, 0).await;
    let b3 = mine(&node, 3, 40, 9).await;
    assert_eq!(snapshot_at(&node, 2).await, before[2]);
    assert_eq!(snapshot_at(&node, 3).await, before[3]);

    // Across a restart: history and unwind come from the store.
    drop(node);
    let node = open_node(dir.path()).await;
    assert_eq!(node.chain().head().hash, b3.hash);
    assert_eq!(snapshot_at(&node, 1).await, before[1]);
    node.unwind_to(0).await.unwrap();
    assert_eq!(snapshot_at(&node, 0).await, before[0]);
    drop(node);
    let node = open_node(dir.path()).await;
    assert_eq!(node.chain().head_number(), 0);
    assert_eq!(snapshot_at(&node, 0).await, before[0]);
    assert_eq!(node.chain().state.balance(&Address::repeat_byte(1)), U256::from(10));
    let _ = b2;

    // With two blocks of history kept, older states are pruned (geth's error).
    node.set_history_blocks(Some(2));
    for n in 1..=4 {
        mine(&node, n, 100 + n, n).await;
    }
    assert_eq!(snapshot_at(&node, 2).await.0, U256::from(102));
    let err = node.state_at(BlockId::Number(BlockNumberOrTag::Number(1))).await.unwrap_err();
    assert!(err.to_string().starts_with("missing trie node"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_block_changing_more_than_one_insert_of_rows_unwinds_whole() {
    let (node, _dir) = node().await;
    let root0 = node.chain().head().header.state_root;
    let _producer = node.producer_lock().await;
    {
        let mut chain = node.chain_mut();
        for i in 0..1_200u64 {
            let address = Address::from_slice(&alloy_primitives::keccak256(i.to_be_bytes())[..20]);
            chain.state.set_account(address, U256::from(i + 1), 0, None);
            chain.state.set_storage(Address::repeat_byte(1), U256::from(i), U256::from(i + 1));
        }
    }
    let block = next_block(&node, 1);
    let changes = node.chain_mut().state.take_changes();
    assert!(changes.previous.accounts.len() > 1_000 && changes.previous.storage.len() > 1_000);
    node.commit_block(block, changes).await.unwrap();
    let restore = node.store().changes_after(0).await.unwrap();
    assert_eq!((restore.accounts.len(), restore.storage.len()), (1_201, 1_200));
    drop(_producer);
    node.unwind_to(0).await.unwrap();
    assert_eq!(node.chain_mut().state.compute_state_root(), root0);
    assert_eq!(node.chain().state.accounts().count(), 1);
}

/// A deposit of `n` wei as block `n`'s one transaction (what the store keeps
/// of it: the transaction, its sender and its receipt).
fn deposit(n: u64) -> rollup_protocol::ExecutedTx {
    let tx = rollup_protocol::TxDeposit {
        source_hash: B256::from(U256::from(n)),
        from: Address::repeat_byte(5),
        to: alloy_primitives::TxKind::Call(Address::repeat_byte(6)),
        mint: u128::from(n),
        value: U256::from(n),
        gas_limit: 21_000,
        is_system_transaction: false,
        input: Bytes::new(),
    };
    rollup_protocol::ExecutedTx {
        tx: rollup_protocol::RollupTxEnvelope::Deposit(tx),
        sender: Address::repeat_byte(5),
        receipt: rollup_protocol::RollupReceipt {
            tx_type: rollup_protocol::DEPOSIT_TX_TYPE,
            status: true,
            cumulative_gas_used: 21_000,
            gas_used: 21_000,
            effective_gas_price: 0,
            logs: vec![],
            contract_address: None,
            l1_fee: None,
            l1_base_fee: None,
            l1_blob_base_fee: None,
            l1_fee_scalars: None,
            l1_gas_used: None,
            deposit_nonce: Some(n),
        },
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_resident_blocks_stay_bounded_and_older_ones_come_from_the_store() {
    use rollup_node::RECENT_BLOCKS;
    let dir = tempfile::tempdir().unwrap();
    let node = open_node(dir.path()).await;
    let total = RECENT_BLOCKS as u64 * 3 + 7;
    let mut hashes = vec![node.chain().head().hash];
    let mut txs = vec![B256::ZERO];
    for n in 1..=total {
        let _producer = node.producer_lock().await;
        let mut block = next_block(&node, n);
        block.transactions.push(deposit(n));
        hashes.push(block.hash);
        txs.push(block.transactions[0].tx.tx_hash());
        let changes = node.chain_mut().state.take_changes();
        node.commit_block(block, changes).await.unwrap();
    }
    let check = |node: std::sync::Arc<rollup_node::Node>| {
        let (hashes, txs) = (hashes.clone(), txs.clone());
        async move {
            // Memory holds the recent window only, however long the chain.
            let footprint = node.chain().footprint();
            assert_eq!(footprint.blocks, RECENT_BLOCKS);
            assert_eq!(footprint.transactions, RECENT_BLOCKS);
            assert_eq!(node.chain().head_number(), total);
            assert!(node.chain().recent_block(1).is_none());
            // Every block, by number and by hash, and every transaction.
            for n in [0, 1, total / 2, total - RECENT_BLOCKS as u64, total] {
                let block = node.block(n).await.unwrap().unwrap();
                assert_eq!(block.hash, hashes[n as usize]);
                let by_hash = node.block_by_hash(&hashes[n as usize]).await.unwrap().unwrap();
                assert_eq!(by_hash.number(), n);
            }
            for n in [1, total / 2, total] {
                let (loc, block) = node.transaction(&txs[n as usize]).await.unwrap().unwrap();
                assert_eq!((loc.block, loc.index), (n, 0));
                assert_eq!(block.transactions[0].receipt.deposit_nonce, Some(n));
            }
            assert!(node.block(total + 1).await.unwrap().is_none());
            assert!(node.block_by_hash(&B256::repeat_byte(0xee)).await.unwrap().is_none());
            assert!(node.transaction(&B256::repeat_byte(0xee)).await.unwrap().is_none());
            // A range across the store and the recent window, in order.
            let from = total - RECENT_BLOCKS as u64 - 5;
            let range = node.blocks(from, total + 3).await.unwrap();
            let numbers: Vec<u64> = range.iter().map(|b| b.number()).collect();
            assert_eq!(numbers, (from..=total).collect::<Vec<_>>());
        }
    };
    check(node.clone()).await;
    drop(node);
    // A restart reads the tip, not the history, and serves the same.
    check(open_node(dir.path()).await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unwind_below_the_recent_window_reloads_the_tip_from_the_store() {
    use rollup_node::RECENT_BLOCKS;
    let (node, _dir) = node().await;
    let total = RECENT_BLOCKS as u64 * 2;
    let mut hashes = vec![node.chain().head().hash];
    for n in 1..=total {
        let _producer = node.producer_lock().await;
        let mut block = next_block(&node, n);
        block.transactions.push(deposit(n));
        hashes.push(block.hash);
        let changes = node.chain_mut().state.take_changes();
        node.commit_block(block, changes).await.unwrap();
    }
    let target = 10;
    node.unwind_to(target).await.unwrap();
    assert_eq!(node.chain().head_number(), target);
    assert_eq!(node.chain().head().hash, hashes[target as usize]);
    assert_eq!(node.chain().footprint().blocks, target as usize + 1);
    assert_eq!(node.chain().hash(3), Some(hashes[3]));
    assert!(node.block(target + 1).await.unwrap().is_none());
    assert!(node.block_by_hash(&hashes[target as usize + 1]).await.unwrap().is_none());
    assert!(node.transaction(&deposit(target + 1).tx.tx_hash()).await.unwrap().is_none());
    assert_eq!(
        node.transaction(&deposit(target).tx.tx_hash()).await.unwrap().map(|(l, _)| l.block),
        Some(target)
    );
}
