//! The transaction pool: validated signed transactions, per sender in nonce
//! order, handed to the block builder by effective tip (geth's ordering:
//! nonce order within a sender, highest effective tip first across senders).
//!
//! Admission rules and their errors follow geth's `txpool` (core/txpool
//! `errors.go`) so that clients see the messages they know.

use crate::blob::BlobError;
use alloy_consensus::{Transaction, TxEnvelope};
use alloy_eips::eip4844::BlobTransactionSidecar;
use alloy_primitives::{Address, B256, Bytes, U256, map::HashMap};
use std::{
    collections::{BTreeMap, BinaryHeap},
    sync::Arc,
};

/// Largest accepted transaction by default, in bytes (geth `txMaxSize`, 4
/// slots of 32 KiB); a node may set another limit (`NodeConfig::max_tx_size`).
pub const MAX_TX_SIZE: usize = 128 * 1024;
/// What a full sidecar adds to a network-form blob transaction, at most, in
/// bytes: every blob with its commitment and proof, and the RLP overhead.
pub const MAX_SIDECAR_SIZE: usize = crate::blob::MAX_BLOBS_PER_TX as usize
    * (alloy_eips::eip4844::BYTES_PER_BLOB + 2 * 48 + 16)
    + 64;
/// How far ahead of the account nonce a transaction may be queued.
pub const MAX_NONCE_GAP: u64 = 64;
/// Most transactions in the pool.
pub const MAX_POOL_SIZE: usize = 50_000;
/// Replacement bump required for both fee cap and tip (and the blob fee cap
/// of a blob transaction), in percent (geth's default for the legacy pool).
pub const PRICE_BUMP_PERCENT: u128 = 10;
/// The least gas a transaction uses (EIP-2's intrinsic 21,000).
pub const MIN_TX_GAS: u64 = 21_000;
/// How many blocks' worth of gas limits a block builder takes from the pool
/// ([`Mempool::best_with_blob_fee`]): limits above the gas used leave room
/// for more transactions than the block's gas limit covers.
pub const CANDIDATE_GAS_FACTOR: u64 = 4;
/// Most blob transactions in the pool (their sidecars are kept in memory:
/// up to 6 x 128 KiB each).
pub const MAX_POOL_BLOB_TXS: usize = 512;

/// Why a transaction was refused. Messages are geth's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The bytes do not decode.
    #[error("rlp: {0}")]
    Decode(String),
    /// Over the node's size limit (`NodeConfig::max_tx_size`, the sidecar not counted).
    #[error("oversized data: transaction size {0}, limit {1}")]
    Oversized(usize, usize),
    /// Type not accepted (deposits, blobs where unsupported).
    #[error("transaction type not supported")]
    TypeNotSupported,
    /// The signature does not recover.
    #[error("invalid sender")]
    InvalidSender,
    /// Wrong or missing EIP-155 chain id (geth's `types.Sender` and, for a
    /// pre-EIP-155 transaction, its RPC refusal of unprotected transactions).
    #[error("{}", chain_id_message(*have, *want))]
    ChainId {
        /// The transaction's chain id.
        have: Option<u64>,
        /// The chain's id.
        want: u64,
    },
    /// Nonce below the account's.
    #[error("nonce too low: next nonce {state}, tx nonce {tx}")]
    NonceTooLow {
        /// Sender.
        address: Address,
        /// Transaction nonce.
        tx: u64,
        /// Account nonce.
        state: u64,
    },
    /// Nonce too far ahead.
    #[error("nonce too high: next nonce {state}, tx nonce {tx}")]
    NonceTooHigh {
        /// Sender.
        address: Address,
        /// Transaction nonce.
        tx: u64,
        /// Account nonce.
        state: u64,
    },
    /// Gas limit below the intrinsic gas (EIP-2028, EIP-2930, EIP-3860, EIP-7623).
    #[error("intrinsic gas too low: gas {have}, minimum needed {want}")]
    IntrinsicGas {
        /// The gas limit.
        have: u64,
        /// The intrinsic gas.
        want: u64,
    },
    /// Gas limit over the block gas limit.
    #[error("exceeds block gas limit")]
    GasLimit,
    /// Tip above fee cap.
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    /// Blob fee cap below the current blob base fee.
    #[error(
        "max fee per blob gas less than block blob gas fee: address {address} blobGasFeeCap: {max_fee}, blobBaseFee: {blob_base_fee}"
    )]
    BlobFeeCapTooLow {
        /// Sender.
        address: Address,
        /// Blob fee cap, wei.
        max_fee: u128,
        /// Blob base fee of the next block, wei.
        blob_base_fee: u128,
    },
    /// The blob sidecar is malformed or does not verify.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// Fee cap below the current base fee.
    #[error(
        "max fee per gas less than block base fee: address {address}, maxFeePerGas: {max_fee}, baseFee: {base_fee}"
    )]
    FeeCapTooLow {
        /// Sender.
        address: Address,
        /// Fee cap, wei.
        max_fee: u128,
        /// Base fee, wei.
        base_fee: u64,
    },
    /// Balance below the most the transaction can cost.
    #[error(
        "insufficient funds for gas * price + value: address {address} have {have} want {want}"
    )]
    InsufficientFunds {
        /// Sender.
        address: Address,
        /// Balance, wei.
        have: U256,
        /// Cost, wei.
        want: U256,
    },
    /// Same hash already pooled.
    #[error("already known")]
    AlreadyKnown,
    /// Same nonce without the required fee bump.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// Pool at capacity.
    #[error("txpool is full")]
    PoolFull,
}

