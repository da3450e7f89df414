//! The verifier node (`rollup node`): the L2 derived from L1 alone, the
//! sequencer's unsafe blocks followed, transactions forwarded; after a
//! sequencer fault it serves the derived chain.

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
};
use alloy_primitives::{Address, U64, utils::parse_ether};
use rollup::devnet::{self, Devnet, DevnetConfig, FaultKind};
use rollup_client::dev::dev_account;
use rollup_sequencer::{SequencerHandle, VerifierConfig};
use std::{sync::atomic::Ordering, time::Duration};

async fn verifier(net: &Devnet, dir: &std::path::Path, follow: bool) -> SequencerHandle {
    let url = format!("sqlite://{}?mode=rwc", dir.join("node.db").display());
    let node = net.rollup.sequencer_config(
        ([127, 0, 0, 1], 0).into(),
        &net.l1.rpc_url(),
        Duration::from_millis(100),
        url,
    );
    let sequencer_rpc_url = follow.then(|| net.sequencer.rpc_url());
    rollup_sequencer::spawn_verifier(VerifierConfig { node, sequencer_rpc_url }).await.unwrap()
}

async fn block_hash(l2: &impl Provider, tag: &str) -> Option<(u64, alloy_primitives::B256)> {
    let b: serde_json::Value =
        l2.raw_request("eth_getBlockByNumber".into(), (tag, false)).await.unwrap();
    Some((
        u64::from_str_radix(b["number"].as_str()?.trim_start_matches("0x"), 16).ok()?,
        serde_json::from_value(b["hash"].clone()).ok()?,
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verifier_follows_forwards_and_serves_the_derived_chain_after_a_fault() {
    let dir = tempfile::tempdir().unwrap();
    let net = devnet::spawn(DevnetConfig::for_tests(dir.path().to_path_buf())).await.unwrap();
    let node = verifier(&net, dir.path(), true).await;
    crate::common::deposit_from_dev_account(&net, 0, parse_ether("1").unwrap()).await;
    let alice = dev_account(0);
    let bob = Address::repeat_byte(0xb0);
    // Through the verifier: it forwards the transaction to the sequencer
    // and serves the receipt once it has followed the block.
    let via_node = ProviderBuilder::new()
        .wallet(EthereumWallet::from(alice.clone()))
        .connect_http(node.rpc_url().parse().unwrap());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while via_node.get_balance(alice.address()).await.unwrap().is_zero() {
        assert!(tokio::time::Instant::now() < deadline, "the deposit never reached the verifier");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let tx = TransactionRequest::default().with_to(bob).with_value(parse_ether("0.1").unwrap());
    let receipt = via_node
        .send_transaction(tx)
        .await
        .unwrap()
        .with_timeout(Some(Duration::from_secs(60)))
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    let block = receipt.block_number.unwrap();
    // Its safe head reaches the block, with the sequencer's hash.
    let sequencer = ProviderBuilder::new().connect_http(net.sequencer.rpc_url().parse().unwrap());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let (safe, safe_hash) = loop {
        let (safe, hash) = block_hash(&via_node, "safe").await.unwrap();
        if safe >= block {
            break (safe, hash);
        }
        assert!(tokio::time::Instant::now() < deadline, "the verifier's safe head stays at {safe}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let theirs: serde_json::Value = sequencer
        .raw_request("eth_getBlockByNumber".into(), (U64::from(safe), false))
        .await
        .unwrap();
    assert_eq!(theirs["hash"], serde_json::json!(safe_hash));
    assert_eq!(
        via_node.get_balance(bob).number(block).await.unwrap(),
        sequencer.get_balance(bob).number(block).await.unwrap()
    );
    let status: serde_json::Value =
        via_node.raw_request("optimism_syncStatus".into(), ()).await.unwrap();
    let n = |k: &str| status[k]["number"].as_u64().unwrap();
    assert!(n("finalized_l2") <= n("safe_l2") && n("safe_l2") <= n("unsafe_l2"), "{status}");

    // A sequencer fault: the verifier never takes the wrong block, and its
    // block of that number ends up the derived one.
    net.set_fault(FaultKind::InvalidStateTransition, true);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let bad = loop {
        let bad = net.sequencer.faults.faulted_block.load(Ordering::Relaxed);
        if bad != 0 {
            break bad;
        }
        assert!(tokio::time::Instant::now() < deadline, "the fault never fired");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // The fault is marked when the block is built, a moment before the
    // sequencer commits and serves it.
    let wrong = loop {
        let wrong: serde_json::Value = sequencer
            .raw_request("eth_getBlockByNumber".into(), (U64::from(bad), false))
            .await
            .unwrap();
        if !wrong.is_null() {
            break wrong;
        }
        assert!(tokio::time::Instant::now() < deadline, "block {bad} never served");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let (safe, _) = block_hash(&via_node, "safe").await.unwrap();
        if safe >= bad {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the verifier's safe head stays at {safe}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ours: serde_json::Value =
        via_node.raw_request("eth_getBlockByNumber".into(), (U64::from(bad), false)).await.unwrap();
    assert_ne!(ours["hash"], wrong["hash"], "the verifier serves the derived block");
    assert_eq!(ours["number"], wrong["number"]);

    // Without a sequencer, transactions are refused with a clear error.
    let alone_dir = tempfile::tempdir().unwrap();
    let alone = verifier(&net, alone_dir.path(), false).await;
    let raw = alloy_primitives::Bytes::from_static(&[0x02, 0xc0]);
    let l2 = rollup_client::http_provider(&alone.rpc_url()).unwrap();
    let err = l2
        .raw_request::<_, serde_json::Value>("eth_sendRawTransaction".into(), (raw,))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no sequencer"), "{err}");
    alone.shutdown().await;
    node.shutdown().await;
    net.shutdown().await;
}
