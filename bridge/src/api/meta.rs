//! `GET /health`, `GET /v1/config`, `GET /openapi.json`, `GET /docs`.

use super::{
    ApiDoc, AppState, Shared,
    types::{ConfigResponse, HealthResponse},
};
use crate::{error::ApiError, store::Chain};
use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};
use rollup_contracts::L2_TO_L1_MESSAGE_PASSER;
use serde_json::{Value, json};
use std::{sync::atomic::Ordering, time::Duration};
use utoipa::OpenApi;

/// How long `/health` waits for each chain.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(3);

/// Liveness of the bridge and the chains it depends on.
#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    tag = "meta",
    responses(
        (status = 200, description = "The L1 and the L2 answer", body = HealthResponse),
        (status = 503, description = "The L1 or the L2 does not answer", body = HealthResponse),
    )
)]
pub(crate) async fn health(State(s): State<Shared>) -> Response {
    let chains = &s.chains;
    let head = |chain| async move {
        match tokio::time::timeout(HEALTH_TIMEOUT, chains.head(chain)).await {
            Ok(Ok(n)) => Ok(n),
            Ok(Err(e)) => Err(ApiError::rpc(chain, &e)),
            Err(_) => Err(ApiError::unavailable(
                chain.unavailable_code(),
                format!("{} RPC did not answer within {HEALTH_TIMEOUT:?}", chain.label()),
            )),
        }
    };
    let (l1, l2) = tokio::join!(head(Chain::L1), head(Chain::L2));
    let indexed = |next: u64| next.checked_sub(1);
    let error = match (&l1, &l2) {
        (Err(e), _) | (_, Err(e)) => Some(e.detail.clone()),
        // A role task of this process that ended: the role is down.
        _ => s.roles.iter().find_map(rollup_client::Supervisor::down).map(|exit| {
            crate::error::ErrorDetail { code: "role-down".into(), message: exit.to_string() }
        }),
    };
    let body = HealthResponse {
        status: if error.is_none() { "ok" } else { "unavailable" },
        l1_block: l1.ok(),
        l2_block: l2.ok(),
        l1_indexed_block: indexed(s.indexer.l1_next.load(Ordering::Acquire)),
        l2_indexed_block: indexed(s.indexer.l2_next.load(Ordering::Acquire)),
        error,
    };
    let status =
        if body.error.is_none() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

/// Chain ids, RPC URLs, contract addresses and protocol parameters.
#[utoipa::path(
    get,
    path = "/v1/config",
    operation_id = "getConfig",
    tag = "meta",
    responses((status = 200, body = ConfigResponse))
)]
pub(crate) async fn config(State(s): State<Shared>) -> Json<ConfigResponse> {
    let c = &s.config;
    Json(ConfigResponse {
        l1_chain_id: c.l1_chain_id,
        l2_chain_id: c.l2_chain_id,
        l1_rpc_url: c.l1_rpc_url.clone(),
        l2_rpc_url: c.l2_rpc_url.clone(),
        bridge: c.bridge.to_string(),
        batch_inbox: c.batch_inbox.to_string(),
        output_oracle: c.output_oracle.to_string(),
        dispute_game_factory: c.dispute_game_factory.map(|f| f.to_string()),
        l2_to_l1_message_passer: L2_TO_L1_MESSAGE_PASSER.to_string(),
        challenge_window_secs: s.challenge_window(),
        output_interval: c.output_interval,
        batcher: c.batcher.to_string(),
        proposer: s.proposer().to_string(),
    })
}

/// This OpenAPI 3.1 document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "getOpenApi",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object))
)]
pub(crate) async fn openapi(State(s): State<Shared>) -> Response {
    match document(&s) {
        Ok(doc) => Json(doc).into_response(),
        Err(e) => {
            ApiError::internal(format!("cannot render the OpenAPI document: {e}")).into_response()
        }
    }
}