fn chain_id_message(have: Option<u64>, want: u64) -> String {
    match have {
        Some(have) => format!("invalid chain id for signer: have {have} want {want}"),
        None => "only replay-protected (EIP-155) transactions allowed over RPC".into(),
    }
}

/// A validated pooled transaction.
#[derive(Clone, Debug)]
pub struct PoolTx {
    /// The transaction, in its canonical form (a blob transaction without
    /// its sidecar, as it is hashed and included in blocks).
    pub tx: TxEnvelope,
    /// Its canonical EIP-2718 encoding (for a blob transaction, without the
    /// sidecar: the bytes whose keccak256 is the hash).
    pub raw: Bytes,
    /// A blob transaction's validated sidecar (blobs, commitments, proofs).
    pub sidecar: Option<Arc<BlobTransactionSidecar>>,
    /// Recovered sender.
    pub sender: Address,
    /// Hash.
    pub hash: B256,
}

impl PoolTx {
    /// The transaction with the sender recovered at admission, as the STF
    /// takes it (no second recovery in block building).
    pub fn to_block_tx(&self) -> rollup_protocol::BlockTx {
        rollup_protocol::BlockTx::from_recovered(
            alloy_consensus::transaction::Recovered::new_unchecked(self.tx.clone(), self.sender),
            self.raw.clone(),
        )
    }
}

/// The pool as geth's `txpool_content` shows it (see [`Mempool::split`]).
#[derive(Debug, Default)]
pub struct PoolSplit<'a> {
    /// Executable now: per sender, by nonce.
    pub pending: BTreeMap<Address, BTreeMap<u64, &'a PoolTx>>,
    /// Waiting behind a nonce gap: per sender, by nonce.
    pub queued: BTreeMap<Address, BTreeMap<u64, &'a PoolTx>>,
}

/// The pool.
#[derive(Debug, Default)]
pub struct Mempool {
    by_sender: HashMap<Address, BTreeMap<u64, PoolTx>>,
    by_hash: HashMap<B256, (Address, u64)>,
    blob_txs: usize,
}

impl Mempool {
    /// Number of pooled transactions.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// The pooled transaction of `sender` with `nonce`.
    pub fn by_sender_nonce(&self, sender: &Address, nonce: u64) -> Option<&PoolTx> {
        self.by_sender.get(sender)?.get(&nonce)
    }

