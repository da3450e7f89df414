//! Chain configuration shared by every role: chain ids, fee parameters, the
//! predeploy and fee-vault addresses, and the derivation windows.

use alloy_eips::eip1559::BaseFeeParams;
use alloy_primitives::{Address, address};
use serde::{Deserialize, Serialize};

/// Chain id of the devnet L1 (the simulator).
pub const L1_CHAIN_ID: u64 = 900;
/// Chain id of the devnet L2.
pub const L2_CHAIN_ID: u64 = 901;

/// `L2ToL1MessagePasser` predeploy (OP Stack address).
pub const L2_TO_L1_MESSAGE_PASSER: Address = address!("4200000000000000000000000000000000000016");
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
    /// Scalar of the L1 data fee, in millionths (`1_000_000` = 1.0); see
    /// [`crate::l1_data_fee`].
    pub l1_fee_scalar: u64,
    /// The L1 block the L2 genesis is anchored to (the L1 origin of L2 block
    /// 0); deposits are read from the L1 blocks after it.
    pub genesis_l1_origin: crate::L1Origin,
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
            l1_fee_scalar: 1_800_000,
            genesis_l1_origin: crate::L1Origin::default(),
        }
    }
}
