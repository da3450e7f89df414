//! The API surface without running chains: documents, validation of bodies,
//! paths and queries, and errors when the chains are down.

use crate::{assert_error, get, post};
use alloy_primitives::Address;
use rollup_bridge::BridgeConfig;
use rollup_client::dev::dev_account;
use rollup_db::sqlite_url;
use serde_json::{Value, json};

/// A URL on which nothing listens.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

const PATHS: &[&str] = &[
    "/",
    "/v1/status",
    "/v1/bench",
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
    "/v1/faults/{kind}",
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
        "DepositBody",
        "WithdrawalBody",
        "FaultKind",
        "FaultState",
        "ServerSentEvent",
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
    let page = docs.text().await.unwrap();
    assert!(page.contains("/openapi.json"));
    // Offline: every asset of the page is served by the bridge itself.
    for tag in page.split('<').filter(|t| t.starts_with("script") || t.starts_with("link")) {
        assert!(!tag.contains("http"), "/docs loads an outside asset: <{tag}");
    }
    for (asset, kind) in [
        ("/docs/swagger-ui/swagger-ui-bundle.js", "javascript"),
        ("/docs/swagger-ui/swagger-ui.css", "css"),
    ] {
        let got = http.get(url(asset)).send().await.unwrap();
        assert_eq!(got.status().as_u16(), 200, "{asset}");
        let content_type = got.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.contains(kind), "{asset}: {content_type}");
        assert!(got.bytes().await.unwrap().len() > 10_000, "{asset} is the real asset");
    }

    // The dashboard: one page, its script and style from this server.
    let page = http.get(url("/")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("/dashboard/app.js") && page.contains("/dashboard/app.css"));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "the dashboard loads nothing from elsewhere"
    );
    for (asset, kind, needle) in [
        ("/dashboard/app.js", "javascript", "new EventSource(\"/v1/events\")"),
        ("/dashboard/app.css", "css", "@media"),
    ] {
        let got = http.get(url(asset)).send().await.unwrap();
        assert_eq!(got.status().as_u16(), 200, "{asset}");
        assert!(got.headers()["content-type"].to_str().unwrap().contains(kind), "{asset}");
        assert!(got.text().await.unwrap().contains(needle), "{asset}");
    }
    // The heads it polls: chains down are null, never an error.
    let (status, heads) = get(&http, &url("/v1/status")).await;
    assert_eq!(status, 200, "{heads}");
    assert!(
        heads["l1"].is_null() && heads["l2"].is_null() && heads["l2_pool"].is_null(),
        "{heads}"
    );
    // No fee benchmark report in the test's working directory.
    assert_error(&get(&http, &url("/v1/bench")).await, 404, "no-bench-report");

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
        assert_error(&post(&http, &u, &body.to_string()).await, 422, "invalid-signed-tx");
        let body = json!({"signed_tx": "nothex"});
        assert_error(&post(&http, &u, &body.to_string()).await, 422, "invalid-signed-tx");
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

