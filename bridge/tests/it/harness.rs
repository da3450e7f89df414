//! An in-process stack for the bridge tests: the L1 simulator with the
//! rollup's contracts deployed, the sequencer, and the bridge API.

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::eip2718::Encodable2718,
    network::{EthereumWallet, TransactionBuilder, TxSignerSync},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{TransactionReceipt, TransactionRequest},
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolConstructor};
use rollup_bridge::{BridgeConfig, BridgeHandle};
use rollup_client::{
    L1Client,
    dev::{DEV_ACCOUNTS, Role, dev_account, role_signer},
};
use rollup_contracts::{BatchInbox, Bridge, DisputeGameFactory, OutputOracle};
use rollup_db::sqlite_url;
use rollup_l1_sim::{L1Config, L1Handle};
use rollup_protocol::RollupConfig;
use rollup_sequencer::{SequencerConfig, SequencerHandle};
use serde_json::Value;
use std::time::Duration;
use tempfile::TempDir;

/// Seconds until an output is final in these tests (time is advanced with
/// `evm_increaseTime`).
pub(crate) const CHALLENGE_WINDOW: u64 = 3_600;
/// Wei bonded per proposal.
pub(crate) const BOND: u64 = 100_000_000_000_000_000;
/// 1 ether in wei.
pub(crate) const ETHER: u128 = 1_000_000_000_000_000_000;
/// Wei a challenger bonds to open a dispute game.
pub(crate) const CHALLENGER_BOND: u64 = 50_000_000_000_000_000;
/// Seconds of each side's chess clock in a dispute game.
pub(crate) const GAME_CLOCK: u64 = 600;

/// The relayer's key.
pub(crate) fn relayer() -> PrivateKeySigner {
    role_signer(Role::Relayer)
}

/// Addresses of the deployed L1 contracts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Contracts {
    pub(crate) bridge: Address,
    pub(crate) batch_inbox: Address,
    pub(crate) output_oracle: Address,
    pub(crate) dispute_game_factory: Address,
}

/// A running stack.
pub(crate) struct Stack {
    pub(crate) dir: TempDir,
    pub(crate) l1: L1Handle,
    pub(crate) l2: SequencerHandle,
    pub(crate) bridge: Option<BridgeHandle>,
    pub(crate) contracts: Contracts,
    /// L1 provider signing for the roles and the dev accounts.
    pub(crate) l1_rpc: DynProvider,
    /// L2 provider (read only).
    pub(crate) l2_rpc: DynProvider,
    pub(crate) http: reqwest::Client,
}

/// Polls `f` every 100 ms until it returns `Some`, for at most `secs`.
pub(crate) async fn eventually<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {secs}s waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends `tx` and waits for its (successful) receipt.
pub(crate) async fn send(provider: &DynProvider, tx: TransactionRequest) -> TransactionReceipt {
    let hash = *provider.send_transaction(tx).await.expect("send").tx_hash();
    let receipt = eventually(60, "an L1 receipt", || async {
        provider.get_transaction_receipt(hash).await.expect("receipt")
    })
    .await;
    assert!(receipt.status(), "transaction {hash} reverted");
    receipt
}

async fn deploy(provider: &DynProvider, from: Address, code: Vec<u8>) -> Address {
    let tx = TransactionRequest::default().from(from).with_deploy_code(code);
    send(provider, tx).await.contract_address.expect("contract address")
}

fn creation(bytecode: &Bytes, args: Vec<u8>) -> Vec<u8> {
    [bytecode.as_ref(), &args].concat()
}

/// Spawns a bridge with the relayer for the chains at `l1_url` and `l2_url`
/// on the database `bridge.db` in `dir`.
pub(crate) async fn spawn_bridge(
    dir: &TempDir,
    l1_url: String,
    l2_url: String,
    contracts: Contracts,
) -> BridgeHandle {
    rollup_bridge::spawn(bridge_config(dir, "bridge.db", l1_url, l2_url, contracts))
        .await
        .expect("spawn bridge")
}

/// The bridge configuration of the tests (with the relayer), on the database
/// file `db` in `dir`.
pub(crate) fn bridge_config(
    dir: &TempDir,
    db: &str,
    l1_url: String,
    l2_url: String,
    contracts: Contracts,
) -> BridgeConfig {
    BridgeConfig {
        bridge: contracts.bridge,
        batch_inbox: contracts.batch_inbox,
        output_oracle: contracts.output_oracle,
        dispute_game_factory: Some(contracts.dispute_game_factory),
        batcher: role_signer(Role::Batcher).address(),
        proposer: role_signer(Role::Proposer).address(),
        challenge_window_secs: CHALLENGE_WINDOW,
        output_interval: 10,
        relayer: Some(relayer()),
        ..BridgeConfig::for_tests(l1_url, l2_url, sqlite_url(dir.path(), db))
    }
}

