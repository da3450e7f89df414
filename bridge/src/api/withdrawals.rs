//! `POST /v1/withdrawals`, `GET /v1/withdrawals/{withdrawal_hash}` and
//! `POST /v1/withdrawals/{withdrawal_hash}/finalize`.
//!
//! A withdrawal is proven against the earliest live output whose L2 block is
//! at or after the withdrawal's: the leaves are the indexed withdrawal hashes
//! of the L2 blocks up to the output's, in nonce order; the rebuilt root must
//! equal that L2 header's `withdrawalsRoot`, and the preimage
//! `(stateRoot, withdrawalsRoot, blockHash)` must hash to the output root the
//! `OutputOracle` holds on L1.

use super::{
    L1_RECEIPT_TIMEOUT, L2_RECEIPT_TIMEOUT, Shared,
    extract::{self, ApiJson, ApiPath},
    rejected, revert_name,
    schema::Hash32,
    send_error,
    types::{
        FinalizeResponse, OutputRootProofJson, WithdrawalBody, WithdrawalCreated, WithdrawalJson,
        WithdrawalProof, WithdrawalRequest, WithdrawalStatus,
    },
};
use crate::{
    chain::{Inclusion, revert_data},
    error::{ApiError, ApiResult, ErrorBody},
    indexer::withdrawal_from_log,
    store::{Chain, OutputRow, WithdrawalRow},
};
use alloy::{rpc::types::TransactionRequest, sol_types::SolEvent};
use alloy_primitives::{B256, Bytes, U256};
use alloy_sol_types::SolCall;
use axum::{Json, extract::State, http::StatusCode};
use rollup_contracts::{Bridge, L2_TO_L1_MESSAGE_PASSER, L2ToL1MessagePasser, OutputOracle};
use rollup_protocol::{
    OutputRootPreimage, verify_withdrawal_proof, withdrawal_proof, withdrawals_root,
};

/// Gas limit of the L1 call of withdrawals the API initiates.
const WITHDRAWAL_GAS_LIMIT: u64 = 100_000;

