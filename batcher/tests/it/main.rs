//! Tests of the batcher's transaction manager against the L1 simulator.
#![allow(missing_docs, unreachable_pub)]

use alloy::{providers::Provider, signers::local::PrivateKeySigner};
use alloy_primitives::{Address, Bytes, U256, keccak256};
use rollup_batcher::{TxManager, TxManagerConfig};
use rollup_l1_sim::{L1Config, spawn};
use serde_json::json;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// An L1 simulator that mines only when asked (`evm_mine`), with the key
/// derived from `seed` funded with `wei`; the temporary directory must
/// outlive the L1.
async fn idle_l1(
    seed: u8,
    wei: u128,
) -> (tempfile::TempDir, rollup_l1_sim::L1Handle, alloy::providers::RootProvider, PrivateKeySigner)
{
    let dir = tempfile::tempdir().unwrap();
    let key = PrivateKeySigner::from_bytes(&keccak256([seed])).unwrap();
    let mut config = L1Config::for_tests(
        format!("sqlite://{}?mode=rwc", dir.path().join("l1.db").display()),
        vec![(key.address(), U256::from(wei))],
    );
    config.block_time = Some(Duration::from_secs(3600));
    let l1 = spawn(config).await.unwrap();
    let provider = rollup_client::http_provider(&l1.rpc_url()).unwrap();
    (dir, l1, provider, key)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stuck_transaction_is_resubmitted_with_a_fee_bump() {
    // No block is mined unless asked: the first submission gets stuck.
    let (_dir, l1, provider, key) = idle_l1(7, 10u128.pow(21)).await;
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

#[tokio::test(flavor = "multi_thread")]
async fn transactions_sent_without_waiting_take_consecutive_nonces_and_confirm_in_order() {
    // No block is mined unless asked: every transaction stays pending.
    let (_dir, l1, provider, key) = idle_l1(8, 10u128.pow(21)).await;
    let txmgr = TxManager::new(
        provider.clone(),
        key.clone(),
        TxManagerConfig { poll_interval: Duration::from_millis(50), ..Default::default() },
    );
    // Five in flight at once, from the manager and a clone of it (one key).
    let clone = txmgr.clone();
    let mut pending = Vec::new();
    for i in 0..5u8 {
        let m = if i % 2 == 0 { &txmgr } else { &clone };
        let to = Address::repeat_byte(0x10 + i);
        pending
            .push(m.send_nowait(to, Bytes::new(), U256::from(100 + u64::from(i))).await.unwrap());
    }
    let nonces: Vec<u64> = pending.iter().map(|p| p.nonce()).collect();
    assert_eq!(nonces, [0, 1, 2, 3, 4], "consecutive nonces, none shared");
    assert_eq!(provider.get_transaction_count(key.address()).await.unwrap(), 0, "none mined yet");
    let pooled = provider.get_transaction_count(key.address()).pending().await.unwrap();
    assert_eq!(pooled, 5, "all five accepted by the pool");
    let _: serde_json::Value = provider.raw_request("evm_mine".into(), ()).await.unwrap();
    let shutdown = CancellationToken::new();
    let mut blocks = Vec::new();
    for (i, p) in pending.into_iter().enumerate() {
        let confirmed = p.confirm(&shutdown).await.unwrap();
        assert!(confirmed.receipt.status());
        assert_eq!(confirmed.attempts, 1, "no resubmission needed");
        blocks.push((confirmed.receipt.block_number, confirmed.receipt.transaction_index));
        let to = Address::repeat_byte(0x10 + i as u8);
        assert_eq!(provider.get_balance(to).await.unwrap(), U256::from(100 + i as u64));
    }
    let mut sorted = blocks.clone();
    sorted.sort();
    assert_eq!(blocks, sorted, "mined in the order sent");
    // Confirmed: the nonces are free; the next transaction takes 5.
    let next = txmgr.send_nowait(Address::repeat_byte(0x20), Bytes::new(), U256::ZERO).await;
    assert_eq!(next.unwrap().nonce(), 5);
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_refused_before_it_is_sent_takes_no_nonce() {
    let (_dir, l1, provider, key) = idle_l1(9, 10u128.pow(18)).await;
    let txmgr = TxManager::new(provider.clone(), key.clone(), TxManagerConfig::default());
    let first = txmgr.send_nowait(Address::repeat_byte(1), Bytes::new(), U256::from(1)).await;
    assert_eq!(first.unwrap().nonce(), 0);
    // More than the balance: estimation refuses it; no nonce is taken.
    let too_much = U256::from(10u128.pow(19));
    let refused = txmgr.send_nowait(Address::repeat_byte(2), Bytes::new(), too_much).await;
    assert!(refused.is_err(), "{refused:?}");
    let next = txmgr.send_nowait(Address::repeat_byte(3), Bytes::new(), U256::from(1)).await;
    assert_eq!(next.unwrap().nonce(), 1);
    l1.shutdown().await;
}
