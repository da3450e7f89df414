//! What the API's HTTP server enforces before any handler runs: the request
//! body size, answered with the API's JSON error body (`413
//! payload-too-large`) rather than axum's plain-text rejection.

use crate::{config::ApiServerConfig, error::ApiError};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::sync::Arc;

fn too_large(length: &str, max: usize) -> Response {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        format!("the request body is {length} bytes; this API takes at most {max}"),
    )
    .into_response()
}

/// Reads the body up to [`ApiServerConfig::max_body_size`] bytes (refusing a
/// larger announced length before reading anything) and hands the request on
/// with the body buffered.
pub(crate) async fn limit_body(
    State(config): State<Arc<ApiServerConfig>>,
    request: Request,
    next: Next,
) -> Response {
    let max = config.max_body_size;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(length) = declared.filter(|l| *l > max as u64) {
        return too_large(&length.to_string(), max);
    }
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, max).await {
        Ok(body) => body,
        Err(e) if e.to_string().contains("length limit exceeded") => {
            return too_large("over the limit", max);
        }
        Err(e) => {
            return ApiError::bad_request(
                "invalid-body",
                format!("cannot read the request body: {e}"),
            )
            .into_response();
        }
    };
    next.run(Request::from_parts(parts, Body::from(body))).await
}
