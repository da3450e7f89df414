//! The load: a seeded workload, its senders funded by a funder, its
//! transactions pre-signed for the target's chain id, and the sending over
//! several connections in JSON-RPC batches.

use crate::bench::{
    rpc,
    workload::{self, Kind, RECIPIENTS, TxSpec, Workload},
};
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use eyre::{Context, eyre};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Zipf};
use serde_json::{Value, json};
use std::{
    collections::{BTreeMap, HashSet, VecDeque},
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

/// Which workload `rollup bench throughput` sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoadKind {
    /// ETH transfers, each to a fresh recipient (every transfer creates an
    /// account).
    Transfer,
    /// ETH transfers to Zipf-distributed recipients (s = 1.1 over 2,000
    /// addresses; few accounts created).
    TransferZipf,
    /// `BenchToken.transfer` calls (the `rollup bench fees` workload).
    Erc20,
    /// `BenchPool.swapExactIn` calls (the `rollup bench fees` workload).
    Swap,
    /// 50% transfers (Zipf), 30% ERC-20 transfers, 20% swaps.
    Mixed,
}

impl FromStr for LoadKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "transfer" => Ok(Self::Transfer),
            "transfer-zipf" => Ok(Self::TransferZipf),
            "erc20" => Ok(Self::Erc20),
            "swap" => Ok(Self::Swap),
            "mixed" => Ok(Self::Mixed),
            other => Err(format!(
                "unknown workload {other:?}: transfer, transfer-zipf, erc20, swap or mixed"
            )),
        }
    }
}

impl std::fmt::Display for LoadKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Transfer => "transfer",
            Self::TransferZipf => "transfer-zipf",
            Self::Erc20 => "erc20",
            Self::Swap => "swap",
            Self::Mixed => "mixed",
        })
    }
}

impl LoadKind {
    /// Only ETH transfers (the TPS target is stated for them).
    pub(crate) const fn is_transfer(self) -> bool {
        matches!(self, Self::Transfer | Self::TransferZipf)
    }
}

/// The workload of one phase: keys (0 the deployer of the contract
/// workloads, 1.. the senders), setup, measured transactions.
pub(crate) fn plan(kind: LoadKind, n: usize, senders: usize, seed: u64) -> Workload {
    let contract = |k| Workload::generate(k, n, senders, seed);
    match kind {
        LoadKind::Erc20 => contract(Kind::Erc20),
        LoadKind::Swap => contract(Kind::Swap),
        LoadKind::Mixed => contract(Kind::Mixed),
        LoadKind::Transfer | LoadKind::TransferZipf => transfers(kind, n, senders, seed),
    }
}

/// ETH transfers, sender `i % senders` for the `i`-th (every sender sends
/// `n / senders` or one more); values `k × 10^e` wei, `k` in 1..=9999, `e`
/// in 9..=11 (at most 0.001 ETH).
fn transfers(kind: LoadKind, n: usize, senders: usize, seed: u64) -> Workload {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let keys: Vec<PrivateKeySigner> = std::iter::once(workload::key(seed, b"deployer", 0))
        .chain((0..senders as u64).map(|i| workload::key(seed, b"throughput-sender", i)))
        .collect();
    let zipf = Zipf::new(RECIPIENTS as f64, 1.1).expect("valid Zipf parameters");
    let txs = (0..n)
        .map(|i| {
            let recipient = if kind == LoadKind::Transfer {
                Address::from_word(keccak256(
                    [b"fresh-recipient".as_slice(), &seed.to_be_bytes(), &(i as u64).to_be_bytes()]
                        .concat(),
                ))
            } else {
                let rank = zipf.sample(&mut rng) as u64;
                Address::from_word(keccak256(
                    [b"recipient".as_slice(), &seed.to_be_bytes(), &rank.to_be_bytes()].concat(),
                ))
            };
            TxSpec {
                key: 1 + i % senders,
                to: TxKind::Call(recipient),
                value: U256::from(rng.random_range(1u64..10_000))
                    * U256::from(10u64.pow(rng.random_range(9..12))),
                input: Bytes::new(),
                gas: 21_000,
            }
        })
        .collect();
    Workload { keys, setup: Vec::new(), txs, kinds: vec![Kind::Transfer; n] }
}

