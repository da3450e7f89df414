//! Storage tests of the node: SQLite always, PostgreSQL when
//! `ROLLUP_TEST_POSTGRES_URL` is set (CI sets it to the local server).
#![allow(missing_docs, unreachable_pub)]

use alloy_consensus::Header;
use alloy_primitives::{Address, Bytes, U256};
use rollup_node::{ChainStore, StoredBlock};
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
    store.set_meta("k", b"v").await.unwrap();
    assert_eq!(store.meta("k").await.unwrap().as_deref(), Some(&b"v"[..]));
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_store_round_trips_blocks_and_state() {
    let dir = tempfile::tempdir().unwrap();
    let url = rollup_node::db::sqlite_url(dir.path(), "chain.db");
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
