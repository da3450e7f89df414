//! One transaction in columnar form ([`SpanTx`]): what the columns store of it, and its
//! byte-exact rebuild into EIP-2718 bytes.

use super::*;

/// A transaction in columnar form: every field of its EIP-2718 encoding but the chain id.
#[derive(Debug, Clone)]
pub(super) struct SpanTx {
    pub(super) ty: u8,
    /// Legacy only: EIP-155 protected.
    pub(super) protected: bool,
    pub(super) nonce: u64,
    pub(super) gas_limit: u64,
    /// Legacy and EIP-2930: gas price; EIP-1559 and EIP-7702: max fee per gas.
    pub(super) gas_price: u128,
    /// EIP-1559 and EIP-7702 only.
    pub(super) max_priority_fee: u128,
    pub(super) to: TxKind,
    pub(super) value: U256,
    pub(super) input: Bytes,
    pub(super) access_list: AccessList,
    pub(super) authorization_list: Vec<SignedAuthorization>,
    pub(super) signature: Signature,
}

impl SpanTx {
    /// The columnar form of `raw`, if the columns reproduce it byte for byte.
    pub(super) fn from_raw(raw: &[u8], chain_id: u64) -> Option<Self> {
        let mut buf = raw;
        let envelope = TxEnvelope::decode_2718(&mut buf).ok()?;
        if !buf.is_empty() {
            return None;
        }
        let tx = Self::from_envelope(envelope, chain_id)?;
        (tx.clone().into_envelope(chain_id).encoded_2718() == raw).then_some(tx)
    }

    /// A transaction of type `ty` with every field zero or empty.
    pub(super) fn empty(ty: u8, signature: Signature) -> Self {
        Self {
            ty,
            protected: false,
            nonce: 0,
            gas_limit: 0,
            gas_price: 0,
            max_priority_fee: 0,
            to: TxKind::Create,
            value: U256::ZERO,
            input: Bytes::new(),
            access_list: AccessList::default(),
            authorization_list: Vec::new(),
            signature,
        }
    }

    pub(super) fn from_envelope(envelope: TxEnvelope, chain_id: u64) -> Option<Self> {
        let base = Self::empty;
        Some(match envelope {
            TxEnvelope::Legacy(signed) => {
                let (tx, signature, _) = signed.into_parts();
                if tx.chain_id.is_some_and(|id| id != chain_id) {
                    return None;
                }
                Self {
                    protected: tx.chain_id.is_some(),
                    nonce: tx.nonce,
                    gas_limit: tx.gas_limit,
                    gas_price: tx.gas_price,
                    to: tx.to,
                    value: tx.value,
                    input: tx.input,
                    ..base(TYPE_LEGACY, signature)
                }
            }
            TxEnvelope::Eip2930(signed) => {
                let (tx, signature, _) = signed.into_parts();
                if tx.chain_id != chain_id {
                    return None;
                }
                Self {
                    nonce: tx.nonce,
                    gas_limit: tx.gas_limit,
                    gas_price: tx.gas_price,
                    to: tx.to,
                    value: tx.value,
                    input: tx.input,
                    access_list: tx.access_list,
                    ..base(TYPE_EIP2930, signature)
                }
            }
            TxEnvelope::Eip1559(signed) => {
                let (tx, signature, _) = signed.into_parts();
                if tx.chain_id != chain_id {
                    return None;
                }
                Self {
                    nonce: tx.nonce,
                    gas_limit: tx.gas_limit,
                    gas_price: tx.max_fee_per_gas,
                    max_priority_fee: tx.max_priority_fee_per_gas,
                    to: tx.to,
                    value: tx.value,
                    input: tx.input,
                    access_list: tx.access_list,
                    ..base(TYPE_EIP1559, signature)
                }
            }
            TxEnvelope::Eip7702(signed) => {
                let (tx, signature, _) = signed.into_parts();
                if tx.chain_id != chain_id {
                    return None;
                }
                Self {
                    nonce: tx.nonce,
                    gas_limit: tx.gas_limit,
                    gas_price: tx.max_fee_per_gas,
                    max_priority_fee: tx.max_priority_fee_per_gas,
                    to: TxKind::Call(tx.to),
                    value: tx.value,
                    input: tx.input,
                    access_list: tx.access_list,
                    authorization_list: tx.authorization_list,
                    ..base(TYPE_EIP7702, signature)
                }
            }
            // EIP-4844 transactions cannot be in L2 batches: never stored in columns.
            TxEnvelope::Eip4844(_) => return None,
        })
    }

    /// Rebuilds the signed transaction. Decoding checked that `ty` is one of the four
    /// supported types and that EIP-7702 transactions have a recipient.
    pub(super) fn into_envelope(self, chain_id: u64) -> TxEnvelope {
        let Self {
            ty,
            protected,
            nonce,
            gas_limit,
            gas_price,
            max_priority_fee,
            to,
            value,
            input,
            access_list,
            authorization_list,
            signature,
        } = self;
        match ty {
            TYPE_EIP2930 => TxEnvelope::Eip2930(Signed::new_unhashed(
                TxEip2930 { chain_id, nonce, gas_price, gas_limit, to, value, access_list, input },
                signature,
            )),
            TYPE_EIP1559 => TxEnvelope::Eip1559(Signed::new_unhashed(
                TxEip1559 {
                    chain_id,
                    nonce,
                    gas_limit,
                    max_fee_per_gas: gas_price,
                    max_priority_fee_per_gas: max_priority_fee,
                    to,
                    value,
                    access_list,
                    input,
                },
                signature,
            )),
            TYPE_EIP7702 => TxEnvelope::Eip7702(Signed::new_unhashed(
                TxEip7702 {
                    chain_id,
                    nonce,
                    gas_limit,
                    max_fee_per_gas: gas_price,
                    max_priority_fee_per_gas: max_priority_fee,
                    to: to.to().copied().unwrap_or(Address::ZERO),
                    value,
                    access_list,
                    authorization_list,
                    input,
                },
                signature,
            )),
            _ => TxEnvelope::Legacy(Signed::new_unhashed(
                TxLegacy {
                    chain_id: protected.then_some(chain_id),
                    nonce,
                    gas_price,
                    gas_limit,
                    to,
                    value,
                    input,
                },
                signature,
            )),
        }
    }

    pub(super) const fn has_gas_price(&self) -> bool {
        matches!(self.ty, TYPE_LEGACY | TYPE_EIP2930)
    }

    /// Whether `s` is at least 2^255, which no valid signature's is (`s <= n / 2`, EIP-2):
    /// the top bit of `s` then cannot hold the y parity.
    pub(super) fn high_s(&self) -> bool {
        self.signature.s().bit(255)
    }

    pub(super) const fn has_access_list(&self) -> bool {
        self.ty != TYPE_LEGACY
    }
}
