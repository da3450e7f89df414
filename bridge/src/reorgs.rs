//! `l2-reorg` events: the L2 lists its newest reorgs (`rollup_reorgs`, each
//! with a sequence number); this task polls it and announces each new one
//! once. Reorgs from before the bridge started (by their timestamp) are
//! not announced.

use crate::{
    chain::Chains,
    events::{BridgeEvent, EventBus, L2ReorgEvent},
};
use alloy::providers::Provider;
use std::{sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

/// How often the L2's reorgs are read.
const POLL: Duration = Duration::from_secs(1);

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Reorg {
    id: u64,
    first_block: u64,
    depth: u64,
    old_head: u64,
    new_head: u64,
    cause: String,
    repooled: u64,
    timestamp: u64,
}

/// Polls the L2's reorgs until `shutdown`, announcing the new ones.
pub(crate) async fn watch(chains: Arc<Chains>, events: EventBus, shutdown: CancellationToken) {
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    // The id of the next reorg to announce; `None` until the first read.
    let mut next: Option<u64> = None;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(POLL) => {}
        }
        let Ok(reorgs) = chains
            .provider(crate::store::Chain::L2)
            .raw_request::<_, Vec<Reorg>>("rollup_reorgs".into(), ())
            .await
        else {
            continue; // the L2 is down, or not this rollup's node
        };
        let newest = reorgs.last().map(|r| r.id + 1).unwrap_or_default();
        let from = match next {
            // A restarted L2 numbers its reorgs from 0 again.
            Some(from) if from <= newest => from,
            Some(_) => 0,
            // First read: the reorgs since the bridge started.
            None => reorgs.iter().find(|r| r.timestamp >= started).map_or(newest, |r| r.id),
        };
        let fresh: Vec<BridgeEvent> = reorgs
            .into_iter()
            .filter(|r| r.id >= from)
            .map(|r| {
                BridgeEvent::L2Reorg(L2ReorgEvent {
                    first_block: r.first_block,
                    depth: r.depth,
                    old_head: r.old_head,
                    new_head: r.new_head,
                    cause: r.cause,
                    repooled: r.repooled,
                    timestamp: r.timestamp,
                })
            })
            .collect();
        events.send_all(fresh);
        next = Some(newest);
    }
}
