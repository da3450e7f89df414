//! JSON-RPC access to the L1 and the L2 (alloy over HTTP).
//!
//! Receipts, headers and transactions are read as plain JSON into small
//! structs rather than alloy's typed network objects: L2 blocks hold deposit
//! transactions (type `0x7E`) that the standard Ethereum types do not know.
//! Transactions the API signs go through alloy's fillers (nonce, EIP-1559
//! fees, gas, chain id) and a per-sender lock, so concurrent requests from one
//! account get consecutive nonces.

use crate::{
    error::{ApiError, BridgeError},
    store::Chain,
};
use alloy::{
    network::EthereumWallet,
    providers::{DynProvider, Provider, ProviderBuilder, RootProvider},
    rpc::types::{Log, TransactionRequest},
    transports::{TransportError, TransportResult},
};
use alloy_primitives::{Address, B256, Bytes, U64, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use serde::Deserialize;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

/// How often receipts are polled while waiting for inclusion.
const RECEIPT_POLL: Duration = Duration::from_millis(100);

/// A transaction receipt (the fields the bridge reads).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RpcReceipt {
    pub(crate) block_number: U64,
    pub(crate) status: U64,
    #[serde(default)]
    pub(crate) logs: Vec<Log>,
    /// Gas used by the transaction.
    #[serde(default)]
    pub(crate) gas_used: U64,
    /// Wei per gas it paid.
    #[serde(default)]
    pub(crate) effective_gas_price: U256,
    /// Blob gas used (EIP-4844 transactions).
    #[serde(default)]
    pub(crate) blob_gas_used: Option<U64>,
    /// Wei per blob gas it paid.
    #[serde(default)]
    pub(crate) blob_gas_price: Option<U256>,
}

impl RpcReceipt {
    pub(crate) fn succeeded(&self) -> bool {
        self.status == U64::from(1)
    }
}

/// A block header (the fields the bridge reads).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RpcHeader {
    pub(crate) hash: B256,
    pub(crate) state_root: B256,
    #[serde(default)]
    pub(crate) withdrawals_root: Option<B256>,
    pub(crate) timestamp: U64,
}

/// A transaction (the fields the bridge reads).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RpcTransaction {
    pub(crate) from: Address,
    #[serde(default)]
    pub(crate) to: Option<Address>,
    #[serde(default)]
    pub(crate) value: U256,
    #[serde(default)]
    pub(crate) input: Bytes,
    /// The versioned hashes of its blobs (EIP-4844 transactions).
    #[serde(default)]
    pub(crate) blob_versioned_hashes: Option<Vec<B256>>,
}

/// Why an `eth_call` failed.
#[derive(Debug)]
pub(crate) enum CallError {
    /// The RPC failed.
    Rpc(TransportError),
    /// The call reverted with this data.
    Revert(Bytes),
    /// The return data does not decode.
    Decode(String),
}

impl CallError {
    /// The API error of a failed read-only call to `chain`.
    pub(crate) fn into_api(self, chain: Chain, what: &str) -> ApiError {
        match self {
            Self::Rpc(e) => ApiError::rpc(chain, &e),
            Self::Revert(data) => ApiError::new(
                axum::http::StatusCode::BAD_GATEWAY,
                "upstream-error",
                format!("{} call {what} reverted: {data}", chain.label()),
            ),
            Self::Decode(e) => ApiError::new(
                axum::http::StatusCode::BAD_GATEWAY,
                "upstream-error",
                format!("{} call {what} returned undecodable data: {e}", chain.label()),
            ),
        }
    }
}

/// The revert data of an RPC error, if it is one.
pub(crate) fn revert_data(e: &TransportError) -> Option<Bytes> {
    e.as_error_resp().and_then(|p| p.as_revert_data())
}

/// Serializes the sends of one account on one chain.
type SenderLock = Arc<tokio::sync::Mutex<()>>;

/// Providers of both chains, and signing providers for the configured keys.
#[derive(Debug)]
pub(crate) struct Chains {
    l1: RootProvider,
    l2: RootProvider,
    l1_signing: Option<DynProvider>,
    l2_signing: Option<DynProvider>,
    locks: Mutex<HashMap<(&'static str, Address), SenderLock>>,
}

fn wallet(signers: impl IntoIterator<Item = PrivateKeySigner>) -> Option<EthereumWallet> {
    let mut signers = signers.into_iter();
    let mut wallet = EthereumWallet::new(signers.next()?);
    for signer in signers {
        wallet.register_signer(signer);
    }
    Some(wallet)
}

fn signing(url: &str, wallet: Option<EthereumWallet>) -> Result<Option<DynProvider>, BridgeError> {
    let Some(wallet) = wallet else { return Ok(None) };
    let url = url.parse().map_err(|_| BridgeError::Url(url.to_string()))?;
    Ok(Some(ProviderBuilder::new().wallet(wallet).connect_http(url).erased()))
}

fn root(url: &str) -> Result<RootProvider, BridgeError> {
    rollup_client::http_provider(url).map_err(|_| BridgeError::Url(url.to_string()))
}

impl Chains {
    /// Providers for `l1_url` and `l2_url`; the L1 signs for `dev_signers`
    /// and `relayer`, the L2 for `dev_signers`.
    pub(crate) fn new(
        l1_url: &str,
        l2_url: &str,
        dev_signers: &[PrivateKeySigner],
        relayer: Option<&PrivateKeySigner>,
    ) -> Result<Self, BridgeError> {
        let l1_keys = dev_signers.iter().chain(relayer).cloned();
        Ok(Self {
            l1: root(l1_url)?,
            l2: root(l2_url)?,
            l1_signing: signing(l1_url, wallet(l1_keys))?,
            l2_signing: signing(l2_url, wallet(dev_signers.iter().cloned()))?,
            locks: Mutex::default(),
        })
    }

