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

fn rollup() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rollup"))
}

/// Starts `rollup devnet` on free ports and returns it with its L2 and API URLs.
fn devnet(dir: &Path) -> (Child, String, String) {
    let mut child = rollup()
        .args(["devnet", "--l1-port", "0", "--l2-port", "0", "--api-port", "0"])
        .args(["--l1-block-time", "300ms", "--l2-block-time", "100ms"])
        .arg("--data-dir")
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut l2, mut api) = (String::new(), String::new());
    for line in lines.by_ref() {
        let line = line.unwrap();
        let url = || line.split_whitespace().nth(2).unwrap().to_string();
        if line.trim_start().starts_with("L2 JSON-RPC") {
            l2 = url();
        } else if line.trim_start().starts_with("REST API") {
            api = url();
        } else if line.starts_with("Role accounts") {
            break;
        }
    }
    assert!(!l2.is_empty() && !api.is_empty(), "devnet printed its endpoints");
    // Keep draining stdout so the devnet never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, l2, api)
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
