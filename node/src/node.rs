//! The node: a chain, its store and its mempool behind one handle, shared by
//! the JSON-RPC server and the role's block producer.

use crate::{
    Chain, ChainKind, ChainStore, StoredBlock,
    blob::{self, BlobError, StoredBlob},
    db::DbError,
    mempool::{MAX_SIDECAR_SIZE, Mempool, PoolError, PoolTx},
};
use alloy_consensus::{
    EthereumTxEnvelope, Header, Signed, Transaction, TxEip4844Variant, TxEnvelope,
};
use alloy_eips::{
    eip1559::BaseFeeParams,
    eip2718::{Decodable2718, Encodable2718},
    eip7594::BlobTransactionSidecarVariant,
};
use alloy_primitives::{Address, B256, Bytes, U256, map::HashMap};
use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag};
use parking_lot::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use revm::{DatabaseRef, bytecode::Bytecode, state::AccountInfo};
use revm::{
    context::{BlockEnv, CfgEnv},
    context_interface::{block::BlobExcessGasAndPrice, cfg::gas::calculate_initial_tx_gas_for_tx},
};
use rollup_protocol::{
    AccountProof, AccountRecord, MemoryState, RollupTxEnvelope, SPEC, l1_data_fee, tx_env,
};
use std::convert::Infallible;
use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};
use tokio::sync::{Notify, watch};

/// Older blocks the node keeps after reading them from the store
/// ([`Node::block`]), beside the chain's recent ones.
pub const BLOCK_CACHE_SIZE: std::num::NonZeroUsize = std::num::NonZeroUsize::new(64).unwrap();

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
    /// L1 or L2: blobs, precompiles, the L1 data fee.
    pub kind: ChainKind,
    /// Largest transaction the pool accepts, in bytes (a blob transaction's
    /// sidecar not counted); [`crate::mempool::MAX_TX_SIZE`] is geth's.
    pub max_tx_size: usize,
    /// Bounds on the work one JSON-RPC request may cost.
    pub rpc_limits: crate::rpc::RpcLimits,
}

/// A chain node (L1 simulator or L2 sequencer).
#[derive(Debug)]
pub struct Node {
    config: NodeConfig,
    chain: RwLock<Chain>,
    /// Older blocks read from the store lately (the recent ones are the
    /// chain's).
    block_cache: Mutex<lru::LruCache<u64, Arc<StoredBlock>>>,
    pool: Mutex<Mempool>,
    store: ChainStore,
    head: watch::Sender<u64>,
    new_tx: Notify,
    l1_base_fee: AtomicU64,
    l1_blob_base_fee: AtomicU64,
    producer: Arc<tokio::sync::RwLock<()>>,
    diverged: std::sync::atomic::AtomicBool,
    rpc: crate::rpc::NodeServices,
    /// Blocks of history kept (0: all, an archive node).
    history_blocks: AtomicU64,
    /// The oldest block whose state can be served (changesets up to it pruned).
    history_floor: AtomicU64,
    /// The `safe` and `finalized` heads.
    heads: SafeHeads,
    /// How the chain re-executes a past block for tracing.
    replayer: std::sync::OnceLock<Arc<dyn crate::BlockReplayer>>,
}

/// Where the `safe` and `finalized` block tags point. On the L1 they trail
/// the head by a fixed depth ([`Node::set_finality_depth`]); on the L2 the
/// derivation sets them ([`Node::set_safe_heads`]).
#[derive(Debug, Default)]
struct SafeHeads {
    safe: AtomicU64,
    /// L2: the finalized head; L1: the lowest the finalized head may be
    /// (where it was before the last unwind).
    finalized: AtomicU64,
    /// L1 only: blocks behind the head that are final (0: not by depth).
    finality_depth: AtomicU64,
}

/// Why [`Node::state_at`] cannot give a block's state.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// No block with that number or hash (geth's message).
    #[error("header not found")]
    UnknownBlock,
    /// The block's state was pruned (`--history-blocks`); geth's message
    /// for a state it no longer has.
    #[error("missing trie node {0:x} (path ) <nil>")]
    Pruned(B256),
    /// The store failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The world state at one block of the chain: the head state with the
