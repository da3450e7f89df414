//! Crash safety under `kill -9` at random moments, while a client streams L2
//! transfers, deposits and withdrawals through the devnet.
//!
//! Each iteration streams for a random 0.8-3.5 s, kills the devnet with
//! SIGKILL, restarts it on the same data directory and checks that
//! everything acknowledged before the kill is still there: every L2 transfer
//! whose receipt the client saw is in the same block (same block hash),
//! every deposit and withdrawal the REST API answered 201 for is known to
//! it. At the end, every withdrawal initiated on the L2 (acknowledged or
//! not: read from the message passer's `MessagePassed` events) is finalized
//! on the L1 once, and the bridge's L1 balance must equal the L2's ETH
//! supply to the wei: no deposit lost or credited twice, no withdrawal paid
//! twice. The batches on L1 must cover the L2 blocks once each, in order.
//!
//! `ROLLUP_CRASH_ITERATIONS` (default 3) sets the number of kills and
//! `ROLLUP_CRASH_SEED` the seed of the random moments (printed, to replay a
//! failure).

use super::{Urls, devnet_with};
use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::Encodable2718,
    network::TxSignerSync,
    providers::{Provider, ProviderBuilder},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use alloy_primitives::{Address, B256, TxKind, U256, utils::parse_ether};
