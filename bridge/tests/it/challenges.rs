//! Dispute games through the API (`/v1/challenges`), devnet fault injection
//! (`/v1/faults`) with a mock [`DevnetControl`], and the game events of
//! `/v1/events`.

use crate::{
    assert_error, closed_port_url, field, get,
    harness::{CHALLENGER_BOND, GAME_CLOCK, Stack, bridge_config, eventually, send},
    post,
    sse::Sse,
};
use alloy::{
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
};
use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use futures::future::BoxFuture;
use rollup_bridge::{BridgeConfig, DevnetControl, FaultKind};
use rollup_client::dev::{Role, dev_account, role_signer};
use rollup_contracts::DisputeGameFactory;
use rollup_db::sqlite_url;
use serde_json::{Value, json};
use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

/// Opens games with a raw `DisputeGameFactory.challenge` from `from`.
#[derive(Debug, Clone)]
struct Challenger {
    l1: DynProvider,
    factory: Address,
    from: Address,
}

/// A `DevnetControl` that records the faults armed (in order, and which are
/// armed now) and, with a challenger, opens the games requested.
#[derive(Debug, Default)]
struct MockDevnet {
    log: Mutex<Vec<(FaultKind, bool)>>,
    armed: Mutex<HashSet<FaultKind>>,
    challenger: Option<Challenger>,
}

impl DevnetControl for MockDevnet {
    fn set_fault(&self, kind: FaultKind, armed: bool) -> Result<(), String> {
        self.log.lock().unwrap().push((kind, armed));
        let mut set = self.armed.lock().unwrap();
        if armed {
            set.insert(kind)
        } else {
            set.remove(&kind)
        };
        Ok(())
    }

    fn fault_armed(&self, kind: FaultKind) -> bool {
        self.armed.lock().unwrap().contains(&kind)
    }

