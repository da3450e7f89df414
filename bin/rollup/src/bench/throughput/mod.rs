//! `rollup bench throughput`: how many transactions a node includes per
//! second, and how long they wait, measured from the client's side.
//!
//! # Target
//!
//! By default a fresh in-process devnet (temporary data directory, free
//! ports, `rollup devnet`'s defaults, `--l2-block-time` 250 ms): the load
//! goes to its L2 JSON-RPC while the whole devnet (L1, sequencer, batcher,
//! proposer, challenger, bridge API) runs in the same process. Or any
//! endpoint with `--rpc URL --funder-key K` (anvil, geth, reth). With
//! `--peer-rpc URL` the identical load (same seed, same senders and
//! recipients, re-signed for the peer's chain id) then runs against the
//! peer in the same run (after the devnet is stopped, so the two never
//! share the CPU), and the table puts them side by side.
//!
//! # A phase
//!
//! 1. **Workload** (seeded, `--seed`): `--txs` transactions from
//!    `--senders` keys. `transfer`: ETH transfers, each to a fresh
//!    recipient (every one creates an account), sender `i % senders` for the
//!    `i`-th; `transfer-zipf`: recipients Zipf-distributed over 2,000
//!    addresses; `erc20`, `swap`, `mixed`: the `rollup bench fees`
//!    workloads (their contracts deployed and tokens granted first).
//! 2. **Funding**: the funder pays one intermediate key per 48 senders,
//!    which pay the senders what their transactions can cost at the fee cap
//!    (1000 x the latest base fee, at least 1 gwei; `--max-fee-gwei`); every
//!    funding transaction is waited for. The in-process devnet's funder is
//!    dev account 0, funded on L2 by a 5,000 ETH deposit.
//! 3. **Signing**: every transaction is signed before the first is sent.
//! 4. **Sending**: `--connections` HTTP connections, each sending JSON-RPC
//!    batches of `--batch-size` `eth_sendRawTransaction` calls, one batch
//!    at a time. Senders are split among the connections (`key %
//!    connections`) and each connection sends its senders' transactions in
//!    nonce order, interleaved across senders. As fast as the node answers,
//!    or open loop at `--rate` tx/s (fresh transactions released on a fixed
//!    schedule whatever the node does). A refused transaction (`txpool is
//!    full`, `nonce too high`, ...) is counted by reason and sent again
//!    after a backoff (20 ms doubling to 500 ms), ahead of its sender's
//!    later transactions; it is given up (and reported) only after
//!    `--give-up` since its first send. `already known` after a lost answer
//!    counts as accepted.
//! 5. **Watching**: a separate task polls `eth_blockNumber` every 20 ms and
//!    reads every new block with `eth_getBlockByNumber(n, false)`, matching
//!    the load's hashes. The phase ends when every accepted transaction was
//!    seen in a block, after 60 s without a new inclusion, or at
//!    `--timeout`.
//!
//! # Figures (per phase, `report.json`)
//!
//! - **accepted/s**: accepted transactions / (last acceptance - first send).
//! - **included TPS**: included load transactions / the measured window,
//!   from the first send to the sighting of the block holding the last one.
//!   Peak: most included within one second.
//! - **Mgas/s**: `gasUsed` of the blocks holding the load / the window.
//! - **inclusion latency** p50/p90/p99/max: first send of a transaction to
//!   the first sighting of a block holding it (includes up to one poll
//!   interval, 20 ms, and the watcher's own round trip).
//! - **blocks**: count, transactions per block, interval between sightings.
//! - **block build time** (in-process devnet only): the sequencer's
//!   `rollup_block_build_duration_seconds` histogram (pool selection,
//!   execution, state root, commit), read from the process's metrics
//!   recorder at each new block: the mean over the blocks built since the
//!   previous read. Other nodes do not expose it; the figure is `n/a`.
//! - **state size**: accounts the load touched (funded senders + distinct
//!   recipients of included transfers), per block.
//! - **RSS**: `VmRSS` of `/proc/self/status` for the in-process devnet (the
//!   load generator's memory included: its pre-signed transactions), of
//!   `/proc/<pid>/status` with `--pid` / `--peer-pid`.
//! - **challenger lag** (in-process devnet only, over all its phases): the
//!   batches on L1 the challenger has not yet derived, sampled every 250 ms
//!   ([`lag`]).
//!
//! `--half-rate-check` runs a second phase on each target at half of the
//! first phase's included TPS, open loop, with a new seed (new senders and
//! recipients) for about 30 s of load, for the latency target.
//!
//! `--prefill-accounts N` then runs the first phase again on a second
//! in-process devnet whose L2 genesis holds `N` more accounts
//! (`RollupConfig::genesis_prefill`: nonce 1, no balance, at
//! `rollup_protocol::prefill_address(i)`), in the column `rollup +N
//! accounts`: the throughput of a chain with a large state against the fresh
//! one, same load, same run. The accounts come from the genesis because
//! sending them would not get there: under full blocks the base fee rises
//! 2% a block (OP's EIP-1559 parameters) and outruns any fee cap long before
//! 10^6 transfers are in.
//!
//! # Targets (issue 10), printed beside the figures
//!
//! ETH transfers included per second at saturation >= 5,000 and >= 1.2x
//! the peer on the same load in the same run; inclusion latency p99 at half
//! of saturation <= 2 block times; the challenger at most 1 batch behind
//! the batcher; with `--prefill-accounts`, throughput after the extra
//! accounts >= 0.9x the fresh chain's.

