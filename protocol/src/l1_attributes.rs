//! L1 attributes: the system deposit that opens every L2 block and writes
//! its L1 origin into the `L1Block` predeploy, as in the OP Stack (specs:
//! `deposits.md`, "L1 Attributes Deposited Transaction", Ecotone).
//!
//! The transaction ([`L1Attributes::to_tx`]) is a deposit (type `0x7E`)
//! - from [`DEPOSITOR_ACCOUNT`] (`0xDeaD…0001`) to [`L1_BLOCK`]
//!   (`0x4200…0015`), gas limit [`L1_ATTRIBUTES_GAS_LIMIT`], `mint` 0,
//!   `value` 0, `isSystemTx` false (OP after Regolith: its gas counts like any
//!   deposit's, its receipt has a `depositNonce`, the depositor's nonce);
//! - with source hash `keccak256(uint256(1) ++ keccak256(l1BlockHash ++
//!   uint256(sequenceNumber)))` (OP's "L1 info deposit" domain 1; user
//!   deposits use domain 0, so the two never collide);
//! - calling `setL1BlockValuesEcotone()` (selector `0x440a5e20`) with OP's
//!   packed 164-byte calldata ([`L1Attributes::calldata`]): `baseFeeScalar`
//!   (uint32), `blobBaseFeeScalar` (uint32), `sequenceNumber` (uint64), the
//!   origin's `timestamp` (uint64), `number` (uint64), `basefee` (uint256),
//!   `blobBaseFee` (uint256), `hash` (bytes32) and `batcherHash` (bytes32).
//!
//! Values: the block's L1 origin ([`crate::L1Origin`]), the chain's L1 fee
//! scalars ([`crate::L1FeeScalars::ecotone`], the ones the STF charges
//! with), `batcherHash` zero (the batcher is authorised on L1 by
//! `BatchInbox`; no L2 rule depends on it), and the sequence number: 0 when
//! the block's L1 origin (number and hash) differs from its parent's (read
//! from the parent header, [`crate::L1Origin::of_header`]), else the
//! parent's sequence number (read from `L1Block`'s storage, slot 3) plus one
//! ([`sequence_number`]). It is thus a function of the parent header, the
//! pre-state and the block inputs: derivation and EXECUTE regenerate it, and
//! batches never carry it (they carry user transactions only).
//!
//! The L2 genesis holds `L1Block` with the genesis L1 origin's values and
//! sequence number 0 ([`l1_block_storage`]).

use crate::{L1FeeScalars, L1Origin, TxDeposit};
use alloy_consensus::Header;
use alloy_primitives::{B256, Bytes, TxKind, U256, keccak256};
use rollup_contracts::l1_block_slots;
use serde::{Deserialize, Serialize};

pub use rollup_contracts::{DEPOSITOR_ACCOUNT, GAS_PRICE_ORACLE, L1_BLOCK};

/// Gas limit of the L1-attributes deposit (OP's `RegolithSystemTxGas`).
pub const L1_ATTRIBUTES_GAS_LIMIT: u64 = 1_000_000;
/// Selector of `setL1BlockValuesEcotone()`.
pub const SET_L1_BLOCK_VALUES_ECOTONE: [u8; 4] = [0x44, 0x0a, 0x5e, 0x20];
/// Length of the Ecotone L1-attributes calldata, selector included.
pub const L1_ATTRIBUTES_LEN: usize = 164;

/// What the L1-attributes deposit writes into `L1Block`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1Attributes {
    /// L1 origin number.
    pub number: u64,
    /// L1 origin timestamp, unix seconds.
    pub timestamp: u64,
    /// L1 origin base fee, wei per gas.
    pub base_fee: u64,
    /// L1 origin blob base fee, wei per blob gas.
    pub blob_base_fee: u128,
    /// L1 origin hash.
    pub hash: B256,
    /// L2 blocks before this one with the same L1 origin.
    pub sequence_number: u64,
    /// OP `baseFeeScalar`, millionths.
    pub base_fee_scalar: u32,
    /// OP `blobBaseFeeScalar`, millionths.
    pub blob_base_fee_scalar: u32,
    /// OP `batcherHash` (zero on this rollup).
    pub batcher_hash: B256,
}

impl L1Attributes {
    /// The attributes of a block with L1 origin `origin`, `sequence_number`
    /// and the chain's `scalars`.
    pub fn new(origin: &L1Origin, sequence_number: u64, scalars: L1FeeScalars) -> Self {
        let (base_fee_scalar, blob_base_fee_scalar) = scalars.ecotone();
        Self {
            number: origin.number,
            timestamp: origin.timestamp,
            base_fee: origin.base_fee,
            blob_base_fee: origin.blob_base_fee,
            hash: origin.hash,
            sequence_number,
            base_fee_scalar,
            blob_base_fee_scalar,
            batcher_hash: B256::ZERO,
        }
    }