    /// A pooled transaction by hash.
    pub fn get(&self, hash: &B256) -> Option<&PoolTx> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        self.by_sender.get(sender)?.get(nonce)
    }

    /// Highest pooled nonce + 1 of `sender` if contiguous from `state_nonce`
    /// (the "pending" nonce), else `state_nonce`.
    pub fn pending_nonce(&self, sender: &Address, state_nonce: u64) -> u64 {
        let mut next = state_nonce;
        if let Some(txs) = self.by_sender.get(sender) {
            while txs.contains_key(&next) {
                next += 1;
            }
        }
        next
    }

    /// The pool split as geth's `txpool_*` methods show it: per sender, by
    /// nonce, the transactions executable now (`pending`: contiguous from the
    /// account's nonce, given by `nonce_of`) and the rest (`queued`: behind a
    /// nonce gap). Costs O(pool size): for the `txpool_` methods, never for
    /// block building.
    pub fn split(&self, nonce_of: impl Fn(&Address) -> u64) -> PoolSplit<'_> {
        let mut split = PoolSplit::default();
        for (sender, txs) in &self.by_sender {
            let mut next = nonce_of(sender);
            for (nonce, tx) in txs {
                let side = if *nonce == next {
                    next += 1;
                    &mut split.pending
                } else {
                    &mut split.queued
                };
                side.entry(*sender).or_default().insert(*nonce, tx);
            }
        }
        split
    }

    /// Inserts a transaction whose stateful checks the caller has done
    /// (`state_nonce` is the account's nonce). Handles replacement.
    pub fn insert(&mut self, tx: PoolTx, state_nonce: u64) -> Result<B256, PoolError> {
        if self.by_hash.contains_key(&tx.hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let nonce = tx.tx.nonce();
        if nonce < state_nonce {
            return Err(PoolError::NonceTooLow {
                address: tx.sender,
                tx: nonce,
                state: state_nonce,
            });
        }
        if nonce > state_nonce + MAX_NONCE_GAP {
            return Err(PoolError::NonceTooHigh {
                address: tx.sender,
                tx: nonce,
                state: state_nonce,
            });
        }
        let queue = self.by_sender.entry(tx.sender).or_default();
        if let Some(old) = queue.get(&nonce) {
            let bumped = |old: u128, new: u128| new * 100 >= old * (100 + PRICE_BUMP_PERCENT);
            let old_tip = old.tx.max_priority_fee_per_gas().unwrap_or(old.tx.max_fee_per_gas());
            let new_tip = tx.tx.max_priority_fee_per_gas().unwrap_or(tx.tx.max_fee_per_gas());
            // A blob transaction is replaced only with a bumped blob fee cap too.
            let blob_bumped = match old.tx.max_fee_per_blob_gas() {
                Some(old_blob) => {
                    tx.tx.max_fee_per_blob_gas().is_some_and(|new_blob| bumped(old_blob, new_blob))
                }
                None => true,
            };
            if !bumped(old.tx.max_fee_per_gas(), tx.tx.max_fee_per_gas())
                || !bumped(old_tip, new_tip)
                || !blob_bumped
            {
                return Err(PoolError::ReplacementUnderpriced);
            }
            if tx.sidecar.is_some() && old.sidecar.is_none() && self.blob_txs >= MAX_POOL_BLOB_TXS {
                return Err(PoolError::PoolFull);
            }
            let old_hash = old.hash;
            if old.sidecar.is_some() {
                self.blob_txs -= 1;
            }
            self.by_hash.remove(&old_hash);
        } else if self.by_hash.len() >= MAX_POOL_SIZE
            || (tx.sidecar.is_some() && self.blob_txs >= MAX_POOL_BLOB_TXS)
        {
            return Err(PoolError::PoolFull);
        }
        if tx.sidecar.is_some() {
            self.blob_txs += 1;
        }
        let hash = tx.hash;
        self.by_hash.insert(hash, (tx.sender, nonce));
        queue.insert(nonce, tx);
        Ok(hash)
    }

    /// Number of pooled blob transactions.
    pub const fn blob_len(&self) -> usize {
        self.blob_txs
    }

    /// Executable transactions in block order: per sender contiguous from its
    /// account nonce, across senders by effective tip at `base_fee`, highest first.
    pub fn best(&self, base_fee: u64, nonce_of: impl Fn(&Address) -> u64) -> Vec<PoolTx> {
        self.best_with_blob_fee(base_fee, 0, u64::MAX, nonce_of)
    }

    /// The candidates of one block, in [`Self::best`]'s order, up to
    /// `max_gas` of gas limits: a block builder's cost follows the block,
    /// not the pool (geth's miner also stops at the block's gas; since a
    /// transaction's limit may exceed what it uses, builders ask for a few
    /// blocks' worth, [`CANDIDATE_GAS_FACTOR`], and the rest stays pooled).
    /// A sender whose next transaction does not fit is passed over, its
    /// later transactions too (they wait behind it), as geth's miner does.
    /// A blob transaction is executable only if its blob fee cap covers
    /// `blob_base_fee` (a sender's later transactions wait behind it).
    pub fn best_with_blob_fee(
        &self,
        base_fee: u64,
        blob_base_fee: u128,
        max_gas: u64,
        nonce_of: impl Fn(&Address) -> u64,
    ) -> Vec<PoolTx> {
        #[derive(PartialEq, Eq, PartialOrd, Ord)]
        struct Head(u128, std::cmp::Reverse<u64>, Address, u64);
        let tip = |tx: &TxEnvelope| tx.effective_tip_per_gas(base_fee).unwrap_or(0);
        let payable = |tx: &TxEnvelope| {
            tx.max_fee_per_gas() >= u128::from(base_fee)
                && tx.max_fee_per_blob_gas().is_none_or(|cap| cap >= blob_base_fee)
        };
        let mut heap = BinaryHeap::new();
        for (sender, txs) in &self.by_sender {
            let nonce = nonce_of(sender);
            if let Some(tx) = txs.get(&nonce)
                && payable(&tx.tx)
            {
                heap.push(Head(tip(&tx.tx), std::cmp::Reverse(nonce), *sender, nonce));
            }
        }
        let mut out = Vec::new();
        let mut gas_left = max_gas;
        while let Some(Head(_, _, sender, nonce)) = heap.pop() {
            if gas_left < MIN_TX_GAS {
                break;
            }
            let txs = &self.by_sender[&sender];
            let Some(gas) = gas_left.checked_sub(txs[&nonce].tx.gas_limit()) else { continue };
            gas_left = gas;
            out.push(txs[&nonce].clone());
            if let Some(next) = txs.get(&(nonce + 1))
                && payable(&next.tx)
            {
                heap.push(Head(tip(&next.tx), std::cmp::Reverse(nonce + 1), sender, nonce + 1));
            }
        }
        out
    }

    /// Removes a transaction by hash.
    pub fn remove(&mut self, hash: &B256) -> Option<PoolTx> {
        let (sender, nonce) = self.by_hash.remove(hash)?;
        let queue = self.by_sender.get_mut(&sender)?;
        let tx = queue.remove(&nonce);
        if queue.is_empty() {
            self.by_sender.remove(&sender);
        }
        if tx.as_ref().is_some_and(|t| t.sidecar.is_some()) {
            self.blob_txs -= 1;
        }
        tx
    }

    /// Drops every transaction whose nonce is below its sender's account
    /// nonce. Costs O(senders): for changes made outside blocks (dev
    /// methods); after a block, [`Self::prune_senders`].
    pub fn prune(&mut self, nonce_of: impl Fn(&Address) -> u64) {
        let senders: Vec<Address> = self.by_sender.keys().copied().collect();
        self.prune_senders(senders.iter(), nonce_of);
    }

    /// [`Self::prune`] restricted to `senders` (those of a block's
    /// transactions, whose nonces it advanced): O(block), not O(pool).
    pub fn prune_senders<'a>(
        &mut self,
        senders: impl IntoIterator<Item = &'a Address>,
        nonce_of: impl Fn(&Address) -> u64,
    ) {
        let mut stale = Vec::new();
        for sender in senders {
            if let Some(txs) = self.by_sender.get(sender) {
                let nonce = nonce_of(sender);
                stale.extend(txs.range(..nonce).map(|(_, tx)| tx.hash));
            }
        }
        for hash in stale {
            self.remove(&hash);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{SignableTransaction, TxEip1559};
    use alloy_primitives::{TxKind, keccak256};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;

    fn pooled(key: u8, nonce: u64, tip: u128) -> PoolTx {
        let signer = PrivateKeySigner::from_bytes(&keccak256([key])).unwrap();
        let tx = TxEip1559 {
            chain_id: 901,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 1_000 + tip,
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(Address::ZERO),
            value: U256::ZERO,
            access_list: Default::default(),
            input: Bytes::new(),
        };
        let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
        let tx = TxEnvelope::Eip1559(tx.into_signed(sig));
        PoolTx {
            hash: *tx.tx_hash(),
            raw: Bytes::new(),
            sidecar: None,
            sender: signer.address(),
            tx,
        }
    }

    #[test]
    fn a_block_takes_candidates_up_to_its_gas_not_the_whole_pool() {
        let mut pool = Mempool::default();
        for key in 1..=20u8 {
            for nonce in 0..10 {
                pool.insert(pooled(key, nonce, u128::from(key)), 0).unwrap();
            }
        }
        // A 200,000-gas transaction from the best-paying sender does not fit
        // the budget: that sender is passed over, the others fill the block.
        let mut big = pooled(30, 0, 1_000);
        let Some(TxEnvelope::Eip1559(signed)) = Some(big.tx.clone()) else { unreachable!() };
        let mut inner = signed.strip_signature();
        inner.gas_limit = 200_000;
        let signer = PrivateKeySigner::from_bytes(&keccak256([30u8])).unwrap();
        let sig = signer.sign_hash_sync(&inner.signature_hash()).unwrap();
        big.tx = TxEnvelope::Eip1559(inner.into_signed(sig));
        big.hash = *big.tx.tx_hash();
        pool.insert(big.clone(), 0).unwrap();
        assert_eq!(pool.len(), 201);
        let picked = pool.best_with_blob_fee(1_000, 0, 7 * 21_000 + 20_000, |_| 0);
        assert_eq!(picked.len(), 7, "{} picked", picked.len());
        assert!(picked.iter().all(|t| t.hash != big.hash));
        // Best tip first, nonce order within a sender.
        let signer20 = pooled(20, 0, 20).sender;
        assert!(picked.iter().all(|t| t.sender == signer20));
        assert!(picked.windows(2).all(|w| w[0].tx.nonce() + 1 == w[1].tx.nonce()));
        // With room for it, the big one goes first.
        let picked = pool.best_with_blob_fee(1_000, 0, 200_000, |_| 0);
        assert_eq!(picked.iter().map(|t| t.hash).collect::<Vec<_>>(), vec![big.hash]);
    }

    #[test]
    fn pruning_after_a_block_touches_only_its_senders() {
        let mut pool = Mempool::default();
        let (a0, a1, b0) = (pooled(1, 0, 5), pooled(1, 1, 5), pooled(2, 0, 5));
        let (a, b) = (a0.sender, b0.sender);
        for tx in [a0, a1, b0] {
            pool.insert(tx, 0).unwrap();
        }
        // Both nonces moved on, but only `a` is named: `b`'s stays.
        pool.prune_senders([&a], |_| 1);
        assert_eq!(pool.len(), 2);
        pool.prune(|s| if *s == b { 1 } else { 0 });
        assert_eq!(pool.len(), 1);
        assert_eq!(pool.split(|_| 1).pending[&a].keys().copied().collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn split_puts_transactions_behind_a_nonce_gap_in_queued() {
        let mut pool = Mempool::default();
        let (a0, a1, a3, b2) = (pooled(1, 0, 5), pooled(1, 1, 5), pooled(1, 3, 5), pooled(2, 2, 5));
        let (a, b) = (a0.sender, b2.sender);
        for tx in [a0, a1, a3] {
            pool.insert(tx, 0).unwrap();
        }
        pool.insert(b2, 1).unwrap();
        // `a` is at nonce 0: 0 and 1 run now, 3 waits for 2. `b` is at nonce
        // 2 (its 0 and 1 mined): 2 runs now.
        let split = pool.split(|s| if *s == b { 2 } else { 0 });
        let keys = |m: &BTreeMap<u64, &PoolTx>| m.keys().copied().collect::<Vec<_>>();
        assert_eq!(keys(&split.pending[&a]), vec![0, 1]);
        assert_eq!(keys(&split.queued[&a]), vec![3]);
        assert_eq!(keys(&split.pending[&b]), vec![2]);
        assert!(!split.queued.contains_key(&b));
    }

    #[test]
    fn best_orders_by_tip_across_senders_and_by_nonce_within() {
        let mut pool = Mempool::default();
        let (a0, a1, b0) = (pooled(1, 0, 5), pooled(1, 1, 100), pooled(2, 0, 50));
        // Inserted out of order; a gap (nonce 3) is not executable.
        pool.insert(a1.clone(), 0).unwrap();
        pool.insert(b0.clone(), 0).unwrap();
        pool.insert(a0.clone(), 0).unwrap();
        pool.insert(pooled(1, 3, 1_000), 0).unwrap();
        let order: Vec<B256> = pool.best(1_000, |_| 0).iter().map(|t| t.hash).collect();
        // b0 (tip 50) beats a0 (tip 5); a1 (tip 100) only after a0.
        assert_eq!(order, vec![b0.hash, a0.hash, a1.hash]);
        assert_eq!(pool.pending_nonce(&a0.sender, 0), 2);
        pool.prune(|a| if *a == a0.sender { 2 } else { 0 });
        assert_eq!(pool.len(), 2, "nonces below the account nonce are pruned");
    }

    fn pooled_blob(key: u8, nonce: u64, tip: u128, blob_fee_cap: u128) -> PoolTx {
        use alloy_consensus::{TxEip4844, TxEip4844Variant};
        let signer = PrivateKeySigner::from_bytes(&keccak256([key])).unwrap();
        let tx = TxEip4844Variant::TxEip4844(TxEip4844 {
            chain_id: 900,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 1_000 + tip,
            max_priority_fee_per_gas: tip,
            blob_versioned_hashes: vec![B256::repeat_byte(1)],
            max_fee_per_blob_gas: blob_fee_cap,
            ..Default::default()
        });
        let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
        let tx = TxEnvelope::Eip4844(tx.into_signed(sig));
        PoolTx {
            hash: *tx.tx_hash(),
            raw: Bytes::new(),
            sidecar: Some(Arc::default()),
            sender: signer.address(),
            tx,
        }
    }

    #[test]
    fn blob_transactions_wait_for_their_blob_fee_and_replace_with_a_bump() {
        let mut pool = Mempool::default();
        let (cheap, next) = (pooled_blob(1, 0, 100, 10), pooled(1, 1, 100));
        pool.insert(cheap.clone(), 0).unwrap();
        pool.insert(next.clone(), 0).unwrap();
        let other = pooled(2, 0, 1);
        pool.insert(other.clone(), 0).unwrap();
        assert_eq!(pool.blob_len(), 1);
        let hashes = |txs: Vec<PoolTx>| txs.iter().map(|t| t.hash).collect::<Vec<_>>();
        assert_eq!(
            hashes(pool.best_with_blob_fee(1_000, 10, u64::MAX, |_| 0)),
            vec![cheap.hash, next.hash, other.hash]
        );
        // Blob base fee above its cap: it and the sender's later nonce wait.
        assert_eq!(hashes(pool.best_with_blob_fee(1_000, 11, u64::MAX, |_| 0)), vec![other.hash]);
        // Replacing needs the blob fee cap bumped too.
        assert_eq!(
            pool.insert(pooled_blob(1, 0, 300, 10), 0),
            Err(PoolError::ReplacementUnderpriced)
        );
        let bumped = pooled_blob(1, 0, 300, 11);
        assert_eq!(pool.insert(bumped.clone(), 0), Ok(bumped.hash));
        assert_eq!(pool.blob_len(), 1);
        pool.remove(&bumped.hash);
        assert_eq!(pool.blob_len(), 0);
    }

    #[test]
    fn replacement_needs_a_fee_bump() {
        let mut pool = Mempool::default();
        pool.insert(pooled(1, 0, 100), 0).unwrap();
        assert_eq!(pool.insert(pooled(1, 0, 105), 0), Err(PoolError::ReplacementUnderpriced));
        let bumped = pooled(1, 0, 300);
        assert_eq!(pool.insert(bumped.clone(), 0), Ok(bumped.hash));
        assert_eq!(pool.len(), 1);
        assert_eq!(
            pool.insert(pooled(1, 0, 400), 1),
            Err(PoolError::NonceTooLow { address: bumped.sender, tx: 0, state: 1 })
        );
        assert!(matches!(pool.insert(pooled(1, 70, 1), 0), Err(PoolError::NonceTooHigh { .. })));
    }
}
