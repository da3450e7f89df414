//! Batched JSON-RPC calls for moving thousands of transactions quickly.

use alloy_primitives::{B256, Bytes};
use eyre::{Context, eyre};
use serde_json::{Value, json};
use std::time::Duration;

/// Requests per JSON-RPC batch.
const BATCH: usize = 250;

pub(crate) async fn batch(
    client: &reqwest::Client,
    url: &str,
    calls: &[Value],
) -> eyre::Result<Vec<Value>> {
    let body: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(id, call)| json!({"jsonrpc": "2.0", "id": id, "method": call[0], "params": call[1]}))
        .collect();
    let mut out: Vec<Value> =
        client.post(url).json(&body).send().await?.json().await.wrap_err("batch response")?;
    out.sort_by_key(|v| v["id"].as_u64().unwrap_or_default());
    Ok(out)
}

/// Sends every raw transaction; fails on the first rejection.
pub(crate) async fn send_all(
    client: &reqwest::Client,
    url: &str,
    raws: &[Bytes],
    progress: &indicatif::ProgressBar,
) -> eyre::Result<()> {
    for chunk in raws.chunks(BATCH) {
        let calls: Vec<Value> =
            chunk.iter().map(|raw| json!(["eth_sendRawTransaction", [raw]])).collect();
        for answer in batch(client, url, &calls).await? {
            if let Some(error) = answer.get("error") {
                return Err(eyre!("transaction rejected: {error}"));
            }
        }
        progress.inc(chunk.len() as u64);
    }
    Ok(())
}

/// Waits for the receipts of every hash (as JSON objects, in order).
pub(crate) async fn receipts(
    client: &reqwest::Client,
    url: &str,
    hashes: &[B256],
    progress: &indicatif::ProgressBar,
    timeout: Duration,
) -> eyre::Result<Vec<Value>> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut out = Vec::with_capacity(hashes.len());
    while out.len() < hashes.len() {
        let chunk = &hashes[out.len()..(out.len() + BATCH).min(hashes.len())];
        let calls: Vec<Value> =
            chunk.iter().map(|h| json!(["eth_getTransactionReceipt", [h]])).collect();
        let answers = batch(client, url, &calls).await?;
        let ready = answers.iter().take_while(|a| a["result"].is_object()).count();
        for answer in &answers[..ready] {
            out.push(answer["result"].clone());
        }
        progress.inc(ready as u64);
        if ready < chunk.len() {
            if tokio::time::Instant::now() > deadline {
                return Err(eyre!(
                    "{} of {} transactions not mined in time",
                    hashes.len() - out.len(),
                    hashes.len()
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(out)
}

/// A hex quantity field of a JSON object.
pub(crate) fn quantity(v: &Value, field: &str) -> u128 {
    v[field]
        .as_str()
        .and_then(|s| u128::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        .unwrap_or_default()
}

/// Transactions per sender in flight at once (under the pool's nonce gap).
const ROUND: u64 = 48;

/// Sends `txs` in rounds that keep every sender within the pool's nonce gap,
/// waiting for each round's receipts; returns every receipt in order.
pub(crate) async fn send_and_wait(
    client: &reqwest::Client,
    url: &str,
    txs: &[super::workload::Signed],
    sent: &indicatif::ProgressBar,
    mined: &indicatif::ProgressBar,
) -> eyre::Result<Vec<Value>> {
    let rounds = txs.iter().map(|t| t.nonce / ROUND).max().map_or(0, |r| r + 1);
    let mut receipts_by_index = vec![Value::Null; txs.len()];
    for round in 0..rounds {
        let picked: Vec<usize> =
            (0..txs.len()).filter(|i| txs[*i].nonce / ROUND == round).collect();
        let raws: Vec<Bytes> = picked.iter().map(|i| txs[*i].raw.clone()).collect();
        send_all(client, url, &raws, sent).await?;
        let hashes: Vec<B256> = picked.iter().map(|i| txs[*i].hash).collect();
        let got = receipts(client, url, &hashes, mined, Duration::from_secs(600)).await?;
        for (i, receipt) in picked.into_iter().zip(got) {
            receipts_by_index[i] = receipt;
        }
    }
    Ok(receipts_by_index)
}