    /// OP's packed Ecotone calldata of `setL1BlockValuesEcotone()` (see the
    /// module docs), [`L1_ATTRIBUTES_LEN`] bytes.
    pub fn calldata(&self) -> Bytes {
        let mut out = Vec::with_capacity(L1_ATTRIBUTES_LEN);
        out.extend_from_slice(&SET_L1_BLOCK_VALUES_ECOTONE);
        out.extend_from_slice(&self.base_fee_scalar.to_be_bytes());
        out.extend_from_slice(&self.blob_base_fee_scalar.to_be_bytes());
        out.extend_from_slice(&self.sequence_number.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.number.to_be_bytes());
        out.extend_from_slice(&U256::from(self.base_fee).to_be_bytes::<32>());
        out.extend_from_slice(&U256::from(self.blob_base_fee).to_be_bytes::<32>());
        out.extend_from_slice(self.hash.as_slice());
        out.extend_from_slice(self.batcher_hash.as_slice());
        out.into()
    }

    /// Decodes [`Self::calldata`]'s layout; `None` unless `data` is exactly
    /// such calldata with a base fee below 2^64 and a blob base fee below
    /// 2^128.
    pub fn decode(data: &[u8]) -> Option<Self> {
        if data.len() != L1_ATTRIBUTES_LEN || data[..4] != SET_L1_BLOCK_VALUES_ECOTONE {
            return None;
        }
        let u32_at = |i: usize| u32::from_be_bytes(data[i..i + 4].try_into().unwrap_or_default());
        let u64_at = |i: usize| u64::from_be_bytes(data[i..i + 8].try_into().unwrap_or_default());
        let word = |i: usize| U256::from_be_slice(&data[i..i + 32]);
        Some(Self {
            base_fee_scalar: u32_at(4),
            blob_base_fee_scalar: u32_at(8),
            sequence_number: u64_at(12),
            timestamp: u64_at(20),
            number: u64_at(28),
            base_fee: word(36).try_into().ok()?,
            blob_base_fee: word(68).try_into().ok()?,
            hash: B256::from_slice(&data[100..132]),
            batcher_hash: B256::from_slice(&data[132..164]),
        })
    }

    /// Source hash of the deposit ([`l1_attributes_source_hash`]).
    pub fn source_hash(&self) -> B256 {
        l1_attributes_source_hash(self.hash, self.sequence_number)
    }

    /// The L1-attributes deposit transaction.
    pub fn to_tx(&self) -> TxDeposit {
        TxDeposit {
            source_hash: self.source_hash(),
            from: DEPOSITOR_ACCOUNT,
            to: TxKind::Call(L1_BLOCK),
            mint: 0,
            value: U256::ZERO,
            gas_limit: L1_ATTRIBUTES_GAS_LIMIT,
            is_system_transaction: false,
            input: self.calldata(),
        }
    }

    /// `L1Block`'s storage holding these attributes (OP's layout,
    /// [`rollup_contracts::l1_block_slots`]), as `(slot, value)`.
    pub fn storage(&self) -> [(U256, U256); 6] {
        [
            (
                l1_block_slots::NUMBER_TIMESTAMP,
                U256::from(self.number) | (U256::from(self.timestamp) << 64),
            ),
            (l1_block_slots::BASEFEE, U256::from(self.base_fee)),
            (l1_block_slots::HASH, self.hash.into()),
            (
                l1_block_slots::SEQUENCE_NUMBER_SCALARS,
                U256::from(self.sequence_number)
                    | (U256::from(self.blob_base_fee_scalar) << 64)
                    | (U256::from(self.base_fee_scalar) << 96),
            ),
            (l1_block_slots::BATCHER_HASH, self.batcher_hash.into()),
            (l1_block_slots::BLOB_BASE_FEE, U256::from(self.blob_base_fee)),
        ]
    }
}

/// OP's L1-info deposit source hash: `keccak256(uint256(1) ++
/// keccak256(l1BlockHash ++ uint256(sequenceNumber)))`.
pub fn l1_attributes_source_hash(l1_hash: B256, sequence_number: u64) -> B256 {
    let mut inner = [0u8; 64];
    inner[..32].copy_from_slice(l1_hash.as_slice());
    inner[32..].copy_from_slice(&U256::from(sequence_number).to_be_bytes::<32>());
    let mut outer = [0u8; 64];
    outer[..32].copy_from_slice(&U256::from(1).to_be_bytes::<32>());
    outer[32..].copy_from_slice(keccak256(inner).as_slice());
    keccak256(outer)
}

/// The sequence number of the child of `parent` with L1 origin `origin`:
/// 0 when `origin` differs from the parent's (number or hash), else
/// `parent_slot3`'s (the pre-state's `L1Block` slot 3) low 64 bits plus one,
/// saturating.
pub fn sequence_number(parent: &Header, origin: &L1Origin, parent_slot3: U256) -> u64 {
    if L1Origin::of_header(parent) != Some((origin.number, origin.hash)) {
        return 0;
    }
    parent_slot3.as_limbs()[0].saturating_add(1)
}

