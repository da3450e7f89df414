//! Transaction receipts of both chains, with the L2 extras (L1 data fee,
//! deposit nonce) that OP Stack clients expect.

use alloy_consensus::{Eip658Value, Receipt, ReceiptWithBloom};
use alloy_primitives::{Address, Bloom, Log};
use alloy_rlp::Encodable;
use serde::{Deserialize, Serialize};

/// The receipt of one executed transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupReceipt {
    /// EIP-2718 type of the transaction (`0x7E` for deposits).
    pub tx_type: u8,
    /// EIP-658 status: true when the call did not revert.
    pub status: bool,
    /// Gas used by this and all earlier transactions of the block.
    pub cumulative_gas_used: u64,
    /// Gas used by this transaction.
    pub gas_used: u64,
    /// Price paid per gas, in wei (base fee + effective tip).
    pub effective_gas_price: u128,
    /// Logs emitted.
    pub logs: Vec<Log>,
    /// Address of the contract created, if any.
    pub contract_address: Option<Address>,
    /// L2 only: the L1 data fee charged, in wei (see [`crate::l1_data_fee`]).
    pub l1_fee: Option<u128>,
    /// L2 only: the L1 base fee (wei per gas) the L1 fee was computed with.
    pub l1_base_fee: Option<u64>,
    /// L2 only: the L1 blob base fee (wei per blob gas) the L1 fee was
    /// computed with.
    #[serde(default)]
    pub l1_blob_base_fee: Option<u128>,
    /// L2 only: the scalars the L1 fee was computed with.
    #[serde(default)]
    pub l1_fee_scalars: Option<crate::L1FeeScalars>,
    /// L2 only: the calldata gas the L1 fee was computed with.
    pub l1_gas_used: Option<u64>,
    /// Deposits only: the nonce of `from` before the deposit.
    pub deposit_nonce: Option<u64>,
}

impl RollupReceipt {
    /// The logs bloom.
    pub fn bloom(&self) -> Bloom {
        Bloom::from_iter(self.logs.iter())
    }

    /// The consensus receipt (`[status, cumulative_gas_used, bloom, logs]`).
    pub fn consensus(&self) -> ReceiptWithBloom<Receipt<Log>> {
        ReceiptWithBloom::new(
            Receipt {
                status: Eip658Value::Eip658(self.status),
                cumulative_gas_used: self.cumulative_gas_used,
                logs: self.logs.clone(),
            },
            self.bloom(),
        )
    }

    /// EIP-2718 encoding as hashed into the receipts root: the type byte
    /// (omitted for legacy) followed by the RLP of the consensus receipt.
    pub fn encoded_2718(&self) -> Vec<u8> {
        let receipt = self.consensus();
        let mut out = Vec::with_capacity(receipt.length() + 1);
        if self.tx_type != 0 {
            out.push(self.tx_type);
        }
        receipt.encode(&mut out);
        out
    }
}
