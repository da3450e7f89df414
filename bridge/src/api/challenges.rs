//! `GET /v1/challenges`, `GET /v1/challenges/{id}` and `POST /v1/challenges`:
//! the dispute games of the `DisputeGameFactory`, read from its views on L1
//! (with how each ended, from the indexer), and challenges on request through
//! the devnet's challenger.

use super::{
    Shared,
    extract::{self, ApiPath, ApiQuery},
    posted,
    types::{
        ChallengeItem, ChallengePage, ChallengeRequest, ChallengeRequested, ChallengerStakeJson,
        ClocksJson, GameListQuery, GameResultJson, MoveJson, PendingMidJson,
    },
};
use crate::{
    chain::CallError,
    error::{ApiError, ApiResult, ErrorBody},
    events::{RangeJson, side_name},
    store::Chain,
};
use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolError};
use axum::{Json, body::Bytes, extract::State, http::StatusCode};
use futures::{StreamExt, TryStreamExt};
use rollup_contracts::{DisputeGameFactory as Dgf, GameStatus, OutputOracle, Side};
use serde_json::Value;
use std::time::Duration;

/// How long `POST /v1/challenges` waits for the challenger to open the game.
const CHALLENGE_TIMEOUT: Duration = Duration::from_secs(120);
/// L1 calls in flight per request.
const CONCURRENCY: usize = 8;
/// Reads of a game retried when it moved while being read.
const READ_ATTEMPTS: usize = 3;

/// The configured factory, or 404 `no-dispute-game`.
fn factory(s: &Shared) -> ApiResult<Address> {
    s.config.dispute_game_factory.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no-dispute-game",
            "this rollup has no DisputeGameFactory configured: there are no dispute games",
        )
    })
}

/// A read-only call to the L1; reverts map through `on_revert` first.
async fn view<C: SolCall>(
    s: &Shared,
    to: Address,
    call: &C,
    on_revert: impl FnOnce(&[u8]) -> Option<ApiError>,
) -> ApiResult<C::Return> {
    match s.chains.call(Chain::L1, to, call).await {
        Ok(v) => Ok(v),
        Err(CallError::Revert(data)) => Err(on_revert(&data)
            .unwrap_or_else(|| CallError::Revert(data).into_api(Chain::L1, C::SIGNATURE))),
        Err(e) => Err(e.into_api(Chain::L1, C::SIGNATURE)),
    }
}

fn game_not_found(id: u64) -> impl FnOnce(&[u8]) -> Option<ApiError> {
    move |data| {
        data.starts_with(&Dgf::GameNotFound::SELECTOR)
            .then(|| ApiError::not_found(format!("no dispute game {id}")))
    }
}

const fn no_revert(_: &[u8]) -> Option<ApiError> {
    None
}

/// Reads game `id` and its moves (again if it moved meanwhile).
async fn read_game(s: &Shared, factory: Address, id: u64, budget: u64) -> ApiResult<ChallengeItem> {
    let game_id = U256::from(id);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let game =
            view(s, factory, &Dgf::getGameCall { gameId: game_id }, game_not_found(id)).await?;
        let count = view(s, factory, &Dgf::moveCountCall { gameId: game_id }, game_not_found(id))
            .await?
            .saturating_to::<u64>();
        let moves: Vec<Dgf::Move> = futures::stream::iter(0..count)
            .map(|i| async move {
                let call = Dgf::getMoveCall { gameId: game_id, i: U256::from(i) };
                view(s, factory, &call, no_revert).await
            })
            .buffered(CONCURRENCY)
            .try_collect()
            .await?;
        let again =
            view(s, factory, &Dgf::getGameCall { gameId: game_id }, game_not_found(id)).await?;
        if again == game || attempt >= READ_ATTEMPTS {
            return game_json(s, id, &again, &moves, budget).await;
        }
    }
}

