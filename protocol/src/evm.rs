//! The EVM environment both chains execute in: revm at the Prague spec, and
//! the conversion of a signed transaction into revm's [`TxEnv`].

use alloy_consensus::{Transaction, TxEnvelope};
use alloy_primitives::{Address, B256, U256};
use revm::{
    Context, Database, MainBuilder, MainContext,
    context::{BlockEnv, CfgEnv, TxEnv, either::Either},
    handler::MainnetEvm,
    precompile::Precompiles,
    primitives::hardfork::SpecId,
};

/// The Ethereum spec both chains run: Prague (EIP-7623 calldata floor,
/// EIP-7702, no per-transaction gas cap).
pub const SPEC: SpecId = SpecId::PRAGUE;

/// A revm EVM over `DB`.
pub type RollupEvm<DB> = MainnetEvm<revm::handler::MainnetContext<DB>>;

/// The block-level environment of one block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockEnvInput {
    /// Block number.
    pub number: u64,
    /// Unix timestamp, seconds.
    pub timestamp: u64,
    /// Beneficiary (coinbase).
    pub beneficiary: Address,
    /// Gas limit, in gas.
    pub gas_limit: u64,
    /// Base fee, in wei per gas.
    pub base_fee: u64,
    /// `PREVRANDAO` value.
    pub prevrandao: B256,
}

impl BlockEnvInput {
    /// revm's block environment.
    pub fn block_env(&self) -> BlockEnv {
        BlockEnv {
            number: U256::from(self.number),
            beneficiary: self.beneficiary,
            timestamp: U256::from(self.timestamp),
            gas_limit: self.gas_limit,
            basefee: self.base_fee,
            difficulty: U256::ZERO,
            prevrandao: Some(self.prevrandao),
            ..Default::default()
        }
    }
}

/// Builds an EVM for `chain_id` over `db` with the given block environment.
pub fn build_evm<DB: Database>(db: DB, chain_id: u64, block: &BlockEnvInput) -> RollupEvm<DB> {
    build_evm_with_precompiles(db, chain_id, block, None)
}

/// Like [`build_evm`], with a precompile set other than Prague's (the L1's
/// adds EXECUTE).
pub fn build_evm_with_precompiles<DB: Database>(
    db: DB,
    chain_id: u64,
    block: &BlockEnvInput,
    precompiles: Option<&'static Precompiles>,
) -> RollupEvm<DB> {
    let mut cfg = CfgEnv::new_with_spec(SPEC);
    cfg.chain_id = chain_id;
    let mut evm =
        Context::mainnet().with_db(db).with_block(block.block_env()).with_cfg(cfg).build_mainnet();
    if let Some(precompiles) = precompiles {
        evm.precompiles.precompiles = precompiles;
    }
    evm
}

/// revm's transaction environment of a signed Ethereum transaction from `sender`.
pub fn tx_env(tx: &TxEnvelope, sender: Address) -> TxEnv {
    TxEnv {
        tx_type: tx.tx_type() as u8,
        caller: sender,
        gas_limit: tx.gas_limit(),
        gas_price: tx.max_fee_per_gas(),
        kind: tx.kind(),
        value: tx.value(),
        data: tx.input().clone(),
        nonce: tx.nonce(),
        chain_id: tx.chain_id(),
        access_list: tx.access_list().cloned().unwrap_or_default(),
        gas_priority_fee: tx.max_priority_fee_per_gas(),
        blob_hashes: tx.blob_versioned_hashes().map(<[B256]>::to_vec).unwrap_or_default(),
        max_fee_per_blob_gas: tx.max_fee_per_blob_gas().unwrap_or_default(),
        authorization_list: tx
            .authorization_list()
            .map(|list| list.iter().cloned().map(Either::Left).collect())
            .unwrap_or_default(),
    }
}
