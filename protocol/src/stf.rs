//! The state transition function: `execute_block(pre_state, inputs) ->
//! (post_state, header)`, used by the sequencer, the challenger and the L1
//! EXECUTE precompile.
//!
//! Senders are recovered (libsecp256k1) before execution, not inside it:
//! the sequencer's pool recovered each sender once, at admission, and hands
//! the block [`BlockTx::Recovered`] transactions ([`execute_recovered`]);
//! derivation and the EXECUTE precompile receive bytes and recover a block's
//! senders in parallel ([`execute_block`], [`recover_transactions`]).
//!
//! [`execute_recovered`] is [`execute_traced`] with [`NoTracer`]: the one
//! function can also run each transaction under a revm inspector that a
//! [`BlockTracer`] gives it (a node replaying a past block for
//! `debug_trace*`), and hands the tracer each transaction's result with the
//! balance changes the STF makes outside the EVM (the deposit's mint, the
//! L1 data fee, the fee vaults' credits). Transactions without an
//! inspector run as in block building (revm's `transact`).
//!
//! Rules, in order (all deterministic; an invalid user transaction is skipped
//! and never aborts the block):
//! 1. Base fee: EIP-1559 from the parent with [`L2_BASE_FEE_PARAMS`], never
//!    below [`L2_MIN_BASE_FEE`].
//! 2. Deposits first, in deposit-index order. `mint` is credited to `from`,
//!    then the call runs with gas price 0 and `BASEFEE` 0. If the call is
//!    invalid or reverts, the mint stays, `from`'s nonce is bumped, and the
//!    receipt has status 0 (a failed invalid deposit uses its whole gas limit).
//!    Deposit gas counts toward the block's gas used but is never refused.
//! 3. User transactions, in batch order. Skipped (not part of the block): bytes
//!    that do not decode, a deposit type, a bad signature, a chain id other
//!    than the L2's (pre-EIP-155 legacy included), a gas limit above the gas
//!    left in the block, anything revm's validation rejects (nonce, fee below
//!    base fee, balance for `gas_limit * max_fee + value`, intrinsic gas), and
//!    a sender left unable to pay the L1 data fee after execution.
//! 4. Fees: the L1 data fee ([`l1_data_fee`]) is taken from the sender into
//!    [`L1_FEE_VAULT`]; the base fee goes to [`BASE_FEE_VAULT`] (not burned,
//!    so L2 ETH stays backed by the bridge); the tip goes to the block's
//!    beneficiary [`SEQUENCER_FEE_VAULT`].
//! 5. Header: an Ethereum header whose `withdrawals_root` is the message
//!    passer's withdrawals root (slot [`WITHDRAWALS_ROOT_SLOT`]),
//!    `parent_beacon_block_root` and `mix_hash` the L1 origin hash, and
//!    `extra_data` the L1 origin number (8 bytes, big-endian).

use crate::{
    BASE_FEE_VAULT, L1_FEE_VAULT, L2_BASE_FEE_PARAMS, L2_MIN_BASE_FEE, L2_TO_L1_MESSAGE_PASSER,
    RollupConfig, RollupReceipt, RollupTxEnvelope, SEQUENCER_FEE_VAULT, StateDb, UserDeposit,
    WITHDRAWALS_ROOT_SLOT,
    evm::{BlockEnvInput, build_evm, tx_env},
    l1_fee::{calldata_gas, l1_data_fee},
};
use alloy_consensus::{
    EMPTY_OMMER_ROOT_HASH, Header, Transaction, TxEnvelope,
    transaction::{Recovered, SignerRecoverable},
};
use alloy_primitives::{Address, B256, Bloom, Bytes, U256};
use alloy_trie::root::ordered_trie_root_with_encoder;
use rayon::prelude::*;
use revm::{
    Database, DatabaseCommit, ExecuteEvm, InspectEvm, Inspector,
    context::{ContextTr, TxEnv, either::Either},
    context_interface::result::{EVMError, ExecutionResult, Output, ResultAndState},
    handler::MainnetContext,
    inspector::NoOpInspector,
    state::{Account, EvmState},
};
use serde::{Deserialize, Serialize};