/// Initiates a withdrawal from L2 to L1.
///
/// With `from`, `to`, `amount`: the API signs an L2
/// `L2ToL1MessagePasser.initiateWithdrawal(to, 100000, "")` with
/// `value = amount` for the dev account `from`. With `signed_tx`: relays the
/// user-signed L2 transaction, which must call the message passer. Either way
/// it waits for the L2 receipt and answers with the withdrawal hash.
#[utoipa::path(
    post,
    path = "/v1/withdrawals",
    operation_id = "createWithdrawal",
    tag = "withdrawals",
    request_body(
        content = WithdrawalBody,
        example = json!({
            "from": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            "to": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            "amount": "50000000000000000"
        })
    ),
    responses(
        (status = 201, description = "Initiated on L2", body = WithdrawalCreated),
        (status = 400, description = "Malformed JSON (`invalid-json`), a malformed field (`invalid-address`, `invalid-amount`), `unknown-signer` (`from` is not an account this API signs for) or `ambiguous-body`", body = ErrorBody),
        (status = 409, description = "The L2 refused the transaction for the state it is in (`tx-rejected`: insufficient funds, nonce), dropped it from its pool without including it (`tx-dropped`), or it reverted (`reverted`)", body = ErrorBody),
        (status = 422, description = "Missing or mistyped fields (`missing-field`, `invalid-body`), a `signed_tx` that is not a transaction to the message passer on this L2 (`invalid-signed-tx`, `wrong-chain`, `wrong-target`), or a transaction that initiated no withdrawal (`not-a-withdrawal`)", body = ErrorBody),
        (status = 503, description = "The L2 does not answer", body = ErrorBody),
        (status = 504, description = "Not included on L2 in time", body = ErrorBody),
    )
)]
pub(crate) async fn create(
    State(s): State<Shared>,
    ApiJson(req): ApiJson<WithdrawalRequest>,
) -> ApiResult<(StatusCode, Json<WithdrawalCreated>)> {
    let hash = if let Some(raw) = &req.signed_tx {
        if req.from.is_some() || req.to.is_some() || req.amount.is_some() {
            return Err(ApiError::bad_request(
                "ambiguous-body",
                "give either `signed_tx` or `from`, `to` and `amount`, not both",
            ));
        }
        let tx = extract::signed_tx(
            raw,
            s.config.l2_chain_id,
            L2_TO_L1_MESSAGE_PASSER,
            "the L2ToL1MessagePasser",
        )?;
        let hash =
            s.chains.send_raw(Chain::L2, &tx.raw).await.map_err(|e| rejected(Chain::L2, &e))?;
        tracing::info!(target: "bridge::api", %hash, from = %tx.from, "relayed a signed withdrawal");
        hash
    } else {
        let from = extract::address("from", extract::required("from", &req.from)?)?;
        let to = extract::address("to", extract::required("to", &req.to)?)?;
        let amount = extract::amount(extract::required("amount", &req.amount)?)?;
        if !s.dev.contains(&from) {
            return Err(ApiError::bad_request(
                "unknown-signer",
                format!("{from} is not an account this API signs for: send a `signed_tx` instead"),
            ));
        }
        let call = L2ToL1MessagePasser::initiateWithdrawalCall {
            target: to,
            gasLimit: U256::from(WITHDRAWAL_GAS_LIMIT),
            data: Bytes::new(),
        };
        let tx = TransactionRequest::default()
            .from(from)
            .to(L2_TO_L1_MESSAGE_PASSER)
            .value(amount)
            .input(call.abi_encode().into());
        let hash = s.chains.send(Chain::L2, tx).await.map_err(|e| send_error(Chain::L2, e))?;
        tracing::info!(target: "bridge::api", %hash, %from, %to, %amount, "sent a withdrawal");
        hash
    };
    let inclusion = s
        .chains
        .wait_inclusion(Chain::L2, hash, L2_RECEIPT_TIMEOUT)
        .await
        .map_err(|e| ApiError::rpc(Chain::L2, &e))?;
    let receipt = match inclusion {
        Inclusion::Included(receipt) => receipt,
        Inclusion::Dropped => {
            tracing::warn!(target: "bridge::api", %hash, "the L2 dropped a withdrawal transaction");
            return Err(ApiError::conflict(
                "tx-dropped",
                format!(
                    "the L2 accepted transaction {hash} into its pool, then dropped it without \
                     including it (its nonce was taken first, e.g. by a deposit from the same \
                     account); send the withdrawal again"
                ),
            ));
        }
        Inclusion::Pending => {
            return Err(ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "timeout",
                format!("L2 transaction {hash} was not included within {L2_RECEIPT_TIMEOUT:?}"),
            ));
        }
    };
    if !receipt.succeeded() {
        return Err(ApiError::conflict(
            "reverted",
            format!("the L2 transaction {hash} reverted in block {}", receipt.block_number),
        ));
    }
    let log = receipt
        .logs
        .iter()
        .find(|log| {
            log.address() == L2_TO_L1_MESSAGE_PASSER
                && log.topic0() == Some(&L2ToL1MessagePasser::MessagePassed::SIGNATURE_HASH)
        })
        .ok_or_else(|| {
            ApiError::unprocessable(
                "not-a-withdrawal",
                format!("L2 transaction {hash} succeeded but initiated no withdrawal"),
            )
        })?;
    let row = withdrawal_from_log(log)
        .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, "upstream-error", e.to_string()))?;
    s.store.put_withdrawal(&row).await?;
    Ok((
        StatusCode::CREATED,
        Json(WithdrawalCreated {
            l2_tx_hash: hash.to_string(),
            withdrawal_hash: row.hash.to_string(),
            status: "initiated".into(),
            nonce: row.message.nonce.saturating_to(),
            l2_block: row.l2_block,
        }),
    ))
}

