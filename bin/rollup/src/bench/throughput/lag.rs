//! The challenger's lag behind the batcher during a run on the in-process
//! devnet (the issue's "challenger lag behind the batcher at saturation <=
//! 1 batch").
//!
//! Every 250 ms the sampler reads the newest batches on L1 (the REST API's
//! `/v1/batches`: index and last L2 block) and the challenger's derived L2
//! head (`ChallengerHandle::status`). A batch counts as behind from its first
//! sighting until the challenger has derived its last block. Reported: the
//! batches posted while sampling, the most that were behind at one sample,
//! and the delay from a batch's sighting to its derivation (p50 and max).

use crate::devnet::Devnet;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;

/// The challenger's lag over a run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ChallengerLag {
    /// Batches seen on L1 while sampling.
    pub batches: u64,
    /// The most batches on L1 whose blocks the challenger had not derived, at
    /// any one sample.
    pub max_batches_behind: u64,
    /// Seconds from a batch's first sighting to its derivation: p50.
    pub derive_delay_p50_s: f64,
    /// Same, the largest.
    pub derive_delay_max_s: f64,
}

/// How long the sampler waits, after `stop`, for the batches it saw to be
/// derived.
const DRAIN: Duration = Duration::from_secs(60);

/// Samples until `stop`, then until every batch seen is derived (at most
/// [`DRAIN`] more).
pub(crate) async fn sample(net: &Devnet, stop: CancellationToken) -> ChallengerLag {
    let http = reqwest::Client::new();
    let url = format!("{}/v1/batches?limit=50", net.bridge.url());
    // index -> (last L2 block, first sighting, derived after)
    let mut batches: BTreeMap<u64, (u64, Instant, Option<f64>)> = BTreeMap::new();
    let mut first_index = None;
    let mut lag = ChallengerLag::default();
    let mut drain_until = None;
    loop {
        if let Ok(page) = async { http.get(&url).send().await?.json::<Value>().await }.await
            && let Some(items) = page["items"].as_array()
        {
            for item in items {
                let (Some(index), Some(end)) = (item["index"].as_u64(), item["l2_end"].as_u64())
                else {
                    continue;
                };
                // Batches already on L1 when sampling started are not the run's.
                let first = *first_index.get_or_insert(index + 1);
                if index >= first {
                    batches.entry(index).or_insert((end, Instant::now(), None));
                }
            }
        }
        let derived = net.challenger.status().await.derived_head;
        let mut behind = 0;
        for (end, seen, delay) in batches.values_mut() {
            if delay.is_none() {
                if derived >= *end {
                    *delay = Some(seen.elapsed().as_secs_f64());
                } else {
                    behind += 1;
                }
            }
        }
        lag.max_batches_behind = lag.max_batches_behind.max(behind);
        if stop.is_cancelled() {
            let until = *drain_until.get_or_insert(Instant::now() + DRAIN);
            if behind == 0 || Instant::now() > until {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let mut delays: Vec<f64> = batches.values().filter_map(|b| b.2).collect();
    delays.sort_by(f64::total_cmp);
    lag.batches = batches.len() as u64;
    lag.derive_delay_p50_s = super::percentile(&delays, 50.0);
    lag.derive_delay_max_s = delays.last().copied().unwrap_or_default();
    lag
}
