//! The REST API (axum): routes, shared state and the OpenAPI document.

mod challenges;
mod dashboard;
mod deposits;
mod devnet;
mod extract;
mod fees;
mod guard;
mod meta;
mod posted;
pub(crate) mod schema;
mod status;
mod stream;
mod types;
mod withdrawals;

use crate::{
    chain::{Chains, SendError, revert_data},
    config::BridgeConfig,
    error::{ApiError, ErrorBody, ErrorDetail},
    events::{self, EventBus},
    indexer::IndexerStatus,
    store::{Chain, Store},
};
use alloy_primitives::Address;
use axum::{
    Router,
    http::{Method, StatusCode, Uri},
    response::IntoResponse,
    routing::{delete, get, post},
};
use rollup_contracts::Bridge;
use std::{collections::HashSet, sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::OpenApi;

/// How long the API waits for an L1 receipt (the L1 mines every second).
const L1_RECEIPT_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the API waits for an L2 receipt (the L2 seals every 250 ms).
const L2_RECEIPT_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler shares.
#[derive(Debug)]
pub(crate) struct AppState {
    pub(crate) config: BridgeConfig,
    pub(crate) chains: Arc<Chains>,
    pub(crate) store: Store,
    pub(crate) indexer: Arc<IndexerStatus>,
    /// Accounts the API signs for.
    pub(crate) dev: HashSet<Address>,
    /// The relayer's account.
    pub(crate) relayer: Option<Address>,
    /// What the indexer announces (`GET /v1/events`).
    pub(crate) events: EventBus,
    /// Cancelled when the bridge stops (ends the event streams).
    pub(crate) shutdown: CancellationToken,
    /// The supervisors of the roles of this process, the bridge's included.
    pub(crate) roles: Vec<rollup_client::Supervisor>,
    /// Faults armed with a duration (`POST /v1/faults`).
    pub(crate) fault_timers: devnet::FaultTimers,
    /// What the batches' L1 transactions show (`GET /v1/batches`).
    pub(crate) batch_details: status::BatchDetailsCache,
}

impl AppState {
    /// The challenge window in force: the `OutputOracle`'s once read.
    pub(crate) fn challenge_window(&self) -> u64 {
        self.indexer.challenge_window.get().copied().unwrap_or(self.config.challenge_window_secs)
    }

    /// The proposer: the `OutputOracle`'s once read.
    pub(crate) fn proposer(&self) -> Address {
        self.indexer.proposer.get().copied().unwrap_or(self.config.proposer)
    }
}

pub(crate) type Shared = Arc<AppState>;

/// The OpenAPI document of the bridge API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Rollup bridge API",
        description = "Deposits (L1 to L2), withdrawals (L2 to L1) with their Merkle proofs, what \
                       the rollup posted to L1 (batches, outputs), the dispute games over its outputs, \
                       and a live stream of all of it (`GET /v1/events`). Amounts are decimal strings \
                       in wei; hashes and addresses are 0x-hex. Errors are \
                       `{\"error\": {\"code\", \"message\"}}`."
    ),
    paths(
        dashboard::index,
        dashboard::bench,
        meta::health,
        meta::config,
        status::status,
        deposits::create,
        deposits::get,
        withdrawals::create,
        withdrawals::get,
        withdrawals::finalize,
        posted::batches,
        posted::outputs,
        challenges::list,
        challenges::get,
        challenges::create,
        devnet::inject,
        devnet::list,
        devnet::lift,
        stream::events,
        fees::fees,
        meta::openapi,
        meta::docs,
    ),
    components(schemas(
        ErrorBody,
        ErrorDetail,
        types::HealthResponse,
        types::ConfigResponse,
        types::DepositBody,
        types::DevDepositRequest,
        types::SignedDepositRequest,
        types::DepositCreated,
        types::DepositStatus,
        types::WithdrawalBody,
        types::DevWithdrawalRequest,
        types::SignedWithdrawalRequest,
        types::WithdrawalCreated,
        types::WithdrawalStatus,
        types::WithdrawalJson,
        types::WithdrawalProof,
        types::OutputRootProofJson,
        types::FinalizeResponse,
        types::BatchItem,
        status::BatchDetails,
        dashboard::BenchSummary,
        status::StatusResponse,
        status::ChainHeads,
        status::HeadJson,
        status::PoolJson,
        types::BatchPage,
        types::OutputItem,
        types::OutputPage,
        types::ChallengeItem,
        types::ChallengePage,
        types::ChallengerStakeJson,
        types::PendingMidJson,
        types::ClocksJson,
        types::MoveJson,
        types::GameResultJson,
        types::ChallengeRequest,
        types::ChallengeRequested,
        types::FaultRequest,
        types::FaultState,
        types::FaultList,
        crate::faults::FaultKind,
        schema::Hash32,
        schema::Address,
        schema::Wei,
        schema::WeiAmount,
        schema::HexBytes,
        schema::SignedTxHex,
        schema::Cursor,
        schema::GameCursor,
        schema::Side,
        schema::HealthState,
        schema::DepositState,
        schema::DepositSentState,
        schema::WithdrawalState,
        schema::WithdrawalSentState,
        schema::FinalizeState,
        schema::OutputState,
        schema::GameState,
        schema::GameEndReason,
        schema::ChallengeRequestState,
        schema::FaultStatus,
        fees::FeesResponse,
        fees::TxCost,
        events::RangeJson,
        events::DepositEvent,
        events::BatchEvent,
        events::OutputEvent,
        events::OutputsDeletedEvent,
        events::WithdrawalEvent,
        events::WithdrawalFinalizedEvent,
        events::ChallengeOpenedEvent,
        events::ChallengeMoveEvent,
        events::ChallengeProvenEvent,
        events::ChallengeResolvedEvent,
        events::ChallengeCancelledEvent,
        events::OutputChallengedEvent,
        events::BondSlashedEvent,
        events::L2ReorgEvent,
        stream::LaggedEvent,
    )),
    tags(
        (name = "meta", description = "Health, configuration and this document"),
        (name = "deposits", description = "L1 to L2 ETH deposits"),
        (name = "withdrawals", description = "L2 to L1 withdrawals and their finalization"),
        (name = "posted", description = "Batches and outputs posted to L1"),
        (name = "challenges", description = "Dispute games over the outputs (DisputeGameFactory)"),
        (name = "events", description = "Live stream of what the bridge indexes (Server-Sent Events)"),
        (name = "devnet", description = "Devnet-only controls: fault injection and lifting"),
    )
)]
pub(crate) struct ApiDoc;

