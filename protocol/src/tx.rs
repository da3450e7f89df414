//! The transaction envelope of both chains: the Ethereum transaction types
//! (legacy, EIP-2930, EIP-1559, EIP-4844, EIP-7702) plus, on L2, the deposit
//! type `0x7E`.

use crate::deposit::{DEPOSIT_TX_TYPE, TxDeposit};
use alloy_consensus::{Transaction, TxEnvelope};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{B256, Bytes, TxKind, U256};
use serde::{Deserialize, Serialize};

/// A transaction of the L1 or the L2 chain.
// Ethereum transactions are the common case: boxing them would cost an
// allocation per transaction for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RollupTxEnvelope {
    /// A signed Ethereum transaction.
    Eth(TxEnvelope),
    /// An L2 deposit transaction (never valid on L1 nor from users).
    Deposit(TxDeposit),
}

/// Why raw transaction bytes were not accepted as a transaction.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TxDecodeError {
    /// The bytes are not a valid EIP-2718 transaction.
    #[error("rlp: {0}")]
    Rlp(String),
    /// Bytes left over after the transaction.
    #[error("rlp: input contains more than one value")]
    TrailingBytes,
    /// The signature does not recover to a sender.
    #[error("invalid sender")]
    InvalidSignature,
}

impl RollupTxEnvelope {
    /// Decodes an EIP-2718 encoding (`0x7E` included), rejecting trailing bytes.
    pub fn decode_2718_exact(mut bytes: &[u8]) -> Result<Self, TxDecodeError> {
        let tx = if bytes.first() == Some(&DEPOSIT_TX_TYPE) {
            let mut body = &bytes[1..];
            let tx = TxDeposit::decode_fields(&mut body)
                .map_err(|e| TxDecodeError::Rlp(e.to_string()))?;
            bytes = body;
            Self::Deposit(tx)
        } else {
            Self::Eth(
                TxEnvelope::decode_2718(&mut bytes)
                    .map_err(|e| TxDecodeError::Rlp(e.to_string()))?,
            )
        };
        if !bytes.is_empty() {
            return Err(TxDecodeError::TrailingBytes);
        }
        Ok(tx)
    }

    /// EIP-2718 encoding.
    pub fn encoded_2718(&self) -> Vec<u8> {
        match self {
            Self::Eth(tx) => tx.encoded_2718(),
            Self::Deposit(tx) => tx.encoded_2718(),
        }
    }

    /// Transaction hash.
    pub fn tx_hash(&self) -> B256 {
        match self {
            Self::Eth(tx) => *tx.tx_hash(),
            Self::Deposit(tx) => tx.tx_hash(),
        }
    }

    /// EIP-2718 type byte.
    pub fn tx_type(&self) -> u8 {
        match self {
            Self::Eth(tx) => tx.tx_type() as u8,
            Self::Deposit(_) => DEPOSIT_TX_TYPE,
        }
    }

    /// Whether this is a deposit transaction.
    pub const fn is_deposit(&self) -> bool {
        matches!(self, Self::Deposit(_))
    }

    /// Gas limit, in gas.
    pub fn gas_limit(&self) -> u64 {
        match self {
            Self::Eth(tx) => tx.gas_limit(),
            Self::Deposit(tx) => tx.gas_limit,
        }
    }

    /// Recipient (or creation).
    pub fn kind(&self) -> TxKind {
        match self {
            Self::Eth(tx) => tx.kind(),
            Self::Deposit(tx) => tx.to,
        }
    }

    /// Value transferred, in wei.
    pub fn value(&self) -> U256 {
        match self {
            Self::Eth(tx) => tx.value(),
            Self::Deposit(tx) => tx.value,
        }
    }

    /// Calldata.
    pub fn input(&self) -> &Bytes {
        match self {
            Self::Eth(tx) => tx.input(),
            Self::Deposit(tx) => &tx.input,
        }
    }

    /// The Ethereum transaction, if this is one.
    pub const fn as_eth(&self) -> Option<&TxEnvelope> {
        match self {
            Self::Eth(tx) => Some(tx),
            Self::Deposit(_) => None,
        }
    }
}

impl From<TxEnvelope> for RollupTxEnvelope {
    fn from(tx: TxEnvelope) -> Self {
        Self::Eth(tx)
    }
}

impl From<TxDeposit> for RollupTxEnvelope {
    fn from(tx: TxDeposit) -> Self {
        Self::Deposit(tx)
    }
}