/// The L1 block an L2 block was built on (its "epoch" in OP Stack terms).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1Origin {
    /// L1 block number.
    pub number: u64,
    /// L1 block hash.
    pub hash: B256,
    /// L1 block timestamp, unix seconds.
    pub timestamp: u64,
    /// L1 block base fee, wei per gas (prices the L1 data fee).
    pub base_fee: u64,
    /// L1 block blob base fee, wei per blob gas (EIP-4844, from the header's
    /// `excess_blob_gas`; prices the L1 data fee's blob term).
    #[serde(default)]
    pub blob_base_fee: u128,
}

impl L1Origin {
    /// The L1 origin that the L1 block with `header` and hash `hash` is.
    pub fn from_l1_header(header: &Header, hash: B256) -> Self {
        Self {
            number: header.number,
            hash,
            timestamp: header.timestamp,
            base_fee: header.base_fee_per_gas.unwrap_or_default(),
            blob_base_fee: crate::l1_blob_base_fee(header.excess_blob_gas.unwrap_or_default()),
        }
    }

    /// The L1 origin number and hash an L2 header commits to.
    pub fn of_header(header: &Header) -> Option<(u64, B256)> {
        let number = u64::from_be_bytes(header.extra_data.as_ref().try_into().ok()?);
        Some((number, header.parent_beacon_block_root?))
    }
}

/// Everything needed to execute one L2 block on top of its parent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockInputs {
    /// Unix timestamp, seconds.
    pub timestamp: u64,
    /// The L1 origin.
    pub l1_origin: L1Origin,
    /// Deposits to include first (those of the L1 origin, when it advanced).
    pub deposits: Vec<UserDeposit>,
    /// EIP-2718 encoded user transactions, in order.
    pub transactions: Vec<Bytes>,
}

/// Fewest transactions of a block whose senders are recovered on several
/// threads (below it, the hand-off to the thread pool costs more than it
/// saves; reth's threshold is of the same order).
pub const PARALLEL_RECOVERY_THRESHOLD: usize = 8;

/// One user transaction of a block as the STF takes it: decoded, with its
/// sender recovered, or already known to be skipped.
// Nearly every transaction is `Recovered`: boxing it would allocate per
// transaction to shrink the rare `Invalid`.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockTx {
    /// A signed Ethereum transaction, its sender and its EIP-2718 bytes (what
    /// the L1 data fee is charged on).
    Recovered {
        /// The transaction with its sender.
        tx: Recovered<TxEnvelope>,
        /// Its EIP-2718 encoding.
        raw: Bytes,
    },
    /// Bytes the STF skips before execution: undecodable, a deposit type, or
    /// a signature that does not recover.
    Invalid {
        /// The hash, when the bytes decoded.
        hash: Option<B256>,
        /// Why it is skipped.
        reason: SkipReason,
    },
}

impl BlockTx {
    /// Decodes `raw` (EIP-2718) and recovers its sender with libsecp256k1
    /// (EIP-2: a high `s` does not recover).
    pub fn recover(raw: &Bytes) -> Self {
        let tx = match RollupTxEnvelope::decode_2718_exact(raw) {
            Ok(RollupTxEnvelope::Eth(tx)) => tx,
            Ok(deposit) => {
                return Self::Invalid {
                    hash: Some(deposit.tx_hash()),
                    reason: SkipReason::Deposit,
                };
            }
            Err(e) => {
                return Self::Invalid {
                    hash: None,
                    reason: SkipReason::Undecodable(e.to_string()),
                };
            }
        };
        match SignerRecoverable::recover_signer(&tx) {
            Ok(sender) => {
                Self::Recovered { tx: Recovered::new_unchecked(tx, sender), raw: raw.clone() }
            }
            Err(_) => {
                Self::Invalid { hash: Some(*tx.tx_hash()), reason: SkipReason::InvalidSignature }
            }
        }
    }

    /// A transaction whose sender was recovered before (at pool admission).
    /// `raw` must be the EIP-2718 encoding of `tx`.
    pub const fn from_recovered(tx: Recovered<TxEnvelope>, raw: Bytes) -> Self {
        Self::Recovered { tx, raw }
    }
}

/// Recovers the senders of `raw` transactions, on rayon's thread pool when
/// there are at least [`PARALLEL_RECOVERY_THRESHOLD`] (as reth recovers a
/// block's senders); the order of `raw` is kept.
pub fn recover_transactions(raw: &[Bytes]) -> Vec<BlockTx> {
    if raw.len() < PARALLEL_RECOVERY_THRESHOLD {
        raw.iter().map(BlockTx::recover).collect()
    } else {
        raw.par_iter().map(BlockTx::recover).collect()
    }
}

