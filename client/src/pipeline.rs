//! The derivation pipeline of a node that follows the L1: it reads L1 block
//! headers, the bridge's deposits and the `BatchInbox` batches in order,
//! derives every L2 block they determine ([`rollup_protocol::Derivation`],
//! the same rules as the challenger and the L1's EXECUTE), and notices L1
//! reorgs.
//!
//! L1 reorgs: every step first checks that the last L1 block read still has
//! the hash it had (one header read). When it does not, the pipeline walks
//! back to the newest L1 block it read that is still canonical (the fork
//! point), forgets what it read above it (origins, deposits, batches), and
//! rebuilds the derived chain by replaying the batches it keeps from the L2
//! genesis. The replay costs one re-execution of the derived chain: simple
//! and exactly as correct as the first derivation; a devnet's chain replays
//! in seconds. (op-node instead resets to a safe head it finds by walking
//! back its own L2 blocks; a checkpointed state would spare the replay.)

use crate::{BatchProvider, L1Provider};
use alloy_primitives::{Address, B256};
use rollup_protocol::{
    BlockInputs, Derivation, DerivedFrom, ExecutedBlock, L1Origin, L1View, PostedBatch,
    RollupConfig, UserDeposit,
};
use std::collections::BTreeMap;

/// Most L1 blocks read in one step (bounds a step's work and its memory
/// when a node starts far behind the L1 head).
pub const MAX_L1_BLOCKS_PER_STEP: u64 = 1_000;

/// One L2 block as derived from the L1.
#[derive(Clone, Debug)]
pub struct DerivedBlock {
    /// The block as executed by derivation (header, hash, transactions
    /// with receipts).
    pub executed: ExecutedBlock,
    /// What it was executed from: re-executing these over the parent's
    /// state gives the same block.
    pub inputs: BlockInputs,
    /// From the batch, or a deposit-only block replacing an invalid one.
    pub from: DerivedFrom,
    /// The L1 block that carries its batch (the block becomes final with it).
    pub l1_inclusion: u64,
}

impl DerivedBlock {
    /// Its number.
    pub const fn number(&self) -> u64 {
        self.executed.header.number
    }

    /// Its hash.
    pub const fn hash(&self) -> B256 {
        self.executed.hash
    }
}

/// What one [`Pipeline::step`] found.
#[derive(Debug, Default)]
pub struct Step {
    /// The L1 reorged: the newest L1 block the pipeline had read that is
    /// still canonical. Everything derived from L1 blocks above it was
    /// dropped; the derived chain now ends at [`Pipeline::derived_head`].
    pub l1_reorg: Option<u64>,
    /// Blocks derived from newly read batches, in order.
    pub derived: Vec<DerivedBlock>,
}

/// Why a step failed (it is retried; nothing read in it is kept).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError<E: std::error::Error + 'static> {
    /// Reading the L1 failed.
    #[error(transparent)]
    L1(#[from] E),
    /// An L1 block at or below the head was missing (the L1 reorged while
    /// it was read).
    #[error("L1 block {0} missing")]
    Missing(u64),
    /// The L1 block the L2 genesis is anchored to is no longer canonical:
    /// the rollup cannot be derived on this L1.
    #[error("the L2 genesis L1 origin {0} was reorged away")]
    GenesisReorged(u64),
}

/// The pipeline: L1 data read so far and the chain derived from it.
#[derive(Debug)]
pub struct Pipeline {
    config: RollupConfig,
    inbox: Address,
    derivation: Derivation,
    origins: BTreeMap<u64, L1Origin>,
    deposits: BTreeMap<u64, Vec<UserDeposit>>,
    batches: Vec<PostedBatch>,
    /// The last L1 block read.
    read_to: u64,
}

impl Pipeline {
    /// A pipeline from the L2 genesis (whose state is
    /// [`rollup_protocol::l2_genesis_state`]) reading batches of `inbox`.
    pub fn new(config: RollupConfig, inbox: Address) -> Self {
        let genesis = config.genesis_l1_origin;
        Self {
            derivation: Derivation::new(config.clone(), rollup_protocol::l2_genesis_state(&config)),
            origins: BTreeMap::from([(genesis.number, genesis)]),
            deposits: BTreeMap::new(),
            batches: Vec::new(),
            read_to: genesis.number,
            config,
            inbox,
        }
    }

    /// The derived chain so far.
    pub const fn derivation(&self) -> &Derivation {
        &self.derivation
    }

    /// The number of the newest derived block.
    pub fn derived_head(&self) -> u64 {
        self.derivation.head().number
    }

    /// The last L1 block read.
    pub const fn read_to(&self) -> u64 {
        self.read_to
    }

