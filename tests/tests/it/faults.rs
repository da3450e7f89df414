//! Faults injected into the sequencer and the proposer are caught by the
//! challenger, which derives the chain from L1 data alone.

use alloy::providers::{Provider, ProviderBuilder};
use alloy_primitives::utils::parse_ether;
use rollup::devnet::{self, DevnetConfig, FaultKind};

use rollup_challenger::ChallengerEvent;
use rollup_client::dev::dev_account;
use std::{sync::atomic::Ordering, time::Duration};

async fn next_invalid(
    events: &mut tokio::sync::broadcast::Receiver<ChallengerEvent>,
) -> (u64, u64) {
    let wait = async {
        loop {
            match events.recv().await {
                Ok(ChallengerEvent::OutputInvalid {
                    output_index,
                    l2_block,
                    proposed,
                    derived,
                }) => {
                    assert_ne!(proposed, derived);
                    return (output_index, l2_block);
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("{e}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(40), wait)
        .await
        .expect("an invalid output is reported")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_output_root_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let net = devnet::spawn(DevnetConfig::for_tests(dir.path().to_path_buf())).await.unwrap();
    let mut events = net.challenger.subscribe();
    net.batcher.faults.invalid_output_root.store(true, Ordering::Relaxed);
    let (index, block) = next_invalid(&mut events).await;
    assert_eq!(block % net.rollup.output_interval, 0);
    let status = net.challenger.status().await;
    assert_eq!(status.invalid_outputs, vec![(index, block)], "only the faulty output is invalid");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn censored_deposits_are_forced_in_and_the_sequencer_reorgs_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let net = devnet::spawn(DevnetConfig::for_tests(dir.path().to_path_buf())).await.unwrap();
    let mut sse = reqwest::get(format!("{}/v1/events", net.bridge.url())).await.unwrap();
    net.set_fault(FaultKind::CensorDeposits, true);
    let alice = dev_account(0);
    let amount = parse_ether("1").unwrap();
    crate::common::deposit_from_dev_account(&net, 0, amount).await;
    let l2 = ProviderBuilder::new().connect_http(net.sequencer.rpc_url().parse().unwrap());
    // The sequencer leaves the deposit out, but the chain derived from its
    // batches has it: the sequencer reorgs to that chain, censoring or not.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while l2.get_balance(alice.address()).await.unwrap() != amount {
        assert!(tokio::time::Instant::now() < deadline, "the deposit was never forced in");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let reorgs: serde_json::Value = l2.raw_request("rollup_reorgs".into(), ()).await.unwrap();
    let causes: Vec<String> = reorgs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cause"].as_str().unwrap().to_string())
        .collect();
    assert!(causes.iter().any(|c| c.contains("deposits")), "{causes:?}");
    // The bridge announces it on /v1/events.
    let mut seen = String::new();
    let read = async {
        while !seen.contains("event: l2-reorg") {
            let chunk = sse.chunk().await.unwrap().expect("the stream stays open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read).await.expect("an l2-reorg event");
    let data = seen.split("event: l2-reorg").nth(1).unwrap();
    assert!(data.contains("\"cause\":\"deposits differ"), "{data}");
    // The proposer only proposes safe (derived) blocks: no output is wrong.
    net.set_fault(FaultKind::CensorDeposits, false);
    let reorg_block = reorgs[0]["firstBlock"].as_u64().unwrap();
    let mut events = net.challenger.subscribe();
    let valid_after = async {
        loop {
            if let Ok(ChallengerEvent::OutputValid { l2_block, .. }) = events.recv().await
                && l2_block >= reorg_block
            {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), valid_after)
        .await
        .expect("an output past the reorg, valid");
    assert!(net.challenger.status().await.invalid_outputs.is_empty());
    net.shutdown().await;
}