impl BlockInputs {
    /// These inputs with every user transaction decoded and its sender
    /// recovered ([`recover_transactions`]).
    pub fn recover(&self) -> RecoveredInputs {
        RecoveredInputs {
            timestamp: self.timestamp,
            l1_origin: self.l1_origin,
            deposits: self.deposits.clone(),
            transactions: recover_transactions(&self.transactions),
        }
    }
}

/// [`BlockInputs`] whose user transactions are decoded and their senders
/// recovered: what [`execute_recovered`] takes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveredInputs {
    /// Unix timestamp, seconds.
    pub timestamp: u64,
    /// The L1 origin.
    pub l1_origin: L1Origin,
    /// Deposits to include first.
    pub deposits: Vec<UserDeposit>,
    /// User transactions, in order.
    pub transactions: Vec<BlockTx>,
}

/// One transaction of an executed block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutedTx {
    /// The transaction.
    pub tx: RollupTxEnvelope,
    /// Its sender.
    pub sender: Address,
    /// Its receipt.
    pub receipt: RollupReceipt,
}

/// Why a user transaction was left out of a block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum SkipReason {
    /// The bytes are not a transaction.
    #[error("undecodable: {0}")]
    Undecodable(String),
    /// A deposit transaction outside the deposit list.
    #[error("deposit transactions cannot be batched")]
    Deposit,
    /// The signature does not recover.
    #[error("invalid sender")]
    InvalidSignature,
    /// Not signed for this chain (EIP-155).
    #[error("invalid chain id")]
    WrongChainId,
    /// Its gas limit exceeds the gas left in the block; may fit a later block.
    #[error("gas limit reached")]
    BlockFull,
    /// revm rejected it (nonce, fees, balance, intrinsic gas).
    #[error("{0}")]
    Invalid(String),
    /// The sender cannot pay the L1 data fee.
    #[error("insufficient funds for l1 data fee")]
    L1Fee,
}

/// A skipped user transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedTx {
    /// Index in [`BlockInputs::transactions`].
    pub index: usize,
    /// Its hash, when it decoded.
    pub hash: Option<B256>,
    /// Why.
    pub reason: SkipReason,
}

/// The result of [`execute_block`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutedBlock {
    /// The sealed header.
    pub header: Header,
    /// `keccak256(rlp(header))`.
    pub hash: B256,
    /// Deposits then included user transactions, with receipts.
    pub transactions: Vec<ExecutedTx>,
    /// User transactions left out.
    pub skipped: Vec<SkippedTx>,
}

impl ExecutedBlock {
    /// The included user transactions as EIP-2718 bytes (what a batch carries).
    pub fn user_transactions(&self) -> Vec<Bytes> {
        self.transactions
            .iter()
            .filter(|t| !t.tx.is_deposit())
            .map(|t| t.tx.encoded_2718().into())
            .collect()
    }
}

/// Errors of the STF: only the state backend can fail it (e.g. a witness
/// missing a node in stateless execution).
#[derive(Debug, thiserror::Error)]
pub enum StfError<E> {
    /// The state database failed.
    #[error("state database: {0}")]
    Database(E),
}

/// The L2 base fee of the child of `parent`, in wei per gas.
pub fn next_base_fee(parent: &Header) -> u64 {
    parent.next_block_base_fee(L2_BASE_FEE_PARAMS).unwrap_or(L2_MIN_BASE_FEE).max(L2_MIN_BASE_FEE)
}

/// Executes one L2 block on `state` (the parent's post-state), see the module
/// docs: recovers the senders of `inputs` ([`BlockInputs::recover`], in
/// parallel) and runs [`execute_recovered`]. Derivation and the EXECUTE
/// precompile, which receive transactions as bytes, come this way.
pub fn execute_block<S: StateDb>(
    config: &RollupConfig,
    state: &mut S,
    parent: &Header,
    inputs: &BlockInputs,
) -> Result<ExecutedBlock, StfError<S::Error>> {
    execute_recovered(config, state, parent, &inputs.recover())
}