/// values that changed after the block put back (from the store's
/// changesets). It reads the node's live head state, so it holds off block
/// production while it lives (as [`Node::state_view`] does).
#[derive(Debug)]
pub struct HistoricalState {
    node: Arc<Node>,
    block: Arc<StoredBlock>,
    /// The hashes of the 256 blocks before this block's child, when they are
    /// older than the chain keeps in memory.
    ancestors: HashMap<u64, B256>,
    accounts: HashMap<Address, Option<AccountRecord>>,
    storage: HashMap<(Address, U256), U256>,
    _view: tokio::sync::OwnedRwLockReadGuard<()>,
}

impl HistoricalState {
    /// The block whose post-state this is.
    pub fn block(&self) -> &Arc<StoredBlock> {
        &self.block
    }

    /// Balance of `address`, in wei.
    pub fn balance(&self, address: &Address) -> U256 {
        self.account(address).map(|a| a.balance).unwrap_or_default()
    }

    /// Nonce of `address`.
    pub fn nonce(&self, address: &Address) -> u64 {
        self.account(address).map(|a| a.nonce).unwrap_or_default()
    }

    /// Code of `address` (empty if none).
    pub fn code(&self, address: &Address) -> Bytes {
        let Some(account) = self.account(address) else { return Bytes::new() };
        self.node.chain().state.code_by_hash(&account.code_hash).cloned().unwrap_or_default()
    }

    /// Value of `slot` of `address`.
    pub fn storage(&self, address: &Address, slot: U256) -> U256 {
        match self.storage.get(&(*address, slot)) {
            Some(value) => *value,
            None => self.node.chain().state.storage(address, slot),
        }
    }

    fn account(&self, address: &Address) -> Option<AccountRecord> {
        match self.accounts.get(address) {
            Some(record) => *record,
            None => self.node.chain().state.account(address).map(|a| AccountRecord {
                nonce: a.nonce,
                balance: a.balance,
                code_hash: a.code_hash,
            }),
        }
    }

    /// An EIP-1186 proof of `address` and `slots` against this block's
    /// state root. At the head it comes from the live tries; at an older
    /// block from a copy of them with the later changes undone (the copy
    /// costs O(state), its rehash O(changes since the block)).
    pub fn proof(&self, address: Address, slots: &[B256]) -> AccountProof {
        if self.accounts.is_empty() && self.storage.is_empty() {
            return self.node.chain_mut().state.proof(address, slots);
        }
        let mut state = self.node.chain().state.clone();
        for (address, record) in &self.accounts {
            state.restore_account(*address, *record);
        }
        for ((address, slot), value) in &self.storage {
            state.restore_storage(*address, *slot, *value);
        }
        state.proof(address, slots)
    }
}

impl DatabaseRef for HistoricalState {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.account(&address).map(|a| AccountInfo {
            balance: a.balance,
            nonce: a.nonce,
            code_hash: a.code_hash,
            code: None,
            ..Default::default()
        }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        self.node.chain().state.code_by_hash_ref(code_hash)
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        Ok(self.storage(&address, index))
    }

    /// The hash of an ancestor among the 256 before this block's child
    /// (the `BLOCKHASH` window), zero otherwise.
    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        let child = self.block.number() + 1;
        if number >= child || child - number > 256 {
            return Ok(B256::ZERO);
        }
        if let Some(hash) = self.ancestors.get(&number) {
            return Ok(*hash);
        }
        Ok(self.node.chain().hash(number).unwrap_or_default())
    }
}

impl Node {
    /// Opens the node over `store`, creating the chain with `genesis` (state
    /// and header) when the store is empty. Blob transactions are accepted
    /// on the L1 only ([`ChainKind::blobs`]).
    pub async fn open(
        config: NodeConfig,
        store: ChainStore,
        genesis: impl FnOnce() -> (MemoryState, Header),
    ) -> Result<Arc<Self>, DbError> {
        let (mut hashes, mut blocks, mut state) =
            store.load(crate::chain::RECENT_HASHES, crate::chain::RECENT_BLOCKS).await?;
        let history_floor = store.history_floor().await?;
        if blocks.is_empty() {
            let (genesis_state, header) = genesis();
            state = genesis_state;
            let block = StoredBlock { hash: header.hash_slow(), header, transactions: vec![] };
            let mut changes = state.take_changes();
            // Nothing comes before genesis: it has no changeset.
            changes.previous = Default::default();
            store.append_block(&block, &changes).await?;
            hashes.push(block.hash);
            blocks.push(block);
        }
        let chain = Chain::new(state, hashes, blocks);
        let (head, _) = watch::channel(chain.head_number());
        Ok(Arc::new(Self {
            config,
            chain: RwLock::new(chain),
            block_cache: Mutex::new(lru::LruCache::new(BLOCK_CACHE_SIZE)),
            pool: Mutex::new(Mempool::default()),
            store,
            head,
            new_tx: Notify::new(),
            l1_base_fee: AtomicU64::new(0),
            l1_blob_base_fee: AtomicU64::new(0),
            producer: Arc::new(tokio::sync::RwLock::new(())),
            diverged: std::sync::atomic::AtomicBool::new(false),
            rpc: crate::rpc::NodeServices::default(),
            history_blocks: AtomicU64::new(0),
            history_floor: AtomicU64::new(history_floor),
            heads: SafeHeads::default(),
            replayer: std::sync::OnceLock::new(),
        }))
    }

