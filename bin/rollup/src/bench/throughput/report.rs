//! The figures of a phase, the targets, and the printed table.

use super::{
    load::{Fees, SendOutcome},
    measure::{BlockSample, Inclusion, per_second, percentile, rate},
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Latency figures, milliseconds (send of the first attempt -> first seen
/// in a block by the watcher).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
    /// Percentiles 0, 1, ..., 100 (the CDF), milliseconds.
    pub cdf_ms: Vec<f64>,
}

/// Resident memory of the node, MiB.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Rss {
    /// What was measured (`this process (devnet + load generator)` or a pid).
    pub source: String,
    /// At the phase's start.
    pub start_mib: f64,
    /// Largest during the phase.
    pub max_mib: f64,
    /// At its end.
    pub end_mib: f64,
}

/// Block build time of the in-process sequencer, milliseconds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BuildTime {
    /// Blocks with a sample.
    pub blocks: usize,
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

/// The figures of one phase on one target.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunReport {
    /// Column name: `rollup` (the in-process devnet's L2) or the node's
    /// client name (`web3_clientVersion` up to its `/`).
    pub label: String,
    /// `saturation` (as fast as the node accepts) or `half-rate` (open loop
    /// at half of the saturation's included TPS).
    pub phase: String,
    /// `web3_clientVersion`.
    pub client_version: String,
    /// Chain id.
    pub chain_id: u64,
    /// Open-loop rate, tx/s (`None`: as fast as the node accepts).
    pub rate_tx_s: Option<f64>,
    /// Workload seed.
    pub seed: u64,
    /// Fee caps of the load, wei.
    pub max_fee_per_gas: u128,
    /// Priority fee of the load, wei.
    pub max_priority_fee_per_gas: u128,
    /// Nominal block time of the target, milliseconds.
    pub block_time_ms: u64,
    /// Transactions of the load.
    pub txs: usize,
    /// Accepted by the node (`eth_sendRawTransaction` answered a hash).
    pub accepted: usize,
    /// Refused attempts, by reason (each was retried with backoff unless it
    /// is in `failed`).
    pub rejections: BTreeMap<String, u64>,
    /// Given up (refused until the give-up time, or refused for good).
    pub failed: usize,
    /// Batches that failed as a whole (transport) and were sent again.
    pub transport_errors: u64,
    /// Accepted and seen in a block.
    pub included: usize,
    /// Accepted but not seen in a block by the end of the phase.
    pub not_included: usize,
    /// First send to last acceptance, seconds.
    pub send_s: f64,
    /// Accepted transactions per second over `send_s`.
    pub accepted_per_s: f64,
    /// First send to the last inclusion seen, seconds (the measured window).
    pub window_s: f64,
    /// Included transactions per second over the window.
    pub included_tps: f64,
    /// Most load transactions included within one second of the window.
    pub peak_tps_1s: u64,
    /// Gas of the blocks holding the load, per second of the window, Mgas/s.
    pub mgas_per_s: f64,
    /// Inclusion latency.
    pub latency: Latency,
    /// Blocks holding at least one transaction of the load.
    pub blocks_with_load: usize,
    /// Mean transactions per such block.
    pub txs_per_block_mean: f64,
    /// Most transactions in one block.
    pub txs_per_block_max: usize,
    /// Median time between consecutive blocks seen during the window, ms.
    pub block_interval_p50_ms: f64,
    /// Largest such time, ms.
    pub block_interval_max_ms: f64,
    /// Accounts the load touched at the end (funded senders + distinct
    /// recipients of included transfers).
    pub accounts_touched: u64,
    /// Block build time (in-process devnet only).
    pub block_build: Option<BuildTime>,
    /// Resident memory of the node, when measurable.
    pub rss: Option<Rss>,
    /// Every block seen during the phase.
    pub blocks: Vec<BlockSample>,
    /// Load transactions included per second of the phase.
    pub included_per_s: Vec<u64>,
    /// Load transactions accepted per second of the phase.
    pub accepted_per_s_series: Vec<u64>,
    /// The node's RSS over the phase: (seconds, MiB).
    pub rss_series: Vec<(f64, f64)>,
}