/// The JSON of game `id`.
async fn game_json(
    s: &Shared,
    id: u64,
    g: &Dgf::Game,
    moves: &[Dgf::Move],
    budget: u64,
) -> ApiResult<ChallengeItem> {
    let game_status = GameStatus::try_from(g.status);
    let in_progress = game_status == Ok(GameStatus::InProgress);
    let status = match game_status {
        Ok(GameStatus::InProgress) => "in-progress",
        Ok(GameStatus::ProposerWon) => "proposer-won",
        Ok(GameStatus::ChallengerWon) => "challenger-won",
        Ok(GameStatus::Cancelled) => "cancelled",
        Err(_) => "unknown",
    };
    let is_proposer = |side: u8| Side::try_from(side) == Ok(Side::Proposer);
    let other = |side: u8| if is_proposer(side) { Side::Challenger } else { Side::Proposer } as u8;
    let used = |side: u8| if is_proposer(side) { g.proposerClock } else { g.challengerClock };
    let result = if matches!(game_status, Ok(GameStatus::ProposerWon | GameStatus::ChallengerWon)) {
        let row = s.store.game_result(id).await?;
        let row = row.unwrap_or_default();
        Some(GameResultJson {
            winner: side_name(g.status).into(),
            reason: row.reason,
            proven_root: row.proven.map(|(_, root)| root.to_string()),
            l1_tx_hash: row.winner.is_some().then(|| row.l1_tx_hash.to_string()),
        })
    } else {
        None
    };
    let moves_json = moves
        .iter()
        .map(|m| {
            let posted = m.midBlock != 0;
            MoveJson {
                side: side_name(m.side).into(),
                agreed: m.agreed,
                lo: m.lo,
                hi: m.hi,
                mid_block: posted.then_some(m.midBlock),
                mid_root: posted.then(|| m.midRoot.to_string()),
                timestamp: m.timestamp,
            }
        })
        .collect();
    Ok(ChallengeItem {
        id,
        output_index: g.outputIndex.saturating_to(),
        // The first move never narrows the range (nothing is pending yet).
        l2_block: moves.first().map_or(g.hi, |m| m.hi),
        challenger: g.challenger.to_string(),
        status: status.into(),
        range: RangeJson { lo: g.lo, hi: g.hi },
        agreed_root: g.loRoot.to_string(),
        disputed_root: g.hiRoot.to_string(),
        disputed_by: side_name(g.hiClaimant).into(),
        counter_root: g.counterRoot.to_string(),
        pending: g.hasPending.then(|| PendingMidJson {
            block: g.pendingBlock,
            root: g.pendingRoot.to_string(),
            // The side that moved last.
            by: side_name(other(g.turn)).into(),
        }),
        turn: in_progress.then(|| side_name(g.turn).into()),
        clocks: ClocksJson {
            proposer_used_secs: g.proposerClock,
            challenger_used_secs: g.challengerClock,
            budget_secs: budget,
            turn_deadline: in_progress
                .then(|| g.lastMoveAt.saturating_add(budget).saturating_sub(used(g.turn))),
        },
        moves: moves_json,
        result,
        created_at: created_at(g, moves),
    })
}

/// The L1 timestamp of the challenge. Each move charges its side's clock
/// with the time since the previous move (the first one: since the
/// challenge), so the first mover's clock gives it back exactly.
fn created_at(g: &Dgf::Game, moves: &[Dgf::Move]) -> u64 {
    let Some(first) = moves.first() else { return g.lastMoveAt };
    let later: u64 = moves
        .windows(2)
        .filter(|w| w[1].side == first.side)
        .map(|w| w[1].timestamp.saturating_sub(w[0].timestamp))
        .sum();
    let clock = if Side::try_from(first.side) == Ok(Side::Proposer) {
        g.proposerClock
    } else {
        g.challengerClock
    };
    first.timestamp.saturating_add(later).saturating_sub(clock)
}