    /// What the JSON-RPC server keeps beside the chain: dev signers,
    /// impersonation, filters, the pending-transaction feed.
    pub const fn rpc(&self) -> &crate::rpc::NodeServices {
        &self.rpc
    }

    /// Pools `tx` as sent by `sender` without a signature check (anvil's
    /// impersonation, L1 dev chain only): nonce, fee and balance rules still
    /// apply when it is mined.
    pub fn submit_impersonated(
        &self,
        tx: TxEnvelope,
        sender: alloy_primitives::Address,
    ) -> Result<B256, PoolError> {
        let raw = Bytes::from(tx.encoded_2718());
        let hash = *tx.tx_hash();
        let state_nonce = self.chain.read().state.nonce(&sender);
        self.pool.lock().insert(PoolTx { tx, raw, sidecar: None, sender, hash }, state_nonce)?;
        self.rpc.on_pending_tx(hash);
        self.new_tx.notify_waiters();
        self.new_tx.notify_one();
        Ok(hash)
    }

    /// Sets how this chain re-executes a past block (`debug_traceTransaction`,
    /// `debug_traceBlock*`, `trace_transaction`, `trace_block`): the L1
    /// simulator's block builder or the L2's STF. Without one, those methods
    /// answer geth's `historical state not available`. Set once; later calls
    /// are ignored.
    pub fn set_replayer(&self, replayer: Arc<dyn crate::BlockReplayer>) {
        let _ = self.replayer.set(replayer);
    }

    /// How this chain re-executes a past block, if it was told ([`Self::set_replayer`]).
    pub fn replayer(&self) -> Option<Arc<dyn crate::BlockReplayer>> {
        self.replayer.get().cloned()
    }

    /// Keeps the state of the last `blocks` blocks only (`--history-blocks`;
    /// `None`: every block, an archive node, the default). Older changesets
    /// are dropped as blocks are added.
    pub fn set_history_blocks(&self, blocks: Option<u64>) {
        self.history_blocks.store(blocks.unwrap_or(0), Ordering::Relaxed);
    }

    /// Makes the `finalized` tag name the block `depth` blocks behind the
    /// head and `safe` the block `depth / 2` behind (the L1: with
    /// Ethereum's two-epoch finality, 64 blocks, `safe` is the justified
    /// checkpoint one epoch back). 0 turns it off.
    pub fn set_finality_depth(&self, depth: u64) {
        self.heads.finality_depth.store(depth, Ordering::Relaxed);
    }

    /// Sets the `safe` and `finalized` heads (the L2: from derivation).
    /// Either is read as at most the head.
    pub fn set_safe_heads(&self, safe: u64, finalized: u64) {
        self.heads.safe.store(safe, Ordering::Relaxed);
        self.heads.finalized.store(finalized.min(safe), Ordering::Relaxed);
        let chain = self.config.kind.name();
        metrics::gauge!("rollup_head", "chain" => chain, "head" => "safe")
            .set(self.safe_number() as f64);
        metrics::gauge!("rollup_head", "chain" => chain, "head" => "finalized")
            .set(self.finalized_number() as f64);
    }

    /// Metrics of a new head `number` with `txs` transactions: blocks and
    /// transactions counted, the three heads, the pool's size.
    fn record_block_metrics(&self, number: u64, txs: usize) {
        let chain = self.config.kind.name();
        metrics::counter!("rollup_blocks_total", "chain" => chain).increment(1);
        metrics::counter!("rollup_transactions_total", "chain" => chain).increment(txs as u64);
        metrics::gauge!("rollup_head", "chain" => chain, "head" => "latest").set(number as f64);
        metrics::gauge!("rollup_head", "chain" => chain, "head" => "safe")
            .set(self.safe_number() as f64);
        metrics::gauge!("rollup_head", "chain" => chain, "head" => "finalized")
            .set(self.finalized_number() as f64);
        metrics::gauge!("rollup_pool_transactions", "chain" => chain)
            .set(self.pool.lock().len() as f64);
    }