/// The API's routes over `state`.
pub(crate) fn router(state: Shared) -> Router {
    let guard = Arc::new(guard::Guard {
        server: state.config.server.clone(),
        relayer: state.relayer.is_some(),
    });
    Router::new()
        .route("/", get(dashboard::index))
        .route("/dashboard/app.js", get(dashboard::app_js))
        .route("/dashboard/app.css", get(dashboard::app_css))
        .route("/v1/bench", get(dashboard::bench))
        .route("/health", get(meta::health))
        .route("/v1/config", get(meta::config))
        .route("/v1/status", get(status::status))
        .route("/v1/deposits", post(deposits::create))
        .route("/v1/deposits/{l1_tx_hash}", get(deposits::get))
        .route("/v1/withdrawals", post(withdrawals::create))
        .route("/v1/withdrawals/{withdrawal_hash}", get(withdrawals::get))
        .route("/v1/withdrawals/{withdrawal_hash}/finalize", post(withdrawals::finalize))
        .route("/v1/batches", get(posted::batches))
        .route("/v1/outputs", get(posted::outputs))
        .route("/v1/challenges", get(challenges::list).post(challenges::create))
        .route("/v1/challenges/{id}", get(challenges::get))
        .route("/v1/faults", get(devnet::list).post(devnet::inject))
        .route("/v1/faults/{kind}", delete(devnet::lift))
        .route("/v1/events", get(stream::events))
        .route("/v1/fees", get(fees::fees))
        .route("/openapi.json", get(meta::openapi))
        .route("/docs", get(meta::docs))
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .merge(meta::swagger_ui_assets())
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!(target: "bridge", "handler panicked");
            ApiError::internal("internal error").into_response()
        }))
        // The guard reads the body; the extractors need no limit of their own.
        .layer(axum::extract::DefaultBodyLimit::disable())
        // CORS (reads open to all, state changes to --cors-origins), body
        // limit, --api-token.
        .layer(axum::middleware::from_fn_with_state(guard, guard::guard))
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route for {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}

/// The name of the custom error a contract reverted with (`Bridge` errors,
/// or a Solidity `Error(string)`), or the selector when unknown.
pub(crate) fn revert_name(data: &[u8]) -> String {
    let Some(selector) = data.get(..4).and_then(|s| <[u8; 4]>::try_from(s).ok()) else {
        return "a revert without data".into();
    };
    Bridge::BridgeErrors::name_by_selector(selector)
        .map(str::to_string)
        .or_else(|| alloy_sol_types::decode_revert_reason(data))
        .unwrap_or_else(|| format!("unknown error 0x{}", alloy_primitives::hex::encode(selector)))
}

/// The API error of a transaction the API failed to send on `chain`.
pub(crate) fn send_error(chain: Chain, e: SendError) -> ApiError {
    match e {
        SendError::NoSigner => {
            ApiError::bad_request("unknown-signer", "this API holds no key for that account")
        }
        SendError::Rpc(e) => rejected(chain, &e),
    }
}

/// The API error of a transaction `chain` refused: 409 `reverted` with the
/// custom error when it would revert, 409 `tx-rejected` with the node's
/// message when the chain's state refuses it (nonce, funds, fees: the
/// request was well formed), 503 when the chain is unreachable.
pub(crate) fn rejected(chain: Chain, e: &alloy::transports::TransportError) -> ApiError {
    if let Some(data) = revert_data(e) {
        return ApiError::conflict(
            "reverted",
            format!("the {} transaction would revert with {}", chain.label(), revert_name(&data)),
        );
    }
    match e.as_error_resp() {
        Some(payload) => ApiError::conflict(
            "tx-rejected",
            format!("the {} node rejected the transaction: {}", chain.label(), payload.message),
        ),
        None => ApiError::rpc(chain, e),
    }
}
