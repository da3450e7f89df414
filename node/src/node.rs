//! The node: a chain, its store and its mempool behind one handle, shared by
//! the JSON-RPC server and the role's block producer.

use crate::{
    Chain, ChainStore, StoredBlock,
    db::DbError,
    mempool::{MAX_TX_SIZE, Mempool, PoolError, PoolTx},
};
use alloy_consensus::{Header, Transaction};
use alloy_eips::eip1559::BaseFeeParams;
use alloy_primitives::{B256, Bytes, U256};
use parking_lot::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use revm::context_interface::cfg::gas::calculate_initial_tx_gas_for_tx;
use rollup_protocol::{MemoryState, RollupTxEnvelope, SPEC, l1_data_fee, tx_env};
use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};
use tokio::sync::{Notify, watch};

/// Static parameters of a node.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// `web3_clientVersion`.
    pub client_version: String,
    /// Block gas limit, in gas.
    pub block_gas_limit: u64,
    /// EIP-1559 parameters.
    pub base_fee_params: BaseFeeParams,
    /// Lowest base fee, in wei.
    pub min_base_fee: u64,
    /// Tip suggested by `eth_maxPriorityFeePerGas`, in wei.
    pub suggested_tip: u128,
    /// L2 only: the L1 data fee scalar (millionths), charged on top of gas.
    pub l1_fee_scalar: Option<u64>,
    /// A precompile set other than Prague's (the L1's adds EXECUTE).
    pub precompiles: Option<&'static revm::precompile::Precompiles>,
}

/// A chain node (L1 simulator or L2 sequencer).
#[derive(Debug)]
pub struct Node {
    config: NodeConfig,
    chain: RwLock<Chain>,
    pool: Mutex<Mempool>,
    store: ChainStore,
    head: watch::Sender<u64>,
    new_tx: Notify,
    l1_base_fee: AtomicU64,
    producer: tokio::sync::Mutex<()>,
}

impl Node {
    /// Opens the node over `store`, creating the chain with `genesis` (state
    /// and header) when the store is empty.
    pub async fn open(
        config: NodeConfig,
        store: ChainStore,
        genesis: impl FnOnce() -> (MemoryState, Header),
    ) -> Result<Arc<Self>, DbError> {
        let (mut blocks, mut state) = store.load().await?;
        if blocks.is_empty() {
            let (genesis_state, header) = genesis();
            state = genesis_state;
            let block = StoredBlock { hash: header.hash_slow(), header, transactions: vec![] };
            let changes = state.take_changes();
            store.append_block(&block, &changes).await?;
            blocks.push(block);
        }
        let chain = Chain::new(state, blocks);
        let (head, _) = watch::channel(chain.head_number());
        Ok(Arc::new(Self {
            config,
            chain: RwLock::new(chain),
            pool: Mutex::new(Mempool::default()),
            store,
            head,
            new_tx: Notify::new(),
            l1_base_fee: AtomicU64::new(0),
            producer: tokio::sync::Mutex::new(()),
        }))
    }

    /// The configuration.
    pub const fn config(&self) -> &NodeConfig {
        &self.config
    }