/// A signed transaction of the load.
#[derive(Clone, Debug)]
pub(crate) struct Tx {
    /// Its hash.
    pub(crate) hash: B256,
    /// EIP-2718 bytes.
    pub(crate) raw: Bytes,
    /// Index of its key in [`Workload::keys`].
    pub(crate) key: usize,
    /// Its nonce.
    pub(crate) nonce: u64,
}

/// Fee caps of every transaction of a phase, wei.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Fees {
    /// `maxFeePerGas`.
    pub(crate) max_fee: u128,
    /// `maxPriorityFeePerGas`.
    pub(crate) tip: u128,
}

/// Fee caps for a target whose latest base fee is `base_fee`: 1000 times
/// it (at least 1 gwei), so that EIP-1559's rise under full blocks (12.5%
/// a block on L1 parameters, 2% on the L2's) never prices the load out
/// during a run; `max_fee_gwei` overrides. The tip is 0.001 gwei (what is
/// charged is the base fee plus the tip, not the cap).
pub(crate) fn fees(base_fee: u128, max_fee_gwei: Option<f64>) -> Fees {
    let max_fee = match max_fee_gwei {
        Some(gwei) => (gwei * 1e9) as u128,
        None => (base_fee * 1_000).max(1_000_000_000),
    };
    Fees { max_fee, tip: 1_000_000.min(max_fee) }
}

/// What every key of `workload` must hold to send all its transactions at
/// `fees`: per transaction gas × fee cap + value + 0.00001 ETH (the L2's L1
/// data fee), plus 1%.
pub(crate) fn needs(workload: &Workload, fees: Fees) -> Vec<U256> {
    let mut needs = vec![U256::ZERO; workload.keys.len()];
    for spec in workload.setup.iter().chain(&workload.txs) {
        needs[spec.key] += U256::from(spec.gas) * U256::from(fees.max_fee)
            + spec.value
            + U256::from(10_000_000_000_000u64);
    }
    needs.into_iter().map(|n| if n.is_zero() { n } else { n + n / U256::from(100) }).collect()
}

