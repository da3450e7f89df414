//! Client-side measurement: a block watcher that matches the load's hashes
//! to the blocks that include them, the node's resident memory, the
//! sequencer's block build time (in-process devnet), and the statistics.

use crate::bench::rpc;
use alloy_primitives::B256;
use eyre::eyre;
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;

/// How often the watcher asks for new blocks.
pub(crate) const POLL: Duration = Duration::from_millis(20);

/// One block seen during a phase.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct BlockSample {
    /// Block number.
    pub number: u64,
    /// When the watcher first saw it, seconds since the phase's start.
    pub seen_s: f64,
    /// Its transactions (all of them).
    pub txs: usize,
    /// The load's transactions among them.
    pub load_txs: usize,
    /// `gasUsed`.
    pub gas_used: u64,
    /// Accounts the load has touched once this block is in (funded senders
    /// plus distinct recipients of included transfers).
    pub accounts: u64,
    /// The sequencer's build time of the block, milliseconds (in-process
    /// devnet only; the mean over the blocks built since the last sample).
    pub build_ms: Option<f64>,
}

/// Where a transaction was first seen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Inclusion {
    /// Seconds since the phase's start.
    pub(crate) seen_s: f64,
    /// Block number.
    pub(crate) block: u64,
}

/// Marks the load's transactions among `hashes` (a block's) as included at
/// `seen_s` in `block`; returns how many were newly included, and how many
/// accounts those created (`creates[i]`: transaction `i` is the first of the
/// load to its recipient).
pub(crate) fn match_block(
    hashes: &[B256],
    index: &HashMap<B256, usize>,
    included: &mut [Option<Inclusion>],
    creates: &[bool],
    seen_s: f64,
    block: u64,
) -> (usize, u64) {
    let mut new = 0;
    let mut accounts = 0;
    for h in hashes {
        if let Some(&i) = index.get(h)
            && included[i].is_none()
        {
            included[i] = Some(Inclusion { seen_s, block });
            new += 1;
            accounts += u64::from(creates[i]);
        }
    }
    (new, accounts)
}

/// The block build time histogram of the in-process sequencer
/// (`rollup_block_build_duration_seconds`), read from the process's
/// Prometheus recorder.
#[derive(Clone)]
pub(crate) struct BuildTimes {
    handle: PrometheusHandle,
}

impl std::fmt::Debug for BuildTimes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BuildTimes")
    }
}

impl BuildTimes {
    /// Installs (once) the process's recorder.
    pub(crate) fn install() -> eyre::Result<Self> {
        Ok(Self { handle: crate::metrics::install()? })
    }

    /// (count, sum in seconds) of the L2's histogram so far.
    fn read(&self) -> (u64, f64) {
        parse_histogram(&self.handle.render(), "rollup_block_build_duration_seconds", "l2")
    }
}

/// (count, sum) of histogram `name` with label `chain="<chain>"` in a
/// Prometheus text exposition; zeros when absent.
pub(crate) fn parse_histogram(text: &str, name: &str, chain: &str) -> (u64, f64) {
    let label = format!("chain=\"{chain}\"");
    let value = |suffix: &str| {
        text.lines()
            .filter(|l| l.starts_with(&format!("{name}{suffix}{{")) && l.contains(&label))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .next()
            .unwrap_or(0.0)
    };
    (value("_count") as u64, value("_sum"))
}

/// What the watcher saw.
#[derive(Debug, Default)]
pub(crate) struct Watched {
    /// Blocks after the phase's start, in order.
    pub(crate) blocks: Vec<BlockSample>,
    /// Per load transaction, where it was first seen.
    pub(crate) included: Vec<Option<Inclusion>>,
}

