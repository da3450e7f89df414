//! Configuration of the bridge API service.

use crate::faults::FaultKind;
use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use rollup_client::dev::{Role, dev_account, role_signer};
use rollup_protocol::{L1_CHAIN_ID, L2_CHAIN_ID};
use std::{net::SocketAddr, sync::Arc};

/// Devnet-only controls the bridge exposes over REST (implemented by `rollup devnet`).
pub trait DevnetControl: Send + Sync + std::fmt::Debug + 'static {
    /// Arms (`armed = true`) or lifts (`false`) fault `kind`; `Err(message)`
    /// when this devnet cannot inject that kind.
    fn set_fault(&self, kind: FaultKind, armed: bool) -> Result<(), String>;
    /// Whether fault `kind` is armed now (a one-shot fault disarms itself
    /// when it fires).
    fn fault_armed(&self, kind: FaultKind) -> bool;
    /// Asks the challenger to dispute output `index` now; resolves when the game is opened (or errors).
    fn request_challenge(
        &self,
        output_index: u64,
    ) -> futures::future::BoxFuture<'static, Result<(), String>>;
    /// What the devnet's challenger has at stake now (shown by
    /// `GET /v1/challenges`); `None` (the default) when it does not say.
    fn challenger_stake(&self) -> futures::future::BoxFuture<'static, Option<ChallengerStake>> {
        Box::pin(async { None })
    }
}

/// The bond capital a challenger has at risk ([`DevnetControl::challenger_stake`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChallengerStake {
    /// Wei bonded in its games in progress.
    pub bonds_at_risk_wei: alloy_primitives::U256,
    /// Ids of its games in progress.
    pub open_games: Vec<u64>,
    /// The output it disputes or waits on, if any.
    pub disputed_output: Option<u64>,
}

/// Largest request body the REST API reads, in bytes: 1 MiB. Its largest
/// legitimate body is a relayed signed transaction (`{"signed_tx"}`), at most
/// 128 KiB on L2 (geth's pool limit), 256 KiB as hex.
pub const DEFAULT_API_MAX_BODY_SIZE: usize = 1024 * 1024;

/// What the REST API's HTTP server enforces before any handler runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiServerConfig {
    /// Largest request body, in bytes; a larger one is answered `413
    /// payload-too-large` with the API's JSON error body.
    pub max_body_size: usize,
    /// Browser origins allowed to call the state-changing endpoints (`POST`,
    /// `DELETE`): none by default, so a web page a developer opens cannot
    /// spend the devnet's money or arm faults. Reads (`GET`) are open to
    /// every origin. A state-changing request from another origin is refused
    /// (`403 origin-not-allowed`) before it runs.
    pub cors_origins: rollup_http::CorsOrigins,
    /// A bearer token the endpoints that spend or arm faults require when set
    /// (`Authorization: Bearer <token>`; `401 unauthorized` otherwise):
    /// `POST /v1/challenges`, `POST`/`DELETE /v1/faults`, dev-signer
    /// deposits and withdrawals (bodies without `signed_tx`), and
    /// `POST /v1/withdrawals/{hash}/finalize` when the bridge has a relayer.
    pub api_token: Option<String>,
}

impl Default for ApiServerConfig {
    fn default() -> Self {
        Self {
            max_body_size: DEFAULT_API_MAX_BODY_SIZE,
            cors_origins: rollup_http::CorsOrigins::None,
            api_token: None,
        }
    }
}

