//! # rollup-protocol
//!
//! The protocol core of the rollup, with no I/O: the chain configuration,
//! the L2 block and transaction types (with the OP Stack deposit type), the
//! state transition function on revm, the batch codec (channels, frames,
//! compression), derivation, output roots and the withdrawal Merkle tree;
//! and the L1's blob rules ([`l1_blob`]: the EIP-4844/EIP-7918 fee market and
//! KZG sidecar checks), which the L1 simulator, the batcher and derivation
//! all apply.
//!
//! Every role links this crate: the sequencer builds blocks with
//! [`execute_block`], the batcher encodes them with [`batch`], the challenger
//! derives them back from L1 data, and the L1 verifies one of them statelessly.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod batch;
mod config;
mod deposit;
mod genesis;
mod l1_attributes;
pub mod l1_blob;
mod l1_fee;
mod predeploys;
mod receipt;
mod state;
mod stateless;
mod trie;
mod tx;

pub use config::*;
pub use deposit::{DEPOSIT_TX_TYPE, TxDeposit, UserDeposit};
pub use genesis::{l2_genesis_state, prefill_address};
pub use l1_attributes::{
    DEPOSITOR_ACCOUNT, GAS_PRICE_ORACLE, L1_ATTRIBUTES_GAS_LIMIT, L1_ATTRIBUTES_LEN, L1_BLOCK,
    L1Attributes, SET_L1_BLOCK_VALUES_ECOTONE, l1_attributes_source_hash, l1_block_storage,
    sequence_number,
};
pub use l1_fee::{L1FeeScalars, calldata_gas, l1_blob_base_fee, l1_data_fee};
pub use predeploys::{
    CREATE2_DEPLOYER, CREATE2_DEPLOYER_CODE, HISTORY_STORAGE, MULTICALL3, MULTICALL3_CODE,
    install_predeploys, predeploys,
};
pub use receipt::RollupReceipt;
pub use state::{
    AccountProof, AccountRecord, Changeset, MemoryState, StateChanges, StateDb, StoredAccount,
};
pub use stateless::{
    SparseTrie, Witness, WitnessDb, WitnessError, build_witness, build_witness_with_ancestors,
    execute_stateless,
};
pub use trie::IncrementalTrie;
pub use tx::{RollupTxEnvelope, TxDecodeError};
mod evm;
mod output;
mod stf;
mod withdrawals;

pub use evm::{BlockEnvInput, RollupEvm, SPEC, build_evm, build_evm_with_precompiles, tx_env};
pub use output::OutputRootPreimage;
pub use stf::{
    BlockCommitments, BlockInputs, BlockTracer, BlockTx, ExecutedBlock, ExecutedTx, L1Origin,
    NoTracer, PARALLEL_RECOVERY_THRESHOLD, RecoveredInputs, SkipReason, SkippedTx, StfError,
    TracedTx, execute_block, execute_recovered, execute_traced, genesis_header, next_base_fee,
    recover_transactions,
};
pub use withdrawals::{
    Keccak256Hasher, WithdrawalMessage, root_from_peaks, verify_withdrawal_proof, withdrawal_proof,
    withdrawals_root,
};
mod derive;

pub use derive::{
    Derivation, DerivationError, DerivedFrom, L1View, PostedBatch, block_inputs, decode_batch,
    deposit_only_inputs, derive_block_inputs,
};
mod precompile;

pub use precompile::{
    BatchRecord, EXECUTE_BASE_GAS, EXECUTE_GAS_PER_BLOB, EXECUTE_GAS_PER_INPUT_BYTE,
    EXECUTE_PRECOMPILE, ExecuteDeposit, ExecuteError, ExecuteOutput, L1BlockData,
    MAX_BLOBS_PER_BATCH, blob_batch_data, blob_versioned_hash, encode_execute_input,
    execute_precompile, executeCall,
};
mod dispute;

pub use dispute::{BisectionMove, BisectionState, next_move};