/// The status of a withdrawal and, once an output covers it, its proof.
#[utoipa::path(
    get,
    path = "/v1/withdrawals/{withdrawal_hash}",
    operation_id = "getWithdrawal",
    tag = "withdrawals",
    params(("withdrawal_hash" = Hash32, Path, description = "The withdrawal hash")),
    responses(
        (status = 200, body = WithdrawalStatus),
        (status = 400, description = "Not a 32-byte hex hash", body = ErrorBody),
        (status = 404, description = "Unknown withdrawal", body = ErrorBody),
        (status = 409, description = "The covering output does not match the L2 chain", body = ErrorBody),
        (status = 503, description = "The L1 or L2 does not answer", body = ErrorBody),
    )
)]
pub(crate) async fn get(
    State(s): State<Shared>,
    ApiPath(hash): ApiPath<String>,
) -> ApiResult<Json<WithdrawalStatus>> {
    let hash = extract::hash("the withdrawal hash", &hash)?;
    let row = known(&s, hash).await?;
    let finalized_tx = finalized(&s, hash).await?;
    let output = s.store.covering_output(row.l2_block).await?;
    let window = s.challenge_window();
    let (status, proof) = match (&output, finalized_tx) {
        (_, Some(_)) => ("finalized", None),
        (None, None) => ("initiated", None),
        (Some(output), None) => {
            let proof = if s.indexer.l2_indexed_through(output.l2_block) {
                Some(prove(&s, &row, output).await?.json())
            } else {
                None
            };
            let status = if is_final(&s, output.index).await? {
                "ready-to-finalize"
            } else {
                "waiting-to-finalize"
            };
            (status, proof)
        }
    };
    let m = &row.message;
    Ok(Json(WithdrawalStatus {
        withdrawal_hash: hash.to_string(),
        status: status.into(),
        from: m.sender.to_string(),
        to: m.target.to_string(),
        amount: m.value.to_string(),
        l2_block: row.l2_block,
        l2_tx_hash: row.l2_tx_hash.to_string(),
        withdrawal: WithdrawalJson {
            nonce: m.nonce.saturating_to(),
            sender: m.sender.to_string(),
            target: m.target.to_string(),
            value: m.value.to_string(),
            gas_limit: m.gas_limit.to_string(),
            data: m.data.to_string(),
        },
        output_index: output.as_ref().map(|o| o.index),
        finalizable_at: output.as_ref().map(|o| o.timestamp.saturating_add(window)),
        proof,
        finalized_l1_tx_hash: finalized_tx.flatten().map(|h| h.to_string()),
    }))
}

/// Finalizes a withdrawal on L1 (with the relayer) or returns the calldata.
///
/// With a relayer configured, the API sends `Bridge.finalizeWithdrawal(...)`
/// from it, waits for the L1 receipt and answers `finalized`; without one it
/// answers the calldata and the bridge address for the caller to send.
#[utoipa::path(
    post,
    path = "/v1/withdrawals/{withdrawal_hash}/finalize",
    operation_id = "finalizeWithdrawal",
    tag = "withdrawals",
    params(("withdrawal_hash" = Hash32, Path, description = "The withdrawal hash")),
    responses(
        (status = 200, body = FinalizeResponse),
        (status = 400, description = "Not a 32-byte hex hash", body = ErrorBody),
        (status = 404, description = "Unknown withdrawal", body = ErrorBody),
        (status = 409, description = "`not-final`, `already-finalized`, a proof mismatch or a revert", body = ErrorBody),
        (status = 503, description = "The L1 or L2 does not answer, or the indexer is behind", body = ErrorBody),
        (status = 504, description = "Not mined on L1 in time", body = ErrorBody),
    )
)]
pub(crate) async fn finalize(
    State(s): State<Shared>,
    ApiPath(hash): ApiPath<String>,
) -> ApiResult<Json<FinalizeResponse>> {
    let hash = extract::hash("the withdrawal hash", &hash)?;
    let row = known(&s, hash).await?;
    if finalized(&s, hash).await?.is_some() {
        return Err(already_finalized(hash));
    }
    let Some(output) = s.store.covering_output(row.l2_block).await? else {
        return Err(ApiError::conflict(
            "not-final",
            format!("no output covers L2 block {} of this withdrawal yet", row.l2_block),
        ));
    };
    if !is_final(&s, output.index).await? {
        return Err(ApiError::conflict(
            "not-final",
            format!(
                "output {} (L2 block {}) is in its challenge window until unix time {}",
                output.index,
                output.l2_block,
                output.timestamp.saturating_add(s.challenge_window())
            ),
        ));
    }
    if !s.indexer.l2_indexed_through(output.l2_block) {
        return Err(ApiError::unavailable(
            "indexer-behind",
            format!("the indexer has not reached L2 block {} yet; retry shortly", output.l2_block),
        ));
    }
    let proof = prove(&s, &row, &output).await?;
    let call = finalize_call(&row, &proof);
    let calldata: Bytes = call.abi_encode().into();
    let bridge = s.config.bridge;
    let Some(relayer) = s.relayer else {
        return Ok(Json(FinalizeResponse {
            status: "ready-to-finalize".into(),
            l1_tx_hash: None,
            to: bridge.to_string(),
            calldata: calldata.to_string(),
        }));
    };
    let tx = TransactionRequest::default().from(relayer).to(bridge).input(calldata.clone().into());
    let gas =
        s.chains.estimate_gas(Chain::L1, tx.clone()).await.map_err(|e| finalize_error(hash, &e))?;
    // Headroom: the withdrawal's call must get its full gas limit (EIP-150 63/64).
    let tx = tx.gas_limit(gas.saturating_mul(6) / 5 + 20_000);
    let l1_tx = s.chains.send(Chain::L1, tx.clone()).await.map_err(|e| match e {
        crate::chain::SendError::Rpc(e) => finalize_error(hash, &e),
        e => send_error(Chain::L1, e),
    })?;
    tracing::info!(target: "bridge::api", withdrawal = %hash, %l1_tx, "sent finalizeWithdrawal");
    let receipt = s
        .chains
        .wait_receipt(Chain::L1, l1_tx, L1_RECEIPT_TIMEOUT)
        .await
        .map_err(|e| ApiError::rpc(Chain::L1, &e))?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "timeout",
                format!("L1 transaction {l1_tx} was not mined within {L1_RECEIPT_TIMEOUT:?}"),
            )
        })?;
    if !receipt.succeeded() {
        // Replay it to learn why (another finalization may have won the race).
        let why = match s.chains.estimate_gas(Chain::L1, tx).await {
            Err(e) => return Err(finalize_error(hash, &e)),
            Ok(_) => "reverted".to_string(),
        };
        return Err(ApiError::conflict(
            "reverted",
            format!(
                "finalizeWithdrawal transaction {l1_tx} {why} in L1 block {}",
                receipt.block_number
            ),
        ));
    }
    Ok(Json(FinalizeResponse {
        status: "finalized".into(),
        l1_tx_hash: Some(l1_tx.to_string()),
        to: bridge.to_string(),
        calldata: calldata.to_string(),
    }))
}

