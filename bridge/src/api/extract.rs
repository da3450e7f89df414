//! Request extractors whose rejections are JSON errors, and the parsers of
//! the API's field formats (0x-hex addresses and hashes, decimal wei).

use crate::error::{ApiError, ApiResult};
use alloy::{
    consensus::{Transaction, TxEnvelope, transaction::SignerRecoverable},
    eips::eip2718::Decodable2718,
};
use alloy_primitives::{Address, B256, Bytes, U256};
use axum::{
    body::Bytes as Body,
    extract::{FromRequest, FromRequestParts, Path, Query, Request},
    http::request::Parts,
};
use serde::de::DeserializeOwned;

/// A JSON body. Unlike `axum::Json` it does not insist on a content type and
/// rejects with the API's error shape: 400 `invalid-json` for bodies that are
/// not JSON, 422 `invalid-body` for JSON of the wrong shape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = Body::from_request(req, state)
            .await
            .map_err(|e| ApiError::new(e.status(), "invalid-body", e.body_text()))?;
        json_body(&body).map(Self)
    }
}

/// Parses a request body as [`ApiJson`] does.
pub(crate) fn json_body<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "invalid-json",
            "the request body is empty: expected a JSON object",
        ));
    }
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            ApiError::unprocessable("invalid-body", format!("invalid request body: {e}"))
        }
        _ => ApiError::bad_request(
            "invalid-json",
            format!("the request body is not valid JSON: {e}"),
        ),
    })
}

/// Query parameters, rejecting with 400 `invalid-query`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| Self(q))
            .map_err(|e| ApiError::bad_request("invalid-query", e.body_text()))
    }
}

/// Path parameters, rejecting with 400 `invalid-path`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ApiPath<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| Self(p))
            .map_err(|e| ApiError::bad_request("invalid-path", e.body_text()))
    }
}

/// A required body field: 422 `missing-field` when absent.
pub(crate) fn required<'a>(field: &str, value: &'a Option<String>) -> ApiResult<&'a str> {
    value
        .as_deref()
        .ok_or_else(|| ApiError::unprocessable("missing-field", format!("missing field `{field}`")))
}

/// A JSON number that is a non-negative integer, as JSON Schema's
/// `integer` type means it: `3` and `3.0` alike (2^53 at most as a float).
pub(crate) fn integer(n: &serde_json::Number) -> Option<u64> {
    n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= 9_007_199_254_740_992.0)
            .map(|f| f as u64)
    })
}

/// A 0x-prefixed 20-byte hex address.
pub(crate) fn address(field: &str, value: &str) -> ApiResult<Address> {
    let value = value.trim();
    if !(value.starts_with("0x") || value.starts_with("0X")) {
        return Err(invalid_address(field, value));
    }
    value.parse().map_err(|_| invalid_address(field, value))
}

fn invalid_address(field: &str, value: &str) -> ApiError {
    ApiError::bad_request(
        "invalid-address",
        format!("`{field}` must be a 0x-prefixed 20-byte hex address, got {value:?}"),
    )
}

/// A 0x-prefixed 32-byte hex hash.
pub(crate) fn hash(what: &str, value: &str) -> ApiResult<B256> {
    let value = value.trim();
    let ok = value.len() == 66 && value.starts_with("0x");
    ok.then(|| value.parse().ok()).flatten().ok_or_else(|| {
        ApiError::bad_request(
            "invalid-hash",
            format!("{what} must be a 0x-prefixed 32-byte hex hash, got {value:?}"),
        )
    })
}

/// A positive amount of wei as a decimal string.
pub(crate) fn amount(value: &str) -> ApiResult<U256> {
    let value = value.trim();
    let bad = || {
        ApiError::bad_request(
            "invalid-amount",
            format!(
                "`amount` must be a positive decimal integer of wei (e.g. \"1000000000000000000\"), got {value:?}"
            ),
        )
    };
    if value.is_empty() || value.len() > 78 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let amount = U256::from_str_radix(value, 10).map_err(|_| bad())?;
    if amount.is_zero() {
        return Err(bad());
    }
    Ok(amount)
}

/// A user-signed transaction (`signed_tx`): EIP-2718 bytes as 0x-hex.
#[derive(Debug, Clone)]
pub(crate) struct SignedTx {
    pub(crate) raw: Bytes,
    pub(crate) from: Address,
}

/// Decodes and checks `signed_tx`: a well-formed signed transaction for
/// `chain_id` that calls `expected_to`.
pub(crate) fn signed_tx(
    value: &str,
    chain_id: u64,
    expected_to: Address,
    what: &str,
) -> ApiResult<SignedTx> {
    let invalid = |why: String| ApiError::unprocessable("invalid-signed-tx", why);
    let raw: Bytes = value.trim().parse().map_err(|_| {
        invalid("`signed_tx` must be the 0x-hex of a signed EIP-2718 transaction".into())
    })?;
    let mut buf = raw.as_ref();
    let tx = TxEnvelope::decode_2718(&mut buf)
        .map_err(|e| invalid(format!("`signed_tx` does not decode as a transaction: {e}")))?;
    if !buf.is_empty() {
        return Err(invalid("`signed_tx` has trailing bytes after the transaction".into()));
    }
    if let Some(id) = tx.chain_id()
        && id != chain_id
    {
        return Err(ApiError::unprocessable(
            "wrong-chain",
            format!("`signed_tx` is signed for chain {id}, expected {chain_id}"),
        ));
    }
    let from = tx
        .recover_signer()
        .map_err(|e| invalid(format!("`signed_tx` has an invalid signature: {e}")))?;
    let to = tx.to();
    if to != Some(expected_to) {
        return Err(ApiError::unprocessable(
            "wrong-target",
            format!("`signed_tx` must call {what} at {expected_to}, it calls {to:?}"),
        ));
    }
    Ok(SignedTx { raw, from })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_positive_decimal_wei() {
        assert_eq!(amount("1").unwrap(), U256::from(1u64));
        assert_eq!(
            amount(" 1000000000000000000 ").unwrap(),
            U256::from(10u64).pow(U256::from(18u64))
        );
        for bad in ["", "0", "-1", "1.5", "0x10", "1e18", "abc", &"9".repeat(79)] {
            assert_eq!(amount(bad).unwrap_err().detail.code, "invalid-amount", "{bad}");
        }
        // Above 2^256 - 1.
        assert!(amount(&"9".repeat(78)).is_err());
    }

    #[test]
    fn integers_as_json_schema_means_them() {
        let n = |v: serde_json::Value| integer(v.as_number().unwrap());
        assert_eq!(n(serde_json::json!(3)), Some(3));
        assert_eq!(n(serde_json::json!(151.0)), Some(151));
        assert_eq!(n(serde_json::json!(1.5)), None);
        assert_eq!(n(serde_json::json!(-1)), None);
        assert_eq!(n(serde_json::json!(-1.0)), None);
        assert_eq!(n(serde_json::json!(1e300)), None);
    }

    #[test]
    fn addresses_and_hashes_need_0x_hex() {
        assert!(address("to", "0x0000000000000000000000000000000000000001").is_ok());
        assert!(address("to", "0000000000000000000000000000000000000001").is_err());
        assert!(address("to", "0x01").is_err());
        assert!(hash("hash", &format!("0x{}", "ab".repeat(32))).is_ok());
        assert!(hash("hash", &"ab".repeat(32)).is_err());
        assert!(hash("hash", "0x1234").is_err());
    }
}
