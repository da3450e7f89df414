//! The per-L2-block batch carried inside a channel.

use alloy_primitives::{B256, Bytes};
use alloy_rlp::{RlpDecodable, RlpEncodable};
use serde::{Deserialize, Serialize};

/// One L2 block as carried in a batch: the "singular batch" of the OP Stack derivation spec
/// ("Batch Format"), i.e. everything the derivation pipeline needs to re-execute the block
/// apart from the deposits, which it derives from L1 events itself.
///
/// Encoded as the RLP list `[number, timestamp, l1_origin_number, l1_origin_hash,
/// [tx, ...]]`; a channel with batch encoding 0 ("singular") carries an RLP list of these
/// (see [`encode_channel`](super::encode_channel)).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, RlpEncodable, RlpDecodable)]
pub struct BatchBlock {
    /// L2 block number.
    pub number: u64,
    /// L2 block timestamp, in unix seconds.
    pub timestamp: u64,
    /// Number of the L1 block this L2 block's epoch refers to (its L1 origin).
    pub l1_origin_number: u64,
    /// Hash of the L1 origin block; derivation checks it against the canonical L1 chain.
    pub l1_origin_hash: B256,
    /// The block's user transactions, each EIP-2718 encoded and signed, in block order.
    /// Deposit transactions are never included: they are derived from L1 deposit events.
    pub transactions: Vec<Bytes>,
}

#[cfg(test)]
mod tests {
    use alloy_rlp::{Decodable, Encodable};

    use super::*;

    #[test]
    fn rlp_round_trip() {
        let block = BatchBlock {
            number: 7,
            timestamp: 1_700_000_000,
            l1_origin_number: 3,
            l1_origin_hash: B256::repeat_byte(0xab),
            transactions: vec![Bytes::from_static(&[0x02, 0xf8, 0x01]), Bytes::new()],
        };
        let mut rlp = Vec::new();
        block.encode(&mut rlp);
        assert_eq!(rlp.len(), block.length());
        assert_eq!(BatchBlock::decode(&mut rlp.as_slice()).unwrap(), block);
    }

    #[test]
    fn implements_serde() {
        fn assert_serde<T: Serialize + serde::de::DeserializeOwned>() {}
        assert_serde::<BatchBlock>();
    }

    #[test]
    fn rejects_malformed_rlp() {
        let block = BatchBlock {
            number: 1,
            timestamp: 2,
            l1_origin_number: 3,
            l1_origin_hash: B256::ZERO,
            transactions: vec![],
        };
        let mut rlp = Vec::new();
        block.encode(&mut rlp);
        for len in 0..rlp.len() {
            assert!(BatchBlock::decode(&mut &rlp[..len]).is_err());
        }
        // Non-canonical integer (leading zero) is rejected: `number` = 0x8200 01.
        let mut bad = rlp.clone();
        bad[0] += 2;
        bad.splice(1..2, [0x82, 0x00, 0x01]);
        assert!(BatchBlock::decode(&mut bad.as_slice()).is_err());
    }
}
