//! The EXECUTE precompile's logic: the one piece of rollup logic enshrined
//! in the L1 (after the native-rollups EXECUTE proposal, EIP-8079 draft). It
//! re-executes one L2 block statelessly and returns its output root.
//!
//! Input: `abi.encode(uint64 blockNumber, Batch batch, bytes parentHeader,
//! bytes batchData, bytes l1Blocks, bytes witness, bytes rollupConfig)` where
//! `batch` is the `BatchInbox` record (commitment, L1 inclusion block, L2
//! range, whether the data is in blobs), `rollupConfig` the chain's
//! `abi.encode(ProtocolParams)` ([`RollupConfig::protocol_params_abi`], which
//! the `DisputeGameFactory` holds from its deployment),
//! `l1Blocks = abi.encode(L1BlockData[])`, `L1BlockData { uint64 number; bytes
//! header; bytes deposits; }`, `deposits = abi.encode(Deposit[])` and
//! `Deposit` as in `Bridge`'s event. The caller
//! (`DisputeGameFactory.proveBlock`) has already checked every part against
//! L1 state: the parent header against the agreed output root, the batch data
//! against the `BatchInbox` commitment, each L1 header against `blockhash`, and each deposit list
//! against the bridge's running deposit hash. The precompile then derives the
//! block's inputs with the same rules as derivation
//! ([`crate::derive_block_inputs`]) and runs the STF over the MPT witness.
//!
//! Blob batches: `batchData` is the batch's blobs themselves, concatenated
//! (131,072 bytes each, in the transaction's order). The precompile computes
//! each blob's KZG commitment (Ethereum trusted setup, c-kzg) and versioned
//! hash (EIP-4844 `kzg_to_versioned_hash`) and requires
//! `keccak256(versionedHash_0 || … || versionedHash_{n-1})` to equal the
//! batch's commitment, which `BatchInbox.appendBlobBatch` computed from
//! `blobhash(i)`; it then reads the frames out of the blobs exactly as
//! derivation does ([`blob_batch_data`]). Each blob adds
//! [`EXECUTE_GAS_PER_BLOB`] gas (a commitment is a 4,096-point MSM; the
//! point-evaluation precompile, which checks one opening, costs 50,000).
//!
//! It fails (never guesses) when the witness misses or alters a node or a
//! code, when the witness is not for the parent's state root, or when the
//! derivation rules need an L1 block before `inclusionBlock` that is not in
//! `l1Blocks`.
//!
//! Gas: `EXECUTE_BASE_GAS + EXECUTE_GAS_PER_INPUT_BYTE * input.len() +`
//! the L2 gas the block uses (one L1 gas per L2 gas). With the 30M L2 block
//! gas limit and witnesses of a few hundred KB, a full block's proof fits in
//! the L1's 60M block gas limit.

use crate::{
    L1Origin, L1View, OutputRootPreimage, PostedBatch, RollupConfig, UserDeposit, decode_batch,
    derive_block_inputs,
    stateless::{Witness, execute_stateless},
};
use alloy_consensus::Header;
use alloy_primitives::{B256, Bytes, keccak256};
use alloy_rlp::Decodable;
use alloy_sol_types::{SolCall, sol};
use std::{cell::RefCell, collections::BTreeMap};

/// Address of the EXECUTE precompile on the L1 (defined in `rollup_contracts`).
pub use rollup_contracts::EXECUTE_PRECOMPILE;
/// Fixed gas of one EXECUTE call.
pub const EXECUTE_BASE_GAS: u64 = 50_000;
/// Gas per input byte (witness, batch and headers).
pub const EXECUTE_GAS_PER_INPUT_BYTE: u64 = 8;
/// Gas per blob of a blob batch (computing its KZG commitment).
pub const EXECUTE_GAS_PER_BLOB: u64 = 100_000;
/// Most blobs a blob batch has (`BatchInbox.MAX_BLOBS_PER_BATCH`, defined in `rollup_contracts`).
pub use rollup_contracts::MAX_BLOBS_PER_BATCH;

