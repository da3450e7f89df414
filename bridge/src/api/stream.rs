//! `GET /v1/events`: the indexer's events as Server-Sent Events.

use super::Shared;
use crate::events::BridgeEvent;
use axum::{
    extract::State,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::{Stream, StreamExt};
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;
use utoipa::ToSchema;

/// A stream of what the bridge indexes, as it indexes it (Server-Sent Events).
///
/// Each event's `event:` is its type and `data:` its JSON, which carries the
/// L1 block and transaction (`l1_block`, `l1_tx_hash`) or the L2 ones
/// (`l2_block`, `l2_tx_hash`) it comes from. Types: `deposit-initiated`,
/// `deposit-credited`, `batch-posted`, `output-proposed`, `outputs-deleted`,
/// `withdrawal-initiated`, `withdrawal-finalized`, `challenge-opened`,
/// `challenge-move`, `challenge-proven`, `challenge-resolved`,
/// `challenge-cancelled`, `output-challenged`, `bond-slashed`, `l2-reorg`
/// (schemas `DepositEvent`, `BatchEvent`, `OutputEvent`,
/// `OutputsDeletedEvent`, `WithdrawalEvent`, `WithdrawalFinalizedEvent`,
/// `ChallengeOpenedEvent`, `ChallengeMoveEvent`, `ChallengeProvenEvent`,
/// `ChallengeResolvedEvent`, `ChallengeCancelledEvent`,
/// `OutputChallengedEvent`, `BondSlashedEvent`, `L2ReorgEvent`).
/// Every subscriber gets each event once, in order, from the moment it
/// connects (no replay); one that falls far behind gets a `lagged` event
/// (`{"missed": n}`) instead of the events it missed. A comment is sent on
/// connect and every 15 s to keep the connection open.
#[utoipa::path(
    get,
    path = "/v1/events",
    operation_id = "streamEvents",
    tag = "events",
    responses(
        (status = 200, description = "An endless `text/event-stream`: each event's `event:` line is its \
            type and its `data:` line the JSON of its schema (`itemSchema`: `ServerSentEvent`)", content_type = "text/event-stream", body = String),
    )
)]
pub(crate) async fn events(
    State(s): State<Shared>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = s.events.subscribe();
    let connected = futures::stream::once(async { Ok(Event::default().comment("connected")) });
    let events = futures::stream::unfold(receiver, |mut receiver| async move {
        loop {
            let event = match receiver.recv().await {
                Ok(event) => sse(&event),
                Err(RecvError::Lagged(missed)) => {
                    Some(Event::default().event("lagged").data(format!("{{\"missed\":{missed}}}")))
                }
                Err(RecvError::Closed) => return None,
            };
            if let Some(event) = event {
                return Some((Ok(event), receiver));
            }
        }
    });
    // Graceful shutdown waits for open responses: end the stream then.
    let shutdown = s.shutdown.clone().cancelled_owned();
    Sse::new(connected.chain(events).take_until(shutdown)).keep_alive(KeepAlive::default())
}

fn sse(event: &BridgeEvent) -> Option<Event> {
    match Event::default().event(event.kind()).json_data(event) {
        Ok(e) => Some(e),
        Err(e) => {
            tracing::error!(target: "bridge::api", %e, kind = event.kind(), "cannot encode an event");
            None
        }
    }
}

/// `lagged`: the subscriber fell behind and missed events.
#[derive(Debug, serde::Serialize, ToSchema)]
pub(crate) struct LaggedEvent {
    /// How many events it missed.
    pub(crate) missed: u64,
}

/// Every SSE event type of `GET /v1/events` and the schema of its `data`.
pub(crate) const EVENT_TYPES: [(&str, &str); 16] = [
    ("deposit-initiated", "DepositEvent"),
    ("deposit-credited", "DepositEvent"),
    ("batch-posted", "BatchEvent"),
    ("output-proposed", "OutputEvent"),
    ("outputs-deleted", "OutputsDeletedEvent"),
    ("withdrawal-initiated", "WithdrawalEvent"),
    ("withdrawal-finalized", "WithdrawalFinalizedEvent"),
    ("challenge-opened", "ChallengeOpenedEvent"),
    ("challenge-move", "ChallengeMoveEvent"),
    ("challenge-proven", "ChallengeProvenEvent"),
    ("challenge-resolved", "ChallengeResolvedEvent"),
    ("challenge-cancelled", "ChallengeCancelledEvent"),
    ("output-challenged", "OutputChallengedEvent"),
    ("bond-slashed", "BondSlashedEvent"),
    ("l2-reorg", "L2ReorgEvent"),
    ("lagged", "LaggedEvent"),
];

/// The schema of one event of the stream (`ServerSentEvent`): its `event`
/// type and the JSON `data` of that type, as OpenAPI 3.2's `itemSchema` of a
/// `text/event-stream` describes the items of a sequential media type.
pub(crate) fn event_schema() -> serde_json::Value {
    let variants: Vec<serde_json::Value> = EVENT_TYPES
        .iter()
        .map(|(kind, schema)| {
            serde_json::json!({
                "type": "object",
                "title": kind,
                "properties": {
                    "event": {"const": kind},
                    "data": {
                        "contentMediaType": "application/json",
                        "contentSchema": {"$ref": format!("#/components/schemas/{schema}")},
                    },
                },
                "required": ["event", "data"],
            })
        })
        .collect();
    serde_json::json!({
        "description": "One Server-Sent Event of `GET /v1/events`: `event` is its type, `data` the JSON of the type's schema.",
        "oneOf": variants,
    })
}
