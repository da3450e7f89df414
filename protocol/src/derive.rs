//! Derivation: from what was posted to L1 (batches and deposit events) back to
//! the inputs of every L2 block, so anyone can re-execute the chain with
//! [`crate::execute_block`] and check the proposer's output roots.
//!
//! Rules for a batched block `b` on top of `parent` (after the OP Stack
//! derivation spec, "Batch Queue" validity rules, simplified because every
//! L2 block is in exactly one batch, in order, as `BatchInbox` enforces):
//! - `b.number == parent.number + 1`;
//! - `b.timestamp >= parent.timestamp`;
//! - the L1 origin stays or advances by one: `b.l1_origin_number` is the
//!   parent's origin number or that plus one, and `b.l1_origin_hash` is the
//!   hash of that L1 block;
//! - `origin.timestamp <= b.timestamp <= origin.timestamp + max_sequencer_drift`;
//! - the deposits of L1 block `B` are included, in index order, in the block
//!   whose L1 origin advances to `B`, and only there;
//! - the L1 origin is older than the L1 block that carries the batch, and at
//!   most `sequencing_window` L1 blocks older (OP Stack sequencing window):
//!   a sequencer cannot hold its origin back to keep deposits out.
//!
//! A block that breaks a rule, and every block of a batch whose data does not
//! decode (unknown version, bad compression, truncated or duplicate frames,
//! an oversized channel, blocks other than the claimed range), is replaced by
//! a **deposit-only block** ([`deposit_only_inputs`]): no user transactions,
//! the L1 origin advanced by one when the L1 has that block before the batch's
//! inclusion block, that origin's deposits, and timestamp
//! `max(parent.timestamp, origin.timestamp)`. Derivation therefore never
//! stalls and always includes deposits: censoring them only makes the
//! sequencer's chain, and so its outputs, differ from the derived one.

use crate::{
    BlockInputs, ExecutedBlock, L1Origin, MemoryState, OutputRootPreimage, RollupConfig,
    UserDeposit,
    batch::{BatchBlock, BatchError, decode_channel_from_batch_data},
    execute_block, genesis_header,
};
use alloy_consensus::Header;
use alloy_primitives::{B256, Bytes};
use serde::{Deserialize, Serialize};

/// Why a batched block breaks the derivation rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DerivationError {
    /// Not the parent's successor.
    #[error("block {got} does not follow parent {parent}")]
    NotNext {
        /// Parent number.
        parent: u64,
        /// Batched number.
        got: u64,
    },
    /// Timestamp before the parent's.
    #[error("block {number}: timestamp {timestamp} before parent's {parent}")]
    TimestampDecreasing {
        /// Block.
        number: u64,
        /// Its timestamp.
        timestamp: u64,
        /// Parent's.
        parent: u64,
    },
    /// The L1 origin goes back or jumps.
    #[error("block {number}: L1 origin {origin} does not follow parent origin {parent}")]
    BadOriginNumber {
        /// Block.
        number: u64,
        /// Its origin.
        origin: u64,
        /// Parent's origin.
        parent: u64,
    },
    /// The parent header carries no L1 origin.
    #[error("parent {0} has no L1 origin")]
    ParentWithoutOrigin(u64),
    /// The origin hash is not the L1's.
    #[error("block {number}: L1 origin hash does not match L1 block {origin}")]
    OriginHashMismatch {
        /// Block.
        number: u64,
        /// Origin number.
        origin: u64,
    },
    /// Timestamp outside `[origin.timestamp, origin.timestamp + drift]`.
    #[error("block {number}: timestamp {timestamp} outside the L1 origin's window")]
    TimestampOutOfWindow {
        /// Block.
        number: u64,
        /// Its timestamp.
        timestamp: u64,
    },
    /// The L1 origin is not before the inclusion block, or older than the
    /// sequencing window allows.
    #[error(
        "block {number}: L1 origin {origin} outside the sequencing window of L1 block {inclusion}"
    )]
    OutsideSequencingWindow {
        /// Block.
        number: u64,
        /// Its origin.
        origin: u64,
        /// L1 block that carries the batch.
        inclusion: u64,
    },
    /// The L1 does not have the origin block.
    #[error("block {number}: unknown L1 origin {origin}")]
    UnknownOrigin {
        /// Block.
        number: u64,
        /// Origin number.
        origin: u64,
    },
    /// The batch data does not decode.
    #[error("batch data: {0}")]
    Batch(#[from] BatchError),
    /// The batch holds other blocks than the range it claims on L1.
    #[error("batch claims blocks {start}..={end} but carries others")]
    WrongRange {
        /// Claimed first block.
        start: u64,
        /// Claimed last block.
        end: u64,
    },
}