/// Configuration of the bridge REST API and its indexer.
#[derive(Clone, Debug)]
pub struct BridgeConfig {
    /// Address the HTTP server binds (port 0 picks a free port).
    pub api_addr: SocketAddr,
    /// L1 JSON-RPC URL.
    pub l1_rpc_url: String,
    /// L2 (sequencer) JSON-RPC URL.
    pub l2_rpc_url: String,
    /// Chain id of the L1 (900 on the devnet).
    pub l1_chain_id: u64,
    /// Chain id of the L2 (901 on the devnet).
    pub l2_chain_id: u64,
    /// The L1 `Bridge` contract.
    pub bridge: Address,
    /// The L1 `BatchInbox` contract.
    pub batch_inbox: Address,
    /// The L1 `OutputOracle` contract.
    pub output_oracle: Address,
    /// The L1 `DisputeGameFactory` contract, if one is deployed: its games are
    /// served by `/v1/challenges` and streamed by `/v1/events`. `None`: no
    /// dispute games (`/v1/challenges` answers 404 `no-dispute-game`).
    pub dispute_game_factory: Option<Address>,
    /// The batcher's L1 account (shown by `GET /v1/config`).
    pub batcher: Address,
    /// The proposer's L1 account (shown by `GET /v1/config`).
    pub proposer: Address,
    /// Seconds from an output's proposal until it is final. The value the
    /// `OutputOracle` reports (`challengeWindow()`) takes precedence once read.
    pub challenge_window_secs: u64,
    /// L2 blocks between two proposed outputs (informational).
    pub output_interval: u64,
    /// The chain's L1 data fee scalars (price `GET /v1/fees`).
    pub l1_fee: rollup_protocol::L1FeeScalars,
    /// Database URL of the indexer (`sqlite://...` or `postgres://...`); on
    /// PostgreSQL its tables live in schema `bridge`.
    pub database_url: String,
    /// Accounts the API signs for (`{"from", "to", "amount"}` bodies): the dev
    /// accounts 0-9 on the devnet, empty in production, where only
    /// `{"signed_tx"}` bodies are accepted.
    pub dev_signers: Vec<PrivateKeySigner>,
    /// L1 account that sends `Bridge.finalizeWithdrawal` for users; without
    /// one, the finalize endpoint returns the calldata to sign instead.
    pub relayer: Option<PrivateKeySigner>,
    /// Devnet controls (fault injection, challenges on request) behind
    /// `POST /v1/faults` and `POST /v1/challenges`; `None` outside a devnet.
    pub devnet: Option<Arc<dyn DevnetControl>>,
    /// What the API's HTTP server enforces (body size).
    pub server: ApiServerConfig,
    /// The supervisors of the other roles of this process (`rollup devnet`):
    /// while a task of one is down, `/health` answers 503 `role-down`.
    pub roles: Vec<rollup_client::Supervisor>,
}

impl Default for BridgeConfig {
    /// The devnet defaults: API on `127.0.0.1:8080`, L1 on `:8545`, L2 on
    /// `:9545`, dev accounts 0-9 as signers, no relayer, no devnet controls,
    /// no dispute game factory, unknown (zero) contract addresses and a SQLite file `bridge.db` in the working
    /// directory.
    fn default() -> Self {
        Self {
            api_addr: ([127, 0, 0, 1], 8080).into(),
            l1_rpc_url: "http://127.0.0.1:8545".into(),
            l2_rpc_url: "http://127.0.0.1:9545".into(),
            l1_chain_id: L1_CHAIN_ID,
            l2_chain_id: L2_CHAIN_ID,
            bridge: Address::ZERO,
            batch_inbox: Address::ZERO,
            output_oracle: Address::ZERO,
            dispute_game_factory: None,
            batcher: role_signer(Role::Batcher).address(),
            proposer: role_signer(Role::Proposer).address(),
            challenge_window_secs: 30,
            output_interval: 20,
            l1_fee: rollup_protocol::L1FeeScalars::CALLDATA,
            database_url: "sqlite://bridge.db?mode=rwc".into(),
            dev_signers: (0..rollup_client::dev::DEV_ACCOUNTS).map(dev_account).collect(),
            relayer: None,
            devnet: None,
            server: ApiServerConfig::default(),
            roles: Vec::new(),
        }
    }
}

impl BridgeConfig {
    /// A configuration for tests: the API on `127.0.0.1:0`, the given RPC
    /// URLs and database, dev accounts 0-9 as signers, no relayer, no dispute
    /// game factory and no devnet controls. Set the contract addresses (and
    /// `relayer`, `dispute_game_factory`, `devnet`) on the result.
    pub fn for_tests(
        l1_rpc_url: impl Into<String>,
        l2_rpc_url: impl Into<String>,
        database_url: impl Into<String>,
    ) -> Self {
        Self {
            api_addr: ([127, 0, 0, 1], 0).into(),
            l1_rpc_url: l1_rpc_url.into(),
            l2_rpc_url: l2_rpc_url.into(),
            database_url: database_url.into(),
            ..Self::default()
        }
    }
}