/// Every schema reachable from `value` (by `$ref` into `components`).
fn walk<'a>(value: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
    out.push((path.clone(), value));
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                walk(v, format!("{path}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The OpenAPI document is as strict as the handlers: formats as patterns,
/// integers for counts, enums for statuses and kinds, required non-null body
/// fields, the error body on every 4xx, the dev accounts as the `from` a
/// dev-signed body may name, and the event stream's items.
#[tokio::test(flavor = "multi_thread")]
async fn openapi_document_is_strict() {
    let dir = tempfile::tempdir().unwrap();
    let down = closed_port_url();
    let config = BridgeConfig::for_tests(down.clone(), down, sqlite_url(dir.path(), "doc.db"));
    let bridge = rollup_bridge::spawn(config).await.expect("spawn");
    let http = reqwest::Client::new();
    let (status, doc) = get(&http, &format!("{}/openapi.json", bridge.url())).await;
    assert_eq!(status, 200);
    let schemas = &doc["components"]["schemas"];

    // Floats only where a value is a ratio.
    let mut nodes = Vec::new();
    walk(&doc, String::new(), &mut nodes);
    let floats: Vec<&String> = nodes
        .iter()
        .filter(|(_, v)| v.get("type").and_then(Value::as_str) == Some("number"))
        .map(|(p, _)| p)
        // Ratios (`*_savings`, the benchmark's ratios and bytes per transaction).
        .filter(|p| !p.ends_with("_savings") && !p.contains("/BenchSummary/"))
        .collect();
    assert!(floats.is_empty(), "non-integer numbers at {floats:?}");

    // Formats.
    assert_eq!(schemas["Hash32"]["pattern"], "^0x[0-9a-fA-F]{64}$");
    assert_eq!(schemas["Address"]["pattern"], "^0x[0-9a-fA-F]{40}$");
    assert_eq!(schemas["WeiAmount"]["pattern"], "^[1-9][0-9]{0,76}$");
    let param = |path: &str, method: &str| doc["paths"][path][method]["parameters"][0].clone();
    for (path, method) in [
        ("/v1/deposits/{l1_tx_hash}", "get"),
        ("/v1/withdrawals/{withdrawal_hash}", "get"),
        ("/v1/withdrawals/{withdrawal_hash}/finalize", "post"),
    ] {
        assert_eq!(param(path, method)["schema"]["$ref"], "#/components/schemas/Hash32", "{path}");
    }
    assert_eq!(
        param("/v1/faults/{kind}", "delete")["schema"]["$ref"],
        "#/components/schemas/FaultKind"
    );
    let limit = &doc["paths"]["/v1/batches"]["get"]["parameters"][0];
    assert_eq!(limit["name"], "limit");
    assert_eq!(limit["schema"]["type"], "integer", "{limit}");
    assert_eq!(limit["schema"]["minimum"], 1);

    // Enums.
    let kinds: Vec<&str> = schemas["FaultKind"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["invalid-output-root", "invalid-state-transition", "censor-deposits", "stop-defending"]
    );
    for (schema, field, target) in [
        ("DepositStatus", "status", "DepositState"),
        ("WithdrawalStatus", "status", "WithdrawalState"),
        ("OutputItem", "status", "OutputState"),
        ("ChallengeItem", "status", "GameState"),
        ("MoveJson", "side", "Side"),
    ] {
        let prop = &schemas[schema]["properties"][field];
        assert!(
            prop.to_string().contains(&format!("#/components/schemas/{target}")),
            "{schema}.{field}: {prop}"
        );
        assert!(schemas[target]["enum"].is_array(), "{target}");
    }

    // Request bodies: both variants closed, every field required and not null.
    for body in
        ["DevDepositRequest", "SignedDepositRequest", "DevWithdrawalRequest", "FaultRequest"]
    {
        let schema = &schemas[body];
        assert_eq!(schema["additionalProperties"], false, "{body}");
        let required = schema["required"].as_array().expect("required");
        for (name, prop) in schema["properties"].as_object().unwrap() {
            assert!(!prop.to_string().contains("\"null\""), "{body}.{name} is nullable: {prop}");
            if body != "FaultRequest" || name == "kind" {
                assert!(required.contains(&json!(name)), "{body}.{name} not required");
            }
        }
    }
    // `from` names the accounts the API signs for; the examples are one of them.
    let dev0 = dev_account(0).address().to_string();
    let accounts = schemas["DevDepositRequest"]["properties"]["from"]["enum"].as_array().unwrap();
    assert_eq!(accounts.len(), 10);
    assert!(accounts.contains(&json!(dev0)));
    let example = &doc["paths"]["/v1/deposits"]["post"]["requestBody"]["content"]["application/json"]
        ["example"];
    assert_eq!(example["from"], dev0, "{example}");

    // The error body on every 4xx.
    for (path, methods) in doc["paths"].as_object().unwrap() {
        for (method, op) in methods.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                if status.starts_with('4') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }

    // Unique operation ids, and links from what POST creates to its reads.
    let mut ids = Vec::new();
    for methods in doc["paths"].as_object().unwrap().values() {
        for op in methods.as_object().unwrap().values() {
            ids.push(op["operationId"].as_str().expect("operationId").to_string());
        }
    }
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate operation ids");
    let link = &doc["paths"]["/v1/deposits"]["post"]["responses"]["201"]["links"]["GetDeposit"];
    assert!(ids.contains(&link["operationId"].as_str().unwrap().to_string()), "{link}");

    // The event stream and each event.
    let stream =
        &doc["paths"]["/v1/events"]["get"]["responses"]["200"]["content"]["text/event-stream"];
    assert_eq!(stream["itemSchema"]["$ref"], "#/components/schemas/ServerSentEvent");
    let events = schemas["ServerSentEvent"]["oneOf"].as_array().unwrap();
    assert_eq!(events.len(), 16);
    for event in events {
        let target = event["properties"]["data"]["contentSchema"]["$ref"].as_str().unwrap();
        let name = target.rsplit('/').next().unwrap();
        assert!(schemas[name].is_object(), "{target}");
    }
    bridge.shutdown().await;
}
