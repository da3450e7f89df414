//! The L2 genesis state: the predeploys and nothing else. All L2 ETH comes
//! from deposits, so the L1 bridge always backs it.

use crate::{L2_TO_L1_MESSAGE_PASSER, MemoryState};
use alloy_primitives::U256;
use rollup_contracts::L2ToL1MessagePasser;

/// The L2 genesis state: `L2ToL1MessagePasser` runtime code at
/// `0x4200000000000000000000000000000000000016` (nonce 1, as a deployed
/// contract), and the tooling predeploys of [`crate::predeploys`] (the
/// CREATE2 deployer, Multicall3, the EIP-2935 history contract). They are
/// state like any other: the state transition function has no rule about
/// them.
pub fn l2_genesis_state() -> MemoryState {
    let mut state = MemoryState::new();
    crate::install_predeploys(&mut state);
    state.set_account(
        L2_TO_L1_MESSAGE_PASSER,
        U256::ZERO,
        1,
        Some(L2ToL1MessagePasser::DEPLOYED_BYTECODE.clone()),
    );
    state
}