    fn request_challenge(&self, output_index: u64) -> BoxFuture<'static, Result<(), String>> {
        let Some(c) = self.challenger.clone() else {
            return Box::pin(async { Err("no challenger".to_string()) });
        };
        Box::pin(async move {
            let call = DisputeGameFactory::challengeCall {
                outputIndex: U256::from(output_index),
                counterRoot: B256::repeat_byte(0xcc),
            };
            let tx = TransactionRequest::default()
                .from(c.from)
                .to(c.factory)
                .value(U256::from(CHALLENGER_BOND))
                .input(call.abi_encode().into());
            let pending = c.l1.send_transaction(tx).await.map_err(|e| e.to_string())?;
            let receipt = pending.get_receipt().await.map_err(|e| e.to_string())?;
            if receipt.status() { Ok(()) } else { Err("challenge reverted".into()) }
        })
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_need_a_devnet_and_a_known_kind() {
    let dir = tempfile::tempdir().unwrap();
    let down = closed_port_url();
    let http = reqwest::Client::new();

    // Not a devnet, no dispute game factory.
    let config =
        BridgeConfig::for_tests(down.clone(), down.clone(), sqlite_url(dir.path(), "plain.db"));
    assert!(config.devnet.is_none() && config.dispute_game_factory.is_none());
    let plain = rollup_bridge::spawn(config).await.expect("spawn");
    let url = |p: &str| format!("{}{p}", plain.url());
    let body = json!({"kind": "invalid-output-root"}).to_string();
    assert_error(&post(&http, &url("/v1/faults"), &body).await, 404, "devnet-only");
    assert_error(&post(&http, &url("/v1/faults"), "nonsense").await, 404, "devnet-only");
    assert_error(&get(&http, &url("/v1/challenges")).await, 404, "no-dispute-game");
    assert_error(&get(&http, &url("/v1/challenges/0")).await, 404, "no-dispute-game");
    assert_error(&get(&http, &url("/v1/challenges/abc")).await, 400, "invalid-id");
    assert_error(&get(&http, &url("/v1/challenges/-1")).await, 400, "invalid-id");
    let body = json!({"output_index": 0}).to_string();
    assert_error(&post(&http, &url("/v1/challenges"), &body).await, 404, "no-dispute-game");
    let (status, config) = get(&http, &url("/v1/config")).await;
    assert_eq!(status, 200);
    assert!(config.get("dispute_game_factory").is_none(), "{config}");
    plain.shutdown().await;

    // A devnet.
    let devnet = Arc::new(MockDevnet::default());
    let config = BridgeConfig {
        devnet: Some(devnet.clone()),
        ..BridgeConfig::for_tests(down.clone(), down, sqlite_url(dir.path(), "devnet.db"))
    };
    let bridge = rollup_bridge::spawn(config).await.expect("spawn");
    let url = |p: &str| format!("{}{p}", bridge.url());
    for kind in ["invalid-output-root", "censor-deposits"] {
        let (status, body) =
            post(&http, &url("/v1/faults"), &json!({"kind": kind}).to_string()).await;
        assert_eq!(status, 202, "{body}");
        let one_shot = kind == "invalid-output-root";
        assert_eq!(
            body,
            json!({"kind": kind, "status": "armed", "one_shot": one_shot, "lifts_at": null})
        );
    }
    use FaultKind::*;
    assert_eq!(*devnet.log.lock().unwrap(), [(InvalidOutputRoot, true), (CensorDeposits, true)]);
    let unknown =
        post(&http, &url("/v1/faults"), &json!({"kind": "meteor-strike"}).to_string()).await;
    assert_error(&unknown, 400, "unknown-fault-kind");
    let message = unknown.1["error"]["message"].as_str().unwrap();
    for kind in FaultKind::ALL {
        assert!(message.contains(kind.as_str()), "{message} lists {kind}");
    }
    assert_error(&post(&http, &url("/v1/faults"), "{").await, 400, "invalid-json");
    assert_error(&post(&http, &url("/v1/faults"), "").await, 400, "invalid-json");
    assert_error(&post(&http, &url("/v1/faults"), "{}").await, 400, "missing-field");
    assert_error(&post(&http, &url("/v1/faults"), r#"{"kind": 7}"#).await, 400, "invalid-body");
    assert_error(&post(&http, &url("/v1/faults"), "[1]").await, 400, "invalid-body");
    for bad in [json!(0), json!(86401), json!(1.5), json!("60"), json!(-1), json!(86401.0)] {
        let body = json!({"kind": "stop-defending", "duration_secs": bad}).to_string();
        assert_error(&post(&http, &url("/v1/faults"), &body).await, 400, "invalid-duration");
    }
    let extra = json!({"kind": "stop-defending", "why": 1}).to_string();
    assert_error(&post(&http, &url("/v1/faults"), &extra).await, 400, "invalid-body");
    assert_eq!(devnet.log.lock().unwrap().len(), 2, "nothing else was armed");

    // GET lists every kind with its state.
    let (status, list) = get(&http, &url("/v1/faults")).await;
    assert_eq!(status, 200, "{list}");
    let states: Vec<(String, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap().into(), f["status"].as_str().unwrap().into()))
        .collect();
    let expected: Vec<(String, String)> = FaultKind::ALL
        .iter()
        .map(|k| {
            let on = matches!(k, InvalidOutputRoot | CensorDeposits);
            (k.to_string(), if on { "armed" } else { "off" }.to_string())
        })
        .collect();
    assert_eq!(states, expected);

    // DELETE lifts one (and is idempotent); an unknown kind is refused.
    let lifted = http.delete(url("/v1/faults/censor-deposits")).send().await.unwrap();
    assert_eq!(lifted.status().as_u16(), 200);
    let lifted: Value = lifted.json().await.unwrap();
    assert_eq!(lifted["status"], "off", "{lifted}");
    assert!(!devnet.fault_armed(CensorDeposits));
    assert!(devnet.fault_armed(InvalidOutputRoot), "the other fault stays armed");
    let again = http.delete(url("/v1/faults/censor-deposits")).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 200);
    let unknown = http.delete(url("/v1/faults/meteor-strike")).send().await.unwrap();
    assert_eq!(unknown.status().as_u16(), 400);

    // A duration: listed with its deadline, lifted by the API when it passes
    // (waited for by polling, not by timing).
    let body = json!({"kind": "stop-defending", "duration_secs": 1}).to_string();
    let (status, armed) = post(&http, &url("/v1/faults"), &body).await;
    assert_eq!(status, 202, "{armed}");
    assert!(armed["lifts_at"].as_u64().is_some(), "{armed}");
    eventually(10, "stop-defending lifted after its duration", || async {
        (!devnet.fault_armed(StopDefending)).then_some(())
    })
    .await;
    // Re-arming without a duration cancels a pending deadline.
    let body = json!({"kind": "censor-deposits", "duration_secs": 1}).to_string();
    assert_eq!(post(&http, &url("/v1/faults"), &body).await.0, 202);
    let body = json!({"kind": "censor-deposits"}).to_string();
    let (_, rearmed) = post(&http, &url("/v1/faults"), &body).await;
    assert!(rearmed["lifts_at"].is_null(), "{rearmed}");
    let lifts = devnet.log.lock().unwrap().clone();
    assert_eq!(lifts.iter().filter(|(k, on)| *k == StopDefending && !on).count(), 1);
    bridge.shutdown().await;
}

/// The game `id` as `GET /v1/challenges/{id}` answers it.
async fn game(stack: &Stack, id: u64) -> Value {
    let (status, body) = stack.get(&format!("/v1/challenges/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn challenges_are_validated_opened_and_followed() {
    let stack = Stack::start().await;
    let factory = stack.contracts.dispute_game_factory;
    let mut sse = Sse::connect(&stack.http, &stack.url("/v1/events")).await;
    let (_, config) = stack.get("/v1/config").await;
    assert_eq!(field::<Address>(&config, "dispute_game_factory"), factory);

    // No games yet.
    let (status, page) = stack.get("/v1/challenges").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page, json!({"items": [], "next_cursor": null, "challenger": null}));
    assert_error(&stack.get("/v1/challenges/0").await, 404, "not-found");
    assert_error(&stack.get("/v1/challenges/x1").await, 400, "invalid-id");
    assert_error(&stack.get("/v1/challenges?limit=0").await, 400, "invalid-limit");
    assert_error(&stack.get("/v1/challenges?cursor=zz").await, 400, "invalid-cursor");

    // Bodies, then outputs that do not exist.
    for (body, code) in [
        ("{", "invalid-json"),
        ("", "invalid-json"),
        ("[1]", "invalid-body"),
        ("{}", "missing-field"),
        (r#"{"output_index": -1}"#, "invalid-output-index"),
        (r#"{"output_index": 1.5}"#, "invalid-output-index"),
        (r#"{"output_index": "one"}"#, "invalid-output-index"),
        (r#"{"output_index": null}"#, "invalid-output-index"),
    ] {
        let got = crate::post(&stack.http, &stack.url("/v1/challenges"), body).await;
        assert_error(&got, 400, code);
    }
    let unknown = stack.post("/v1/challenges", json!({"output_index": 0})).await;
    assert_error(&unknown, 409, "output-not-found");

    // Two outputs: 0 at L2 block 4, 1 at L2 block 8.
    eventually(60, "8 L2 blocks", || async {
        (stack.l2_rpc.get_block_number().await.unwrap() >= 8).then_some(())
    })
    .await;
    let root0 = stack.batch_and_propose(1, 4).await;
    let root1 = stack.batch_and_propose(5, 8).await;
    sse.wait_for(30, "output-proposed", |d| d["index"] == 1).await;
    let unknown = stack.post("/v1/challenges", json!({"output_index": 2})).await;
    assert_error(&unknown, 409, "output-not-found");
    // No devnet control on this bridge: nobody to ask.
    let no_devnet = stack.post("/v1/challenges", json!({"output_index": 1})).await;
    assert_error(&no_devnet, 503, "devnet-only");

    // A devnet bridge (on its own database) whose challenger opens the game.
    let challenger = dev_account(3).address();
    let devnet = Arc::new(MockDevnet {
        challenger: Some(Challenger { l1: stack.l1_rpc.clone(), factory, from: challenger }),
        ..MockDevnet::default()
    });
    let config = BridgeConfig {
        devnet: Some(devnet),
        ..bridge_config(
            &stack.dir,
            "devnet.db",
            stack.l1.rpc_url(),
            stack.l2.rpc_url(),
            stack.contracts,
        )
    };
    let devnet_bridge = rollup_bridge::spawn(config).await.expect("spawn");
    let challenges = format!("{}/v1/challenges", devnet_bridge.url());
    let body = json!({"output_index": "1"}).to_string();
    let (status, opened) = post(&stack.http, &challenges, &body).await;
    assert_eq!(status, 201, "{opened}");
    assert_eq!(opened, json!({"output_index": 1, "status": "challenge-opened", "game_id": 0}));
    let again = post(&stack.http, &challenges, &body).await;
    assert_error(&again, 409, "already-challenged");
    devnet_bridge.shutdown().await;

    // The game on the main bridge: in progress, the proposer to move. (The
    // factory marks the output challenged, then emits GameCreated.)
    let flagged = sse.wait_for(30, "output-challenged", |d| d["output_index"] == 1).await;
    assert_eq!(flagged["challenged"], true);
    let created = sse.wait_for(30, "challenge-opened", |d| d["game_id"] == 0).await;
    assert_eq!(created["l1_tx_hash"], flagged["l1_tx_hash"]);
    assert_eq!(created["output_index"], 1);
    assert_eq!(field::<Address>(&created, "challenger"), challenger);
    assert_eq!(created["range"], json!({"lo": 4, "hi": 8}));
    assert_eq!(field::<B256>(&created, "agreed_root"), root0);
    assert_eq!(field::<B256>(&created, "disputed_root"), root1);
    assert_eq!(field::<B256>(&created, "counter_root"), B256::repeat_byte(0xcc));
    let open_block = created["l1_block"].as_u64().unwrap();
    let header =
        stack.l1_raw("eth_getBlockByNumber", json!([format!("{open_block:#x}"), false])).await;
    let opened_at =
        u64::from_str_radix(header["timestamp"].as_str().unwrap().trim_start_matches("0x"), 16)
            .unwrap();

    let g = game(&stack, 0).await;
    assert_eq!(g["id"], 0);
    assert_eq!(g["output_index"], 1);
    assert_eq!(g["l2_block"], 8);
    assert_eq!(g["status"], "in-progress");
    assert_eq!(field::<Address>(&g, "challenger"), challenger);
    assert_eq!(g["range"], json!({"lo": 4, "hi": 8}));
    assert_eq!(field::<B256>(&g, "agreed_root"), root0);
    assert_eq!(field::<B256>(&g, "disputed_root"), root1);
    assert_eq!(g["disputed_by"], "proposer");
    assert_eq!(field::<B256>(&g, "counter_root"), B256::repeat_byte(0xcc));
    assert!(g["pending"].is_null(), "{g}");
    assert_eq!(g["turn"], "proposer");
    assert_eq!(g["moves"], json!([]));
    assert!(g["result"].is_null());
    assert_eq!(g["created_at"], opened_at);
    assert_eq!(
        g["clocks"],
        json!({
            "proposer_used_secs": 0,
            "challenger_used_secs": 0,
            "budget_secs": GAME_CLOCK,
            "turn_deadline": opened_at + GAME_CLOCK,
        })
    );
    let (_, outputs) = stack.get("/v1/outputs").await;
    let statuses: Vec<_> =
        outputs["items"].as_array().unwrap().iter().map(|o| &o["status"]).collect();
    assert_eq!(statuses, [&json!("challenged"), &json!("proposed")], "{outputs}");

    // The proposer's first move: its root at the midpoint, block 6.
    let mid_root = B256::repeat_byte(0x66);
    let call = DisputeGameFactory::moveCall {
        gameId: U256::ZERO,
        agreeWithPendingMid: false,
        midRoot: mid_root,
    };
    let proposer = role_signer(Role::Proposer).address();
    send(
        &stack.l1_rpc,
        TransactionRequest::default().from(proposer).to(factory).input(call.abi_encode().into()),
    )
    .await;
    let moved = sse.wait_for(30, "challenge-move", |d| d["game_id"] == 0).await;
    assert_eq!(moved["side"], "proposer");
    assert_eq!(moved["agreed"], false);
    assert_eq!(moved["range"], json!({"lo": 4, "hi": 8}));
    assert_eq!(moved["mid_block"], 6);
    assert_eq!(field::<B256>(&moved, "mid_root"), mid_root);
    let used = moved["clock_used_secs"].as_u64().unwrap();
    assert!(moved["l1_tx_hash"].is_string() && moved["l1_block"].is_u64(), "{moved}");

    let g = game(&stack, 0).await;
    assert_eq!(g["turn"], "challenger");
    assert_eq!(g["pending"], json!({"block": 6, "root": mid_root.to_string(), "by": "proposer"}));
    assert_eq!(g["range"], json!({"lo": 4, "hi": 8}));
    assert_eq!(g["l2_block"], 8);
    assert_eq!(g["created_at"], opened_at, "derived from the clocks once moves exist");
    let moves = g["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 1, "{g}");
    assert_eq!(moves[0]["side"], "proposer");
    assert_eq!(moves[0]["mid_block"], 6);
    assert_eq!((moves[0]["lo"].clone(), moves[0]["hi"].clone()), (json!(4), json!(8)));
    let moved_at = moves[0]["timestamp"].as_u64().unwrap();
    assert_eq!(moved_at - opened_at, used);
    assert_eq!(g["clocks"]["proposer_used_secs"], used);
    assert_eq!(g["clocks"]["turn_deadline"], moved_at + GAME_CLOCK);

    // The list.
    let (status, page) = stack.get("/v1/challenges?limit=1").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], 0);
    assert!(page["next_cursor"].is_null());
    assert_error(&stack.get("/v1/challenges/1").await, 404, "not-found");

    // Once its window has passed, output 0 (before the challenged one) is final.
    stack.l1_raw("evm_increaseTime", json!([crate::harness::CHALLENGE_WINDOW + 1])).await;
    eventually(30, "output 0 to be final", || async {
        let (status, body) = stack.post("/v1/challenges", json!({"output_index": 0})).await;
        (status == 409 && body["error"]["code"] == "output-final").then_some(())
    })
    .await;

    stack.shutdown().await;
}
