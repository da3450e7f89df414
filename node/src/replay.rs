//! Re-executing a past block under revm inspectors, for `debug_trace*` and
//! `trace_*` on past transactions and blocks.
//!
//! The node reads state at any retained block ([`Node::state_before`]); how a
//! block is executed belongs to its chain: the L1 simulator's block builder
//! (its EIP-2935 system call first, then the transactions) or, on an L2, the
//! protocol STF (`rollup_protocol::execute_traced`: deposits, user
//! transactions, the L1 data fee after each). Each chain implements
//! [`BlockReplayer`] and registers it with [`Node::set_replayer`]; the
//! tracing methods hand it a [`ReplayTracer`], which gives every transaction
//! it wants traced its own inspector ([`TxInspector`]) and takes its result.

use crate::{HistoricalState, Node, StateError, StoredBlock};
use alloy_primitives::{Address, B256, U256};
use futures::future::BoxFuture;
use revm::{
    Database, DatabaseCommit, DatabaseRef,
    bytecode::Bytecode,
    context::either::Either,
    context_interface::result::ResultAndState,
    database::{AccountState, CacheDB},
    primitives::{AddressMap, StorageKey, StorageValue},
    state::{Account, AccountInfo},
};
use revm_inspectors::tracing::{FourByteInspector, TracingInspector, TracingInspectorConfig};
use rollup_protocol::StateDb;
use std::{convert::Infallible, fmt, sync::Arc};

/// The inspector one replayed transaction runs under: revm-inspectors'
/// [`TracingInspector`] (struct logger, `callTracer`, `prestateTracer`,
/// `noopTracer`, parity traces) or its [`FourByteInspector`].
pub type TxInspector = Either<TracingInspector, FourByteInspector>;

/// The placeholder inspector of transactions run without one.
pub fn idle_inspector() -> TxInspector {
    Either::Left(TracingInspector::new(TracingInspectorConfig::none()))
}

/// One replayed transaction, as its chain executed it.
pub struct ReplayedTx<'a> {
    /// Its position in the block.
    pub index: usize,
    /// Its result and the state changes the block keeps for it (on an L2,
    /// the L1 data fee and the fee vaults' credits included); `None` for an
    /// L2 deposit the EVM refused.
    pub result: Option<&'a ResultAndState>,
    /// Wei credited to an account before the EVM ran (an L2 deposit's
    /// mint): [`Self::pre`] includes it, the state before the transaction
    /// did not.
    pub minted: Option<(Address, U256)>,
    /// The state before the transaction (but for [`Self::minted`]).
    pub pre: &'a dyn DatabaseRef<Error = Infallible>,
}

impl fmt::Debug for ReplayedTx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplayedTx")
            .field("index", &self.index)
            .field("result", &self.result)
            .field("minted", &self.minted)
            .finish_non_exhaustive()
    }
}

/// What a replay reports each transaction to.
pub trait ReplayTracer: Send {
    /// The inspector transaction `index` runs under; `None` runs it without
    /// one (a transaction before the traced one).
    fn inspector(&mut self, index: usize) -> Option<TxInspector>;

    /// Transaction `tx.index` ran under `inspector`.
    fn traced(&mut self, inspector: TxInspector, tx: ReplayedTx<'_>);
}

/// Why a block could not be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The state it ran on is not available.
    #[error(transparent)]
    State(#[from] StateError),
    /// Anything else (the L2's L1 origin unreadable, a replay that does not
    /// reproduce the block).
    #[error("{0}")]
    Other(String),
}

/// How a chain re-executes one of its past blocks (see the module docs).
pub trait BlockReplayer: Send + Sync + fmt::Debug + 'static {
    /// Re-executes `block` of `node` on the state its transactions ran on
    /// ([`Node::state_before`]), as the chain executed it, reporting each
    /// transaction to `tracer`, in block order.
    fn replay<'a>(
        &'a self,
        node: &'a Arc<Node>,
        block: &'a StoredBlock,
        tracer: &'a mut dyn ReplayTracer,
    ) -> BoxFuture<'a, Result<(), ReplayError>>;
}

/// A block's pre-state behind a copy-on-write cache: what a replay
/// executes and commits on. It implements the STF's [`StateDb`]; it has no
/// tries, so its [`StateDb::state_root`] is zero (a replay seals nothing).
#[derive(Debug)]
pub struct ReplayDb<'a> {
    cache: CacheDB<&'a HistoricalState>,
}

impl<'a> ReplayDb<'a> {
    /// Over `state`.
    pub fn new(state: &'a HistoricalState) -> Self {
        Self { cache: CacheDB::new(state) }
    }
}

impl DatabaseRef for ReplayDb<'_> {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        self.cache.basic_ref(address)
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        self.cache.code_by_hash_ref(code_hash)
    }

    fn storage_ref(
        &self,
        address: Address,
        index: StorageKey,
    ) -> Result<StorageValue, Self::Error> {
        self.cache.storage_ref(address, index)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        self.cache.block_hash_ref(number)
    }
}

impl Database for ReplayDb<'_> {
    type Error = Infallible;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        self.cache.basic(address)
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        self.cache.code_by_hash(code_hash)
    }

    fn storage(
        &mut self,
        address: Address,
        index: StorageKey,
    ) -> Result<StorageValue, Self::Error> {
        self.cache.storage(address, index)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, Self::Error> {
        self.cache.block_hash(number)
    }
}

impl DatabaseCommit for ReplayDb<'_> {
    fn commit(&mut self, changes: AddressMap<Account>) {
        self.cache.commit(changes);
    }
}

impl StateDb for ReplayDb<'_> {
    fn add_balance(&mut self, address: Address, amount: U256) -> Result<(), Self::Error> {
        let account = self.cache.load_account(address)?;
        account.info.balance = account.info.balance.saturating_add(amount);
        if account.account_state == AccountState::NotExisting {
            account.account_state = AccountState::Touched;
        }
        Ok(())
    }

    fn bump_nonce(&mut self, address: Address) -> Result<(), Self::Error> {
        let account = self.cache.load_account(address)?;
        account.info.nonce += 1;
        if account.account_state == AccountState::NotExisting {
            account.account_state = AccountState::Touched;
        }
        Ok(())
    }

    fn state_root(&mut self) -> Result<B256, Self::Error> {
        Ok(B256::ZERO)
    }
}

/// The state before a transaction: `pre` without `minted` (an L2
/// deposit's mint, credited before its EVM run).
pub(crate) struct PreState<'a> {
    pub(crate) pre: &'a dyn DatabaseRef<Error = Infallible>,
    pub(crate) minted: Option<(Address, U256)>,
}

impl DatabaseRef for PreState<'_> {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        let info = self.pre.basic_ref(address)?;
        Ok(match (info, self.minted) {
            (Some(mut info), Some((to, amount))) if to == address => {
                info.balance = info.balance.saturating_sub(amount);
                // An account the mint created did not exist before it.
                (!info.is_empty()).then_some(info)
            }
            (info, _) => info,
        })
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        self.pre.code_by_hash_ref(code_hash)
    }

    fn storage_ref(
        &self,
        address: Address,
        index: StorageKey,
    ) -> Result<StorageValue, Self::Error> {
        self.pre.storage_ref(address, index)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        self.pre.block_hash_ref(number)
    }
}