    /// The number of the `safe` block (never above the head, never below
    /// `finalized`).
    pub fn safe_number(&self) -> u64 {
        let head = self.chain().head_number();
        match self.heads.finality_depth.load(Ordering::Relaxed) {
            0 => self.heads.safe.load(Ordering::Relaxed).min(head),
            depth => head.saturating_sub(depth / 2).max(self.finalized_number()),
        }
    }

    /// The number of the `finalized` block (never above `safe`). On the L1
    /// it never goes back while the chain keeps the block: after an unwind
    /// (a reorg) it stays where it was, or at the new head if the unwind
    /// went below it (only `evm_revert` may).
    pub fn finalized_number(&self) -> u64 {
        let head = self.chain().head_number();
        match self.heads.finality_depth.load(Ordering::Relaxed) {
            0 => self.heads.finalized.load(Ordering::Relaxed).min(self.safe_number()),
            depth => {
                let floor = self.heads.finalized.load(Ordering::Relaxed);
                head.saturating_sub(depth).max(floor).min(head)
            }
        }
    }

    /// The block number a tag names: `latest` and `pending` the head,
    /// `safe` and `finalized` those heads, `earliest` 0; `None` for a
    /// number beyond the head.
    pub fn tag_number(&self, tag: BlockNumberOrTag) -> Option<u64> {
        let head = self.chain().head_number();
        match tag {
            BlockNumberOrTag::Number(n) => (n <= head).then_some(n),
            BlockNumberOrTag::Earliest => Some(0),
            BlockNumberOrTag::Safe => Some(self.safe_number()),
            BlockNumberOrTag::Finalized => Some(self.finalized_number()),
            BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => Some(head),
        }
    }

    /// The state after `block` (a number, hash or tag; `pending` is the
    /// head), readable as a revm [`DatabaseRef`]:
    /// what every state method (`eth_getBalance`, `eth_call`,
    /// `eth_getProof`, ...) and tracing execute against. It waits out a
    /// block being produced and holds off the next one while it lives.
    ///
    /// Errors: [`StateError::UnknownBlock`] for a block the chain does not
    /// have, [`StateError::Pruned`] for one older than the retained history.
    pub async fn state_at(self: &Arc<Self>, block: BlockId) -> Result<HistoricalState, StateError> {
        let view = self.producer.clone().read_owned().await;
        let head = self.chain().head_number();
        let block = match block {
            BlockId::Hash(hash) => self.block_by_hash(&hash.block_hash).await?,
            BlockId::Number(tag) => match self.tag_number(tag) {
                Some(n) => self.block(n).await?,
                None => None,
            },
        }
        .ok_or(StateError::UnknownBlock)?;
        let ancestors = self.ancestors_of(block.number()).await?;
        let mut state = HistoricalState {
            node: self.clone(),
            block,
            ancestors,
            accounts: HashMap::default(),
            storage: HashMap::default(),
            _view: view,
        };
        let number = state.block.number();
        if number < head {
            if number < self.history_floor.load(Ordering::Relaxed) {
                return Err(StateError::Pruned(state.block.header.state_root));
            }
            let changes = self.store.changes_after(number).await?;
            state.accounts = changes.accounts.into_iter().collect();
            state.storage = changes.storage.into_iter().map(|(a, s, v)| ((a, s), v)).collect();
        }
        Ok(state)
    }

    /// The state block `number`'s transactions ran on: its parent's, with
    /// the changes dev methods made between the two (on the L1, recorded
    /// with the block, [`ChainStore::changes_before`]). Its
    /// [`HistoricalState::block`] is the parent. What a replay for tracing
    /// executes the block on.
    ///
    /// Errors as [`Self::state_at`]'s: the genesis block (which has no
    /// parent) and an unknown block are [`StateError::UnknownBlock`].
    pub async fn state_before(
        self: &Arc<Self>,
        number: u64,
    ) -> Result<HistoricalState, StateError> {
        let view = self.producer.clone().read_owned().await;
        if number == 0 || number > self.chain().head_number() {
            return Err(StateError::UnknownBlock);
        }
        let parent = self.block(number - 1).await?.ok_or(StateError::UnknownBlock)?;
        if parent.number() < self.history_floor.load(Ordering::Relaxed) {
            return Err(StateError::Pruned(parent.header.state_root));
        }
        let changes = self.store.changes_before(number).await?;
        let ancestors = self.ancestors_of(parent.number()).await?;
        Ok(HistoricalState {
            node: self.clone(),
            block: parent,
            ancestors,
            accounts: changes.accounts.into_iter().collect(),
            storage: changes.storage.into_iter().map(|(a, s, v)| ((a, s), v)).collect(),
            _view: view,
        })
    }

