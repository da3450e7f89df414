//! The L2 genesis state: the predeploys and nothing else. All L2 ETH comes
//! from deposits, so the L1 bridge always backs it.

use crate::{
    GAS_PRICE_ORACLE, L1_BLOCK, L2_TO_L1_MESSAGE_PASSER, MemoryState, RollupConfig,
    l1_block_storage,
};
use alloy_primitives::{Address, U256, keccak256};
use rollup_contracts::{GasPriceOracle, L1Block, L2ToL1MessagePasser};

/// The L2 genesis state of the chain `config`, every account with nonce 1
/// (as a deployed contract) and no balance:
/// - `L2ToL1MessagePasser` runtime code at
///   `0x4200000000000000000000000000000000000016`;
/// - `L1Block` at `0x4200000000000000000000000000000000000015`, its storage
///   holding the genesis L1 origin (`config.genesis_l1_origin`), sequence
///   number 0 and the chain's L1 fee scalars ([`l1_block_storage`]); the
///   L1-attributes deposit of every block rewrites it ([`crate::L1Attributes`]);
/// - `GasPriceOracle` at `0x420000000000000000000000000000000000000F` (no
///   storage: it reads `L1Block`);
/// - the tooling predeploys of [`crate::predeploys`] (the CREATE2 deployer,
///   Multicall3, the EIP-2935 history contract);
/// - `config.genesis_prefill` benchmark accounts at [`prefill_address`]
///   (none on a real chain).
pub fn l2_genesis_state(config: &RollupConfig) -> MemoryState {
    let mut state = MemoryState::new();
    crate::install_predeploys(&mut state);
    state.set_account(
        L2_TO_L1_MESSAGE_PASSER,
        U256::ZERO,
        1,
        Some(L2ToL1MessagePasser::DEPLOYED_BYTECODE.clone()),
    );
    state.set_account(L1_BLOCK, U256::ZERO, 1, Some(L1Block::DEPLOYED_BYTECODE.clone()));
    for (slot, value) in l1_block_storage(&config.genesis_l1_origin, config.l1_fee) {
        if !value.is_zero() {
            state.set_storage(L1_BLOCK, slot, value);
        }
    }
    state.set_account(
        GAS_PRICE_ORACLE,
        U256::ZERO,
        1,
        Some(GasPriceOracle::DEPLOYED_BYTECODE.clone()),
    );
    for i in 0..config.genesis_prefill {
        state.set_account(prefill_address(i), U256::ZERO, 1, None);
    }
    state
}

/// The `i`-th account of [`RollupConfig::genesis_prefill`]: the last 20
/// bytes of `keccak256("rollup/genesis-prefill" ++ i)`, `i` as 8 big-endian
/// bytes. Nobody holds its key.
pub fn prefill_address(i: u64) -> Address {
    let mut preimage = b"rollup/genesis-prefill".to_vec();
    preimage.extend_from_slice(&i.to_be_bytes());
    Address::from_word(keccak256(preimage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefill_adds_distinct_empty_accounts_and_changes_the_root() {
        let plain = RollupConfig::default();
        let prefilled = RollupConfig { genesis_prefill: 1_000, ..RollupConfig::default() };
        let mut a = l2_genesis_state(&plain);
        let mut b = l2_genesis_state(&prefilled);
        assert_eq!(b.accounts().count(), a.accounts().count() + 1_000);
        let first = b.account(&prefill_address(0)).expect("prefill account 0");
        assert_eq!((first.nonce, first.balance), (1, U256::ZERO));
        assert!(b.account(&prefill_address(999)).is_some());
        assert!(b.account(&prefill_address(1_000)).is_none());
        assert_ne!(a.compute_state_root(), b.compute_state_root());
    }
}