/// Signs `specs` for `chain_id` with consecutive nonces from `nonces` (which
/// it advances), on every core.
pub(crate) fn sign(
    keys: &[PrivateKeySigner],
    specs: &[TxSpec],
    chain_id: u64,
    fees: Fees,
    nonces: &mut [u64],
) -> Vec<Tx> {
    let assigned: Vec<u64> = specs
        .iter()
        .map(|s| {
            nonces[s.key] += 1;
            nonces[s.key] - 1
        })
        .collect();
    let sign_one = |(spec, nonce): (&TxSpec, u64)| {
        let tx = TxEip1559 {
            chain_id,
            nonce,
            gas_limit: spec.gas,
            max_fee_per_gas: fees.max_fee,
            max_priority_fee_per_gas: fees.tip,
            to: spec.to,
            value: spec.value,
            access_list: Default::default(),
            input: spec.input.clone(),
        };
        let signature =
            keys[spec.key].sign_hash_sync(&tx.signature_hash()).expect("signing with a local key");
        let envelope = TxEnvelope::from(tx.into_signed(signature));
        Tx {
            hash: *envelope.tx_hash(),
            raw: Bytes::from(envelope.encoded_2718()),
            key: spec.key,
            nonce,
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = specs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = specs
            .chunks(chunk)
            .zip(assigned.chunks(chunk))
            .map(|(s, n)| {
                scope.spawn(move || {
                    s.iter().zip(n.iter().copied()).map(sign_one).collect::<Vec<Tx>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("signing thread")).collect()
    })
}

/// One JSON-RPC call.
pub(crate) async fn call(
    client: &reqwest::Client,
    url: &str,
    method: &str,
    params: Value,
) -> eyre::Result<Value> {
    let answer: Value = client
        .post(url)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .wrap_err_with(|| format!("{method} at {url}"))?
        .json()
        .await
        .wrap_err_with(|| format!("{method} at {url}: answer"))?;
    if let Some(error) = answer.get("error") {
        return Err(eyre!("{method} at {url}: {error}"));
    }
    Ok(answer["result"].clone())
}

/// A hex quantity.
pub(crate) fn hex_u128(v: &Value) -> Option<u128> {
    v.as_str().and_then(|s| u128::from_str_radix(s.trim_start_matches("0x"), 16).ok())
}

/// The pending nonces of `addresses`.
pub(crate) async fn nonces(
    client: &reqwest::Client,
    url: &str,
    addresses: &[Address],
) -> eyre::Result<Vec<u64>> {
    let mut out = Vec::with_capacity(addresses.len());
    for chunk in addresses.chunks(200) {
        let calls: Vec<Value> =
            chunk.iter().map(|a| json!(["eth_getTransactionCount", [a, "pending"]])).collect();
        let answers = rpc::batch(client, url, &calls).await?;
        if answers.len() != chunk.len() {
            return Err(eyre!(
                "eth_getTransactionCount: {} answers to {}",
                answers.len(),
                calls.len()
            ));
        }
        for a in answers {
            let n = hex_u128(&a["result"])
                .ok_or_else(|| eyre!("eth_getTransactionCount: {}", a["error"]))?;
            out.push(n as u64);
        }
    }
    Ok(out)
}

/// Transactions per sender in flight while funding and setting up (under
/// the pool's nonce gap, 64 as geth's per-account queue).
const ROUND: u64 = 48;

/// Sends `txs` (any senders) in rounds of [`ROUND`] nonces per sender,
/// waiting for every receipt of a round; fails on a rejection or a failed
/// transaction.
pub(crate) async fn send_rounds(
    client: &reqwest::Client,
    url: &str,
    txs: &[Tx],
    what: &str,
    progress: &indicatif::ProgressBar,
) -> eyre::Result<()> {
    let mut first = std::collections::HashMap::new();
    for t in txs {
        let n = first.entry(t.key).or_insert(t.nonce);
        *n = (*n).min(t.nonce);
    }
    let round_of = |t: &Tx| (t.nonce - first[&t.key]) / ROUND;
    let rounds = txs.iter().map(round_of).max().map_or(0, |r| r + 1);
    let hidden = indicatif::ProgressBar::hidden();
    for round in 0..rounds {
        let picked: Vec<&Tx> = txs.iter().filter(|t| round_of(t) == round).collect();
        let raws: Vec<Bytes> = picked.iter().map(|t| t.raw.clone()).collect();
        rpc::send_all(client, url, &raws, &hidden).await.wrap_err_with(|| what.to_string())?;
        let hashes: Vec<B256> = picked.iter().map(|t| t.hash).collect();
        let receipts = rpc::receipts(client, url, &hashes, progress, Duration::from_secs(300))
            .await
            .wrap_err_with(|| what.to_string())?;
        if let Some(r) = receipts.iter().find(|r| r["status"] != "0x1") {
            return Err(eyre!("{what}: transaction {} failed", r["transactionHash"]));
        }
    }
    Ok(())
}

/// Keys one intermediate funder pays.
const FAN_OUT: usize = 48;

/// Funds every key of `keys` with its need: the funder pays intermediate
/// funders (one per [`FAN_OUT`] keys, derived from `seed`), which pay the
/// keys; both levels wait for their receipts.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn fund(
    client: &reqwest::Client,
    url: &str,
    chain_id: u64,
    funder: &PrivateKeySigner,
    keys: &[PrivateKeySigner],
    needs: &[U256],
    seed: u64,
    fees: Fees,
    progress: &indicatif::ProgressBar,
) -> eyre::Result<()> {
    let payees: Vec<(Address, U256)> = keys
        .iter()
        .zip(needs)
        .filter(|(_, n)| !n.is_zero())
        .map(|(k, n)| (k.address(), *n))
        .collect();
    let groups: Vec<&[(Address, U256)]> = payees.chunks(FAN_OUT).collect();
    let relays: Vec<PrivateKeySigner> =
        (0..groups.len() as u64).map(|i| workload::key(seed, b"throughput-funder", i)).collect();
    let transfer = |to: Address, value: U256| TxSpec {
        key: 0,
        to: TxKind::Call(to),
        value,
        input: Bytes::new(),
        gas: 21_000,
    };
    let gas_cost = U256::from(21_000u64) * U256::from(fees.max_fee);
    let level1: Vec<TxSpec> = groups
        .iter()
        .zip(&relays)
        .map(|(group, relay)| {
            let total: U256 = group.iter().map(|p| p.1 + gas_cost).sum();
            transfer(relay.address(), total)
        })
        .collect();
    let total: U256 = level1.iter().map(|t| t.value + gas_cost).sum();
    let balance = call(client, url, "eth_getBalance", json!([funder.address(), "latest"])).await?;
    let balance: U256 = serde_json::from_value(balance).wrap_err("eth_getBalance")?;
    if balance < total {
        return Err(eyre!(
            "the funder {} holds {balance} wei, the load needs {total} wei (lower --max-fee-gwei, --txs or --senders)",
            funder.address()
        ));
    }
    progress.set_length((level1.len() + payees.len()) as u64);
    let mut nonce = nonces(client, url, &[funder.address()]).await?;
    let signed = sign(std::slice::from_ref(funder), &level1, chain_id, fees, &mut nonce);
    send_rounds(client, url, &signed, "funding the intermediate funders", progress).await?;

    let relay_addresses: Vec<Address> = relays.iter().map(|r| r.address()).collect();
    let mut relay_nonces = nonces(client, url, &relay_addresses).await?;
    let level2: Vec<TxSpec> = groups
        .iter()
        .enumerate()
        .flat_map(|(i, group)| {
            group.iter().map(move |(to, value)| TxSpec { key: i, ..transfer(*to, *value) })
        })
        .collect();
    let signed = sign(&relays, &level2, chain_id, fees, &mut relay_nonces);
    send_rounds(client, url, &signed, "funding the senders", progress).await
}

/// How the measured transactions are sent.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SendConfig {
    /// Transactions per JSON-RPC batch.
    pub(crate) batch_size: usize,
    /// Concurrent HTTP connections.
    pub(crate) connections: usize,
    /// Open-loop rate over all connections, tx/s; as fast as the node
    /// answers when `None`.
    pub(crate) rate: Option<f64>,
    /// A rejected transaction is given up this long after its first send.
    pub(crate) give_up_after: Duration,
}

/// The send queue of each connection: the senders are split among the
/// connections (`key % connections`), every sender's transactions stay on
/// its connection in nonce order, and the queue interleaves senders (all
/// senders' first transaction, then their second, ...) so that a batch
/// spreads over many senders.
pub(crate) fn queues(txs: &[Tx], connections: usize) -> Vec<VecDeque<usize>> {
    let mut order: Vec<usize> = (0..txs.len()).collect();
    // Rank of each transaction among its sender's (by nonce).
    let mut by_sender: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, t) in txs.iter().enumerate() {
        by_sender.entry(t.key).or_default().push(i);
    }
    let mut rank = vec![0usize; txs.len()];
    for list in by_sender.values_mut() {
        list.sort_by_key(|i| txs[*i].nonce);
        for (r, i) in list.iter().enumerate() {
            rank[*i] = r;
        }
    }
    order.sort_by_key(|i| (rank[*i], txs[*i].key));
    let mut out = vec![VecDeque::new(); connections.max(1)];
    for i in order {
        out[txs[i].key % connections.max(1)].push_back(i);
    }
    out
}

