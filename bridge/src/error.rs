//! Errors: [`BridgeError`] for starting the service, and the API's error
//! responses (`{"error": {"code", "message"}}`).

use crate::store::Chain;
use alloy::transports::{RpcError, TransportError};
use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use rollup_db::DbError;
use serde::Serialize;
use std::{borrow::Cow, net::SocketAddr};
use utoipa::ToSchema;

/// Errors starting the bridge service.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// The database is unreachable or its migrations failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// An RPC URL does not parse.
    #[error("invalid RPC url {0:?}")]
    Url(String),
    /// The API port could not be bound.
    #[error("cannot bind the bridge API on {addr}: {source}")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
}

/// Result alias of the bridge service.
pub type Result<T, E = BridgeError> = std::result::Result<T, E>;

/// The body of every error response.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// What went wrong.
    pub(crate) error: ErrorDetail,
}

/// A machine-readable code and a human-readable message.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct ErrorDetail {
    /// Stable kebab-case code, e.g. `invalid-amount`, `not-found`, `not-final`.
    #[schema(example = "not-found")]
    pub(crate) code: Cow<'static, str>,
    /// Explanation for people.
    pub(crate) message: String,
}

/// An error answered by the API.
#[derive(Clone, Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) detail: ErrorDetail,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self { status, detail: ErrorDetail { code: code.into(), message: message.into() } }
    }

    /// 400: the request is malformed or names something invalid.
    pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 422: well-formed JSON with missing or mistyped fields.
    pub(crate) fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 404.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", message)
    }

    /// 409: the request conflicts with the state of the chains.
    pub(crate) fn conflict(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 503: a chain or the indexer cannot answer now; retry later.
    pub(crate) fn unavailable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
    }

    /// 500: a fault of this service.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// A failed RPC call to `chain` that is not the caller's fault: 503 when
    /// the chain does not answer, 502 when it answers an error or garbage.
    pub(crate) fn rpc(chain: Chain, e: &TransportError) -> Self {
        let name = chain.label();
        match e {
            RpcError::Transport(_) => {
                Self::unavailable(chain.unavailable_code(), format!("{name} RPC unreachable: {e}"))
            }
            _ => Self::new(StatusCode::BAD_GATEWAY, "upstream-error", format!("{name} RPC: {e}")),
        }
    }
}

impl Chain {
    pub(crate) const fn label(self) -> &'static str {
        match self {
            Self::L1 => "L1",
            Self::L2 => "L2",
        }
    }

    pub(crate) const fn unavailable_code(self) -> &'static str {
        match self {
            Self::L1 => "l1-unavailable",
            Self::L2 => "l2-unavailable",
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        tracing::error!(target: "bridge", %e, "database error");
        Self::internal(format!("bridge database: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody { error: self.detail })).into_response()
    }
}

/// Result of an API handler.
pub(crate) type ApiResult<T> = std::result::Result<T, ApiError>;
