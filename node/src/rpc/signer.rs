//! Node-side signing for the devnet, as anvil and geth's `--dev` offer it:
//! `eth_accounts`, `eth_sendTransaction`, `eth_signTransaction`, `eth_sign`,
//! `personal_sign`, `eth_signTypedData_v4`, with the keys of the dev accounts
//! (m/44'/60'/0'/0/0..9 of the public dev mnemonic). A signed transaction is
//! an ordinary one: it goes through `eth_sendRawTransaction`'s admission, so
//! derivation and proofs never see a difference.
//!
//! A node holds no keys unless the devnet gives it some
//! ([`DevAccounts::set_signers`]); then `eth_accounts` is `[]` and the
//! signing methods answer geth's `unknown account`.
//!
//! The L1 simulator also takes anvil's impersonation
//! ([`DevAccounts::impersonate`]): `eth_sendTransaction` from an impersonated
//! address is pooled unsigned with that sender. The L2 refuses it, since its
//! state must stay derivable from L1 data alone.

use super::{RpcError, RpcResult, eth, param};
use crate::{HistoricalState, Node};
use alloy_consensus::{
    SignableTransaction, TxEip1559, TxEip2930, TxEip7702, TxEnvelope, TxLegacy, TypedTransaction,
};
use alloy_eips::eip2718::Encodable2718;
use alloy_network::TxSignerSync;
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256, keccak256, map::HashSet};
use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag, TransactionRequest};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use parking_lot::RwLock;
use serde_json::{Value, json};
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

/// geth's error for a signing request from an address it holds no key for.
pub const UNKNOWN_ACCOUNT: &str = "unknown account";

/// The keys a node signs with and the accounts it impersonates.
#[derive(Debug, Default)]
pub struct DevAccounts {
    signers: RwLock<Vec<PrivateKeySigner>>,
    impersonated: RwLock<HashSet<Address>>,
    auto_impersonate: AtomicBool,
}

impl DevAccounts {
    /// Gives the node these keys (the devnet's ten dev accounts), in the
    /// order `eth_accounts` lists them.
    pub fn set_signers(&self, signers: Vec<PrivateKeySigner>) {
        *self.signers.write() = signers;
    }

    /// The addresses the node signs for, in order.
    pub fn addresses(&self) -> Vec<Address> {
        self.signers.read().iter().map(PrivateKeySigner::address).collect()
    }

    fn signer(&self, address: &Address) -> Option<PrivateKeySigner> {
        self.signers.read().iter().find(|s| s.address() == *address).cloned()
    }

    /// anvil_impersonateAccount: `eth_sendTransaction` from `address` is
    /// accepted without its key.
    pub fn impersonate(&self, address: Address) {
        self.impersonated.write().insert(address);
    }

    /// anvil_stopImpersonatingAccount.
    pub fn stop_impersonating(&self, address: &Address) {
        self.impersonated.write().remove(address);
    }

    /// anvil_autoImpersonateAccount: every address is impersonated while on.
    pub fn set_auto_impersonate(&self, on: bool) {
        self.auto_impersonate.store(on, Ordering::Relaxed);
    }

    /// Whether `address` is impersonated.
    pub fn is_impersonated(&self, address: &Address) -> bool {
        self.auto_impersonate.load(Ordering::Relaxed) || self.impersonated.read().contains(address)
    }
}

/// Handles the signing methods; `None` for any other method.
pub(super) async fn dispatch(node: &Arc<Node>, method: &str, params: &Value) -> Option<RpcResult> {
    if matches!(method, "eth_sendTransaction" | "eth_signTransaction") {
        // Filling a transaction reads the head state (nonce, estimate): wait
        // out a block being produced, as the state methods do.
        let state = match node.state_at(BlockId::Number(BlockNumberOrTag::Latest)).await {
            Ok(state) => state,
            Err(e) => return Some(Err(RpcError::server(e))),
        };
        return Some(if method == "eth_sendTransaction" {
            send_transaction(node, &state, params)
        } else {
            sign_transaction(node, &state, params)
        });
    }
    let accounts = node.rpc().accounts();
    Some(match method {
        "eth_accounts" => Ok(json!(accounts.addresses())),
        "eth_sign" => (|| {
            let address: Address = param(params, 0)?;
            let data: Bytes = param(params, 1)?;
            sign_message(accounts, &address, &data)
        })(),
        "personal_sign" => (|| {
            let data: Bytes = param(params, 0)?;
            let address: Address = param(params, 1)?;
            sign_message(accounts, &address, &data)
        })(),
        "eth_signTypedData_v4" | "eth_signTypedData" => (|| {
            let address: Address = param(params, 0)?;
            // MetaMask and viem send the typed data as a JSON string, some
            // clients as an object.
            let raw: Value = param(params, 1)?;
            let raw = match raw {
                Value::String(s) => serde_json::from_str(&s)
                    .map_err(|e| RpcError::invalid_params(format!("invalid typed data: {e}")))?,
                other => other,
            };
            let typed: alloy_dyn_abi::TypedData = serde_json::from_value(raw)
                .map_err(|e| RpcError::invalid_params(format!("invalid typed data: {e}")))?;
            let hash = typed
                .eip712_signing_hash()
                .map_err(|e| RpcError::invalid_params(format!("invalid typed data: {e}")))?;
            let signer =
                accounts.signer(&address).ok_or_else(|| RpcError::server(UNKNOWN_ACCOUNT))?;
            let sig = signer.sign_hash_sync(&hash).map_err(RpcError::server)?;
            Ok(json!(Bytes::from(sig.as_bytes().to_vec())))
        })(),
        _ => return None,
    })
}

