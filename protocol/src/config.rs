//! Chain configuration shared by every role: chain ids, fee parameters, the
//! predeploy and fee-vault addresses, and the derivation windows.

use crate::L1FeeScalars;
use alloy_eips::eip1559::BaseFeeParams;
use alloy_primitives::{Address, address};
use alloy_sol_types::{SolValue, sol};
use serde::{Deserialize, Serialize};

/// Chain id of the devnet L1 (the simulator).
pub const L1_CHAIN_ID: u64 = 900;
/// Chain id of the devnet L2.
pub const L2_CHAIN_ID: u64 = 901;

/// `L2ToL1MessagePasser` predeploy (OP Stack address; defined in `rollup_contracts`).
pub use rollup_contracts::L2_TO_L1_MESSAGE_PASSER;
/// Receives the priority fees of L2 transactions; it is the L2 block's
/// `beneficiary` (OP Stack `SequencerFeeVault`).
pub const SEQUENCER_FEE_VAULT: Address = address!("4200000000000000000000000000000000000011");
/// Receives the base fees of L2 transactions instead of burning them, so that
/// L2 ETH stays backed 1:1 by the L1 bridge (OP Stack `BaseFeeVault`).
pub const BASE_FEE_VAULT: Address = address!("4200000000000000000000000000000000000019");
/// Receives the L1 data fees of L2 transactions (OP Stack `L1FeeVault`).
pub const L1_FEE_VAULT: Address = address!("420000000000000000000000000000000000001a");

/// Storage slot of the withdrawals root in the `L2ToL1MessagePasser`
/// (`bytes32 public withdrawalsRoot` is its first state variable).
pub const WITHDRAWALS_ROOT_SLOT: u64 = 0;

/// L2 EIP-1559 parameters: OP Stack values (elasticity 6, max change
/// denominator 250), suited to sub-second blocks.
pub const L2_BASE_FEE_PARAMS: BaseFeeParams = BaseFeeParams::new(250, 6);
/// Lowest L2 base fee, in wei (OP Jovian's `minBaseFee` idea): keeps the base
/// fee from decaying to zero on an idle chain.
pub const L2_MIN_BASE_FEE: u64 = 1_000_000;

/// Parameters of the rollup protocol that the sequencer, the batcher, the
/// challenger and the L1 proof verifier must agree on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupConfig {
    /// Chain id of the L1.
    pub l1_chain_id: u64,
    /// Chain id of the L2 (EIP-155 replay protection of L2 transactions).
    pub l2_chain_id: u64,
    /// Gas limit of every L2 block, in gas.
    pub l2_block_gas_limit: u64,
    /// Unix timestamp (seconds) of the L2 genesis block.
    pub genesis_timestamp: u64,
    /// Most seconds an L2 block's timestamp may run ahead of its L1 origin's
    /// timestamp (OP Stack `max_sequencer_drift`).
    pub max_sequencer_drift: u64,
    /// L1 blocks within which the deposits of an L1 block must be included on
    /// L2 before derivation forces them in (OP Stack `sequencing_window_size`).
    pub sequencing_window: u64,
    /// Scalars of the L1 data fee (OP Ecotone), chosen for where the batches
    /// go; see [`crate::l1_data_fee`].
    pub l1_fee: L1FeeScalars,
    /// The L1 block the L2 genesis is anchored to (the L1 origin of L2 block
    /// 0); deposits are read from the L1 blocks after it.
    pub genesis_l1_origin: crate::L1Origin,
    /// Accounts the L2 genesis holds besides the predeploys, to benchmark a
    /// chain with a large state (`rollup bench throughput
    /// --prefill-accounts`): the `i`-th at [`crate::prefill_address`]`(i)`,
    /// nonce 1, no balance and no code, so every L2 wei still comes from a
    /// deposit. 0 (the default) everywhere else; a genesis field, not a
    /// protocol parameter.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub genesis_prefill: u64,
}

const fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl Default for RollupConfig {
    fn default() -> Self {
        Self {
            l1_chain_id: L1_CHAIN_ID,
            l2_chain_id: L2_CHAIN_ID,
            l2_block_gas_limit: 30_000_000,
            genesis_timestamp: 0,
            max_sequencer_drift: 600,
            sequencing_window: 3_600,
            l1_fee: L1FeeScalars::CALLDATA,
            genesis_l1_origin: crate::L1Origin::default(),
            genesis_prefill: 0,
        }
    }
}

sol! {
    /// The protocol parameters EXECUTE needs, as the `DisputeGameFactory`
    /// stores them (`rollupConfig()`) and passes them to the precompile: every
    /// [`RollupConfig`] field but the genesis ones, which only start
    /// derivation and never enter a proof.
    #[derive(Debug, PartialEq, Eq)]
    struct ProtocolParams {
        uint64 l1ChainId;
        uint64 l2ChainId;
        uint64 l2BlockGasLimit;
        uint64 maxSequencerDrift;
        uint64 sequencingWindow;
        uint64 baseFeeScalar;
        uint64 blobBaseFeeScalar;
    }
}

impl RollupConfig {
    /// `abi.encode(ProtocolParams)`: the parameters a proof depends on.
    pub fn protocol_params_abi(&self) -> Vec<u8> {
        ProtocolParams {
            l1ChainId: self.l1_chain_id,
            l2ChainId: self.l2_chain_id,
            l2BlockGasLimit: self.l2_block_gas_limit,
            maxSequencerDrift: self.max_sequencer_drift,
            sequencingWindow: self.sequencing_window,
            baseFeeScalar: self.l1_fee.base_fee_scalar,
            blobBaseFeeScalar: self.l1_fee.blob_base_fee_scalar,
        }
        .abi_encode()
    }

    /// The configuration of [`Self::protocol_params_abi`]'s output (genesis
    /// fields default); `None` unless `data` is exactly such an encoding.
    pub fn from_protocol_params_abi(data: &[u8]) -> Option<Self> {
        let p = ProtocolParams::abi_decode(data).ok()?;
        let config = Self {
            l1_chain_id: p.l1ChainId,
            l2_chain_id: p.l2ChainId,
            l2_block_gas_limit: p.l2BlockGasLimit,
            max_sequencer_drift: p.maxSequencerDrift,
            sequencing_window: p.sequencingWindow,
            l1_fee: L1FeeScalars {
                base_fee_scalar: p.baseFeeScalar,
                blob_base_fee_scalar: p.blobBaseFeeScalar,
            },
            ..Self::default()
        };
        (config.protocol_params_abi() == data).then_some(config)
    }

    /// Whether `self` and `other` agree on every protocol parameter a proof
    /// depends on (everything but the genesis).
    pub fn same_protocol(&self, other: &Self) -> bool {
        self.protocol_params_abi() == other.protocol_params_abi()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_params_round_trip_and_reject_other_bytes() {
        let config = RollupConfig {
            l2_chain_id: 77,
            sequencing_window: 12,
            l1_fee: L1FeeScalars::BLOBS,
            ..RollupConfig::default()
        };
        let abi = config.protocol_params_abi();
        assert_eq!(abi.len(), 7 * 32);
        let back = RollupConfig::from_protocol_params_abi(&abi).unwrap();
        assert!(back.same_protocol(&config));
        assert_eq!(back.l1_fee, L1FeeScalars::BLOBS);
        assert!(!back.same_protocol(&RollupConfig::default()));
        assert!(RollupConfig::from_protocol_params_abi(&abi[..abi.len() - 1]).is_none());
        let mut extra = abi.clone();
        extra.push(0);
        assert!(RollupConfig::from_protocol_params_abi(&extra).is_none());
        let mut wide = abi;
        wide[0] = 1; // a uint64 with high bits set
        assert!(RollupConfig::from_protocol_params_abi(&wide).is_none());
    }
}