    /// Rolls the chain back to block `number`, atomically and durably: the
    /// store restores the state from the changesets and drops the later
    /// blocks, receipts and changesets in one database transaction, then
    /// the in-memory state, tries, blocks and indices follow. Takes the
    /// producer lock. The transactions of dropped blocks are not re-pooled.
    pub async fn unwind_to(&self, number: u64) -> Result<(), DbError> {
        let _producer = self.producer_lock().await;
        self.unwind_locked(number, None).await
    }

    /// Like [`Self::unwind_to`], for a caller that already holds the
    /// producer lock ([`Self::producer_lock`]): an L2 reorg unwinds and
    /// adopts the derived blocks under one lock, and `anvil_reorg` mines
    /// its replacement blocks before releasing it, so no block is built in
    /// between.
    pub async fn unwind_to_locked(&self, number: u64) -> Result<(), DbError> {
        self.unwind_locked(number, None).await
    }

    /// Like [`Self::unwind_to`], undoing exactly what was written after
    /// `mark` (taken with the head at `number`), dev-method changes
    /// included: `evm_revert`. The caller holds the producer lock.
    pub async fn revert_to_mark(
        &self,
        number: u64,
        mark: crate::ChangesetMark,
    ) -> Result<(), DbError> {
        self.unwind_locked(number, Some(mark)).await
    }

    async fn unwind_locked(
        &self,
        number: u64,
        mark: Option<crate::ChangesetMark>,
    ) -> Result<(), DbError> {
        if number > self.chain().head_number() {
            return Ok(());
        }
        if self.heads.finality_depth.load(Ordering::Relaxed) > 0 {
            // L1: the finalized block stays finalized after the unwind (the
            // floor of `finalized_number`), unless the unwind removes it.
            let finalized = self.finalized_number().min(number);
            self.heads.finalized.store(finalized, Ordering::Relaxed);
        }
        // Changes not yet stored would be lost or misattributed: store them.
        let pending = self.chain_mut().state.take_changes();
        if !pending.is_empty() {
            self.store.write_state(&pending).await?;
        }
        let restore = self.store.unwind(number, mark).await?;
        let (hashes, recent) =
            self.store.tip(crate::chain::RECENT_HASHES, crate::chain::RECENT_BLOCKS).await?;
        {
            let mut chain = self.chain.write();
            for (address, record) in restore.accounts {
                chain.state.restore_account(address, record);
            }
            for (address, slot, value) in restore.storage {
                chain.state.restore_storage(address, slot, value);
            }
            chain.set_tip(hashes, recent);
            let _ = chain.state.take_changes();
            let _ = chain.state.compute_state_root();
        }
        self.block_cache.lock().clear();
        self.head.send_replace(number);
        Ok(())
    }

    /// `excess_blob_gas` of the next block (EIP-4844 with EIP-7918).
    pub fn next_excess_blob_gas(&self) -> u64 {
        blob::next_excess_blob_gas_after(&self.chain().head().header)
    }

    /// The blob base fee of the next block, in wei per blob gas.
    pub fn next_blob_base_fee(&self) -> u128 {
        blob::blob_base_fee(self.next_excess_blob_gas())
    }