/// The inputs of batched block `batch` on top of `parent`, given its L1
/// origin as read from L1 and that L1 block's deposits.
/// `inclusion_block` is the L1 block that carries the batch.
pub fn block_inputs(
    config: &RollupConfig,
    parent: &Header,
    batch: &BatchBlock,
    origin: &L1Origin,
    origin_deposits: &[UserDeposit],
    inclusion_block: u64,
) -> Result<BlockInputs, DerivationError> {
    let number = batch.number;
    if batch.l1_origin_number >= inclusion_block
        || inclusion_block > batch.l1_origin_number.saturating_add(config.sequencing_window)
    {
        return Err(DerivationError::OutsideSequencingWindow {
            number,
            origin: batch.l1_origin_number,
            inclusion: inclusion_block,
        });
    }
    if parent.number.checked_add(1) != Some(number) {
        return Err(DerivationError::NotNext { parent: parent.number, got: number });
    }
    if batch.timestamp < parent.timestamp {
        return Err(DerivationError::TimestampDecreasing {
            number,
            timestamp: batch.timestamp,
            parent: parent.timestamp,
        });
    }
    let (parent_origin, _) =
        L1Origin::of_header(parent).ok_or(DerivationError::ParentWithoutOrigin(parent.number))?;
    let advanced = parent_origin.checked_add(1) == Some(batch.l1_origin_number);
    if batch.l1_origin_number != parent_origin && !advanced {
        return Err(DerivationError::BadOriginNumber {
            number,
            origin: batch.l1_origin_number,
            parent: parent_origin,
        });
    }
    if origin.number != batch.l1_origin_number || origin.hash != batch.l1_origin_hash {
        return Err(DerivationError::OriginHashMismatch { number, origin: batch.l1_origin_number });
    }
    if batch.timestamp < origin.timestamp
        || batch.timestamp > origin.timestamp.saturating_add(config.max_sequencer_drift)
    {
        return Err(DerivationError::TimestampOutOfWindow { number, timestamp: batch.timestamp });
    }
    Ok(BlockInputs {
        timestamp: batch.timestamp,
        l1_origin: *origin,
        deposits: if advanced { origin_deposits.to_vec() } else { Vec::new() },
        transactions: batch.transactions.clone(),
    })
}

/// The inputs of the deposit-only block that replaces an invalid one on top of
/// `parent` (see the module docs). `next_origin` is the parent's origin + 1
/// when the L1 has it before the inclusion block, else `None`.
pub fn deposit_only_inputs(
    parent: &Header,
    parent_origin: L1Origin,
    next_origin: Option<(L1Origin, Vec<UserDeposit>)>,
) -> BlockInputs {
    let (origin, deposits) = next_origin.unwrap_or((parent_origin, Vec::new()));
    BlockInputs {
        timestamp: parent.timestamp.max(origin.timestamp),
        l1_origin: origin,
        deposits,
        transactions: Vec::new(),
    }
}

/// One batch as posted to L1: a `BatchInbox.BatchAppended` event and the
/// `data` of its `appendBatch` call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedBatch {
    /// Index in the inbox.
    pub index: u64,
    /// L1 block that carries it.
    pub l1_block: u64,
    /// First L2 block it claims.
    pub l2_start: u64,
    /// Last L2 block it claims.
    pub l2_end: u64,
    /// The batch data (derivation version byte and frames).
    pub data: Bytes,
}

/// What derivation reads from the L1 besides batches.
pub trait L1View {
    /// L1 block `number` as an origin, if the L1 has it.
    fn origin(&self, number: u64) -> Option<L1Origin>;
    /// The deposits made in L1 block `number`, in index order.
    fn deposits(&self, number: u64) -> Vec<UserDeposit>;
}

/// How a derived block came to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DerivedFrom {
    /// The batched block, valid.
    Batch,
    /// A deposit-only block replacing an invalid batched block, and the rule
    /// the batched block broke.
    DepositOnly(DerivationError),
}

/// The L2 chain derived from L1 data alone: headers of every block and the
/// state at the head.
#[derive(Clone, Debug)]
pub struct Derivation {
    config: RollupConfig,
    state: MemoryState,
    headers: Vec<Header>,
    origins: Vec<L1Origin>,
}

impl Derivation {
    /// Starts from the L2 genesis: `genesis_state` holds the predeploys.
    pub fn new(config: RollupConfig, mut genesis_state: MemoryState) -> Self {
        let origin = config.genesis_l1_origin;
        let genesis = genesis_header(&config, &mut genesis_state, &origin)
            .unwrap_or_else(|never| match never {});
        let _ = genesis_state.take_changes();
        Self { config, state: genesis_state, headers: vec![genesis], origins: vec![origin] }
    }

    /// The protocol parameters.
    pub const fn config(&self) -> &RollupConfig {
        &self.config
    }

    /// The head header.
    pub fn head(&self) -> &Header {
        self.headers.last().expect("genesis is always there")
    }

    /// Header of block `number`.
    pub fn header(&self, number: u64) -> Option<&Header> {
        self.headers.get(usize::try_from(number).ok()?)
    }

    /// The state at the head.
    pub const fn state(&self) -> &MemoryState {
        &self.state
    }

    /// The L1 origin of block `number`.
    pub fn origin(&self, number: u64) -> Option<L1Origin> {
        self.origins.get(usize::try_from(number).ok()?).copied()
    }

