//! The transaction manager: signs EIP-1559 transactions (and EIP-4844 blob
//! transactions) with a role key, sends them to the L1, waits for
//! confirmations, and resubmits with a fee bump when a transaction is
//! dropped or stuck (op-batcher's `txmgr`).
//!
//! # Nonces
//!
//! The manager picks each transaction's nonce when it first sends it:
//! the L1's pending nonce of the account (`eth_getTransactionCount(..,
//! "pending")`, which counts the account's pooled transactions), or one past
//! the highest nonce of its own transactions not yet confirmed if that is
//! higher (one the pool dropped is resubmitted at its nonce). Choosing the
//! nonce and the first send happen under one lock shared by the manager's
//! clones, so several transactions may be in flight at once
//! ([`TxManager::send_nowait`], then [`PendingTx::confirm`]) and never share
//! a nonce; they are mined in nonce order. A first send the L1 refuses is an
//! error and takes no nonce. After an L1 reorg that leaves a nonce gap, the
//! lowest unconfirmed transaction moves down first, so transactions stay in
//! the order they were sent.

use alloy::{
    consensus::{
        SignableTransaction, TxEip1559, TxEip4844, TxEip4844Variant, TxEip4844WithSidecar,
        TxEnvelope,
    },
    eips::{
        Encodable2718, eip4844::BlobTransactionSidecar, eip7594::BlobTransactionSidecarVariant,
    },
    network::TxSignerSync,
    providers::{Provider, RootProvider},
    rpc::types::{TransactionReceipt, TransactionRequest},
    signers::local::PrivateKeySigner,
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use std::{collections::BTreeMap, sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

/// Parameters of the transaction manager.
#[derive(Clone, Debug)]
pub struct TxManagerConfig {
    /// L1 chain id.
    pub chain_id: u64,
    /// Blocks on top of the inclusion block before a receipt counts.
    pub confirmations: u64,
    /// Resubmit (with a fee bump) when not mined after this long.
    pub resubmit_after: Duration,
    /// Fee bump on resubmission, percent (at least geth's 10).
    pub fee_bump_percent: u128,
    /// How often to poll for receipts.
    pub poll_interval: Duration,
    /// Give up on one transaction after this long.
    pub timeout: Duration,
}

impl Default for TxManagerConfig {
    fn default() -> Self {
        Self {
            chain_id: rollup_protocol::L1_CHAIN_ID,
            confirmations: 1,
            resubmit_after: Duration::from_secs(6),
            fee_bump_percent: 15,
            poll_interval: Duration::from_millis(200),
            timeout: Duration::from_secs(120),
        }
    }
}

/// Errors of the transaction manager.
#[derive(Debug, thiserror::Error)]
pub enum TxError {
    /// The L1 RPC failed.
    #[error("L1 RPC: {0}")]
    Rpc(#[from] alloy::transports::TransportError),
    /// Signing failed.
    #[error("signing: {0}")]
    Sign(#[from] alloy::signers::Error),
    /// Gas estimation reverted: the call would fail.
    #[error("transaction would revert: {0}")]
    WouldRevert(String),
    /// Not confirmed in time.
    #[error("transaction {0} not confirmed before the timeout")]
    Timeout(B256),
    /// Shutting down.
    #[error("cancelled")]
    Cancelled,
}

impl TxError {
    /// How a caller reacts: shutting down is critical; a transaction that
    /// would revert was built on state that changed (reset); the rest is
    /// retried.
    pub const fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Cancelled => crate::ErrorKind::Critical,
            Self::WouldRevert(_) => crate::ErrorKind::Reset,
            Self::Rpc(_) | Self::Sign(_) | Self::Timeout(_) => crate::ErrorKind::Temporary,
        }
    }
}

/// A confirmed transaction.
#[derive(Clone, Debug)]
pub struct Confirmed {
    /// The receipt.
    pub receipt: TransactionReceipt,
    /// How many times it was (re)submitted.
    pub attempts: u32,
}

/// Sends transactions from one key. Clones share the nonce bookkeeping:
/// one key, one manager (and its clones), or two managers would pick the
/// same nonces.
#[derive(Clone, Debug)]
pub struct TxManager {
    provider: RootProvider,
    signer: PrivateKeySigner,
    config: TxManagerConfig,
    nonces: Arc<Nonces>,
}

/// The nonces of a manager's transactions not yet confirmed, and the lock
/// held while a transaction takes a new nonce and is first sent there.
#[derive(Debug, Default)]
struct Nonces {
    /// Held while a nonce is chosen and its transaction sent.
    lock: tokio::sync::Mutex<()>,
    /// Unconfirmed transactions by nonce (how many hold each: normally one).
    outstanding: parking_lot::Mutex<BTreeMap<u64, usize>>,
}

impl Nonces {
    fn take(&self, nonce: u64) {
        *self.outstanding.lock().entry(nonce).or_default() += 1;
    }

    fn release(&self, nonce: u64) {
        let mut outstanding = self.outstanding.lock();
        if let Some(count) = outstanding.get_mut(&nonce) {
            *count -= 1;
            if *count == 0 {
                outstanding.remove(&nonce);
            }
        }
    }

    /// The next nonce after every unconfirmed one (0 when none).
    fn after_outstanding(&self) -> u64 {
        self.outstanding.lock().last_key_value().map_or(0, |(n, _)| n + 1)
    }

    fn lowest(&self) -> Option<u64> {
        self.outstanding.lock().first_key_value().map(|(n, _)| *n)
    }
}

impl TxManager {
    /// A manager for `signer` on `provider`.
    pub fn new(provider: RootProvider, signer: PrivateKeySigner, config: TxManagerConfig) -> Self {
        Self { provider, signer, config, nonces: Arc::default() }
    }

    /// The sending address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// The provider.
    pub const fn provider(&self) -> &RootProvider {
        &self.provider
    }

    /// Sends a call to `to` with `input` and `value`, and waits until it is
    /// confirmed. The receipt may show a revert: the caller decides.
    pub async fn send(
        &self,
        to: Address,
        input: Bytes,
        value: U256,
        shutdown: &CancellationToken,
    ) -> Result<Confirmed, TxError> {
        self.send_kind(TxKind::Call(to), input, value, shutdown).await
    }

    /// Like [`Self::send`], for a call or a contract creation.
    pub async fn send_kind(
        &self,
        to: TxKind,
        input: Bytes,
        value: U256,
        shutdown: &CancellationToken,
    ) -> Result<Confirmed, TxError> {
        self.send_kind_nowait(to, input, value).await?.confirm(shutdown).await
    }

    /// Sends a call to `to` with `input` and `value` and returns as soon
    /// as the L1 has accepted it into its pool, without waiting for it to be
    /// mined: the transaction has its nonce (the next after every other
    /// transaction of this manager, see the module header), and
    /// [`PendingTx::confirm`] waits for it (resubmitting as [`Self::send`]
    /// does). Several may be in flight at once; they are mined in the order
    /// they were sent.
    ///
    /// # Errors
    /// [`TxError::WouldRevert`] when gas estimation fails, [`TxError::Rpc`]
    /// when the L1 refuses the transaction or cannot be reached (no nonce is
    /// taken then).
    pub async fn send_nowait(
        &self,
        to: Address,
        input: Bytes,
        value: U256,
    ) -> Result<PendingTx, TxError> {
        self.send_kind_nowait(TxKind::Call(to), input, value).await
    }

    async fn send_kind_nowait(
        &self,
        to: TxKind,
        input: Bytes,
        value: U256,
    ) -> Result<PendingTx, TxError> {
        let request = TransactionRequest {
            from: Some(self.address()),
            to: Some(to),
            value: Some(value),
            input: input.clone().into(),
            ..Default::default()
        };
        let (gas_limit, tip, max_fee) = self.fees(request).await?;
        let tx = TxEip1559 {
            chain_id: self.config.chain_id,
            nonce: 0,
            gas_limit,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            to,
            value,
            access_list: Default::default(),
            input,
        };
        self.first_send(Draft::Eip1559(tx)).await
    }

    /// Sends an EIP-4844 blob transaction calling `to` with `input` and
    /// carrying `sidecar` (see [`rollup_protocol::l1_blob::sidecar_from_blobs`]), and waits
    /// until it is confirmed. It goes out in the network form (sidecar
    /// attached); its blob fee cap is twice the current blob base fee, at
    /// least [`MIN_BLOB_FEE_CAP`], and every resubmission bumps the blob fee
    /// cap with the other two. The receipt has `blob_gas_used` and
    /// `blob_gas_price`.
    pub async fn send_blobs(
        &self,
        to: Address,
        input: Bytes,
        sidecar: BlobTransactionSidecar,
        shutdown: &CancellationToken,
    ) -> Result<Confirmed, TxError> {
        let hashes: Vec<B256> = sidecar.versioned_hashes().collect();
        let request = TransactionRequest {
            from: Some(self.address()),
            to: Some(TxKind::Call(to)),
            input: input.clone().into(),
            blob_versioned_hashes: Some(hashes.clone()),
            ..Default::default()
        };
        let (gas_limit, tip, max_fee) = self.fees(request).await?;
        let blob_base_fee = self.provider.get_blob_base_fee().await?;
        let tx = TxEip4844 {
            chain_id: self.config.chain_id,
            nonce: 0,
            gas_limit,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            to,
            value: U256::ZERO,
            access_list: Default::default(),
            blob_versioned_hashes: hashes,
            max_fee_per_blob_gas: (2 * blob_base_fee).max(MIN_BLOB_FEE_CAP),
            input,
        };
        self.first_send(Draft::Eip4844(tx, sidecar)).await?.confirm(shutdown).await
    }

    /// Gas limit (estimate + 20% + 10k), tip and fee cap (2x the latest
    /// base fee + tip) of a transaction like `request`.
    async fn fees(&self, request: TransactionRequest) -> Result<(u64, u128, u128), TxError> {
        let gas = self
            .provider
            .estimate_gas(request)
            .await
            .map_err(|e| TxError::WouldRevert(e.to_string()))?;
        let tip = self.provider.get_max_priority_fee_per_gas().await?;
        let base = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await?
            .and_then(|b| b.header.base_fee_per_gas)
            .unwrap_or(1_000_000_000);
        Ok((gas * 6 / 5 + 10_000, tip, 2 * u128::from(base) + tip))
    }

    /// Gives `tx` its nonce and sends it, under the nonce lock: the L1's
    /// pending nonce of the account, or one past our highest unconfirmed
    /// transaction if that is higher (the pool may have dropped it; it is
    /// resubmitted at its own nonce).
    async fn first_send(&self, mut tx: Draft) -> Result<PendingTx, TxError> {
        let _nonce_lock = self.nonces.lock.lock().await;
        let pending = self.provider.get_transaction_count(self.address()).pending().await?;
        let nonce = pending.max(self.nonces.after_outstanding());
        tx.set_nonce(nonce);
        let (raw, hash) = tx.sign(&self.signer)?;
        let _ = self.provider.send_raw_transaction(&raw).await?;
        self.nonces.take(nonce);
        tracing::debug!(target: "txmgr", %hash, nonce, max_fee = tx.max_fee(), "submitted");
        let now = tokio::time::Instant::now();
        Ok(PendingTx {
            txmgr: self.clone(),
            tx,
            hashes: vec![hash],
            attempts: 1,
            started: now,
            attempt_started: now,
        })
    }

    /// After an L1 reorg: if the L1's pending nonce of our account is below
    /// the nonce of `tx` (a gap nothing fills: the transactions of ours that
    /// filled it went with the reorged blocks), moves `tx` to that nonce,
    /// sends it there and returns its hash. Only the lowest of our
    /// unconfirmed transactions moves (the others wait for their turn), so
    /// they stay in the order they were sent. An attempt of `tx` (one of
    /// `hashes`) still in the pool at the old nonce would be mined as soon as
    /// the gap fills: it is replaced by a cancellation, a 0-value transfer to
    /// ourselves with bumped fees ([`Draft::cancellation`]).
    async fn resync(&self, tx: &mut Draft, hashes: &[B256]) -> Result<Option<B256>, TxError> {
        let _nonce_lock = self.nonces.lock.lock().await;
        let from = self.address();
        let old = tx.nonce();
        if self.nonces.lowest().is_some_and(|lowest| lowest < old) {
            // An earlier transaction of ours moves first.
            return Ok(None);
        }
        let pending = self.provider.get_transaction_count(from).pending().await?;
        if pending >= old {
            // Something of ours (another manager's, or pooled) fills the gap.
            return Ok(None);
        }
        let mut pooled = false;
        for h in hashes {
            if let Some(found) = self.provider.get_transaction_by_hash(*h).await? {
                pooled |= found.block_number.is_none();
            }
        }
        if pooled {
            let cancel = tx.cancellation(from, self.config.fee_bump_percent);
            let (raw, hash) = cancel.sign(&self.signer)?;
            match self.provider.send_raw_transaction(&raw).await {
                Ok(_) => {
                    tracing::warn!(target: "txmgr", %hash, nonce = old, "cancelling the stale attempt left behind the reorg's nonce gap")
                }
                Err(e) => {
                    tracing::warn!(target: "txmgr", %e, nonce = old, "cannot cancel the stale attempt behind the nonce gap")
                }
            }
        }
        tracing::warn!(target: "txmgr", old_nonce = old, nonce = pending, "L1 nonce went back (reorg): reposting at the L1's pending nonce");
        tx.set_nonce(pending);
        self.nonces.release(old);
        self.nonces.take(pending);
        let (raw, hash) = tx.sign(&self.signer)?;
        if let Err(e) = self.provider.send_raw_transaction(&raw).await {
            tracing::warn!(target: "txmgr", %e, %hash, nonce = pending, "send failed");
        }
        Ok(Some(hash))
    }

    /// The receipt of `hash` if its block is still the canonical block at
    /// its height with `confirmations` blocks on top (re-read, so that a
    /// reorg during the wait is seen).
    async fn canonical_receipt(&self, hash: B256) -> Result<Option<TransactionReceipt>, TxError> {
        let Some(receipt) = self.provider.get_transaction_receipt(hash).await? else {
            return Ok(None);
        };
        let (Some(number), Some(block_hash)) = (receipt.block_number, receipt.block_hash) else {
            return Ok(None);
        };
        let canonical = self
            .provider
            .get_block_by_number(number.into())
            .await?
            .is_some_and(|b| b.header.hash == block_hash);
        let head = self.provider.get_block_number().await?;
        let deep = head >= number + self.config.confirmations.saturating_sub(1);
        Ok((canonical && deep).then_some(receipt))
    }

    async fn wait_confirmations(
        &self,
        included: u64,
        shutdown: &CancellationToken,
    ) -> Result<bool, TxError> {
        loop {
            let head = self.provider.get_block_number().await?;
            if head >= included + self.config.confirmations.saturating_sub(1) {
                return Ok(true);
            }
            tokio::select! {
                _ = shutdown.cancelled() => return Err(TxError::Cancelled),
                _ = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
    }
}

/// Lowest blob fee cap the manager offers, in wei per blob gas (1 gwei, as
/// op-batcher's `MinBlobTxFee`): blob base fees are often 1 wei, and a cap
/// only bounds what is paid.
pub const MIN_BLOB_FEE_CAP: u128 = 1_000_000_000;

/// A transaction sent by [`TxManager::send_nowait`] and not yet confirmed.
/// Its nonce stays taken until it is confirmed or this handle is dropped.
#[derive(Debug)]
pub struct PendingTx {
    txmgr: TxManager,
    tx: Draft,
    /// Every attempt at the current nonce, oldest first.
    hashes: Vec<B256>,
    attempts: u32,
    started: tokio::time::Instant,
    attempt_started: tokio::time::Instant,
}

impl PendingTx {
    /// The hash of the latest attempt.
    pub fn hash(&self) -> B256 {
        self.hashes.last().copied().unwrap_or_default()
    }

    /// Its nonce (a reorg may move it, see [`TxManager`]'s resync).
    pub const fn nonce(&self) -> u64 {
        self.tx.nonce()
    }

    /// Waits until the transaction is confirmed, resubmitting it with fee
    /// bumps when it is dropped or stuck.
    ///
    /// L1 reorgs: a receipt counts once its block has `confirmations`
    /// blocks on top *and* is still the canonical block at its height (it is
    /// read again after the wait); a receipt that disappears is waited for
    /// again. When no attempt is known to the L1 any more (or one waits too
    /// long) and the account's nonces on the L1 stop below ours — a reorg
    /// dropped transactions of ours that were confirmed before, as after
    /// `evm_revert`/`anvil_rollback`, whose dropped transactions are not
    /// re-pooled — the nonce is resynced to the L1's pending nonce and the
    /// transaction reposted there; a stale attempt still pooled behind the
    /// gap is replaced by a cancellation so that the payload can never be
    /// included twice. The receipt may show a revert: the caller decides.
    pub async fn confirm(mut self, shutdown: &CancellationToken) -> Result<Confirmed, TxError> {
        let txmgr = self.txmgr.clone();
        let (provider, config) = (&txmgr.provider, &txmgr.config);
        let from = txmgr.address();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Err(TxError::Cancelled),
                _ = tokio::time::sleep(config.poll_interval) => {}
            }
            let nonce = self.tx.nonce();
            for h in &self.hashes {
                if let Some(receipt) = provider.get_transaction_receipt(*h).await? {
                    let included = receipt.block_number.unwrap_or_default();
                    if txmgr.wait_confirmations(included, shutdown).await?
                        && let Some(receipt) = txmgr.canonical_receipt(*h).await?
                    {
                        return Ok(Confirmed { receipt, attempts: self.attempts });
                    }
                    tracing::warn!(target: "txmgr", hash = %h, nonce, block = included, "receipt reorged out while confirming; waiting again");
                }
            }
            let hash = self.hash();
            if self.started.elapsed() > config.timeout {
                return Err(TxError::Timeout(hash));
            }
            let dropped = provider.get_transaction_by_hash(hash).await?.is_none();
            if !dropped && self.attempt_started.elapsed() <= config.resubmit_after {
                continue;
            }
            // The nonce may have been used by another of our attempts.
            let mined_nonce = provider.get_transaction_count(from).latest().await?;
            if mined_nonce > nonce {
                continue;
            }
            let moved = if mined_nonce < nonce {
                txmgr.resync(&mut self.tx, &self.hashes).await?
            } else {
                None
            };
            let hash = match moved {
                Some(hash) => {
                    self.hashes.clear();
                    hash
                }
                None => {
                    self.tx.bump(config.fee_bump_percent);
                    tracing::info!(target: "txmgr", %hash, nonce, dropped, "resubmitting with a fee bump");
                    let (raw, hash) = self.tx.sign(&txmgr.signer)?;
                    // An earlier attempt may already be mined or pooled: keep waiting for it.
                    if let Err(e) = provider.send_raw_transaction(&raw).await {
                        tracing::warn!(target: "txmgr", %e, %hash, nonce, "send failed");
                    }
                    hash
                }
            };
            self.hashes.push(hash);
            self.attempts += 1;
            self.attempt_started = tokio::time::Instant::now();
            tracing::debug!(target: "txmgr", %hash, nonce = self.tx.nonce(), attempts = self.attempts, max_fee = self.tx.max_fee(), "submitted");
        }
    }
}

impl Drop for PendingTx {
    fn drop(&mut self) {
        self.txmgr.nonces.release(self.tx.nonce());
    }
}

/// An unsigned transaction being submitted.
enum Draft {
    Eip1559(TxEip1559),
    Eip4844(TxEip4844, BlobTransactionSidecar),
}

impl Draft {
    const fn nonce(&self) -> u64 {
        match self {
            Self::Eip1559(tx) => tx.nonce,
            Self::Eip4844(tx, _) => tx.nonce,
        }
    }

    const fn max_fee(&self) -> u128 {
        match self {
            Self::Eip1559(tx) => tx.max_fee_per_gas,
            Self::Eip4844(tx, _) => tx.max_fee_per_gas,
        }
    }

    /// A transaction with the same nonce that does nothing (a 0-value call
    /// to `from` without input) and replaces this one in a pool: every fee
    /// cap bumped by `percent` (a blob transaction is only replaced by one
    /// with a bumped blob fee cap, so it stays a blob transaction, with the
    /// same sidecar).
    fn cancellation(&self, from: Address, percent: u128) -> Self {
        let mut cancel = match self {
            Self::Eip1559(tx) => Self::Eip1559(TxEip1559 {
                gas_limit: 21_000,
                to: TxKind::Call(from),
                value: U256::ZERO,
                access_list: Default::default(),
                input: Bytes::new(),
                ..tx.clone()
            }),
            Self::Eip4844(tx, sidecar) => Self::Eip4844(
                TxEip4844 {
                    gas_limit: 21_000,
                    to: from,
                    value: U256::ZERO,
                    access_list: Default::default(),
                    input: Bytes::new(),
                    ..tx.clone()
                },
                sidecar.clone(),
            ),
        };
        cancel.bump(percent);
        cancel
    }

    const fn set_nonce(&mut self, nonce: u64) {
        match self {
            Self::Eip1559(tx) => tx.nonce = nonce,
            Self::Eip4844(tx, _) => tx.nonce = nonce,
        }
    }

    /// The bytes to send (a blob transaction in its network form) and the hash.
    fn sign(&self, signer: &PrivateKeySigner) -> Result<(Vec<u8>, B256), TxError> {
        let envelope = match self {
            Self::Eip1559(tx) => {
                let mut tx = tx.clone();
                let signature = signer.sign_transaction_sync(&mut tx)?;
                TxEnvelope::Eip1559(tx.into_signed(signature))
            }
            Self::Eip4844(tx, sidecar) => {
                let mut tx = TxEip4844Variant::TxEip4844WithSidecar(
                    TxEip4844WithSidecar::from_tx_and_sidecar(
                        tx.clone(),
                        BlobTransactionSidecarVariant::Eip4844(sidecar.clone()),
                    ),
                );
                let signature = signer.sign_transaction_sync(&mut tx)?;
                TxEnvelope::Eip4844(tx.into_signed(signature))
            }
        };
        Ok((envelope.encoded_2718(), *envelope.tx_hash()))
    }

    fn bump(&mut self, percent: u128) {
        let bump = |v: &mut u128| *v = *v * (100 + percent) / 100 + 1;
        match self {
            Self::Eip1559(tx) => {
                bump(&mut tx.max_priority_fee_per_gas);
                bump(&mut tx.max_fee_per_gas);
            }
            Self::Eip4844(tx, _) => {
                bump(&mut tx.max_priority_fee_per_gas);
                bump(&mut tx.max_fee_per_gas);
                bump(&mut tx.max_fee_per_blob_gas);
            }
        }
    }
}

impl std::fmt::Debug for Draft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Draft").field("nonce", &self.nonce()).finish_non_exhaustive()
    }
}