    /// Sets the blob parameters of revm for a block with `excess_blob_gas`:
    /// the blob price in the block environment (BLOBBASEFEE, the blob fee
    /// charged) and the per-transaction blob cap in the configuration.
    pub fn set_blob_env(&self, cfg: &mut CfgEnv, block: &mut BlockEnv, excess_blob_gas: u64) {
        if !self.config.kind.blobs() {
            return;
        }
        cfg.max_blobs_per_tx = Some(blob::MAX_BLOBS_PER_TX);
        cfg.blob_base_fee_update_fraction = Some(blob::BLOB_BASE_FEE_UPDATE_FRACTION);
        block.blob_excess_gas_and_price =
            Some(BlobExcessGasAndPrice::new(excess_blob_gas, blob::BLOB_BASE_FEE_UPDATE_FRACTION));
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

    /// Block `number`: from memory if recent ([`Chain::recent_block`]), else
    /// from the store through a cache of [`BLOCK_CACHE_SIZE`] blocks.
    /// `None` above the head.
    pub async fn block(&self, number: u64) -> Result<Option<Arc<StoredBlock>>, DbError> {
        {
            let chain = self.chain();
            if number > chain.head_number() {
                return Ok(None);
            }
            if let Some(block) = chain.recent_block(number) {
                return Ok(Some(block.clone()));
            }
        }
        if let Some(block) = self.block_cache.lock().get(&number) {
            return Ok(Some(block.clone()));
        }
        let Some(block) = self.store.block(number).await? else { return Ok(None) };
        let block = Arc::new(block);
        self.block_cache.lock().put(number, block.clone());
        Ok(Some(block))
    }

    /// The block with `hash`, if the chain has it.
    pub async fn block_by_hash(&self, hash: &B256) -> Result<Option<Arc<StoredBlock>>, DbError> {
        let known = {
            let chain = self.chain();
            if let Some(block) = chain.recent_block_by_hash(hash) {
                return Ok(Some(block.clone()));
            }
            chain.block_number(hash)
        };
        let number = match known {
            Some(number) => number,
            None => match self.store.block_number(hash).await? {
                Some(number) => number,
                None => return Ok(None),
            },
        };
        Ok(self.block(number).await?.filter(|block| block.hash == *hash))
    }

    /// Blocks `from..=to` the chain has (not above the head), in order:
    /// recent ones from memory, older ones from the store in one read (not
    /// cached: a log query over a range would evict everything else).
    pub async fn blocks(&self, from: u64, to: u64) -> Result<Vec<Arc<StoredBlock>>, DbError> {
        let (to, first_recent) = {
            let chain = self.chain();
            let to = to.min(chain.head_number());
            let first_recent =
                (chain.head_number() + 1).saturating_sub(chain.footprint().blocks as u64);
            (to, first_recent)
        };
        if from > to {
            return Ok(vec![]);
        }
        let mut blocks = Vec::new();
        if from < first_recent {
            let stored = self.store.blocks(from, to.min(first_recent - 1)).await?;
            blocks.extend(stored.into_iter().map(Arc::new));
        }
        let next = blocks.last().map_or(from, |b| b.number() + 1);
        let chain = self.chain();
        for number in next..=to {
            match chain.recent_block(number) {
                Some(block) => blocks.push(block.clone()),
                None => break,
            }
        }
        Ok(blocks)
    }

    /// Where the transaction with `hash` sits, if it is in a block.
    pub async fn tx_location(&self, hash: &B256) -> Result<Option<crate::TxLocation>, DbError> {
        let head = {
            let chain = self.chain();
            if let Some(location) = chain.recent_tx_location(hash) {
                return Ok(Some(location));
            }
            chain.head_number()
        };
        // A row above the head is a block being committed: not visible yet.
        Ok(self.store.tx_location(hash).await?.filter(|l| l.block <= head))
    }

    /// The transaction with `hash`, its location and its block.
    pub async fn transaction(
        &self,
        hash: &B256,
    ) -> Result<Option<(crate::TxLocation, Arc<StoredBlock>)>, DbError> {
        let Some(location) = self.tx_location(hash).await? else { return Ok(None) };
        Ok(self
            .block(location.block)
            .await?
            .filter(|b| b.transactions.get(location.index).is_some_and(|t| t.tx.tx_hash() == *hash))
            .map(|block| (location, block)))
    }

    /// The hashes of the 256 blocks before `number + 1` when the chain no
    /// longer keeps them in memory (a historical state's `BLOCKHASH`).
    async fn ancestors_of(&self, number: u64) -> Result<HashMap<u64, B256>, DbError> {
        let first = number.saturating_sub(255);
        if self.chain().hash(first).is_some() {
            return Ok(HashMap::default());
        }
        Ok(self.store.block_hashes(first, number).await?.into_iter().collect())
    }

    /// The mempool.
    pub fn pool(&self) -> parking_lot::MutexGuard<'_, Mempool> {
        self.pool.lock()
    }

    /// The store.
    pub const fn store(&self) -> &ChainStore {
        &self.store
    }

