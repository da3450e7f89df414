//! The transaction manager: signs EIP-1559 transactions (and EIP-4844 blob
//! transactions) with a role key, sends them to the L1, waits for
//! confirmations, and resubmits with a fee bump when a transaction is
//! dropped or stuck (op-batcher's `txmgr`).

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
use std::time::Duration;
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

/// Sends transactions from one key, one at a time.
#[derive(Debug)]
pub struct TxManager {
    provider: RootProvider,
    signer: PrivateKeySigner,
    config: TxManagerConfig,
}

impl TxManager {
    /// A manager for `signer` on `provider`.
    pub const fn new(
        provider: RootProvider,
        signer: PrivateKeySigner,
        config: TxManagerConfig,
    ) -> Self {
        Self { provider, signer, config }
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
        let from = self.address();
        let request = TransactionRequest {
            from: Some(from),
            to: Some(to),
            value: Some(value),
            input: input.clone().into(),
            ..Default::default()
        };
        let (gas_limit, nonce, tip, max_fee) = self.fees(request).await?;
        let tx = TxEip1559 {
            chain_id: self.config.chain_id,
            nonce,
            gas_limit,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            to,
            value,
            access_list: Default::default(),
            input,
        };
        self.submit(Draft::Eip1559(tx), shutdown).await
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
        let (gas_limit, nonce, tip, max_fee) = self.fees(request).await?;
        let blob_base_fee = self.provider.get_blob_base_fee().await?;
        let tx = TxEip4844 {
            chain_id: self.config.chain_id,
            nonce,
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
        self.submit(Draft::Eip4844(tx, sidecar), shutdown).await
    }

    /// Gas limit (estimate + 20% + 10k), pending nonce, tip and fee cap (2x
    /// the latest base fee + tip) of a transaction like `request`.
    async fn fees(&self, request: TransactionRequest) -> Result<(u64, u64, u128, u128), TxError> {
        let gas = self
            .provider
            .estimate_gas(request)
            .await
            .map_err(|e| TxError::WouldRevert(e.to_string()))?;
        let nonce = self.provider.get_transaction_count(self.address()).pending().await?;
        let tip = self.provider.get_max_priority_fee_per_gas().await?;
        let base = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await?
            .and_then(|b| b.header.base_fee_per_gas)
            .unwrap_or(1_000_000_000);
        Ok((gas * 6 / 5 + 10_000, nonce, tip, 2 * u128::from(base) + tip))
    }

    /// Signs, sends and resubmits `tx` with fee bumps until it is confirmed.
    ///
    /// L1 reorgs: a receipt counts once its block has `confirmations`
    /// blocks on top *and* is still the canonical block at its height (it is
    /// read again after the wait); a receipt that disappears is waited for
    /// again. When no attempt is known to the L1 any more (or one waits too
    /// long) and the account's nonces on the L1 stop below ours — a reorg
    /// dropped transactions of ours that were confirmed before, as after
    /// `evm_revert`/`anvil_rollback`, whose dropped transactions are not
    /// re-pooled — the nonce is resynced to the L1's pending nonce and the
    /// transaction reposted there ([`Self::resync`]); a stale attempt still
    /// pooled behind the gap is replaced by a cancellation so that the
    /// payload can never be included twice.
    async fn submit(
        &self,
        mut tx: Draft,
        shutdown: &CancellationToken,
    ) -> Result<Confirmed, TxError> {
        let from = self.address();
        let started = tokio::time::Instant::now();
        let mut hashes = Vec::new();
        let mut attempts = 0u32;
        loop {
            let nonce = tx.nonce();
            let (raw, hash) = tx.sign(&self.signer)?;
            attempts += 1;
            match self.provider.send_raw_transaction(&raw).await {
                Ok(_) => {}
                // An earlier attempt may already be mined or pooled: keep waiting for it.
                Err(e) => tracing::warn!(target: "txmgr", %e, %hash, nonce, "send failed"),
            }
            hashes.push(hash);
            tracing::debug!(target: "txmgr", %hash, nonce, attempts, max_fee = tx.max_fee(), "submitted");
            let attempt_started = tokio::time::Instant::now();
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return Err(TxError::Cancelled),
                    _ = tokio::time::sleep(self.config.poll_interval) => {}
                }
                for h in &hashes {
                    if let Some(receipt) = self.provider.get_transaction_receipt(*h).await? {
                        let included = receipt.block_number.unwrap_or_default();
                        if self.wait_confirmations(included, shutdown).await?
                            && let Some(receipt) = self.canonical_receipt(*h).await?
                        {
                            return Ok(Confirmed { receipt, attempts });
                        }
                        tracing::warn!(target: "txmgr", hash = %h, nonce, block = included, "receipt reorged out while confirming; waiting again");
                    }
                }
                if started.elapsed() > self.config.timeout {
                    return Err(TxError::Timeout(hash));
                }
                let dropped = self.provider.get_transaction_by_hash(hash).await?.is_none();
                if dropped || attempt_started.elapsed() > self.config.resubmit_after {
                    // The nonce may have been used by another of our attempts.
                    let mined_nonce = self.provider.get_transaction_count(from).latest().await?;
                    if mined_nonce > nonce {
                        continue;
                    }
                    if mined_nonce < nonce && self.resync(&mut tx, &hashes).await? {
                        hashes.clear();
                        break;
                    }
                    tx.bump(self.config.fee_bump_percent);
                    tracing::info!(target: "txmgr", %hash, nonce, dropped, "resubmitting with a fee bump");
                    break;
                }
            }
        }
    }

    /// After an L1 reorg: if the L1's pending nonce of our account is below
    /// the nonce of `tx` (a gap nothing fills: the transactions of ours that
    /// filled it went with the reorged blocks), moves `tx` to that nonce
    /// and returns `true`. An attempt of `tx` (one of `hashes`) still in the
    /// pool at the old nonce would be mined as soon as the gap fills: it is
    /// replaced by a cancellation, a 0-value transfer to ourselves with
    /// bumped fees ([`Draft::cancellation`]).
    async fn resync(&self, tx: &mut Draft, hashes: &[B256]) -> Result<bool, TxError> {
        let from = self.address();
        let old = tx.nonce();
        let pending = self.provider.get_transaction_count(from).pending().await?;
        if pending >= old {
            // Something of ours (another manager's, or pooled) fills the gap.
            return Ok(false);
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
        Ok(true)
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
