//! Deposits: L1 `Bridge` events turned into L2 deposit transactions.
//!
//! The L1 `Bridge` emits `TransactionDeposited(from, to, depositIndex, mint,
//! value, gasLimit, data)` and keeps a running hash over all deposits. Each
//! deposit becomes one [`TxDeposit`] (EIP-2718 type `0x7E`, the OP Stack
//! deposit transaction format, `deposits.md` of the OP specs): it has no
//! signature and pays no fee; its `mint` is credited to `from` even when its
//! call reverts.

use alloy_primitives::{Address, B256, Bytes, Sealable, TxKind, U256, keccak256};
use alloy_rlp::{BufMut, Decodable, Encodable, Header, RlpDecodable, RlpEncodable};
use alloy_sol_types::SolValue;
use serde::{Deserialize, Serialize};

/// EIP-2718 type byte of deposit transactions.
pub const DEPOSIT_TX_TYPE: u8 = 0x7E;

/// One deposit as recorded by the L1 `Bridge` (its `TransactionDeposited`
/// event), the input of an L2 deposit transaction.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, RlpEncodable, RlpDecodable,
)]
#[serde(rename_all = "camelCase")]
pub struct UserDeposit {
    /// L1 sender, aliased (+0x1111..1111) when it is a contract.
    pub from: Address,
    /// L2 recipient of the call.
    pub to: Address,
    /// 0-based index in the bridge's deposit list.
    pub index: u64,
    /// Wei minted to `from` on L2 (the ETH locked in the bridge).
    pub mint: U256,
    /// Wei sent with the L2 call.
    pub value: U256,
    /// Gas limit of the L2 call, in gas.
    pub gas_limit: u64,
    /// Calldata of the L2 call.
    pub data: Bytes,
}

impl UserDeposit {
    /// The leaf hashed into the bridge's running deposit hash:
    /// `keccak256(abi.encode(from, to, depositIndex, mint, value, gasLimit, data))`.
    pub fn leaf_hash(&self) -> B256 {
        keccak256(
            (
                self.from,
                self.to,
                U256::from(self.index),
                self.mint,
                self.value,
                self.gas_limit,
                self.data.clone(),
            )
                .abi_encode_params(),
        )
    }

    /// The bridge's running hash after this deposit, given the hash after the
    /// previous one (`B256::ZERO` before the first):
    /// `keccak256(abi.encodePacked(prev, leaf_hash))`.
    pub fn running_hash(&self, prev: B256) -> B256 {
        let mut buf = [0u8; 64];
        buf[..32].copy_from_slice(prev.as_slice());
        buf[32..].copy_from_slice(self.leaf_hash().as_slice());
        keccak256(buf)
    }

    /// Source hash of the deposit transaction: `keccak256(abi.encode(uint256(0),
    /// depositIndex))` (domain 0 = user deposit, after the OP Stack rule of
    /// unique, L1-derived source hashes).
    pub fn source_hash(&self) -> B256 {
        keccak256((U256::ZERO, U256::from(self.index)).abi_encode_params())
    }

    /// The L2 deposit transaction of this deposit.
    pub fn to_tx(&self) -> TxDeposit {
        TxDeposit {
            source_hash: self.source_hash(),
            from: self.from,
            to: TxKind::Call(self.to),
            mint: self.mint.saturating_to(),
            value: self.value,
            gas_limit: self.gas_limit,
            is_system_transaction: false,
            input: self.data.clone(),
        }
    }
}

/// A deposit transaction (type `0x7E`), RLP fields as in the OP Stack:
/// `[source_hash, from, to, mint, value, gas, is_system_tx, data]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, RlpEncodable, RlpDecodable)]
#[serde(rename_all = "camelCase")]
pub struct TxDeposit {
    /// Unique hash derived from L1 data, see [`UserDeposit::source_hash`].
    pub source_hash: B256,
    /// Sender on L2 (not signed: authenticated by L1).
    pub from: Address,
    /// Recipient or contract creation.
    pub to: TxKind,
    /// Wei minted to `from` before the call.
    pub mint: u128,
    /// Wei transferred by the call.
    pub value: U256,
    /// Gas limit of the call.
    pub gas_limit: u64,
    /// Always false for user deposits.
    pub is_system_transaction: bool,
    /// Calldata.
    pub input: Bytes,
}

impl TxDeposit {
    /// EIP-2718 encoding: `0x7E || rlp(fields)`.
    pub fn encode_2718(&self, out: &mut dyn BufMut) {
        out.put_u8(DEPOSIT_TX_TYPE);
        self.encode(out);
    }

    /// EIP-2718 encoded bytes.
    pub fn encoded_2718(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.length() + 1);
        self.encode_2718(&mut out);
        out
    }

    /// Decodes the body after the type byte.
    pub fn decode_fields(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        let h = Header::decode(&mut &buf[..])?;
        if !h.list {
            return Err(alloy_rlp::Error::UnexpectedString);
        }
        let tx = <Self as Decodable>::decode(buf)?;
        Ok(tx)
    }

    /// Whether this is the L1-attributes deposit that opens every L2 block
    /// (from [`crate::DEPOSITOR_ACCOUNT`] to [`crate::L1_BLOCK`],
    /// [`crate::L1Attributes`]) rather than a user deposit.
    pub fn is_l1_attributes(&self) -> bool {
        self.from == crate::DEPOSITOR_ACCOUNT && self.to == TxKind::Call(crate::L1_BLOCK)
    }

    /// Transaction hash: `keccak256(0x7E || rlp(fields))`.
    pub fn tx_hash(&self) -> B256 {
        keccak256(self.encoded_2718())
    }
}

impl Sealable for TxDeposit {
    fn hash_slow(&self) -> B256 {
        self.tx_hash()
    }
}

impl From<&rollup_contracts::Bridge::TransactionDeposited> for UserDeposit {
    fn from(e: &rollup_contracts::Bridge::TransactionDeposited) -> Self {
        Self {
            from: e.from,
            to: e.to,
            index: e.depositIndex.saturating_to(),
            mint: e.mint,
            value: e.value,
            gas_limit: e.gasLimit,
            data: e.data.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> UserDeposit {
        UserDeposit {
            from: Address::repeat_byte(1),
            to: Address::repeat_byte(2),
            index: 7,
            mint: U256::from(10u64),
            value: U256::from(3u64),
            gas_limit: 100_000,
            data: Bytes::from_static(&[1, 2, 3]),
        }
    }

    #[test]
    fn deposit_tx_round_trips_and_hash_is_typed() {
        let tx = sample().to_tx();
        let enc = tx.encoded_2718();
        assert_eq!(enc[0], DEPOSIT_TX_TYPE);
        let mut body = &enc[1..];
        let dec = TxDeposit::decode_fields(&mut body).unwrap();
        assert_eq!(dec, tx);
        assert!(body.is_empty());
        assert_eq!(tx.tx_hash(), keccak256(&enc));
    }

    #[test]
    fn source_hash_is_unique_per_index() {
        let a = sample();
        let mut b = sample();
        b.index += 1;
        assert_ne!(a.source_hash(), b.source_hash());
        assert_ne!(a.running_hash(B256::ZERO), b.running_hash(B256::ZERO));
        assert_ne!(a.running_hash(B256::ZERO), a.running_hash(B256::repeat_byte(1)));
    }
}
