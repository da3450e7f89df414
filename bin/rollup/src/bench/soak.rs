//! `rollup bench soak`: the devnet run for a compressed "week" under steady
//! load, sampled over time.
//!
//! An in-process devnet (fresh, temporary data directory) runs with short
//! intervals (by default a 250 ms L2 block, a 1 s L1 block, an output every
//! 20 L2 blocks, a 30 s challenge window): a week of OP mainnet's outputs
//! (one an hour) passes in 168 outputs, under an hour here. Meanwhile a
//! client sends `--rate` ETH transfers a second from eight senders, and a
//! withdrawal every `--withdrawal-every`, which it finalizes once final.
//! Every `--sample` it records the L2 head, the safe head, the outputs on L1
//! and the newest one's L2 block, the proposer's L1 balance, the batches
//! posted, the transfers included and this process's resident memory (the
//! whole devnet and the client).
//!
//! What it reports (table, `report.json`, SVG plots in `--out`): outputs
//! proposed against the L2 blocks (the proposer keeps up when the output
//! lag stays under a few intervals), the proposer's balance over time (flat
//! once bonds are reclaimed: each output's bond comes back when it is
//! final), batch cadence, resident memory over time, withdrawals finalized.

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::{BlockNumberOrTag, Encodable2718},
    network::TxSignerSync,
    providers::{Provider, ProviderBuilder, RootProvider},
    rpc::types::TransactionRequest,
    sol_types::SolCall,
};
use alloy_primitives::{Address, TxKind, U256, utils::parse_ether};
use clap::Args;
use eyre::{Context, eyre};
use plotters::prelude::*;
use rollup_client::dev::dev_account;
use rollup_contracts::OutputOracle;
use serde::Serialize;
use serde_json::{Value, json};
use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// `rollup bench soak`.
#[derive(Debug, Clone, Args)]
pub struct SoakArgs {
    /// How long to run.
    #[arg(long, default_value = "10m")]
    pub duration: humantime::Duration,
    /// How often to sample.
    #[arg(long, default_value = "10s")]
    pub sample: humantime::Duration,
    /// Steady load: L2 ETH transfers per second.
    #[arg(long, default_value_t = 20)]
    pub rate: u64,
    /// A withdrawal (initiated through the REST API, finalized once final)
    /// this often.
    #[arg(long, default_value = "20s")]
    pub withdrawal_every: humantime::Duration,
    /// L2 block time.
    #[arg(long, default_value = "250ms")]
    pub l2_block_time: humantime::Duration,
    /// L1 block time.
    #[arg(long, default_value = "1s")]
    pub l1_block_time: humantime::Duration,
    /// Output proposal interval, L2 blocks.
    #[arg(long, default_value_t = 20)]
    pub output_interval: u64,
    /// Challenge window.
    #[arg(long, default_value = "30s")]
    pub challenge_window: humantime::Duration,
    /// Directory of `report.json` and the plots.
    #[arg(long, default_value = "bench-out/soak")]
    pub out: PathBuf,
}

/// One sample.
#[derive(Clone, Debug, Serialize)]
pub struct Sample {
    /// Seconds since the load started.
    pub t_secs: f64,
    /// L2 head.
    pub l2_head: u64,
    /// L2 safe head (derived from batches on L1).
    pub l2_safe: u64,
    /// Outputs on L1 (`OutputOracle.outputCount`).
    pub outputs: u64,
    /// L2 block of the newest output.
    pub latest_output_block: u64,
    /// L2 head minus the newest output's block, in L2 blocks.
    pub output_lag_blocks: u64,
    /// The proposer's L1 balance, ETH.
    pub proposer_balance_eth: f64,
    /// Batches posted so far.
    pub batches: u64,
    /// The senders' L2 nonces (transfers included, and the funding
    /// deposits, which move a sender's nonce as in the OP Stack).
    pub transfers_included: u64,
    /// Withdrawals finalized so far.
    pub withdrawals_finalized: u64,
    /// Resident memory of this process (devnet and client), MiB.
    pub rss_mib: f64,
}

/// The run's summary.
#[derive(Clone, Debug, Serialize)]
pub struct SoakReport {
    /// Seconds of load.
    pub duration_secs: f64,
    /// L2 blocks produced.
    pub l2_blocks: u64,
    /// Output interval, L2 blocks.
    pub output_interval: u64,
    /// Outputs proposed during the run.
    pub outputs_proposed: u64,
    /// Outputs the safe head allowed (safe head / interval).
    pub outputs_possible: u64,
    /// Largest output lag seen, L2 blocks.
    pub max_output_lag_blocks: u64,
    /// Proposer balance at the start, lowest, at the end, ETH.
    pub proposer_balance_eth: [f64; 3],
    /// Batches posted during the run.
    pub batches: u64,
    /// Mean seconds between batches.
    pub batch_interval_secs: f64,
    /// Transfers sent, included, refused.
    pub transfers: [u64; 3],
    /// Withdrawals initiated and finalized.
    pub withdrawals: [u64; 2],
    /// Resident memory at the first sample, the highest, the last, MiB.
    pub rss_mib: [f64; 3],
    /// Every sample.
    pub samples: Vec<Sample>,
}