pub mod lag;
mod load;
mod measure;
pub(crate) use measure::{percentile, rss_mib};
mod plots;
mod report;

pub use load::LoadKind;
pub use measure::BlockSample;
pub use report::{BuildTime, Latency, Rss, RunReport, Target};

use crate::devnet::{self, DevnetConfig};
use alloy::sol_types::SolCall;
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use clap::{Args, builder::TypedValueParser};
use eyre::{Context, eyre};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use measure::BuildTimes;
use rollup_client::dev::dev_account;
use rollup_contracts::Bridge;
use serde_json::json;
use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    sync::{Arc, atomic::AtomicUsize},
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;

/// `rollup bench throughput`.
#[derive(Debug, Clone, Args)]
pub struct ThroughputArgs {
    /// Transactions of the load.
    #[arg(long, default_value_t = 40_000, value_parser = clap::value_parser!(u64).range(1..).map(|v| v as usize))]
    pub txs: usize,
    /// Sending accounts.
    #[arg(long, default_value_t = 800, value_parser = clap::value_parser!(u64).range(1..).map(|v| v as usize))]
    pub senders: usize,
    /// Workload: transfer (fresh recipients), transfer-zipf, erc20, swap or
    /// mixed.
    #[arg(long, default_value = "transfer")]
    pub workload: LoadKind,
    /// Open-loop rate over all connections, tx/s (default: as fast as the
    /// node accepts).
    #[arg(long)]
    pub rate: Option<f64>,
    /// `eth_sendRawTransaction` calls per JSON-RPC batch.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=10_000).map(|v| v as usize))]
    pub batch_size: usize,
    /// Concurrent HTTP connections.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=256).map(|v| v as usize))]
    pub connections: usize,
    /// Seed of the workload (the half-rate phase uses seed + 1).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// JSON-RPC endpoint to benchmark instead of an in-process devnet.
    #[arg(long, requires = "funder_key")]
    pub rpc: Option<String>,
    /// Private key (hex) of a funded account on `--rpc`.
    #[arg(long, env = "ROLLUP_BENCH_FUNDER_KEY", hide_env_values = true)]
    pub funder_key: Option<PrivateKeySigner>,
    /// Process id of the `--rpc` node, for its resident memory.
    #[arg(long, requires = "rpc")]
    pub pid: Option<u32>,
    /// A peer endpoint that runs the identical load in the same run.
    #[arg(long)]
    pub peer_rpc: Option<String>,
    /// Private key (hex) of a funded account on the peer (default: dev
    /// account 0 of the mnemonic `test test ... junk`, anvil's first).
    #[arg(long, env = "ROLLUP_BENCH_PEER_FUNDER_KEY", hide_env_values = true)]
    pub peer_funder_key: Option<PrivateKeySigner>,
    /// Process id of the peer, for its resident memory.
    #[arg(long, requires = "peer_rpc")]
    pub peer_pid: Option<u32>,
    /// L2 block time of the in-process devnet.
    #[arg(long, default_value_t = rollup_sequencer::DEFAULT_BLOCK_TIME.into())]
    pub l2_block_time: humantime::Duration,
    /// Block time of `--rpc` and `--peer-rpc` (the latency target is in
    /// block times).
    #[arg(long, default_value = "250ms")]
    pub block_time: humantime::Duration,
    /// Also run each target at half of its measured saturation, open loop,
    /// for the latency target.
    #[arg(long)]
    pub half_rate_check: bool,
    /// Fee cap of the load, gwei (default: 1000 x the latest base fee, at
    /// least 1 gwei).
    #[arg(long)]
    pub max_fee_gwei: Option<f64>,
    /// A refused transaction is given up this long after its first send.
    #[arg(long = "give-up", default_value = "120s")]
    pub give_up: humantime::Duration,
    /// Longest a phase may take from its first send.
    #[arg(long, default_value = "600s")]
    pub timeout: humantime::Duration,
    /// Also run the saturation phase on a second in-process devnet whose L2
    /// genesis holds this many more accounts (nonce 1, no balance), for the
    /// throughput of a large state against the fresh chain's.
    #[arg(long, default_value_t = 0, conflicts_with = "rpc")]
    pub prefill_accounts: u64,
    /// Directory of `report.json` and the plots.
    #[arg(long, default_value = "bench-out/throughput")]
    pub out: PathBuf,
}

