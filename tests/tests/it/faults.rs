//! Faults injected into the sequencer and the proposer are caught by the
//! challenger, which derives the chain from L1 data alone.

use alloy::providers::{Provider, ProviderBuilder};
use alloy_primitives::{U256, utils::parse_ether};
use rollup::devnet::{self, DevnetConfig};
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
async fn censored_deposits_are_forced_in_by_derivation() {
    let dir = tempfile::tempdir().unwrap();
    let net = devnet::spawn(DevnetConfig::for_tests(dir.path().to_path_buf())).await.unwrap();
    let mut events = net.challenger.subscribe();
    net.sequencer.faults.censor_deposits.store(true, Ordering::Relaxed);
    let alice = dev_account(0);
    crate::common::deposit_from_dev_account(&net, 0, parse_ether("1").unwrap()).await;
    // The sequencer leaves the deposit out...
    let (_, block) = next_invalid(&mut events).await;
    let l2 = ProviderBuilder::new().connect_http(net.sequencer.rpc_url().parse().unwrap());
    assert_eq!(
        l2.get_balance(alice.address()).await.unwrap(),
        U256::ZERO,
        "censored on the sequencer"
    );
    // ...but the chain derived from L1 has it, so the sequencer's outputs are wrong.
    assert!(block > 0);
    net.shutdown().await;
}