use rand::{Rng, SeedableRng};
use rollup_client::dev::dev_account;
use rollup_contracts::{L2_TO_L1_MESSAGE_PASSER, L2ToL1MessagePasser};
use serde_json::{Value, json};
use std::{
    path::Path,
    process::Child,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// What the devnet acknowledged to the client.
#[derive(Debug, Default)]
struct Acked {
    /// L2 transfers whose receipt the client saw: (tx hash, block hash).
    transfers: Vec<(B256, B256)>,
    /// Deposits the REST API answered 201 for (L1 tx hashes).
    deposits: Vec<String>,
    /// Withdrawals the REST API answered 201 for (withdrawal hashes).
    withdrawals: Vec<String>,
}

const FLAGS: &[&str] = &["--challenge-window", "2s", "--output-interval", "20"];

fn start(dir: &Path) -> (Child, Urls) {
    devnet_with(dir, FLAGS)
}

fn kill(mut child: Child) {
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

/// Polls `check` every 200 ms until it returns `Some`, for at most `limit`.
async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn get_json(http: &reqwest::Client, url: String) -> Option<Value> {
    let response = http.get(url).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.json().await.ok()
}

/// Streams operations until the devnet stops answering: L2 transfers from
/// dev account 0, a deposit (dev account 2 to dev account 4) every 4th
/// step, a withdrawal from dev account 4 every 6th.
async fn stream(urls: (String, String), acked: Arc<Mutex<Acked>>, step0: u64) {
    let (l2_url, api) = urls;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let l2 = ProviderBuilder::new().connect_http(l2_url.parse().unwrap());
    let alice = dev_account(0);
    let Ok(mut nonce) = l2.get_transaction_count(alice.address()).pending().await else {
        return;
    };
    for step in step0.. {
        if step % 4 == 0 {
            let body = json!({
                "from": dev_account(2).address(), "to": dev_account(4).address(), "amount": "1000000"
            });
            let Ok(r) = http.post(format!("{api}/v1/deposits")).json(&body).send().await else {
                return;
            };
            if r.status() == 201 {
                let Ok(v) = r.json::<Value>().await else { return };
                acked.lock().unwrap().deposits.push(v["l1_tx_hash"].as_str().unwrap().to_string());
            }
        }
        if step % 6 == 0 {
            let carol = dev_account(4).address();
            let body = json!({ "from": carol, "to": carol, "amount": "1000" });
            let Ok(r) = http.post(format!("{api}/v1/withdrawals")).json(&body).send().await else {
                return;
            };
            if r.status() == 201 {
                let Ok(v) = r.json::<Value>().await else { return };
                let hash = v["withdrawal_hash"].as_str().unwrap().to_string();
                acked.lock().unwrap().withdrawals.push(hash);
            }
        }
        let mut tx = TxEip1559 {
            chain_id: 901,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 10_000_000_000,
            max_priority_fee_per_gas: 1_000_000,
            to: TxKind::Call(dev_account(1).address()),
            value: U256::from(step),
            ..Default::default()
        };
        let signature = alice.sign_transaction_sync(&mut tx).unwrap();
        let raw = TxEnvelope::from(tx.into_signed(signature)).encoded_2718();
        let Ok(pending) = l2.send_raw_transaction(&raw).await else { return };
        let hash = *pending.tx_hash();
        nonce += 1;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match l2.get_transaction_receipt(hash).await {
                Ok(Some(receipt)) => {
                    let block = receipt.block_hash.unwrap();
                    acked.lock().unwrap().transfers.push((hash, block));
                    break;
                }
                Ok(None) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                _ => return,
            }
        }
    }
}

/// Everything acknowledged is still there after a restart.
async fn check_acked(urls: &Urls, acked: &Acked) {
    let http = reqwest::Client::new();
    let l2 = ProviderBuilder::new().connect_http(urls.l2.parse().unwrap());
    for (hash, block) in &acked.transfers {
        let receipt = l2.get_transaction_receipt(*hash).await.unwrap();
        let receipt = receipt.unwrap_or_else(|| panic!("acknowledged transfer {hash} lost"));
        assert_eq!(receipt.block_hash, Some(*block), "transfer {hash} moved to another block");
    }
    for hash in &acked.deposits {
        let known = get_json(&http, format!("{}/v1/deposits/{hash}", urls.api)).await;
        assert!(known.is_some(), "acknowledged deposit {hash} unknown after the restart");
    }
    for hash in &acked.withdrawals {
        let known = get_json(&http, format!("{}/v1/withdrawals/{hash}", urls.api)).await;
        assert!(known.is_some(), "acknowledged withdrawal {hash} unknown after the restart");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_acknowledged_is_lost_across_random_kill_9s() {
    let iterations: usize =
        std::env::var("ROLLUP_CRASH_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let seed: u64 = std::env::var("ROLLUP_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    eprintln!("crash test: {iterations} iterations, ROLLUP_CRASH_SEED={seed}");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();

    // Fund dev accounts 0 (transfers) and 4 (withdrawals) on the L2.
    let (mut child, mut urls) = start(dir.path());
    for account in [0, 4] {
        let to = dev_account(account).address();
        let body =
            json!({ "from": to, "to": to, "amount": parse_ether("10").unwrap().to_string() });
        let r = http.post(format!("{}/v1/deposits", urls.api)).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 201);
    }
    let l2 = ProviderBuilder::new().connect_http(urls.l2.parse().unwrap());
    eventually("the funding deposits", Duration::from_secs(60), || async {
        let a = l2.get_balance(dev_account(0).address()).await.ok()?;
        let b = l2.get_balance(dev_account(4).address()).await.ok()?;
        (!a.is_zero() && !b.is_zero()).then_some(())
    })
    .await;

    let acked = Arc::new(Mutex::new(Acked::default()));
    for iteration in 0..iterations {
        let client = tokio::spawn(stream(
            (urls.l2.clone(), urls.api.clone()),
            acked.clone(),
            iteration as u64 * 1_000_000 + 1,
        ));
        tokio::time::sleep(Duration::from_millis(rng.random_range(800..3_500))).await;
        kill(child);
        client.abort();
        let _ = client.await;
        (child, urls) = start(dir.path());
        let snapshot = {
            let acked = acked.lock().unwrap();
            Acked {
                transfers: acked.transfers.clone(),
                deposits: acked.deposits.clone(),
                withdrawals: acked.withdrawals.clone(),
            }
        };
        check_acked(&urls, &snapshot).await;
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    eprintln!(
        "acknowledged: {} transfers, {} deposits, {} withdrawals",
        acked.transfers.len(),
        acked.deposits.len(),
        acked.withdrawals.len()
    );
    assert!(!acked.transfers.is_empty(), "the client streamed nothing");

    // Every withdrawal initiated on the L2 (acknowledged or cut off by a kill)
    // is finalized on the L1, once.
    let l2 = ProviderBuilder::new().connect_http(urls.l2.parse().unwrap());
    let logs = l2
        .get_logs(
            &Filter::new()
                .address(L2_TO_L1_MESSAGE_PASSER)
                .event_signature(L2ToL1MessagePasser::MessagePassed::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .unwrap();
    let initiated: Vec<B256> = logs
        .iter()
        .map(|l| L2ToL1MessagePasser::MessagePassed::decode_log(&l.inner).unwrap().withdrawalHash)
        .collect();
    for hash in &acked.withdrawals {
        assert!(initiated.iter().any(|h| h.to_string() == *hash), "withdrawal {hash} not on L2");
    }
    for hash in &initiated {
        let url = format!("{}/v1/withdrawals/{hash}", urls.api);
        eventually("a withdrawal to be ready", Duration::from_secs(120), || async {
            let v = get_json(&http, url.clone()).await?;
            matches!(v["status"].as_str(), Some("ready-to-finalize" | "finalized")).then_some(())
        })
        .await;
        let r = http.post(format!("{url}/finalize")).send().await.unwrap();
        assert!(r.status() == 200 || r.status() == 409, "finalize: {}", r.status());
        let again = http.post(format!("{url}/finalize")).send().await.unwrap();
        assert_eq!(again.status(), 409, "a withdrawal is paid once");
    }

    // The bridge holds exactly the L2 supply (every deposit, acknowledged or
    // not, credited once).
    let config = get_json(&http, format!("{}/v1/config", urls.api)).await.unwrap();
    let bridge: Address = config["bridge"].as_str().unwrap().parse().unwrap();
    let l1_url = config["l1_rpc_url"].as_str().map(str::to_string);
    let l1 = ProviderBuilder::new()
        .connect_http(l1_url.expect("the config names the L1 RPC").parse().unwrap());
    let (held, supply) = eventually("bridge balance = L2 supply", Duration::from_secs(60), || {
        let (l1, l2) = (l1.clone(), l2.clone());
        async move {
            let held = l1.get_balance(bridge).await.ok()?;
            let supply: U256 = l2.raw_request("rollup_ethSupply".into(), ()).await.ok()?;
            (held == supply).then_some((held, supply))
        }
    })
    .await;
    assert_eq!(held, supply);

    // The batches cover the L2 blocks once each, in order.
    let mut batches = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = match &cursor {
            Some(c) => format!("{}/v1/batches?limit=100&cursor={c}", urls.api),
            None => format!("{}/v1/batches?limit=100", urls.api),
        };
        let page = get_json(&http, page).await.expect("batches page");
        for item in page["items"].as_array().unwrap() {
            batches.push((item["l2_start"].as_u64().unwrap(), item["l2_end"].as_u64().unwrap()));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    batches.sort_unstable();
    assert!(!batches.is_empty(), "no batch posted");
    for pair in batches.windows(2) {
        assert_eq!(pair[1].0, pair[0].1 + 1, "batches overlap or leave a gap: {pair:?}");
    }
    kill(child);
}
