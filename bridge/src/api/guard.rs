//! What the API's HTTP server enforces before any handler runs:
//!
//! - the request body size, answered with the API's JSON error body (`413
//!   payload-too-large`) rather than axum's plain-text rejection;
//! - CORS: reads (`GET`, `HEAD`) are open to every origin; state-changing
//!   requests (`POST`, `DELETE`) only to [`ApiServerConfig::cors_origins`]
//!   (none by default), and one from another origin is refused (`403
//!   origin-not-allowed`) before it runs, since a browser sends a
//!   `text/plain` POST without asking first;
//! - the optional bearer token of the endpoints that spend or arm faults
//!   ([`ApiServerConfig::api_token`]).

use crate::{config::ApiServerConfig, error::ApiError};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use rollup_http::foreign_origin;
use std::sync::Arc;

/// The guard's configuration.
#[derive(Debug)]
pub(crate) struct Guard {
    pub(crate) server: ApiServerConfig,
    /// Whether the bridge finalizes withdrawals itself (spends L1 gas).
    pub(crate) relayer: bool,
}

fn too_large(length: &str, max: usize) -> Response {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        format!("the request body is {length} bytes; this API takes at most {max}"),
    )
    .into_response()
}

const fn is_read(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD)
}

/// The middleware: CORS, body limit, token, in that order.
pub(crate) async fn guard(
    State(guard): State<Arc<Guard>>,
    request: Request,
    next: Next,
) -> Response {
    let origins = &guard.server.cors_origins;
    let origin = request.headers().get(header::ORIGIN).cloned();
    // A preflight: may a page at `origin` send the method it asks for?
    if request.method() == Method::OPTIONS
        && let Some(origin) = &origin
        && let Some(asked) = request.headers().get(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        let read = asked.as_bytes() == b"GET" || asked.as_bytes() == b"HEAD";
        let allowed = read || origin.to_str().is_ok_and(|o| origins.allows(o));
        let mut response = StatusCode::NO_CONTENT.into_response();
        if allowed {
            let headers = response.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, asked.clone());
            if let Some(asked) = request.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
                headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
            }
            headers.insert(header::VARY, HeaderValue::from_static("origin"));
        }
        return response;
    }
    let read = is_read(request.method());
    if !read && let Some(foreign) = foreign_origin(&request).filter(|o| !origins.allows(o)) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "origin-not-allowed",
            format!(
                "a page at {foreign} may not call {} {} (the bridge's --cors-origins)",
                request.method(),
                request.uri().path()
            ),
        )
        .into_response();
    }
    let mut response = match limit_and_authorize(&guard, request).await {
        Ok(request) => next.run(request).await,
        Err(response) => response,
    };
    if let Some(origin) = origin {
        let headers = response.headers_mut();
        if read {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        } else if origin.to_str().is_ok_and(|o| origins.allows(o)) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(header::VARY, HeaderValue::from_static("origin"));
        }
    }
    response
}

/// Reads the body up to [`ApiServerConfig::max_body_size`] bytes (refusing
/// a larger announced length before reading anything), checks the token of
/// a protected endpoint, and gives the request back with the body buffered.
async fn limit_and_authorize(guard: &Guard, request: Request) -> Result<Request, Response> {
    let max = guard.server.max_body_size;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(length) = declared.filter(|l| *l > max as u64) {
        return Err(too_large(&length.to_string(), max));
    }
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, max).await {
        Ok(body) => body,
        Err(e) if e.to_string().contains("length limit exceeded") => {
            return Err(too_large("over the limit", max));
        }
        Err(e) => {
            return Err(ApiError::bad_request(
                "invalid-body",
                format!("cannot read the request body: {e}"),
            )
            .into_response());
        }
    };
    if let Some(token) = &guard.server.api_token
        && protected(&parts.method, parts.uri.path(), &body, guard.relayer)
        && !bearer_matches(&parts.headers, token)
    {
        let mut response = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            format!(
                "{} {} spends the operator's funds or arms faults: send `Authorization: Bearer <token>` (the bridge's --api-token)",
                parts.method,
                parts.uri.path()
            ),
        )
        .into_response();
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return Err(response);
    }
    Ok(Request::from_parts(parts, Body::from(body)))
}

/// Whether `method path` with `body` spends the operator's funds or arms
/// faults (see [`ApiServerConfig::api_token`]).
fn protected(method: &Method, path: &str, body: &[u8], relayer: bool) -> bool {
    let path = path.trim_end_matches('/');
    match *method {
        Method::DELETE => path == "/v1/faults" || path.starts_with("/v1/faults/"),
        Method::POST => match path {
            "/v1/challenges" | "/v1/faults" => true,
            // The dev signer pays; a relayed signed transaction is the user's.
            "/v1/deposits" | "/v1/withdrawals" => {
                !serde_json::from_slice::<serde_json::Value>(body)
                    .is_ok_and(|v| v.get("signed_tx").is_some_and(|t| !t.is_null()))
            }
            _ => relayer && path.starts_with("/v1/withdrawals/") && path.ends_with("/finalize"),
        },
        _ => false,
    }
}

/// Whether `headers` carry `Authorization: Bearer <token>`, compared in
/// constant time.
fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let (a, b) = (given.trim().as_bytes(), token.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
