//! Deployment of the L1 contracts and the rollup file (`rollup.json`) that
//! every role reads: chain parameters and contract addresses.

use alloy::sol_types::{SolCall, SolConstructor};
use alloy_primitives::{Address, Bytes, TxKind, U256};
use eyre::{Context, eyre};
use rollup_batcher::{TxManager, TxManagerConfig};
use rollup_client::{L1Client, http_provider};
use rollup_contracts::{BatchInbox, Bridge, DisputeGameFactory, OutputOracle};
use rollup_protocol::{Derivation, L1FeeScalars, RollupConfig, l2_genesis_state};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tokio_util::sync::CancellationToken;

/// Addresses of the L1 contracts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contracts {
    /// `Bridge`.
    pub bridge: Address,
    /// `BatchInbox`.
    pub batch_inbox: Address,
    /// `OutputOracle`.
    pub output_oracle: Address,
    /// `DisputeGameFactory`.
    pub dispute_game_factory: Address,
}

/// The rollup file: what every role needs to know about the deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupFile {
    /// Protocol parameters (chain ids, gas limit, genesis L1 origin, ...).
    pub rollup: RollupConfig,
    /// L1 contracts.
    pub contracts: Contracts,
    /// Authorised batcher.
    pub batcher: Address,
    /// Authorised proposer.
    pub proposer: Address,
    /// Challenge window, seconds.
    pub challenge_window_secs: u64,
    /// Output proposal interval, L2 blocks.
    pub output_interval: u64,
    /// Proposer bond, wei.
    pub bond_wei: U256,
    /// Challenger bond, wei.
    pub challenger_bond_wei: U256,
    /// Chess clock of each side of a dispute game, seconds.
    pub game_clock_secs: u64,
    /// Registered defender (plays the proposer side of games against correct outputs).
    pub defender: Address,
}

impl RollupFile {
    /// Reads `path`.
    pub fn load(path: &Path) -> eyre::Result<Self> {
        let text = std::fs::read_to_string(path)
            .wrap_err_with(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text)
            .wrap_err_with(|| format!("{} is not a rollup file", path.display()))
    }

    /// Writes `path` atomically (temp file + rename).
    pub fn save(&self, path: &Path) -> eyre::Result<()> {
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }
}

/// Deploys `BatchInbox`, `OutputOracle` and `Bridge` with the deployer key
/// and returns the rollup file anchored at the L1 block of the last deployment.
/// Default challenge window: 30 s, a devnet value (OP Mainnet's is 7 days)
/// so that a withdrawal can be watched end to end.
pub const DEFAULT_CHALLENGE_WINDOW: std::time::Duration = std::time::Duration::from_secs(30);
/// Default chess clock of each side of a dispute game: 60 s.
pub const DEFAULT_GAME_CLOCK: std::time::Duration = std::time::Duration::from_secs(60);
/// Default proposer and challenger bonds: 0.1 ETH, in wei.
pub const DEFAULT_BOND_WEI: u128 = 100_000_000_000_000_000;

/// Parameters fixed at deployment.
#[derive(Clone, Copy, Debug)]
pub struct DeployParams {
    /// L1 chain id.
    pub l1_chain_id: u64,
    /// Challenge window, seconds.
    pub challenge_window_secs: u64,
    /// Output interval, L2 blocks.
    pub output_interval: u64,
    /// Proposer bond, wei.
    pub bond_wei: U256,
    /// Challenger bond, wei.
    pub challenger_bond_wei: U256,
    /// Chess clock per side, seconds.
    pub game_clock_secs: u64,
    /// L1 data fee scalars (a protocol parameter: EXECUTE charges them too).
    pub l1_fee: L1FeeScalars,
    /// Benchmark accounts in the L2 genesis
    /// ([`RollupConfig::genesis_prefill`]; 0 but in benchmarks).
    pub genesis_prefill: u64,
}

/// The L1 data fee scalars for batches posted with `da`: calldata's, or
/// blobs' for `blobs` and `auto` (which posts blobs whenever they are
/// cheaper, i.e. whenever a batch fills a fair part of a blob).
pub const fn l1_fee_for(da: rollup_batcher::DataAvailability) -> L1FeeScalars {
    match da {
        rollup_batcher::DataAvailability::Calldata => L1FeeScalars::CALLDATA,
        rollup_batcher::DataAvailability::Blobs | rollup_batcher::DataAvailability::Auto => {
            L1FeeScalars::BLOBS
        }
    }
}