/// The watcher's inputs.
pub(crate) struct Watch {
    /// JSON-RPC URL.
    pub(crate) url: String,
    /// Blocks after this one are watched.
    pub(crate) after: u64,
    /// Hash of each load transaction to its index.
    pub(crate) index: Arc<HashMap<B256, usize>>,
    /// Per load transaction, whether it creates its recipient's account.
    pub(crate) creates: Arc<Vec<bool>>,
    /// Accounts touched before the phase (funded senders).
    pub(crate) base_accounts: u64,
    /// Where block build times come from, if anywhere.
    pub(crate) build: Option<BuildTimes>,
    /// Start of the phase.
    pub(crate) t0: Instant,
}

/// Polls for new blocks every [`POLL`] until `stop`, matching the load's
/// hashes (`eth_getBlockByNumber(n, false)`); counts inclusions into
/// `included_count`.
pub(crate) async fn watch(
    w: Watch,
    stop: CancellationToken,
    included_count: Arc<AtomicUsize>,
    progress: indicatif::ProgressBar,
) -> eyre::Result<Watched> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
    let mut out = Watched { blocks: Vec::new(), included: vec![None; w.index.len()] };
    let mut next = w.after + 1;
    let mut accounts = w.base_accounts;
    let mut build_seen = w.build.as_ref().map(BuildTimes::read);
    let mut ticker = tokio::time::interval(POLL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return Ok(out),
            _ = ticker.tick() => {}
        }
        let Ok(head) = super::load::call(&client, &w.url, "eth_blockNumber", json!([])).await
        else {
            continue;
        };
        let head = super::load::hex_u128(&head).unwrap_or_default() as u64;
        while next <= head {
            let last = head.min(next + 19);
            let calls: Vec<Value> = (next..=last)
                .map(|n| json!(["eth_getBlockByNumber", [format!("0x{n:x}"), false]]))
                .collect();
            let Ok(answers) = rpc::batch(&client, &w.url, &calls).await else { break };
            let seen_s = w.t0.elapsed().as_secs_f64();
            let first_new = out.blocks.len();
            for a in answers {
                let block = &a["result"];
                if !block.is_object() {
                    break;
                }
                let hashes: Vec<B256> = block["transactions"]
                    .as_array()
                    .map(|t| {
                        t.iter().filter_map(|h| serde_json::from_value(h.clone()).ok()).collect()
                    })
                    .unwrap_or_default();
                let (new, created) =
                    match_block(&hashes, &w.index, &mut out.included, &w.creates, seen_s, next);
                accounts += created;
                included_count.fetch_add(new, Ordering::Relaxed);
                progress.inc(new as u64);
                out.blocks.push(BlockSample {
                    number: next,
                    seen_s,
                    txs: hashes.len(),
                    load_txs: new,
                    gas_used: super::load::hex_u128(&block["gasUsed"]).unwrap_or_default() as u64,
                    accounts,
                    build_ms: None,
                });
                next += 1;
            }
            if out.blocks.len() == first_new {
                break;
            }
            // Build times of the blocks built since the last read.
            if let (Some(build), Some((count, sum))) = (&w.build, build_seen.as_mut()) {
                let (c, s) = build.read();
                if c > *count {
                    let mean = (s - *sum) / (c - *count) as f64 * 1e3;
                    for b in &mut out.blocks[first_new..] {
                        b.build_ms = Some(mean);
                    }
                }
                (*count, *sum) = (c, s);
            }
        }
    }
}