/// What a phase produced, raw.
pub(crate) struct PhaseData {
    pub(crate) label: String,
    pub(crate) phase: String,
    pub(crate) client_version: String,
    pub(crate) chain_id: u64,
    pub(crate) rate: Option<f64>,
    pub(crate) seed: u64,
    pub(crate) fees: Fees,
    pub(crate) block_time_ms: u64,
    pub(crate) sent: SendOutcome,
    pub(crate) included: Vec<Option<Inclusion>>,
    pub(crate) blocks: Vec<BlockSample>,
    pub(crate) base_accounts: u64,
    pub(crate) rss_source: Option<String>,
    pub(crate) rss: Vec<(f64, f64)>,
}

/// The figures of a phase.
pub(crate) fn figures(d: PhaseData) -> RunReport {
    let n = d.sent.accepted.len();
    let accepted = d.sent.accepted.iter().flatten().count();
    let included = d.included.iter().flatten().count();
    let not_included =
        d.sent.accepted.iter().zip(&d.included).filter(|(a, i)| a.is_some() && i.is_none()).count();
    let start = d.sent.first_sent.iter().flatten().copied().fold(f64::INFINITY, f64::min);
    let start = if start.is_finite() { start } else { 0.0 };
    let last_accept = d.sent.accepted.iter().flatten().copied().fold(0.0, f64::max);
    let last_inclusion = d.included.iter().flatten().map(|i| i.seen_s).fold(0.0, f64::max);
    let mut latencies: Vec<f64> = d
        .included
        .iter()
        .zip(&d.sent.first_sent)
        .filter_map(|(i, s)| Some((i.as_ref()?.seen_s - (*s)?) * 1e3))
        .collect();
    latencies.sort_by(f64::total_cmp);
    let latency = Latency {
        p50_ms: percentile(&latencies, 50.0),
        p90_ms: percentile(&latencies, 90.0),
        p99_ms: percentile(&latencies, 99.0),
        max_ms: latencies.last().copied().unwrap_or_default(),
        mean_ms: latencies.iter().sum::<f64>() / latencies.len().max(1) as f64,
        cdf_ms: (0..=100).map(|p| percentile(&latencies, f64::from(p))).collect(),
    };
    let with_load: Vec<&BlockSample> = d.blocks.iter().filter(|b| b.load_txs > 0).collect();
    let gas: u64 = with_load.iter().map(|b| b.gas_used).sum();
    // Intervals between blocks seen within the window (a batch of blocks
    // fetched together shares one sighting: those count as one).
    let mut intervals: Vec<f64> = d
        .blocks
        .windows(2)
        .filter(|w| w[1].seen_s <= last_inclusion + 1e-9 && w[0].seen_s >= start)
        .map(|w| (w[1].seen_s - w[0].seen_s) * 1e3)
        .filter(|ms| *ms > 0.0)
        .collect();
    intervals.sort_by(f64::total_cmp);
    let mut builds: Vec<f64> = with_load.iter().filter_map(|b| b.build_ms).collect();
    builds.sort_by(f64::total_cmp);
    let block_build = (!builds.is_empty()).then(|| BuildTime {
        blocks: builds.len(),
        mean_ms: builds.iter().sum::<f64>() / builds.len() as f64,
        p50_ms: percentile(&builds, 50.0),
        p99_ms: percentile(&builds, 99.0),
        max_ms: builds.last().copied().unwrap_or_default(),
    });
    let rss = d.rss_source.filter(|_| !d.rss.is_empty()).map(|source| Rss {
        source,
        start_mib: d.rss.first().map(|r| r.1).unwrap_or_default(),
        max_mib: d.rss.iter().map(|r| r.1).fold(0.0, f64::max),
        end_mib: d.rss.last().map(|r| r.1).unwrap_or_default(),
    });
    let window = last_inclusion - start;
    RunReport {
        label: d.label,
        phase: d.phase,
        client_version: d.client_version,
        chain_id: d.chain_id,
        rate_tx_s: d.rate,
        seed: d.seed,
        max_fee_per_gas: d.fees.max_fee,
        max_priority_fee_per_gas: d.fees.tip,
        block_time_ms: d.block_time_ms,
        txs: n,
        accepted,
        rejections: d.sent.rejections,
        failed: d.sent.failed.len(),
        transport_errors: d.sent.transport_errors,
        included,
        not_included,
        send_s: last_accept - start,
        accepted_per_s: rate(accepted, start, last_accept),
        window_s: window.max(0.0),
        included_tps: rate(included, start, last_inclusion),
        peak_tps_1s: per_second(d.included.iter().flatten().map(|i| i.seen_s - start))
            .into_iter()
            .max()
            .unwrap_or_default(),
        mgas_per_s: if window > 0.0 { gas as f64 / 1e6 / window } else { 0.0 },
        latency,
        blocks_with_load: with_load.len(),
        txs_per_block_mean: with_load.iter().map(|b| b.txs as f64).sum::<f64>()
            / with_load.len().max(1) as f64,
        txs_per_block_max: with_load.iter().map(|b| b.txs).max().unwrap_or_default(),
        block_interval_p50_ms: percentile(&intervals, 50.0),
        block_interval_max_ms: intervals.last().copied().unwrap_or_default(),
        accounts_touched: d.blocks.last().map_or(d.base_accounts, |b| b.accounts),
        block_build,
        rss,
        included_per_s: per_second(d.included.iter().flatten().map(|i| i.seen_s)),
        accepted_per_s_series: per_second(d.sent.accepted.iter().flatten().copied()),
        blocks: d.blocks,
        rss_series: d.rss,
    }
}