/// What a node's answer to `eth_sendRawTransaction` means for the load.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// In the pool (first time).
    Accepted,
    /// Accepted by an earlier attempt whose answer was lost (`already
    /// known`; `nonce too low` after an earlier attempt: included already).
    AcceptedBefore,
    /// Refused for now (`txpool is full`, `nonce too high`, ...): retried
    /// with backoff; the reason is the message up to its first `:`.
    Retry(String),
    /// Refused for good (`nonce too low` at the first attempt).
    Fatal(String),
}

/// Judges an error message (geth's texts) of attempt `attempt` (0-based).
pub(crate) fn verdict(error: Option<&str>, attempt: u32) -> Verdict {
    let Some(message) = error else { return Verdict::Accepted };
    let lower = message.to_ascii_lowercase();
    let reason = lower.split(':').next().unwrap_or_default().trim().to_string();
    if lower.contains("already known") || lower.contains("known transaction") {
        Verdict::AcceptedBefore
    } else if lower.contains("nonce too low") {
        if attempt > 0 { Verdict::AcceptedBefore } else { Verdict::Fatal(reason) }
    } else {
        Verdict::Retry(reason)
    }
}

/// What sending produced, per transaction (times since the phase's start).
#[derive(Debug, Default)]
pub(crate) struct SendOutcome {
    /// First attempt of each transaction, seconds.
    pub(crate) first_sent: Vec<Option<f64>>,
    /// When the node accepted it, seconds.
    pub(crate) accepted: Vec<Option<f64>>,
    /// Refusals by reason (every refused attempt counts once).
    pub(crate) rejections: BTreeMap<String, u64>,
    /// Transactions given up, with the last reason.
    pub(crate) failed: Vec<(usize, String)>,
    /// Batches that failed as a whole (transport errors, bad answers); their
    /// transactions were sent again.
    pub(crate) transport_errors: u64,
    /// Batches sent.
    pub(crate) batches: u64,
}