/// Samples the resident set size of `pid` (this process when `None`) every
/// 250 ms until `stop`: (seconds since `t0`, MiB).
pub(crate) async fn sample_rss(
    pid: Option<u32>,
    t0: Instant,
    stop: CancellationToken,
) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    loop {
        if let Some(mib) = rss_mib(pid) {
            out.push((t0.elapsed().as_secs_f64(), mib));
        }
        tokio::select! {
            () = stop.cancelled() => return out,
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
}

/// The resident set size of `pid` (this process when `None`), MiB, from
/// `/proc/<pid>/status` (Linux); `None` where it cannot be read.
pub(crate) fn rss_mib(pid: Option<u32>) -> Option<f64> {
    let path = pid.map_or_else(|| "/proc/self/status".to_string(), |p| format!("/proc/{p}/status"));
    let status = std::fs::read_to_string(path).ok()?;
    vm_rss_kib(&status).map(|k| k as f64 / 1024.0)
}

/// `VmRSS` of a `/proc/<pid>/status` text, KiB.
pub(crate) fn vm_rss_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// The `p`-th percentile (0..=100) of ascending `sorted`, nearest rank.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Counts of `times` (seconds) per whole second from 0 to the last.
pub(crate) fn per_second(times: impl IntoIterator<Item = f64>) -> Vec<u64> {
    let mut out: Vec<u64> = Vec::new();
    for t in times {
        let s = t.max(0.0).floor() as usize;
        if out.len() <= s {
            out.resize(s + 1, 0);
        }
        out[s] += 1;
    }
    out
}

/// A rate over a window: `count / (end - start)`, 0 for an empty window.
pub(crate) fn rate(count: usize, start: f64, end: f64) -> f64 {
    if end > start { count as f64 / (end - start) } else { 0.0 }
}

/// Whether `target` is still worth waiting for: returns an error once
/// `deadline` passed or nothing new was included for `stall`.
pub(crate) fn check_wait(
    now: Instant,
    deadline: Instant,
    last_progress: Instant,
    stall: Duration,
) -> eyre::Result<()> {
    if now > deadline {
        return Err(eyre!("deadline"));
    }
    if now.duration_since(last_progress) > stall {
        return Err(eyre!("stalled"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&[3.0], 99.0), 3.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 50.0), 2.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 51.0), 3.0);
    }

    #[test]
    fn rates_and_seconds() {
        assert_eq!(rate(500, 1.0, 3.0), 250.0);
        assert_eq!(rate(5, 2.0, 2.0), 0.0);
        assert_eq!(per_second([0.1, 0.9, 1.0, 3.5]), vec![2, 1, 0, 1]);
        assert!(per_second([]).is_empty());
    }

    #[test]
    fn a_block_marks_only_the_loads_first_inclusions() {
        let hashes: Vec<B256> = (0u8..4).map(|i| B256::repeat_byte(i + 1)).collect();
        let index: HashMap<B256, usize> = hashes.iter().take(3).copied().zip(0..).collect();
        let creates = [true, false, true];
        let mut included = vec![None; 3];
        // Block 7 holds the load's 0 and 1 and a stranger.
        let (new, accounts) = match_block(
            &[hashes[0], hashes[3], hashes[1]],
            &index,
            &mut included,
            &creates,
            1.5,
            7,
        );
        assert_eq!((new, accounts), (2, 1));
        assert_eq!(included[0], Some(Inclusion { seen_s: 1.5, block: 7 }));
        assert_eq!(included[2], None);
        // Seen again (a reorg's replay): the first sighting stands.
        let (new, _) =
            match_block(&[hashes[0], hashes[2]], &index, &mut included, &creates, 2.0, 8);
        assert_eq!(new, 1);
        assert_eq!(included[0].unwrap().block, 7);
        assert_eq!(included[2], Some(Inclusion { seen_s: 2.0, block: 8 }));
    }

    #[test]
    fn parses_the_build_histogram_and_rss() {
        let text = "# TYPE rollup_block_build_duration_seconds histogram\n\
            rollup_block_build_duration_seconds_bucket{chain=\"l2\",le=\"0.5\"} 3\n\
            rollup_block_build_duration_seconds_sum{chain=\"l2\"} 0.75\n\
            rollup_block_build_duration_seconds_count{chain=\"l2\"} 4\n";
        assert_eq!(parse_histogram(text, "rollup_block_build_duration_seconds", "l2"), (4, 0.75));
        assert_eq!(parse_histogram(text, "rollup_block_build_duration_seconds", "l1"), (0, 0.0));
        let status = "Name:\trollup\nVmPeak:\t  900 kB\nVmRSS:\t  123456 kB\nThreads: 9\n";
        assert_eq!(vm_rss_kib(status), Some(123_456));
        assert_eq!(vm_rss_kib("Name: x\n"), None);
    }
}