    /// Read access to the chain.
    pub fn chain(&self) -> RwLockReadGuard<'_, Chain> {
        self.chain.read()
    }

    /// Write access to the chain (block producers and dev methods).
    pub fn chain_mut(&self) -> RwLockWriteGuard<'_, Chain> {
        self.chain.write()
    }

    /// The mempool.
    pub fn pool(&self) -> parking_lot::MutexGuard<'_, Mempool> {
        self.pool.lock()
    }

    /// The store.
    pub const fn store(&self) -> &ChainStore {
        &self.store
    }

    /// Serialises block producers (and dev methods that rewrite the chain).
    pub async fn producer_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.producer.lock().await
    }

    /// A receiver of the head block number.
    pub fn subscribe_head(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    /// Resolves when a transaction enters the pool.
    pub async fn wait_for_tx(&self) {
        self.new_tx.notified().await;
    }

    /// Sets the L1 base fee used to price the L1 data fee in pool admission.
    pub fn set_l1_base_fee(&self, fee: u64) {
        self.l1_base_fee.store(fee, Ordering::Relaxed);
    }

    /// The base fee of the next block, in wei.
    pub fn next_base_fee(&self) -> u64 {
        self.next_base_fee_after(&self.chain().head().header)
    }

    /// The base fee of the child of `parent`, in wei.
    pub fn next_base_fee_after(&self, parent: &Header) -> u64 {
        parent
            .next_block_base_fee(self.config.base_fee_params)
            .unwrap_or(self.config.min_base_fee)
            .max(self.config.min_base_fee)
    }

    /// Persists `block` and the state `changes` it made, then makes it the
    /// head. The caller executed it on [`Chain::state`] under the producer lock.
    pub async fn commit_block(
        &self,
        block: StoredBlock,
        changes: rollup_protocol::StateChanges,
    ) -> Result<(), DbError> {
        self.store.append_block(&block, &changes).await?;
        let number = block.number();
        let included: Vec<B256> = block.transactions.iter().map(|t| t.tx.tx_hash()).collect();
        {
            let mut chain = self.chain.write();
            chain.push(block);
            let mut pool = self.pool.lock();
            for hash in &included {
                pool.remove(hash);
            }
            pool.prune(|a| chain.state.nonce(a));
        }
        self.head.send_replace(number);
        Ok(())
    }

    /// Validates a signed transaction (EIP-2718 bytes) and adds it to the pool.
    pub fn submit_raw(&self, raw: &[u8]) -> Result<B256, PoolError> {
        if raw.len() > MAX_TX_SIZE {
            return Err(PoolError::Oversized(raw.len()));
        }
        let tx = match RollupTxEnvelope::decode_2718_exact(raw)
            .map_err(|e| PoolError::Decode(e.to_string()))?
        {
            RollupTxEnvelope::Eth(tx) if !tx.is_eip4844() => tx,
            _ => return Err(PoolError::TypeNotSupported),
        };
        let sender = alloy_consensus::transaction::SignerRecoverable::recover_signer(&tx)
            .map_err(|_| PoolError::InvalidSender)?;
        if tx.chain_id() != Some(self.config.chain_id) {
            return Err(PoolError::ChainId { have: tx.chain_id(), want: self.config.chain_id });
        }
        if tx.gas_limit() > self.config.block_gas_limit {
            return Err(PoolError::GasLimit);
        }
        let env = tx_env(&tx, sender);
        let gas = calculate_initial_tx_gas_for_tx(&env, SPEC, None);
        let intrinsic = (gas.initial_regular_gas + gas.initial_state_gas).max(gas.floor_gas);
        if tx.gas_limit() < intrinsic {
            return Err(PoolError::IntrinsicGas { have: tx.gas_limit(), want: intrinsic });
        }
        if let Some(tip) = tx.max_priority_fee_per_gas()
            && tip > tx.max_fee_per_gas()
        {
            return Err(PoolError::TipAboveFeeCap);
        }
        let base_fee = self.next_base_fee();
        if tx.max_fee_per_gas() < u128::from(base_fee) {
            return Err(PoolError::FeeCapTooLow {
                address: sender,
                max_fee: tx.max_fee_per_gas(),
                base_fee,
            });
        }
        let l1_fee = self
            .config
            .l1_fee_scalar
            .map(|s| l1_data_fee(raw, self.l1_base_fee.load(Ordering::Relaxed), s))
            .unwrap_or(0);
        let want = U256::from(tx.gas_limit()) * U256::from(tx.max_fee_per_gas())
            + tx.value()
            + U256::from(l1_fee);
        let hash = *tx.tx_hash();
        let (state_nonce, have) = {
            let chain = self.chain.read();
            (chain.state.nonce(&sender), chain.state.balance(&sender))
        };
        if have < want {
            return Err(PoolError::InsufficientFunds { address: sender, have, want });
        }
        let pooled = PoolTx { tx, raw: Bytes::copy_from_slice(raw), sender, hash };
        self.pool.lock().insert(pooled, state_nonce)?;
        self.new_tx.notify_waiters();
        self.new_tx.notify_one();
        Ok(hash)
    }
}