async fn clock_seconds(s: &Shared, factory: Address) -> ApiResult<u64> {
    view(s, factory, &Dgf::clockSecondsCall {}, no_revert).await
}

/// Dispute games, newest first, and (on the devnet) the bond capital its
/// challenger has at risk.
///
/// `?cursor=` is the `next_cursor` of the previous page (the games are read
/// from the `DisputeGameFactory` on L1; how they ended from the indexer).
#[utoipa::path(
    get,
    path = "/v1/challenges",
    operation_id = "listChallenges",
    tag = "challenges",
    params(GameListQuery),
    responses(
        (status = 200, body = ChallengePage),
        (status = 400, description = "Invalid `limit` or `cursor`", body = ErrorBody),
        (status = 404, description = "`no-dispute-game`: no DisputeGameFactory is configured", body = ErrorBody),
        (status = 503, description = "The L1 does not answer", body = ErrorBody),
    )
)]
pub(crate) async fn list(
    State(s): State<Shared>,
    ApiQuery(q): ApiQuery<GameListQuery>,
) -> ApiResult<Json<ChallengePage>> {
    let factory = factory(&s)?;
    let limit = posted::limit(q.limit.as_deref())?;
    let cursor = match q.cursor.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) => Some(c.parse::<u64>().map_err(|_| {
            ApiError::bad_request(
                "invalid-cursor",
                format!("`cursor` {c:?} is not a cursor this API returned"),
            )
        })?),
    };
    let count = view(&s, factory, &Dgf::gameCountCall {}, no_revert).await?.saturating_to::<u64>();
    let start = cursor.map_or(count, |c| c.min(count));
    let ids: Vec<u64> = (start.saturating_sub(limit)..start).rev().collect();
    let budget = if ids.is_empty() { 0 } else { clock_seconds(&s, factory).await? };
    let items: Vec<ChallengeItem> = futures::stream::iter(ids.iter().copied())
        .map(|id| read_game(&s, factory, id, budget))
        .buffered(2)
        .try_collect()
        .await?;
    let next_cursor = match ids.last() {
        Some(&last) if last > 0 => Some(last.to_string()),
        _ => None,
    };
    let challenger = match &s.config.devnet {
        Some(devnet) => devnet.challenger_stake().await.map(|stake| ChallengerStakeJson {
            bonds_at_risk_wei: stake.bonds_at_risk_wei.to_string(),
            open_games: stake.open_games,
            disputed_output: stake.disputed_output,
        }),
        None => None,
    };
    Ok(Json(ChallengePage { items, next_cursor, challenger }))
}