sol! {
    /// A deposit as passed to the precompile (the fields of `TransactionDeposited`).
    #[derive(Debug)]
    struct ExecuteDeposit { address from; address to; uint256 index; uint256 mint; uint256 value; uint64 gasLimit; bytes data; }
    /// One L1 block: its RLP header and all its deposits (`abi.encode(ExecuteDeposit[])`).
    #[derive(Debug)]
    struct L1BlockData { uint64 number; bytes header; bytes deposits; }
    /// The batch record of `BatchInbox` (commitment, L1 block, L2 range).
    #[derive(Debug)]
    struct BatchRecord { bytes32 commitment; uint64 l1Block; uint64 l2Start; uint64 l2End; bool isBlob; }
    /// The precompile's input layout.
    #[derive(Debug)]
    function execute(uint64 blockNumber, BatchRecord batch, bytes parentHeader, bytes batchData, bytes l1Blocks, bytes witness, bytes rollupConfig) returns (bytes32 outputRoot);
}

/// Why EXECUTE failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExecuteError {
    /// The input does not decode.
    #[error("bad input: {0}")]
    Input(String),
    /// The blobs supplied are not those the batch committed to.
    #[error("blobs do not match the batch's versioned hashes: {0}")]
    WrongBlobs(String),
    /// The parent header is not block `blockNumber - 1`.
    #[error("parent header is not the parent of the block")]
    WrongParent,
    /// The witness is not for the parent's state root.
    #[error("witness is for another state root")]
    WrongWitnessRoot,
    /// The derivation rules needed an L1 block that was not supplied.
    #[error("L1 block {0} is needed but missing")]
    MissingL1Block(u64),
    /// Stateless execution failed (a missing or forged witness node or code).
    #[error("execution: {0}")]
    Execution(String),
}

/// The result of EXECUTE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecuteOutput {
    /// Output root of the block.
    pub output_root: B256,
    /// L2 gas the block used.
    pub l2_gas_used: u64,
    /// Blobs whose commitments were computed (0 for a calldata batch).
    pub blobs: usize,
}

/// The batch data of a blob batch's `blobs` as derivation reads it: the
/// frames of every blob in order ([`crate::batch::batch_data_from_blobs`]),
/// or empty (an invalid batch, which derives by rule) when a blob does not
/// decode.
pub fn blob_batch_data<B: AsRef<[u8]>>(blobs: &[B]) -> alloy_primitives::Bytes {
    crate::batch::batch_data_from_blobs(blobs).unwrap_or_default()
}

/// The EIP-4844 versioned hash of `blob` (`0x01 || sha256(commitment)[1..]`,
/// the commitment computed with the Ethereum KZG trusted setup); `None` when
/// `blob` is not 131,072 bytes of canonical field elements.
pub fn blob_versioned_hash(blob: &[u8]) -> Option<B256> {
    let blob = c_kzg::Blob::from_bytes(blob).ok()?;
    let commitment = c_kzg::ethereum_kzg_settings(0).blob_to_kzg_commitment(&blob).ok()?;
    Some(alloy_eips::eip4844::kzg_to_versioned_hash(commitment.as_slice()))
}

/// The batch data of a blob batch whose blobs are `concatenated`, checked
/// against `commitment` (`keccak256` of the versioned hashes in order).
fn checked_blob_data(
    concatenated: &[u8],
    commitment: B256,
) -> Result<(Bytes, usize), ExecuteError> {
    use crate::batch::BLOB_SIZE;
    let count = concatenated.len() / BLOB_SIZE;
    if !concatenated.len().is_multiple_of(BLOB_SIZE) || count == 0 || count > MAX_BLOBS_PER_BATCH {
        return Err(ExecuteError::WrongBlobs(format!(
            "{} bytes is not 1 to {MAX_BLOBS_PER_BATCH} blobs of {BLOB_SIZE} bytes",
            concatenated.len()
        )));
    }
    let blobs: Vec<&[u8]> = concatenated.chunks(BLOB_SIZE).collect();
    let mut hashes = Vec::with_capacity(count * 32);
    for (i, blob) in blobs.iter().enumerate() {
        let hash = blob_versioned_hash(blob)
            .ok_or_else(|| ExecuteError::WrongBlobs(format!("blob {i} is not canonical")))?;
        hashes.extend_from_slice(hash.as_slice());
    }
    if keccak256(&hashes) != commitment {
        return Err(ExecuteError::WrongBlobs("commitment differs".into()));
    }
    Ok((blob_batch_data(&blobs), count))
}

/// ABI-encodes a precompile input.
pub fn encode_execute_input(call: &executeCall) -> Vec<u8> {
    let mut out = Vec::new();
    call.abi_encode_raw(&mut out);
    out
}

struct SuppliedL1 {
    blocks: BTreeMap<u64, (L1Origin, Vec<UserDeposit>)>,
    below: u64,
    missing: RefCell<Option<u64>>,
}

