//! Batches in EIP-4844 blobs: the batcher posts frames in blobs, the
//! challenger derives the chain back from the blobs (read from the beacon
//! API) and agrees with every output.

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    providers::{Provider, ProviderBuilder},
    rpc::types::{Filter, TransactionRequest},
    sol_types::SolEvent,
};
use alloy_primitives::{U256, utils::parse_ether};
use rollup::devnet::{self, DevnetConfig};
use rollup_batcher::DataAvailability;
use rollup_client::dev::dev_account;
use rollup_contracts::BatchInbox;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn batches_in_blobs_derive_to_the_sequencers_chain() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = DevnetConfig::for_tests(dir.path().to_path_buf());
    config.da = DataAvailability::Blobs;
    let net = devnet::spawn(config).await.unwrap();
    let alice = dev_account(0);
    let api = reqwest::Client::new();
    let body = serde_json::json!({
        "from": alice.address(), "to": alice.address(), "amount": parse_ether("1").unwrap().to_string()
    });
    let r = api.post(format!("{}/v1/deposits", net.bridge.url())).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let l2 = ProviderBuilder::new()
        .wallet(EthereumWallet::from(alice.clone()))
        .connect_http(net.sequencer.rpc_url().parse().unwrap());
    while l2.get_balance(alice.address()).await.unwrap().is_zero() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let tx =
        TransactionRequest::default().with_to(dev_account(1).address()).with_value(U256::from(777));
    let receipt = l2.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    let block = receipt.block_number.unwrap();

    // The batch holding it is a blob batch.
    let l1 = rollup_client::http_provider(&net.l1.rpc_url()).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    loop {
        let filter = Filter::new()
            .address(net.rollup.contracts.batch_inbox)
            .event_signature(BatchInbox::BatchAppended::SIGNATURE_HASH)
            .from_block(0);
        let found = l1.get_logs(&filter).await.unwrap().iter().find_map(|l| {
            let e = BatchInbox::BatchAppended::decode_log(&l.inner).ok()?;
            (e.l2Start <= block && block <= e.l2End).then_some(e.isBlob)
        });
        if let Some(is_blob) = found {
            assert!(is_blob, "posted in blobs");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no batch for block {block}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The challenger derived past it from the blobs and agrees with the outputs.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    loop {
        let status = net.challenger.status().await;
        if status.derived_head >= block && status.outputs_checked > 0 {
            assert!(status.invalid_outputs.is_empty(), "{:?}", status.invalid_outputs);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "challenger at {}", status.derived_head);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let records = net.batcher.store.batches().await.unwrap();
    assert!(records.iter().all(|b| b.blobs > 0), "every batch went to blobs");
    // The bridge reads the blob batches back from the beacon API: codec and
    // transaction count as for calldata, and the deposit in one of them.
    let page: serde_json::Value = api
        .get(format!("{}/v1/batches?limit=100", net.bridge.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().expect("items");
    assert!(!items.is_empty(), "{page}");
    for item in items {
        let details = &item["details"];
        assert!(details["blobs"].as_u64().unwrap() > 0, "{item}");
        assert_eq!(details["compression"], "brotli", "{item}");
        assert!(details["encoding"].is_string(), "{item}");
        assert!(details["transactions"].is_u64(), "{item}");
    }
    net.shutdown().await;
}
