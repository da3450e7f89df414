//! What the API's HTTP server enforces before any handler: the body size
//! limit, answered with the API's JSON error body.

use crate::{assert_error, closed_port_url, post};
use rollup_bridge::{ApiServerConfig, BridgeConfig};
use rollup_db::sqlite_url;

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

/// `OPTIONS path` as a browser's preflight from `origin` for `method`.
async fn preflight(
    http: &reqwest::Client,
    url: &str,
    origin: &str,
    method: &str,
) -> Option<String> {
    let response = http
        .request(reqwest::Method::OPTIONS, url)
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("OPTIONS");
    response.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn state_changing_endpoints_are_closed_to_other_origins_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let down = closed_port_url();
    let bridge = rollup_bridge::spawn(BridgeConfig::for_tests(
        down.clone(),
        down,
        sqlite_url(dir.path(), "bridge.db"),
    ))
    .await
    .expect("spawn");
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", bridge.url());
    let evil = "https://evil.example";
    // Reads stay open to every origin.
    assert_eq!(preflight(&http, &url("/v1/batches"), evil, "GET").await.as_deref(), Some(evil));
    let read = http.get(url("/v1/batches")).header("origin", evil).send().await.unwrap();
    assert_eq!(read.status().as_u16(), 200);
    assert_eq!(read.headers()["access-control-allow-origin"], "*");
    // A page may not ask to spend, and what it sends without asking is refused.
    for path in ["/v1/challenges", "/v1/faults", "/v1/deposits", "/v1/withdrawals"] {
        assert_eq!(preflight(&http, &url(path), evil, "POST").await, None, "{path}");
        let sent = http
            .post(url(path))
            .header("origin", evil)
            .header("content-type", "text/plain")
            .body(r#"{"output_index": 0}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status().as_u16(), 403, "{path}");
        assert!(sent.headers().get("access-control-allow-origin").is_none());
        let body: serde_json::Value = sent.json().await.unwrap();
        assert_eq!(body["error"]["code"], "origin-not-allowed", "{body}");
    }
    // Its own pages (same origin) and non-browser clients (no origin) are not.
    let own = bridge.url();
    let got = http
        .post(url("/v1/faults"))
        .header("origin", &own)
        .body(r#"{"kind": "invalid-output-root"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status().as_u16(), 404, "devnet-only, past the guard");
    assert_error(&post(&http, &url("/v1/faults"), r#"{"kind": "x"}"#).await, 404, "devnet-only");
    bridge.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn configured_origins_and_the_api_token() {
    let dir = tempfile::tempdir().unwrap();
    let down = closed_port_url();
    let app = "http://localhost:5173";
    let config = BridgeConfig {
        server: ApiServerConfig {
            cors_origins: app.parse().unwrap(),
            api_token: Some("s3cret".into()),
            ..ApiServerConfig::default()
        },
        ..BridgeConfig::for_tests(down.clone(), down, sqlite_url(dir.path(), "bridge.db"))
    };
    let bridge = rollup_bridge::spawn(config).await.expect("spawn");
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", bridge.url());
    assert_eq!(preflight(&http, &url("/v1/faults"), app, "POST").await.as_deref(), Some(app));
    assert_eq!(preflight(&http, &url("/v1/faults"), "http://other", "POST").await, None);

    // Without the token (or with a wrong one) the endpoints that spend or
    // arm faults answer 401, from any origin.
    let faults = r#"{"kind": "invalid-output-root"}"#;
    for auth in [None, Some("Bearer wrong"), Some("s3cret"), Some("Bearer s3cre")] {
        let mut request = http.post(url("/v1/faults")).header("origin", app).body(faults);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 401, "{auth:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(response.headers()["access-control-allow-origin"], app);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    let dev_deposit = r#"{"from": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "to": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "amount": "1"}"#;
    for path in ["/v1/challenges", "/v1/deposits", "/v1/withdrawals"] {
        assert_error(&post(&http, &url(path), dev_deposit).await, 401, "unauthorized");
    }
    // With it, the request reaches its handler.
    let authorized = http
        .post(url("/v1/faults"))
        .header("authorization", "Bearer s3cret")
        .body(faults)
        .send()
        .await
        .unwrap();
    assert_eq!(authorized.status().as_u16(), 404, "devnet-only: past the guard");
    // A relayed, user-signed transaction spends nothing of the operator's:
    // no token needed (this one is malformed, which its handler says).
    let relayed = post(&http, &url("/v1/deposits"), r#"{"signed_tx": "0x00"}"#).await;
    assert_ne!(relayed.0, 401, "{relayed:?}");
    // Reads need no token.
    assert_eq!(http.get(url("/v1/batches")).send().await.unwrap().status().as_u16(), 200);
    bridge.shutdown().await;
}