/// The state transition function proper: executes one L2 block whose user
/// transactions are already decoded and their senders recovered (the
/// sequencer's pool recovered them at admission; [`BlockInputs::recover`]
/// does it for bytes). Every path (sequencer, derivation, EXECUTE) runs this
/// one function, so a block gives the same result on each.
pub fn execute_recovered<S: StateDb>(
    config: &RollupConfig,
    state: &mut S,
    parent: &Header,
    inputs: &RecoveredInputs,
) -> Result<ExecutedBlock, StfError<S::Error>> {
    execute_traced(config, state, parent, inputs, &mut NoTracer)
}

/// A transaction of a block as [`execute_traced`] executed it, handed to
/// the [`BlockTracer`] before its changes are committed (so the state
/// database still reads the state before it).
#[derive(Debug)]
pub struct TracedTx<'a> {
    /// Its position in the block (deposits first).
    pub index: usize,
    /// The transaction, its sender and its receipt, as the block keeps them.
    pub tx: &'a ExecutedTx,
    /// The EVM's result and the state changes the block keeps for it: for
    /// a user transaction, with the L1 data fee taken from the sender and
    /// credited to [`L1_FEE_VAULT`] and the base fee credited to
    /// [`BASE_FEE_VAULT`] (as op-geth's state transition does them).
    /// `None` for a deposit the EVM refused (only its mint and nonce bump
    /// are kept).
    pub result: Option<&'a ResultAndState>,
    /// Wei credited before the EVM ran (a deposit's mint, to its sender):
    /// the state database includes it, the state before the transaction
    /// did not.
    pub minted: Option<(Address, U256)>,
}

/// What [`execute_traced`] runs each transaction of a block under: nothing
/// when building or deriving blocks ([`NoTracer`]), a revm [`Inspector`]
/// when an RPC node replays a past block for `debug_trace*`/`trace_*`.
///
/// `DB` is the database the EVM runs over (`&mut S` for a state `S`).
pub trait BlockTracer<DB: Database> {
    /// The inspector transactions run under.
    type Inspector: Inspector<MainnetContext<DB>>;

    /// The inspector for transaction `index` of the block (deposits
    /// first); `None` runs it without one.
    fn inspector(&mut self, index: usize) -> Option<Self::Inspector>;

    /// Transaction `tx.index` ran under `inspector`; `db` reads the state
    /// before it. Not called for transactions run without an inspector.
    fn traced(&mut self, inspector: Self::Inspector, tx: TracedTx<'_>, db: &DB);
}

/// The [`BlockTracer`] of block building and derivation: no inspector.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTracer;

impl<DB: Database> BlockTracer<DB> for NoTracer {
    type Inspector = NoOpInspector;

    fn inspector(&mut self, _: usize) -> Option<NoOpInspector> {
        None
    }