/// `report.json`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ThroughputReport {
    /// The workload.
    pub workload: LoadKind,
    /// Transactions of the (first) phase.
    pub txs: usize,
    /// Sending accounts.
    pub senders: usize,
    /// Calls per JSON-RPC batch.
    pub batch_size: usize,
    /// HTTP connections.
    pub connections: usize,
    /// Open-loop rate of the first phase, tx/s (`None`: saturation).
    pub rate: Option<f64>,
    /// Seed.
    pub seed: u64,
    /// `in-process devnet` or the `--rpc` URL.
    pub target: String,
    /// The `--peer-rpc` URL.
    pub peer: Option<String>,
    /// Every phase on every target.
    pub runs: Vec<RunReport>,
    /// The targets.
    pub targets: Vec<Target>,
    /// The challenger's lag behind the batcher during the in-process
    /// devnet's runs (`None` against another endpoint).
    pub challenger_lag: Option<lag::ChallengerLag>,
    /// How to read the figures.
    pub notes: Vec<String>,
}

/// A node the load runs against.
struct Endpoint {
    label: String,
    url: String,
    funder: PrivateKeySigner,
    /// Whose RSS to sample: `Some(None)` this process, `Some(Some(pid))`.
    rss: Option<Option<u32>>,
    build: Option<BuildTimes>,
    block_time_ms: u64,
}

const ETHER: u128 = 1_000_000_000_000_000_000;
/// What the in-process devnet's funder gets on L2 by deposit, ETH.
const DEVNET_FUNDS_ETH: u128 = 5_000;
/// The name of the phase at half of saturation.
const HALF_RATE_PHASE: &str = "half-rate";
/// Seconds of load of the half-rate phase.
const HALF_RATE_SECS: f64 = 30.0;
/// A phase gives up waiting for inclusions after this long without one.
const STALL: Duration = Duration::from_secs(60);