fn sign_message(accounts: &DevAccounts, address: &Address, data: &[u8]) -> RpcResult {
    let signer = accounts.signer(address).ok_or_else(|| RpcError::server(UNKNOWN_ACCOUNT))?;
    // EIP-191 version 0x45: keccak256("\x19Ethereum Signed Message:\n" || len || data).
    let sig = signer.sign_message_sync(data).map_err(RpcError::server)?;
    Ok(json!(Bytes::from(sig.as_bytes().to_vec())))
}

/// `eth_signTransaction`: the request filled and signed by its `from`, as
/// raw EIP-2718 bytes.
fn sign_transaction(node: &Node, state: &HistoricalState, params: &Value) -> RpcResult {
    let request: TransactionRequest = param(params, 0)?;
    let from = request.from.unwrap_or_default();
    let signer =
        node.rpc().accounts().signer(&from).ok_or_else(|| RpcError::server(UNKNOWN_ACCOUNT))?;
    let signed = sign(fill(node, state, request)?, &signer)?;
    Ok(json!(Bytes::from(signed.encoded_2718())))
}

fn send_transaction(node: &Node, state: &HistoricalState, params: &Value) -> RpcResult {
    let request: TransactionRequest = param(params, 0)?;
    let from = request.from.unwrap_or_default();
    let accounts = node.rpc().accounts();
    if let Some(signer) = accounts.signer(&from) {
        let signed = sign(fill(node, state, request)?, &signer)?;
        return node.submit_raw(&signed.encoded_2718()).map(|h| json!(h)).map_err(RpcError::server);
    }
    if accounts.is_impersonated(&from) {
        let tx = fill(node, state, request)?;
        let signed = impersonated(tx, from);
        return node.submit_impersonated(signed, from).map(|h| json!(h)).map_err(RpcError::server);
    }
    Err(RpcError::server(UNKNOWN_ACCOUNT))
}

/// What `eth_sendTransaction` would pool for `request`, for a caller that
/// mines it itself (`anvil_reorg`): the request filled against `state`
/// (its `nonce` as given, else the pending nonce) and signed by its `from`'s
/// dev key, or unsigned with that sender when `from` is impersonated.
/// Returns the transaction, its EIP-2718 bytes and the sender.
pub fn dev_transaction(
    node: &Node,
    state: &HistoricalState,
    request: TransactionRequest,
) -> Result<(TxEnvelope, Bytes, Address), RpcError> {
    let from = request.from.unwrap_or_default();
    let accounts = node.rpc().accounts();
    let tx = if let Some(signer) = accounts.signer(&from) {
        sign(fill(node, state, request)?, &signer)?
    } else if accounts.is_impersonated(&from) {
        impersonated(fill(node, state, request)?, from)
    } else {
        return Err(RpcError::server(UNKNOWN_ACCOUNT));
    };
    let raw = Bytes::from(tx.encoded_2718());
    Ok((tx, raw, from))
}

