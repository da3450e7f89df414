//! Which web origins a browser may call a server from (CORS), as anvil's
//! `--allow-origin` and geth's `--http.corsdomain` configure it, plus the
//! server-side half a CORS header cannot give: a request a browser sends
//! without a preflight (a `text/plain` POST) from an origin that is not
//! allowed is refused before it runs.

use axum::{
    extract::{Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::{fmt, str::FromStr, sync::Arc};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

/// The origins allowed to call a server from a browser.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CorsOrigins {
    /// Every origin (`*`): anvil's default.
    #[default]
    Any,
    /// These origins only (`scheme://host[:port]`, as browsers send them).
    List(Vec<String>),
    /// No cross-origin browser calls: no CORS headers at all (geth's default).
    None,
}

impl FromStr for CorsOrigins {
    type Err = String;

    /// `*`, `none` (or empty), or a comma-separated list of origins.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s == "*" {
            return Ok(Self::Any);
        }
        if s.is_empty() || s.eq_ignore_ascii_case("none") {
            return Ok(Self::None);
        }
        let origins: Vec<String> =
            s.split(',').map(|o| o.trim().trim_end_matches('/').to_string()).collect();
        for origin in &origins {
            if !(origin.starts_with("http://") || origin.starts_with("https://"))
                || HeaderValue::from_str(origin).is_err()
            {
                return Err(format!(
                    "{origin:?} is not an origin (scheme://host[:port]); use `*`, `none` or a comma-separated list"
                ));
            }
        }
        Ok(Self::List(origins))
    }
}

impl fmt::Display for CorsOrigins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::List(origins) => f.write_str(&origins.join(",")),
            Self::None => f.write_str("none"),
        }
    }
}

impl CorsOrigins {
    /// Whether a browser page at `origin` may call the server.
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            Self::Any => true,
            Self::List(origins) => origins.iter().any(|o| o == origin.trim_end_matches('/')),
            Self::None => false,
        }
    }

    /// The CORS layer answering preflights and adding the headers for these
    /// origins (every method and request header, as anvil allows them).
    pub fn layer(&self) -> CorsLayer {
        let layer = CorsLayer::new().allow_methods(Any).allow_headers(Any);
        match self {
            Self::Any => layer.allow_origin(Any),
            Self::List(origins) => layer.allow_origin(AllowOrigin::list(
                origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()),
            )),
            Self::None => CorsLayer::new(),
        }
    }
}

/// Whether `request` comes from a browser page of another origin than the
/// server's own (its `Origin` differs from its `Host`); `Some(origin)` then.
pub fn foreign_origin(request: &Request) -> Option<String> {
    let origin = request.headers().get(header::ORIGIN)?.to_str().ok()?.to_string();
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    let authority = origin.split_once("://").map_or(origin.as_str(), |(_, a)| a);
    (Some(authority) != host).then_some(origin)
}

/// Middleware of the JSON-RPC server: a non-`GET` request from a foreign
/// origin that `origins` does not allow is answered HTTP 403 with a JSON-RPC
/// error and never runs (a browser sends a `text/plain` POST without a
/// preflight, so CORS headers alone would not stop it from running).
pub async fn refuse_foreign_origins(
    State(origins): State<Arc<CorsOrigins>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::GET
        && request.method() != Method::OPTIONS
        && let Some(origin) = foreign_origin(&request).filter(|o| !origins.allows(o))
    {
        let body = serde_json::json!({
            "jsonrpc": "2.0",
            "id": null,
            "error": {"code": -32600, "message": format!("origin {origin} is not allowed (--rpc-cors-origins)")},
        });
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
    }
    next.run(request).await
}
