//! `POST /v1/faults`, `GET /v1/faults`, `DELETE /v1/faults/{kind}`: devnet
//! fault injection, and lifting.

use super::{
    Shared, extract,
    types::{FaultList, FaultRequest, FaultState},
};
use crate::{
    config::DevnetControl,
    error::{ApiError, ApiResult, ErrorBody},
    faults::FaultKind,
};
use axum::{Json, body::Bytes, extract::State, http::StatusCode};
use serde_json::Value;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// Longest `duration_secs` accepted: one day.
const MAX_DURATION_SECS: u64 = 86_400;

/// The faults armed with a duration: when the API lifts each, and which
/// arming that deadline belongs to (a later arming or lifting supersedes it).
#[derive(Debug, Default)]
pub(crate) struct FaultTimers {
    inner: Mutex<TimersInner>,
}

#[derive(Debug, Default)]
struct TimersInner {
    /// Bumped on every arming and lifting.
    generation: u64,
    /// Kind -> (unix seconds it lifts at, generation that set it).
    deadlines: HashMap<FaultKind, (u64, u64)>,
}

impl FaultTimers {
    /// Forgets any deadline of `kind` and returns the new generation.
    fn reset(&self, kind: FaultKind) -> u64 {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.generation += 1;
        inner.deadlines.remove(&kind);
        inner.generation
    }

    /// Records that `kind` lifts at `at` (for the arming of `generation`).
    fn set(&self, kind: FaultKind, at: u64, generation: u64) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.generation == generation {
            inner.deadlines.insert(kind, (at, generation));
        }
    }

    /// Removes the deadline of `kind` if it still belongs to `generation`;
    /// whether it did (so the fault is to be lifted now).
    fn expire(&self, kind: FaultKind, generation: u64) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match inner.deadlines.get(&kind) {
            Some((_, g)) if *g == generation => {
                inner.deadlines.remove(&kind);
                true
            }
            _ => false,
        }
    }

    /// When `kind` lifts, if armed with a duration.
    fn lifts_at(&self, kind: FaultKind) -> Option<u64> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.deadlines.get(&kind).map(|(at, _)| *at)
    }
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// The devnet controls, or 404 `devnet-only`.
fn devnet(s: &Shared) -> ApiResult<Arc<dyn DevnetControl>> {
    s.config.devnet.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "devnet-only",
            "fault injection is only available on a devnet (`rollup devnet`)",
        )
    })
}

fn unknown_kind(why: String) -> ApiError {
    let kinds: Vec<&str> = FaultKind::ALL.iter().map(|k| k.as_str()).collect();
    ApiError::bad_request(
        "unknown-fault-kind",
        format!("{why}; accepted kinds: {}", kinds.join(", ")),
    )
}

fn state(s: &Shared, devnet: &dyn DevnetControl, kind: FaultKind) -> FaultState {
    let armed = devnet.fault_armed(kind);
    FaultState {
        kind,
        status: if armed { "armed" } else { "off" }.into(),
        one_shot: kind.one_shot(),
        lifts_at: armed.then(|| s.fault_timers.lifts_at(kind)).flatten(),
    }
}

