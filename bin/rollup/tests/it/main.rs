//! Tests of the `rollup` binary as a user runs it: flags, exit codes, and a
//! soft-confirmed L2 transaction surviving `kill -9`.
#![allow(missing_docs, unreachable_pub)]

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
};
use alloy_primitives::{U256, utils::parse_ether};
use rollup_client::dev::dev_account;

mod crash;

fn rollup() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rollup"))
}

/// Starts `rollup devnet` on free ports and returns it with its L2 and API URLs.
fn devnet(dir: &Path) -> (Child, String, String) {
    let (child, urls) = devnet_with(dir, &[]);
    (child, urls.l2, urls.api)
}

/// The endpoints a devnet printed.
#[derive(Default)]
struct Urls {
    l2: String,
    api: String,
    metrics: String,
}

/// Starts `rollup devnet` on free ports with `extra` flags.
fn devnet_with(dir: &Path, extra: &[&str]) -> (Child, Urls) {
    let mut child = rollup()
        .args(["devnet", "--l1-port", "0", "--l2-port", "0", "--api-port", "0"])
        .args(extra)
        .args(["--l1-block-time", "300ms", "--l2-block-time", "100ms"])
        .arg("--data-dir")
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut urls = Urls::default();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let url = |n| line.split_whitespace().nth(n).unwrap().to_string();
        if line.trim_start().starts_with("L2 JSON-RPC") {
            urls.l2 = url(2);
        } else if line.trim_start().starts_with("REST API") {
            urls.api = url(2);
        } else if line.starts_with("Metrics") {
            urls.metrics = url(1);
        } else if line.starts_with("Role accounts") {
            break;
        }
    }
    assert!(!urls.l2.is_empty() && !urls.api.is_empty(), "devnet printed its endpoints");
    // Keep draining stdout so the devnet never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, urls)
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_show_heads_blocks_and_rpc_calls_by_method() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, urls) = devnet_with(dir.path(), &["--metrics-addr", "127.0.0.1:0"]);
    assert!(urls.metrics.ends_with("/metrics"), "{}", urls.metrics);
    let http = reqwest::Client::new();
    let call = |method: &'static str| {
        http.post(&urls.l2)
            .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}))
            .send()
    };
    call("eth_blockNumber").await.unwrap();
    call("no_suchMethod_abc").await.unwrap();
    // Wait (bounded) until the L2 has produced a few blocks.
    let mut text = String::new();
    let value = |text: &str, series: &str| -> Option<f64> {
        text.lines().find(|l| l.starts_with(series))?.rsplit(' ').next()?.parse().ok()
    };
    for _ in 0..100 {
        text = http.get(&urls.metrics).send().await.unwrap().text().await.unwrap();
        if value(&text, r#"rollup_head{chain="l2",head="latest"}"#).unwrap_or(0.0) >= 3.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(value(&text, r#"rollup_head{chain="l2",head="latest"}"#).unwrap() >= 3.0, "{text}");
    assert!(value(&text, r#"rollup_blocks_total{chain="l1"}"#).unwrap() >= 1.0, "{text}");
    let requests = r#"rollup_rpc_requests_total{chain="l2",method="eth_blockNumber"}"#;
    assert!(value(&text, requests).unwrap() >= 1.0, "{text}");
    // An unknown method is counted, under `unknown`, never by its name.
    assert!(
        value(&text, r#"rollup_rpc_errors_total{chain="l2",method="unknown"}"#).unwrap() >= 1.0
    );
    assert!(!text.contains("no_suchMethod_abc"), "{text}");
    assert!(text.contains("rollup_rpc_request_duration_seconds_bucket"), "{text}");
}

#[test]
fn bad_flags_exit_non_zero_with_a_one_line_cause() {
    let out = rollup().args(["devnet", "--l2-block-time", "fast"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--l2-block-time"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let out = rollup()
        .args(["devnet", "--l1-port", &port, "--data-dir"])
        .arg(dir.path())
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: cannot bind L1 RPC"), "{err}");
}

#[test]
fn role_commands_refuse_missing_and_well_known_keys_without_dev() {
    use rollup_client::dev::{Role, role_signer};
    let hex = |role| format!("0x{}", alloy_primitives::hex::encode(role_signer(role).to_bytes()));
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = rollup()
            .args(args)
            .arg("--data-dir")
            .arg(dir.path())
            .env("RUST_LOG", "off")
            .env_remove("ROLLUP_DEV")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} started");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // No key at all.
    let err = run(&["batcher"]);
    assert!(err.contains("no batcher key") && err.contains("--dev"), "{err}");
    let err = run(&["challenger"]);
    assert!(err.contains("no challenger key"), "{err}");
    let err = run(&["l1", "--port", "0"]);
    assert!(err.contains("no deployer key"), "{err}");
    // The public mnemonic's keys, given explicitly: refused, and not echoed.
    let batcher = hex(Role::Batcher);
    let err = run(&["batcher", "--batcher-key", &batcher, "--proposer-key", &hex(Role::Proposer)]);
    assert!(err.contains("well-known key of the public test mnemonic"), "{err}");
    assert!(!err.contains(&batcher[2..]), "the key is never printed: {err}");
    let err = run(&["bridge", "--relayer-key", &hex(Role::Relayer)]);
    assert!(err.contains("well-known"), "{err}");
    // With --dev they pass the key checks (and stop at the missing rollup file).
    let err = run(&["batcher", "--dev"]);
    assert!(err.contains("rollup.json"), "{err}");
    assert!(!err.contains("key"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_confirmed_l2_transaction_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, l2_url, api) = devnet(dir.path());
    let alice = dev_account(0);
    let client = reqwest::Client::new();
    let body = serde_json::json!({
        "from": alice.address(), "to": alice.address(), "amount": parse_ether("1").unwrap().to_string()
    });
    let r = client.post(format!("{api}/v1/deposits")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let l2 = ProviderBuilder::new()
        .wallet(EthereumWallet::from(alice.clone()))
        .connect_http(l2_url.parse().unwrap());
    for _ in 0..200 {
        if l2.get_balance(alice.address()).await.unwrap() > U256::ZERO {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let tx = TransactionRequest::default()
        .with_to(dev_account(1).address())
        .with_value(U256::from(1234));
    let receipt = l2.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let (mut child, l2_url, _) = devnet(dir.path());
    let l2 = ProviderBuilder::new().connect_http(l2_url.parse().unwrap());
    let again = l2.get_transaction_receipt(receipt.transaction_hash).await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let again = again.expect("the receipt survived the crash");
    assert_eq!(again.block_hash, receipt.block_hash);
    assert!(again.status());
}

/// A role task that dies (here: the L1's miner, aborted through its
/// supervisor, the Rust-level hook a crash test uses) stops the whole devnet
/// with an error naming the role, the task and why; `main` prints it and
/// exits non-zero.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_role_task_stops_the_devnet_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let net = rollup::devnet::spawn(rollup::devnet::DevnetConfig::for_tests(dir.path().into()))
        .await
        .unwrap();
    assert!(net.supervisors().iter().all(|s| s.down().is_none()));
    let health = format!("{}/health", net.bridge.url());
    assert!(net.supervisors()[0].abort("miner"));
    net.supervisors()[0].failed().await;
    // Until the devnet has stopped, /health reports the role as down.
    let response = reqwest::get(&health).await.unwrap();
    assert_eq!(response.status().as_u16(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "role-down", "{body}");
    assert_eq!(body["error"]["message"], "the miner task of the l1 role was aborted");
    let err = net.run_until(std::future::pending()).await.unwrap_err();
    assert_eq!(err.to_string(), "the devnet stopped: the miner task of the l1 role was aborted");
}

/// The proposer is a role of its own, run by the batcher's process beside
/// the batcher's task: when it dies, `/health` and the devnet's error name
/// the proposer role, as for any role task.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_proposer_task_stops_the_devnet_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let net = rollup::devnet::spawn(rollup::devnet::DevnetConfig::for_tests(dir.path().into()))
        .await
        .unwrap();
    let batcher = net.batcher.supervisor().clone();
    assert!(batcher.abort("proposer"));
    let exit = batcher.failed().await;
    assert_eq!(exit.role, "proposer");
    assert_eq!(exit.to_string(), "the proposer task of the proposer role was aborted");
    let response = reqwest::get(format!("{}/health", net.bridge.url())).await.unwrap();
    assert_eq!(response.status().as_u16(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "role-down", "{body}");
    assert_eq!(body["error"]["message"], "the proposer task of the proposer role was aborted");
    let err = net.run_until(std::future::pending()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the devnet stopped: the proposer task of the proposer role was aborted"
    );
}

/// `rollup bench throughput` on a tiny load against its in-process devnet:
/// every accepted transaction is seen in a block, latencies are positive,
/// and `report.json` holds the documented figures.
#[test]
fn bench_throughput_sees_every_accepted_transaction_included() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut child = rollup()
        .args(["bench", "throughput", "--txs", "300", "--senders", "30", "--batch-size", "50"])
        .args(["--timeout", "120s", "--out"])
        .arg(&out)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let read_out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).unwrap();
        s
    });
    let read_err = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).unwrap();
        s
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("the bench did not finish within 300 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let (printed, errors) = (read_out.join().unwrap(), read_err.join().unwrap());
    assert!(status.success(), "{printed}\n{errors}");
    assert!(printed.contains("included per second (TPS)"), "{printed}");

    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["workload"], "transfer");
    assert_eq!(report["runs"].as_array().unwrap().len(), 1, "no peer, no half-rate phase");
    let run = &report["runs"][0];
    assert_eq!(run["label"], "rollup");
    assert_eq!(run["txs"], 300);
    assert_eq!(run["accepted"], 300, "{run}");
    assert_eq!(run["failed"], 0);
    assert_eq!(run["included"], 300, "every accepted transaction is seen in a block");
    assert_eq!(run["not_included"], 0);
    let latency = &run["latency"];
    let ms = |k: &str| latency[k].as_f64().unwrap();
    assert!(ms("p50_ms") > 0.0 && ms("p50_ms") <= ms("p99_ms") && ms("p99_ms") <= ms("max_ms"));
    assert_eq!(latency["cdf_ms"].as_array().unwrap().len(), 101);
    assert!(run["included_tps"].as_f64().unwrap() > 0.0);
    assert!(run["mgas_per_s"].as_f64().unwrap() > 0.0);
    // Each included transfer is in a block the watcher saw, and each
    // created its recipient: 30 funded senders + 300 recipients.
    let blocks = run["blocks"].as_array().unwrap();
    let load: u64 = blocks.iter().map(|b| b["load_txs"].as_u64().unwrap()).sum();
    assert_eq!(load, 300);
    assert_eq!(run["accounts_touched"], 330);
    // In-process: the sequencer's build time and this process's RSS.
    assert!(run["block_build"]["mean_ms"].as_f64().unwrap() > 0.0, "{run}");
    assert!(run["rss"]["max_mib"].as_f64().unwrap() > 0.0);
    let targets = report["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 4);
    // The challenger's lag behind the batcher, sampled during the run.
    let lag = &report["challenger_lag"];
    assert!(lag["max_batches_behind"].as_u64().unwrap() <= lag["batches"].as_u64().unwrap());
    assert!(targets[3]["figure"].as_str().unwrap().contains("challenger"));
    assert!(targets[3]["met"].is_boolean(), "{}", targets[3]);
    for plot in ["tps.svg", "latency_cdf.svg", "block_txs.svg", "build_time.svg"] {
        assert!(out.join(plot).exists(), "{plot}");
    }
}