/// Runs the benchmark.
pub async fn run_throughput(args: ThroughputArgs) -> eyre::Result<()> {
    if let Some(rate) = args.rate
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(eyre!("--rate must be a positive number of tx/s"));
    }
    std::fs::create_dir_all(&args.out)
        .wrap_err_with(|| format!("cannot create {}", args.out.display()))?;
    let senders = args.senders.min(args.txs);
    eprintln!(
        "load: {} x {} from {senders} senders (seed {}), batches of {} over {} connections, {}",
        args.txs,
        args.workload,
        args.seed,
        args.batch_size,
        args.connections,
        args.rate.map_or("as fast as accepted".to_string(), |r| format!("{r} tx/s open loop")),
    );
    let multi = MultiProgress::new();
    let mut runs = Vec::new();
    let mut challenger_lag = None;
    match &args.rpc {
        None => {
            let (result, lag) = on_devnet(&args, 0, "rollup", &multi).await?;
            runs.extend(result);
            challenger_lag = Some(lag);
        }
        Some(url) => {
            let funder =
                args.funder_key.clone().ok_or_else(|| eyre!("--rpc needs --funder-key"))?;
            let endpoint = Endpoint {
                label: client_label(url).await,
                url: url.clone(),
                funder,
                rss: args.pid.map(Some),
                build: None,
                block_time_ms: Duration::from(args.block_time).as_millis() as u64,
            };
            runs.extend(run_endpoint(&args, &endpoint, &multi).await?);
        }
    }
    let fresh = runs.first().cloned();
    let mut prefilled = None;
    if args.prefill_accounts > 0 {
        // The same load, saturation only, on a chain whose genesis already
        // holds the accounts.
        let label = format!("rollup +{} accounts", report::int(args.prefill_accounts));
        let once = ThroughputArgs { half_rate_check: false, ..args.clone() };
        let (result, _) = on_devnet(&once, args.prefill_accounts, &label, &multi).await?;
        prefilled = result.first().cloned();
        runs.extend(result);
    }
    let ours = runs.len();
    if let Some(url) = &args.peer_rpc {
        let mut label = client_label(url).await;
        if runs.iter().any(|r| r.label == label) {
            label.push_str(" (peer)");
        }
        let endpoint = Endpoint {
            label,
            url: url.clone(),
            funder: args.peer_funder_key.clone().unwrap_or_else(|| dev_account(0)),
            rss: args.peer_pid.map(Some),
            build: None,
            block_time_ms: Duration::from(args.block_time).as_millis() as u64,
        };
        runs.extend(run_endpoint(&args, &endpoint, &multi).await.wrap_err("peer run")?);
    }
    let (our_runs, peer_runs) = runs.split_at(ours);
    let mut targets = report::targets(
        our_runs.first(),
        peer_runs.first(),
        // Not the large-state run that may follow it.
        our_runs.iter().find(|r| r.phase == HALF_RATE_PHASE),
        args.workload.is_transfer(),
        args.rate.is_some(),
    );
    targets.push(report::Target {
        figure: "challenger lag behind the batcher during the run".into(),
        target: "<= 1 batch".into(),
        measured: match &challenger_lag {
            Some(l) => format!(
                "at most {} of {} batches behind; derived {:.1} s (p50) / {:.1} s (max) after posting",
                l.max_batches_behind, l.batches, l.derive_delay_p50_s, l.derive_delay_max_s
            ),
            None => "not measured (needs the in-process devnet)".into(),
        },
        met: challenger_lag.as_ref().map(|l| l.max_batches_behind <= 1),
    });
    if args.prefill_accounts > 0 {
        targets.push(report::large_state_target(
            args.prefill_accounts,
            fresh.as_ref(),
            prefilled.as_ref(),
            args.workload.is_transfer() && args.rate.is_none(),
        ));
    }
    let mut notes = vec![
        "latency: first send of a transaction to the first sighting of a block holding it (blocks polled every 20 ms)".to_string(),
        "included TPS: included load transactions / (last inclusion seen - first send)".to_string(),
    ];
    if args.rpc.is_none() {
        notes.push("rollup: the whole devnet (L1, sequencer, batcher, proposer, challenger, API) and the load generator share this process and its cores; RSS is this process's".into());
    }
    notes.push(
        "block build time: the in-process sequencer's rollup_block_build_duration_seconds; other nodes do not expose it (n/a)".into(),
    );
    let report = ThroughputReport {
        workload: args.workload,
        txs: args.txs,
        senders,
        batch_size: args.batch_size,
        connections: args.connections,
        rate: args.rate,
        seed: args.seed,
        target: args.rpc.clone().unwrap_or_else(|| "in-process devnet".into()),
        peer: args.peer_rpc.clone(),
        runs,
        targets,
        challenger_lag,
        notes,
    };
    println!("\nrollup bench throughput: {} x {}, {senders} senders", args.txs, args.workload);
    print!("{}", report::table(&report.runs));
    if let Some(r) = report.runs.iter().find(|r| !r.rejections.is_empty()) {
        println!("refusals ({}): {:?}", r.label, r.rejections);
    }
    println!();
    print!("{}", report::targets_table(&report.targets));
    let path = args.out.join("report.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&report)?)?;
    plots::tps(&args.out.join("tps.svg"), &report.runs)?;
    plots::latency_cdf(&args.out.join("latency_cdf.svg"), &report.runs)?;
    plots::block_txs(&args.out.join("block_txs.svg"), &report.runs)?;
    plots::build_time(&args.out.join("build_time.svg"), &report.runs)?;
    println!("\nwrote {} and plots to {}", path.display(), args.out.display());
    Ok(())
}

