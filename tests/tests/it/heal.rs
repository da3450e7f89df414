//! The rollup heals after a fault: a withdrawal initiated right after it
//! finalizes within two challenge windows plus 60 s, few games are opened,
//! and soon after no game is in progress and the newest output stands.

use crate::common::view;
use alloy::providers::{Provider, RootProvider};
use alloy_primitives::{U256, utils::parse_ether};
use rollup::devnet::{self, Devnet, DevnetConfig, FaultKind};
use rollup_client::dev::dev_account;
use rollup_contracts::{DisputeGameFactory, OutputOracle};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Games in progress and the number of games.
async fn games(net: &Devnet, l1: &RootProvider) -> (u64, u64) {
    let factory = net.rollup.contracts.dispute_game_factory;
    let count: U256 = view(l1, factory, DisputeGameFactory::gameCountCall {}).await;
    let mut open = 0;
    for id in 0..count.to::<u64>() {
        let g = view(l1, factory, DisputeGameFactory::getGameCall { gameId: U256::from(id) }).await;
        open += u64::from(g.status == 0);
    }
    (open, count.to())
}

/// Arms `kinds` together, lifts the lasting ones after `lift_after` L2
/// blocks, and checks the rollup heals.
async fn heals_after(kinds: &[FaultKind], game_clock: Duration, lift_after: u64) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = DevnetConfig::for_tests(dir.path().to_path_buf());
    config.game_clock = game_clock;
    let window = config.challenge_window;
    let net = devnet::spawn(config).await.unwrap();
    let l1 = rollup_client::http_provider(&net.l1.rpc_url()).unwrap();
    let l2 = rollup_client::http_provider(&net.sequencer.rpc_url()).unwrap();
    let api = reqwest::Client::new();
    let url = net.bridge.url();
    let bob = dev_account(1).address();
    crate::common::deposit_from_dev_account(&net, 1, parse_ether("1").unwrap()).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while l2.get_balance(bob).await.unwrap().is_zero() {
        assert!(Instant::now() < deadline, "the deposit never arrived");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let start = Instant::now();
    let armed_at = l2.get_block_number().await.unwrap();
    for kind in kinds {
        net.set_fault(*kind, true);
    }
    let body = json!({"from": bob, "to": bob, "amount": parse_ether("0.05").unwrap().to_string()});
    let created: Value = api
        .post(format!("{url}/v1/withdrawals"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hash = created["withdrawal_hash"].as_str().expect("withdrawal created").to_string();
    // It finalizes within two challenge windows plus 60 s.
    let limit = 2 * window + Duration::from_secs(60);
    let mut lifted = false;
    loop {
        if !lifted && l2.get_block_number().await.unwrap() >= armed_at + lift_after {
            for kind in kinds.iter().filter(|k| !k.one_shot()) {
                net.set_fault(*kind, false);
            }
            lifted = true;
        }
        let status: Value = api
            .get(format!("{url}/v1/withdrawals/{hash}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if status["status"] == "ready-to-finalize" {
            let r = api.post(format!("{url}/v1/withdrawals/{hash}/finalize")).send().await.unwrap();
            if r.status() == 200 {
                break;
            }
        }
        assert!(start.elapsed() < limit, "not finalized within {limit:?}: {status}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (_, opened) = games(&net, &l1).await;
    assert!(opened <= 3, "{opened} games for one fault");
    // Soon after, no game is in progress and the newest output stands.
    let oracle = net.rollup.contracts.output_oracle;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (open, _) = games(&net, &l1).await;
        let count: U256 = view(&l1, oracle, OutputOracle::outputCountCall {}).await;
        let newest = count - U256::from(1);
        let challenged: bool =
            view(&l1, oracle, OutputOracle::isChallengedCall { index: newest }).await;
        if open == 0 && !challenged {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{open} games open, newest output challenged: {challenged}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Outputs are proposed from safe blocks only: the newest is at or
    // below the sequencer's safe head, and its root is the safe chain's.
    let count: U256 = view(&l1, oracle, OutputOracle::outputCountCall {}).await;
    let newest =
        view(&l1, oracle, OutputOracle::getOutputCall { index: count - U256::from(1) }).await;
    let sync: Value = l2.raw_request("optimism_syncStatus".into(), ()).await.unwrap();
    let safe = sync["safe_l2"]["number"].as_u64().unwrap();
    assert!(newest.l2BlockNumber <= safe, "output at {} above safe {safe}", newest.l2BlockNumber);
    let at: Value = l2
        .raw_request(
            "optimism_outputAtBlock".into(),
            (alloy_primitives::U64::from(newest.l2BlockNumber),),
        )
        .await
        .unwrap();
    assert_eq!(at["outputRoot"], json!(newest.outputRoot));
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rollup_heals_after_an_invalid_state_transition() {
    heals_after(&[FaultKind::InvalidStateTransition], Duration::from_secs(120), 0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rollup_heals_after_an_invalid_output_root() {
    heals_after(&[FaultKind::InvalidOutputRoot], Duration::from_secs(120), 0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rollup_heals_after_censorship_lifted_after_40_blocks() {
    heals_after(&[FaultKind::CensorDeposits], Duration::from_secs(120), 40).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rollup_heals_after_an_undefended_wrong_output() {
    // The proposer stops defending and posts a wrong root: it loses on its
    // clock, the output goes, honest ones follow once defending resumes.
    let kinds = [FaultKind::StopDefending, FaultKind::InvalidOutputRoot];
    heals_after(&kinds, Duration::from_secs(5), 60).await;
}