    /// The L1 block `number` as read, if it was.
    pub fn l1_origin(&self, number: u64) -> Option<L1Origin> {
        self.origins.get(&number).copied()
    }

    /// The batches read so far, in order.
    pub fn batches(&self) -> &[PostedBatch] {
        &self.batches
    }

    /// Reads what the L1 has beyond what was read (at most
    /// [`MAX_L1_BLOCKS_PER_STEP`] blocks) and derives the blocks of the new
    /// batches; first handles an L1 reorg (see the module docs).
    pub async fn step<P, E>(&mut self, l1: &P) -> Result<Step, PipelineError<E>>
    where
        P: L1Provider<Error = E> + BatchProvider<Error = E>,
        E: std::error::Error + Send + Sync + 'static,
    {
        let mut step = Step { l1_reorg: self.check_reorg(l1).await?, derived: Vec::new() };
        let head = L1Provider::head(l1).await?;
        if head <= self.read_to {
            return Ok(step);
        }
        let from = self.read_to + 1;
        let to = head.min(self.read_to + MAX_L1_BLOCKS_PER_STEP);
        let mut origins = Vec::new();
        for number in from..=to {
            origins.push(l1.origin(number).await?.ok_or(PipelineError::Missing(number))?);
        }
        let deposits = l1.deposits_in_range(from, to).await?;
        let batches = l1.batches(self.inbox, from, to).await?;
        // What was read must extend what was read before: if the block read
        // last time changed meanwhile, the L1 reorged between two reads;
        // drop this read, the next step finds the fork point.
        let before = self.origins.get(&self.read_to).map(|o| o.hash);
        if l1.origin(self.read_to).await?.map(|o| o.hash) != before {
            return Ok(step);
        }
        for origin in origins {
            self.origins.insert(origin.number, origin);
        }
        for (block, deposit) in deposits {
            self.deposits.entry(block).or_default().push(deposit);
        }
        self.read_to = to;
        for batch in batches {
            let view = View { origins: &self.origins, deposits: &self.deposits };
            for (executed, inputs, from) in
                self.derivation.apply_batch_with_inputs(&batch, &view, u64::MAX)
            {
                step.derived.push(DerivedBlock {
                    executed,
                    inputs,
                    from,
                    l1_inclusion: batch.l1_block,
                });
            }
            self.batches.push(batch);
        }
        Ok(step)
    }

    /// The fork point when the L1 reorged under what was read, after
    /// dropping what was read above it and re-deriving.
    async fn check_reorg<P, E>(&mut self, l1: &P) -> Result<Option<u64>, PipelineError<E>>
    where
        P: L1Provider<Error = E>,
        E: std::error::Error + Send + Sync + 'static,
    {
        let genesis = self.config.genesis_l1_origin.number;
        let mut number = self.read_to;
        loop {
            let ours = self.origins.get(&number).map(|o| o.hash);
            let theirs = l1.origin(number).await?.map(|o| o.hash);
            if ours.is_some() && ours == theirs {
                break;
            }
            if number <= genesis {
                return Err(PipelineError::GenesisReorged(genesis));
            }
            number -= 1;
        }
        if number == self.read_to {
            return Ok(None);
        }
        self.rewind(number);
        Ok(Some(number))
    }

    /// Forgets the L1 blocks above `fork` and re-derives from the batches
    /// of the L1 blocks up to it.
    fn rewind(&mut self, fork: u64) {
        let _ = self.origins.split_off(&(fork + 1));
        let _ = self.deposits.split_off(&(fork + 1));
        self.batches.retain(|b| b.l1_block <= fork);
        self.read_to = fork;
        self.derivation =
            Derivation::new(self.config.clone(), rollup_protocol::l2_genesis_state(&self.config));
        let view = View { origins: &self.origins, deposits: &self.deposits };
        for batch in &self.batches {
            let _ = self.derivation.apply_batch(batch, &view);
        }
        tracing::warn!(
            target: "derivation", fork, derived_head = self.derived_head(),
            "L1 reorg: re-derived from the batches up to the fork point"
        );
    }
}

/// The L1 data read so far, as derivation reads it.
struct View<'a> {
    origins: &'a BTreeMap<u64, L1Origin>,
    deposits: &'a BTreeMap<u64, Vec<UserDeposit>>,
}

impl L1View for View<'_> {
    fn origin(&self, number: u64) -> Option<L1Origin> {
        self.origins.get(&number).copied()
    }

    fn deposits(&self, number: u64) -> Vec<UserDeposit> {
        self.deposits.get(&number).cloned().unwrap_or_default()
    }
}
