//! The transaction manager: signs EIP-1559 transactions with a role key,
//! sends them to the L1, waits for confirmations, and resubmits with a fee
//! bump when a transaction is dropped or stuck (op-batcher's `txmgr`).

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::Encodable2718,
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
        let gas = self
            .provider
            .estimate_gas(request)
            .await
            .map_err(|e| TxError::WouldRevert(e.to_string()))?;
        let nonce = self.provider.get_transaction_count(from).pending().await?;
        let tip = self.provider.get_max_priority_fee_per_gas().await?;
        let base = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await?
            .and_then(|b| b.header.base_fee_per_gas)
            .unwrap_or(1_000_000_000);
        let mut tx = TxEip1559 {
            chain_id: self.config.chain_id,
            nonce,
            gas_limit: gas * 6 / 5 + 10_000,
            max_fee_per_gas: 2 * u128::from(base) + tip,
            max_priority_fee_per_gas: tip,
            to,
            value,
            access_list: Default::default(),
            input,
        };
        let started = tokio::time::Instant::now();
        let mut hashes = Vec::new();
        let mut attempts = 0u32;
        loop {
            let signature = self.signer.sign_transaction_sync(&mut tx)?;
            let envelope = TxEnvelope::Eip1559(tx.clone().into_signed(signature));
            let hash = *envelope.tx_hash();
            attempts += 1;
            match self.provider.send_raw_transaction(&envelope.encoded_2718()).await {
                Ok(_) => {}
                // An earlier attempt may already be mined or pooled: keep waiting for it.
                Err(e) => tracing::warn!(target: "txmgr", %e, %hash, nonce, "send failed"),
            }
            hashes.push(hash);
            tracing::debug!(target: "txmgr", %hash, nonce, attempts, max_fee = tx.max_fee_per_gas, "submitted");
            let attempt_started = tokio::time::Instant::now();
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return Err(TxError::Cancelled),
                    _ = tokio::time::sleep(self.config.poll_interval) => {}
                }
                for h in &hashes {
                    if let Some(receipt) = self.provider.get_transaction_receipt(*h).await? {
                        let included = receipt.block_number.unwrap_or_default();
                        if self.wait_confirmations(included, shutdown).await? {
                            return Ok(Confirmed { receipt, attempts });
                        }
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
                    let bump = |v: u128| v * (100 + self.config.fee_bump_percent) / 100 + 1;
                    tx.max_priority_fee_per_gas = bump(tx.max_priority_fee_per_gas);
                    tx.max_fee_per_gas = bump(tx.max_fee_per_gas);
                    tracing::info!(target: "txmgr", %hash, nonce, dropped, "resubmitting with a fee bump");
                    break;
                }
            }
        }
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
