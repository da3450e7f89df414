//! `POST /v1/faults`: devnet fault injection.

use super::{
    Shared, extract,
    types::{FaultArmed, FaultRequest},
};
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::{Json, body::Bytes, extract::State, http::StatusCode};
use serde_json::Value;

/// Arms a fault (devnet only): e.g. `invalid-output-root` makes the proposer
/// post a wrong output next, so a challenge can be watched end to end
/// (`GET /v1/events`, `GET /v1/challenges`).
#[utoipa::path(
    post,
    path = "/v1/faults",
    tag = "devnet",
    request_body = FaultRequest,
    responses(
        (status = 202, description = "Armed", body = FaultArmed),
        (status = 400, description = "Malformed body, or `unknown-fault-kind` (the message lists the accepted kinds)", body = ErrorBody),
        (status = 404, description = "`devnet-only`: this bridge does not run on a devnet", body = ErrorBody),
    )
)]
pub(crate) async fn inject(
    State(s): State<Shared>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<FaultArmed>)> {
    let Some(devnet) = s.config.devnet.clone() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "devnet-only",
            "fault injection is only available on a devnet (`rollup devnet`)",
        ));
    };
    let body: Value = extract::json_body(&body)?;
    let kind = match body.get("kind") {
        Some(Value::String(kind)) => kind.trim().to_string(),
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid-body",
                format!("`kind` must be a string, got {other}"),
            ));
        }
        None if body.is_object() => {
            return Err(ApiError::bad_request("missing-field", "missing field `kind`"));
        }
        None => {
            return Err(ApiError::bad_request(
                "invalid-body",
                "the body must be a JSON object: {\"kind\": \"...\"}",
            ));
        }
    };
    let kinds = devnet.fault_kinds();
    let unknown = |why: String| {
        ApiError::bad_request(
            "unknown-fault-kind",
            format!("{why}; accepted kinds: {}", kinds.join(", ")),
        )
    };
    if !kinds.contains(&kind.as_str()) {
        return Err(unknown(format!("unknown fault kind {kind:?}")));
    }
    devnet.inject_fault(&kind).map_err(unknown)?;
    tracing::info!(target: "bridge::api", %kind, "fault armed");
    Ok((StatusCode::ACCEPTED, Json(FaultArmed { kind, status: "armed".into() })))
}
