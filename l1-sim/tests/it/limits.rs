//! Bounded work per request: each amplification request of issue 13 gets a
//! JSON-RPC error instead of a response the node has to build in memory, and
//! the node keeps producing blocks.

use super::{call, eth, key, rpc, signed, transfer};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use rollup_l1_sim::{L1Config, L1Handle, spawn};
use rollup_node::rpc::RpcLimits;
use serde_json::{Value, json};
use std::{path::Path, time::Duration};

async fn start_with(dir: &Path, block_time: Option<Duration>, limits: RpcLimits) -> L1Handle {
    let url = format!("sqlite://{}?mode=rwc", dir.join("l1.db").display());
    let mut config =
        L1Config::for_tests(url, (1..=4).map(|i| (key(i).address(), eth(1000))).collect());
    config.block_time = block_time;
    config.rpc_limits = limits;
    spawn(config).await.unwrap()
}

/// POSTs `body` as it is; returns the status, the content type and the body.
async fn post_raw(url: &str, body: impl Into<reqwest::Body>) -> (u16, String, String) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

fn head(v: &Value) -> u64 {
    u64::from_str_radix(v["result"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

/// Waits (a bounded number of times) until the L1 mines past `after`.
async fn mines_past(url: &str, after: u64) -> u64 {
    for _ in 0..200 {
        let now = head(&call(url, "eth_blockNumber", json!([])).await);
        if now > after {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the L1 stopped mining at block {after}");
}

#[tokio::test(flavor = "multi_thread")]
async fn amplification_requests_get_errors_and_mining_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start_with(dir.path(), Some(Duration::from_millis(200)), RpcLimits::default()).await;
    let url = l1.rpc_url();
    let before = head(&call(&url, "eth_blockNumber", json!([])).await);

    // eth_feeHistory with 20,000 reward percentiles (a 147 KB request that
    // was answered with 123 MB): geth's limit of 100 and its message.
    let percentiles: Vec<f64> = (0..20_000).map(|i| f64::from(i) / 200.0).collect();
    let (status, _, body) = post_raw(
        &url,
        json!({"jsonrpc": "2.0", "id": 1, "method": "eth_feeHistory",
               "params": ["0x400", "latest", percentiles]})
        .to_string(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.len() < 512, "a small error, not a built response: {} bytes", body.len());
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], -32602);
    assert_eq!(v["error"]["message"], "invalid reward percentile: over the query limit 100");
    // 100 percentiles over 1,024 blocks (cut to what exists) are served.
    let ok = call(&url, "eth_feeHistory", json!(["0x400", "latest", vec![50.0; 100]])).await;
    assert!(ok["result"]["reward"].is_array(), "{ok}");
    // A count over 1,024 is cut to the newest 1,024 blocks, as geth does.
    let cut = call(&url, "eth_feeHistory", json!(["0xffffffffffffffff", "latest", []])).await;
    assert!(cut["result"]["baseFeePerGas"].as_array().unwrap().len() <= 1_025, "{cut}");

    // A 2 MB eth_feeHistory (the one that aborted the devnet under a memory cap).
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":2,"method":"eth_feeHistory","params":["0x400","latest",[{}]]}}"#,
        vec!["50"; 700_000].join(",")
    );
    assert!(huge.len() > 2_000_000);
    let (status, _, body) = post_raw(&url, huge).await;
    assert_eq!(status, 200);
    assert!(body.len() < 512);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["error"]["code"], -32602);

    // A 20 MB body: HTTP 413 with a JSON-RPC error (geth's message), not
    // text/plain, answered from its announced length.
    let response = raw_post(l1.rpc_addr, "content-length: 20000000\r\n", &[b' '; 1_000]).await;
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let v: Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["jsonrpc"], "2.0");
    assert_eq!(v["error"]["code"], -32600);
    assert_eq!(v["error"]["message"], "content length too large (20000000>5242880)");

    // A batch of 1,000 eth_getLogs(earliest..latest): answered (no logs
    // here), and a batch of 1,001 requests is refused whole (geth's message).
    let logs = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs",
                      "params": [{"fromBlock": "earliest", "toBlock": "latest"}]});
    let batch = rpc(&url, Value::Array(vec![logs.clone(); 1_000])).await;
    assert_eq!(batch.as_array().unwrap().len(), 1_000);
    let too_many = rpc(&url, Value::Array(vec![logs; 1_001])).await;
    assert_eq!(too_many["error"]["code"], -32600);
    assert_eq!(too_many["error"]["message"], "batch too large");
    assert_eq!(rpc(&url, json!([])).await["error"]["message"], "empty batch");

    // eth_getProof over 1,025 storage keys: geth's limit and message.
    let keys = vec![B256::ZERO; 1_025];
    let proof = call(&url, "eth_getProof", json!([Address::ZERO, keys, "latest"])).await;
    assert_eq!(proof["error"]["code"], -32602);
    assert_eq!(proof["error"]["message"], "too many storage keys requested (max 1024, got 1025)");
    let keys = vec![B256::ZERO; 1_024];
    assert!(call(&url, "eth_getProof", json!([Address::ZERO, keys])).await["result"].is_object());

    // An eth_getLogs range over the cap: reth's message.
    let range = call(&url, "eth_getLogs", json!([{"fromBlock": "0x0", "toBlock": "0x2710"}])).await;
    // The head is far below 10,000, so the range is cut to it and served.
    assert!(range["result"].is_array(), "{range}");

    // Through all of it the L1 kept mining.
    mines_past(&url, before.max(1)).await;
    l1.shutdown().await;
}