/// Runs the load against a fresh in-process devnet whose L2 genesis holds
/// `prefill` benchmark accounts, sampling the challenger's lag meanwhile.
async fn on_devnet(
    args: &ThroughputArgs,
    prefill: u64,
    label: &str,
    multi: &MultiProgress,
) -> eyre::Result<(Vec<RunReport>, lag::ChallengerLag)> {
    let dir = tempfile::tempdir()?;
    let mut config = DevnetConfig::for_tests(dir.path().to_path_buf());
    config.l1_block_time = rollup_l1_sim::DEFAULT_BLOCK_TIME;
    config.l2_block_time = args.l2_block_time.into();
    config.output_interval = rollup_batcher::DEFAULT_OUTPUT_INTERVAL;
    config.batch_interval = rollup_batcher::DEFAULT_BATCH_INTERVAL;
    config.challenge_window = crate::deploy::DEFAULT_CHALLENGE_WINDOW;
    config.game_clock = crate::deploy::DEFAULT_GAME_CLOCK;
    config.l1_fee = Some(crate::deploy::l1_fee_for(config.da));
    config.genesis_prefill = prefill;
    let build = BuildTimes::install()?;
    if prefill > 0 {
        eprintln!("devnet: building an L2 genesis with {prefill} more accounts");
    }
    let net = devnet::spawn(config).await.wrap_err("starting the devnet")?;
    eprintln!("devnet: L2 JSON-RPC {}", net.sequencer.rpc_url());
    let result = async {
        let funder = dev_account(0);
        deposit(&net, funder.address(), U256::from(DEVNET_FUNDS_ETH * ETHER)).await?;
        let endpoint = Endpoint {
            label: label.into(),
            url: net.sequencer.rpc_url(),
            funder,
            rss: Some(None),
            build: Some(build),
            block_time_ms: Duration::from(args.l2_block_time).as_millis() as u64,
        };
        let stop = tokio_util::sync::CancellationToken::new();
        let (runs, lag) = tokio::join!(
            async {
                let runs = run_endpoint(args, &endpoint, multi).await;
                stop.cancel();
                runs
            },
            lag::sample(&net, stop.clone()),
        );
        runs.map(|r| (r, lag))
    }
    .await;
    net.shutdown().await;
    result
}

/// The client's name from `web3_clientVersion` (up to its first `/`).
async fn client_label(url: &str) -> String {
    let client = reqwest::Client::new();
    match load::call(&client, url, "web3_clientVersion", json!([])).await {
        Ok(v) => v.as_str().and_then(|s| s.split('/').next()).unwrap_or("peer").to_lowercase(),
        Err(_) => "peer".into(),
    }
}

