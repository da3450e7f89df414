//! L1 reorgs below finality during L2 traffic are survived by every role:
//! the transaction manager reposts, the sequencer re-picks L1 origins and
//! reorgs L2 where an origin is gone, the bridge rolls back what it indexed.

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    providers::{Provider, ProviderBuilder},
    rpc::types::{Filter, TransactionRequest},
    sol_types::SolEvent,
};
use alloy_primitives::{Address, B256, utils::parse_ether};
use rollup::devnet::{self, DevnetConfig};
use rollup_client::dev::dev_account;
use rollup_contracts::BatchInbox;
use serde_json::Value;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn l1_reorgs_during_traffic_lose_no_acknowledged_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let net = devnet::spawn(DevnetConfig::for_tests(dir.path().to_path_buf())).await.unwrap();
    let l1 = rollup_client::http_provider(&net.l1.rpc_url()).unwrap();
    let l2 = rollup_client::http_provider(&net.sequencer.rpc_url()).unwrap();
    let alice = dev_account(0);
    crate::common::deposit_from_dev_account(&net, 0, parse_ether("10").unwrap()).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while l2.get_balance(alice.address()).await.unwrap().is_zero() {
        assert!(Instant::now() < deadline, "the deposit never arrived");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let wallet = ProviderBuilder::new()
        .wallet(EthereumWallet::from(alice.clone()))
        .connect_http(net.sequencer.rpc_url().parse().unwrap());
    let bob = Address::repeat_byte(0xb0);
    // Transfers with receipts, sent one after the other, across two reorgs.
    let mut acknowledged: Vec<B256> = Vec::new();
    for depth in [2u64, 6] {
        for _ in 0..15 {
            let tx = TransactionRequest::default()
                .with_to(bob)
                .with_value(parse_ether("0.001").unwrap());
            let receipt = wallet
                .send_transaction(tx)
                .await
                .unwrap()
                .with_timeout(Some(Duration::from_secs(60)))
                .get_receipt()
                .await
                .unwrap();
            acknowledged.push(receipt.transaction_hash);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _: Value = l1.raw_request("anvil_rollback".into(), (depth,)).await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    // Healed: the L2 safe head passes the L2 head of the last send again.
    let head = l2.get_block_number().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let sync: Value = l2.raw_request("optimism_syncStatus".into(), ()).await.unwrap();
        let n = |k: &str| sync[k]["number"].as_u64().unwrap();
        assert!(n("finalized_l2") <= n("safe_l2") && n("safe_l2") <= n("unsafe_l2"), "{sync}");
        if n("safe_l2") >= head {
            break;
        }
        assert!(Instant::now() < deadline, "safe head stuck at {}", n("safe_l2"));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Both reorgs were seen (the challenger re-derived after each).
    assert!(net.challenger.status().await.l1_reorgs >= 2, "the L1 reorgs went unnoticed");
    // Every transaction that had a receipt is included or back in the pool.
    for hash in &acknowledged {
        let tx: Value = l2.raw_request("eth_getTransactionByHash".into(), (hash,)).await.unwrap();
        assert!(!tx.is_null(), "{hash} was lost");
    }
    // The batches on L1 are contiguous: no block twice, none skipped.
    let filter = Filter::new()
        .address(net.rollup.contracts.batch_inbox)
        .event_signature(BatchInbox::BatchAppended::SIGNATURE_HASH)
        .from_block(0);
    let mut next = 1;
    let mut ranges = Vec::new();
    for log in l1.get_logs(&filter).await.unwrap() {
        let e = BatchInbox::BatchAppended::decode_log(&log.inner).unwrap();
        assert_eq!(e.l2Start, next, "batches are contiguous");
        next = e.l2End + 1;
        ranges.push((e.l2Start, e.l2End));
    }
    // The bridge API shows the same batches as the contract.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let api: Value = reqwest::get(format!("{}/v1/batches?limit=1000", net.bridge.url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut shown: Vec<(u64, u64)> = api["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| (b["l2_start"].as_u64().unwrap(), b["l2_end"].as_u64().unwrap()))
            .collect();
        shown.sort();
        if shown.len() >= ranges.len() && shown[..ranges.len()] == ranges[..] {
            break;
        }
        assert!(Instant::now() < deadline, "the bridge shows {shown:?}, the inbox {ranges:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    net.shutdown().await;
}