/// The indexed withdrawal `hash`, or 404.
async fn known(s: &Shared, hash: B256) -> ApiResult<WithdrawalRow> {
    s.store
        .withdrawal(hash)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no withdrawal {hash} is known on L2")))
}

/// `Some(l1 tx)` when finalized: from the index, else from `Bridge.finalized`.
async fn finalized(s: &Shared, hash: B256) -> ApiResult<Option<Option<B256>>> {
    if let Some(f) = s.store.finalization(hash).await? {
        return Ok(Some(Some(f.l1_tx_hash)));
    }
    let done = s
        .chains
        .call(Chain::L1, s.config.bridge, &Bridge::finalizedCall { withdrawalHash: hash })
        .await
        .map_err(|e| e.into_api(Chain::L1, "Bridge.finalized"))?;
    Ok(done.then_some(None))
}

/// `OutputOracle.isFinal(index)` on L1.
async fn is_final(s: &Shared, index: u64) -> ApiResult<bool> {
    s.chains
        .call(
            Chain::L1,
            s.config.output_oracle,
            &OutputOracle::isFinalCall { index: U256::from(index) },
        )
        .await
        .map_err(|e| e.into_api(Chain::L1, "OutputOracle.isFinal"))
}

fn already_finalized(hash: B256) -> ApiError {
    ApiError::conflict("already-finalized", format!("withdrawal {hash} is already finalized"))
}

/// The API error of a `finalizeWithdrawal` the L1 refuses.
fn finalize_error(hash: B256, e: &alloy::transports::TransportError) -> ApiError {
    let Some(data) = revert_data(e) else { return rejected(Chain::L1, e) };
    let name = revert_name(&data);
    match name.as_str() {
        "AlreadyFinalized" => already_finalized(hash),
        "OutputNotFinal" => {
            ApiError::conflict("not-final", "the output is not final on L1 (OutputNotFinal)")
        }
        _ => ApiError::conflict("reverted", format!("finalizeWithdrawal reverts with {name}")),
    }
}