/// A target of issue 10 beside its measured figure.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Target {
    /// The figure.
    pub figure: String,
    /// Its target.
    pub target: String,
    /// What this run measured ("not measured" and why when it did not).
    pub measured: String,
    /// Met, not met, or not judged (`None`).
    pub met: Option<bool>,
}

/// The saturation target, tx/s (the 30M gas / 250 ms cap is 5,714).
pub(crate) const TARGET_TPS: f64 = 5_000.0;
/// The ratio to the peer on the same load.
pub(crate) const TARGET_PEER_RATIO: f64 = 1.2;
/// The latency bound at half of saturation, in block times.
pub(crate) const TARGET_LATENCY_BLOCKS: f64 = 2.0;
/// Saturation throughput after a large state, against a fresh chain.
pub(crate) const TARGET_LARGE_STATE_RATIO: f64 = 0.9;

/// Judges the runs against the targets: `ours` the rollup's (or the
/// `--rpc` target's) saturation run, `peer` the peer's, `half` our
/// half-rate run; `transfers`: the load is ETH transfers.
pub(crate) fn targets(
    ours: Option<&RunReport>,
    peer: Option<&RunReport>,
    half: Option<&RunReport>,
    transfers: bool,
    open_loop: bool,
) -> Vec<Target> {
    let mut out = Vec::new();
    let saturation = transfers && !open_loop;
    out.push(Target {
        figure: "ETH transfers included per second, saturation".into(),
        target: format!(">= {TARGET_TPS:.0} tx/s"),
        measured: match ours {
            Some(r) if saturation => format!("{:.0} tx/s", r.included_tps),
            _ => "not measured (needs --workload transfer or transfer-zipf, no --rate)".into(),
        },
        met: ours.filter(|_| saturation).map(|r| r.included_tps >= TARGET_TPS),
    });
    let ratio = ours
        .zip(peer)
        .filter(|_| saturation)
        .map(|(o, p)| (o.included_tps / p.included_tps.max(f64::MIN_POSITIVE), p.label.clone()));
    out.push(Target {
        figure: "same, against the peer on the same load in the same run".into(),
        target: format!(">= {TARGET_PEER_RATIO}x"),
        measured: match &ratio {
            Some((r, label)) => format!("{r:.2}x {label}"),
            None if saturation => "not measured (no --peer-rpc)".into(),
            None => "not measured (needs a transfer load at saturation)".into(),
        },
        met: ratio.map(|(r, _)| r >= TARGET_PEER_RATIO),
    });
    out.push(Target {
        figure: "inclusion latency p99 at half of saturation".into(),
        target: match half.or(ours) {
            Some(r) => format!(
                "<= {TARGET_LATENCY_BLOCKS} block times ({:.0} ms)",
                TARGET_LATENCY_BLOCKS * r.block_time_ms as f64
            ),
            None => format!("<= {TARGET_LATENCY_BLOCKS} block times"),
        },
        measured: match half {
            Some(h) => {
                format!("{:.0} ms at {:.0} tx/s", h.latency.p99_ms, h.rate_tx_s.unwrap_or_default())
            }
            None => "not measured (add --half-rate-check)".into(),
        },
        met: half.map(|h| {
            h.latency.p99_ms <= TARGET_LATENCY_BLOCKS * h.block_time_ms as f64
                && h.not_included == 0
        }),
    });
    out
}

