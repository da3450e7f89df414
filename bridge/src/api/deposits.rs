//! `POST /v1/deposits` and `GET /v1/deposits/{l1_tx_hash}`.

use super::{
    L1_RECEIPT_TIMEOUT, Shared,
    extract::{self, ApiJson, ApiPath},
    rejected,
    schema::Hash32,
    send_error,
    types::{DepositBody, DepositCreated, DepositRequest, DepositStatus},
};
use crate::{
    chain::RpcReceipt,
    error::{ApiError, ApiResult, ErrorBody},
    indexer::deposit_from_log,
    store::{Chain, DepositRow},
};
use alloy::{rpc::types::TransactionRequest, sol_types::SolEvent};
use alloy_primitives::B256;
use alloy_sol_types::{SolCall, SolInterface};
use axum::{Json, extract::State, http::StatusCode};
use rollup_contracts::Bridge;
use std::time::Duration;

/// How long a deposit lookup waits for the L2 before answering without it.
const L2_LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

/// Deposits ETH from L1 to L2.
///
/// With `from`, `to`, `amount`: the API signs `Bridge.depositETH(to)` with
/// `value = amount` for the dev account `from`, waits for the L1 receipt and
/// answers `l1-included` with the deposit index (or `pending` if the L1 did not
/// mine it within a minute). With `signed_tx`: relays the user-signed L1
/// transaction, which must call the bridge, and answers `pending`; poll
/// `GET /v1/deposits/{l1_tx_hash}`.
#[utoipa::path(
    post,
    path = "/v1/deposits",
    operation_id = "createDeposit",
    tag = "deposits",
    request_body(
        content = DepositBody,
        example = json!({
            "from": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            "to": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            "amount": "1000000000000000000"
        })
    ),
    responses(
        (status = 201, description = "Sent", body = DepositCreated),
        (status = 400, description = "Malformed JSON (`invalid-json`), a malformed field (`invalid-address`, `invalid-amount`), `unknown-signer` (`from` is not an account this API signs for), `unsupported-token` or `ambiguous-body`", body = ErrorBody),
        (status = 409, description = "The L1 refused the transaction for the state it is in (`tx-rejected`: insufficient funds, nonce) or it would revert (`reverted`)", body = ErrorBody),
        (status = 422, description = "Missing or mistyped fields (`missing-field`, `invalid-body`), or a `signed_tx` that is not a transaction to the bridge on this L1 (`invalid-signed-tx`, `wrong-chain`, `wrong-target`)", body = ErrorBody),
        (status = 503, description = "The L1 does not answer", body = ErrorBody),
    )
)]
pub(crate) async fn create(
    State(s): State<Shared>,
    ApiJson(req): ApiJson<DepositRequest>,
) -> ApiResult<(StatusCode, Json<DepositCreated>)> {
    if req.token.is_some() {
        return Err(ApiError::bad_request(
            "unsupported-token",
            "only ETH deposits are supported: leave out `token`",
        ));
    }
    if let Some(raw) = &req.signed_tx {
        if req.from.is_some() || req.to.is_some() || req.amount.is_some() {
            return Err(ApiError::bad_request(
                "ambiguous-body",
                "give either `signed_tx` or `from`, `to` and `amount`, not both",
            ));
        }
        let tx = extract::signed_tx(raw, s.config.l1_chain_id, s.config.bridge, "the L1 Bridge")?;
        let hash =
            s.chains.send_raw(Chain::L1, &tx.raw).await.map_err(|e| rejected(Chain::L1, &e))?;
        tracing::info!(target: "bridge::api", %hash, from = %tx.from, "relayed a signed deposit");
        return Ok((
            StatusCode::CREATED,
            Json(DepositCreated {
                l1_tx_hash: hash.to_string(),
                deposit_index: None,
                status: "pending".into(),
            }),
        ));
    }
    let from = extract::address("from", extract::required("from", &req.from)?)?;
    let to = extract::address("to", extract::required("to", &req.to)?)?;
    let amount = extract::amount(extract::required("amount", &req.amount)?)?;
    if !s.dev.contains(&from) {
        return Err(ApiError::bad_request(
            "unknown-signer",
            format!("{from} is not an account this API signs for: send a `signed_tx` instead"),
        ));
    }
    let tx = TransactionRequest::default()
        .from(from)
        .to(s.config.bridge)
        .value(amount)
        .input(Bridge::depositETHCall { to }.abi_encode().into());
    let hash = s.chains.send(Chain::L1, tx).await.map_err(|e| send_error(Chain::L1, e))?;
    tracing::info!(target: "bridge::api", %hash, %from, %to, %amount, "sent a deposit");
    let receipt = s
        .chains
        .wait_receipt(Chain::L1, hash, L1_RECEIPT_TIMEOUT)
        .await
        .map_err(|e| ApiError::rpc(Chain::L1, &e))?;
    let Some(receipt) = receipt else {
        return Ok((
            StatusCode::CREATED,
            Json(DepositCreated {
                l1_tx_hash: hash.to_string(),
                deposit_index: None,
                status: "pending".into(),
            }),
        ));
    };
    if !receipt.succeeded() {
        return Err(ApiError::conflict(
            "reverted",
            format!("the deposit transaction {hash} reverted in L1 block {}", receipt.block_number),
        ));
    }
    let rows = store_deposits(&s, &receipt).await?;
    let index = rows.first().map(|d| d.deposit.index);
    Ok((
        StatusCode::CREATED,
        Json(DepositCreated {
            l1_tx_hash: hash.to_string(),
            deposit_index: index,
            status: "l1-included".into(),
        }),
    ))
}

