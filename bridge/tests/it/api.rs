//! The API surface without running chains: documents, validation of bodies,
//! paths and queries, and errors when the chains are down.

use crate::{assert_error, get, post};
use alloy_primitives::Address;
use rollup_bridge::BridgeConfig;
use rollup_client::dev::dev_account;
use rollup_db::sqlite_url;
use serde_json::json;

/// A URL on which nothing listens.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

const PATHS: &[&str] = &[
    "/health",
    "/v1/config",
    "/v1/deposits",
    "/v1/deposits/{l1_tx_hash}",
    "/v1/withdrawals",
    "/v1/withdrawals/{withdrawal_hash}",
    "/v1/withdrawals/{withdrawal_hash}/finalize",
    "/v1/batches",
    "/v1/outputs",
    "/v1/challenges",
    "/v1/challenges/{id}",
    "/v1/faults",
    "/v1/events",
    "/v1/fees",
    "/openapi.json",
    "/docs",
];

#[tokio::test(flavor = "multi_thread")]
async fn api_validates_input_and_reports_unreachable_chains() {
    let dir = tempfile::tempdir().unwrap();
    let down = closed_port_url();
    let config = BridgeConfig {
        bridge: Address::repeat_byte(0xb1),
        ..BridgeConfig::for_tests(down.clone(), down.clone(), sqlite_url(dir.path(), "bridge.db"))
    };
    let bridge = rollup_bridge::spawn(config).await.expect("spawn");
    let base = bridge.url();
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{base}{p}");

    // The OpenAPI document parses and lists every path; /docs renders it.
    let (status, doc) = get(&http, &url("/openapi.json")).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().expect("paths");
    for path in PATHS {
        assert!(paths.contains_key(*path), "{path} missing from openapi.json");
    }
    assert_eq!(
        paths.len(),
        PATHS.len(),
        "unexpected paths: {:?}",
        paths.keys().collect::<Vec<_>>()
    );
    for schema in [
        "DepositRequest",
        "DepositStatus",
        "WithdrawalStatus",
        "WithdrawalProof",
        "ErrorBody",
        "ChallengeItem",
        "ChallengePage",
        "ChallengeRequest",
        "FaultRequest",
        "DepositEvent",
        "ChallengeMoveEvent",
        "ChallengeResolvedEvent",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "schema {schema} missing");
    }
    let docs = http.get(url("/docs")).send().await.unwrap();
    assert_eq!(docs.status().as_u16(), 200);
    assert!(docs.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(docs.text().await.unwrap().contains("/openapi.json"));

    // Health and config.
    let health = get(&http, &url("/health")).await;
    assert_error(&health, 503, "l1-unavailable");
    assert_eq!(health.1["status"], "unavailable");
    assert!(health.1["l1_block"].is_null());
    // A fee quote needs both chains.
    assert_eq!(get(&http, &url("/v1/fees")).await.0, 503);
    let (status, config) = get(&http, &url("/v1/config")).await;
    assert_eq!(status, 200);
    assert_eq!(config["l1_chain_id"], 900);
    assert_eq!(config["l2_chain_id"], 901);
    assert_eq!(config["l1_rpc_url"], down);
    assert_eq!(
        config["bridge"].as_str().unwrap().parse::<Address>().unwrap(),
        Address::repeat_byte(0xb1)
    );
    assert_eq!(
        config["l2_to_l1_message_passer"].as_str().unwrap().to_lowercase(),
        "0x4200000000000000000000000000000000000016"
    );
    for key in [
        "batch_inbox",
        "output_oracle",
        "challenge_window_secs",
        "output_interval",
        "batcher",
        "proposer",
    ] {
        assert!(!config[key].is_null(), "{key} missing from {config}");
    }

    // Bodies.
    let dev = dev_account(0).address().to_string();
    let to = Address::repeat_byte(0x42).to_string();
    for endpoint in ["/v1/deposits", "/v1/withdrawals"] {
        let u = url(endpoint);
        assert_error(&post(&http, &u, "{not json").await, 400, "invalid-json");
        assert_error(&post(&http, &u, "").await, 400, "invalid-json");
        assert_error(&post(&http, &u, "[1, 2]").await, 422, "invalid-body");
        assert_error(&post(&http, &u, "{}").await, 422, "missing-field");
        let missing = post(&http, &u, &json!({"from": dev, "to": to}).to_string()).await;
        assert_error(&missing, 422, "missing-field");
        assert!(missing.1["error"]["message"].as_str().unwrap().contains("amount"));
        let number = json!({"from": dev, "to": to, "amount": 5});
        assert_error(&post(&http, &u, &number.to_string()).await, 422, "invalid-body");
        for bad in ["abc", "-1", "1.5", "0", "0x10", ""] {
            let body = json!({"from": dev, "to": to, "amount": bad});
            assert_error(&post(&http, &u, &body.to_string()).await, 400, "invalid-amount");
        }
        let body = json!({"from": dev, "to": "0x1234", "amount": "1"});
        assert_error(&post(&http, &u, &body.to_string()).await, 400, "invalid-address");
        let stranger = Address::repeat_byte(0x99).to_string();
        let body = json!({"from": stranger, "to": to, "amount": "1"});
        assert_error(&post(&http, &u, &body.to_string()).await, 400, "unknown-signer");
        let body = json!({"signed_tx": "0x1234"});
        assert_error(&post(&http, &u, &body.to_string()).await, 400, "invalid-signed-tx");
        let body = json!({"signed_tx": "nothex"});
        assert_error(&post(&http, &u, &body.to_string()).await, 400, "invalid-signed-tx");
        // Valid, but the chain is down.
        let body = json!({"from": dev, "to": to, "amount": "1000"});
        let down = post(&http, &u, &body.to_string()).await;
        let code = if endpoint == "/v1/deposits" { "l1-unavailable" } else { "l2-unavailable" };
        assert_error(&down, 503, code);
    }
    let body = json!({"from": dev, "to": to, "amount": "1", "token": to});
    assert_error(
        &post(&http, &url("/v1/deposits"), &body.to_string()).await,
        400,
        "unsupported-token",
    );

    // Paths and queries.
    assert_error(&get(&http, &url("/v1/deposits/0x1234")).await, 400, "invalid-hash");
    assert_error(&get(&http, &url("/v1/withdrawals/xyz")).await, 400, "invalid-hash");
    let unknown = format!("0x{}", "ab".repeat(32));
    assert_error(&get(&http, &url(&format!("/v1/withdrawals/{unknown}"))).await, 404, "not-found");
    assert_error(
        &post(&http, &url(&format!("/v1/withdrawals/{unknown}/finalize")), "").await,
        404,
        "not-found",
    );
    assert_error(&get(&http, &url("/v1/nope")).await, 404, "not-found");
    let delete = http.delete(url("/v1/deposits")).send().await.unwrap();
    assert_eq!(delete.status().as_u16(), 405);
    let body: serde_json::Value = delete.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method-not-allowed");
    for list in ["/v1/batches", "/v1/outputs"] {
        let (status, page) = get(&http, &url(list)).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["items"], json!([]));
        assert!(page["next_cursor"].is_null());
        assert_error(&get(&http, &url(&format!("{list}?limit=0"))).await, 400, "invalid-limit");
        assert_error(&get(&http, &url(&format!("{list}?limit=ten"))).await, 400, "invalid-limit");
        assert_error(
            &get(&http, &url(&format!("{list}?cursor=bogus"))).await,
            400,
            "invalid-cursor",
        );
        assert_eq!(get(&http, &url(&format!("{list}?limit=1000"))).await.0, 200);
    }

    bridge.shutdown().await;
}