/// One dispute game: both claims, the bisection range now, every move, the
/// clocks and the result.
#[utoipa::path(
    get,
    path = "/v1/challenges/{id}",
    operation_id = "getChallenge",
    tag = "challenges",
    params(("id" = u64, Path, minimum = 0, maximum = 2147483647, description = "Game id (0, 1, ...)")),
    responses(
        (status = 200, body = ChallengeItem),
        (status = 400, description = "Not a game id", body = ErrorBody),
        (status = 404, description = "No such game (`not-found`), or no DisputeGameFactory (`no-dispute-game`)", body = ErrorBody),
        (status = 503, description = "The L1 does not answer", body = ErrorBody),
    )
)]
pub(crate) async fn get(
    State(s): State<Shared>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ChallengeItem>> {
    let id = id.trim().parse::<u64>().map_err(|_| {
        ApiError::bad_request(
            "invalid-id",
            format!("a game id is a non-negative integer, got {id:?}"),
        )
    })?;
    let factory = factory(&s)?;
    let budget = clock_seconds(&s, factory).await?;
    read_game(&s, factory, id, budget).await.map(Json)
}

/// The `output_index` of a `POST /v1/challenges` body (400 when malformed).
fn output_index(body: &[u8]) -> ApiResult<u64> {
    let body: Value = extract::json_body(body)?;
    let Value::Object(fields) = body else {
        return Err(ApiError::bad_request(
            "invalid-body",
            "the body must be a JSON object: {\"output_index\": n}",
        ));
    };
    let Some(value) = fields.get("output_index") else {
        return Err(ApiError::bad_request("missing-field", "missing field `output_index`"));
    };
    let index = match value {
        Value::Number(n) => extract::integer(n),
        Value::String(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            v.parse().ok()
        }
        _ => None,
    };
    index.ok_or_else(|| {
        ApiError::bad_request(
            "invalid-output-index",
            format!("`output_index` must be a non-negative integer, got {value}"),
        )
    })
}

/// Disputes an output now (devnet): the devnet's challenger opens a dispute
/// game about it.
///
/// Checked on L1 first: the output must exist, not be final and not be
/// disputed already (409). The answer is 201 with the game id once the game
/// is open, or 202 when the challenger accepted but the game is not visible
/// on L1 yet.
#[utoipa::path(
    post,
    path = "/v1/challenges",
    operation_id = "createChallenge",
    tag = "challenges",
    request_body = ChallengeRequest,
    responses(
        (status = 201, description = "The game is open", body = ChallengeRequested),
        (status = 202, description = "The challenger is opening the game", body = ChallengeRequested),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 404, description = "`no-dispute-game`: no DisputeGameFactory is configured", body = ErrorBody),
        (status = 409, description = "`output-not-found`, `output-final`, `already-challenged`, or the challenger refused (`challenge-failed`)", body = ErrorBody),
        (status = 503, description = "No challenger to ask (`devnet-only`), or the L1 does not answer", body = ErrorBody),
        (status = 504, description = "The challenger did not open the game in time", body = ErrorBody),
    )
)]
pub(crate) async fn create(
    State(s): State<Shared>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ChallengeRequested>)> {
    let index = output_index(&body)?;
    let factory = factory(&s)?;
    let oracle = s.config.output_oracle;
    let at = U256::from(index);
    let count = view(&s, oracle, &OutputOracle::outputCountCall {}, no_revert).await?;
    if at >= count {
        return Err(ApiError::conflict(
            "output-not-found",
            format!("there is no output {index} on L1 ({count} outputs)"),
        ));
    }
    if view(&s, oracle, &OutputOracle::isFinalCall { index: at }, no_revert).await? {
        return Err(ApiError::conflict(
            "output-final",
            format!("output {index} is final: it can no longer be challenged"),
        ));
    }
    let active = view(&s, factory, &Dgf::activeGameCall { outputIndex: at }, no_revert).await?;
    if active.active {
        return Err(ApiError::conflict(
            "already-challenged",
            format!("output {index} is already disputed by game {}", active.gameId),
        ));
    }
    let Some(devnet) = s.config.devnet.clone() else {
        return Err(ApiError::unavailable(
            "devnet-only",
            "this bridge has no challenger to ask (devnet only): call \
             DisputeGameFactory.challenge on L1 yourself",
        ));
    };
    tracing::info!(target: "bridge::api", output = index, "challenge requested");
    match tokio::time::timeout(CHALLENGE_TIMEOUT, devnet.request_challenge(index)).await {
        Ok(Ok(())) => {}
        Ok(Err(message)) => {
            return Err(ApiError::conflict(
                "challenge-failed",
                format!("the challenger did not dispute output {index}: {message}"),
            ));
        }
        Err(_) => {
            return Err(ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "timeout",
                format!("the challenger did not open a game within {CHALLENGE_TIMEOUT:?}"),
            ));
        }
    }
    let active = view(&s, factory, &Dgf::activeGameCall { outputIndex: at }, no_revert).await?;
    let (status, code, game_id) = if active.active {
        (StatusCode::CREATED, "challenge-opened", Some(active.gameId.saturating_to()))
    } else {
        (StatusCode::ACCEPTED, "challenge-requested", None)
    };
    Ok((status, Json(ChallengeRequested { output_index: index, status: code.into(), game_id })))
}