impl SendOutcome {
    fn new(n: usize) -> Self {
        Self { first_sent: vec![None; n], accepted: vec![None; n], ..Default::default() }
    }

    fn merge(&mut self, other: Self) {
        for (a, b) in self.first_sent.iter_mut().zip(other.first_sent) {
            *a = a.or(b);
        }
        for (a, b) in self.accepted.iter_mut().zip(other.accepted) {
            *a = a.or(b);
        }
        for (k, v) in other.rejections {
            *self.rejections.entry(k).or_default() += v;
        }
        self.failed.extend(other.failed);
        self.transport_errors += other.transport_errors;
        self.batches += other.batches;
    }
}

/// Sends every transaction of `txs`, one task per connection.
pub(crate) async fn send(
    url: &str,
    txs: Arc<Vec<Tx>>,
    config: SendConfig,
    t0: Instant,
    accepted_count: Arc<AtomicUsize>,
    progress: indicatif::ProgressBar,
) -> eyre::Result<SendOutcome> {
    let queues = queues(&txs, config.connections);
    let total = txs.len().max(1) as f64;
    let tasks: Vec<_> = queues
        .into_iter()
        .map(|queue| {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(120))
                .build();
            let rate = config.rate.map(|r| r * queue.len() as f64 / total);
            let (url, txs, accepted_count, progress) =
                (url.to_string(), txs.clone(), accepted_count.clone(), progress.clone());
            tokio::spawn(async move {
                let client = client?;
                let connection = Connection { client, url, txs, config, rate, t0 };
                Ok::<_, eyre::Report>(connection.run(queue, &accepted_count, &progress).await)
            })
        })
        .collect();
    let mut outcome = SendOutcome::new(txs.len());
    for task in tasks {
        outcome.merge(task.await.wrap_err("sender task")??);
    }
    Ok(outcome)
}

/// One connection's sender.
struct Connection {
    client: reqwest::Client,
    url: String,
    txs: Arc<Vec<Tx>>,
    config: SendConfig,
    /// This connection's share of the open-loop rate, tx/s.
    rate: Option<f64>,
    t0: Instant,
}