    fn traced(&mut self, _: NoOpInspector, _: TracedTx<'_>, _: &DB) {}
}

/// [`execute_recovered`] with each transaction run under the inspector
/// `tracer` gives it: the same state transition (the one function every
/// path runs), observed. A replay for tracing runs the block on its
/// parent's state.
pub fn execute_traced<'s, S: StateDb, T: BlockTracer<&'s mut S>>(
    config: &RollupConfig,
    state: &'s mut S,
    parent: &Header,
    inputs: &RecoveredInputs,
    tracer: &mut T,
) -> Result<ExecutedBlock, StfError<S::Error>> {
    // Saturating keeps the STF total; its callers (derivation, EXECUTE)
    // refuse a parent numbered u64::MAX before they get here.
    let number = parent.number.saturating_add(1);
    let base_fee = next_base_fee(parent);
    let block_env = BlockEnvInput {
        number,
        timestamp: inputs.timestamp,
        beneficiary: SEQUENCER_FEE_VAULT,
        gas_limit: config.l2_block_gas_limit,
        base_fee,
        prevrandao: inputs.l1_origin.hash,
    };
    let deposit_env = BlockEnvInput { base_fee: 0, ..block_env };
    // Transactions run without an inspector (`transact`) unless the tracer
    // gives one (`inspect_tx`): the placeholder is never called.
    let mut evm = build_evm(state, config.l2_chain_id, &block_env).with_inspector(Either::<
        NoOpInspector,
        T::Inspector,
    >::Left(
        NoOpInspector
    ));
    let mut cumulative = 0u64;
    let mut txs = Vec::with_capacity(inputs.deposits.len() + inputs.transactions.len());
    let mut skipped = Vec::new();

    // 2. deposits
    if !inputs.deposits.is_empty() {
        evm.set_block(deposit_env.block_env());
    }
    for deposit in &inputs.deposits {
        let tx = deposit.to_tx();
        let (from, mint) = (tx.from, tx.mint);
        let db = evm.ctx.db_mut();
        let nonce = db.basic(tx.from).map_err(StfError::Database)?.map(|a| a.nonce).unwrap_or(0);
        db.add_balance(tx.from, U256::from(tx.mint)).map_err(StfError::Database)?;
        let env = TxEnv {
            tx_type: 0,
            caller: tx.from,
            gas_limit: tx.gas_limit,
            gas_price: 0,
            kind: tx.to,
            value: tx.value,
            data: tx.input.clone(),
            nonce,
            chain_id: None,
            ..Default::default()
        };
        let out = match tracer.inspector(txs.len()) {
            None => evm.transact(env),
            Some(inspector) => {
                evm.inspector = Either::Right(inspector);
                evm.inspect_tx(env)
            }
        };
        let (out, status, gas_used, logs, contract_address) = match out {
            Ok(mut out) => {
                let gas = out.result.tx_gas_used();
                let created = created_address(&out.result);
                let success = out.result.is_success();
                let logs = take_logs(&mut out.result);
                (Some(out), success, gas, logs, created)
            }
            Err(EVMError::Database(e)) => return Err(StfError::Database(e)),
            Err(_) => (None, false, tx.gas_limit, Vec::new(), None),
        };
        cumulative = cumulative.saturating_add(gas_used);
        let executed = ExecutedTx {
            sender: tx.from,
            receipt: RollupReceipt {
                tx_type: crate::DEPOSIT_TX_TYPE,
                status,
                cumulative_gas_used: cumulative,
                gas_used,
                effective_gas_price: 0,
                logs,
                contract_address,
                l1_fee: None,
                l1_base_fee: None,
                l1_blob_base_fee: None,
                l1_fee_scalars: None,
                l1_gas_used: None,
                deposit_nonce: Some(nonce),
            },
            tx: tx.into(),
        };
        if let Either::Right(inspector) =
            std::mem::replace(&mut evm.inspector, Either::Left(NoOpInspector))
        {
            let traced = TracedTx {
                index: txs.len(),
                tx: &executed,
                result: out.as_ref(),
                minted: Some((from, U256::from(mint))),
            };
            tracer.traced(inspector, traced, evm.ctx.db_ref());
        }
        match out {
            Some(out) => evm.ctx.db_mut().commit(out.state),
            None => evm.ctx.db_mut().bump_nonce(from).map_err(StfError::Database)?,
        }
        txs.push(executed);
    }
    if !inputs.deposits.is_empty() {
        evm.set_block(block_env.block_env());
    }

    // 3. user transactions
    for (index, block_tx) in inputs.transactions.iter().enumerate() {
        let skip = |reason, hash| SkippedTx { index, hash, reason };
        let (tx, sender, raw) = match block_tx {
            BlockTx::Recovered { tx, raw } => (tx.inner(), tx.signer(), raw),
            BlockTx::Invalid { hash, reason } => {
                skipped.push(skip(reason.clone(), *hash));
                continue;
            }
        };
        let hash = Some(*tx.tx_hash());
        if tx.chain_id() != Some(config.l2_chain_id) {
            skipped.push(skip(SkipReason::WrongChainId, hash));
            continue;
        }
        if tx.gas_limit() > config.l2_block_gas_limit.saturating_sub(cumulative) {
            skipped.push(skip(SkipReason::BlockFull, hash));
            continue;
        }
        let l1_gas = calldata_gas(raw);
        let l1_fee = l1_data_fee(
            raw,
            inputs.l1_origin.base_fee,
            inputs.l1_origin.blob_base_fee,
            config.l1_fee,
        );
        let out = match tracer.inspector(txs.len()) {
            None => evm.transact(tx_env(tx, sender)),
            Some(inspector) => {
                evm.inspector = Either::Right(inspector);
                evm.inspect_tx(tx_env(tx, sender))
            }
        };
        let mut out = match out {
            Ok(out) => out,
            Err(EVMError::Database(e)) => return Err(StfError::Database(e)),
            Err(e) => {
                skipped.push(skip(SkipReason::Invalid(e.to_string()), hash));
                continue;
            }
        };
        let Some(sender_account) = out.state.get_mut(&sender) else {
            skipped.push(skip(SkipReason::L1Fee, hash));
            continue;
        };
        if sender_account.info.balance < U256::from(l1_fee) {
            skipped.push(skip(SkipReason::L1Fee, hash));
            continue;
        }
        sender_account.info.balance -= U256::from(l1_fee);
        let gas_used = out.result.tx_gas_used();
        let created = created_address(&out.result);
        let success = out.result.is_success();
        let logs = take_logs(&mut out.result);
        let base_fee_paid = U256::from(base_fee) * U256::from(gas_used);
        cumulative = cumulative.saturating_add(gas_used);
        let executed = ExecutedTx {
            sender,
            receipt: RollupReceipt {
                tx_type: tx.tx_type() as u8,
                status: success,
                cumulative_gas_used: cumulative,
                gas_used,
                effective_gas_price: tx.effective_gas_price(Some(base_fee)),
                logs,
                contract_address: created,
                l1_fee: Some(l1_fee),
                l1_base_fee: Some(inputs.l1_origin.base_fee),
                l1_blob_base_fee: Some(inputs.l1_origin.blob_base_fee),
                l1_fee_scalars: Some(config.l1_fee),
                l1_gas_used: Some(l1_gas),
                deposit_nonce: None,
            },
            tx: tx.clone().into(),
        };
        if let Either::Right(inspector) =
            std::mem::replace(&mut evm.inspector, Either::Left(NoOpInspector))
        {
            // The fee vaults' credits, made below outside the EVM, belong to
            // the transaction's state changes as a tracer shows them.
            let mut kept = ResultAndState { result: out.result.clone(), state: out.state.clone() };
            let db = evm.ctx.db_mut();
            credit(&mut kept.state, db, L1_FEE_VAULT, U256::from(l1_fee))?;
            credit(&mut kept.state, db, BASE_FEE_VAULT, base_fee_paid)?;
            let traced =
                TracedTx { index: txs.len(), tx: &executed, result: Some(&kept), minted: None };
            tracer.traced(inspector, traced, evm.ctx.db_ref());
        }
        let db = evm.ctx.db_mut();
        db.commit(out.state);
        db.add_balance(L1_FEE_VAULT, U256::from(l1_fee)).map_err(StfError::Database)?;
        db.add_balance(BASE_FEE_VAULT, base_fee_paid).map_err(StfError::Database)?;
        txs.push(executed);
    }
    let state = evm.ctx.journaled_state.database;

    // 5. header
    let withdrawals_root: B256 = state
        .storage(L2_TO_L1_MESSAGE_PASSER, U256::from(WITHDRAWALS_ROOT_SLOT))
        .map_err(StfError::Database)?
        .into();
    let state_root = state.state_root().map_err(StfError::Database)?;
    let header = Header {
        parent_hash: parent.hash_slow(),
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: SEQUENCER_FEE_VAULT,
        state_root,
        transactions_root: ordered_trie_root_with_encoder(&txs, |t, buf| {
            buf.extend_from_slice(&t.tx.encoded_2718())
        }),
        receipts_root: ordered_trie_root_with_encoder(&txs, |t, buf| {
            buf.extend_from_slice(&t.receipt.encoded_2718())
        }),
        logs_bloom: txs.iter().fold(Bloom::ZERO, |acc, t| acc | t.receipt.bloom()),
        difficulty: U256::ZERO,
        number,
        gas_limit: config.l2_block_gas_limit,
        gas_used: cumulative,
        timestamp: inputs.timestamp,
        extra_data: Bytes::copy_from_slice(&inputs.l1_origin.number.to_be_bytes()),
        mix_hash: inputs.l1_origin.hash,
        nonce: Default::default(),
        base_fee_per_gas: Some(base_fee),
        withdrawals_root: Some(withdrawals_root),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(inputs.l1_origin.hash),
        requests_hash: None,
        ..Default::default()
    };
    Ok(ExecutedBlock { hash: header.hash_slow(), header, transactions: txs, skipped })
}

/// Adds `amount` wei to `address` in `state` (loading it from `db` when the
/// EVM did not touch it): a credit made outside the EVM, as a tracer sees it.
fn credit<S: Database>(
    state: &mut EvmState,
    db: &mut S,
    address: Address,
    amount: U256,
) -> Result<(), StfError<S::Error>> {
    let loaded = match state.contains_key(&address) {
        true => None,
        false => db.basic(address).map_err(StfError::Database)?,
    };
    let account = state.entry(address).or_insert_with(|| Account::from(loaded.unwrap_or_default()));
    account.mark_touch();
    account.info.balance = account.info.balance.saturating_add(amount);
    Ok(())
}

/// The logs of `result`, moved out of it (a tracer reads them from its inspector).
fn take_logs(result: &mut ExecutionResult) -> Vec<alloy_primitives::Log> {
    match result {
        ExecutionResult::Success { logs, .. }
        | ExecutionResult::Revert { logs, .. }
        | ExecutionResult::Halt { logs, .. } => std::mem::take(logs),
    }
}

fn created_address(result: &ExecutionResult) -> Option<Address> {
    match result {
        ExecutionResult::Success { output: Output::Create(_, addr), .. } => *addr,
        _ => None,
    }
}

/// The L2 genesis header over `state` (already holding the genesis allocations).
pub fn genesis_header<S: StateDb>(
    config: &RollupConfig,
    state: &mut S,
    l1_origin: &L1Origin,
) -> Result<Header, S::Error> {
    Ok(Header {
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: SEQUENCER_FEE_VAULT,
        state_root: state.state_root()?,
        transactions_root: alloy_trie::EMPTY_ROOT_HASH,
        receipts_root: alloy_trie::EMPTY_ROOT_HASH,
        number: 0,
        gas_limit: config.l2_block_gas_limit,
        timestamp: config.genesis_timestamp,
        extra_data: Bytes::copy_from_slice(&l1_origin.number.to_be_bytes()),
        mix_hash: l1_origin.hash,
        base_fee_per_gas: Some(L2_MIN_BASE_FEE),
        withdrawals_root: Some(B256::ZERO),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(l1_origin.hash),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{SignableTransaction, TxEip1559};
    use alloy_eips::eip2718::Encodable2718;
    use alloy_primitives::{TxKind, keccak256};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;

    fn signed(key: u64) -> (Address, Bytes) {
        let signer = PrivateKeySigner::from_bytes(&keccak256(key.to_be_bytes())).unwrap();
        let tx = TxEip1559 {
            chain_id: 901,
            gas_limit: 21_000,
            max_fee_per_gas: 2,
            to: TxKind::Call(Address::ZERO),
            ..Default::default()
        };
        let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
        let raw = TxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718();
        (signer.address(), raw.into())
    }

    #[test]
    fn senders_are_recovered_in_order_serially_and_in_parallel() {
        for count in [PARALLEL_RECOVERY_THRESHOLD - 1, 3 * PARALLEL_RECOVERY_THRESHOLD] {
            let txs: Vec<(Address, Bytes)> = (0..count as u64).map(signed).collect();
            let mut raw: Vec<Bytes> = txs.iter().map(|(_, r)| r.clone()).collect();
            // A flipped signature byte, garbage, and a deposit.
            let mut tampered = raw[1].to_vec();
            let last = tampered.len() - 1;
            tampered[last] ^= 1;
            raw.push(tampered.into());
            raw.push(Bytes::from_static(&[0x02, 0xc0]));
            let deposit = UserDeposit {
                from: Address::ZERO,
                to: Address::ZERO,
                index: 0,
                mint: U256::ZERO,
                value: U256::ZERO,
                gas_limit: 21_000,
                data: Bytes::new(),
            };
            raw.push(deposit.to_tx().encoded_2718().into());
            let recovered = recover_transactions(&raw);
            for ((sender, _), tx) in txs.iter().zip(&recovered) {
                match tx {
                    BlockTx::Recovered { tx, .. } => assert_eq!(tx.signer(), *sender),
                    other => panic!("not recovered: {other:?}"),
                }
            }
            let reasons: Vec<&BlockTx> = recovered[count..].iter().collect();
            match reasons[0] {
                BlockTx::Recovered { tx, .. } => assert_ne!(tx.signer(), txs[1].0),
                BlockTx::Invalid { reason, .. } => {
                    assert_eq!(*reason, SkipReason::InvalidSignature)
                }
            }
            assert!(matches!(
                reasons[1],
                BlockTx::Invalid { reason: SkipReason::Undecodable(_), hash: None }
            ));
            assert!(matches!(
                reasons[2],
                BlockTx::Invalid { reason: SkipReason::Deposit, hash: Some(_) }
            ));
        }
    }
}