/// Deposits `value` from L1 dev account 0 to `to` on the devnet's L2 and
/// waits (at most 120 s) until it is credited.
async fn deposit(net: &devnet::Devnet, to: Address, value: U256) -> eyre::Result<()> {
    let client = reqwest::Client::new();
    let l1 = net.l1.rpc_url();
    let from = dev_account(0);
    let nonce = load::nonces(&client, &l1, &[from.address()]).await?[0];
    let tx = TxEip1559 {
        chain_id: net.rollup.rollup.l1_chain_id,
        nonce,
        gas_limit: 150_000,
        max_fee_per_gas: 200_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(net.rollup.contracts.bridge),
        value,
        access_list: Default::default(),
        input: Bridge::depositETHCall { to }.abi_encode().into(),
    };
    let signature = from.sign_hash_sync(&tx.signature_hash())?;
    let raw = TxEnvelope::from(tx.into_signed(signature)).encoded_2718();
    load::call(&client, &l1, "eth_sendRawTransaction", json!([alloy_primitives::Bytes::from(raw)]))
        .await?;
    let l2 = net.sequencer.rpc_url();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let balance = load::call(&client, &l2, "eth_getBalance", json!([to, "latest"])).await?;
        let balance: U256 = serde_json::from_value(balance)?;
        if balance >= value {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(eyre!("the funder's deposit was not credited on L2 within 120 s"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The phases on one endpoint: as configured, then (`--half-rate-check`)
/// at half of its included TPS.
async fn run_endpoint(
    args: &ThroughputArgs,
    endpoint: &Endpoint,
    multi: &MultiProgress,
) -> eyre::Result<Vec<RunReport>> {
    let client = reqwest::Client::new();
    let chain_id = load::call(&client, &endpoint.url, "eth_chainId", json!([]))
        .await
        .ok()
        .and_then(|v| load::hex_u128(&v))
        .ok_or_else(|| eyre!("eth_chainId at {} did not answer", endpoint.url))?
        as u64;
    let version = load::call(&client, &endpoint.url, "web3_clientVersion", json!([]))
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    eprintln!("{}: {} (chain id {chain_id}, {version})", endpoint.label, endpoint.url);
    let phase = if args.rate.is_some() { "open-loop" } else { "saturation" };
    let first = run_phase(
        args,
        endpoint,
        multi,
        Phase {
            chain_id,
            version: &version,
            seed: args.seed,
            txs: args.txs,
            rate: args.rate,
            name: phase,
        },
    )
    .await
    .wrap_err_with(|| format!("{} {phase} phase", endpoint.label))?;
    let mut out = vec![first];
    if args.half_rate_check {
        let rate = out[0].included_tps / 2.0;
        if rate > 0.0 {
            let txs = ((rate * HALF_RATE_SECS).ceil() as usize).clamp(1, args.txs);
            let half = run_phase(
                args,
                endpoint,
                multi,
                Phase {
                    chain_id,
                    version: &version,
                    seed: args.seed.wrapping_add(1),
                    txs,
                    rate: Some(rate),
                    name: HALF_RATE_PHASE,
                },
            )
            .await
            .wrap_err_with(|| format!("{} half-rate phase", endpoint.label))?;
            out.push(half);
        }
    }
    Ok(out)
}

/// One phase's parameters.
struct Phase<'a> {
    chain_id: u64,
    version: &'a str,
    seed: u64,
    txs: usize,
    rate: Option<f64>,
    name: &'static str,
}

fn bar(multi: &MultiProgress, len: u64, message: String) -> ProgressBar {
    let bar = multi.add(ProgressBar::new(len));
    bar.set_style(
        ProgressStyle::with_template("{msg:>34} [{bar:40}] {pos}/{len} {elapsed} {per_sec}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// Funds, signs, sends and watches one phase.
async fn run_phase(
    args: &ThroughputArgs,
    endpoint: &Endpoint,
    multi: &MultiProgress,
    phase: Phase<'_>,
) -> eyre::Result<RunReport> {
    let url = endpoint.url.as_str();
    let client = reqwest::Client::new();
    let label = format!("{} {}", endpoint.label, phase.name);
    let senders = args.senders.min(phase.txs);
    let workload = load::plan(args.workload, phase.txs, senders, phase.seed);
    let latest = load::call(&client, url, "eth_getBlockByNumber", json!(["latest", false])).await?;
    let base_fee = match load::hex_u128(&latest["baseFeePerGas"]) {
        Some(fee) => fee,
        None => load::hex_u128(&load::call(&client, url, "eth_gasPrice", json!([])).await?)
            .unwrap_or(1_000_000_000),
    };
    let fees = load::fees(base_fee, args.max_fee_gwei);
    let needs = load::needs(&workload, fees);
    let addresses: Vec<Address> = workload.keys.iter().map(|k| k.address()).collect();
    let mut nonces = load::nonces(&client, url, &addresses).await?;
    if !workload.setup.is_empty() && nonces[0] != 0 {
        return Err(eyre!(
            "the workload's deployer {} has sent transactions on this chain already (its contracts' addresses would differ): use another --seed",
            addresses[0]
        ));
    }
    let funding = bar(
        multi,
        needs.iter().filter(|n| !n.is_zero()).count() as u64,
        format!("{label}: funding"),
    );
    load::fund(
        &client,
        url,
        phase.chain_id,
        &endpoint.funder,
        &workload.keys,
        &needs,
        phase.seed,
        fees,
        &funding,
    )
    .await?;
    funding.finish();
    if !workload.setup.is_empty() {
        let setup = load::sign(&workload.keys, &workload.setup, phase.chain_id, fees, &mut nonces);
        let deployer = setup.iter().take_while(|t| t.key == 0).count();
        let progress = bar(multi, setup.len() as u64, format!("{label}: setup"));
        load::send_rounds(&client, url, &setup[..deployer], "setup (contracts, tokens)", &progress)
            .await?;
        load::send_rounds(&client, url, &setup[deployer..], "setup (approvals)", &progress).await?;
        progress.finish();
    }
    let started = Instant::now();
    let (keys, specs, chain_id) = (workload.keys.clone(), workload.txs.clone(), phase.chain_id);
    let txs =
        tokio::task::spawn_blocking(move || load::sign(&keys, &specs, chain_id, fees, &mut nonces))
            .await?;
    eprintln!(
        "{label}: signed {} transactions in {:.1} s",
        txs.len(),
        started.elapsed().as_secs_f64()
    );
    // Which transactions create their recipient's account (the first ETH
    // transfer of the load to it).
    let mut recipients = HashSet::new();
    let creates: Vec<bool> = workload
        .txs
        .iter()
        .map(|s| match s.to {
            TxKind::Call(to) if s.input.is_empty() && !s.value.is_zero() => recipients.insert(to),
            _ => false,
        })
        .collect();
    let index: HashMap<B256, usize> = txs.iter().enumerate().map(|(i, t)| (t.hash, i)).collect();
    let base_accounts = needs.iter().filter(|n| !n.is_zero()).count() as u64;
    let after = load::hex_u128(&load::call(&client, url, "eth_blockNumber", json!([])).await?)
        .unwrap_or_default() as u64;

    let accepted_bar = bar(multi, txs.len() as u64, format!("{label}: accepted"));
    let included_bar = bar(multi, txs.len() as u64, format!("{label}: included"));
    let t0 = Instant::now();
    let stop = CancellationToken::new();
    let included_count = Arc::new(AtomicUsize::new(0));
    let watcher = tokio::spawn(measure::watch(
        measure::Watch {
            url: url.to_string(),
            after,
            index: Arc::new(index),
            creates: Arc::new(creates),
            base_accounts,
            build: endpoint.build.clone(),
            t0,
        },
        stop.clone(),
        included_count.clone(),
        included_bar.clone(),
    ));
    let rss = endpoint.rss.map(|pid| tokio::spawn(measure::sample_rss(pid, t0, stop.clone())));
    let accepted_count = Arc::new(AtomicUsize::new(0));
    let config = load::SendConfig {
        batch_size: args.batch_size,
        connections: args.connections,
        rate: phase.rate,
        give_up_after: args.give_up.into(),
    };
    let deadline = t0 + Duration::from(args.timeout);
    let sent = tokio::select! {
        sent = load::send(url, Arc::new(txs), config, t0, accepted_count.clone(), accepted_bar.clone()) => sent?,
        () = tokio::time::sleep_until(deadline.into()) => {
            stop.cancel();
            return Err(eyre!("sending did not finish within --timeout {}", args.timeout));
        }
    };
    accepted_bar.finish();
    let accepted = sent.accepted.iter().flatten().count();
    let mut last = (0, Instant::now());
    loop {
        let included = included_count.load(std::sync::atomic::Ordering::Relaxed);
        if included >= accepted {
            break;
        }
        if included > last.0 {
            last = (included, Instant::now());
        }
        if measure::check_wait(Instant::now(), deadline, last.1, STALL).is_err() {
            eprintln!(
                "{label}: {} accepted transactions not seen in a block (gave up waiting)",
                accepted - included
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.cancel();
    included_bar.finish();
    let watched = watcher.await.wrap_err("block watcher")??;
    let rss = match rss {
        Some(task) => task.await.wrap_err("RSS sampler")?,
        None => Vec::new(),
    };
    let rss_source = endpoint.rss.map(|pid| match pid {
        None => "this process (devnet + load generator)".to_string(),
        Some(pid) => format!("pid {pid}"),
    });
    Ok(report::figures(report::PhaseData {
        label: endpoint.label.clone(),
        phase: phase.name.to_string(),
        client_version: phase.version.to_string(),
        chain_id: phase.chain_id,
        rate: phase.rate,
        seed: phase.seed,
        fees,
        block_time_ms: endpoint.block_time_ms,
        sent,
        included: watched.included,
        blocks: watched.blocks,
        base_accounts,
        rss_source,
        rss,
    }))
}