impl Connection {
    /// Sends its queue; a refused transaction waits (with every later
    /// transaction of its sender, so nonce order holds) and is sent again
    /// after a backoff, before any fresh transaction.
    async fn run(
        self,
        mut fresh: VecDeque<usize>,
        accepted_count: &AtomicUsize,
        progress: &indicatif::ProgressBar,
    ) -> SendOutcome {
        let n = self.txs.len();
        let mut out = SendOutcome::new(n);
        let mut attempts = vec![0u32; n];
        let mut retry: VecDeque<usize> = VecDeque::new();
        let mut blocked: HashSet<usize> = HashSet::new();
        let mut backoff = Duration::ZERO;
        let mut fresh_sent = 0usize;
        loop {
            // Due fresh transactions (all of them without a rate).
            let due = match self.rate {
                None => usize::MAX,
                Some(r) => ((self.t0.elapsed().as_secs_f64() * r).floor() as usize + 1)
                    .saturating_sub(fresh_sent),
            };
            let mut batch: Vec<usize> = Vec::new();
            while batch.len() < self.config.batch_size
                && let Some(i) = retry.pop_front()
            {
                batch.push(i);
            }
            let mut taken = 0;
            while batch.len() < self.config.batch_size && taken < due {
                let Some(i) = fresh.pop_front() else { break };
                taken += 1;
                if blocked.contains(&self.txs[i].key) {
                    // Behind a refused transaction of its sender.
                    retry.push_back(i);
                } else {
                    batch.push(i);
                }
            }
            fresh_sent += taken;
            if batch.is_empty() {
                if fresh.is_empty() && retry.is_empty() {
                    return out;
                }
                if !retry.is_empty() {
                    // Only held transactions are left: wait out the backoff.
                    tokio::time::sleep(backoff.max(Duration::from_millis(10))).await;
                } else if let Some(r) = self.rate {
                    let next = (fresh_sent as f64) / r;
                    let wait = next - self.t0.elapsed().as_secs_f64();
                    tokio::time::sleep(Duration::from_secs_f64(wait.clamp(0.0005, 1.0))).await;
                }
                continue;
            }
            let now = self.t0.elapsed().as_secs_f64();
            for i in &batch {
                out.first_sent[*i].get_or_insert(now);
            }
            out.batches += 1;
            let answers = self.send_batch(&batch).await;
            let answered = self.t0.elapsed().as_secs_f64();
            let mut refused = false;
            let mut requeue = Vec::new();
            for (pos, i) in batch.iter().enumerate() {
                let verdict = match &answers {
                    Ok(a) => verdict(a[pos].as_deref(), attempts[*i]),
                    Err(e) => Verdict::Retry(e.clone()),
                };
                attempts[*i] += 1;
                match verdict {
                    Verdict::Accepted | Verdict::AcceptedBefore => {
                        out.accepted[*i] = Some(answered);
                        accepted_count.fetch_add(1, Ordering::Relaxed);
                        progress.inc(1);
                    }
                    Verdict::Retry(reason) => {
                        refused = true;
                        *out.rejections.entry(reason.clone()).or_default() += 1;
                        let first = out.first_sent[*i].unwrap_or(now);
                        if answered - first > self.config.give_up_after.as_secs_f64() {
                            out.failed.push((*i, reason));
                        } else {
                            requeue.push(*i);
                        }
                    }
                    Verdict::Fatal(reason) => {
                        *out.rejections.entry(reason.clone()).or_default() += 1;
                        out.failed.push((*i, reason));
                    }
                }
            }
            if answers.is_err() {
                out.transport_errors += 1;
            }
            // Held transactions of still-blocked senders stay behind the
            // refused ones; the rest go back in their original order.
            let held: Vec<usize> = retry.drain(..).collect();
            retry.extend(requeue);
            retry.extend(held);
            blocked = retry.iter().map(|i| self.txs[*i].key).collect();
            if !refused {
                backoff = Duration::ZERO;
            } else {
                backoff =
                    (backoff * 2).clamp(Duration::from_millis(20), Duration::from_millis(500));
                tokio::time::sleep(backoff).await;
            }
        }
    }

    /// Sends one batch; per transaction, the error message (`None` when
    /// accepted), or a transport error for the whole batch.
    async fn send_batch(&self, batch: &[usize]) -> Result<Vec<Option<String>>, String> {
        let body: Vec<Value> = batch
            .iter()
            .enumerate()
            .map(|(id, i)| {
                json!({"jsonrpc": "2.0", "id": id, "method": "eth_sendRawTransaction", "params": [self.txs[*i].raw]})
            })
            .collect();
        let answer = self.client.post(&self.url).json(&body).send().await;
        let answers: Vec<Value> = match answer {
            Ok(response) => match response.json::<Value>().await {
                Ok(Value::Array(a)) => a,
                Ok(other) => {
                    let message = other["error"]["message"].as_str().unwrap_or("bad batch answer");
                    return Err(format!("batch refused: {message}"));
                }
                Err(e) => return Err(format!("transport: {}", without_url(e))),
            },
            Err(e) => return Err(format!("transport: {}", without_url(e))),
        };
        let mut out: Vec<Option<Option<String>>> = vec![None; batch.len()];
        for a in answers {
            let Some(id) = a["id"].as_u64().map(|id| id as usize).filter(|id| *id < batch.len())
            else {
                continue;
            };
            out[id] = Some(
                a.get("error")
                    .map(|e| e["message"].as_str().map_or_else(|| e.to_string(), str::to_string)),
            );
        }
        Ok(out
            .into_iter()
            .map(|a| a.unwrap_or_else(|| Some("no answer in the batch".into())))
            .collect())
    }
}