/// The OpenAPI document of this bridge: [`ApiDoc`] with what only the running
/// service knows. The accounts it signs for become the `enum` of `from` in
/// the dev-signed deposit and withdrawal bodies (without any, those bodies
/// are left out: only `signed_tx` is accepted), so that every body the
/// document allows names an account the handler accepts.
pub(crate) fn document(s: &AppState) -> Result<Value, serde_json::Error> {
    let mut doc = serde_json::to_value(ApiDoc::openapi())?;
    // In the configured order (the devnet's dev accounts 0-9).
    let dev: Vec<String> = s.config.dev_signers.iter().map(|k| k.address().to_string()).collect();
    let schemas = &mut doc["components"]["schemas"];
    for (body, dev_variant, what) in [
        ("DepositBody", "DevDepositRequest", "L1 account paying the deposit"),
        ("WithdrawalBody", "DevWithdrawalRequest", "L2 account withdrawing"),
    ] {
        if dev.is_empty() {
            let signed = format!("#/components/schemas/Signed{}", &dev_variant[3..]);
            schemas[body] = json!({"$ref": signed});
            if let Some(map) = schemas.as_object_mut() {
                map.remove(dev_variant);
            }
        } else {
            schemas[dev_variant]["properties"]["from"] = json!({
                "type": "string",
                "enum": dev,
                "description": format!("{what}: one of the accounts this API signs for."),
            });
        }
    }
    // OpenAPI links: what a created resource's answer lets a client ask next.
    let link = |operation: &str, parameter: &str, field: &str| json!({"operationId": operation, "parameters": {parameter: format!("$response.body#/{field}")}});
    doc["paths"]["/v1/deposits"]["post"]["responses"]["201"]["links"] =
        json!({"GetDeposit": link("getDeposit", "l1_tx_hash", "l1_tx_hash")});
    doc["paths"]["/v1/withdrawals"]["post"]["responses"]["201"]["links"] = json!({
        "GetWithdrawal": link("getWithdrawal", "withdrawal_hash", "withdrawal_hash"),
        "FinalizeWithdrawal": link("finalizeWithdrawal", "withdrawal_hash", "withdrawal_hash"),
    });
    doc["paths"]["/v1/challenges"]["post"]["responses"]["201"]["links"] =
        json!({"GetChallenge": link("getChallenge", "id", "game_id")});
    doc["components"]["schemas"]["ServerSentEvent"] = super::stream::event_schema();
    doc["paths"]["/v1/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]["itemSchema"] =
        json!({"$ref": "#/components/schemas/ServerSentEvent"});
    if dev.is_empty() {
        // The examples name a dev account: none is accepted here.
        for path in ["/v1/deposits", "/v1/withdrawals"] {
            if let Some(content) =
                doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]
                    .as_object_mut()
            {
                content.remove("example");
            }
        }
    }
    Ok(doc)
}

/// Where the Swagger UI assets are served (embedded in the binary by the
/// `swagger-ui-dist` crate, which ships them in its source: nothing is
/// downloaded at build or run time).
pub(crate) const SWAGGER_UI_PREFIX: &str = "/docs/swagger-ui";

/// The `/docs` page: Swagger UI over `/openapi.json`, every asset from this
/// server. The online validator badge is off (`validatorUrl: null`), so the
/// page sends no request anywhere else.
const DOCS_HTML: &str = r##"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Rollup bridge API</title>
    <link rel="stylesheet" href="/docs/swagger-ui/swagger-ui.css" />
    <style>body { margin: 0 } .topbar { display: none }</style>
  </head>
  <body>
    <noscript>This page renders <a href="/openapi.json">/openapi.json</a> with Swagger UI; enable JavaScript or read the JSON.</noscript>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui/swagger-ui-bundle.js"></script>
    <script>
      window.ui = SwaggerUIBundle({
        url: "/openapi.json",
        dom_id: "#swagger-ui",
        validatorUrl: null,
        deepLinking: true,
        tryItOutEnabled: false,
      });
    </script>
  </body>
</html>
"##;

/// A browsable rendering of `/openapi.json` (Swagger UI, embedded: works
/// offline).
#[utoipa::path(
    get,
    path = "/docs",
    operation_id = "docs",
    tag = "meta",
    responses((status = 200, description = "HTML page", content_type = "text/html", body = String))
)]
pub(crate) async fn docs() -> Html<&'static str> {
    Html(DOCS_HTML)
}

/// The routes of the Swagger UI assets under [`SWAGGER_UI_PREFIX`].
pub(crate) fn swagger_ui_assets() -> axum::Router {
    swagger_ui_dist::generate_routes(swagger_ui_dist::ApiDefinition {
        uri_prefix: SWAGGER_UI_PREFIX,
        api_definition: swagger_ui_dist::OpenApiSource::Uri("/openapi.json"),
        title: Some("Rollup bridge API"),
    })
}
