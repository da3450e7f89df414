//! L1 finality and reorgs: the `safe` and `finalized` tags trail the head by
//! the finality depth; `anvil_rollback` and `anvil_reorg` (anvil's shapes and
//! messages) remove blocks with their receipts and blob sidecars, never a
//! finalized one; and time travel never stops the L1 from mining.

use super::{call, eth, key, signed, transfer};
use alloy_primitives::{Address, B256, U256, address};
use rollup_l1_sim::{L1Config, L1Handle, MAX_TIMESTAMP, spawn};
use serde_json::{Value, json};
use std::{path::Path, time::Duration};

/// An L1 with the given finality depth that mines only when asked.
async fn start_manual(dir: &Path, finality_depth: u64) -> L1Handle {
    let url = format!("sqlite://{}?mode=rwc", dir.join("l1.db").display());
    let mut config =
        L1Config::for_tests(url, (1..=4).map(|i| (key(i).address(), eth(1000))).collect());
    config.block_time = Some(Duration::from_secs(3600));
    config.finality_depth = finality_depth;
    spawn(config).await.unwrap()
}

fn quantity(v: &Value) -> u64 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a quantity: {v}"));
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

async fn block(url: &str, tag: &str) -> Value {
    call(url, "eth_getBlockByNumber", json!([tag, false])).await["result"].clone()
}

async fn number_of(url: &str, tag: &str) -> u64 {
    quantity(&block(url, tag).await["number"])
}

async fn mine(url: &str, n: u64) {
    let v = call(url, "anvil_mine", json!([format!("{n:#x}")])).await;
    assert!(v["error"].is_null(), "{v}");
}

async fn hash_at(url: &str, n: u64) -> Value {
    block(url, &format!("{n:#x}")).await["hash"].clone()
}