/// Deploys the L1 contracts and wires the dispute game (see [`RollupFile`]).
/// `keys` signs the deployment and names the accounts the contracts
/// authorise.
pub async fn deploy(
    l1_rpc_url: &str,
    params: DeployParams,
    keys: crate::keys::DeployKeys,
) -> eyre::Result<RollupFile> {
    let DeployParams {
        l1_chain_id,
        challenge_window_secs,
        output_interval,
        bond_wei,
        challenger_bond_wei,
        game_clock_secs,
        l1_fee,
        genesis_prefill,
    } = params;
    let crate::keys::DeployKeys { deployer, batcher, proposer, defender } = keys;
    let owner = deployer.address();
    let txmgr = TxManager::new(
        http_provider(l1_rpc_url)?,
        deployer,
        // Polled often: the devnet mines each deployment transaction at once.
        TxManagerConfig {
            chain_id: l1_chain_id,
            poll_interval: std::time::Duration::from_millis(25),
            ..Default::default()
        },
    );
    let batch_inbox = deploy_one(
        &txmgr,
        &BatchInbox::BYTECODE,
        BatchInbox::constructorCall { batcher }.abi_encode(),
    )
    .await?;
    let output_oracle = deploy_one(
        &txmgr,
        &OutputOracle::BYTECODE,
        OutputOracle::constructorCall {
            proposer,
            batchInbox: batch_inbox,
            challengeWindow: U256::from(challenge_window_secs),
            bond: bond_wei,
            owner,
        }
        .abi_encode(),
    )
    .await?;
    let bridge = deploy_one(
        &txmgr,
        &Bridge::BYTECODE,
        Bridge::constructorCall { outputOracle: output_oracle }.abi_encode(),
    )
    .await?;
    // The protocol parameters a proof depends on, fixed in the factory (the
    // genesis fields are not among them, so they can be chosen afterwards).
    let protocol = RollupConfig { l1_chain_id, l1_fee, ..Default::default() };
    let dispute_game_factory = deploy_one(
        &txmgr,
        &DisputeGameFactory::BYTECODE,
        DisputeGameFactory::constructorCall {
            outputOracle: output_oracle,
            batchInbox: batch_inbox,
            challengerBond: challenger_bond_wei,
            clockSeconds: game_clock_secs,
            owner,
            rollupConfig: protocol.protocol_params_abi().into(),
        }
        .abi_encode(),
    )
    .await?;
    let contracts = Contracts { batch_inbox, output_oracle, bridge, dispute_game_factory };
    let l1 = L1Client::new(l1_rpc_url, contracts.bridge)?;
    let head = l1.head().await?;
    let genesis_l1_origin =
        l1.origin(head).await?.ok_or_else(|| eyre!("L1 head {head} not found"))?;
    let rollup = RollupConfig {
        genesis_timestamp: genesis_l1_origin.timestamp,
        genesis_l1_origin,
        genesis_prefill,
        ..protocol
    };
    // The agreed anchor of disputes over the first output: the L2 genesis.
    // Off the async workers (seconds for a benchmark's large genesis).
    let genesis_output = {
        let rollup = rollup.clone();
        rollup_client::off_runtime(move || {
            Derivation::new(rollup.clone(), l2_genesis_state(&rollup)).output_root(0)
        })
        .await
        .ok_or_else(|| eyre!("no L2 genesis"))?
    };
    for (to, input) in [
        (
            output_oracle,
            OutputOracle::setDisputeGameFactoryCall { f: dispute_game_factory }.abi_encode(),
        ),
        (
            output_oracle,
            OutputOracle::setGenesisOutputRootCall { root: genesis_output }.abi_encode(),
        ),
        (
            dispute_game_factory,
            DisputeGameFactory::setBridgeCall { newBridge: bridge }.abi_encode(),
        ),
        (
            dispute_game_factory,
            DisputeGameFactory::setDefenderCall { defender, allowed: true }.abi_encode(),
        ),
    ] {
        let receipt =
            txmgr.send(to, input.into(), U256::ZERO, &CancellationToken::new()).await?.receipt;
        if !receipt.status() {
            return Err(eyre!("wiring the dispute game reverted in {}", receipt.transaction_hash));
        }
    }
    Ok(RollupFile {
        rollup,
        contracts,
        batcher,
        proposer,
        challenge_window_secs,
        output_interval,
        bond_wei,
        challenger_bond_wei,
        game_clock_secs,
        defender,
    })
}

async fn deploy_one(txmgr: &TxManager, code: &Bytes, args: Vec<u8>) -> eyre::Result<Address> {
    let init: Bytes = [code.as_ref(), &args].concat().into();
    let receipt =
        txmgr.send_kind(TxKind::Create, init, U256::ZERO, &CancellationToken::new()).await?.receipt;
    if !receipt.status() {
        return Err(eyre!("contract deployment reverted in {}", receipt.transaction_hash));
    }
    receipt
        .contract_address
        .ok_or_else(|| eyre!("no contract address in receipt {}", receipt.transaction_hash))
}