impl Stack {
    /// L1 (200 ms blocks), contracts, sequencer (250 ms blocks), bridge.
    pub(crate) async fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let funded = U256::from(10_000u64) * U256::from(ETHER);
        let mut alloc: Vec<(Address, U256)> =
            (0..DEV_ACCOUNTS).map(|i| (dev_account(i).address(), funded)).collect();
        for role in [Role::Deployer, Role::Batcher, Role::Proposer] {
            alloc.push((role_signer(role).address(), funded));
        }
        alloc.push((relayer().address(), funded));
        // Fast L1 blocks. The sequencer advances its L1 origin by at most one
        // L1 block per L2 block (250 ms), so over a long test it would lag;
        // these tests take seconds.
        let l1 = rollup_l1_sim::spawn(L1Config {
            block_time: Some(Duration::from_millis(200)),
            ..L1Config::for_tests(sqlite_url(dir.path(), "l1.db"), alloc)
        })
        .await
        .expect("spawn L1");

        let mut wallet = EthereumWallet::new(role_signer(Role::Deployer));
        wallet.register_signer(role_signer(Role::Batcher));
        wallet.register_signer(role_signer(Role::Proposer));
        for i in 0..DEV_ACCOUNTS {
            wallet.register_signer(dev_account(i));
        }
        let l1_rpc = ProviderBuilder::new()
            .wallet(wallet)
            .connect_http(l1.rpc_url().parse().expect("url"))
            .erased();
        let deployer = role_signer(Role::Deployer).address();
        let batch_inbox = deploy(
            &l1_rpc,
            deployer,
            creation(
                &BatchInbox::BYTECODE,
                BatchInbox::constructorCall { batcher: role_signer(Role::Batcher).address() }
                    .abi_encode(),
            ),
        )
        .await;
        let output_oracle = deploy(
            &l1_rpc,
            deployer,
            creation(
                &OutputOracle::BYTECODE,
                OutputOracle::constructorCall {
                    proposer: role_signer(Role::Proposer).address(),
                    batchInbox: batch_inbox,
                    challengeWindow: U256::from(CHALLENGE_WINDOW),
                    bond: U256::from(BOND),
                    owner: deployer,
                }
                .abi_encode(),
            ),
        )
        .await;
        let bridge = deploy(
            &l1_rpc,
            deployer,
            creation(
                &Bridge::BYTECODE,
                Bridge::constructorCall { outputOracle: output_oracle }.abi_encode(),
            ),
        )
        .await;
        let dispute_game_factory = deploy(
            &l1_rpc,
            deployer,
            creation(
                &DisputeGameFactory::BYTECODE,
                DisputeGameFactory::constructorCall {
                    outputOracle: output_oracle,
                    batchInbox: batch_inbox,
                    challengerBond: U256::from(CHALLENGER_BOND),
                    clockSeconds: GAME_CLOCK,
                    owner: deployer,
                    rollupConfig: rollup_protocol::RollupConfig::default()
                        .protocol_params_abi()
                        .into(),
                }
                .abi_encode(),
            ),
        )
        .await;
        for (to, input) in [
            (
                output_oracle,
                OutputOracle::setDisputeGameFactoryCall { f: dispute_game_factory }.abi_encode(),
            ),
            (
                dispute_game_factory,
                DisputeGameFactory::setBridgeCall { newBridge: bridge }.abi_encode(),
            ),
        ] {
            send(&l1_rpc, TransactionRequest::default().from(deployer).to(to).input(input.into()))
                .await;
        }
        let contracts = Contracts { bridge, batch_inbox, output_oracle, dispute_game_factory };