    /// The read-only provider of `chain`.
    pub(crate) const fn provider(&self, chain: Chain) -> &RootProvider {
        match chain {
            Chain::L1 => &self.l1,
            Chain::L2 => &self.l2,
        }
    }

    /// The head block number of `chain`.
    pub(crate) async fn head(&self, chain: Chain) -> TransportResult<u64> {
        self.provider(chain).get_block_number().await
    }

    /// The receipt of `hash` on `chain`, `None` while not included.
    pub(crate) async fn receipt(
        &self,
        chain: Chain,
        hash: B256,
    ) -> TransportResult<Option<RpcReceipt>> {
        self.provider(chain).raw_request("eth_getTransactionReceipt".into(), (hash,)).await
    }

    /// The header of block `number` of `chain`.
    pub(crate) async fn header(
        &self,
        chain: Chain,
        number: u64,
    ) -> TransportResult<Option<RpcHeader>> {
        self.provider(chain)
            .raw_request("eth_getBlockByNumber".into(), (U64::from(number), false))
            .await
    }

    /// The transaction `hash` on `chain` (mined or pending).
    pub(crate) async fn transaction(
        &self,
        chain: Chain,
        hash: B256,
    ) -> TransportResult<Option<RpcTransaction>> {
        self.provider(chain).raw_request("eth_getTransactionByHash".into(), (hash,)).await
    }

    /// Polls the receipt of `hash` until it exists or `timeout` passes.
    pub(crate) async fn wait_receipt(
        &self,
        chain: Chain,
        hash: B256,
        timeout: Duration,
    ) -> TransportResult<Option<RpcReceipt>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(receipt) = self.receipt(chain, hash).await? {
                return Ok(Some(receipt));
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(RECEIPT_POLL).await;
        }
    }

    /// Polls the receipt of `hash` until it exists, the node no longer knows
    /// the transaction (neither in its pool nor in a block: dropped), or
    /// `timeout` passes.
    pub(crate) async fn wait_inclusion(
        &self,
        chain: Chain,
        hash: B256,
        timeout: Duration,
    ) -> TransportResult<Inclusion> {
        let deadline = tokio::time::Instant::now() + timeout;
        for poll in 1u64.. {
            if let Some(receipt) = self.receipt(chain, hash).await? {
                return Ok(Inclusion::Included(receipt));
            }
            // About once a second: is it still known? (The receipt is read
            // again after, in case it was included in between.)
            if poll % 10 == 0 && self.transaction(chain, hash).await?.is_none() {
                return Ok(match self.receipt(chain, hash).await? {
                    Some(receipt) => Inclusion::Included(receipt),
                    None => Inclusion::Dropped,
                });
            }
            if tokio::time::Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(RECEIPT_POLL).await;
        }
        Ok(Inclusion::Pending)
    }

    /// `eth_call` of `call` on contract `to` at the head of `chain`.
    pub(crate) async fn call<C: SolCall>(
        &self,
        chain: Chain,
        to: Address,
        call: &C,
    ) -> Result<C::Return, CallError> {
        let tx = TransactionRequest::default().to(to).input(call.abi_encode().into());
        let out = self.provider(chain).call(tx).await.map_err(|e| match revert_data(&e) {
            Some(data) => CallError::Revert(data),
            None => CallError::Rpc(e),
        })?;
        C::abi_decode_returns(&out).map_err(|e| CallError::Decode(e.to_string()))
    }

    /// `eth_estimateGas` of `tx` on `chain`.
    pub(crate) async fn estimate_gas(
        &self,
        chain: Chain,
        tx: TransactionRequest,
    ) -> TransportResult<u64> {
        self.provider(chain).estimate_gas(tx).await
    }

    /// Relays a signed transaction to `chain`; returns its hash.
    pub(crate) async fn send_raw(&self, chain: Chain, raw: &[u8]) -> TransportResult<B256> {
        Ok(*self.provider(chain).send_raw_transaction(raw).await?.tx_hash())
    }

    /// Fills (nonce, fees, gas, chain id), signs with the key of `tx.from`
    /// and sends `tx` on `chain`; returns its hash once the node accepted it.
    /// Sends from one account are serialized so their nonces do not collide.
    pub(crate) async fn send(
        &self,
        chain: Chain,
        tx: TransactionRequest,
    ) -> Result<B256, SendError> {
        let provider = match chain {
            Chain::L1 => self.l1_signing.as_ref(),
            Chain::L2 => self.l2_signing.as_ref(),
        }
        .ok_or(SendError::NoSigner)?;
        let from = tx.from.ok_or(SendError::NoSigner)?;
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry((chain.name(), from)).or_default().clone()
        };
        let _guard = lock.lock().await;
        let pending = provider.send_transaction(tx).await.map_err(SendError::Rpc)?;
        Ok(*pending.tx_hash())
    }
}

/// What became of a sent transaction ([`Chains::wait_inclusion`]).
#[derive(Debug)]
pub(crate) enum Inclusion {
    /// In a block, with this receipt.
    Included(RpcReceipt),
    /// The node dropped it: in no block and no longer in its pool.
    Dropped,
    /// Still waiting in the pool.
    Pending,
}

/// Why sending a transaction failed.
#[derive(Debug)]
pub(crate) enum SendError {
    /// No key for the sender.
    NoSigner,
    /// Filling or sending failed (RPC error or rejection).
    Rpc(TransportError),
}