/// Init code that emits `n` empty logs (PUSH1 0 PUSH1 0 LOG0, `n` times).
fn log_emitter(n: usize) -> Bytes {
    [0x60, 0x00, 0x60, 0x00, 0xa0].repeat(n).into()
}

#[tokio::test(flavor = "multi_thread")]
async fn lowered_limits_bound_logs_ranges_and_batch_responses() {
    let dir = tempfile::tempdir().unwrap();
    let limits = RpcLimits {
        max_blocks_per_filter: 3,
        max_logs_per_response: 15,
        max_batch_response_size: 4_000,
        max_request_body_size: 10_000,
        ..RpcLimits::default()
    };
    // Blocks are mined on request (evm_mine), one per transaction here.
    let l1 = start_with(dir.path(), Some(Duration::from_secs(3600)), limits).await;
    let url = l1.rpc_url();
    for (nonce, logs) in [10, 10, 20].into_iter().enumerate() {
        let mut tx = transfer(nonce as u64, Address::ZERO, U256::ZERO);
        tx.to = TxKind::Create;
        tx.gas_limit = 300_000;
        tx.input = log_emitter(logs);
        let sent = call(&url, "eth_sendRawTransaction", json!([signed(tx, &key(1))])).await;
        assert!(sent["result"].is_string(), "{sent}");
        call(&url, "evm_mine", json!([])).await;
    }
    // Blocks 1 and 2 hold 10 logs each, block 3 holds 20.
    let first = call(&url, "eth_getLogs", json!([{"fromBlock": "0x1", "toBlock": "0x1"}])).await;
    assert_eq!(first["result"].as_array().unwrap().len(), 10);
    let both = call(&url, "eth_getLogs", json!([{"fromBlock": "0x0", "toBlock": "0x2"}])).await;
    assert_eq!(both["error"]["code"], -32602, "{both}");
    assert_eq!(both["error"]["message"], "query exceeds max results 15, retry with the range 0-1");
    // The range that error names is served.
    let retry = call(&url, "eth_getLogs", json!([{"fromBlock": "0x0", "toBlock": "0x1"}])).await;
    assert_eq!(retry["result"].as_array().unwrap().len(), 10);
    // One block over the log cap is served whole, as reth does.
    let one = call(&url, "eth_getLogs", json!([{"fromBlock": "0x3", "toBlock": "0x3"}])).await;
    assert_eq!(one["result"].as_array().unwrap().len(), 20, "{one}");
    // More blocks than the filter cap (0..=3 is four).
    let wide = call(&url, "eth_getLogs", json!([{"fromBlock": "0x0", "toBlock": "latest"}])).await;
    assert_eq!(wide["error"]["code"], -32602);
    assert_eq!(wide["error"]["message"], "query exceeds max block range 3");

    // A batch whose responses pass 4,000 bytes: the items from the one that
    // crosses it on are -32003 "response too large", in order and with their ids.
    let requests: Vec<Value> = (0..20)
        .map(|i| {
            json!({"jsonrpc": "2.0", "id": i, "method": "eth_getBlockByNumber",
                   "params": ["0x1", false]})
        })
        .collect();
    let (status, _, body) = post_raw(&url, Value::Array(requests).to_string()).await;
    assert_eq!(status, 200);
    assert!(body.len() <= 4_000 + 20 * 100, "{} bytes", body.len());
    let batch: Value = serde_json::from_str(&body).unwrap();
    let items = batch.as_array().unwrap();
    assert_eq!(items.len(), 20);
    let served = items.iter().take_while(|i| i["result"].is_object()).count();
    assert!((1..20).contains(&served), "{served} served");
    for (i, item) in items.iter().enumerate() {
        assert_eq!(item["id"], i);
        if i >= served {
            assert_eq!(item["error"]["code"], -32003);
            assert_eq!(item["error"]["message"], "response too large");
        }
    }
    // The configured body limit, also for a body sent without a length (chunked).
    let (status, _, body) = post_raw(&url, vec![b' '; 10_001]).await;
    assert_eq!(status, 413);
    assert!(body.contains("content length too large (10001>10000)"), "{body}");
    // 11 chunks of 1,000 bytes: the server stops reading at the 11th.
    let mut chunked = Vec::new();
    for _ in 0..11 {
        chunked.extend_from_slice(b"3e8\r\n");
        chunked.extend([b' '; 1_000]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let response = raw_post(l1.rpc_addr, "transfer-encoding: chunked\r\n", &chunked).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("\"code\":-32600"), "{response}");
    l1.shutdown().await;
}

/// POSTs `body` over a plain connection with the extra `headers` (each line
/// ending in CRLF); returns the whole response. The server may answer, and
/// close, before it has read the body.
async fn raw_post(addr: std::net::SocketAddr, headers: &str, body: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request = format!(
        "POST / HTTP/1.1\r\nhost: l1\r\ncontent-type: application/json\r\nconnection: close\r\n{headers}\r\n"
    )
    .into_bytes();
    request.extend_from_slice(body);
    let _ = stream.write_all(&request).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response).to_string()
}

