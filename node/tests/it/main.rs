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

    let (blocks, mut loaded) = store.load().await.unwrap();
    assert_eq!(blocks, vec![block0, block1.clone()]);
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
    // Rewinding the chain (evm_revert) drops the blobs of the removed blocks.
    store.reset_to(1, &loaded).await.unwrap();
    assert_eq!(store.blobs(2).await.unwrap(), vec![]);
    assert_eq!(store.load().await.unwrap().0.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_store_round_trips_blocks_and_state() {
    let dir = tempfile::tempdir().unwrap();
    let url = rollup_db::sqlite_url(dir.path(), "chain.db");
    round_trip(ChainStore::open(&url, "l1").await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_store_round_trips_blocks_and_state() {
    let Ok(url) = std::env::var("ROLLUP_TEST_POSTGRES_URL") else {
        eprintln!("skipped: ROLLUP_TEST_POSTGRES_URL is not set");
        return;
    };
    // A fresh schema per run keeps runs independent.
    let schema = format!("test_{}", std::process::id());
    round_trip(ChainStore::open(&url, &schema).await.unwrap()).await;
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
    let url = rollup_db::sqlite_url(dir.path(), "chain.db");
    let config = rollup_node::NodeConfig {
        chain_id: 1337,
        client_version: "test".into(),
        block_gas_limit: 30_000_000,
        base_fee_params: alloy_eips::eip1559::BaseFeeParams::ethereum(),
        min_base_fee: 1,
        suggested_tip: 1,
        kind: rollup_node::ChainKind::L2 { l1_fee: Default::default() },
        max_tx_size: rollup_node::mempool::MAX_TX_SIZE,
    };
    let node = rollup_node::Node::open(config, ChainStore::open(&url, "l1").await.unwrap(), || {
        let mut state = MemoryState::new();
        state.set_account(Address::repeat_byte(1), U256::from(10), 0, None);
        let header = Header { state_root: state.compute_state_root(), ..Default::default() };
        (state, header)
    })
    .await
    .unwrap();
    (node, dir)
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
    let (blocks, loaded) = node.store().load().await.unwrap();
    assert_eq!(blocks.len(), 2);
    assert_eq!(loaded.balance(&rich), U256::from(30));
    assert!(loaded.account(&Address::repeat_byte(2)).is_none());
}
