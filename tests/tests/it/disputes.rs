//! Fraud proofs end to end: the challenger disputes wrong outputs, bisects
//! to the first wrong block, proves it with the EXECUTE precompile on L1, and
//! wins; challenges against correct outputs are lost; a side that stops
//! moving loses on its clock.

use crate::common::view;
use alloy::{
    providers::{Provider, RootProvider},
    sol_types::SolEvent,
};
use alloy_primitives::{B256, U64, U256, utils::parse_ether};
use rollup::devnet::{self, Devnet, DevnetConfig, FaultKind};

use rollup_client::dev::{Role, dev_account, role_signer};
use rollup_contracts::{DisputeGameFactory, OutputOracle};
use std::{sync::atomic::Ordering, time::Duration};

const IN_PROGRESS: u8 = 0;
const PROPOSER_WON: u8 = 1;
const CHALLENGER_WON: u8 = 2;

async fn start(
    config: impl FnOnce(&mut DevnetConfig),
) -> (Devnet, tempfile::TempDir, RootProvider) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = DevnetConfig::for_tests(dir.path().to_path_buf());
    // Games meant to end by proof get clocks no loaded CI machine runs out
    // (the test L1 mines every 500 ms with 1 s timestamps, so its time runs
    // twice as fast as the wall clock); tests of the clock set their own.
    c.game_clock = Duration::from_secs(600);
    config(&mut c);
    let net = devnet::spawn(c).await.unwrap();
    let l1 = rollup_client::http_provider(&net.l1.rpc_url()).unwrap();
    (net, dir, l1)
}