/// The large-state target: the saturation throughput of a chain whose
/// genesis holds `accounts` more accounts against the fresh chain's, on the
/// same load.
pub(crate) fn large_state_target(
    accounts: u64,
    fresh: Option<&RunReport>,
    prefilled: Option<&RunReport>,
    saturation: bool,
) -> Target {
    let figure = format!("throughput after +{} accounts, vs a fresh chain", int(accounts));
    let ratio = fresh
        .zip(prefilled)
        .filter(|_| saturation)
        .map(|(f, p)| (p.included_tps / f.included_tps.max(f64::MIN_POSITIVE), f, p));
    Target {
        figure,
        target: format!(">= {TARGET_LARGE_STATE_RATIO}x"),
        measured: match &ratio {
            Some((r, f, p)) => {
                format!("{r:.2}x ({:.0} against {:.0} tx/s)", p.included_tps, f.included_tps)
            }
            None => "not measured (needs a transfer load at saturation)".into(),
        },
        met: ratio.map(|(r, _, _)| r >= TARGET_LARGE_STATE_RATIO),
    }
}

/// `v` with thousands separators.
pub(crate) fn int(v: impl Into<u64>) -> String {
    let s = v.into().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn num(v: f64) -> String {
    if v >= 100.0 {
        int(v.round() as u64)
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn secs(ms: f64) -> String {
    if ms >= 10_000.0 { format!("{:.1} s", ms / 1e3) } else { format!("{ms:.0} ms") }
}

/// The rows of the printed table: one column per run.
pub(crate) fn table(runs: &[RunReport]) -> String {
    type Row = (&'static str, fn(&RunReport) -> String);
    let rows: &[Row] = &[
        ("client", |r| r.client_version.split_whitespace().next().unwrap_or("").to_string()),
        ("phase", |r| match r.rate_tx_s {
            Some(rate) => format!("{} ({} tx/s)", r.phase, num(rate)),
            None => r.phase.clone(),
        }),
        ("transactions sent", |r| int(r.txs as u64)),
        ("accepted", |r| int(r.accepted as u64)),
        ("refused attempts (retried)", |r| int(r.rejections.values().sum::<u64>())),
        ("given up", |r| int(r.failed as u64)),
        ("included", |r| int(r.included as u64)),
        ("accepted but not included", |r| int(r.not_included as u64)),
        ("accepted per second", |r| num(r.accepted_per_s)),
        ("included per second (TPS)", |r| num(r.included_tps)),
        ("  peak in one second", |r| int(r.peak_tps_1s)),
        ("Mgas/s", |r| num(r.mgas_per_s)),
        ("window (first send -> last inclusion)", |r| format!("{:.1} s", r.window_s)),
        ("inclusion latency p50", |r| secs(r.latency.p50_ms)),
        ("inclusion latency p99", |r| secs(r.latency.p99_ms)),
        ("inclusion latency max", |r| secs(r.latency.max_ms)),
        ("blocks holding the load", |r| int(r.blocks_with_load as u64)),
        ("transactions per block, mean / max", |r| {
            format!("{} / {}", num(r.txs_per_block_mean), int(r.txs_per_block_max as u64))
        }),
        ("block interval p50 / max", |r| {
            format!("{} / {}", secs(r.block_interval_p50_ms), secs(r.block_interval_max_ms))
        }),
        ("block build time mean / p99", |r| match &r.block_build {
            Some(b) => format!("{} / {}", secs(b.mean_ms), secs(b.p99_ms)),
            None => "n/a".into(),
        }),
        ("accounts touched by the load", |r| int(r.accounts_touched)),
        ("node RSS start / max (MiB)", |r| match &r.rss {
            Some(m) => format!("{} / {}", num(m.start_mib), num(m.max_mib)),
            None => "n/a".into(),
        }),
    ];
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let cells: Vec<Vec<String>> = rows.iter().map(|(_, f)| runs.iter().map(f).collect()).collect();
    let col: Vec<usize> = (0..runs.len())
        .map(|i| cells.iter().map(|c| c[i].len()).chain([runs[i].label.len()]).max().unwrap_or(0))
        .collect();
    let mut out = format!("{:<width$}", "");
    for (r, w) in runs.iter().zip(&col) {
        out.push_str(&format!("  {:>w$}", r.label));
    }
    out.push('\n');
    for ((name, _), cells) in rows.iter().zip(&cells) {
        out.push_str(&format!("{name:<width$}"));
        for (c, w) in cells.iter().zip(&col) {
            out.push_str(&format!("  {c:>w$}"));
        }
        out.push('\n');
    }
    out
}

/// The targets as printed.
pub(crate) fn targets_table(targets: &[Target]) -> String {
    let fw = targets.iter().map(|t| t.figure.len()).max().unwrap_or(0);
    let tw = targets.iter().map(|t| t.target.len()).max().unwrap_or(0);
    let mut out = format!("{:<fw$}  {:<tw$}  met  measured\n", "target (issue 10)", "");
    for t in targets {
        let met = match t.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        out.push_str(&format!("{:<fw$}  {:<tw$}  {met:<3}  {}\n", t.figure, t.target, t.measured));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::throughput::load::SendOutcome;

    fn data(
        first_sent: Vec<Option<f64>>,
        accepted: Vec<Option<f64>>,
        included: Vec<Option<Inclusion>>,
    ) -> PhaseData {
        let blocks = vec![
            BlockSample {
                number: 5,
                seen_s: 1.0,
                txs: 3,
                load_txs: 2,
                gas_used: 63_000,
                accounts: 12,
                build_ms: Some(4.0),
            },
            BlockSample {
                number: 6,
                seen_s: 1.25,
                txs: 1,
                load_txs: 0,
                gas_used: 21_000,
                accounts: 12,
                build_ms: None,
            },
            BlockSample {
                number: 7,
                seen_s: 2.0,
                txs: 2,
                load_txs: 1,
                gas_used: 42_000,
                accounts: 13,
                build_ms: Some(6.0),
            },
        ];
        PhaseData {
            label: "rollup".into(),
            phase: "saturation".into(),
            client_version: "rollup/v0".into(),
            chain_id: 901,
            rate: None,
            seed: 1,
            fees: Fees { max_fee: 1, tip: 1 },
            block_time_ms: 250,
            sent: SendOutcome { first_sent, accepted, ..Default::default() },
            included,
            blocks,
            base_accounts: 10,
            rss_source: Some("self".into()),
            rss: vec![(0.0, 100.0), (1.0, 150.0), (2.0, 120.0)],
        }
    }

    #[test]
    fn figures_over_the_window_from_first_send_to_last_inclusion() {
        let inc = |s, b| Some(Inclusion { seen_s: s, block: b });
        let r = figures(data(
            vec![Some(0.5), Some(0.5), Some(0.6), Some(0.7)],
            vec![Some(0.55), Some(0.55), Some(0.65), None],
            vec![inc(1.0, 5), inc(1.0, 5), inc(2.0, 7), None],
        ));
        assert_eq!((r.accepted, r.included, r.not_included), (3, 3, 0));
        assert!((r.window_s - 1.5).abs() < 1e-9);
        assert!((r.included_tps - 2.0).abs() < 1e-9);
        assert!((r.accepted_per_s - 3.0 / 0.15).abs() < 1e-6);
        // Gas of the blocks holding the load: 105,000 over 1.5 s.
        assert!((r.mgas_per_s - 0.07).abs() < 1e-9);
        // Latencies 500, 500, 1400 ms.
        assert!((r.latency.p50_ms - 500.0).abs() < 1e-6);
        assert!((r.latency.max_ms - 1400.0).abs() < 1e-6);
        assert_eq!(r.latency.cdf_ms.len(), 101);
        assert_eq!((r.blocks_with_load, r.txs_per_block_max), (2, 3));
        assert_eq!(r.block_build.as_ref().unwrap().blocks, 2);
        assert_eq!(r.accounts_touched, 13);
        assert_eq!(r.rss.as_ref().unwrap().max_mib, 150.0);
        assert_eq!(r.peak_tps_1s, 2);
        // Intervals 250 and 750 ms.
        assert!((r.block_interval_max_ms - 750.0).abs() < 1e-6);
    }

    #[test]
    fn targets_are_judged_only_on_what_was_measured() {
        let inc = |s, b| Some(Inclusion { seen_s: s, block: b });
        let ours = figures(data(vec![Some(0.0)], vec![Some(0.1)], vec![inc(1.0, 5)]));
        let t = targets(Some(&ours), None, None, true, false);
        assert_eq!(t[0].met, Some(false));
        assert_eq!(t[1].met, None);
        assert_eq!(t[2].met, None);
        let mut fast = ours.clone();
        fast.included_tps = 6_000.0;
        let t = targets(Some(&fast), Some(&ours), None, true, false);
        assert_eq!((t[0].met, t[1].met), (Some(true), Some(true)));
        // An ERC-20 load is not judged against the transfer target.
        let t = targets(Some(&fast), Some(&ours), None, false, false);
        assert_eq!((t[0].met, t[1].met), (None, None));
        let mut half = ours.clone();
        half.latency.p99_ms = 400.0;
        let t = targets(Some(&ours), None, Some(&half), true, false);
        assert_eq!(t[2].met, Some(true));
        assert!(table(&[ours, half]).contains("included per second (TPS)"));
    }

    #[test]
    fn large_state_is_judged_against_the_fresh_chain() {
        let inc = |s, b| Some(Inclusion { seen_s: s, block: b });
        let fresh = figures(data(vec![Some(0.0)], vec![Some(0.1)], vec![inc(1.0, 5)]));
        let mut large = fresh.clone();
        large.included_tps = fresh.included_tps * 0.95;
        let t = large_state_target(1_000_000, Some(&fresh), Some(&large), true);
        assert_eq!(t.met, Some(true));
        assert!(t.figure.contains("+1,000,000 accounts"), "{}", t.figure);
        assert!(t.measured.starts_with("0.95x"), "{}", t.measured);
        large.included_tps = fresh.included_tps * 0.85;
        assert_eq!(
            large_state_target(1_000_000, Some(&fresh), Some(&large), true).met,
            Some(false)
        );
        // Not judged without both runs, or on an open-loop load.
        assert_eq!(large_state_target(10, Some(&fresh), None, true).met, None);
        assert_eq!(large_state_target(10, Some(&fresh), Some(&large), false).met, None);
    }
}