        let l1_client = L1Client::new(&l1.rpc_url(), bridge).expect("L1 client");
        let head = l1_client.head().await.expect("L1 head");
        let origin = l1_client.origin(head).await.expect("origin").expect("head block");
        let l2 = rollup_sequencer::spawn(SequencerConfig {
            rollup: RollupConfig {
                genesis_l1_origin: origin,
                genesis_timestamp: origin.timestamp,
                ..RollupConfig::default()
            },
            rpc_addr: ([127, 0, 0, 1], 0).into(),
            l1_rpc_url: l1.rpc_url(),
            bridge,
            batch_inbox,
            derivation_interval: rollup_sequencer::DEFAULT_DERIVATION_INTERVAL,
            block_time: Duration::from_millis(250),
            suggested_tip: rollup_sequencer::DEFAULT_SUGGESTED_TIP,
            database_url: sqlite_url(dir.path(), "l2.db"),
            rpc_limits: Default::default(),
            rpc_cors: Default::default(),
            history_blocks: None,
        })
        .await
        .expect("spawn sequencer");
        let l2_rpc =
            ProviderBuilder::new().connect_http(l2.rpc_url().parse().expect("url")).erased();
        let bridge_handle = spawn_bridge(&dir, l1.rpc_url(), l2.rpc_url(), contracts).await;
        Self {
            dir,
            l1,
            l2,
            bridge: Some(bridge_handle),
            contracts,
            l1_rpc,
            l2_rpc,
            http: reqwest::Client::new(),
        }
    }

    /// The bridge API's URL of `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.bridge.as_ref().expect("bridge running").url())
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, Value) {
        crate::get(&self.http, &self.url(path)).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        crate::post(&self.http, &self.url(path), &body.to_string()).await
    }

    /// Restarts the bridge on the same database.
    pub(crate) async fn restart_bridge(&mut self) {
        if let Some(bridge) = self.bridge.take() {
            bridge.shutdown().await;
        }
        self.bridge = Some(
            spawn_bridge(&self.dir, self.l1.rpc_url(), self.l2.rpc_url(), self.contracts).await,
        );
    }

    /// Raw JSON-RPC call on the L2.
    pub(crate) async fn l2_raw(&self, method: &'static str, params: Value) -> Value {
        self.l2_rpc.raw_request(method.into(), params).await.expect(method)
    }

    /// Raw JSON-RPC call on the L1.
    pub(crate) async fn l1_raw(&self, method: &'static str, params: Value) -> Value {
        self.l1_rpc.raw_request(method.into(), params).await.expect(method)
    }

    /// Appends a batch covering L2 blocks `l2_start..=l2_end` and proposes
    /// the output of `l2_end`; returns the output root.
    pub(crate) async fn batch_and_propose(&self, l2_start: u64, l2_end: u64) -> B256 {
        self.append_batch(l2_start, l2_end).await;
        let output = self
            .l2_raw("optimism_outputAtBlock", serde_json::json!([format!("{l2_end:#x}")]))
            .await;
        let root: B256 = output["outputRoot"].as_str().expect("outputRoot").parse().expect("root");
        self.propose(l2_end, root).await;
        root
    }

    /// The batch data (version byte and frames) of the sequencer's blocks
    /// `l2_start..=l2_end`, uncompressed, as one channel.
    pub(crate) async fn batch_data(&self, l2_start: u64, l2_end: u64) -> Bytes {
        let mut blocks = Vec::new();
        for number in l2_start..=l2_end {
            // The sequencer may not have sealed it yet.
            let block = eventually(30, "the L2 block to be sealed", || async {
                let block = self
                    .l2_raw("rollup_getBatchBlock", serde_json::json!([format!("{number:#x}")]))
                    .await;
                (!block.is_null()).then_some(block)
            })
            .await;
            let block: rollup_protocol::batch::BatchBlock =
                serde_json::from_value(block).expect("batch block");
            blocks.push(block);
        }
        let channel = rollup_protocol::batch::encode_channel(
            &blocks,
            rollup_protocol::batch::Compression::None,
        );
        let frames = rollup_protocol::batch::split_channel(Default::default(), &channel, 100_000);
        rollup_protocol::batch::encode_batch_data(&frames)
    }

    /// Appends a batch covering L2 blocks `l2_start..=l2_end` (as the
    /// batcher), with the blocks' real batch data: the sequencer derives its
    /// safe chain from it and would reorg to deposit-only blocks over data
    /// that does not decode.
    pub(crate) async fn append_batch(&self, l2_start: u64, l2_end: u64) {
        let append = BatchInbox::appendBatchCall {
            l2Start: l2_start,
            l2End: l2_end,
            data: self.batch_data(l2_start, l2_end).await,
        };
        send(
            &self.l1_rpc,
            TransactionRequest::default()
                .from(role_signer(Role::Batcher).address())
                .to(self.contracts.batch_inbox)
                .input(append.abi_encode().into()),
        )
        .await;
    }

    /// Proposes `root` for L2 block `l2_block` (as the proposer, with the bond).
    pub(crate) async fn propose(&self, l2_block: u64, root: B256) {
        let propose =
            OutputOracle::proposeCall { l2BlockNumber: U256::from(l2_block), outputRoot: root };
        send(
            &self.l1_rpc,
            TransactionRequest::default()
                .from(role_signer(Role::Proposer).address())
                .to(self.contracts.output_oracle)
                .value(U256::from(BOND))
                .input(propose.abi_encode().into()),
        )
        .await;
    }

    /// A raw EIP-1559 transaction calling `to`, signed by `signer` for the
    /// L1 (chain 900) or the L2 (chain 901).
    pub(crate) async fn sign(
        &self,
        l2: bool,
        signer: &PrivateKeySigner,
        to: Address,
        value: U256,
        input: Vec<u8>,
    ) -> Bytes {
        let (provider, chain_id) = if l2 { (&self.l2_rpc, 901) } else { (&self.l1_rpc, 900) };
        let nonce =
            provider.get_transaction_count(signer.address()).pending().await.expect("nonce");
        let mut tx = TxEip1559 {
            chain_id,
            nonce,
            gas_limit: 300_000,
            max_fee_per_gas: 100_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to: TxKind::Call(to),
            value,
            access_list: Default::default(),
            input: input.into(),
        };
        let signature = signer.sign_transaction_sync(&mut tx).expect("sign");
        TxEnvelope::from(tx.into_signed(signature)).encoded_2718().into()
    }

    pub(crate) async fn shutdown(mut self) {
        if let Some(bridge) = self.bridge.take() {
            bridge.shutdown().await;
        }
        self.l2.shutdown().await;
        self.l1.shutdown().await;
    }
}