/// Builds and checks the proof of `w` against `output`.
async fn prove(s: &Shared, w: &WithdrawalRow, output: &OutputRow) -> ApiResult<Proof> {
    let leaves = s.store.withdrawal_leaves(output.l2_block).await?;
    if leaves.iter().enumerate().any(|(i, (nonce, _))| *nonce != i as u64) {
        return Err(ApiError::unavailable(
            "indexer-behind",
            format!(
                "the indexed withdrawals up to L2 block {} have gaps; retry shortly",
                output.l2_block
            ),
        ));
    }
    let hashes: Vec<B256> = leaves.into_iter().map(|(_, h)| h).collect();
    let leaf_index: u64 = w.message.nonce.saturating_to();
    if hashes.get(leaf_index as usize) != Some(&w.hash) {
        return Err(ApiError::conflict(
            "proof-mismatch",
            format!("withdrawal {} is not leaf {leaf_index} of the indexed withdrawals", w.hash),
        ));
    }
    let root = withdrawals_root(&hashes);
    let header = s
        .chains
        .header(Chain::L2, output.l2_block)
        .await
        .map_err(|e| ApiError::rpc(Chain::L2, &e))?
        .ok_or_else(|| {
            ApiError::conflict(
                "output-root-mismatch",
                format!(
                    "output {} is for L2 block {}, which the L2 does not have",
                    output.index, output.l2_block
                ),
            )
        })?;
    let header_root = header.withdrawals_root.unwrap_or_default();
    if header_root != root {
        return Err(ApiError::conflict(
            "proof-mismatch",
            format!(
                "the {} indexed withdrawals up to L2 block {} rebuild root {root}, but that block's header has withdrawalsRoot {header_root}",
                hashes.len(),
                output.l2_block
            ),
        ));
    }
    let preimage = OutputRootPreimage {
        state_root: header.state_root,
        withdrawals_root: root,
        block_hash: header.hash,
    };
    let on_l1 = s
        .chains
        .call(
            Chain::L1,
            s.config.output_oracle,
            &OutputOracle::getOutputCall { index: U256::from(output.index) },
        )
        .await
        .map_err(|e| match e {
            crate::chain::CallError::Revert(_) => ApiError::conflict(
                "output-changed",
                format!("output {} is no longer on L1 (deleted); retry shortly", output.index),
            ),
            e => e.into_api(Chain::L1, "OutputOracle.getOutput"),
        })?;
    if on_l1.l2BlockNumber != output.l2_block {
        return Err(ApiError::conflict(
            "output-changed",
            format!(
                "output {} on L1 is now for L2 block {}; retry shortly",
                output.index, on_l1.l2BlockNumber
            ),
        ));
    }
    let computed = preimage.output_root();
    if computed != on_l1.outputRoot {
        return Err(ApiError::conflict(
            "output-root-mismatch",
            format!(
                "output {} on L1 commits to {} for L2 block {}, but the L2 block (hash {}) gives output root {computed}: \
                 the output is wrong and cannot finalize withdrawals until it is replaced",
                output.index, on_l1.outputRoot, output.l2_block, header.hash
            ),
        ));
    }
    let merkle_proof = withdrawal_proof(&hashes, leaf_index as usize).unwrap_or_default();
    let leaf_count = hashes.len() as u64;
    if !verify_withdrawal_proof(root, w.hash, leaf_index, leaf_count, &merkle_proof) {
        return Err(ApiError::internal("the built Merkle proof does not verify"));
    }
    Ok(Proof {
        output_index: output.index,
        output_root: computed,
        l2_block: output.l2_block,
        preimage,
        leaf_index,
        leaf_count,
        merkle_proof,
    })
}

/// A checked withdrawal proof.
#[derive(Clone, Debug)]
struct Proof {
    output_index: u64,
    output_root: B256,
    l2_block: u64,
    preimage: OutputRootPreimage,
    leaf_index: u64,
    leaf_count: u64,
    merkle_proof: Vec<B256>,
}

impl Proof {
    fn json(&self) -> WithdrawalProof {
        WithdrawalProof {
            output_index: self.output_index,
            output_root: self.output_root.to_string(),
            l2_block: self.l2_block,
            output_root_proof: OutputRootProofJson {
                state_root: self.preimage.state_root.to_string(),
                withdrawals_root: self.preimage.withdrawals_root.to_string(),
                block_hash: self.preimage.block_hash.to_string(),
            },
            leaf_index: self.leaf_index,
            leaf_count: self.leaf_count,
            merkle_proof: self.merkle_proof.iter().map(ToString::to_string).collect(),
        }
    }
}

/// The `Bridge.finalizeWithdrawal` call of `w` with `proof`.
fn finalize_call(w: &WithdrawalRow, proof: &Proof) -> Bridge::finalizeWithdrawalCall {
    let m = &w.message;
    Bridge::finalizeWithdrawalCall {
        w: Bridge::Withdrawal {
            nonce: m.nonce,
            sender: m.sender,
            target: m.target,
            value: m.value,
            gasLimit: m.gas_limit,
            data: m.data.clone(),
        },
        outputIndex: U256::from(proof.output_index),
        rootProof: Bridge::OutputRootProof {
            stateRoot: proof.preimage.state_root,
            withdrawalsRoot: proof.preimage.withdrawals_root,
            blockHash: proof.preimage.block_hash,
        },
        leafIndex: U256::from(proof.leaf_index),
        leafCount: U256::from(proof.leaf_count),
        proof: proof.merkle_proof.clone(),
    }
}