    /// Output root of block `number`.
    pub fn output_root(&self, number: u64) -> Option<B256> {
        let header = self.header(number)?;
        Some(
            OutputRootPreimage {
                state_root: header.state_root,
                withdrawals_root: header.withdrawals_root.unwrap_or_default(),
                block_hash: header.hash_slow(),
            }
            .output_root(),
        )
    }

    /// Derives and executes every block of `batch`, which must start right
    /// after the head. Returns how each block was derived.
    pub fn apply_batch(
        &mut self,
        batch: &PostedBatch,
        l1: &impl L1View,
    ) -> Vec<(ExecutedBlock, DerivedFrom)> {
        self.apply_batch_up_to(batch, l1, u64::MAX)
    }

    /// Like [`Self::apply_batch`], stopping after block `last` (to rebuild
    /// the state at a given block for a proof).
    pub fn apply_batch_up_to(
        &mut self,
        batch: &PostedBatch,
        l1: &impl L1View,
        last: u64,
    ) -> Vec<(ExecutedBlock, DerivedFrom)> {
        self.apply_batch_with_inputs(batch, l1, last)
            .into_iter()
            .map(|(executed, _, from)| (executed, from))
            .collect()
    }

    /// Like [`Self::apply_batch_up_to`], with the inputs each block was
    /// executed from (a node that adopts the derived chain re-executes them
    /// over its own state).
    pub fn apply_batch_with_inputs(
        &mut self,
        batch: &PostedBatch,
        l1: &impl L1View,
        last: u64,
    ) -> Vec<(ExecutedBlock, BlockInputs, DerivedFrom)> {
        let blocks = decode_batch(batch);
        let mut out = Vec::new();
        for number in batch.l2_start..=batch.l2_end.min(last) {
            if self.head().number.checked_add(1) != Some(number) {
                break;
            }
            let parent = self.head().clone();
            let parent_origin = *self.origins.last().expect("genesis origin");
            let block = blocks.iter().find(|b| b.number == number);
            let (inputs, from) =
                derive_block_inputs(&self.config, &parent, parent_origin, batch, block, l1);
            let executed = execute_block(&self.config, &mut self.state, &parent, &inputs)
                .unwrap_or_else(|e| match e {
                    crate::StfError::Database(never) => match never {},
                });
            let _ = self.state.take_changes();
            self.headers.push(executed.header.clone());
            self.origins.push(inputs.l1_origin);
            out.push((executed, inputs, from));
        }
        out
    }

    /// The inputs of block `number` as derivation builds them (for a proof),
    /// given the batch that carries it; `None` if `number` is not derived yet.
    pub fn inputs_of(
        &self,
        number: u64,
        batch: &PostedBatch,
        l1: &impl L1View,
    ) -> Option<BlockInputs> {
        let parent = self.header(number.checked_sub(1)?)?.clone();
        let parent_origin = *self.origins.get(usize::try_from(number - 1).ok()?)?;
        let blocks = decode_batch(batch);
        let block = blocks.iter().find(|b| b.number == number);
        Some(derive_block_inputs(&self.config, &parent, parent_origin, batch, block, l1).0)
    }
}

/// The inputs of the block after `parent` (whose L1 origin is
/// `parent_origin`) by the rules above: `block` is that block as found in
/// `batch` (see [`decode_batch`]), `None` when the batch does not carry it.
/// Used by derivation and by the L1's EXECUTE precompile alike.
pub fn derive_block_inputs(
    config: &RollupConfig,
    parent: &Header,
    parent_origin: L1Origin,
    batch: &PostedBatch,
    block: Option<&BatchBlock>,
    l1: &impl L1View,
) -> (BlockInputs, DerivedFrom) {
    let attempt = || -> Result<BlockInputs, DerivationError> {
        let block = block
            .ok_or(DerivationError::WrongRange { start: batch.l2_start, end: batch.l2_end })?;
        let origin = l1.origin(block.l1_origin_number).ok_or(DerivationError::UnknownOrigin {
            number: block.number,
            origin: block.l1_origin_number,
        })?;
        block_inputs(config, parent, block, &origin, &l1.deposits(origin.number), batch.l1_block)
    };
    match attempt() {
        Ok(inputs) => (inputs, DerivedFrom::Batch),
        Err(e) => {
            let next = parent_origin.number.saturating_add(1);
            let advance = (next < batch.l1_block).then(|| l1.origin(next)).flatten();
            let next_origin = advance.map(|o| (o, l1.deposits(o.number)));
            (deposit_only_inputs(parent, parent_origin, next_origin), DerivedFrom::DepositOnly(e))
        }
    }
}

/// The blocks of a batch, or none when its data is invalid or carries other
/// blocks than the range it claims.
pub fn decode_batch(batch: &PostedBatch) -> Vec<BatchBlock> {
    match decode_channel_from_batch_data(&batch.data) {
        Ok(blocks)
            if batch.l2_end.checked_sub(batch.l2_start).and_then(|d| d.checked_add(1))
                == Some(blocks.len() as u64)
                && blocks
                    .iter()
                    .enumerate()
                    .all(|(i, b)| batch.l2_start.checked_add(i as u64) == Some(b.number)) =>
        {
            blocks
        }
        _ => Vec::new(),
    }
}