/// Fills what the request leaves out as geth's `setDefaults` does: the
/// pending nonce, an estimated gas limit, EIP-1559 fees (tip: the node's
/// suggestion; fee cap: twice the next base fee plus the tip) unless a
/// `gasPrice` asks for a legacy transaction, and the chain id.
pub(super) fn fill(
    node: &Node,
    state: &HistoricalState,
    mut request: TransactionRequest,
) -> Result<TypedTransaction, RpcError> {
    let chain_id = node.config().chain_id;
    if let Some(id) = request.chain_id
        && id != chain_id
    {
        return Err(RpcError::server(format!(
            "chainId does not match node's (have={id}, want={chain_id})"
        )));
    }
    if request.blob_versioned_hashes.as_ref().is_some_and(|h| !h.is_empty())
        || request.sidecar.is_some()
    {
        return Err(RpcError::server(
            "blob transactions cannot be signed by the node: sign them and use eth_sendRawTransaction",
        ));
    }
    let from = request.from.unwrap_or_default();
    let nonce = match request.nonce {
        Some(n) => n,
        None => node.pool().pending_nonce(&from, state.nonce(&from)),
    };
    let legacy = request.gas_price.is_some() && request.max_fee_per_gas.is_none();
    let tip = request.max_priority_fee_per_gas.unwrap_or(node.config().suggested_tip);
    let max_fee = request
        .max_fee_per_gas
        .unwrap_or_else(|| 2 * u128::from(node.next_base_fee()) + tip)
        .max(tip);
    if !legacy {
        request.max_fee_per_gas = Some(max_fee);
        request.max_priority_fee_per_gas = Some(tip);
    }
    let gas = match request.gas {
        Some(gas) => gas,
        None => eth::estimate_gas(node, state, &request, &Default::default())?,
    };
    let to = request.to.unwrap_or(TxKind::Create);
    let value = request.value.unwrap_or_default();
    let input = request.input.input().cloned().unwrap_or_default();
    let access_list = request.access_list.clone();
    Ok(if let Some(authorization_list) = request.authorization_list.clone() {
        let TxKind::Call(to) = to else {
            return Err(RpcError::server("EIP-7702 transaction cannot be used to create contract"));
        };
        TypedTransaction::Eip7702(TxEip7702 {
            chain_id,
            nonce,
            gas_limit: gas,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            to,
            value,
            access_list: access_list.unwrap_or_default(),
            authorization_list,
            input,
        })
    } else if legacy {
        let gas_price = request.gas_price.unwrap_or_default();
        match access_list {
            Some(access_list) => TypedTransaction::Eip2930(TxEip2930 {
                chain_id,
                nonce,
                gas_price,
                gas_limit: gas,
                to,
                value,
                access_list,
                input,
            }),
            None => TypedTransaction::Legacy(TxLegacy {
                chain_id: Some(chain_id),
                nonce,
                gas_price,
                gas_limit: gas,
                to,
                value,
                input,
            }),
        }
    } else {
        TypedTransaction::Eip1559(TxEip1559 {
            chain_id,
            nonce,
            gas_limit: gas,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            to,
            value,
            access_list: access_list.unwrap_or_default(),
            input,
        })
    })
}

fn sign(tx: TypedTransaction, signer: &PrivateKeySigner) -> Result<TxEnvelope, RpcError> {
    fn signed<T>(
        mut tx: T,
        signer: &PrivateKeySigner,
    ) -> Result<alloy_consensus::Signed<T>, RpcError>
    where
        T: SignableTransaction<Signature> + alloy_consensus::Transaction,
    {
        let sig = signer.sign_transaction_sync(&mut tx).map_err(RpcError::server)?;
        Ok(tx.into_signed(sig))
    }
    Ok(match tx {
        TypedTransaction::Legacy(tx) => signed(tx, signer)?.into(),
        TypedTransaction::Eip2930(tx) => signed(tx, signer)?.into(),
        TypedTransaction::Eip1559(tx) => signed(tx, signer)?.into(),
        TypedTransaction::Eip7702(tx) => signed(tx, signer)?.into(),
        TypedTransaction::Eip4844(_) => {
            return Err(RpcError::server("blob transactions cannot be signed by the node"));
        }
    })
}

/// An impersonated transaction: a placeholder signature (r = s = 1, which
/// recovers to no key's address) and, as anvil does, a hash that also
/// commits to the sender so two impersonated senders never collide.
fn impersonated(tx: TypedTransaction, sender: Address) -> TxEnvelope {
    let sig = Signature::new(U256::from(1), U256::from(1), false);
    let mut preimage = Vec::new();
    let envelope: TxEnvelope = tx.into_envelope(sig);
    envelope.encode_2718(&mut preimage);
    preimage.extend_from_slice(sender.as_slice());
    let hash: B256 = keccak256(&preimage);
    fn rehash<T: alloy_consensus::transaction::RlpEcdsaEncodableTx>(
        signed: alloy_consensus::Signed<T>,
        hash: B256,
    ) -> alloy_consensus::Signed<T> {
        let (tx, sig, _) = signed.into_parts();
        alloy_consensus::Signed::new_unchecked(tx, sig, hash)
    }
    match envelope {
        TxEnvelope::Legacy(s) => rehash(s, hash).into(),
        TxEnvelope::Eip2930(s) => rehash(s, hash).into(),
        TxEnvelope::Eip1559(s) => rehash(s, hash).into(),
        TxEnvelope::Eip7702(s) => rehash(s, hash).into(),
        TxEnvelope::Eip4844(s) => rehash(s, hash).into(),
    }
}