/// A reqwest error's kind without the URL (a stable rejection reason).
fn without_url(e: reqwest::Error) -> String {
    e.without_url().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_geth_messages() {
        assert_eq!(verdict(None, 0), Verdict::Accepted);
        assert_eq!(verdict(Some("already known"), 1), Verdict::AcceptedBefore);
        assert_eq!(verdict(Some("txpool is full"), 0), Verdict::Retry("txpool is full".into()));
        assert_eq!(
            verdict(Some("nonce too high: next nonce 3, tx nonce 70"), 0),
            Verdict::Retry("nonce too high".into())
        );
        // At the first attempt a nonce too low is a real refusal; after a
        // lost answer it means the transaction got in.
        assert_eq!(
            verdict(Some("nonce too low: next nonce 5, tx nonce 4"), 0),
            Verdict::Fatal("nonce too low".into())
        );
        assert_eq!(
            verdict(Some("nonce too low: next nonce 5, tx nonce 4"), 2),
            Verdict::AcceptedBefore
        );
    }

    #[test]
    fn queues_keep_each_sender_on_one_connection_in_nonce_order() {
        let w = plan(LoadKind::TransferZipf, 300, 7, 3);
        let mut nonces = vec![5u64; w.keys.len()];
        let fees = Fees { max_fee: 10, tip: 1 };
        let txs = sign(&w.keys, &w.txs, 901, fees, &mut nonces);
        let queues = queues(&txs, 3);
        assert_eq!(queues.iter().map(VecDeque::len).sum::<usize>(), 300);
        let mut seen_on: std::collections::HashMap<usize, usize> = Default::default();
        for (c, q) in queues.iter().enumerate() {
            let mut last: std::collections::HashMap<usize, u64> = Default::default();
            for i in q {
                let t = &txs[*i];
                assert_eq!(*seen_on.entry(t.key).or_insert(c), c, "sender on one connection");
                if let Some(prev) = last.insert(t.key, t.nonce) {
                    assert_eq!(t.nonce, prev + 1, "nonce order within the connection");
                }
            }
        }
        // Interleaved: connection 1 holds senders 1, 4 and 7, and its first
        // three transactions are one of each.
        let first: HashSet<usize> = queues[1].iter().take(3).map(|i| txs[*i].key).collect();
        assert_eq!(first, HashSet::from([1, 4, 7]));
        // Nonces start where asked.
        assert_eq!(txs.iter().map(|t| t.nonce).min(), Some(5));
    }

    #[test]
    fn fresh_transfers_create_one_account_each_and_are_seeded() {
        let a = plan(LoadKind::Transfer, 50, 5, 9);
        let b = plan(LoadKind::Transfer, 50, 5, 9);
        let to: HashSet<TxKind> = a.txs.iter().map(|t| t.to).collect();
        assert_eq!(to.len(), 50);
        assert!(a.txs.iter().zip(&b.txs).all(|(x, y)| x.to == y.to && x.value == y.value));
        // Every sender sends n / senders.
        let per: BTreeMap<usize, usize> = a.txs.iter().fold(BTreeMap::new(), |mut m, t| {
            *m.entry(t.key).or_default() += 1;
            m
        });
        assert!(per.values().all(|c| *c == 10));
        let zipf = plan(LoadKind::TransferZipf, 500, 5, 9);
        let to: HashSet<TxKind> = zipf.txs.iter().map(|t| t.to).collect();
        assert!(to.len() < 400, "Zipf recipients repeat: {}", to.len());
    }

    #[test]
    fn fees_and_needs_cover_the_fee_cap() {
        assert_eq!(fees(1_000_000, None).max_fee, 1_000_000_000);
        assert_eq!(fees(1_000_000_000, None).max_fee, 1_000_000_000_000);
        assert_eq!(fees(7, Some(2.0)).max_fee, 2_000_000_000);
        let w = plan(LoadKind::Transfer, 10, 2, 1);
        let f = Fees { max_fee: 100, tip: 1 };
        let needs = needs(&w, f);
        assert!(needs[0].is_zero(), "the deployer sends nothing in a transfer load");
        let sent: U256 = w.txs.iter().filter(|t| t.key == 1).map(|t| t.value).sum();
        assert!(needs[1] > sent + U256::from(5 * 21_000 * 100));
    }
}
