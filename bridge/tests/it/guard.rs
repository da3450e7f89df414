//! What the API's HTTP server enforces before any handler: the body size
//! limit, answered with the API's JSON error body.

use crate::{assert_error, post};
use rollup_bridge::{ApiServerConfig, BridgeConfig};
use rollup_node::db::sqlite_url;

/// A URL on which nothing listens.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_over_the_limit_get_the_api_error_body() {
    let dir = tempfile::tempdir().unwrap();
    let down = closed_port_url();
    let config = BridgeConfig {
        server: ApiServerConfig { max_body_size: 1_000, ..ApiServerConfig::default() },
        ..BridgeConfig::for_tests(down.clone(), down, sqlite_url(dir.path(), "bridge.db"))
    };
    let bridge = rollup_bridge::spawn(config).await.expect("spawn");
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", bridge.url());
    let big = format!(r#"{{"signed_tx": "0x{}"}}"#, "00".repeat(600));
    assert!(big.len() > 1_000);
    for path in ["/v1/deposits", "/v1/withdrawals", "/v1/faults", "/v1/challenges"] {
        let got = post(&http, &url(path), &big).await;
        assert_error(&got, 413, "payload-too-large");
        assert!(got.1["error"]["message"].as_str().unwrap().contains("at most 1000"), "{got:?}");
    }
    // Under the limit, the handlers see the body as before.
    assert_error(&post(&http, &url("/v1/deposits"), "{not json").await, 400, "invalid-json");
    bridge.shutdown().await;
}
