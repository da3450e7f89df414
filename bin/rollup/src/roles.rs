//! The role configurations of a deployment: what `rollup devnet` and the
//! single-role subcommands hand to each role's `spawn`, built from the
//! rollup file (contract addresses, protocol parameters) and the role's
//! own flags, with every other field at the role config's `Default`.

use crate::deploy::RollupFile;
use rollup_batcher::TxManagerConfig;
use rollup_client::dev::{Role, role_signer};

/// How the batcher posts (compression, encoding, data availability,
/// interval) and how many transactions the proposer keeps in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batching {
    /// Channel compression.
    pub compression: rollup_protocol::batch::Compression,
    /// Batch encoding.
    pub encoding: rollup_protocol::batch::BatchEncoding,
    /// Calldata, blobs or auto.
    pub da: rollup_batcher::DataAvailability,
    /// Post at least this often.
    pub interval: std::time::Duration,
    /// Most proposer transactions in flight.
    pub max_pending_proposals: usize,
}

impl Default for Batching {
    /// The batcher's defaults (`rollup_batcher::DEFAULT_*`).
    fn default() -> Self {
        Self {
            compression: rollup_batcher::DEFAULT_COMPRESSION,
            encoding: rollup_batcher::DEFAULT_ENCODING,
            da: rollup_batcher::DEFAULT_DA,
            interval: rollup_batcher::DEFAULT_BATCH_INTERVAL,
            max_pending_proposals: rollup_batcher::DEFAULT_MAX_PENDING_PROPOSALS,
        }
    }
}

/// Role configurations derived from a rollup file, shared by `rollup devnet`
/// and the single-role subcommands so both run the roles the same way.
impl RollupFile {
    /// The sequencer's configuration.
    pub fn sequencer_config(
        &self,
        rpc_addr: std::net::SocketAddr,
        l1_rpc_url: &str,
        block_time: std::time::Duration,
        database_url: String,
    ) -> rollup_sequencer::SequencerConfig {
        rollup_sequencer::SequencerConfig {
            rollup: self.rollup.clone(),
            rpc_addr,
            l1_rpc_url: l1_rpc_url.to_string(),
            bridge: self.contracts.bridge,
            batch_inbox: self.contracts.batch_inbox,
            block_time,
            database_url,
            ..Default::default()
        }
    }

    /// The batcher and proposer's configuration (role keys of the dev mnemonic).
    pub fn batcher_config(
        &self,
        l1_rpc_url: &str,
        l2_rpc_url: &str,
        batching: Batching,
        database_url: String,
    ) -> rollup_batcher::BatcherConfig {
        let Batching { compression, encoding, da, interval: batch_interval, max_pending_proposals } =
            batching;
        rollup_batcher::BatcherConfig {
            l1_rpc_url: l1_rpc_url.to_string(),
            l2_rpc_url: l2_rpc_url.to_string(),
            batch_inbox: self.contracts.batch_inbox,
            output_oracle: self.contracts.output_oracle,
            compression,
            encoding,
            da,
            output_interval: self.output_interval,
            max_pending_proposals,
            batch_interval,
            txmgr: self.txmgr_config(),
            database_url,
            dispute_game_factory: Some(self.contracts.dispute_game_factory),
            ..Default::default()
        }
    }

    /// The challenger's configuration (attacker and defender role keys).
    pub fn challenger_config(&self, l1_rpc_url: &str) -> rollup_challenger::ChallengerConfig {
        rollup_challenger::ChallengerConfig {
            rollup: self.rollup.clone(),
            l1_rpc_url: l1_rpc_url.to_string(),
            bridge: self.contracts.bridge,
            batch_inbox: self.contracts.batch_inbox,
            output_oracle: self.contracts.output_oracle,
            dispute_game_factory: Some(self.contracts.dispute_game_factory),
            txmgr: self.txmgr_config(),
            ..Default::default()
        }
    }

    /// The bridge API's configuration; `dev` signs for dev accounts 0-9 and
    /// relays finalizations with the relayer key.
    pub fn bridge_config(
        &self,
        api_addr: std::net::SocketAddr,
        l1_rpc_url: &str,
        l2_rpc_url: &str,
        database_url: String,
        dev: bool,
    ) -> rollup_bridge::BridgeConfig {
        use rollup_client::dev::{DEV_ACCOUNTS, dev_account};
        rollup_bridge::BridgeConfig {
            api_addr,
            l1_rpc_url: l1_rpc_url.to_string(),
            l2_rpc_url: l2_rpc_url.to_string(),
            l1_chain_id: self.rollup.l1_chain_id,
            l2_chain_id: self.rollup.l2_chain_id,
            bridge: self.contracts.bridge,
            batch_inbox: self.contracts.batch_inbox,
            output_oracle: self.contracts.output_oracle,
            batcher: self.batcher,
            proposer: self.proposer,
            challenge_window_secs: self.challenge_window_secs,
            output_interval: self.output_interval,
            l1_fee: self.rollup.l1_fee,
            database_url,
            dev_signers: if dev { (0..DEV_ACCOUNTS).map(dev_account).collect() } else { vec![] },
            relayer: dev.then(|| role_signer(Role::Relayer)),
            dispute_game_factory: Some(self.contracts.dispute_game_factory),
            devnet: None,
            server: Default::default(),
            roles: Vec::new(),
        }
    }

    fn txmgr_config(&self) -> TxManagerConfig {
        TxManagerConfig { chain_id: self.rollup.l1_chain_id, ..Default::default() }
    }
}