    /// Serialises block producers (and dev methods that rewrite the chain),
    /// and holds off [`Self::state_view`] until the guard is dropped.
    ///
    /// A producer executes its block on the live [`Chain::state`], then
    /// persists it and makes it the head ([`Self::commit_block`]), all under
    /// this guard: in between, the state is ahead of the head.
    pub async fn producer_lock(&self) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.producer.write().await
    }

    /// Waits until no block is being produced and keeps the next one from
    /// starting while the guard lives. Readers of the head state (`eth_call`,
    /// `eth_getBalance`, ...) take it, so they never see the state of a block
    /// that is not yet the head (the one a producer is executing or
    /// persisting), as geth and reth never show a block's state before its
    /// header. Block and log readers need not: a block is only visible once
    /// it is the head.
    pub async fn state_view(&self) -> tokio::sync::RwLockReadGuard<'_, ()> {
        self.producer.read().await
    }

    /// A receiver of the head block number (WebSocket `newHeads`, filters).
    pub fn subscribe_head(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    /// Resolves when a transaction enters the pool.
    pub async fn wait_for_tx(&self) {
        self.new_tx.notified().await;
    }

    /// Sets the L1 fees of the current L1 origin, which price the L1 data
    /// fee in pool admission (the blob base fee saturates at `u64::MAX` wei).
    pub fn set_l1_fees(&self, origin: &rollup_protocol::L1Origin) {
        self.l1_base_fee.store(origin.base_fee, Ordering::Relaxed);
        self.l1_blob_base_fee
            .store(u64::try_from(origin.blob_base_fee).unwrap_or(u64::MAX), Ordering::Relaxed);
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
        self.commit_block_with_blobs(block, changes, &[]).await
    }

    /// Like [`Self::commit_block`], persisting the sidecars of the block's
    /// blob transactions in the same database transaction.
    pub async fn commit_block_with_blobs(
        &self,
        block: StoredBlock,
        changes: rollup_protocol::StateChanges,
        blobs: &[StoredBlob],
    ) -> Result<(), DbError> {
        if self.diverged.load(Ordering::Relaxed) {
            return Err(DbError::Diverged);
        }
        if let Err(error) = self.store.append_block_with_blobs(&block, &changes, blobs).await {
            // The block was executed on the live state but is not stored:
            // take the state back to the store's head before anything builds
            // on it, or refuse every further block until a restart does.
            let reloaded =
                self.store.load(crate::chain::RECENT_HASHES, crate::chain::RECENT_BLOCKS).await;
            match reloaded {
                Ok((hashes, blocks, state)) if !blocks.is_empty() => {
                    *self.chain.write() = Chain::new(state, hashes, blocks);
                    tracing::error!(target: "node", number = block.number(), %error, "block not stored; state reloaded from the store");
                }
                reloaded => {
                    self.diverged.store(true, Ordering::Relaxed);
                    tracing::error!(target: "node", number = block.number(), %error, reload = ?reloaded.err(), "block not stored and the state could not be reloaded: refusing further blocks until restarted");
                }
            }
            return Err(error);
        }
        let number = block.number();
        let included: Vec<B256> = block.transactions.iter().map(|t| t.tx.tx_hash()).collect();
        let senders: alloy_primitives::map::HashSet<Address> =
            block.transactions.iter().map(|t| t.sender).collect();
        {
            let mut chain = self.chain.write();
            chain.push(block);
            let mut pool = self.pool.lock();
            for hash in &included {
                pool.remove(hash);
            }
            // Only the block's senders' nonces moved: O(block), not O(pool).
            pool.prune_senders(&senders, |a| chain.state.nonce(a));
        }
        self.head.send_replace(number);
        self.record_block_metrics(number, included.len());
        let keep = self.history_blocks.load(Ordering::Relaxed);
        if keep > 0 && number > keep {
            // The state of `number - keep` stays servable: drop the
            // changesets of blocks up to it.
            let floor = number - keep;
            if let Err(error) = self.store.prune_history(floor).await {
                tracing::warn!(target: "node", %error, "pruning history failed");
            } else {
                self.history_floor.store(floor, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// Validates a signed transaction (EIP-2718 bytes) and adds it to the pool.
    ///
    /// On a node with blobs enabled, a type-3 transaction must come in its
    /// network form (`0x03 || rlp([tx_payload_body, blobs, commitments,
    /// proofs])`); its sidecar is verified with KZG and pooled beside the
    /// canonical transaction.
    pub fn submit_raw(&self, raw: &[u8]) -> Result<B256, PoolError> {
        let is_blob = raw.first() == Some(&(alloy_consensus::TxType::Eip4844 as u8));
        if is_blob && !self.config.kind.blobs() {
            return Err(PoolError::TypeNotSupported);
        }
        let limit = self.config.max_tx_size;
        if raw.len() > if is_blob { limit + MAX_SIDECAR_SIZE } else { limit } {
            return Err(PoolError::Oversized(raw.len(), limit));
        }
        let (tx, sidecar, raw) = if is_blob {
            let (tx, sidecar) = decode_blob_tx(raw)?;
            let canonical = tx.encoded_2718();
            if canonical.len() > limit {
                return Err(PoolError::Oversized(canonical.len(), limit));
            }
            (tx, Some(sidecar), Bytes::from(canonical))
        } else {
            match RollupTxEnvelope::decode_2718_exact(raw)
                .map_err(|e| PoolError::Decode(e.to_string()))?
            {
                RollupTxEnvelope::Eth(tx) if !tx.is_eip4844() => {
                    (tx, None, Bytes::copy_from_slice(raw))
                }
                _ => return Err(PoolError::TypeNotSupported),
            }
        };
        let raw = &raw[..];
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
            .kind
            .l1_fee()
            .map(|s| {
                l1_data_fee(
                    raw,
                    self.l1_base_fee.load(Ordering::Relaxed),
                    self.l1_blob_base_fee.load(Ordering::Relaxed).into(),
                    s,
                )
            })
            .unwrap_or(0);
        let blob_gas = tx.blob_versioned_hashes().map_or(0, |h| blob::blob_gas(h.len()));
        if let Some(blob_fee_cap) = tx.max_fee_per_blob_gas() {
            let blob_base_fee = self.next_blob_base_fee();
            if blob_fee_cap < blob_base_fee {
                return Err(PoolError::BlobFeeCapTooLow {
                    address: sender,
                    max_fee: blob_fee_cap,
                    blob_base_fee,
                });
            }
        }
        let want = U256::from(tx.gas_limit()) * U256::from(tx.max_fee_per_gas())
            + tx.value()
            + U256::from(l1_fee)
            + U256::from(blob_gas) * U256::from(tx.max_fee_per_blob_gas().unwrap_or_default());
        let hash = *tx.tx_hash();
        let (state_nonce, have) = {
            let chain = self.chain.read();
            (chain.state.nonce(&sender), chain.state.balance(&sender))
        };
        if have < want {
            return Err(PoolError::InsufficientFunds { address: sender, have, want });
        }
        // The expensive check last: KZG verification of every blob.
        if let (Some(sidecar), TxEnvelope::Eip4844(signed)) = (&sidecar, &tx) {
            blob::validate_sidecar(signed.tx().tx(), sidecar)?;
        }
        let pooled = PoolTx {
            tx,
            raw: Bytes::copy_from_slice(raw),
            sidecar: sidecar.map(Arc::new),
            sender,
            hash,
        };
        self.pool.lock().insert(pooled, state_nonce)?;
        self.rpc.on_pending_tx(hash);
        self.new_tx.notify_waiters();
        self.new_tx.notify_one();
        Ok(hash)
    }
}

/// Decodes a network-form blob transaction into the canonical transaction
/// (sidecar stripped, same hash) and its EIP-4844 sidecar.
fn decode_blob_tx(
    mut raw: &[u8],
) -> Result<(TxEnvelope, alloy_eips::eip4844::BlobTransactionSidecar), PoolError> {
    let tx = TxEnvelope::decode_2718(&mut raw).map_err(|e| PoolError::Decode(e.to_string()))?;
    if !raw.is_empty() {
        return Err(PoolError::Decode("input contains more than one value".into()));
    }
    let EthereumTxEnvelope::Eip4844(signed) = tx else {
        return Err(PoolError::TypeNotSupported);
    };
    let (variant, signature, hash) = signed.into_parts();
    let (canonical, sidecar) = match variant {
        TxEip4844Variant::TxEip4844WithSidecar(with) => {
            let (tx, sidecar) = with.into_parts();
            match sidecar {
                BlobTransactionSidecarVariant::Eip4844(sidecar) => (tx, sidecar),
                BlobTransactionSidecarVariant::Eip7594(_) => {
                    return Err(BlobError::CellProofs.into());
                }
            }
        }
        TxEip4844Variant::TxEip4844(_) => return Err(BlobError::MissingSidecar.into()),
    };
    let tx = TxEnvelope::Eip4844(Signed::new_unchecked(
        TxEip4844Variant::TxEip4844(canonical),
        signature,
        hash,
    ));
    Ok((tx, sidecar))
}