/// Waits until game `id` exists and is over; returns it.
async fn resolved(
    net: &Devnet,
    l1: &RootProvider,
    id: u64,
    timeout: Duration,
) -> DisputeGameFactory::Game {
    let factory = net.rollup.contracts.dispute_game_factory;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let count: U256 = view(l1, factory, DisputeGameFactory::gameCountCall {}).await;
        if count > U256::from(id) {
            let g =
                view(l1, factory, DisputeGameFactory::getGameCall { gameId: U256::from(id) }).await;
            if g.status != IN_PROGRESS {
                return g;
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "game {id} did not end in time");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The output root EXECUTE returned for game `id`, if it was proven.
///
/// Read once, right after `eth_call` showed the game resolved: the node
/// never shows a block's state before the block (and its logs) is the head
/// (`Node::state_view`).
async fn proven_root(net: &Devnet, l1: &RootProvider, id: u64) -> Option<B256> {
    let filter = alloy::rpc::types::Filter::new()
        .address(net.rollup.contracts.dispute_game_factory)
        .event_signature(DisputeGameFactory::BlockProven::SIGNATURE_HASH)
        .from_block(0);
    l1.get_logs(&filter).await.unwrap().iter().find_map(|log| {
        let e = DisputeGameFactory::BlockProven::decode_log(&log.inner).ok()?;
        (e.gameId == U256::from(id)).then_some(e.outputRoot)
    })
}

async fn l2_root(net: &Devnet, block: u64) -> B256 {
    let l2 = rollup_client::http_provider(&net.sequencer.rpc_url()).unwrap();
    let v: serde_json::Value =
        l2.raw_request("optimism_outputAtBlock".into(), (U64::from(block),)).await.unwrap();
    serde_json::from_value(v["outputRoot"].clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_output_root_is_disputed_deleted_and_reproposed() {
    let (net, _dir, l1) = start(|_| {}).await;
    let oracle = net.rollup.contracts.output_oracle;
    let factory = net.rollup.contracts.dispute_game_factory;
    let api = reqwest::Client::new();
    let url = net.bridge.url();
    let bob = dev_account(1).address();
    let attacker = role_signer(Role::Challenger).address();
    let before = l1.get_balance(attacker).await.unwrap();

    // Bob deposits, then withdraws; the output that covers his withdrawal is
    // the wrong one or a later one, so it is deleted with it.
    let body = serde_json::json!({"from": bob, "to": bob, "amount": parse_ether("1").unwrap().to_string()});
    assert_eq!(
        api.post(format!("{url}/v1/deposits")).json(&body).send().await.unwrap().status(),
        201
    );
    let l2 = rollup_client::http_provider(&net.sequencer.rpc_url()).unwrap();
    while l2.get_balance(bob).await.unwrap().is_zero() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    net.batcher.faults.invalid_output_root.store(true, Ordering::Relaxed);
    let body = serde_json::json!({"from": bob, "to": bob, "amount": parse_ether("0.1").unwrap().to_string()});
    let w: serde_json::Value = api
        .post(format!("{url}/v1/withdrawals"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hash = w["withdrawal_hash"].as_str().unwrap().to_string();

    let game = resolved(&net, &l1, 0, Duration::from_secs(90)).await;
    assert_eq!(game.status, CHALLENGER_WON, "the challenger wins");
    assert_eq!(game.hi - game.lo, 1, "settled by a one-step proof of one block");
    let proven = proven_root(&net, &l1, 0).await.expect("settled by proveBlock");
    assert_eq!(proven, l2_root(&net, game.hi).await, "EXECUTE computed the honest root");
    let moves: U256 =
        view(&l1, factory, DisputeGameFactory::moveCountCall { gameId: U256::ZERO }).await;
    assert!(moves >= U256::from(1));

    // The wrong output was deleted; the honest root is proposed again at that index.
    let index = game.outputIndex;
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let count: U256 = view(&l1, oracle, OutputOracle::outputCountCall {}).await;
            if count > index {
                let o = view(&l1, oracle, OutputOracle::getOutputCall { index }).await;
                if o.outputRoot == l2_root(&net, o.l2BlockNumber).await {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    })
    .await
    .expect("re-proposed");
    assert!(!view(&l1, oracle, OutputOracle::isChallengedCall { index }).await);

    // The withdrawal finalizes, against an honest output only.
    let status = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let v: serde_json::Value = api
                .get(format!("{url}/v1/withdrawals/{hash}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap_or_default();
            if v["status"] == "ready-to-finalize" {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    })
    .await
    .expect("withdrawal ready");
    let proof_index = U256::from(status["proof"]["output_index"].as_u64().unwrap());
    assert!(proof_index >= index, "proven against an output at or after the deleted one");
    let used = view(&l1, oracle, OutputOracle::getOutputCall { index: proof_index }).await;
    assert_eq!(used.outputRoot, l2_root(&net, used.l2BlockNumber).await, "an honest output");
    let done = api.post(format!("{url}/v1/withdrawals/{hash}/finalize")).send().await.unwrap();
    assert_eq!(done.status(), 200);

    // The challenger got its bond back plus the proposer's (minus gas).
    let after = l1.get_balance(attacker).await.unwrap();
    assert!(after > before + parse_ether("0.09").unwrap(), "bond won: {before} -> {after}");
    net.shutdown().await;
}

/// One dispute per fault, and the rollup heals (issue 11): a wrong output
/// root costs one game, whose bond `GET /v1/challenges` shows at risk while
/// it runs; 30 s after it resolves no game is in progress, nothing is at
/// risk, and the newest output is honest and unchallenged.
#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_output_root_costs_one_game_and_the_rollup_heals() {
    let (net, _dir, l1) = start(|_| {}).await;
    let oracle = net.rollup.contracts.output_oracle;
    let factory = net.rollup.contracts.dispute_game_factory;
    let api = reqwest::Client::new();
    let challenges = format!("{}/v1/challenges", net.bridge.url());
    let bond: U256 = view(&l1, factory, DisputeGameFactory::challengerBondCall {}).await;
    net.batcher.faults.invalid_output_root.store(true, Ordering::Relaxed);

    // While the game runs, its bond is shown at risk.
    let mut seen_at_risk = None;
    loop {
        let page: serde_json::Value =
            api.get(&challenges).send().await.unwrap().json().await.unwrap();
        let stake = &page["challenger"];
        if stake["open_games"] == serde_json::json!([0]) {
            assert_eq!(stake["bonds_at_risk_wei"], bond.to_string(), "{page}");
            seen_at_risk = Some(stake["disputed_output"].as_u64().expect("disputed output"));
            break;
        }
        let count: U256 = view(&l1, factory, DisputeGameFactory::gameCountCall {}).await;
        if count > U256::ZERO {
            let g =
                view(&l1, factory, DisputeGameFactory::getGameCall { gameId: U256::ZERO }).await;
            if g.status != IN_PROGRESS {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let game = resolved(&net, &l1, 0, Duration::from_secs(90)).await;
    assert_eq!(game.status, CHALLENGER_WON);
    let disputed = seen_at_risk.expect("the bond at risk was shown while the game ran");
    assert_eq!(U256::from(disputed), game.outputIndex);

    tokio::time::sleep(Duration::from_secs(30)).await;
    let games: U256 = view(&l1, factory, DisputeGameFactory::gameCountCall {}).await;
    assert_eq!(games, U256::from(1), "one game for one fault");
    let count: U256 = view(&l1, oracle, OutputOracle::outputCountCall {}).await;
    assert!(count > game.outputIndex, "outputs re-proposed after the deleted one");
    let newest = count - U256::from(1);
    assert!(!view(&l1, oracle, OutputOracle::isChallengedCall { index: newest }).await);
    let output = view(&l1, oracle, OutputOracle::getOutputCall { index: newest }).await;
    assert_eq!(output.outputRoot, l2_root(&net, output.l2BlockNumber).await, "honest");
    let page: serde_json::Value = api.get(&challenges).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        page["challenger"],
        serde_json::json!({"bonds_at_risk_wei": "0", "open_games": [], "disputed_output": null}),
        "{page}"
    );
    let status = net.challenger.status().await;
    assert!(status.invalid_outputs.is_empty(), "{status:?}");
    net.shutdown().await;
}

/// The challenger re-derives after an L1 reorg (`evm_revert` of the blocks
/// that carried batches): it drops the batches of the dropped L1 blocks and
/// derives again from what the L1 has now (issue 11, item 6).
#[tokio::test(flavor = "multi_thread")]
async fn the_challenger_rederives_after_an_l1_reorg() {
    let (net, _dir, l1) = start(|_| {}).await;
    let mut events = net.challenger.subscribe();
    let wait_for = |what: &'static str, timeout: Duration| {
        let deadline = tokio::time::Instant::now() + timeout;
        move || assert!(tokio::time::Instant::now() < deadline, "{what} in time")
    };
    let in_time = wait_for("a derived block", Duration::from_secs(60));
    while net.challenger.status().await.derived_head == 0 {
        in_time();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let snapshot: String =
        l1.raw_request("evm_snapshot".into(), serde_json::json!([])).await.unwrap();
    let at_snapshot = net.challenger.status().await.derived_head;
    // More batches land on L1 and are derived...
    let in_time = wait_for("batches after the snapshot", Duration::from_secs(60));
    while net.challenger.status().await.derived_head <= at_snapshot {
        in_time();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before_revert = net.challenger.status().await.derived_head;
    // ...then the L1 blocks that carried them are reorged away.
    let reverted: bool = l1.raw_request("evm_revert".into(), (snapshot,)).await.unwrap();
    assert!(reverted);
    let reorg = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match events.recv().await {
                Ok(rollup_challenger::ChallengerEvent::L1Reorg {
                    batches_dropped,
                    derived_head,
                    ..
                }) => return (batches_dropped, derived_head),
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("{e}"),
            }
        }
    })
    .await
    .expect("the challenger saw the L1 reorg");
    let (batches_dropped, derived_head) = reorg;
    assert!(batches_dropped >= 1, "the batches of the dropped blocks are dropped");
    assert!(
        derived_head < before_revert,
        "re-derived from the batches kept: {derived_head} < {before_revert}"
    );
    let status = net.challenger.status().await;
    assert!(status.l1_reorgs >= 1, "{status:?}");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_transition_deep_in_a_long_range_is_found_by_bisection() {
    let (net, _dir, l1) = start(|c| {
        c.output_interval = 64;
        c.l2_block_time = Duration::from_millis(50);
        c.challenge_window = Duration::from_secs(30);
    })
    .await;
    // Fault a block well inside the range of the first output (blocks 1..=64).
    let l2 = rollup_client::http_provider(&net.sequencer.rpc_url()).unwrap();
    while l2.get_block_number().await.unwrap() < 37 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A colluding sequencer and proposer: the wrong block's output is proposed.
    net.set_fault(FaultKind::InvalidStateTransition, true);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let bad = net.sequencer.faults.faulted_block.load(Ordering::Relaxed);
    assert!((38..64).contains(&bad), "faulted block {bad}");
    let wrong = l2_root(&net, bad).await;
    let game = resolved(&net, &l1, 0, Duration::from_secs(120)).await;
    assert_eq!(game.status, CHALLENGER_WON);
    assert_eq!((game.lo, game.hi), (bad - 1, bad), "bisection narrowed to the faulted block");
    let proven = proven_root(&net, &l1, 0).await.expect("settled by proveBlock");
    assert_ne!(proven, wrong, "the sequencer's block differs from its batch");
    // The sequencer healed: its block is now the derived one, which the
    // proof executed, and the reorg says why.
    let l2 = rollup_client::http_provider(&net.sequencer.rpc_url()).unwrap();
    let reorgs: serde_json::Value = l2.raw_request("rollup_reorgs".into(), ()).await.unwrap();
    let reorg = reorgs.as_array().and_then(|r| r.first()).cloned().expect("a reorg");
    assert_eq!(reorg["firstBlock"], bad, "{reorg}");
    assert!(reorg["cause"].as_str().unwrap().contains("state root"), "{reorg}");
    assert_eq!(l2_root(&net, bad).await, proven, "the sequencer adopted the derived block");
    let moves: U256 = view(
        &l1,
        net.rollup.contracts.dispute_game_factory,
        DisputeGameFactory::moveCountCall { gameId: U256::ZERO },
    )
    .await;
    assert!(moves <= U256::from(7), "{moves} moves for a range of 64 (log2(64) + 1 = 7)");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_challenge_against_a_correct_output_is_lost_by_the_challenger() {
    let (net, _dir, l1) = start(|_| {}).await;
    let oracle = net.rollup.contracts.output_oracle;
    // Wait for an output, then dispute it although it is correct.
    let index = loop {
        let count: U256 = view(&l1, oracle, OutputOracle::outputCountCall {}).await;
        if count > U256::ZERO {
            break count - U256::from(1);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    tokio::time::sleep(Duration::from_secs(1)).await; // let the challenger derive it
    net.challenger.request_challenge(index.to()).await.unwrap();
    let game = resolved(&net, &l1, 0, Duration::from_secs(90)).await;
    assert_eq!(game.status, PROPOSER_WON, "the challenger loses");
    assert_eq!(proven_root(&net, &l1, 0).await, Some(l2_root(&net, game.hi).await), "by proof");
    let output = view(&l1, oracle, OutputOracle::getOutputCall { index }).await;
    assert_eq!(output.outputRoot, l2_root(&net, output.l2BlockNumber).await);
    assert!(!view(&l1, oracle, OutputOracle::isChallengedCall { index }).await);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_side_that_stops_moving_loses_on_its_clock() {
    let (net, _dir, l1) = start(|c| c.game_clock = Duration::from_secs(3)).await;
    net.batcher.faults.stop_defending.store(true, Ordering::Relaxed);
    net.batcher.faults.invalid_output_root.store(true, Ordering::Relaxed);
    let game = resolved(&net, &l1, 0, Duration::from_secs(60)).await;
    assert_eq!(game.status, CHALLENGER_WON);
    let moves: U256 = view(
        &l1,
        net.rollup.contracts.dispute_game_factory,
        DisputeGameFactory::moveCountCall { gameId: U256::ZERO },
    )
    .await;
    assert_eq!(moves, U256::ZERO, "the proposer never moved");
    assert_eq!(proven_root(&net, &l1, 0).await, None, "won on the clock, not by proof");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_challenger_carries_its_game_on() {
    let (net, _dir, l1) = start(|_| {}).await;
    let factory = net.rollup.contracts.dispute_game_factory;
    net.batcher.faults.invalid_output_root.store(true, Ordering::Relaxed);
    // Wait for the game to open, then stop the challenger mid-game.
    loop {
        let count: U256 = view(&l1, factory, DisputeGameFactory::gameCountCall {}).await;
        if count > U256::ZERO {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Devnet { rollup, l1: l1_node, sequencer, batcher, bridge, challenger, .. } = net;
    challenger.shutdown().await;
    let game = view(&l1, factory, DisputeGameFactory::getGameCall { gameId: U256::ZERO }).await;
    assert_eq!(game.status, IN_PROGRESS, "stopped mid-game");
    // A new challenger process re-derives the chain from L1 and finds its game there.
    let restarted =
        rollup_challenger::spawn(rollup.challenger_config(&l1_node.rpc_url())).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let game = loop {
        let g = view(&l1, factory, DisputeGameFactory::getGameCall { gameId: U256::ZERO }).await;
        if g.status != IN_PROGRESS {
            break g;
        }
        assert!(tokio::time::Instant::now() < deadline, "the game did not end");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(game.status, CHALLENGER_WON);
    restarted.shutdown().await;
    bridge.shutdown().await;
    batcher.shutdown().await;
    sequencer.shutdown().await;
    l1_node.shutdown().await;
}

/// A wrong output over blocks posted in blobs: the challenger proves the
/// disputed block with the batch's blobs (EXECUTE computes their KZG
/// commitments and checks them against the batch's), under the chain's own
/// protocol parameters (blob L1 fee scalars), and wins.
#[tokio::test(flavor = "multi_thread")]
async fn a_block_in_a_blob_batch_is_proven_with_its_blobs() {
    let (net, _dir, l1) = start(|c| c.da = rollup_batcher::DataAvailability::Blobs).await;
    assert_eq!(net.rollup.rollup.l1_fee, rollup_protocol::L1FeeScalars::BLOBS);
    let factory = net.rollup.contracts.dispute_game_factory;
    let params = view(&l1, factory, DisputeGameFactory::rollupConfigCall {}).await;
    assert_eq!(params.as_ref(), net.rollup.rollup.protocol_params_abi().as_slice());
    crate::common::deposit_from_dev_account(&net, 0, parse_ether("1").unwrap()).await;
    net.batcher.faults.invalid_output_root.store(true, Ordering::Relaxed);

    let game = resolved(&net, &l1, 0, Duration::from_secs(120)).await;
    assert_eq!(game.status, CHALLENGER_WON, "the challenger wins");
    let proven = proven_root(&net, &l1, 0).await.expect("settled by proveBlock");
    assert_eq!(proven, l2_root(&net, game.hi).await, "EXECUTE computed the honest root");
    let inbox = net.rollup.contracts.batch_inbox;
    let index =
        view(&l1, inbox, rollup_contracts::BatchInbox::batchOfCall { l2Block: game.hi }).await;
    let batch = view(&l1, inbox, rollup_contracts::BatchInbox::getBatchCall { index }).await;
    assert!(batch.isBlob, "the proven block was carried in blobs");
    net.shutdown().await;
}