/// Arms a fault (devnet only), e.g. `invalid-output-root`: the proposer
/// posts a wrong output next, so a challenge can be watched end to end
/// (`GET /v1/events`, `GET /v1/challenges`).
///
/// `invalid-output-root` and `invalid-state-transition` are one-shot: they
/// fire once and disarm themselves. `censor-deposits` and `stop-defending`
/// stay in force until lifted (`DELETE /v1/faults/{kind}`), or for
/// `duration_secs` when given.
#[utoipa::path(
    post,
    path = "/v1/faults",
    operation_id = "armFault",
    tag = "devnet",
    request_body(content = FaultRequest, example = json!({"kind": "invalid-output-root"})),
    responses(
        (status = 202, description = "Armed", body = FaultState),
        (status = 400, description = "Malformed body (`invalid-json`, `invalid-body`, `missing-field`, `invalid-duration`), or `unknown-fault-kind` (the message lists the accepted kinds)", body = ErrorBody),
        (status = 404, description = "`devnet-only`: this bridge does not run on a devnet", body = ErrorBody),
    )
)]
pub(crate) async fn inject(
    State(s): State<Shared>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<FaultState>)> {
    let devnet = devnet(&s)?;
    let body: Value = extract::json_body(&body)?;
    let Value::Object(fields) = body else {
        return Err(ApiError::bad_request(
            "invalid-body",
            "the body must be a JSON object: {\"kind\": \"...\"}",
        ));
    };
    let kind = match fields.get("kind") {
        Some(Value::String(kind)) => kind.trim(),
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid-body",
                format!("`kind` must be a string, got {other}"),
            ));
        }
        None => return Err(ApiError::bad_request("missing-field", "missing field `kind`")),
    };
    let kind = FaultKind::parse(kind)
        .ok_or_else(|| unknown_kind(format!("unknown fault kind {kind:?}")))?;
    let duration = match fields.get("duration_secs") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match extract::integer(n) {
            Some(secs @ 1..=MAX_DURATION_SECS) => Some(secs),
            _ => return Err(invalid_duration(&n.to_string())),
        },
        Some(other) => return Err(invalid_duration(&other.to_string())),
    };
    if let Some(other) = fields.keys().find(|k| !matches!(k.as_str(), "kind" | "duration_secs")) {
        return Err(ApiError::bad_request(
            "invalid-body",
            format!("unknown field `{other}`: expected `kind` and optionally `duration_secs`"),
        ));
    }
    let generation = s.fault_timers.reset(kind);
    devnet.set_fault(kind, true).map_err(unknown_kind)?;
    if let Some(secs) = duration {
        s.fault_timers.set(kind, now_secs() + secs, generation);
        let (state, devnet) = (s.clone(), devnet.clone());
        tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(secs)) => {}
                () = state.shutdown.cancelled() => return,
            }
            if state.fault_timers.expire(kind, generation) {
                match devnet.set_fault(kind, false) {
                    Ok(()) => {
                        tracing::info!(target: "bridge::api", %kind, secs, "fault lifted after its duration")
                    }
                    Err(e) => tracing::warn!(target: "bridge::api", %kind, %e, "cannot lift fault"),
                }
            }
        });
    }
    tracing::info!(target: "bridge::api", %kind, ?duration, "fault armed");
    Ok((StatusCode::ACCEPTED, Json(state(&s, devnet.as_ref(), kind))))
}

fn invalid_duration(got: &str) -> ApiError {
    ApiError::bad_request(
        "invalid-duration",
        format!("`duration_secs` must be an integer from 1 to {MAX_DURATION_SECS}, got {got}"),
    )
}

/// Every fault kind of the devnet and whether it is armed now (a one-shot
/// fault is `off` again once it fired).
#[utoipa::path(
    get,
    path = "/v1/faults",
    operation_id = "listFaults",
    tag = "devnet",
    responses(
        (status = 200, body = FaultList),
        (status = 404, description = "`devnet-only`: this bridge does not run on a devnet", body = ErrorBody),
    )
)]
pub(crate) async fn list(State(s): State<Shared>) -> ApiResult<Json<FaultList>> {
    let devnet = devnet(&s)?;
    let items = FaultKind::ALL.into_iter().map(|k| state(&s, devnet.as_ref(), k)).collect();
    Ok(Json(FaultList { items }))
}

/// Lifts a fault (devnet only): a one-shot fault that has not fired yet is
/// cancelled, a lasting one ends. Lifting a fault that is off is not an
/// error: the answer is its state, `off`.
#[utoipa::path(
    delete,
    path = "/v1/faults/{kind}",
    operation_id = "liftFault",
    tag = "devnet",
    params(("kind" = FaultKind, Path, description = "The fault to lift")),
    responses(
        (status = 200, description = "Lifted (now `off`)", body = FaultState),
        (status = 400, description = "`unknown-fault-kind` (the message lists the accepted kinds)", body = ErrorBody),
        (status = 404, description = "`devnet-only`: this bridge does not run on a devnet", body = ErrorBody),
    )
)]
pub(crate) async fn lift(
    State(s): State<Shared>,
    extract::ApiPath(kind): extract::ApiPath<String>,
) -> ApiResult<Json<FaultState>> {
    let devnet = devnet(&s)?;
    let kind = FaultKind::parse(kind.trim())
        .ok_or_else(|| unknown_kind(format!("unknown fault kind {kind:?}")))?;
    s.fault_timers.reset(kind);
    devnet.set_fault(kind, false).map_err(unknown_kind)?;
    tracing::info!(target: "bridge::api", %kind, "fault lifted");
    Ok(Json(state(&s, devnet.as_ref(), kind)))
}