/// The L1 clock refuses values the chain could not carry on with
/// (`rollup_l1_sim::MAX_TIMESTAMP`, 2^53 - 1 seconds), and mining goes on.
#[tokio::test(flavor = "multi_thread")]
async fn the_clock_refuses_timestamps_the_chain_cannot_carry_on_with() {
    const MAX: u64 = (1 << 53) - 1;
    let dir = tempfile::tempdir().unwrap();
    let l1 = start_with(dir.path(), Some(Duration::from_secs(3600)), RpcLimits::default()).await;
    let url = l1.rpc_url();
    let message = |v: &Value| v["error"]["message"].as_str().unwrap_or_default().to_string();
    for secs in
        [json!("0xffffffffffffffff"), json!(u64::MAX / 2), json!(format!("{:#x}", U256::MAX))]
    {
        let v = call(&url, "evm_increaseTime", json!([secs])).await;
        assert_eq!(v["error"]["code"], -32602, "{v}");
        assert!(message(&v).contains("beyond the largest timestamp"), "{v}");
    }
    for ts in [MAX + 1, u64::MAX] {
        let v = call(&url, "evm_setNextBlockTimestamp", json!([ts])).await;
        assert_eq!(
            message(&v),
            format!("timestamp {ts} is beyond the largest timestamp this chain allows ({MAX})")
        );
        let v = call(&url, "evm_mine", json!([ts])).await;
        assert_eq!(v["error"]["code"], -32602, "{v}");
    }
    // Up to the bound it is taken, and the next blocks still get later timestamps.
    assert!(call(&url, "evm_setNextBlockTimestamp", json!([MAX - 5])).await["error"].is_null());
    for _ in 0..3 {
        call(&url, "evm_mine", json!([])).await;
    }
    let block = call(&url, "eth_getBlockByNumber", json!(["latest", false])).await;
    let ts = u64::from_str_radix(
        block["result"]["timestamp"].as_str().unwrap().trim_start_matches("0x"),
        16,
    )
    .unwrap();
    assert_eq!(ts, MAX - 3);
    assert_eq!(head(&call(&url, "eth_blockNumber", json!([])).await), 3);
    l1.shutdown().await;
}

/// The JSON-RPC answers browsers of every origin by default (anvil's
/// `--allow-origin *`); given a list, it answers those only and refuses a
/// request from another origin before it runs (an `anvil_setBalance` sent as
/// a `text/plain` POST needs no preflight).
#[tokio::test(flavor = "multi_thread")]
async fn json_rpc_cors_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let l1 = start_with(dir.path(), Some(Duration::from_secs(3600)), RpcLimits::default()).await;
    let http = reqwest::Client::new();
    let preflight = |url: String, origin: &'static str| {
        let http = http.clone();
        async move {
            let response = http
                .request(reqwest::Method::OPTIONS, url)
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "content-type")
                .send()
                .await
                .unwrap();
            response
                .headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap().to_string())
        }
    };
    assert_eq!(preflight(l1.rpc_url(), "https://any.example").await.as_deref(), Some("*"));
    l1.shutdown().await;

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("l1.db").display());
    let mut config =
        L1Config::for_tests(url, (1..=4).map(|i| (key(i).address(), eth(1000))).collect());
    config.block_time = Some(Duration::from_secs(3600));
    config.rpc_cors = "http://localhost:5173".parse().unwrap();
    let l1 = spawn(config).await.unwrap();
    let url = l1.rpc_url();
    assert_eq!(
        preflight(url.clone(), "http://localhost:5173").await.as_deref(),
        Some("http://localhost:5173")
    );
    assert_eq!(preflight(url.clone(), "https://evil.example").await, None);
    let victim = key(1).address();
    let cheat =
        json!({"jsonrpc": "2.0", "id": 1, "method": "anvil_setBalance", "params": [victim, "0x0"]});
    let refused = http
        .post(&url)
        .header("origin", "https://evil.example")
        .header("content-type", "text/plain")
        .body(cheat.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32600, "{body}");
    let balance = call(&url, "eth_getBalance", json!([victim])).await;
    assert_eq!(balance["result"], json!(eth(1000)), "the cheat did not run");
    // The allowed origin and clients without an origin are served.
    let allowed: Value = http
        .post(&url)
        .header("origin", "http://localhost:5173")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(allowed["result"], "0x384");
    l1.shutdown().await;
}