/// Dev accounts sending the transfers.
const SENDERS: u32 = 8;
/// Dev account making the withdrawals.
const WITHDRAWER: u32 = 9;

/// This process's resident memory, MiB (0 where `/proc` cannot be read).
fn rss_mib() -> f64 {
    super::throughput::rss_mib(None).unwrap_or_default()
}

fn eth(wei: U256) -> f64 {
    f64::from(wei) / 1e18
}

/// Runs the soak benchmark.
pub async fn run_soak(args: SoakArgs) -> eyre::Result<()> {
    if args.rate == 0 || args.output_interval == 0 {
        return Err(eyre!("--rate and --output-interval must be at least 1"));
    }
    std::fs::create_dir_all(&args.out)
        .wrap_err_with(|| format!("cannot create {}", args.out.display()))?;
    let dir = tempfile::tempdir()?;
    let mut config = crate::devnet::DevnetConfig::for_tests(dir.path().to_path_buf());
    config.l2_block_time = args.l2_block_time.into();
    config.l1_block_time = args.l1_block_time.into();
    config.output_interval = args.output_interval;
    config.challenge_window = args.challenge_window.into();
    config.batch_interval = Duration::from_secs(2);
    let net = crate::devnet::spawn(config).await.wrap_err("devnet")?;
    let l1 = ProviderBuilder::new()
        .disable_recommended_fillers()
        .connect_http(net.l1.rpc_url().parse()?);
    let l2 = ProviderBuilder::new()
        .disable_recommended_fillers()
        .connect_http(net.sequencer.rpc_url().parse()?);
    let api = net.bridge.url();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
    let oracle = net.rollup.contracts.output_oracle;
    let proposer = net.rollup.proposer;

    // Fund the senders and the withdrawer on the L2.
    for account in (0..SENDERS).chain([WITHDRAWER]) {
        let to = dev_account(account).address();
        let body = json!({ "from": to, "to": to, "amount": parse_ether("100")?.to_string() });
        let r = http.post(format!("{api}/v1/deposits")).json(&body).send().await?;
        if r.status() != 201 {
            return Err(eyre!("funding deposit refused: {}", r.text().await?));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    for account in (0..SENDERS).chain([WITHDRAWER]) {
        while l2.get_balance(dev_account(account).address()).await?.is_zero() {
            if Instant::now() > deadline {
                return Err(eyre!("the funding deposits were not credited in 120 s"));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    eprintln!(
        "soak: {} of {} transfers/s and a withdrawal every {}, sampled every {}",
        args.duration, args.rate, args.withdrawal_every, args.sample
    );

    let counters = Arc::new(Counters::default());
    // The funding deposits moved the senders' L2 nonces: count from here.
    let mut included_before = 0;
    for k in 0..SENDERS {
        included_before += l2.get_transaction_count(dev_account(k).address()).await?;
    }
    let load = tokio::spawn(transfers(l2.clone(), args.rate, counters.clone()));
    let withdrawals = tokio::spawn(withdrawals(
        http.clone(),
        api.clone(),
        args.withdrawal_every.into(),
        counters.clone(),
    ));
    let start = Instant::now();
    let first_batches = batches(&http, &api).await;
    let first_head = l2.get_block_number().await?;
    let first_outputs = outputs(&l1, oracle).await?.0;
    let mut samples = Vec::new();
    let bar = indicatif::ProgressBar::new(Duration::from(args.duration).as_secs());
    while start.elapsed() < args.duration.into() {
        let sample =
            sample(&l1, &l2, &http, &api, oracle, proposer, &counters, start.elapsed()).await?;
        bar.set_position(start.elapsed().as_secs());
        bar.set_message(format!(
            "L2 {} safe {} outputs {} lag {}",
            sample.l2_head, sample.l2_safe, sample.outputs, sample.output_lag_blocks
        ));
        samples.push(sample);
        tokio::time::sleep(args.sample.into()).await;
    }
    samples
        .push(sample(&l1, &l2, &http, &api, oracle, proposer, &counters, start.elapsed()).await?);
    bar.finish_and_clear();
    load.abort();
    withdrawals.abort();
    let elapsed = start.elapsed().as_secs_f64();
    net.shutdown().await;

    let last = samples.last().cloned().ok_or_else(|| eyre!("no sample"))?;
    let batches_posted = last.batches.saturating_sub(first_batches);
    let balances: Vec<f64> = samples.iter().map(|s| s.proposer_balance_eth).collect();
    let rss: Vec<f64> = samples.iter().map(|s| s.rss_mib).collect();
    let report = SoakReport {
        duration_secs: elapsed,
        l2_blocks: last.l2_head.saturating_sub(first_head),
        output_interval: args.output_interval,
        outputs_proposed: last.outputs.saturating_sub(first_outputs),
        outputs_possible: (last.l2_safe / args.output_interval)
            .saturating_sub(first_head / args.output_interval),
        max_output_lag_blocks: samples.iter().map(|s| s.output_lag_blocks).max().unwrap_or(0),
        proposer_balance_eth: [
            balances[0],
            balances.iter().copied().fold(f64::INFINITY, f64::min),
            last.proposer_balance_eth,
        ],
        batches: batches_posted,
        batch_interval_secs: elapsed / batches_posted.max(1) as f64,
        transfers: [
            counters.sent.load(Ordering::Relaxed),
            last.transfers_included.saturating_sub(included_before),
            counters.refused.load(Ordering::Relaxed),
        ],
        withdrawals: [counters.withdrawals.load(Ordering::Relaxed), last.withdrawals_finalized],
        rss_mib: [rss[0], rss.iter().copied().fold(0.0, f64::max), last.rss_mib],
        samples,
    };
    print_report(&report);
    let path = args.out.join("report.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&report)?)?;
    let series = |f: fn(&Sample) -> f64| -> Vec<(f64, f64)> {
        report.samples.iter().map(|s| (s.t_secs, f(s))).collect()
    };
    line_plot(
        &args.out.join("proposer_balance.svg"),
        "Proposer L1 balance",
        "ETH",
        &series(|s| s.proposer_balance_eth),
    )?;
    line_plot(&args.out.join("rss.svg"), "Resident memory", "MiB", &series(|s| s.rss_mib))?;
    line_plot(
        &args.out.join("output_lag.svg"),
        "Output lag behind the L2 head",
        "L2 blocks",
        &series(|s| s.output_lag_blocks as f64),
    )?;
    println!("\nwrote {} and plots to {}", path.display(), args.out.display());
    Ok(())
}

#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    refused: AtomicU64,
    withdrawals: AtomicU64,
    finalized: AtomicU64,
}

/// Sends `rate` transfers a second, round-robin over the senders, with
/// nonces tracked here (re-read after a refusal).
async fn transfers(l2: RootProvider, rate: u64, counters: Arc<Counters>) {
    let senders: Vec<_> = (0..SENDERS).map(dev_account).collect();
    let mut nonces = Vec::new();
    for s in &senders {
        nonces.push(l2.get_transaction_count(s.address()).pending().await.unwrap_or(0));
    }
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    for i in 0u64.. {
        tick.tick().await;
        let k = (i % u64::from(SENDERS)) as usize;
        let mut tx = TxEip1559 {
            chain_id: rollup_protocol::L2_CHAIN_ID,
            nonce: nonces[k],
            gas_limit: 21_000,
            max_fee_per_gas: 100_000_000_000,
            max_priority_fee_per_gas: 1_000_000,
            to: TxKind::Call(Address::with_last_byte(0xee)),
            value: U256::from(1),
            ..Default::default()
        };
        let Ok(signature) = senders[k].sign_transaction_sync(&mut tx) else { continue };
        let raw = TxEnvelope::from(tx.into_signed(signature)).encoded_2718();
        counters.sent.fetch_add(1, Ordering::Relaxed);
        if l2.send_raw_transaction(&raw).await.is_ok() {
            nonces[k] += 1;
        } else {
            counters.refused.fetch_add(1, Ordering::Relaxed);
            if let Ok(n) = l2.get_transaction_count(senders[k].address()).pending().await {
                nonces[k] = n;
            }
        }
    }
}

/// Initiates a withdrawal every `every` and finalizes those that are final.
async fn withdrawals(http: reqwest::Client, api: String, every: Duration, counters: Arc<Counters>) {
    let who = dev_account(WITHDRAWER).address();
    let mut pending: Vec<String> = Vec::new();
    let mut last = Instant::now() - every;
    loop {
        if last.elapsed() >= every {
            last = Instant::now();
            let body = json!({ "from": who, "to": who, "amount": "1000000000000000" });
            if let Ok(r) = http.post(format!("{api}/v1/withdrawals")).json(&body).send().await
                && r.status() == 201
                && let Ok(v) = r.json::<Value>().await
                && let Some(hash) = v["withdrawal_hash"].as_str()
            {
                pending.push(hash.to_string());
                counters.withdrawals.fetch_add(1, Ordering::Relaxed);
            }
        }
        let mut still = Vec::new();
        for hash in pending.drain(..) {
            let url = format!("{api}/v1/withdrawals/{hash}");
            let status = match http.get(&url).send().await {
                Ok(r) => r.json::<Value>().await.ok(),
                Err(_) => None,
            };
            let status = status.as_ref().and_then(|v| v["status"].as_str()).unwrap_or("");
            if status == "ready-to-finalize"
                && http
                    .post(format!("{url}/finalize"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            {
                counters.finalized.fetch_add(1, Ordering::Relaxed);
            } else if status != "finalized" {
                still.push(hash);
            }
        }
        pending = still;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The number of batches posted (the newest batch's index plus one).
async fn batches(http: &reqwest::Client, api: &str) -> u64 {
    let page = match http.get(format!("{api}/v1/batches?limit=1")).send().await {
        Ok(r) => r.json::<Value>().await.ok(),
        Err(_) => None,
    };
    page.and_then(|p| p["items"][0]["index"].as_u64()).map_or(0, |i| i + 1)
}

async fn call<C: SolCall>(l1: &RootProvider, to: Address, call: C) -> eyre::Result<C::Return> {
    let request = TransactionRequest::default().to(to).input(call.abi_encode().into());
    Ok(C::abi_decode_returns(&l1.call(request).await?)?)
}

/// `(outputCount, latestBlockNumber)` of the oracle.
async fn outputs(l1: &RootProvider, oracle: Address) -> eyre::Result<(u64, u64)> {
    let count = call(l1, oracle, OutputOracle::outputCountCall {}).await?;
    let latest = call(l1, oracle, OutputOracle::latestBlockNumberCall {}).await?;
    Ok((count.to::<u64>(), latest.to::<u64>()))
}

#[allow(clippy::too_many_arguments)]
async fn sample(
    l1: &RootProvider,
    l2: &RootProvider,
    http: &reqwest::Client,
    api: &str,
    oracle: Address,
    proposer: Address,
    counters: &Counters,
    elapsed: Duration,
) -> eyre::Result<Sample> {
    let l2_head = l2.get_block_number().await?;
    let l2_safe =
        l2.get_block_by_number(BlockNumberOrTag::Safe).await?.map_or(0, |b| b.header.number);
    let (outputs, latest_output_block) = outputs(l1, oracle).await?;
    let mut transfers_included = 0;
    for k in 0..SENDERS {
        transfers_included += l2.get_transaction_count(dev_account(k).address()).await?;
    }
    Ok(Sample {
        t_secs: elapsed.as_secs_f64(),
        l2_head,
        l2_safe,
        outputs,
        latest_output_block,
        output_lag_blocks: l2_head.saturating_sub(latest_output_block),
        proposer_balance_eth: eth(l1.get_balance(proposer).await?),
        batches: batches(http, api).await,
        transfers_included,
        withdrawals_finalized: counters.finalized.load(Ordering::Relaxed),
        rss_mib: rss_mib(),
    })
}

fn print_report(r: &SoakReport) {
    let [b0, bmin, b1] = r.proposer_balance_eth;
    let [m0, mmax, m1] = r.rss_mib;
    println!("\nsoak: {:.0} s", r.duration_secs);
    println!("| figure | value |\n|---|---|");
    println!("| L2 blocks produced | {} |", r.l2_blocks);
    println!(
        "| outputs proposed / allowed by the safe head (every {} blocks) | {} / {} |",
        r.output_interval, r.outputs_proposed, r.outputs_possible
    );
    println!("| largest output lag | {} L2 blocks |", r.max_output_lag_blocks);
    println!("| proposer balance: start, lowest, end | {b0:.4} / {bmin:.4} / {b1:.4} ETH |");
    println!(
        "| batches posted, mean interval | {} every {:.1} s |",
        r.batches, r.batch_interval_secs
    );
    println!(
        "| transfers sent / included / refused | {} / {} / {} |",
        r.transfers[0], r.transfers[1], r.transfers[2]
    );
    println!("| withdrawals initiated / finalized | {} / {} |", r.withdrawals[0], r.withdrawals[1]);
    println!(
        "| resident memory: first, highest, last sample | {m0:.0} / {mmax:.0} / {m1:.0} MiB |"
    );
}

fn line_plot(path: &Path, title: &str, unit: &str, points: &[(f64, f64)]) -> eyre::Result<()> {
    super::plots::register_font();
    let err = super::plots::err;
    let root = SVGBackend::new(path, (900, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let max_t = points.iter().map(|p| p.0).fold(1.0, f64::max);
    let (lo, hi) = points
        .iter()
        .map(|p| p.1)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = if hi > lo { (hi - lo) * 0.1 } else { hi.abs() * 1e-3 + 1e-3 };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (super::plots::FONT, 22))
        .margin(20)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..max_t, (lo - pad)..(hi + pad))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("seconds")
        .y_desc(unit)
        .label_style((super::plots::FONT, 14))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(points.iter().copied(), BLUE.stroke_width(2)))
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}