fn error(v: &Value) -> String {
    v["error"]["message"].as_str().unwrap_or_else(|| panic!("expected an error: {v}")).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn safe_and_finalized_trail_the_head_by_the_finality_depth() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start_manual(dir.path(), 8).await;
    let url = l1.rpc_url();
    mine(&url, 3).await;
    // Never below genesis.
    assert_eq!(number_of(&url, "finalized").await, 0);
    assert_eq!(number_of(&url, "safe").await, 0);
    mine(&url, 17).await;
    assert_eq!(number_of(&url, "latest").await, 20);
    assert_eq!(number_of(&url, "finalized").await, 12);
    assert_eq!(number_of(&url, "safe").await, 16);
    assert_eq!(block(&url, "finalized").await["hash"], hash_at(&url, 12).await);
    // State reads take the tags too.
    let balance = call(&url, "eth_getBalance", json!([key(1).address(), "finalized"])).await;
    assert_eq!(balance["result"], json!(eth(1000)));
    l1.shutdown().await;

    // The default is two epochs: 64 blocks.
    assert_eq!(rollup_l1_sim::DEFAULT_L1_FINALITY_DEPTH, 64);
    let dir = tempfile::tempdir().unwrap();
    let l1 = start_manual(dir.path(), rollup_l1_sim::DEFAULT_L1_FINALITY_DEPTH).await;
    let url = l1.rpc_url();
    mine(&url, 100).await;
    assert_eq!(number_of(&url, "finalized").await, 36);
    assert_eq!(number_of(&url, "safe").await, 68);
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_removes_blocks_receipts_and_never_a_finalized_block() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start_manual(dir.path(), 8).await;
    let url = l1.rpc_url();
    mine(&url, 10).await;
    let to = address!("00000000000000000000000000000000000000aa");
    let raw = signed(transfer(0, to, U256::from(7)), &key(1));
    let hash = call(&url, "eth_sendRawTransaction", json!([raw])).await["result"].clone();
    mine(&url, 1).await;
    let receipt = call(&url, "eth_getTransactionReceipt", json!([hash])).await["result"].clone();
    assert_eq!(quantity(&receipt["blockNumber"]), 11);
    mine(&url, 2).await;
    let dropped = hash_at(&url, 11).await;
    assert_eq!(number_of(&url, "finalized").await, 5);

    // anvil's refusal of a depth beyond the chain.
    let v = call(&url, "anvil_rollback", json!([100])).await;
    assert_eq!(
        error(&v),
        "Rollback depth must not exceed current chain height: current height 13, depth 100"
    );
    // Removing block 5 (finalized) is refused; removing 6..=13 is not.
    let v = call(&url, "anvil_rollback", json!([9])).await;
    assert!(error(&v).starts_with("cannot reorg finalized blocks"), "{v}");
    assert_eq!(number_of(&url, "latest").await, 13);

    // Default depth 1, then 3 more (a hex quantity): block 11 and its transaction go.
    assert!(call(&url, "anvil_rollback", json!([])).await["error"].is_null());
    assert_eq!(number_of(&url, "latest").await, 12);
    assert!(call(&url, "anvil_rollback", json!(["0x3"])).await["error"].is_null());
    assert_eq!(number_of(&url, "latest").await, 9);
    for (method, params) in [
        ("eth_getTransactionReceipt", json!([hash])),
        ("eth_getTransactionByHash", json!([hash])),
        ("eth_getBlockByHash", json!([dropped, false])),
    ] {
        let v = call(&url, method, params).await;
        assert_eq!(v["result"], Value::Null, "{method}: {v}");
    }
    assert_eq!(call(&url, "eth_getBalance", json!([to, "latest"])).await["result"], "0x0");
    // Not put back in the pool (anvil): mining does not bring it back.
    assert_eq!(
        call(&url, "eth_getTransactionCount", json!([key(1).address(), "pending"])).await["result"],
        "0x0"
    );
    mine(&url, 1).await;
    assert_eq!(call(&url, "eth_getTransactionReceipt", json!([hash])).await["result"], Value::Null);
    // `finalized` does not move back with the head.
    assert_eq!(number_of(&url, "finalized").await, 5);
    assert_eq!(number_of(&url, "safe").await, 6);
    // It may go down to the finalized block, not below.
    let v = call(&url, "anvil_rollback", json!([6])).await;
    assert!(error(&v).starts_with("cannot reorg finalized blocks"), "{v}");
    assert!(call(&url, "anvil_rollback", json!([5])).await["error"].is_null());
    assert_eq!(number_of(&url, "latest").await, 5);
    assert_eq!(number_of(&url, "finalized").await, 5);
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reorg_replaces_blocks_with_new_hashes_and_the_given_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start_manual(dir.path(), 16).await;
    let url = l1.rpc_url();
    // key(3) signs on the node (a dev account), key(4) is impersonated.
    l1.node.rpc().accounts().set_signers(vec![key(3)]);
    assert!(
        call(&url, "anvil_impersonateAccount", json!([key(4).address()])).await["error"].is_null()
    );
    mine(&url, 5).await;
    let to = address!("00000000000000000000000000000000000000bb");
    let dropped_tx = call(
        &url,
        "eth_sendRawTransaction",
        json!([signed(transfer(0, to, U256::from(1)), &key(1))]),
    )
    .await["result"]
        .clone();
    mine(&url, 3).await;
    let old: Vec<Value> = futures::future::join_all((6..=8).map(|n| hash_at(&url, n))).await;

    // anvil's refusals.
    let v = call(&url, "anvil_reorg", json!([100, []])).await;
    assert_eq!(
        error(&v),
        "Reorg depth must not exceed current chain height: current height 8, depth 100"
    );
    let v =
        call(&url, "anvil_reorg", json!([3, [[{"from": key(3).address(), "to": to}, 3]]])).await;
    assert_eq!(
        error(&v),
        "Block number for reorg tx will exceed the reorged chain height. Block number 3 must not exceed (depth-1) 2"
    );

    // Raw bytes in the first new block, requests (dev key, impersonated) in the last.
    let raw = signed(transfer(0, to, U256::from(100)), &key(2));
    let pairs = json!([
        [{"from": key(3).address(), "to": to, "value": "0x2710"}, 2],
        [raw, 0],
        [{"from": key(4).address(), "to": to, "value": "0x3e8"}, 2],
        [{"from": key(3).address(), "to": to, "value": "0x1"}, 2],
    ]);
    let v = call(&url, "anvil_reorg", json!([3, pairs])).await;
    assert_eq!(v["result"], Value::Null, "{v}");
    assert_eq!(number_of(&url, "latest").await, 8);
    for (n, old) in (6..=8).zip(&old) {
        assert_ne!(&hash_at(&url, n).await, old, "block {n} was not replaced");
    }
    assert_eq!(hash_at(&url, 5).await, json!(block(&url, "0x6").await["parentHash"]));
    let txs = |n: u64| {
        let url = url.clone();
        async move { block(&url, &format!("{n:#x}")).await["transactions"].as_array().unwrap().len() }
    };
    assert_eq!((txs(6).await, txs(7).await, txs(8).await), (1, 0, 3));
    // The dropped transaction is gone and not pooled; the new ones took effect.
    assert_eq!(
        call(&url, "eth_getTransactionReceipt", json!([dropped_tx])).await["result"],
        Value::Null
    );
    assert_eq!(
        call(&url, "eth_getTransactionCount", json!([key(1).address(), "pending"])).await["result"],
        "0x0"
    );
    let balance = call(&url, "eth_getBalance", json!([to, "latest"])).await["result"].clone();
    assert_eq!(balance, json!(U256::from(100 + 10_000 + 1_000 + 1)));
    // The dev account's two requests got consecutive nonces.
    assert_eq!(
        call(&url, "eth_getTransactionCount", json!([key(3).address(), "latest"])).await["result"],
        "0x2"
    );

    // A reorg without transactions still gives new hashes (same timestamps or not).
    let before = hash_at(&url, 8).await;
    assert!(call(&url, "anvil_reorg", json!([1, []])).await["error"].is_null());
    assert_ne!(hash_at(&url, 8).await, before);
    assert_eq!(txs(8).await, 0);
    // ... and it cannot reach a finalized block.
    mine(&url, 30).await;
    let v = call(&url, "anvil_reorg", json!([17, []])).await;
    assert!(error(&v).starts_with("cannot reorg finalized blocks"), "{v}");
    let v = call(&url, "anvil_reorg", json!(["0x10"])).await;
    assert!(v["error"].is_null(), "{v}");
    assert_eq!(number_of(&url, "latest").await, 38);
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_drops_the_blob_sidecars_of_removed_blocks() {
    use alloy::{
        consensus::{
            SignableTransaction, TxEip4844, TxEip4844Variant, TxEip4844WithSidecar, TxEnvelope,
        },
        eips::{Encodable2718, eip7594::BlobTransactionSidecarVariant},
        network::TxSignerSync,
    };
    let dir = tempfile::tempdir().unwrap();
    let l1 = start_manual(dir.path(), 8).await;
    let url = l1.rpc_url();
    mine(&url, 2).await;
    let blobs = vec![alloy::eips::eip4844::Blob::repeat_byte(0)];
    let sidecar = super::blobs::sidecar(&blobs);
    let hashes: Vec<B256> = sidecar.commitments.iter().map(super::blobs::versioned_hash).collect();
    let tx = TxEip4844 {
        chain_id: 900,
        nonce: 0,
        gas_limit: 100_000,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: Address::ZERO,
        value: U256::ZERO,
        access_list: Default::default(),
        blob_versioned_hashes: hashes,
        max_fee_per_blob_gas: 1_000_000,
        input: Default::default(),
    };
    let mut variant =
        TxEip4844Variant::TxEip4844WithSidecar(TxEip4844WithSidecar::from_tx_and_sidecar(
            tx,
            BlobTransactionSidecarVariant::Eip4844(sidecar),
        ));
    let sig = key(1).sign_transaction_sync(&mut variant).unwrap();
    let raw: alloy_primitives::Bytes =
        TxEnvelope::Eip4844(variant.into_signed(sig)).encoded_2718().into();
    let v = call(&url, "eth_sendRawTransaction", json!([raw])).await;
    assert!(v["error"].is_null(), "{v}");
    mine(&url, 1).await;
    let hash = hash_at(&url, 3).await;
    let get = |id: String| {
        let base = l1.beacon_url();
        async move {
            reqwest::get(format!("{base}/eth/v1/beacon/blob_sidecars/{id}"))
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(get("3".into()).await, 200);
    assert!(call(&url, "anvil_reorg", json!([1, []])).await["error"].is_null());
    assert_eq!(get(hash.as_str().unwrap().into()).await, 404);
    let served = reqwest::get(format!("{}/eth/v1/beacon/blob_sidecars/3", l1.beacon_url()))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(served["data"], json!([]), "the new block 3 has no blobs: {served}");
    assert_eq!(l1.node.store().blobs(3).await.unwrap().len(), 0);
    l1.shutdown().await;
}

/// After `evm_setNextBlockTimestamp(MAX_TIMESTAMP)` the L1 keeps mining,
/// one second per block past the cap, by hand and by interval.
#[tokio::test(flavor = "multi_thread")]
async fn time_travel_to_the_largest_timestamp_never_stops_mining() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start_manual(dir.path(), 64).await;
    let url = l1.rpc_url();
    let v = call(&url, "evm_setNextBlockTimestamp", json!([MAX_TIMESTAMP])).await;
    assert!(v["error"].is_null(), "{v}");
    let v = call(&url, "evm_mine", json!([])).await;
    assert!(v["error"].is_null(), "{v}");
    let at_cap = number_of(&url, "latest").await;
    let ts_of = |n: u64| {
        let url = url.clone();
        async move { quantity(&block(&url, &format!("{n:#x}")).await["timestamp"]) }
    };
    assert_eq!(ts_of(at_cap).await, MAX_TIMESTAMP);
    // Nothing can be set at or below the head's timestamp.
    let v = call(&url, "evm_setNextBlockTimestamp", json!([MAX_TIMESTAMP])).await;
    assert!(error(&v).contains("lower than or equal to previous block's timestamp"), "{v}");
    // Mining goes on, by hand and by interval, strictly increasing.
    let v = call(&url, "evm_mine", json!([])).await;
    assert!(v["error"].is_null(), "{v}");
    assert!(call(&url, "anvil_setIntervalMining", json!([1])).await["error"].is_null());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while number_of(&url, "latest").await < at_cap + 3 {
        assert!(tokio::time::Instant::now() < deadline, "the interval miner stopped");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(call(&url, "anvil_setIntervalMining", json!([0])).await["error"].is_null());
    let head = number_of(&url, "latest").await;
    for n in at_cap + 1..=head {
        assert_eq!(ts_of(n).await, ts_of(n - 1).await + 1, "block {n}");
    }
    // A rollback below the cap gives the clock back.
    let depth = head - at_cap + 1;
    assert!(call(&url, "anvil_rollback", json!([depth])).await["error"].is_null());
    let head_ts = ts_of(number_of(&url, "latest").await).await;
    assert!(head_ts < MAX_TIMESTAMP);
    mine(&url, 1).await;
    assert!(ts_of(number_of(&url, "latest").await).await < head_ts + 10);
    l1.shutdown().await;
}

/// The transaction manager survives L1 reorgs: a confirmed transaction
/// whose block is rolled back together with earlier transactions of the
/// account is reposted at the L1's nonce; a pooled attempt stranded behind
/// the nonce gap is cancelled, so the payload is included exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn tx_manager_resyncs_its_nonce_after_a_reorg() {
    use rollup_client::{
        http_provider,
        txmgr::{TxManager, TxManagerConfig},
    };
    use tokio_util::sync::CancellationToken;
    let dir = tempfile::tempdir().unwrap();
    let l1 = start_manual(dir.path(), 64).await;
    let url = l1.rpc_url();
    let config = TxManagerConfig {
        confirmations: 3,
        resubmit_after: Duration::from_millis(600),
        poll_interval: Duration::from_millis(30),
        timeout: Duration::from_secs(60),
        ..TxManagerConfig::default()
    };
    let manager = std::sync::Arc::new(TxManager::new(http_provider(&url).unwrap(), key(1), config));
    let sender = key(1).address();
    let inbox = address!("00000000000000000000000000000000000000cc");
    let shutdown = CancellationToken::new();
    // A miner the test can pause: a block every 50 ms while `mining` is set.
    let mining = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let miner = tokio::spawn({
        let (url, mining) = (url.clone(), mining.clone());
        async move {
            loop {
                if mining.load(std::sync::atomic::Ordering::SeqCst) {
                    call(&url, "evm_mine", json!([])).await;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    });
    let send = |payload: u8| {
        let (manager, shutdown) = (manager.clone(), shutdown.clone());
        tokio::spawn(async move {
            manager
                .send(inbox, alloy_primitives::Bytes::from(vec![payload; 4]), U256::ZERO, &shutdown)
                .await
        })
    };
    let nonce_of = |url: String, tag: &'static str| async move {
        quantity(&call(&url, "eth_getTransactionCount", json!([sender, tag])).await["result"])
    };
    for payload in 0..4 {
        let confirmed = send(payload).await.unwrap().unwrap();
        assert!(confirmed.receipt.status());
    }
    assert_eq!(nonce_of(url.clone(), "latest").await, 4);

    // 1. Nonce 4 is mined, then a reorg drops it with nonces 2 and 3 before
    //    it is confirmed: it is reposted at nonce 2.
    mining.store(false, std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let head_before = number_of(&url, "latest").await;
    let task = send(4);
    while nonce_of(url.clone(), "pending").await < 5 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    mine(&url, 1).await;
    // Blocks of nonces 2 and 3 and the new one: find how deep nonce 2 is.
    let mut depth = 1;
    while quantity(
        &call(
            &url,
            "eth_getTransactionCount",
            json!([sender, format!("{:#x}", head_before + 1 - depth)]),
        )
        .await["result"],
    ) > 2
    {
        depth += 1;
    }
    assert!(call(&url, "anvil_rollback", json!([depth])).await["error"].is_null());
    assert_eq!(nonce_of(url.clone(), "latest").await, 2);
    mining.store(true, std::sync::atomic::Ordering::SeqCst);
    let confirmed = tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the manager kept waiting after the reorg")
        .unwrap()
        .unwrap();
    let tx = call(&url, "eth_getTransactionByHash", json!([confirmed.receipt.transaction_hash]))
        .await["result"]
        .clone();
    assert_eq!(quantity(&tx["nonce"]), 2, "{tx}");
    assert_eq!(tx["input"], "0x04040404");
    let canonical = block(&url, &format!("{:#x}", confirmed.receipt.block_number.unwrap())).await;
    assert_eq!(json!(confirmed.receipt.block_hash.unwrap()), canonical["hash"]);

    // 2. Nonce 3 waits in the pool when a reorg drops nonce 2: it is
    //    cancelled at 3, and the payload reposted at 2.
    mining.store(false, std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let head = number_of(&url, "latest").await;
    let mut depth = 1;
    while quantity(
        &call(&url, "eth_getTransactionCount", json!([sender, format!("{:#x}", head - depth)]))
            .await["result"],
    ) > 2
    {
        depth += 1;
    }
    let task = send(5);
    while nonce_of(url.clone(), "pending").await < 4 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(call(&url, "anvil_rollback", json!([depth])).await["error"].is_null());
    assert_eq!(nonce_of(url.clone(), "latest").await, 2);
    // The stranded attempt at nonce 3 is replaced before mining resumes.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let pooled = call(&url, "eth_getTransactionBySenderAndNonce", json!([sender, "0x3"])).await;
        if pooled["result"]["to"] == json!(sender) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no cancellation: {pooled}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    mining.store(true, std::sync::atomic::Ordering::SeqCst);
    let confirmed = tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the manager kept waiting after the reorg")
        .unwrap()
        .unwrap();
    let tx = call(&url, "eth_getTransactionByHash", json!([confirmed.receipt.transaction_hash]))
        .await["result"]
        .clone();
    assert_eq!((quantity(&tx["nonce"]), tx["input"].clone()), (2, json!("0x05050505")));
    // The next transaction goes out after the cancellation: each payload once.
    let next = send(6).await.unwrap().unwrap();
    let tx = call(&url, "eth_getTransactionByHash", json!([next.receipt.transaction_hash])).await
        ["result"]
        .clone();
    assert_eq!(quantity(&tx["nonce"]), 4, "{tx}");
    let mut payloads = Vec::new();
    for n in 1..=number_of(&url, "latest").await {
        let b = call(&url, "eth_getBlockByNumber", json!([format!("{n:#x}"), true])).await;
        for tx in b["result"]["transactions"].as_array().unwrap() {
            payloads.push((quantity(&tx["nonce"]), tx["input"].as_str().unwrap().to_string()));
        }
    }
    let want: Vec<(u64, String)> = ["0x00000000", "0x01010101", "0x05050505", "0x", "0x06060606"]
        .iter()
        .enumerate()
        .map(|(i, p)| (i as u64, p.to_string()))
        .collect();
    assert_eq!(payloads, want);
    miner.abort();
    shutdown.cancel();
    l1.shutdown().await;
}
