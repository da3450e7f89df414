//! Tests of the batcher's transaction manager against the L1 simulator.
#![allow(missing_docs, unreachable_pub)]

use alloy::{providers::Provider, signers::local::PrivateKeySigner};
use alloy_primitives::{Address, Bytes, U256, keccak256};
use rollup_batcher::{TxManager, TxManagerConfig};
use rollup_l1_sim::{L1Config, spawn};
use serde_json::json;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread")]
async fn a_stuck_transaction_is_resubmitted_with_a_fee_bump() {
    let dir = tempfile::tempdir().unwrap();
    let key = PrivateKeySigner::from_bytes(&keccak256([7u8])).unwrap();
    let mut config = L1Config::for_tests(
        format!("sqlite://{}?mode=rwc", dir.path().join("l1.db").display()),
        vec![(key.address(), U256::from(10u128.pow(21)))],
    );
    // No block is mined unless asked: the first submission gets stuck.
    config.block_time = Some(Duration::from_secs(3600));
    let l1 = spawn(config).await.unwrap();
    let provider = rollup_client::http_provider(&l1.rpc_url()).unwrap();
    let txmgr = TxManager::new(
        provider.clone(),
        key.clone(),
        TxManagerConfig {
            resubmit_after: Duration::from_millis(400),
            poll_interval: Duration::from_millis(50),
            ..Default::default()
        },
    );
    let url = l1.rpc_url();
    let miner = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        reqwest::Client::new()
            .post(&url)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []}))
            .send()
            .await
            .unwrap();
    });
    let to = Address::repeat_byte(9);
    let confirmed =
        txmgr.send(to, Bytes::new(), U256::from(5), &CancellationToken::new()).await.unwrap();
    miner.await.unwrap();
    assert!(confirmed.attempts >= 2, "resubmitted ({} attempts)", confirmed.attempts);
    assert!(confirmed.receipt.status());
    let mined = provider
        .get_transaction_by_hash(confirmed.receipt.transaction_hash)
        .await
        .unwrap()
        .unwrap();
    let first_tip = rollup_l1_sim::L1_SUGGESTED_TIP; // eth_maxPriorityFeePerGas of the simulator
    assert!(
        alloy::consensus::Transaction::max_priority_fee_per_gas(mined.inner.inner()).unwrap()
            >= first_tip * 115 / 100,
        "the mined replacement pays a bumped tip"
    );
    assert_eq!(provider.get_balance(to).await.unwrap(), U256::from(5), "paid exactly once");
    assert_eq!(provider.get_transaction_count(key.address()).await.unwrap(), 1);
    l1.shutdown().await;
}