/// `L1Block`'s storage in the L2 genesis: the genesis L1 origin's values,
/// sequence number 0 and the chain's scalars.
pub fn l1_block_storage(origin: &L1Origin, scalars: L1FeeScalars) -> [(U256, U256); 6] {
    L1Attributes::new(origin, 0, scalars).storage()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::b256;
    use alloy_sol_types::SolValue;

    fn sample() -> L1Attributes {
        L1Attributes {
            number: 0x0102_0304_0506_0708,
            timestamp: 0x1112_1314_1516_1718,
            base_fee: 0x2122_2324_2526_2728,
            blob_base_fee: 0x3132_3334_3536_3738_393a_3b3c_3d3e_3f40,
            hash: B256::repeat_byte(0x51),
            sequence_number: 0x6162_6364_6566_6768,
            base_fee_scalar: 0x7172_7374,
            blob_base_fee_scalar: 0x8182_8384,
            batcher_hash: B256::ZERO,
        }
    }

    #[test]
    fn calldata_is_ops_packed_ecotone_layout() {
        let a = sample();
        let data = a.calldata();
        assert_eq!(data.len(), L1_ATTRIBUTES_LEN);
        assert_eq!(data[..4], [0x44, 0x0a, 0x5e, 0x20]);
        assert_eq!(data[4..8], [0x71, 0x72, 0x73, 0x74]); // baseFeeScalar
        assert_eq!(data[8..12], [0x81, 0x82, 0x83, 0x84]); // blobBaseFeeScalar
        assert_eq!(data[12..20], 0x6162_6364_6566_6768u64.to_be_bytes()); // sequenceNumber
        assert_eq!(data[20..28], 0x1112_1314_1516_1718u64.to_be_bytes()); // timestamp
        assert_eq!(data[28..36], 0x0102_0304_0506_0708u64.to_be_bytes()); // number
        assert_eq!(U256::from_be_slice(&data[36..68]), U256::from(a.base_fee));
        assert_eq!(U256::from_be_slice(&data[68..100]), U256::from(a.blob_base_fee));
        assert_eq!(data[100..132], [0x51; 32]);
        assert_eq!(data[132..164], [0; 32]);
        assert_eq!(L1Attributes::decode(&data), Some(a));
        assert_eq!(L1Attributes::decode(&data[..163]), None);
        let mut other = data.to_vec();
        other[0] ^= 1;
        assert_eq!(L1Attributes::decode(&other), None);
        let mut wide = data.to_vec();
        wide[36] = 1; // a base fee above 2^64
        assert_eq!(L1Attributes::decode(&wide), None);
    }

    #[test]
    fn source_hash_is_ops_l1_info_domain() {
        let hash = b256!("0x1111111111111111111111111111111111111111111111111111111111111111");
        let inner = keccak256((hash, U256::from(7)).abi_encode());
        let want = keccak256((U256::from(1), inner).abi_encode());
        assert_eq!(l1_attributes_source_hash(hash, 7), want);
        assert_ne!(l1_attributes_source_hash(hash, 8), want);
        // Never a user deposit's (domain 0) for the same number.
        let user = keccak256((U256::ZERO, U256::from(7)).abi_encode());
        assert_ne!(want, user);
        let tx = L1Attributes { hash, sequence_number: 7, ..sample() }.to_tx();
        assert_eq!(tx.source_hash, want);
        assert!(tx.is_l1_attributes());
        assert_eq!(tx.gas_limit, 1_000_000);
    }

    #[test]
    fn sequence_number_counts_within_an_origin_and_resets_on_a_new_one() {
        let origin = L1Origin { number: 5, hash: B256::repeat_byte(5), ..Default::default() };
        let parent = Header {
            extra_data: Bytes::copy_from_slice(&5u64.to_be_bytes()),
            parent_beacon_block_root: Some(origin.hash),
            ..Default::default()
        };
        // Slot 3 holds the scalars above the sequence number.
        let slot3 = U256::from(3) | (U256::from(u32::MAX) << 64) | (U256::from(9) << 96);
        assert_eq!(sequence_number(&parent, &origin, slot3), 4);
        let next = L1Origin { number: 6, hash: B256::repeat_byte(6), ..origin };
        assert_eq!(sequence_number(&parent, &next, slot3), 0);
        // Same number, other hash (an L1 reorg): a new origin.
        let reorged = L1Origin { hash: B256::repeat_byte(7), ..origin };
        assert_eq!(sequence_number(&parent, &reorged, slot3), 0);
        assert_eq!(sequence_number(&parent, &origin, U256::from(u64::MAX)), u64::MAX);
        assert_eq!(sequence_number(&Header::default(), &origin, slot3), 0);
    }
}