impl L1View for SuppliedL1 {
    fn origin(&self, number: u64) -> Option<L1Origin> {
        let found = self.blocks.get(&number).map(|(o, _)| *o);
        if found.is_none() && number < self.below {
            self.missing.borrow_mut().get_or_insert(number);
        }
        found
    }

    fn deposits(&self, number: u64) -> Vec<UserDeposit> {
        self.blocks.get(&number).map(|(_, d)| d.clone()).unwrap_or_default()
    }
}

/// Runs EXECUTE on `input` (ABI parameters without a selector).
pub fn execute_precompile(input: &[u8]) -> Result<ExecuteOutput, ExecuteError> {
    let call =
        executeCall::abi_decode_raw(input).map_err(|e| ExecuteError::Input(e.to_string()))?;
    let parent = Header::decode(&mut call.parentHeader.as_ref())
        .map_err(|e| ExecuteError::Input(format!("parent header: {e}")))?;
    if parent.number.checked_add(1) != Some(call.blockNumber) {
        return Err(ExecuteError::WrongParent);
    }
    let l1_blocks = <Vec<L1BlockData> as alloy_sol_types::SolValue>::abi_decode(&call.l1Blocks)
        .map_err(|e| ExecuteError::Input(format!("l1 blocks: {e}")))?;
    let mut blocks = BTreeMap::new();
    for l1 in &l1_blocks {
        let header = Header::decode(&mut l1.header.as_ref())
            .map_err(|e| ExecuteError::Input(format!("L1 header {}: {e}", l1.number)))?;
        if header.number != l1.number {
            return Err(ExecuteError::Input(format!("L1 header is not block {}", l1.number)));
        }
        let origin = L1Origin::from_l1_header(&header, keccak256(&l1.header));
        let deposits = <Vec<ExecuteDeposit> as alloy_sol_types::SolValue>::abi_decode(&l1.deposits)
            .map_err(|e| ExecuteError::Input(format!("deposits of L1 block {}: {e}", l1.number)))?;
        let deposits = deposits
            .iter()
            .map(|d| UserDeposit {
                from: d.from,
                to: d.to,
                index: d.index.saturating_to(),
                mint: d.mint,
                value: d.value,
                gas_limit: d.gasLimit,
                data: d.data.clone(),
            })
            .collect();
        blocks.insert(l1.number, (origin, deposits));
    }
    let l1 = SuppliedL1 { blocks, below: call.batch.l1Block, missing: RefCell::new(None) };
    let (parent_origin_number, parent_origin_hash) =
        L1Origin::of_header(&parent).ok_or(ExecuteError::WrongParent)?;
    let parent_origin = l1.blocks.get(&parent_origin_number).map(|(o, _)| *o).unwrap_or(L1Origin {
        number: parent_origin_number,
        hash: parent_origin_hash,
        timestamp: 0,
        base_fee: 0,
        blob_base_fee: 0,
    });
    let config = RollupConfig::from_protocol_params_abi(&call.rollupConfig).ok_or_else(|| {
        ExecuteError::Input("rollupConfig is not abi.encode(ProtocolParams)".into())
    })?;
    let (data, blobs) = if call.batch.isBlob {
        checked_blob_data(&call.batchData, call.batch.commitment)?
    } else {
        (call.batchData.clone(), 0)
    };
    let batch = PostedBatch {
        index: 0,
        l1_block: call.batch.l1Block,
        l2_start: call.batch.l2Start,
        l2_end: call.batch.l2End,
        data,
    };
    let blocks_in_batch = decode_batch(&batch);
    let block = blocks_in_batch.iter().find(|b| b.number == call.blockNumber);
    let (inputs, _) = derive_block_inputs(&config, &parent, parent_origin, &batch, block, &l1);
    if let Some(number) = *l1.missing.borrow() {
        return Err(ExecuteError::MissingL1Block(number));
    }
    let witness =
        Witness::decode(&call.witness).map_err(|e| ExecuteError::Input(format!("witness: {e}")))?;
    if witness.state_root != parent.state_root {
        return Err(ExecuteError::WrongWitnessRoot);
    }
    let executed = execute_stateless(&config, &witness, &parent, &inputs)
        .map_err(|e| ExecuteError::Execution(e.to_string()))?;
    let output_root = OutputRootPreimage {
        state_root: executed.header.state_root,
        withdrawals_root: executed.header.withdrawals_root.unwrap_or_default(),
        block_hash: executed.hash,
    }
    .output_root();
    Ok(ExecuteOutput { output_root, l2_gas_used: executed.header.gas_used, blobs })
}