/// Parses and stores the bridge deposits of an L1 receipt.
async fn store_deposits(s: &Shared, receipt: &RpcReceipt) -> ApiResult<Vec<DepositRow>> {
    let mut rows = Vec::new();
    for log in &receipt.logs {
        if log.address() == s.config.bridge
            && log.topic0() == Some(&Bridge::TransactionDeposited::SIGNATURE_HASH)
        {
            let row = deposit_from_log(log).map_err(|e| {
                ApiError::new(StatusCode::BAD_GATEWAY, "upstream-error", e.to_string())
            })?;
            s.store.put_deposit(&row).await?;
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The status of the deposit made by an L1 transaction.
#[utoipa::path(
    get,
    path = "/v1/deposits/{l1_tx_hash}",
    operation_id = "getDeposit",
    tag = "deposits",
    params(("l1_tx_hash" = Hash32, Path, description = "Hash of the L1 deposit transaction")),
    responses(
        (status = 200, body = DepositStatus),
        (status = 400, description = "Not a 32-byte hex hash", body = ErrorBody),
        (status = 404, description = "No such deposit transaction", body = ErrorBody),
        (status = 503, description = "The L1 does not answer", body = ErrorBody),
    )
)]
pub(crate) async fn get(
    State(s): State<Shared>,
    ApiPath(hash): ApiPath<String>,
) -> ApiResult<Json<DepositStatus>> {
    let hash = extract::hash("the L1 transaction hash", &hash)?;
    let mut rows = s.store.deposits_by_tx(hash).await?;
    if rows.is_empty() {
        // Not indexed (yet): ask the L1.
        let receipt =
            s.chains.receipt(Chain::L1, hash).await.map_err(|e| ApiError::rpc(Chain::L1, &e))?;
        match receipt {
            Some(receipt) if receipt.succeeded() => {
                rows = store_deposits(&s, &receipt).await?;
                if rows.is_empty() {
                    return Err(not_a_deposit(hash));
                }
            }
            Some(receipt) => {
                let tx = s
                    .chains
                    .transaction(Chain::L1, hash)
                    .await
                    .map_err(|e| ApiError::rpc(Chain::L1, &e))?;
                return match tx {
                    Some(tx) if tx.to == Some(s.config.bridge) => Ok(Json(DepositStatus {
                        status: "failed".into(),
                        l1_block: Some(receipt.block_number.to()),
                        ..unmined(hash, &tx)
                    })),
                    _ => Err(not_a_deposit(hash)),
                };
            }
            None => {
                let tx = s
                    .chains
                    .transaction(Chain::L1, hash)
                    .await
                    .map_err(|e| ApiError::rpc(Chain::L1, &e))?;
                return match tx {
                    Some(tx) if tx.to == Some(s.config.bridge) => Ok(Json(unmined(hash, &tx))),
                    _ => Err(ApiError::not_found(format!("no deposit transaction {hash} on L1"))),
                };
            }
        }
    }
    let Some(mut row) = rows.into_iter().next() else { return Err(not_a_deposit(hash)) };
    // Only the indexer records credits (it announces them on `/v1/events`
    // once): until it has, ask the L2.
    if row.l2_block.is_none() {
        let l2_receipt =
            tokio::time::timeout(L2_LOOKUP_TIMEOUT, s.chains.receipt(Chain::L2, row.l2_tx_hash))
                .await;
        match l2_receipt {
            Ok(Ok(Some(receipt))) => {
                row.l2_block = Some(receipt.block_number.to());
            }
            Ok(Ok(None)) => {}
            // The L1 side is known: report it rather than fail.
            Ok(Err(e)) => {
                tracing::debug!(target: "bridge::api", %e, "L2 unreachable; deposit credit unknown");
            }
            Err(_) => tracing::debug!(target: "bridge::api", "L2 slow; deposit credit unknown"),
        }
    }
    let credited = row.l2_block.is_some();
    Ok(Json(DepositStatus {
        l1_tx_hash: hash.to_string(),
        status: if credited { "l2-credited" } else { "l1-included" }.into(),
        deposit_index: Some(row.deposit.index),
        from: Some(row.deposit.from.to_string()),
        to: Some(row.deposit.to.to_string()),
        amount: Some(row.deposit.mint.to_string()),
        l1_block: Some(row.l1_block),
        l2_block: row.l2_block,
        l2_tx_hash: credited.then(|| row.l2_tx_hash.to_string()),
    }))
}

fn not_a_deposit(hash: B256) -> ApiError {
    ApiError::not_found(format!("L1 transaction {hash} made no deposit"))
}

/// What a not (successfully) mined bridge transaction says about its deposit.
fn unmined(hash: B256, tx: &crate::chain::RpcTransaction) -> DepositStatus {
    let to = match Bridge::BridgeCalls::abi_decode(&tx.input) {
        Ok(Bridge::BridgeCalls::depositETH(c)) => Some(c.to.to_string()),
        Ok(Bridge::BridgeCalls::depositTransaction(c)) => Some(c.to.to_string()),
        _ => None,
    };
    DepositStatus {
        l1_tx_hash: hash.to_string(),
        status: "pending".into(),
        deposit_index: None,
        from: Some(tx.from.to_string()),
        to,
        amount: Some(tx.value.to_string()),
        l1_block: None,
        l2_block: None,
        l2_tx_hash: None,
    }
}
